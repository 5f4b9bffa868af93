// The virtual table shared by every event table (process_events,
// clone_events, process_exits, exec_failures): what every table shares (vtab_base.h), read
// from one EventStore with the pushdown of event_scan.h. A table supplies
// Traits:
//
//   using Row = ...;  static constexpr size_t kStrings;
//   static const TableDef& table();
//   static constexpr EventColumns kPushable;
//   static const StringUse* string_uses(size_t* count);  // which columns read which string
//   static const EventStore<Row, kStrings>& store(const Collector&);
//   static void column(const ColumnContext<Row, kStrings>&, sqlite3_context*, int column);
#pragma once

#include <array>
#include <cstring>
#include <new>
#include <string>

#include "collector.h"
#include "event_scan.h"
#include "schema.h"
#include "sql_result.h"
#include "tables.h"
#include "vtab_base.h"

namespace procsql {

// A stored string and the columns that read it. The scan copies only the
// strings whose columns the query uses (listed after " read=" in idxStr).
struct StringUse {
	size_t string;
	const char* name;
	int columns[2]; // -1: none
};

template <class Row, size_t N>
struct ColumnContext {
	uint64_t eid;
	const Row& row;
	const std::array<std::string, N>& strings;
	std::string& scratch; // a buffer reused from row to row
};

template <class Traits>
class EventTable {
public:
	using Row = typename Traits::Row;
	static constexpr size_t N = Traits::kStrings;
	using Scan = EventScan<Row, N>;

	static const sqlite3_module& module() {
		static const sqlite3_module m = make_table_module<EventTable>();
		return m;
	}
	static const TableDef& table() { return Traits::table(); }

	// The callbacks (public for make_table_module, which runs each one
	// guarded: an exception becomes an SQLite error there).
	struct Cursor {
		sqlite3_vtab_cursor base;
		const EventStore<Row, N>* store = nullptr;
		Scan scan;
		std::array<std::string, N> strings;
		std::string scratch;
		bool drained = false; // read-your-writes once per cursor, not per xFilter
	};

	static int x_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
		const auto& ring = Traits::store(collector_of(vtab)).ring();
		std::string read;
		size_t count = 0;
		const StringUse* uses = Traits::string_uses(&count);
		for (size_t i = 0; i < count; i++) {
			bool used = false;
			for (int c : uses[i].columns) {
				used = used || (c >= 0 && (info->colUsed & (sqlite3_uint64(1) << c)));
			}
			if (used) {
				read += read.empty() ? " read=" : ",";
				read += uses[i].name;
			}
		}
		return plan_event_scan(info, Traits::kPushable, ring.next_eid() - ring.first_eid(), read);
	}

	static int x_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
		auto* c = new (std::nothrow) Cursor();
		if (!c) {
			return SQLITE_NOMEM;
		}
		c->store = &Traits::store(collector_of(vtab));
		*out = &c->base;
		return SQLITE_OK;
	}

	static int x_close(sqlite3_vtab_cursor* cur) {
		delete reinterpret_cast<Cursor*>(cur);
		return SQLITE_OK;
	}

	static int x_filter(sqlite3_vtab_cursor* cur, int, const char* idx_str, int argc, sqlite3_value** argv) {
		auto* c = reinterpret_cast<Cursor*>(cur);
		// Read-your-writes: what the kernel has delivered is in the stores
		// first. Once per cursor: the inner table of a nested-loop join
		// is filtered once per outer row, and each drain costs a lock (and
		// on audit a wait of up to its bound).
		if (!c->drained) {
			std::string error;
			if (!collector_of(cur->pVtab).drain(&error)) {
				set_vtab_error(cur->pVtab, error.c_str());
				return SQLITE_ERROR;
			}
			c->drained = true;
			// Attached, the drain may have followed procsqld to new stores.
			c->store = &Traits::store(collector_of(cur->pVtab));
		}
		// The strings x_best_index listed after " read=", matched as whole
		// names ("path" is part of "parent_path").
		const char* read = idx_str ? std::strstr(idx_str, " read=") : nullptr;
		const std::string list = read ? std::string(",") + (read + 6) + "," : std::string();
		typename Scan::Wanted wanted{};
		size_t count = 0;
		const StringUse* uses = Traits::string_uses(&count);
		for (size_t i = 0; i < count; i++) {
			const bool want = list.find(std::string(",") + uses[i].name + ",") != std::string::npos;
			wanted[uses[i].string] = want ? &c->strings[uses[i].string] : nullptr;
		}
		ScanFilter filter;
		const int rc = scan_filter_from_args(idx_str, argc, argv, &filter);
		if (rc != SQLITE_OK) {
			return rc;
		}
		c->scan.begin(*c->store, filter, wanted);
		return SQLITE_OK;
	}

	static int x_next(sqlite3_vtab_cursor* cur) {
		reinterpret_cast<Cursor*>(cur)->scan.next();
		return SQLITE_OK;
	}

	static int x_eof(sqlite3_vtab_cursor* cur) { return reinterpret_cast<Cursor*>(cur)->scan.eof(); }

	static int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
		auto* c = reinterpret_cast<Cursor*>(cur);
		Traits::column(ColumnContext<Row, N>{c->scan.eid(), c->scan.row(), c->strings, c->scratch}, ctx, column);
		return SQLITE_OK;
	}

	static int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) {
		*rowid = sqlite3_int64(reinterpret_cast<Cursor*>(cur)->scan.eid());
		return SQLITE_OK;
	}
};

} // namespace procsql
