#include "vtab_base.h"

#include <new>

namespace procsql {

int connect_table(sqlite3* db, void* aux, const TableDef& table, sqlite3_vtab** out, char** err) {
	const int rc = sqlite3_declare_vtab(db, declare_sql(table).c_str());
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("procsql: cannot declare %s: %s", table.name, sqlite3_errmsg(db));
		return rc;
	}
	// The protection the README promises: a table that cannot have it is not
	// offered at all (sqlite3_vtab_config fails on hosts older than 3.31).
	if (sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY) != SQLITE_OK) {
		*err = sqlite3_mprintf("procsql: cannot mark %s SQLITE_VTAB_DIRECTONLY (SQLite %s; 3.31 or later "
		                       "is needed), so it is not offered",
		                       table.name, sqlite3_libversion());
		return SQLITE_ERROR;
	}
	auto* v = new (std::nothrow) CollectorVtab();
	if (!v) {
		return SQLITE_NOMEM;
	}
	v->collector = *static_cast<CollectorRef*>(aux);
	v->db = db;
	*out = &v->base;
	return SQLITE_OK;
}

void set_vtab_error(sqlite3_vtab* vtab, const char* what) {
	sqlite3_free(vtab->zErrMsg);
	vtab->zErrMsg = sqlite3_mprintf("procsql: %s", what);
}

int disconnect_table(sqlite3_vtab* vtab) {
	delete reinterpret_cast<CollectorVtab*>(vtab);
	return SQLITE_OK;
}

} // namespace procsql
