#include "vtab_base.h"

#include <new>

namespace procsql {

int connect_table(sqlite3* db, void* aux, const TableDef& table, sqlite3_vtab** out, char** err) {
	const int rc = sqlite3_declare_vtab(db, declare_sql(table).c_str());
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("procsql: cannot declare %s: %s", table.name, sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	auto* v = new (std::nothrow) CollectorVtab();
	if (!v) {
		return SQLITE_NOMEM;
	}
	v->collector = *static_cast<CollectorRef*>(aux);
	*out = &v->base;
	return SQLITE_OK;
}

int disconnect_table(sqlite3_vtab* vtab) {
	delete reinterpret_cast<CollectorVtab*>(vtab);
	return SQLITE_OK;
}

} // namespace procsql
