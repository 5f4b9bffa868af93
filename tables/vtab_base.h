// What every procsql virtual table shares: eponymous-only (no CREATE VIRTUAL
// TABLE), SQLITE_VTAB_DIRECTONLY (the tables expose every command line on the
// host, so a view or trigger planted in a database file may not reach them:
// SQLite's csv.c reasoning), and a share of the collector from the module's
// client data. A table implementation supplies the scan callbacks.
#pragma once

#include "schema.h"
#include "sqlite_api.h"
#include "tables.h"

namespace procsql {

struct CollectorVtab {
	sqlite3_vtab base;
	CollectorRef collector;
};

int connect_table(sqlite3* db, void* aux, const TableDef& table, sqlite3_vtab** out, char** err);
int disconnect_table(sqlite3_vtab* vtab);

inline Collector& collector_of(sqlite3_vtab* vtab) { return *reinterpret_cast<CollectorVtab*>(vtab)->collector; }

// Impl: static table(), x_best_index, x_open, x_close, x_filter, x_next,
// x_eof, x_column, x_rowid.
template <class Impl>
sqlite3_module make_table_module() {
	sqlite3_module m{};
	m.xCreate = nullptr; // eponymous-only
	m.xConnect = [](sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char** err) {
		return connect_table(db, aux, Impl::table(), out, err);
	};
	m.xDisconnect = disconnect_table;
	m.xDestroy = disconnect_table;
	m.xBestIndex = Impl::x_best_index;
	m.xOpen = Impl::x_open;
	m.xClose = Impl::x_close;
	m.xFilter = Impl::x_filter;
	m.xNext = Impl::x_next;
	m.xEof = Impl::x_eof;
	m.xColumn = Impl::x_column;
	m.xRowid = Impl::x_rowid;
	return m;
}

} // namespace procsql
