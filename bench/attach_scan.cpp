// attach_scan: the scan rate over 1,000,000 process_events rows held in
// procsqld's store files and mapped read-only, as an attached reader maps
// them, against the same rows in an embedded collector's anonymous memory.
// Both sides in one process, one run; no kernel events and no BPF.
//
//   cmake --build build -j2 --target attach_scan
//   build/bench/attach_scan [--dir=/dev/shm] [--rows=1000000] [--pairs=15]
//                           [Google Benchmark flags, e.g. --benchmark_filter=Scan]
//
// Set-up (once, ~10 s): in a fresh directory under --dir (default /dev/shm:
// a tmpfs, as /run/procsql is on a systemd host) the benchmark, as the fake
// daemon of bench/synthetic_daemon.h (synthetic_procsqld's too), takes the
// state directory's lock itself (StateDirLock, as procsqld does), makes the
// store files (DaemonStores::open), appends --rows synthetic exec rows with
// strings (~25-byte paths, ~60 bytes of argv, 1% containing "needle") into
// them and marks the stores running under its own pid. The embedded side is
// a Collector::without_source filled with the same rows. The attached side is
// AttachedStores::attach (the files mapped PROT_READ) for the direct scans
// and, for SQL, Collector::acquire with PROCSQL_MODE=attach (it finds the
// lock this process holds and attaches exactly as `.load` does). Every
// attached query waits for the daemon's watermark (read-your-writes), so a
// real Publisher (daemon/publisher.h) runs here too, over a collector with no
// source: each query wakes it, it "drains" (nothing to drain), publishes
// container_map and procsql_stats and moves the watermark, as procsqld does
// with an empty BPF ring buffer. (Its processes pass fails at start with one
// "procsqld: cannot read the live processes" line: it has no source; no
// query here reads `processes`.)
//
// What is measured, each side over the same rows:
//   BM_EventScan/<side>/<strings>  EventScan (tables/event_scan.h, the code
//       the tables run) over the whole store: strings 0 = fixed fields only,
//       1 = argv copied, 2 = every string copied. No SQLite, no drain.
//   BM_Sql/<side>/<query>  through SQLite on an in-memory database with the
//       tables registered (register_all_with): 0 = SELECT count(*),
//       1 = count(*) WHERE cmdline LIKE '%needle%', 2 = sum(uid),
//       3 = count(*) WHERE eid = 1 (one row: the fixed cost of a query).
//       Attached, includes the read-your-writes wait on the publisher.
// side 0 = embedded, 1 = attached.
//   BM_PublisherEventsPass  the daemon's work for one attached query's wait:
//       one Publisher::events_pass() (empty drain, container_map and
//       procsql_stats published, watermark moved), on this thread.
//
// Then a paired summary on stderr: --pairs rounds, each running every
// workload once on each side back to back (the side that goes first
// alternates), and per workload the min / median CPU ms of each side and the
// median of the per-pair ratios embedded/attached of CPU time and of wall
// time, i.e. attached scan rate / embedded scan rate (1.0 = same speed; the
// target is >= 0.95). CPU time is this thread's (the wait for the publisher
// is a sleep: it shows in wall time only).

#include <benchmark/benchmark.h>

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collector.h"
#include "event_scan.h"
#include "publisher.h"
#include "register.h"
#include "shared_stores.h"
#include "synthetic_daemon.h"

namespace {

using namespace procsql;

[[noreturn]] void die(const std::string& why) {
	std::fprintf(stderr, "attach_scan: %s\n", why.c_str());
	std::exit(1);
}

std::string g_parent_dir = "/dev/shm";
uint64_t g_rows = 1000000;
int g_pairs = 15;

// ---- the two sides ------------------------------------------------------

struct Sides {
	std::unique_ptr<bench::SyntheticDaemon> daemon; // lock, store files, rows, publisher
	std::unique_ptr<AttachedStores> attached;
	std::shared_ptr<Collector> embedded;     // without_source, same rows
	std::shared_ptr<Collector> attached_sql; // Collector::acquire, PROCSQL_MODE=attach
	sqlite3* db[2] = {nullptr, nullptr};
	bench::Expected expected;

