#include "event_scan.h"

#include "text_filter.h"

#include <cmath>
#include <cstring>

namespace procsql {

namespace {

constexpr int kEidLower = kPlanEidEq | kPlanEidGt | kPlanEidGe;
constexpr int kEidUpper = kPlanEidLt | kPlanEidLe;

// sqlite3_vtab_in and the LIMIT/OFFSET constraints arrived in 3.38. The
// loadable module may run in an older host, whose API table has no
// sqlite3_vtab_in: never call it there.
bool host_has_3_38() { return sqlite3_libversion_number() >= 3038000; }

const char* op_text(unsigned char op) {
	switch (op) {
	case SQLITE_INDEX_CONSTRAINT_EQ: return "=";
	case SQLITE_INDEX_CONSTRAINT_GT: return ">";
	case SQLITE_INDEX_CONSTRAINT_GE: return ">=";
	case SQLITE_INDEX_CONSTRAINT_LT: return "<";
	case SQLITE_INDEX_CONSTRAINT_LE: return "<=";
	}
	return nullptr;
}

int eid_bit(unsigned char op) {
	switch (op) {
	case SQLITE_INDEX_CONSTRAINT_EQ: return kPlanEidEq;
	case SQLITE_INDEX_CONSTRAINT_GT: return kPlanEidGt;
	case SQLITE_INDEX_CONSTRAINT_GE: return kPlanEidGe;
	case SQLITE_INDEX_CONSTRAINT_LT: return kPlanEidLt;
	case SQLITE_INDEX_CONSTRAINT_LE: return kPlanEidLe;
	}
	return 0;
}

// An inclusive integer range [lo, hi]; `empty` when nothing can match.
struct IntRange {
	int64_t lo = INT64_MIN;
	int64_t hi = INT64_MAX;
	bool empty = false;
	void at_least(int64_t v) { lo = std::max(lo, v); }
	void at_most(int64_t v) { hi = std::min(hi, v); }
};

// Narrows `r` by "column <op> value" for an INTEGER column, as SQLite would
// compare: numeric affinity first ('7' is 7, 'abc' stays text), text and blobs
// sort after every number, NULL (and NaN) matches nothing.
void narrow(const std::string& op, sqlite3_value* value, IntRange* r) {
	const int type = sqlite3_value_numeric_type(value);
	if (type == SQLITE_NULL) {
		r->empty = true;
		return;
	}
	if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
		if (op == "=" || op == ">" || op == ">=") {
			r->empty = true;
		}
		return;
	}
	if (type == SQLITE_INTEGER) {
		const int64_t i = sqlite3_value_int64(value);
		if (op == "=") {
			r->at_least(i);
			r->at_most(i);
		} else if (op == ">") {
			i == INT64_MAX ? void(r->empty = true) : r->at_least(i + 1);
		} else if (op == ">=") {
			r->at_least(i);
		} else if (op == "<") {
			i == INT64_MIN ? void(r->empty = true) : r->at_most(i - 1);
		} else if (op == "<=") {
			r->at_most(i);
		}
		return;
	}
	const double d = sqlite3_value_double(value);
	if (std::isnan(d)) {
		r->empty = true;
		return;
	}
	constexpr double kTwo63 = 9223372036854775808.0;
	// The integer bound a real comparison means, saturated to int64.
	auto to_int = [](double x) -> int64_t {
		if (x >= kTwo63) return INT64_MAX;
		if (x < -kTwo63) return INT64_MIN;
		return int64_t(x);
	};
	if (op == "=") {
		if (std::floor(d) != d || d >= kTwo63 || d < -kTwo63) {
			r->empty = true;
			return;
		}
		r->at_least(int64_t(d));
		r->at_most(int64_t(d));
	} else if (op == ">") {
		if (d >= kTwo63 - 1) {
			r->empty = true;
		} else {
			r->at_least(to_int(std::floor(d)) + (d < -kTwo63 ? 0 : 1));
		}
	} else if (op == ">=") {
		if (d > kTwo63 - 1) r->empty = true;
		else r->at_least(to_int(std::ceil(d)));
	} else if (op == "<") {
		if (d <= -kTwo63) r->empty = true;
		else r->at_most(to_int(std::ceil(d)) - (d >= kTwo63 ? 0 : 1));
	} else if (op == "<=") {
		if (d < -kTwo63) r->empty = true;
		else r->at_most(to_int(std::floor(d)));
	}
}

// The integer a value names for `pid = value`, if any.
bool exact_integer(sqlite3_value* value, int64_t* out) {
	IntRange r;
	narrow("=", value, &r);
	if (r.empty || r.lo != r.hi) {
		return false;
	}
	*out = r.lo;
	return true;
}

int64_t saturating_mul_add(int64_t seconds, int64_t add) {
	constexpr int64_t kNs = 1000000000;
	if (seconds >= INT64_MAX / kNs) return INT64_MAX;
	if (seconds <= INT64_MIN / kNs) return INT64_MIN;
	const int64_t ns = seconds * kNs;
	return ns > INT64_MAX - add ? INT64_MAX : ns + add;
}

void keep_pids(ScanFilter* f, std::vector<int64_t> pids) {
	std::sort(pids.begin(), pids.end());
	pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
	if (f->has_pids) {
		std::vector<int64_t> both;
		std::set_intersection(f->pids.begin(), f->pids.end(), pids.begin(), pids.end(), std::back_inserter(both));
		pids.swap(both);
	}
	f->has_pids = true;
	f->pids.swap(pids);
	if (f->pids.empty()) {
		f->empty = true;
	}
}

} // namespace

