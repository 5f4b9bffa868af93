// Micro-benchmarks for procsql::Ring (extension/store/ring.h): append rate
// and scan rate with a realistic exec row (~200 bytes of fixed fields, a
// ~100-byte path and ~60 bytes of argv), single core.

#include "store/ring.h"

#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// Shaped like a decoded exec event; the exact fields do not matter here,
// only the size.
struct ExecRow {
	uint64_t time_ns;
	uint64_t boot_time_ns;
	uint64_t cgroup_id;
	uint64_t mnt_ns;
	uint64_t pid_ns;
	int32_t pid, tid, ppid, pgid, sid, tty;
	uint32_t uid, euid, suid, fsuid, gid, egid, sgid, fsgid, auid, sessionid;
	uint32_t argc, flags, exit_code, cap_flags;
	uint64_t cap_effective, cap_permitted, inode, dev, parent_start_ns, start_ns;
	char comm[16];
	char parent_comm[16];
};
static_assert(sizeof(ExecRow) == 200, "a ~200-byte exec row");

using ExecRing = procsql::Ring<ExecRow, 2>;

constexpr uint64_t kCapacity = 1 << 18;            // 262,144 rows
constexpr uint64_t kArenaBytes = 64ULL << 20;      // 64 MiB: ~168 bytes a row -> capacity-bound

// A 100-byte path and a 60-byte argv (NUL-separated and NUL-terminated, as
// the kernel keeps it).
constexpr char kPathText[] = "/usr/lib/x86_64-linux-gnu/some-package/libexec/bin/helper-binary-with-a-long-name-v2.17.0-rc1-amd64x";
constexpr char kArgvText[] = "helper\0--config\0/etc/some-package/pkg.conf\0-v\0--log=/tmp/hx";
static_assert(sizeof(kPathText) - 1 == 100, "100-byte path");
static_assert(sizeof(kArgvText) == 60, "60-byte argv including the final NUL");
const std::string kPath(kPathText, sizeof(kPathText) - 1);
const std::string kArgv(kArgvText, sizeof(kArgvText));

ExecRow make_row(uint64_t i) {
	ExecRow r {};
	r.time_ns = i * 1000;
	r.pid = static_cast<int32_t>(i);
	r.ppid = 1;
	r.uid = 1000;
	std::snprintf(r.comm, sizeof(r.comm), "helper");
	return r;
}

std::unique_ptr<ExecRing> make_ring() {
	std::string err;
	auto ring = ExecRing::create(kCapacity, kArenaBytes, &err);
	if (!ring) {
		std::fprintf(stderr, "ring_bench: %s\n", err.c_str());
		std::abort();
	}
	return ring;
}

// Fills the ring once so every page is faulted in before timing.
void fill(ExecRing* ring, uint64_t rows) {
	for (uint64_t i = 0; i < rows; i++) {
		ring->append(make_row(i), {kPath, kArgv});
	}
}

void BM_Append(benchmark::State& state) {
	auto ring = make_ring();
	fill(ring.get(), kCapacity); // steady state: every append overwrites
	ExecRow row = make_row(1);
	for (auto _ : state) {
		row.time_ns++;
		benchmark::DoNotOptimize(ring->append(row, {kPath, kArgv}));
	}
	state.SetItemsProcessed(state.iterations());
	state.counters["bytes_per_row"] =
	    static_cast<double>(ring->region_bytes()) / static_cast<double>(ring->capacity());
}
BENCHMARK(BM_Append);

// Append while another thread scans continuously: the writer never waits.
void BM_AppendWithConcurrentReader(benchmark::State& state) {
	auto ring = make_ring();
	fill(ring.get(), kCapacity);
	std::atomic<bool> stop {false};
	std::thread reader([&] {
		ExecRow row;
		std::string path, argv;
		while (!stop.load(std::memory_order_relaxed)) {
			const uint64_t next = ring->next_eid();
			for (uint64_t e = ring->first_eid(); e < next; e++) {
				benchmark::DoNotOptimize(ring->read(e, &row, {&path, &argv}));
			}
		}
	});
	ExecRow row = make_row(1);
	for (auto _ : state) {
		row.time_ns++;
		benchmark::DoNotOptimize(ring->append(row, {kPath, kArgv}));
	}
	stop.store(true);
	reader.join();
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendWithConcurrentReader)->UseRealTime();

// One iteration = one full scan of the retained rows.
void scan(benchmark::State& state, bool fixed, bool strings) {
	auto ring = make_ring();
	fill(ring.get(), kCapacity);
	ExecRow row;
	std::string path, argv;
	const std::array<std::string*, 2> outs = strings ? std::array<std::string*, 2> {&path, &argv}
	                                                 : std::array<std::string*, 2> {nullptr, nullptr};
	uint64_t rows = 0;
	for (auto _ : state) {
		const uint64_t next = ring->next_eid();
		for (uint64_t e = ring->first_eid(); e < next; e++) {
			rows += ring->read(e, fixed ? &row : nullptr, outs) == procsql::ReadStatus::ok ? 1 : 0;
		}
		benchmark::DoNotOptimize(row);
		benchmark::DoNotOptimize(path);
	}
	state.SetItemsProcessed(static_cast<int64_t>(rows));
}

void BM_ScanAllColumns(benchmark::State& state) {
	scan(state, true, true);
}
BENCHMARK(BM_ScanAllColumns)->Unit(benchmark::kMillisecond);

void BM_ScanFixedOnly(benchmark::State& state) {
	scan(state, true, false);
}
BENCHMARK(BM_ScanFixedOnly)->Unit(benchmark::kMillisecond);

// Status only (what count(*) needs).
void BM_ScanNoColumns(benchmark::State& state) {
	scan(state, false, false);
}
BENCHMARK(BM_ScanNoColumns)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
