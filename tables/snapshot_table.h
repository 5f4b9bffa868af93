// The virtual table shared by the tables that show a snapshot taken when a
// scan starts (processes, container_map, procsql_stats): what every table
// shares (vtab_base.h), no pushdown (the snapshot is taken whole). Traits:
//
//   using Row = ...;
//   static const TableDef& table();
//   static bool fill(Collector&, std::vector<Row>*, std::string* error);
//   static void column(const Row&, sqlite3_context*, int column);
//
// An error from fill() reaches the user as the query's error message.
#pragma once

#include <new>
#include <string>
#include <vector>

#include "collector.h"
#include "schema.h"
#include "sql_result.h"
#include "tables.h"
#include "vtab_base.h"

namespace procsql {

template <class Traits>
class SnapshotTable {
public:
	using Row = typename Traits::Row;

	static const sqlite3_module& module() {
		static const sqlite3_module m = make_table_module<SnapshotTable>();
		return m;
	}
	static const TableDef& table() { return Traits::table(); }

	// The callbacks (public for make_table_module, which runs each one
	// guarded: an exception becomes an SQLite error there).
	struct Cursor {
		sqlite3_vtab_cursor base;
		std::vector<Row> rows;
		size_t at = 0;
		bool filled = false;
	};

	static int x_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
		info->estimatedCost = 1000;
		info->estimatedRows = 1000;
		return SQLITE_OK;
	}

	static int x_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
		auto* c = new (std::nothrow) Cursor();
		if (!c) {
			return SQLITE_NOMEM;
		}
		*out = &c->base;
		return SQLITE_OK;
	}

	static int x_close(sqlite3_vtab_cursor* cur) {
		delete reinterpret_cast<Cursor*>(cur);
		return SQLITE_OK;
	}

	static int x_filter(sqlite3_vtab_cursor* cur, int, const char*, int, sqlite3_value**) {
		auto* c = reinterpret_cast<Cursor*>(cur);
		auto* vtab = reinterpret_cast<CollectorVtab*>(cur->pVtab);
		// One snapshot per cursor: a join that filters this table once
		// per outer row sees the same rows each time, taken once.
		c->at = 0;
		if (c->filled) {
			return SQLITE_OK;
		}
		// What the kernel delivered is applied first (cgroups, counters).
		std::string error;
		if (!vtab->collector->drain(&error) || !Traits::fill(*vtab->collector, &c->rows, &error)) {
			c->rows.clear();
			set_vtab_error(&vtab->base, error.c_str());
			return SQLITE_ERROR;
		}
		c->filled = true;
		return SQLITE_OK;
	}

	static int x_next(sqlite3_vtab_cursor* cur) {
		reinterpret_cast<Cursor*>(cur)->at++;
		return SQLITE_OK;
	}

	static int x_eof(sqlite3_vtab_cursor* cur) {
		auto* c = reinterpret_cast<Cursor*>(cur);
		return c->at >= c->rows.size();
	}

	static int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
		auto* c = reinterpret_cast<Cursor*>(cur);
		Traits::column(c->rows[c->at], ctx, column);
		return SQLITE_OK;
	}

	static int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) {
		*rowid = sqlite3_int64(reinterpret_cast<Cursor*>(cur)->at + 1);
		return SQLITE_OK;
	}
};

} // namespace procsql