int plan_event_scan(sqlite3_index_info* info, const EventColumns& columns, TextColumns text_columns,
                    uint64_t retained_rows, const std::string& idx_suffix) {
	struct Pushed {
		int constraint;
		std::string token;
		bool omit = true; // false: a pre-filter SQLite checks again
	};
	int text_terms = 0;
	std::vector<Pushed> pushed;
	int bits = 0;
	bool every_term_pushed = true;
	int limit_index = -1, offset_index = -1;
	const bool v338 = host_has_3_38();

	for (int i = 0; i < info->nConstraint; i++) {
		const auto& c = info->aConstraint[i];
		if (v338 && c.op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
			limit_index = i;
			continue;
		}
		if (v338 && c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
			offset_index = i;
			continue;
		}
		if (c.usable && c.iColumn >= 0 && c.iColumn < 64 && ((text_columns >> c.iColumn) & 1) &&
		    text_constraint_pushable(info, i)) {
			// A pre-filter: SQLite still checks the term, so LIMIT stays its.
			const bool in_list = c.op == SQLITE_INDEX_CONSTRAINT_EQ && v338 && sqlite3_vtab_in(info, i, -1);
			if (in_list) sqlite3_vtab_in(info, i, 1);
			bits |= kPlanText;
			text_terms++;
			pushed.push_back({i, text_token(c.iColumn, c.op, in_list), false});
			every_term_pushed = false;
			continue;
		}
		const char* op = op_text(c.op);
		if (!c.usable || !op) {
			every_term_pushed = false;
			continue;
		}
		if (c.iColumn == columns.eid || c.iColumn == -1) {
			const int bit = eid_bit(c.op);
			// "=" takes both sides; otherwise one lower and one upper bound.
			const int taken = bit == kPlanEidEq ? (kEidLower | kEidUpper)
			                  : (bit & kEidLower) ? (kEidLower | kPlanEidEq)
			                                      : (kEidUpper | kPlanEidEq);
			if (bits & taken) {
				every_term_pushed = false;
				continue;
			}
			bits |= bit;
			pushed.push_back({i, std::string("eid") + op});
		} else if (c.iColumn >= 0 && c.iColumn == columns.time_ns) {
			bits |= kPlanTimeNs;
			pushed.push_back({i, std::string("time_ns") + op});
		} else if (c.iColumn >= 0 && c.iColumn == columns.time) {
			bits |= kPlanTime;
			pushed.push_back({i, std::string("time") + op});
		} else if (c.iColumn >= 0 && c.iColumn == columns.pid && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
			// An IN list comes as "=": take it whole when the host can hand it over.
			if (v338 && sqlite3_vtab_in(info, i, -1)) {
				sqlite3_vtab_in(info, i, 1);
				bits |= kPlanPidIn;
				pushed.push_back({i, "pid IN"});
			} else {
				bits |= kPlanPidEq;
				pushed.push_back({i, "pid="});
			}
		} else {
			every_term_pushed = false;
		}
	}

	bool order_ok = info->nOrderBy == 0;
	if (info->nOrderBy == 1 && !info->aOrderBy[0].desc &&
	    (info->aOrderBy[0].iColumn == columns.eid || info->aOrderBy[0].iColumn == -1)) {
		info->orderByConsumed = 1; // the scan walks eids upwards
		order_ok = true;
	}
	if (every_term_pushed && order_ok && limit_index >= 0) {
		bits |= kPlanLimit;
		pushed.push_back({limit_index, "limit"});
		if (offset_index >= 0) {
			bits |= kPlanOffset;
			pushed.push_back({offset_index, "offset"});
		}
	}

	std::string idx_str;
	int arg = 0;
	for (const Pushed& p : pushed) {
		info->aConstraintUsage[p.constraint].argvIndex = ++arg;
		info->aConstraintUsage[p.constraint].omit = p.omit ? 1 : 0;
		if (!idx_str.empty()) idx_str += ",";
		idx_str += p.token;
	}
	idx_str += idx_suffix;
	info->idxNum = bits;
	info->idxStr = sqlite3_mprintf("%s", idx_str.c_str());
	if (!info->idxStr) {
		return SQLITE_NOMEM;
	}
	info->needToFreeIdxStr = 1;

	// Costs: a unique lookup, then each pushed kind of term narrows the guess.
	double rows = double(retained_rows ? retained_rows : 1);
	if (bits & kPlanEidEq) {
		rows = 1;
		info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
	} else {
		if (bits & kEidLower) rows /= 4;
		if (bits & kEidUpper) rows /= 4;
		if (bits & (kPlanTime | kPlanTimeNs)) rows /= 4;
		if (bits & (kPlanPidEq | kPlanPidIn)) rows /= 64;
		for (int t = 0; t < text_terms; t++) rows /= 8;
	}
	info->estimatedRows = sqlite3_int64(rows) + 1;
	info->estimatedCost = rows + 1;
	return SQLITE_OK;
}

