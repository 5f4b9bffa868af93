// procsql_stats(name, value): the collector's settings and counters, taken as
// one snapshot when a scan starts.
#include <new>
#include <vector>

#include "collector.h"
#include "schema.h"
#include "tables.h"

namespace procsql {

namespace {

namespace col = procsql_stats_col;

struct Vtab {
	sqlite3_vtab base;
	CollectorRef collector;
};

struct Cursor {
	sqlite3_vtab_cursor base;
	std::vector<StatRow> rows;
	size_t at = 0;
};

int x_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char** err) {
	const int rc = sqlite3_declare_vtab(db, declare_sql(procsql_stats_table()).c_str());
	if (rc != SQLITE_OK) {
		*err = sqlite3_mprintf("procsql: cannot declare procsql_stats: %s", sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	auto* v = new (std::nothrow) Vtab();
	if (!v) {
		return SQLITE_NOMEM;
	}
	v->collector = *static_cast<CollectorRef*>(aux);
	*out = &v->base;
	return SQLITE_OK;
}

int x_disconnect(sqlite3_vtab* vtab) {
	delete reinterpret_cast<Vtab*>(vtab);
	return SQLITE_OK;
}

int x_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
	info->estimatedCost = 50;
	info->estimatedRows = 50;
	return SQLITE_OK;
}

int x_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
	auto* c = new (std::nothrow) Cursor();
	if (!c) {
		return SQLITE_NOMEM;
	}
	*out = &c->base;
	return SQLITE_OK;
}

int x_close(sqlite3_vtab_cursor* cur) {
	delete reinterpret_cast<Cursor*>(cur);
	return SQLITE_OK;
}

int x_filter(sqlite3_vtab_cursor* cur, int, const char*, int, sqlite3_value**) {
	auto* c = reinterpret_cast<Cursor*>(cur);
	auto* vtab = reinterpret_cast<Vtab*>(cur->pVtab);
	try {
		// Counters include everything the kernel has delivered so far.
		vtab->collector->drain();
		c->rows = vtab->collector->stats();
	} catch (const std::bad_alloc&) {
		return SQLITE_NOMEM;
	}
	c->at = 0;
	return SQLITE_OK;
}

int x_next(sqlite3_vtab_cursor* cur) {
	reinterpret_cast<Cursor*>(cur)->at++;
	return SQLITE_OK;
}

int x_eof(sqlite3_vtab_cursor* cur) {
	auto* c = reinterpret_cast<Cursor*>(cur);
	return c->at >= c->rows.size();
}

int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
	const StatRow& row = reinterpret_cast<Cursor*>(cur)->rows[reinterpret_cast<Cursor*>(cur)->at];
	if (column == col::name) {
		sqlite3_result_text(ctx, row.name.c_str(), int(row.name.size()), SQLITE_TRANSIENT);
	} else if (row.is_text) {
		sqlite3_result_text(ctx, row.text.c_str(), int(row.text.size()), SQLITE_TRANSIENT);
	} else {
		sqlite3_result_int64(ctx, row.integer);
	}
	return SQLITE_OK;
}

int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) {
	*rowid = sqlite3_int64(reinterpret_cast<Cursor*>(cur)->at + 1);
	return SQLITE_OK;
}

sqlite3_module make_module() {
	sqlite3_module m{};
	m.xCreate = nullptr; // eponymous-only
	m.xConnect = x_connect;
	m.xBestIndex = x_best_index;
	m.xDisconnect = x_disconnect;
	m.xDestroy = x_disconnect;
	m.xOpen = x_open;
	m.xClose = x_close;
	m.xFilter = x_filter;
	m.xNext = x_next;
	m.xEof = x_eof;
	m.xColumn = x_column;
	m.xRowid = x_rowid;
	return m;
}

} // namespace

const sqlite3_module& procsql_stats_module() {
	static const sqlite3_module module = make_module();
	return module;
}

} // namespace procsql
