// SQL over process_events, end to end through SQLite: prepared statements
// stepped to completion and reset, on tables of 10,000, 100,000 and
// 1,000,000 retained rows that the benchmark fills itself (a collector
// without a source, registered on an in-memory database; no kernel needed).
//
// The rows are shaped like real execs (synthetic_rows.h): ~25-byte paths,
// ~60 bytes of argv, times that grow at 10,000 execs/s with up to 1 ms of
// disorder, pids drawn from a pool of 10,000.
//
// What each family measures (items/s is always retained rows divided by the
// query's time: the rate at which the query "covers" the table; for the
// pushed-down queries it is larger than any physical scan rate, which is
// the point):
//
//   BM_CountStar        SELECT count(*): the ring scan with no column read
//   BM_LikeScan         cmdline LIKE '%needle%', pushed: copies argv, builds
//                       cmdline, tests it in the scan
//   BM_LikeNotPushed    the same as +cmdline: every row goes to SQLite
//   BM_LikeNative       the same over an ordinary table of (eid, cmdline)
//   BM_GlobScan         cmdline GLOB '*needle*', pushed
//   BM_UidScan          uid = 1000: a fixed column, evaluated by SQLite
//   BM_EidTail*         the same with eid > max-1000 pushed down: the last
//                       1,000 rows only, whatever the table's size
//   BM_TimeRange*       a time_ns range selecting 1% (zone map) vs the same
//                       range hidden from xBestIndex (+time_ns)
//   BM_PidIn*           pid IN (100 pids) selecting 1% (filter on the fixed
//                       fields before any string is copied) vs +pid IN
//
// After the runs a summary (on stderr, so --benchmark_format=json stays
// clean on stdout) prints the CPU time per query of the 1M and 100k tables
// relative to the 10k table, measured in this run (CPU time, like items/s:
// on a loaded machine wall time mostly measures the other load).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "collector.h"
#include "register.h"
#include "synthetic_rows.h"

namespace {

using procsql::Collector;
using procsql::Config;
using procsql::ExecRow;

[[noreturn]] void die(const std::string& why) {
	std::fprintf(stderr, "sql_bench: %s\n", why.c_str());
	std::exit(1);
}

using procsql::bench::kSyntheticPidBase;
using procsql::bench::kSyntheticStepNs;
using procsql::bench::kSyntheticT0;
using procsql::bench::row_has_needle;
using procsql::bench::SyntheticRow;

constexpr int kPidsQueried = 100; // 1% of the pool
constexpr uint64_t kTail = 1000;  // rows selected by the eid > pushdown

// Counts the generator promises, checked against SQL in the setup.
struct Expected {
	uint64_t needle = 0, uid1000 = 0, time_range = 0, pid_in = 0, pid_in_needle = 0;
};

// One table of `rows` retained rows (capacity == rows, nothing overwritten)
// and an in-memory connection with procsql registered on it.
class Dataset {
public:
	explicit Dataset(uint64_t rows) : rows_(rows) {
		Config config;
		config.capacity = rows;
		// ~190 padded bytes of strings a row: 512 bytes a row keeps them all
		// (512 MiB at 1M rows; pages are touched only as far as rows go).
		config.arena_bytes = std::max<uint64_t>(rows * 512, 1ull << 20);
		std::string error;
		collector_ = Collector::without_source(config, &error);
		if (!collector_) die("without_source: " + error);
		time_lo_ = kSyntheticT0 + int64_t(rows / 2) * kSyntheticStepNs;
		time_hi_ = time_lo_ + int64_t(rows / 100) * kSyntheticStepNs - 1;
		fill();
		if (sqlite3_open(":memory:", &db_) != SQLITE_OK) die("sqlite3_open failed");
		char* err = nullptr;
		if (procsql::register_all_with(db_, collector_, &err) != SQLITE_OK) {
			die(std::string("register_all_with: ") + (err ? err : "?"));
		}
		check("SELECT count(*) FROM process_events", rows_, "count(*)");
		check("SELECT count(*) FROM process_events WHERE cmdline LIKE '%needle%'", expected_.needle, "needle rows");
		check("SELECT count(*) FROM process_events WHERE uid = 1000", expected_.uid1000, "uid 1000 rows");
		check("SELECT count(*) FROM process_events WHERE time_ns BETWEEN " + std::to_string(time_lo_) + " AND " +
		          std::to_string(time_hi_),
		      expected_.time_range, "time range rows");
		check("SELECT count(*) FROM process_events WHERE pid IN " + pid_list(), expected_.pid_in, "pid IN rows");
		check("SELECT min(eid) FROM process_events WHERE eid > " + std::to_string(rows_ - kTail), rows_ - kTail + 1,
		      "first tail eid");
		// The same strings in an ordinary SQLite table: what a text filter over
		// the virtual table is compared with.
		if (sqlite3_exec(db_, "CREATE TABLE native AS SELECT eid, cmdline FROM process_events", nullptr, nullptr,
		                 nullptr) != SQLITE_OK) {
			die(std::string("CREATE TABLE native: ") + sqlite3_errmsg(db_));
		}
		check("SELECT count(*) FROM native WHERE cmdline LIKE '%needle%'", expected_.needle, "native needle rows");
	}
	~Dataset() { sqlite3_close(db_); }

