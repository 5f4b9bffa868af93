// Pushdown shared by the event tables, and the scan that applies it.
//
// What xBestIndex can push (each an xFilter argument, in the order of idxStr):
//   eid      =  >  >=  <  <=   at most one lower (=, >, >=) and one upper bound;
//                              "=" is SQLITE_INDEX_SCAN_UNIQUE
//   time_ns  =  >  >=  <  <=   any number of them
//   time     =  >  >=  <  <=   any number (seconds, turned into a time_ns range)
//   pid      =  IN (...)       IN as one set (sqlite3_vtab_in, SQLite >= 3.38)
//   text   LIKE GLOB = IN      on the table's TEXT columns, as pre-filters
//                              SQLite checks again (text_filter.h), tested
//                              by the table's cursor (event_table.h)
//   LIMIT, OFFSET              only when every WHERE term is pushed (and
//                              none is left for SQLite to check again) and
//                              any ORDER BY is eid ascending (the scan order)
// idxNum is a bitmask of what was pushed, for EXPLAIN QUERY PLAN readers:
//      1 eid=     2 eid>     4 eid>=     8 eid<     16 eid<=
//     32 LIMIT   64 OFFSET  128 time_ns  256 time   512 pid=   1024 pid IN
//   2048 text
// idxStr lists the pushed terms in argument order ("eid>,time>=,pid IN,limit")
// and is what xFilter decodes; after " read=" come the stored strings the
// query uses (the scan copies only those).
//
// Rows are not in time order, so a time range never ends a scan: the store's
// TimeIndex lets the scan skip whole blocks whose times miss the range, and
// each remaining row is checked. Only eid bounds bound the scan itself.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sqlite_api.h"
#include "store/event_store.h"
#include "text_filter.h"
#include "text.h"

namespace procsql {

enum PlanBit : int {
	kPlanEidEq = 1,
	kPlanEidGt = 2,
	kPlanEidGe = 4,
	kPlanEidLt = 8,
	kPlanEidLe = 16,
	kPlanLimit = 32,
	kPlanOffset = 64,
	kPlanTimeNs = 128,
	kPlanTime = 256,
	kPlanPidEq = 512,
	kPlanPidIn = 1024,
	kPlanText = 2048,
};

// The pushable columns of an event table (-1: the table has none).
struct EventColumns {
	int eid;
	int time;
	int time_ns;
	int pid;
};

// Bit N set: column N is TEXT, so text filters may be pushed on it.
using TextColumns = uint64_t;

// What a scan keeps: eid in [eid_lo, eid_hi), time_ns in [time_lo, time_hi],
// pid in `pids` (if has_pids), then OFFSET skipped and LIMIT kept.
struct ScanFilter {
	uint64_t eid_lo = 1;
	uint64_t eid_hi = UINT64_MAX;
	bool has_time = false;
	int64_t time_lo = INT64_MIN;
	int64_t time_hi = INT64_MAX;
	bool has_pids = false;
	std::vector<int64_t> pids; // sorted, unique
	int64_t limit = -1;        // < 0: none
	int64_t offset = 0;
	bool empty = false;

	bool keeps(int64_t time_ns, int64_t pid) const {
		if (has_time && (time_ns < time_lo || time_ns > time_hi)) {
			return false;
		}
		return !has_pids || std::binary_search(pids.begin(), pids.end(), pid);
	}
	bool checks_fixed_fields() const { return has_time || has_pids; }
};

// xBestIndex for an event table.
int plan_event_scan(sqlite3_index_info* info, const EventColumns& columns, TextColumns text_columns,
                    uint64_t retained_rows, const std::string& idx_suffix);

// The pushed terms of an idxStr, in xFilter's argument order (what comes
// before " read=").
std::vector<std::string> pushed_terms(const char* idx_str);

// xFilter: every text filter (text_filter.h) of idxStr and its arguments.
// Returns an SQLite result code (an IN list can fail to read).
int text_filters_from_args(const char* idx_str, int argc, sqlite3_value** argv, sqlite3* db,
                           std::vector<TextFilter>* out);

// xFilter: decodes idxStr and the arguments, with SQLite's comparison rules
// for values that are not integers (3.5, '7', 'abc', NULL). Returns an SQLite
// result code (an IN list can fail to read).
int scan_filter_from_args(const char* idx_str, int argc, sqlite3_value** argv, ScanFilter* out);

// Walks a store's rows that pass a ScanFilter, in eid order. Rows the writer
// overwrites while the scan runs are skipped, never returned torn. Row needs
// time_ns and pid members.
template <class Row, size_t NStrings>
class EventScan {
public:
	using Store = EventStore<Row, NStrings>;
	using Wanted = std::array<std::string*, NStrings>; // null: not copied

