#include "vtab_util.h"

#include <cmath>
#include <vector>

namespace procsql {

namespace {

struct PushedBit {
	int bit;
	const char* text;
};
// The order of xFilter arguments and of idxStr.
const PushedBit kBits[] = {{kPlanEidEq, "eid="}, {kPlanEidGt, "eid>"},    {kPlanEidGe, "eid>="},
                           {kPlanEidLt, "eid<"}, {kPlanEidLe, "eid<="},   {kPlanLimit, "limit"},
                           {kPlanOffset, "offset"}};

int bit_for_op(unsigned char op) {
	switch (op) {
	case SQLITE_INDEX_CONSTRAINT_EQ: return kPlanEidEq;
	case SQLITE_INDEX_CONSTRAINT_GT: return kPlanEidGt;
	case SQLITE_INDEX_CONSTRAINT_GE: return kPlanEidGe;
	case SQLITE_INDEX_CONSTRAINT_LT: return kPlanEidLt;
	case SQLITE_INDEX_CONSTRAINT_LE: return kPlanEidLe;
	}
	return 0;
}

constexpr int kLowerBits = kPlanEidEq | kPlanEidGt | kPlanEidGe;
constexpr int kUpperBits = kPlanEidLt | kPlanEidLe;

// eids are >= 1 and < 2^63; clamp doubles into that before converting.
uint64_t clamp_to_eid(double d) {
	if (!(d > 0)) { // also NaN
		return 0;
	}
	if (d >= 9223372036854775807.0) {
		return uint64_t(INT64_MAX);
	}
	return uint64_t(d);
}

void lower_at_least(EidRange* r, uint64_t v) {
	if (v > r->lo) r->lo = v;
}
void upper_below(EidRange* r, uint64_t v) {
	if (v < r->hi) r->hi = v;
}

// Narrows `r` by "eid <op> value".
void apply_bound(int bit, sqlite3_value* value, EidRange* r) {
	// Numeric affinity, as SQLite applies it when comparing with an INTEGER
	// column: '7' compares as 7, 'abc' stays text.
	switch (sqlite3_value_numeric_type(value)) {
	case SQLITE_NULL:
		r->empty = true; // any comparison with NULL is not true
		return;
	case SQLITE_INTEGER: {
		const int64_t i = sqlite3_value_int64(value);
		const uint64_t at = i < 0 ? 0 : uint64_t(i);
		const uint64_t after = i < 0 ? 0 : at + 1; // i <= INT64_MAX, no overflow
		switch (bit) {
		case kPlanEidEq: lower_at_least(r, at); upper_below(r, after); break;
		case kPlanEidGt: lower_at_least(r, after); break;
		case kPlanEidGe: lower_at_least(r, at); break;
		case kPlanEidLt: upper_below(r, at); break;
		case kPlanEidLe: upper_below(r, after); break;
		}
		return;
	}
	case SQLITE_FLOAT: {
		const double d = sqlite3_value_double(value);
		switch (bit) {
		case kPlanEidEq:
			if (std::floor(d) != d) {
				r->empty = true;
				return;
			}
			lower_at_least(r, clamp_to_eid(d));
			upper_below(r, clamp_to_eid(d) + 1);
			break;
		case kPlanEidGt: lower_at_least(r, clamp_to_eid(std::floor(d)) + (d >= 0 ? 1 : 0)); break;
		case kPlanEidGe: lower_at_least(r, clamp_to_eid(std::ceil(d))); break;
		case kPlanEidLt: upper_below(r, clamp_to_eid(std::ceil(d))); break;
		case kPlanEidLe: upper_below(r, d < 0 ? 0 : clamp_to_eid(std::floor(d)) + 1); break;
		}
		return;
	}
	default:
		// TEXT and BLOB sort after every number: eid is below them all.
		if (bit & kLowerBits) {
			r->empty = true;
		}
		return;
	}
}

} // namespace

int plan_eid_scan(sqlite3_index_info* info, int eid_column, uint64_t retained_rows,
                  const std::string& idx_suffix) {
	int chosen[7];
	for (int& c : chosen) c = -1;
	int pushed = 0;
	bool every_term_pushed = true;
	int limit_index = -1, offset_index = -1;

	for (int i = 0; i < info->nConstraint; i++) {
		const auto& c = info->aConstraint[i];
		if (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
			limit_index = i;
			continue;
		}
		if (c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
			offset_index = i;
			continue;
		}
		const int bit = (c.iColumn == eid_column || c.iColumn == -1) ? bit_for_op(c.op) : 0;
		// "=" takes both sides; otherwise one lower and one upper bound.
		const int taken = bit == kPlanEidEq ? (kLowerBits | kUpperBits)
		                  : (bit & kLowerBits) ? (kLowerBits | kPlanEidEq)
		                                       : (kUpperBits | kPlanEidEq);
		if (!c.usable || !bit || (pushed & taken)) {
			every_term_pushed = false;
			continue;
		}
		pushed |= bit;
		for (int k = 0; k < 5; k++) {
			if (kBits[k].bit == bit) chosen[k] = i;
		}
	}

	bool order_ok = info->nOrderBy == 0;
	if (info->nOrderBy == 1 && !info->aOrderBy[0].desc &&
	    (info->aOrderBy[0].iColumn == eid_column || info->aOrderBy[0].iColumn == -1)) {
		info->orderByConsumed = 1; // the scan walks eids upwards
		order_ok = true;
	}
	if (every_term_pushed && order_ok) {
		if (limit_index >= 0) {
			pushed |= kPlanLimit;
			chosen[5] = limit_index;
		}
		if (offset_index >= 0 && limit_index >= 0) {
			pushed |= kPlanOffset;
			chosen[6] = offset_index;
		}
	}

	std::string idx_str;
	int arg = 0;
	for (int k = 0; k < 7; k++) {
		if (chosen[k] < 0 || !(pushed & kBits[k].bit)) {
			continue;
		}
		info->aConstraintUsage[chosen[k]].argvIndex = ++arg;
		info->aConstraintUsage[chosen[k]].omit = 1;
		if (!idx_str.empty()) idx_str += ",";
		idx_str += kBits[k].text;
	}
	idx_str += idx_suffix;
	info->idxNum = pushed;
	info->idxStr = sqlite3_mprintf("%s", idx_str.c_str());
	info->needToFreeIdxStr = 1;

	// Costs: a unique lookup, a bounded range, a half-open range, a full scan.
	double rows = double(retained_rows ? retained_rows : 1);
	if (pushed & kPlanEidEq) {
		rows = 1;
		info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
	} else if ((pushed & kLowerBits) && (pushed & kUpperBits)) {
		rows = rows / 16 + 1;
	} else if (pushed & (kLowerBits | kUpperBits)) {
		rows = rows / 4 + 1;
	}
	info->estimatedRows = sqlite3_int64(rows);
	info->estimatedCost = rows;
	return SQLITE_OK;
}

EidRange eid_range_from_args(int idx_num, int argc, sqlite3_value** argv) {
	EidRange r;
	int arg = 0;
	for (const PushedBit& b : kBits) {
		if (!(idx_num & b.bit) || arg >= argc) {
			continue;
		}
		sqlite3_value* v = argv[arg++];
		if (b.bit == kPlanLimit) {
			r.limit = sqlite3_value_int64(v);
		} else if (b.bit == kPlanOffset) {
			const int64_t o = sqlite3_value_int64(v);
			r.offset = o > 0 ? o : 0;
		} else {
			apply_bound(b.bit, v, &r);
		}
	}
	if (r.lo >= r.hi) {
		r.empty = true;
	}
	return r;
}

} // namespace procsql
