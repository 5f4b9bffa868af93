// What procsqld does for attached readers besides collecting: when a reader
// wakes it (a futex word in the control region), it drains the collector
// and publishes, then moves the watermark readers wait on. Two threads, one
// per wake word: events (with container_map and procsql_stats), and the
// live processes, whose pass (the kernel's task iterator and every
// /proc/PID/cmdline) only queries of `processes` ask for. Idle, neither
// wakes up.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace procsql {

class Collector;
class DaemonStores;

class Publisher {
public:
	Publisher(Collector& collector, DaemonStores& stores) : collector_(collector), stores_(stores) {}
	~Publisher() { stop(); }
	Publisher(const Publisher&) = delete;
	Publisher& operator=(const Publisher&) = delete;

	// One pass of each (so the snapshots exist before any reader), then the threads.
	void start();
	// Wakes both threads and joins them.
	void stop();

	// Events drained into the stores up to now, container_map and
	// procsql_stats published, the watermark moved.
	void events_pass();
	void processes_pass();
	uint64_t passes() const { return passes_.load(std::memory_order_relaxed); }

private:
	void run(bool processes);
	void advance(std::atomic<int64_t>& watermark, int64_t through);

	Collector& collector_;
	DaemonStores& stores_;
	std::string last_containers_; // the container_map payload last published (events thread only)
	std::string last_syscalls_;   // the syscall_usage payload last published (events thread only)
	std::atomic<bool> stopping_{false};
	std::atomic<uint64_t> passes_{0};
	std::thread events_thread_, processes_thread_;
};

} // namespace procsql
