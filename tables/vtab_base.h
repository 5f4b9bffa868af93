// What every procsql virtual table shares: eponymous-only (no CREATE VIRTUAL
// TABLE), SQLITE_VTAB_DIRECTONLY (the tables expose every command line on the
// host, so a view or trigger planted in a database file may not reach them:
// SQLite's csv.c reasoning), and a share of the collector from the module's
// client data. A table implementation supplies the scan callbacks.
#pragma once

#include <exception>
#include <new>

#include "schema.h"
#include "sqlite_api.h"
#include "tables.h"

namespace procsql {

struct CollectorVtab {
	sqlite3_vtab base;
	CollectorRef collector;
	sqlite3* db = nullptr; // the connection (its limits bound what a scan may pre-filter)
};

int connect_table(sqlite3* db, void* aux, const TableDef& table, sqlite3_vtab** out, char** err);
int disconnect_table(sqlite3_vtab* vtab);

inline Collector& collector_of(sqlite3_vtab* vtab) { return *reinterpret_cast<CollectorVtab*>(vtab)->collector; }
inline sqlite3* db_of(sqlite3_vtab* vtab) { return reinterpret_cast<CollectorVtab*>(vtab)->db; }

// Sets the table's error message ("procsql: ..."), which SQLite reports.
void set_vtab_error(sqlite3_vtab* vtab, const char* what);

// Runs one callback body so that no exception reaches SQLite (it is C):
// bad_alloc becomes SQLITE_NOMEM, anything else a "procsql:" error.
template <class F>
int guarded(sqlite3_vtab* vtab, F&& body) noexcept {
	try {
		return body();
	} catch (const std::bad_alloc&) {
		return SQLITE_NOMEM;
	} catch (const std::exception& e) {
		set_vtab_error(vtab, e.what());
	} catch (...) {
		set_vtab_error(vtab, "unexpected error");
	}
	return SQLITE_ERROR;
}

// The same for xColumn, whose errors go to the result.
template <class F>
int guarded_column(sqlite3_context* ctx, F&& body) noexcept {
	try {
		body();
	} catch (const std::bad_alloc&) {
		sqlite3_result_error_nomem(ctx);
	} catch (const std::exception& e) {
		sqlite3_result_error(ctx, e.what(), -1);
	} catch (...) {
		sqlite3_result_error(ctx, "procsql: unexpected error", -1);
	}
	return SQLITE_OK;
}

// Impl: static table(), x_best_index, x_open, x_close, x_filter, x_next,
// x_eof, x_column, x_rowid. Every callback runs guarded.
template <class Impl>
sqlite3_module make_table_module() {
	sqlite3_module m{};
	m.xCreate = nullptr; // eponymous-only
	m.xConnect = [](sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char** err) {
		try {
			return connect_table(db, aux, Impl::table(), out, err);
		} catch (...) {
			return SQLITE_NOMEM; // nothing else can throw there: an allocation
		}
	};
	m.xDisconnect = disconnect_table;
	m.xDestroy = disconnect_table;
	m.xBestIndex = [](sqlite3_vtab* v, sqlite3_index_info* info) {
		return guarded(v, [&] { return Impl::x_best_index(v, info); });
	};
	m.xOpen = [](sqlite3_vtab* v, sqlite3_vtab_cursor** out) {
		return guarded(v, [&] { return Impl::x_open(v, out); });
	};
	m.xClose = Impl::x_close;
	m.xFilter = [](sqlite3_vtab_cursor* cur, int num, const char* str, int argc, sqlite3_value** argv) {
		return guarded(cur->pVtab, [&] { return Impl::x_filter(cur, num, str, argc, argv); });
	};
	m.xNext = [](sqlite3_vtab_cursor* cur) { return guarded(cur->pVtab, [&] { return Impl::x_next(cur); }); };
	m.xEof = Impl::x_eof;
	m.xColumn = [](sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
		return guarded_column(ctx, [&] { Impl::x_column(cur, ctx, column); });
	};
	m.xRowid = Impl::x_rowid;
	return m;
}

} // namespace procsql