	sqlite3* db() const { return db_; }
	uint64_t rows() const { return rows_; }
	const Expected& expected() const { return expected_; }
	int64_t time_lo() const { return time_lo_; }
	int64_t time_hi() const { return time_hi_; }
	static std::string pid_list() {
		std::string s = "(";
		for (int p = 0; p < kPidsQueried; p++) s += (p ? "," : "") + std::to_string(kSyntheticPidBase + p);
		return s + ")";
	}

	// One query: step to completion and reset. Returns the first column of
	// the first row (count_query) or the number of rows.
	int64_t run(sqlite3_stmt* st, bool count_query = true) const {
		int64_t first = -1, rows = 0;
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (rows++ == 0) first = sqlite3_column_int64(st, 0);
		}
		if (rc != SQLITE_DONE) die(std::string("step: ") + sqlite3_errmsg(db_));
		sqlite3_reset(st);
		return count_query ? first : rows;
	}

private:
	void fill() {
		auto& store = collector_->writable_exec_store();
		SyntheticRow row;
		for (uint64_t i = 1; i <= rows_; i++) {
			synthetic_row(i, &row);
			const ExecRow& r = row.row;
			if (store.append(r, row.strings) != i) die("append refused row " + std::to_string(i));

			expected_.needle += row_has_needle(i);
			expected_.uid1000 += r.uid == 1000;
			expected_.time_range += r.time_ns >= time_lo_ && r.time_ns <= time_hi_;
			const bool pid_in = r.pid >= kSyntheticPidBase && r.pid < kSyntheticPidBase + kPidsQueried;
			expected_.pid_in += pid_in;
			expected_.pid_in_needle += pid_in && row_has_needle(i);
		}
		const auto c = store.ring().counters();
		if (c.rows_overwritten || c.rows_evicted_by_arena || c.rows_rejected_too_large) {
			die("fill lost rows: the arena or capacity is too small");
		}
	}
	void check(const std::string& sql, uint64_t want, const char* what) {
		sqlite3_stmt* st = nullptr;
		if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
			die(sql + ": " + sqlite3_errmsg(db_));
		}
		const int64_t got = run(st);
		sqlite3_finalize(st);
		if (got != int64_t(want)) {
			die(std::string(what) + ": " + sql + " gave " + std::to_string(got) + ", expected " + std::to_string(want));
		}
	}

	uint64_t rows_;
	std::shared_ptr<Collector> collector_;
	sqlite3* db_ = nullptr;
	Expected expected_;
	int64_t time_lo_ = 0, time_hi_ = 0;
};