std::vector<std::string> pushed_terms(const char* idx_str) {
	std::vector<std::string> out;
	// The terms end where " read=" begins.
	std::string terms = idx_str ? idx_str : "";
	const size_t read = terms.find(" read=");
	if (read != std::string::npos) {
		terms.resize(read);
	}
	size_t pos = 0;
	while (pos < terms.size()) {
		size_t comma = terms.find(',', pos);
		if (comma == std::string::npos) comma = terms.size();
		out.push_back(terms.substr(pos, comma - pos));
		pos = comma + 1;
	}
	return out;
}

int text_filters_from_args(const char* idx_str, int argc, sqlite3_value** argv, sqlite3* db,
                           std::vector<TextFilter>* out) {
	const std::vector<std::string> terms = pushed_terms(idx_str);
	for (size_t i = 0; i < terms.size() && i < size_t(argc); i++) {
		TextFilter f;
		int rc = SQLITE_OK;
		if (text_filter_from_arg(terms[i], argv[i], db, &f, &rc)) {
			if (rc != SQLITE_OK) return rc;
			out->push_back(std::move(f));
		}
	}
	return SQLITE_OK;
}

int scan_filter_from_args(const char* idx_str, int argc, sqlite3_value** argv, ScanFilter* out) {
	ScanFilter f;
	IntRange eid, time_ns;
	const std::vector<std::string> terms = pushed_terms(idx_str);
	for (size_t i = 0; i < terms.size() && i < size_t(argc); i++) {
		const std::string& token = terms[i];
		sqlite3_value* v = argv[i];
		if (token == "limit") {
			f.limit = sqlite3_value_int64(v);
		} else if (token == "offset") {
			f.offset = std::max<int64_t>(0, sqlite3_value_int64(v));
		} else if (token == "pid=") {
			int64_t pid;
			if (exact_integer(v, &pid)) keep_pids(&f, {pid});
			else f.empty = true;
		} else if (token == "pid IN") {
			std::vector<int64_t> pids;
			sqlite3_value* item = nullptr;
			int rc = sqlite3_vtab_in_first(v, &item);
			for (; rc == SQLITE_OK && item; rc = sqlite3_vtab_in_next(v, &item)) {
				int64_t pid;
				if (exact_integer(item, &pid)) pids.push_back(pid);
			}
			if (rc != SQLITE_OK && rc != SQLITE_DONE) {
				return rc;
			}
			keep_pids(&f, std::move(pids));
		} else if (token.compare(0, 7, "time_ns") == 0) {
			f.has_time = true;
			narrow(token.substr(7), v, &time_ns);
		} else if (token.compare(0, 4, "time") == 0) {
			// time = time_ns / 1e9 rounded down: seconds [lo, hi] are the
			// nanoseconds [lo * 1e9, hi * 1e9 + 999999999].
			f.has_time = true;
			IntRange seconds;
			narrow(token.substr(4), v, &seconds);
			time_ns.empty = time_ns.empty || seconds.empty;
			time_ns.at_least(saturating_mul_add(seconds.lo, 0));
			time_ns.at_most(saturating_mul_add(seconds.hi, 999999999));
		} else if (token.compare(0, 3, "eid") == 0) {
			narrow(token.substr(3), v, &eid);
		}
	}
	if (eid.empty || eid.hi < 1 || eid.lo > eid.hi) {
		f.empty = true;
	} else {
		f.eid_lo = uint64_t(std::max<int64_t>(eid.lo, 1));
		f.eid_hi = eid.hi == INT64_MAX ? UINT64_MAX : uint64_t(eid.hi) + 1;
	}
	if (time_ns.empty || time_ns.lo > time_ns.hi) {
		f.empty = true;
	}
	f.time_lo = time_ns.lo;
	f.time_hi = time_ns.hi;
	*out = std::move(f);
	return SQLITE_OK;
}

} // namespace procsql
