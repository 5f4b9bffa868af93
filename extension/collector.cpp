#include "collector.h"

#include <cstdio>
#include <mutex>
#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "event_abi.h"

namespace procsql {

namespace {

std::mutex g_mutex;
std::weak_ptr<Collector> g_collector;

std::string random_instance_id() {
	unsigned char bytes[16] = {};
	if (getrandom(bytes, sizeof(bytes), 0) != ssize_t(sizeof(bytes))) {
		// No entropy source: pid and time still tell instances apart.
		const int64_t t = BootClock::now_unix_ns();
		for (size_t i = 0; i < sizeof(bytes); i++) {
			bytes[i] = (unsigned char)((i < 8 ? t >> (8 * i) : getpid() >> (8 * (i - 8))) & 0xff);
		}
	}
	char hex[33];
	for (size_t i = 0; i < sizeof(bytes); i++) {
		std::snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
	}
	return std::string(hex, 32);
}

} // namespace

std::shared_ptr<Collector> Collector::acquire(std::string* error) {
	std::lock_guard<std::mutex> lock(g_mutex);
	if (auto running = g_collector.lock()) {
		return running;
	}
	std::shared_ptr<Collector> fresh(new Collector());
	if (!fresh->start(error)) {
		return nullptr;
	}
	g_collector = fresh;
	return fresh;
}

std::shared_ptr<Collector> Collector::without_source(const Config& config, std::string* error) {
	std::shared_ptr<Collector> c(new Collector());
	c->config_ = config;
	c->backend_reason_ = "no source: stores filled by the embedding program";
	if (!c->create_stores(error)) {
		return nullptr;
	}
	return c;
}

bool Collector::create_stores(std::string* error) {
	start_time_ns_ = BootClock::now_unix_ns();
	instance_id_ = random_instance_id();
	exec_store_ = ExecStore::create(config_.capacity, config_.arena_bytes, error);
	if (!exec_store_) {
		*error = "cannot allocate the process_events store: " + *error;
		return false;
	}
	return true;
}

bool Collector::start(std::string* error) {
	if (!Config::from_env(&config_, error)) {
		return false;
	}
	if (config_.backend == BackendChoice::audit) {
		*error = "PROCSQL_BACKEND=audit: the audit backend is not available in this build; use auto or bpf";
		return false;
	}
	if (!create_stores(error)) {
		return false;
	}
	std::string bpf_error;
	bpf_ = BpfSource::start(config_, clock_, *exec_store_, &bpf_error);
	if (!bpf_) {
		*error = bpf_error;
		return false;
	}
	backend_reason_ = std::string("PROCSQL_BACKEND=") + backend_choice_name(config_.backend) +
	                  ": eBPF programs loaded and attached";
	return true;
}

Collector::~Collector() = default;

void Collector::drain() {
	if (bpf_) {
		bpf_->drain();
	}
}

std::vector<StatRow> Collector::stats() const {
	std::vector<StatRow> rows;
	auto text = [&rows](const char* name, std::string value) {
		rows.push_back(StatRow{name, true, 0, std::move(value)});
	};
	auto integer = [&rows](const char* name, uint64_t value) {
		rows.push_back(StatRow{name, false, int64_t(value), {}});
	};
	utsname uts{};
	uname(&uts);
	const BpfSourceStats b = bpf_ ? bpf_->stats() : BpfSourceStats{};
	const ExecStore::RingType& ring = exec_store_->ring();
	const RingCounters c = ring.counters();
	const uint64_t retained = ring.next_eid() - ring.first_eid();

	text("backend", bpf_ ? "bpf" : "none");
	text("backend_reason", backend_reason_);
	text("instance_id", instance_id_);
	integer("collector_start_time", uint64_t(start_time_ns_));
	integer("collector_pid", uint64_t(getpid()));
	text("kernel_release", uts.release);
	if (bpf_) {
		text("bpf.path_walk", bpf_->uses_bpf_loop()
		                          ? "bpf_loop (paths of any depth)"
		                          : "bounded loop (" + std::to_string(PROCSQL_WALK_BOUNDED_COMPONENTS) +
		                                " components; deeper paths are flagged path_truncated)");
		text("bpf.syscall_column", bpf_->execveat_hooked()
		                               ? "exact (syscalls/sys_enter_execveat attached)"
		                               : "partial: tracefs or syscall tracepoints unavailable; execveat "
		                                 "known only for fd-relative execs, otherwise NULL");
		integer("bpf.ringbuf_bytes", config_.ringbuf_bytes);
	}
	integer("argv_bytes", config_.argv_bytes);
	integer("process_events.events_received", b.received);
	integer("process_events.events_lost_kernel", b.lost_total());
	integer("process_events.events_lost_ringbuf_full", b.lost_ringbuf_full);
	integer("process_events.events_lost_recursion", b.lost_recursion);
	integer("process_events.events_lost_no_scratch", b.lost_no_scratch);
	integer("process_events.events_seen_kernel", b.kernel_seen);
	integer("process_events.decode_errors", b.decode_errors);
	integer("process_events.rows_overwritten", c.rows_overwritten);
	integer("process_events.rows_evicted_by_arena", c.rows_evicted_by_arena);
	integer("process_events.rows_rejected_too_large", c.rows_rejected_too_large);
	integer("process_events.rows_retained", retained);
	integer("process_events.capacity", ring.capacity());
	integer("process_events.arena_bytes", ring.arena_bytes());
	integer("process_events.memory_bytes", exec_store_->memory_bytes());
	integer("process_events.paths_truncated", b.paths_truncated);
	integer("process_events.argv_truncated", b.argv_truncated);
	return rows;
}

} // namespace procsql