	const ExecStore& store(int side) const {
		return side == 0 ? embedded->exec_store() : attached->exec();
	}

	// The readers go first, then the daemon (publisher stopped, stores
	// marked stopped, directory removed).
	~Sides() {
		for (sqlite3* d : db) sqlite3_close(d);
	}
};

Sides* g_sides = nullptr;

int64_t run_sql(sqlite3* db, sqlite3_stmt* st) {
	int64_t first = -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) first = sqlite3_column_int64(st, 0);
	if (rc != SQLITE_DONE) die(std::string("step: ") + sqlite3_errmsg(db));
	sqlite3_reset(st);
	return first;
}

const char* const kQueries[] = {
    "SELECT count(*) FROM process_events",
    "SELECT count(*) FROM process_events WHERE cmdline LIKE '%needle%'",
    "SELECT sum(uid) FROM process_events",
    "SELECT count(*) FROM process_events WHERE eid = 1",
};
const char* const kQueryNames[] = {"count(*)", "cmdline LIKE", "sum(uid)", "eid = 1"};
constexpr int kQueryCount = 4;

uint64_t expected_of(int query) {
	switch (query) {
	case 0: return g_rows;
	case 1: return g_sides->expected.needle;
	case 2: return g_sides->expected.uid_sum;
	default: return 1;
	}
}

// A whole EventScan of `side`'s store; returns a checksum of what it read.
uint64_t scan(int side, int strings) {
	EventScan<ExecRow, kExecStringCount> s;
	std::array<std::string, kExecStringCount> buf;
	EventScan<ExecRow, kExecStringCount>::Wanted wanted{};
	if (strings >= 1) wanted[kExecArgv] = &buf[kExecArgv];
	if (strings >= 2) {
		for (size_t i = 0; i < kExecStringCount; i++) wanted[i] = &buf[i];
	}
	uint64_t sum = 0, n = 0;
	for (s.begin(g_sides->store(side), ScanFilter{}, wanted); !s.eof(); s.next()) {
		sum += uint64_t(s.row().pid) + buf[kExecArgv].size() + buf[kExecPath].size();
		n++;
	}
	if (n != g_rows) die("scan read " + std::to_string(n) + " rows");
	return sum;
}

void set_up() {
	auto* s = new Sides();
	g_sides = s;
	std::atexit([] { delete g_sides; });

	std::string error;
	s->daemon = bench::SyntheticDaemon::start_in(g_parent_dir, "attach_scan", g_rows, &error);
	if (!s->daemon) die(error);
	s->expected = s->daemon->expected();
	const Config& config = s->daemon->config();

	const auto t1 = std::chrono::steady_clock::now();
	s->embedded = Collector::without_source(config, &error);
	if (!s->embedded) die("without_source: " + error);
	bench::Expected e2;
	if (!bench::fill(s->embedded->writable_exec_store(), g_rows, &e2, &error)) die(error);
	const auto t2 = std::chrono::steady_clock::now();
	if (e2.needle != s->expected.needle || e2.uid_sum != s->expected.uid_sum) die("the two fills differ");

	s->attached = AttachedStores::attach(s->daemon->dir(), &error);
	if (!s->attached) die("AttachedStores::attach: " + error);

	// The attached collector, found the way `.load` finds it.
	for (const char* v : {"PROCSQL_CAPACITY", "PROCSQL_ARENA_BYTES", "PROCSQL_BACKEND", "PROCSQL_ARGV_BYTES",
	                      "PROCSQL_RINGBUF_BYTES", "PROCSQL_THREADS"}) {
		unsetenv(v);
	}
	setenv("PROCSQL_MODE", "attach", 1);
	setenv("PROCSQL_STATE_DIR", s->daemon->dir().c_str(), 1);
	s->attached_sql = Collector::acquire(&error);
	if (!s->attached_sql) die("Collector::acquire (attach): " + error);
	if (s->attached_sql->mode() != Collector::Mode::attached) die("the acquired collector is not attached");

	const std::shared_ptr<Collector> collectors[2] = {s->embedded, s->attached_sql};
	for (int side = 0; side < 2; side++) {
		if (sqlite3_open(":memory:", &s->db[side]) != SQLITE_OK) die("sqlite3_open");
		char* err = nullptr;
		if (register_all_with(s->db[side], collectors[side], &err) != SQLITE_OK) {
			die(std::string("register_all_with: ") + (err ? err : "?"));
		}
	}
	// Both sides read the same rows (checked once here, and warms both).
	if (scan(0, 2) != scan(1, 2)) die("the embedded and attached scans read different rows");
	for (int q = 0; q < kQueryCount; q++) {
		for (int side = 0; side < 2; side++) {
			sqlite3_stmt* st = nullptr;
			if (sqlite3_prepare_v2(s->db[side], kQueries[q], -1, &st, nullptr) != SQLITE_OK) die("prepare");
			const int64_t got = run_sql(s->db[side], st);
			sqlite3_finalize(st);
			if (uint64_t(got) != expected_of(q)) {
				die(std::string(kQueries[q]) + " on side " + std::to_string(side) + " gave " + std::to_string(got) +
				    ", expected " + std::to_string(expected_of(q)));
			}
		}
	}
	const double f1 = s->daemon->fill_seconds();
	const double f2 = std::chrono::duration<double>(t2 - t1).count();
	std::fprintf(stderr,
	             "attach_scan: %" PRIu64 " rows in %s; fill: store files %.2f s, embedded %.2f s; process_events "
	             "store %.0f MiB; both sides checked\n",
	             g_rows, s->daemon->dir().c_str(), f1, f2, double(s->attached->exec().memory_bytes()) / (1 << 20));
}