// Filled once per process, on first use.
const Dataset& dataset(uint64_t rows) {
	static std::map<uint64_t, std::unique_ptr<Dataset>> sets;
	auto& d = sets[rows];
	if (!d) {
		const auto t = std::chrono::steady_clock::now();
		d.reset(new Dataset(rows));
		const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
		std::fprintf(stderr, "sql_bench: filled and checked %" PRIu64 " rows in %.2f s\n", rows, s);
	}
	return *d;
}

// This thread's CPU time: the summary compares CPU time per query, as the
// items/s figures do, so that other load on a noisy machine (which stretches
// wall time) does not bend the ratios.
double thread_cpu_seconds() {
	timespec ts{};
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// CPU seconds per query of each (family, rows) from this run, for the summary.
std::map<std::string, std::map<uint64_t, double>>& timings() {
	static std::map<std::string, std::map<uint64_t, double>> t;
	return t;
}

enum class Bind { none, tail_eid, time_range };

// The shared body: prepare once, then one iteration = one query stepped to
// completion and reset.
void run_query(benchmark::State& state, const char* family, const std::string& sql, Bind bind, uint64_t want_matched,
               bool count_query = true) {
	const Dataset& d = dataset(uint64_t(state.range(0)));
	sqlite3_stmt* st = nullptr;
	if (sqlite3_prepare_v2(d.db(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
		state.SkipWithError((sql + ": " + sqlite3_errmsg(d.db())).c_str());
		return;
	}
	switch (bind) {
	case Bind::none: break;
	case Bind::tail_eid: sqlite3_bind_int64(st, 1, int64_t(d.rows() - kTail)); break;
	case Bind::time_range:
		sqlite3_bind_int64(st, 1, d.time_lo());
		sqlite3_bind_int64(st, 2, d.time_hi());
		break;
	}
	int64_t matched = 0;
	const double cpu0 = thread_cpu_seconds();
	for (auto _ : state) {
		matched = d.run(st, count_query);
		benchmark::DoNotOptimize(matched);
	}
	const double secs = thread_cpu_seconds() - cpu0;
	sqlite3_finalize(st);
	if (matched != int64_t(want_matched)) {
		state.SkipWithError(("matched " + std::to_string(matched) + ", expected " + std::to_string(want_matched)).c_str());
		return;
	}
	if (state.iterations() > 0) timings()[family][d.rows()] = secs / double(state.iterations());
	state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(d.rows()));
	state.counters["retained"] = double(d.rows());
	state.counters["matched"] = double(matched);
	// Rows the query returned, per second (what a consumer of the result sees).
	state.counters["matched_per_s"] = benchmark::Counter(double(matched) * double(state.iterations()),
	                                                     benchmark::Counter::kIsRate);
}

// count(*) over the whole ring: one ring read per row, no strings.
void BM_CountStar(benchmark::State& state) {
	run_query(state, "count(*)", "SELECT count(*) FROM process_events", Bind::none, uint64_t(state.range(0)));
}
// A filter that reads strings: argv is copied and cmdline built for every row.
void BM_LikeScan(benchmark::State& state) {
	run_query(state, "LIKE full", "SELECT count(*) FROM process_events WHERE cmdline LIKE '%needle%'", Bind::none,
	          dataset(uint64_t(state.range(0))).expected().needle);
}
// The same LIKE hidden from xBestIndex (+cmdline): every row goes to SQLite,
// which is how every text filter ran before text pushdown.
void BM_LikeNotPushed(benchmark::State& state) {
	run_query(state, "LIKE not pushed", "SELECT count(*) FROM process_events WHERE +cmdline LIKE '%needle%'",
	          Bind::none, dataset(uint64_t(state.range(0))).expected().needle);
}
// The same LIKE over an ordinary table holding the same strings
// (CREATE TABLE native AS SELECT eid, cmdline FROM process_events).
void BM_LikeNative(benchmark::State& state) {
	run_query(state, "LIKE native", "SELECT count(*) FROM native WHERE cmdline LIKE '%needle%'", Bind::none,
	          dataset(uint64_t(state.range(0))).expected().needle);
}
// The pushed LIKE and the native one side by side: each iteration runs one
// query of each (alternating which goes first) and the counter is the median
// of the per-pair ratios of their CPU times (pushed / native; below 1 the
// virtual table is faster). Pairing queries this close keeps a noisy
// machine's drift out of the ratio.
void BM_LikePushedVsNative(benchmark::State& state) {
	const Dataset& d = dataset(uint64_t(state.range(0)));
	sqlite3_stmt* pushed = nullptr;
	sqlite3_stmt* native = nullptr;
	if (sqlite3_prepare_v2(d.db(), "SELECT count(*) FROM process_events WHERE cmdline LIKE '%needle%'", -1, &pushed,
	                       nullptr) != SQLITE_OK ||
	    sqlite3_prepare_v2(d.db(), "SELECT count(*) FROM native WHERE cmdline LIKE '%needle%'", -1, &native,
	                       nullptr) != SQLITE_OK) {
		state.SkipWithError(sqlite3_errmsg(d.db()));
		return;
	}
	std::vector<double> ratios;
	bool pushed_first = true;
	for (auto _ : state) {
		double t[2];
		for (int k = 0; k < 2; k++) {
			const bool run_pushed = (k == 0) == pushed_first;
			const double c0 = thread_cpu_seconds();
			const int64_t n = d.run(run_pushed ? pushed : native);
			t[run_pushed ? 0 : 1] = thread_cpu_seconds() - c0;
			if (n != int64_t(d.expected().needle)) {
				state.SkipWithError("wrong count");
				break;
			}
		}
		ratios.push_back(t[0] / t[1]);
		pushed_first = !pushed_first;
	}
	sqlite3_finalize(pushed);
	sqlite3_finalize(native);
	if (!ratios.empty()) {
		std::sort(ratios.begin(), ratios.end());
		state.counters["pushed_over_native"] = ratios[ratios.size() / 2];
		state.counters["pairs"] = double(ratios.size());
	}
}
// GLOB and IN on text columns, pushed.
void BM_GlobScan(benchmark::State& state) {
	run_query(state, "GLOB full", "SELECT count(*) FROM process_events WHERE cmdline GLOB '*needle*'", Bind::none,
	          dataset(uint64_t(state.range(0))).expected().needle);
}
// A filter on a fixed column (not pushed down: SQLite compares every row).
void BM_UidScan(benchmark::State& state) {
	run_query(state, "uid full", "SELECT count(*) FROM process_events WHERE uid = 1000", Bind::none,
	          dataset(uint64_t(state.range(0))).expected().uid1000);
}
// The same filters, on the last 1,000 rows only (eid > max - 1000 pushed).
void BM_EidTailCount(benchmark::State& state) {
	run_query(state, "eid> count", "SELECT count(*) FROM process_events WHERE eid > ?1", Bind::tail_eid, kTail);
}
void BM_EidTailLike(benchmark::State& state) {
	run_query(state, "eid> LIKE", "SELECT count(*) FROM process_events WHERE eid > ?1 AND cmdline LIKE '%needle%'",
	          Bind::tail_eid, kTail / 100);
}
void BM_EidTailUid(benchmark::State& state) {
	run_query(state, "eid> uid", "SELECT count(*) FROM process_events WHERE eid > ?1 AND uid = 1000", Bind::tail_eid,
	          kTail / 4);
}
// What a scheduled job that remembers the last eid does: every column of the
// new rows.
void BM_EidTailSelectAll(benchmark::State& state) {
	run_query(state, "eid> SELECT *", "SELECT * FROM process_events WHERE eid > ?1", Bind::tail_eid, kTail, false);
}
// A time_ns range of 1% of the rows: the zone map skips the blocks outside it.
void BM_TimeRange(benchmark::State& state) {
	run_query(state, "time_ns range", "SELECT count(*) FROM process_events WHERE time_ns BETWEEN ?1 AND ?2",
	          Bind::time_range, dataset(uint64_t(state.range(0))).expected().time_range);
}
// The same range hidden from xBestIndex: SQLite checks every row.
void BM_TimeRangeNotPushed(benchmark::State& state) {
	run_query(state, "+time_ns range", "SELECT count(*) FROM process_events WHERE +time_ns BETWEEN ?1 AND ?2",
	          Bind::time_range, dataset(uint64_t(state.range(0))).expected().time_range);
}
// pid IN (100 pids), 1% of the rows: filtered on the fixed fields in the scan.
void BM_PidIn(benchmark::State& state) {
	run_query(state, "pid IN", "SELECT count(*) FROM process_events WHERE pid IN " + Dataset::pid_list(), Bind::none,
	          dataset(uint64_t(state.range(0))).expected().pid_in);
}
void BM_PidInNotPushed(benchmark::State& state) {
	run_query(state, "+pid IN", "SELECT count(*) FROM process_events WHERE +pid IN " + Dataset::pid_list(), Bind::none,
	          dataset(uint64_t(state.range(0))).expected().pid_in);
}
// The same 1% pid IN, reading the strings of the matching rows only.
void BM_PidInLike(benchmark::State& state) {
	run_query(state, "pid IN + LIKE",
	          "SELECT count(*) FROM process_events WHERE pid IN " + Dataset::pid_list() + " AND cmdline LIKE '%needle%'",
	          Bind::none, dataset(uint64_t(state.range(0))).expected().pid_in_needle);
}

void sizes(benchmark::internal::Benchmark* b) {
	b->Arg(10000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_CountStar)->Apply(sizes);
BENCHMARK(BM_LikeScan)->Apply(sizes);
BENCHMARK(BM_LikeNotPushed)->Apply(sizes);
BENCHMARK(BM_LikeNative)->Apply(sizes);
BENCHMARK(BM_GlobScan)->Apply(sizes);
BENCHMARK(BM_LikePushedVsNative)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->MinTime(3);
BENCHMARK(BM_UidScan)->Apply(sizes);
BENCHMARK(BM_EidTailCount)->Apply(sizes);
BENCHMARK(BM_EidTailLike)->Apply(sizes);
BENCHMARK(BM_EidTailUid)->Apply(sizes);
BENCHMARK(BM_EidTailSelectAll)->Apply(sizes);
BENCHMARK(BM_TimeRange)->Apply(sizes);
BENCHMARK(BM_TimeRangeNotPushed)->Apply(sizes);
BENCHMARK(BM_PidIn)->Apply(sizes);
BENCHMARK(BM_PidInNotPushed)->Apply(sizes);
BENCHMARK(BM_PidInLike)->Apply(sizes);

void print_summary() {
	const auto& t = timings();
	if (t.empty()) return;
	std::fprintf(stderr, "\nCPU time per query by retained rows (this run), and its growth relative to 10k rows:\n");
	std::fprintf(stderr, "  %-16s %12s %12s %12s %10s %10s\n", "query", "10k", "100k", "1M", "100k/10k", "1M/10k");
	for (const auto& [family, by_rows] : t) {
		auto at = [&by_rows](uint64_t n) {
			auto it = by_rows.find(n);
			return it == by_rows.end() ? -1.0 : it->second;
		};
		const double a = at(10000), b = at(100000), c = at(1000000);
		auto us = [](double s) { return s < 0 ? std::string("-") : std::to_string(int64_t(s * 1e6 + 0.5)) + " us"; };
		auto ratio = [a](double x) {
			if (a <= 0 || x < 0) return std::string("-");
			char buf[32];
			std::snprintf(buf, sizeof buf, "%.2f", x / a);
			return std::string(buf);
		};
		std::fprintf(stderr, "  %-16s %12s %12s %12s %10s %10s\n", family.c_str(), us(a).c_str(), us(b).c_str(),
		             us(c).c_str(), ratio(b).c_str(), ratio(c).c_str());
	}
	std::fprintf(stderr, "  (a query whose cost does not grow with the ring stays near 1.00; a full scan grows ~100x)\n");
}

} // namespace

int main(int argc, char** argv) {
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	print_summary();
	return 0;
}
