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
//   static void column(const ColumnContext<Row, kStrings>&, ColumnOut&, int column);
//   static constexpr TextColumns kPlainText;  // columns whose text, when not
//                                             // NULL, is their string's bytes
//                                             // (NULs as spaces, UTF-8 repaired)
//
// Text filters (text_filter.h) are tested here, on the text the table's own
// column function gives, so a filter sees exactly what SQLite would.
#pragma once

#include <array>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "collector.h"
#include "event_scan.h"
#include "schema.h"
#include "sql_result.h"
#include "tables.h"
#include "text_filter.h"
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
		std::vector<TextFilter> text_filters;
		std::string text; // a filtered column's text, reused from row to row
		bool drained = false; // read-your-writes once per cursor, not per xFilter
	};

	// The TEXT columns of the table's schema, where text filters may go.
	static TextColumns text_columns() {
		static const TextColumns mask = [] {
			TextColumns m = 0;
			const TableDef& t = Traits::table();
			for (size_t i = 0; i < t.column_count && i < 64; i++) {
				if (t.columns[i].type == ColumnType::text) m |= TextColumns(1) << i;
			}
			return m;
		}();
		return mask;
	}

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
		return plan_event_scan(info, Traits::kPushable, text_columns(), ring.next_eid() - ring.first_eid(), read);
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
		std::vector<TextFilter> filters;
		const int trc = text_filters_from_args(idx_str, argc, argv, db_of(cur->pVtab), &filters);
		if (trc != SQLITE_OK) {
			return trc;
		}
		// A LIKE or GLOB on a plain text column also names a literal its
		// string must hold: the scan tests it on the stored bytes first.
		std::vector<typename Scan::LiteralTest> literal_tests;
		for (const TextFilter& f : filters) {
			if (f.literal.empty() || f.keeps_all || f.column < 0 || f.column >= 64 ||
			    !((Traits::kPlainText >> f.column) & 1)) {
				continue;
			}
			for (size_t i = 0; i < count; i++) {
				for (int col : uses[i].columns) {
					if (col == f.column) literal_tests.push_back({uses[i].string, f.literal, f.literal_nocase});
				}
			}
		}
		c->scan.set_literal_tests(std::move(literal_tests));
		c->text_filters = std::move(filters);
		c->scan.begin(*c->store, filter, wanted);
		skip_filtered(c);
		return SQLITE_OK;
	}

	static int x_next(sqlite3_vtab_cursor* cur) {
		auto* c = reinterpret_cast<Cursor*>(cur);
		c->scan.next();
		skip_filtered(c);
		return SQLITE_OK;
	}

	// Moves past the rows no text filter can keep. (No LIMIT is pushed with
	// a text filter, so the scan's count is not disturbed.)
	static void skip_filtered(Cursor* c) {
		if (c->text_filters.empty()) {
			return;
		}
		while (!c->scan.eof() && !text_filters_keep(c)) {
			c->scan.next();
		}
	}

	static bool text_filters_keep(Cursor* c) {
		for (const TextFilter& f : c->text_filters) {
			ColumnOut out(&c->text);
			Traits::column(ColumnContext<Row, N>{c->scan.eid(), c->scan.row(), c->strings, c->scratch}, out,
			               f.column);
			if (!f.may_match(out.captured(), out.captured_size())) {
				return false;
			}
		}
		return true;
	}

	static int x_eof(sqlite3_vtab_cursor* cur) { return reinterpret_cast<Cursor*>(cur)->scan.eof(); }

	static int x_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
		auto* c = reinterpret_cast<Cursor*>(cur);
		ColumnOut out(ctx);
		Traits::column(ColumnContext<Row, N>{c->scan.eid(), c->scan.row(), c->strings, c->scratch}, out, column);
		return SQLITE_OK;
	}

	static int x_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* rowid) {
		*rowid = sqlite3_int64(reinterpret_cast<Cursor*>(cur)->scan.eid());
		return SQLITE_OK;
	}
};

} // namespace procsql
