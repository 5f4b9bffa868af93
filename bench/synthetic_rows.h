// Synthetic exec rows shaped like real ones, for the benchmarks that fill a
// store themselves (sql_bench, and the fake procsqld of synthetic_daemon):
// ~25-byte paths, ~60 bytes of argv, cwd and parent_path of ~15 bytes, a
// tty on a third of the rows, times 100 µs apart (10,000 execs/s) with up to
// 1 ms of disorder (per-CPU buffers), pids drawn from a pool of 10,000 (each
// pid once per 10,000 rows), and 1% of the rows (i % 100 == 37) whose argv
// contains "needle". One generator, so that figures from the two compare.
#pragma once

#include <cstdint>
#include <string>

#include "exec_event.h"

namespace procsql::bench {

constexpr int64_t kSyntheticT0 = 1700000000000000000LL; // Unix ns
constexpr int64_t kSyntheticStepNs = 100000;           // 10,000 execs/s
constexpr int kSyntheticPidBase = 3000;
constexpr int kSyntheticPidPool = 10000;

// Whether synthetic row i (1-based: its eid in a fresh store) has "needle" in its argv.
inline bool row_has_needle(uint64_t i) { return i % 100 == 37; }

// Row i with its strings. `strings` points into `argv` and static text:
// fill one in place (synthetic_row) and do not copy it.
struct SyntheticRow {
	ExecRow row{};
	std::string argv; // NUL-separated and NUL-terminated, as in the process's memory
	ExecStrings strings{};
};

// Fills `out` with synthetic row i (1-based).
void synthetic_row(uint64_t i, SyntheticRow* out);

} // namespace procsql::bench
