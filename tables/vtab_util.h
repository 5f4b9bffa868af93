// Pushdown shared by the event tables: eid bounds, LIMIT and OFFSET.
//
// idxNum is a bitmask of the constraints handed to xFilter, in this order of
// xFilter arguments (as SQLite's series.c documents its own):
//     1  eid =      2  eid >      4  eid >=     8  eid <     16  eid <=
//    32  LIMIT     64  OFFSET
// At most one lower bound (=, >, >=) and one upper bound (<, <=) are pushed;
// SQLite checks any other. idxStr spells the same constraints ("eid>,limit"),
// so EXPLAIN QUERY PLAN reads "SCAN t VIRTUAL TABLE INDEX 34:eid>,limit".
// LIMIT and OFFSET are pushed only when every WHERE term is pushed and any
// ORDER BY is eid ascending (the scan order), i.e. when applying them in the
// table gives the same rows as SQLite would.
#pragma once

#include <cstdint>
#include <string>

#include "sqlite_api.h"

namespace procsql {

enum EidPlanBit : int {
	kPlanEidEq = 1,
	kPlanEidGt = 2,
	kPlanEidGe = 4,
	kPlanEidLt = 8,
	kPlanEidLe = 16,
	kPlanLimit = 32,
	kPlanOffset = 64,
};

// The rows a scan visits: eids in [lo, hi), then OFFSET skipped, LIMIT kept.
struct EidRange {
	uint64_t lo = 1;
	uint64_t hi = UINT64_MAX; // exclusive
	int64_t limit = -1;       // < 0: none
	int64_t offset = 0;
	bool empty = false;
};

// xBestIndex: fills the constraint usage, idxNum, idxStr (the constraints,
// then `idx_suffix`), orderByConsumed and costs. `retained_rows` steers the
// planner's cost of a full scan.
int plan_eid_scan(sqlite3_index_info* info, int eid_column, uint64_t retained_rows,
                  const std::string& idx_suffix);

// xFilter: the range idxNum and its arguments describe, with SQLite's own
// comparison rules for non-integer values (3.5, '7', 'abc', NULL).
EidRange eid_range_from_args(int idx_num, int argc, sqlite3_value** argv);

} // namespace procsql
