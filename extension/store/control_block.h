// procsql::ControlBlock: procsqld's own words, in the body of the control
// region (`procsqld.state` in the state directory), read by every attached
// process.
//
// Read-your-writes across processes is a watermark here: the daemon stores
// `drained_through` (CLOCK_BOOTTIME ns) after a pass that moved everything
// the kernel had delivered before that instant into the stores. A reader
// whose query began at q waits until the watermark passes q. To ask for a
// pass without writing (its mapping is read-only) it wakes a futex word the
// daemon sleeps on: FUTEX_WAKE needs only read access, carries no payload
// and gets no reply, so there is no protocol to speak, only the memory.
// Futexes on a shared file mapping are keyed by the file and offset, so
// every process that maps the file reaches the same word.
#pragma once

#include <atomic>
#include <cstdint>

namespace procsql {

enum class PreviousStop : uint64_t { none = 0, clean = 1, killed = 2 };

struct ControlBlock {
	// Futex words the daemon waits on and readers wake (values never change).
	alignas(64) std::atomic<uint32_t> drain_wake;
	std::atomic<uint32_t> processes_wake;
	// Bumped and woken after every pass: readers wait on it.
	alignas(64) std::atomic<uint32_t> progress;
	std::atomic<int64_t> drained_through_ns;   // CLOCK_BOOTTIME
	std::atomic<int64_t> processes_through_ns; // CLOCK_BOOTTIME: the processes snapshot
	std::atomic<uint64_t> passes;

	// The daemon running (or last run) on these stores.
	alignas(64) std::atomic<int64_t> daemon_pid;
	std::atomic<int64_t> daemon_start_ns; // Unix ns
	std::atomic<int64_t> heartbeat_ns;    // Unix ns, every few seconds while it runs
	std::atomic<int64_t> stop_ns;         // Unix ns of a clean stop
	std::atomic<uint64_t> state;          // WriterState
	std::atomic<uint64_t> starts;         // daemons that ran on these stores
	// The gap the current daemon found when it started: events in
	// [gap_start_ns, gap_end_ns) happened while no daemon collected.
	std::atomic<uint64_t> previous_stop;  // PreviousStop
	std::atomic<int64_t> gap_start_ns;
	std::atomic<int64_t> gap_end_ns;
	std::atomic<uint64_t> rows_discarded; // half-written rows the current daemon discarded at start
	std::atomic<int64_t> drain_bound_ms;  // its source's longest drain: how long a reader waits

	// Written before state becomes running; "NAME=value\n" lines.
	alignas(64) char backend[16];
	char daemon_version[32];
	uint64_t settings_len;
	char settings[4096];
};

constexpr uint64_t kControlBodyBytes = (sizeof(ControlBlock) + 4095) & ~uint64_t(4095);

} // namespace procsql