Sides& sides() {
	if (!g_sides) set_up();
	return *g_sides;
}

const char* side_name(int side) { return side == 0 ? "embedded" : "attached"; }

// ---- Google Benchmark entries -------------------------------------------

void BM_EventScan(benchmark::State& state) {
	sides();
	const int side = int(state.range(0)), strings = int(state.range(1));
	uint64_t sum = 0;
	for (auto _ : state) {
		sum = scan(side, strings);
		benchmark::DoNotOptimize(sum);
	}
	state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(g_rows));
	state.SetLabel(side_name(side));
}

void BM_Sql(benchmark::State& state) {
	Sides& s = sides();
	const int side = int(state.range(0)), q = int(state.range(1));
	sqlite3_stmt* st = nullptr;
	if (sqlite3_prepare_v2(s.db[side], kQueries[q], -1, &st, nullptr) != SQLITE_OK) die("prepare");
	int64_t got = 0;
	for (auto _ : state) {
		got = run_sql(s.db[side], st);
		benchmark::DoNotOptimize(got);
	}
	sqlite3_finalize(st);
	if (uint64_t(got) != expected_of(q)) {
		state.SkipWithError("wrong result");
		return;
	}
	state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(g_rows));
	state.SetLabel(std::string(side_name(side)) + " " + kQueryNames[q]);
}

// The daemon's side of one attached query's read-your-writes: one events
// pass of the publisher (drain, publish container_map and procsql_stats,
// move the watermark), called directly on this thread. Its collector has no
// source, so the drain is empty, as procsqld's is when no event waits.
void BM_PublisherEventsPass(benchmark::State& state) {
	Sides& s = sides();
	for (auto _ : state) {
		s.daemon->publisher().events_pass();
	}
}
BENCHMARK(BM_PublisherEventsPass)->Unit(benchmark::kMicrosecond);

// Adjacent: embedded then attached of each workload.
BENCHMARK(BM_EventScan)
    ->ArgNames({"side", "strings"})
    ->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1})->Args({0, 2})->Args({1, 2})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sql)
    ->ArgNames({"side", "query"})
    ->Args({0, 0})->Args({1, 0})->Args({0, 1})->Args({1, 1})->Args({0, 2})->Args({1, 2})->Args({0, 3})->Args({1, 3})
    ->Unit(benchmark::kMillisecond);

// ---- the paired summary -------------------------------------------------

