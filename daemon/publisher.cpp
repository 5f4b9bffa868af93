#include "publisher.h"

#include <cstdio>

#include "collector.h"
#include "published_rows.h"
#include "shared_stores.h"
#include "store/futex.h"

namespace procsql {

void Publisher::start() {
	ControlBlock& c = stores_.control();
	c.drain_wake.store(0, std::memory_order_relaxed);
	c.processes_wake.store(0, std::memory_order_relaxed);
	events_pass();
	processes_pass();
	events_thread_ = std::thread([this] { run(false); });
	processes_thread_ = std::thread([this] { run(true); });
}

void Publisher::stop() {
	if (stopping_.exchange(true)) {
		return;
	}
	// A wake word that is no longer 0 makes a FUTEX_WAIT(word, 0) return at
	// once, so a thread between its check and its wait cannot miss the stop.
	ControlBlock& c = stores_.control();
	c.drain_wake.store(1, std::memory_order_release);
	c.processes_wake.store(1, std::memory_order_release);
	futex_wake(c.drain_wake);
	futex_wake(c.processes_wake);
	if (events_thread_.joinable()) events_thread_.join();
	if (processes_thread_.joinable()) processes_thread_.join();
}

void Publisher::advance(std::atomic<int64_t>& watermark, int64_t through) {
	ControlBlock& c = stores_.control();
	if (watermark.load(std::memory_order_relaxed) < through) {
		watermark.store(through, std::memory_order_release);
	}
	c.passes.fetch_add(1, std::memory_order_relaxed);
	c.progress.fetch_add(1, std::memory_order_release);
	futex_wake(c.progress);
	passes_.fetch_add(1, std::memory_order_relaxed);
}

void Publisher::events_pass() {
	// Sampled before the drain: every event the kernel delivered before this
	// instant is in the stores once drain() returns.
	const int64_t through = BootClock::now_boot_ns();
	std::string error;
	if (!collector_.drain(&error)) {
		std::fprintf(stderr, "procsqld: drain failed: %s\n", error.c_str());
		return;
	}
	const int64_t now = BootClock::now_unix_ns();
	const std::vector<ContainerEntry> containers = collector_.containers();
	std::string encoded = encode_containers(containers);
	// Most passes change no container: readers keep the copy they would get.
	if (encoded != last_containers_ || stores_.published(Published::containers).generation() == 0) {
		if (stores_.published(Published::containers).publish(encoded, containers.size(), now)) {
			last_containers_ = std::move(encoded);
		}
	}
	// syscall_usage: read from the kernel's maps each pass (counts change
	// while recording); an unchanged payload is not written again.
	std::vector<SyscallUsageRow> usage;
	std::string usage_error;
	if (collector_.syscall_usage(&usage, &usage_error)) {
		std::string bytes = encode_syscall_usage(usage);
		SnapshotStore& store = stores_.published(Published::syscalls);
		if (bytes != last_syscalls_ || store.generation() == 0) {
			if (store.publish(bytes, usage.size(), now)) {
				last_syscalls_ = std::move(bytes);
			}
		}
	}
	const std::vector<StatRow> stats = collector_.stats();
	stores_.published(Published::stats).publish(encode_stats(stats), stats.size(), now);
	advance(stores_.control().drained_through_ns, through);
}

void Publisher::processes_pass() {
	const int64_t through = BootClock::now_boot_ns();
	std::vector<LiveProcess> live;
	std::vector<std::string> containers;
	std::string error;
	if (!collector_.drain(&error) || !collector_.live_processes(&live, &containers, &error)) {
		std::fprintf(stderr, "procsqld: cannot read the live processes: %s\n", error.c_str());
		return;
	}
	if (!stores_.published(Published::processes)
	         .publish(encode_processes(live, containers), live.size(), BootClock::now_unix_ns())) {
		std::fprintf(stderr, "procsqld: %zu live processes do not fit in the processes store\n", live.size());
		return;
	}
	advance(stores_.control().processes_through_ns, through);
}

void Publisher::run(bool processes) {
	ControlBlock& c = stores_.control();
	std::atomic<uint32_t>& wake = processes ? c.processes_wake : c.drain_wake;
	while (!stopping_.load(std::memory_order_acquire)) {
		futex_wait(wake, 0, -1);
		if (stopping_.load(std::memory_order_acquire)) {
			break;
		}
		// Every wake is one pass: readers that woke it meanwhile are served by it.
		processes ? processes_pass() : events_pass();
	}
}

} // namespace procsql
