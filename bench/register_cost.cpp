// What procsql_register costs a host on a new connection while the collector
// already runs (issue 14: target <= 50 us a call), and what a registered
// connection costs in memory.
//
// Links libprocsql.so.1 through procsql.h, as an agent does. One "anchor"
// connection is registered first and stays open, so the collector (embedded:
// PROCSQL_MODE set in code) runs throughout and every registration measured
// shares it. Needs root (the collector loads its BPF programs).
//
//   OpenClose              sqlite3_open(":memory:") + sqlite3_close: the baseline
//   OpenRegisterClose      the same with procsql_register between
//   Register               procsql_register alone (manual time around the call)
//   CloseRegistered        sqlite3_close of a registered connection alone
//   CloseUnregistered      sqlite3_close of a plain one
//   Paired                 open+close then open+register+close in each
//                          iteration: their difference with the machine's
//                          other load falling on both alike
//   MemoryPerConnection    1,000 connections open at once, registered or not:
//                          RSS and malloc's bytes in use per connection
//
// At the end it prints what registering adds to a connection's life against
// the target: procsql_register alone, OpenRegisterClose - OpenClose, and
// Paired's difference.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "procsql.h"

namespace {

constexpr double kTargetUs = 50.0;
constexpr int kConnections = 1000;

sqlite3* open_memory() {
	sqlite3* db = nullptr;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		std::fprintf(stderr, "sqlite3_open failed\n");
		std::exit(1);
	}
	return db;
}

bool register_on(sqlite3* db, benchmark::State* state) {
	char* err = nullptr;
	const int rc = procsql_register(db, &err);
	if (rc != SQLITE_OK) {
		const std::string why = "procsql_register: " + std::string(err ? err : procsql_errmsg());
		sqlite3_free(err);
		if (state) {
			state->SkipWithError(why.c_str());
		} else {
			std::fprintf(stderr, "%s\n", why.c_str());
		}
		return false;
	}
	return true;
}

long rss_bytes() {
	long pages = 0, resident = 0;
	if (FILE* f = std::fopen("/proc/self/statm", "r")) {
		if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
			resident = 0;
		}
		std::fclose(f);
	}
	return resident * sysconf(_SC_PAGESIZE);
}

long heap_bytes() {
	const struct mallinfo2 mi = mallinfo2();
	return long(mi.uordblks + mi.hblkhd);
}