double thread_cpu_s() {
	timespec ts{};
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}
double wall_s() {
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}
double median(std::vector<double> v) {
	std::sort(v.begin(), v.end());
	const size_t n = v.size();
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void paired_summary() {
	if (g_pairs <= 0) return;
	Sides& s = sides();
	struct Workload {
		std::string name;
		std::function<void(int side)> run;
	};
	std::vector<Workload> work;
	const char* scan_names[] = {"EventScan, fixed fields", "EventScan, + argv", "EventScan, every string"};
	for (int strings = 0; strings < 3; strings++) {
		work.push_back({scan_names[strings], [strings](int side) { benchmark::DoNotOptimize(scan(side, strings)); }});
	}
	std::vector<sqlite3_stmt*> stmts;
	for (int q = 0; q < kQueryCount; q++) {
		sqlite3_stmt* st[2] = {nullptr, nullptr};
		for (int side = 0; side < 2; side++) {
			if (sqlite3_prepare_v2(s.db[side], kQueries[q], -1, &st[side], nullptr) != SQLITE_OK) die("prepare");
			stmts.push_back(st[side]);
		}
		work.push_back({std::string("SQL ") + kQueryNames[q], [st0 = st[0], st1 = st[1], q, &s](int side) {
			                if (uint64_t(run_sql(s.db[side], side == 0 ? st0 : st1)) != expected_of(q)) {
				                die("wrong result in the paired summary");
			                }
		                }});
	}
	const size_t W = work.size();
	std::vector<std::vector<double>> cpu[2], wall[2];
	for (int side = 0; side < 2; side++) {
		cpu[side].assign(W, {});
		wall[side].assign(W, {});
	}
	for (int p = 0; p < g_pairs; p++) {
		for (size_t w = 0; w < W; w++) {
			const int order[2] = {p % 2, 1 - p % 2};
			for (int side : order) {
				const double c0 = thread_cpu_s(), w0 = wall_s();
				work[w].run(side);
				cpu[side][w].push_back(thread_cpu_s() - c0);
				wall[side][w].push_back(wall_s() - w0);
			}
		}
	}
	for (sqlite3_stmt* st : stmts) sqlite3_finalize(st);

	std::fprintf(stderr,
	             "\nPaired summary: %d pairs, %" PRIu64 " rows; ms per scan (this thread's CPU) min / median; "
	             "ratio = embedded time / attached time (attached rate / embedded rate), median of per-pair ratios\n",
	             g_pairs, g_rows);
	std::fprintf(stderr, "  %-26s %20s %20s %11s %11s %14s\n", "workload", "embedded cpu ms", "attached cpu ms",
	             "ratio cpu", "ratio wall", "attached Mrow/s");
	for (size_t w = 0; w < W; w++) {
		std::vector<double> rc, rw;
		for (int p = 0; p < g_pairs; p++) {
			rc.push_back(cpu[0][w][p] / cpu[1][w][p]);
			rw.push_back(wall[0][w][p] / wall[1][w][p]);
		}
		auto mm = [](const std::vector<double>& v) {
			char buf[64];
			std::snprintf(buf, sizeof buf, "%.2f / %.2f", *std::min_element(v.begin(), v.end()) * 1e3, median(v) * 1e3);
			return std::string(buf);
		};
		std::fprintf(stderr, "  %-26s %20s %20s %11.3f %11.3f %14.1f\n", work[w].name.c_str(), mm(cpu[0][w]).c_str(),
		             mm(cpu[1][w]).c_str(), median(rc), median(rw), double(g_rows) / median(cpu[1][w]) / 1e6);
	}
	std::fprintf(stderr, "  (target: ratio >= 0.95 for the scans; SQL attached includes one read-your-writes wait per "
	                     "query, which `eid = 1` shows alone; Mrow/s is of the whole store, meaningless for eid = 1)\n");
}

// Our own flags, taken out before Google Benchmark sees the rest.
void parse_own_flags(int* argc, char** argv) {
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const std::string a = argv[i];
		if (a.rfind("--dir=", 0) == 0) {
			g_parent_dir = a.substr(6);
		} else if (a.rfind("--rows=", 0) == 0) {
			g_rows = std::strtoull(a.c_str() + 7, nullptr, 10);
		} else if (a.rfind("--pairs=", 0) == 0) {
			g_pairs = std::atoi(a.c_str() + 8);
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	if (g_rows < 1000) die("--rows must be at least 1000");
}

} // namespace

int main(int argc, char** argv) {
	parse_own_flags(&argc, argv);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	paired_summary();
	return 0;
}