	void begin(const Store& store, const ScanFilter& filter, const Wanted& wanted) {
		store_ = &store;
		filter_ = filter;
		wanted_ = wanted;
		any_wanted_ = std::any_of(wanted.begin(), wanted.end(), [](std::string* p) { return p != nullptr; });
		const auto& ring = store.ring();
		// The scan's end is fixed now: rows appended while it runs are for the
		// next query (a cron job's `eid > last` picks them up).
		end_ = std::min(filter.eid_hi, ring.next_eid());
		eid_ = std::max(filter.eid_lo, ring.first_eid());
		remaining_ = filter.limit;
		checked_block_ = UINT64_MAX;
		eof_ = filter.empty || filter.limit == 0;
		if (eof_) {
			return;
		}
		settle();
		for (int64_t skip = filter.offset; skip > 0 && !eof_; skip--) {
			eid_++;
			settle();
		}
		take();
	}

	void next() {
		if (remaining_ == 0) {
			eof_ = true;
			return;
		}
		eid_++;
		settle();
		take();
	}

	// A text filter's literal (text_filter.h) the row's string `string` must
	// hold for the row to be worth reading: rows whose string lacks it are
	// skipped without their slot being copied or their text built. Set
	// before begin().
	struct LiteralTest {
		size_t string;
		std::string literal; // lower case when nocase
		bool nocase;
	};
	void set_literal_tests(std::vector<LiteralTest> tests) { literal_tests_ = std::move(tests); }

	bool eof() const { return eof_; }
	uint64_t eid() const { return eid_; }
	const Row& row() const { return row_; }

private:
	void take() {
		if (!eof_ && remaining_ > 0) {
			remaining_--;
		}
	}

	// Moves eid_ to the next kept row at or after it, or sets eof_.
	void settle() {
		const auto& ring = store_->ring();
		const bool prefilter = filter_.checks_fixed_fields();
		while (eid_ < end_) {
			if (filter_.has_time && TimeIndex::block_of(eid_) != checked_block_) {
				checked_block_ = TimeIndex::block_of(eid_);
				if (!store_->time_index().may_contain(checked_block_, filter_.time_lo, filter_.time_hi)) {
					store_->count_skipped_block();
					eid_ = TimeIndex::first_eid_of(checked_block_ + 1);
					continue;
				}
			}
			if (!literal_tests_.empty() && literal_missing()) {
				eid_++;
				continue;
			}
			// With a filter on fixed fields, read those first and copy strings
			// only for rows that pass.
			ReadStatus st = ring.read(eid_, &row_, prefilter ? none_ : wanted_);
			if (st == ReadStatus::ok && prefilter) {
				if (!filter_.keeps(row_.time_ns, row_.pid)) {
					eid_++;
					continue;
				}
				if (any_wanted_) {
					st = ring.read(eid_, &row_, wanted_);
				}
			}
			switch (st) {
			case ReadStatus::ok:
				return;
			case ReadStatus::gone: {
				const uint64_t first = ring.first_eid();
				eid_ = first > eid_ ? first : eid_ + 1;
				break;
			}
			case ReadStatus::not_yet:
				eid_ = end_;
				break;
			case ReadStatus::corrupt:
				// Never a huge allocation or a torn row: the query fails.
				throw std::runtime_error("the store is corrupt at eid " + std::to_string(eid_) +
				                         " (a row's string lengths exceed what the store can hold)");
			}
		}
		eof_ = true;
	}

	// True when row eid_ is retained and one of its strings lacks its literal.
	bool literal_missing() {
		for (const LiteralTest& t : literal_tests_) {
			size_t len = 0;
			if (store_->ring().peek_string(eid_, t.string, peek_.data(), peek_.size(), &len) &&
			    !text::ascii_contains(peek_.data(), len, t.literal, t.nocase)) {
				return true;
			}
		}
		return false;
	}

	std::vector<LiteralTest> literal_tests_;
	std::array<char, 4096> peek_{};
	const Store* store_ = nullptr;
	ScanFilter filter_;
	Wanted wanted_{};
	const Wanted none_{};
	bool any_wanted_ = false;
	uint64_t eid_ = 0;
	uint64_t end_ = 0;
	int64_t remaining_ = -1;
	uint64_t checked_block_ = UINT64_MAX;
	bool eof_ = true;
	Row row_{};
};

} // namespace procsql