double elapsed_s(std::chrono::steady_clock::time_point t0) {
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void OpenClose(benchmark::State& state) {
	for (auto _ : state) {
		sqlite3* db = open_memory();
		sqlite3_close(db);
	}
}
BENCHMARK(OpenClose)->Repetitions(5);

void OpenRegisterClose(benchmark::State& state) {
	for (auto _ : state) {
		sqlite3* db = open_memory();
		if (!register_on(db, &state)) {
			sqlite3_close(db);
			break;
		}
		sqlite3_close(db);
	}
}
BENCHMARK(OpenRegisterClose)->Repetitions(5);

void Register(benchmark::State& state) {
	for (auto _ : state) {
		sqlite3* db = open_memory();
		const auto t0 = std::chrono::steady_clock::now();
		const bool ok = register_on(db, &state);
		state.SetIterationTime(elapsed_s(t0));
		sqlite3_close(db);
		if (!ok) {
			break;
		}
	}
}
BENCHMARK(Register)->UseManualTime()->Repetitions(5);

void CloseRegistered(benchmark::State& state) {
	for (auto _ : state) {
		sqlite3* db = open_memory();
		if (!register_on(db, &state)) {
			sqlite3_close(db);
			break;
		}
		const auto t0 = std::chrono::steady_clock::now();
		sqlite3_close(db);
		state.SetIterationTime(elapsed_s(t0));
	}
}
BENCHMARK(CloseRegistered)->UseManualTime()->Repetitions(5);

void CloseUnregistered(benchmark::State& state) {
	for (auto _ : state) {
		sqlite3* db = open_memory();
		const auto t0 = std::chrono::steady_clock::now();
		sqlite3_close(db);
		state.SetIterationTime(elapsed_s(t0));
	}
}
BENCHMARK(CloseUnregistered)->UseManualTime()->Repetitions(5);

// Open+close and open+register+close in turn in each iteration, so that the
// machine's other load falls on both alike: the time is the registered
// cycle's; counters: plain_us (the plain cycle), added_us (the difference).
void Paired(benchmark::State& state) {
	double plain = 0, added = 0;
	for (auto _ : state) {
		const auto t0 = std::chrono::steady_clock::now();
		sqlite3_close(open_memory());
		const auto t1 = std::chrono::steady_clock::now();
		sqlite3* db = open_memory();
		const bool ok = register_on(db, &state);
		sqlite3_close(db);
		const double with = elapsed_s(t1), without = std::chrono::duration<double>(t1 - t0).count();
		state.SetIterationTime(with);
		plain += without * 1e6;
		added += (with - without) * 1e6;
		if (!ok) {
			break;
		}
	}
	state.counters["plain_us"] = benchmark::Counter(plain, benchmark::Counter::kAvgIterations);
	state.counters["added_us"] = benchmark::Counter(added, benchmark::Counter::kAvgIterations);
}
BENCHMARK(Paired)->UseManualTime()->Repetitions(5);

// Per connection, over kConnections open at once: registered (arg 1) or
// not (arg 0: what an empty in-memory connection costs by itself).
void MemoryPerConnection(benchmark::State& state) {
	const bool registered = state.range(0) != 0;
	for (auto _ : state) {
		std::vector<sqlite3*> dbs;
		dbs.reserve(kConnections);
		malloc_trim(0);
		const long rss0 = rss_bytes(), heap0 = heap_bytes();
		for (int i = 0; i < kConnections; i++) {
			dbs.push_back(open_memory());
			if (registered && !register_on(dbs.back(), &state)) {
				break;
			}
		}
		const long rss1 = rss_bytes(), heap1 = heap_bytes();
		for (sqlite3* db : dbs) {
			sqlite3_close(db);
		}
		state.counters["rss_per_conn"] = double(rss1 - rss0) / kConnections;
		state.counters["heap_per_conn"] = double(heap1 - heap0) / kConnections;
	}
}
BENCHMARK(MemoryPerConnection)->Arg(0)->Arg(1)->Iterations(1)->Repetitions(5);

// Keeps each run's time per iteration (us) and counters for the summary.
class Summary : public benchmark::ConsoleReporter {
public:
	void ReportRuns(const std::vector<Run>& runs) override {
		for (const Run& run : runs) {
			if (run.error_occurred || run.run_type != Run::RT_Iteration) {
				continue;
			}
			const std::string name = run.benchmark_name();
			times_us_[name].push_back(run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e6);
			for (const auto& c : run.counters) {
				counters_[name + " " + c.first].push_back(c.second.value);
			}
		}
		ConsoleReporter::ReportRuns(runs);
	}

	void print() const {
		// The median of every iteration run whose name begins with `prefix`
		// (repetitions add to the name).
		auto median = [](const std::map<std::string, std::vector<double>>& m, const std::string& prefix,
		                 const std::string& suffix) {
			std::vector<double> v;
			for (const auto& kv : m) {
				if (kv.first.compare(0, prefix.size(), prefix) == 0 && kv.first.size() >= suffix.size() &&
				    kv.first.compare(kv.first.size() - suffix.size(), suffix.size(), suffix) == 0) {
					v.insert(v.end(), kv.second.begin(), kv.second.end());
				}
			}
			if (v.empty()) {
				return -1.0;
			}
			std::sort(v.begin(), v.end());
			return v[v.size() / 2];
		};
		const double open_close = median(times_us_, "OpenClose", "");
		const double with = median(times_us_, "OpenRegisterClose", "");
		const double reg = median(times_us_, "Register/", "");
		const double close = median(times_us_, "CloseRegistered/", "");
		const double close_plain = median(times_us_, "CloseUnregistered/", "");
		const double paired_plain = median(counters_, "Paired/", " plain_us");
		const double paired_added = median(counters_, "Paired/", " added_us");
		auto verdict = [](double us) { return us <= kTargetUs ? "met" : "NOT met"; };
		std::printf("\nprocsql_register with the collector running (medians of 5 repetitions), target <= %.0f us:\n",
		            kTargetUs);
		std::printf("  procsql_register alone                 %8.2f us  (%s)\n", reg, verdict(reg));
		std::printf("  open+register+close - open+close       %8.2f us  (%.2f - %.2f, separate runs)\n",
		            with - open_close, with, open_close);
		std::printf("  the same, paired in each iteration     %8.2f us  (%s; open+close alone %.2f us)\n", paired_added,
		            verdict(paired_added), paired_plain);
		std::printf("  close: registered %.2f us, not %.2f us (+%.2f us)\n", close, close_plain, close - close_plain);
		const double rss0 = median(counters_, "MemoryPerConnection/0/", " rss_per_conn");
		const double rss1 = median(counters_, "MemoryPerConnection/1/", " rss_per_conn");
		const double heap0 = median(counters_, "MemoryPerConnection/0/", " heap_per_conn");
		const double heap1 = median(counters_, "MemoryPerConnection/1/", " heap_per_conn");
		std::printf("  memory per connection, %d open at once: RSS %.0f B registered vs %.0f B not (+%.0f B); "
		            "malloc'd %.0f B vs %.0f B (+%.0f B)\n",
		            kConnections, rss1, rss0, rss1 - rss0, heap1, heap0, heap1 - heap0);
	}

private:
	std::map<std::string, std::vector<double>> times_us_;
	std::map<std::string, std::vector<double>> counters_;
};

} // namespace

int main(int argc, char** argv) {
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
		return 1;
	}
	// Embedded, set in code (it wins over the environment): a collector of
	// this process's own, even where a procsqld runs.
	if (procsql_config_set("PROCSQL_MODE", "embedded") != SQLITE_OK) {
		std::fprintf(stderr, "%s\n", procsql_errmsg());
		return 1;
	}
	sqlite3* anchor = open_memory();
	const auto t0 = std::chrono::steady_clock::now();
	if (!register_on(anchor, nullptr)) {
		return 1;
	}
	std::printf("procsql %s, collector started in %.1f ms (mode %d), kept by one anchor connection\n",
	            procsql_version(), elapsed_s(t0) * 1e3, procsql_mode());
	Summary summary;
	benchmark::RunSpecifiedBenchmarks(&summary);
	summary.print();
	sqlite3_close(anchor);
	benchmark::Shutdown();
	return 0;
}
