// What the collector drives: one source of process events (eBPF programs,
// sources/bpf/, or the kernel's audit subsystem, sources/audit/), which
// decodes what the kernel delivers and appends it to the stores. The
// collector knows no backend; each source reports its own counters.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "exec_event.h"
#include "exec_failure_event.h"
#include "lifecycle_event.h"
#include "process_snapshot.h"
#include "syscalls/syscall_selection.h"
#include "syscalls/syscall_usage_row.h"

namespace procsql {

class ContainerMap;

// The stores a source fills, one per table.
struct Stores {
	ExecStore* exec;
	CloneStore* clone;
	ExitStore* exit;
	ExecFailureStore* failure; // exec_failures
	ContainerMap* containers; // cgroup records go here; rows are attributed from it
};

// One table's counters.
struct KindStats {
	uint64_t received = 0;          // records decoded and stored
	uint64_t decode_errors = 0;     // records refused by the decoder
	uint64_t kernel_seen = 0;       // records made in the kernel
	uint64_t lost_ringbuf_full = 0; // dropped in the kernel: ring buffer full
	uint64_t lost_no_scratch = 0;   // dropped in the kernel: no scratch buffer
	uint64_t lost_recursion = 0;    // program not run: re-entered on a CPU
	uint64_t lost_too_large = 0;    // dropped in the kernel: the record outgrew its buffer
	uint64_t paths_truncated = 0;   // rows with a path not resolved whole
	uint64_t argv_truncated = 0;    // rows with cmdline_truncated = 1 (execs and failed execs)
	uint64_t lost_audit = 0;        // audit backend: records the kernel or the reader dropped (all tables)
	uint64_t lost_total() const {
		return lost_ringbuf_full + lost_no_scratch + lost_recursion + lost_too_large + lost_audit;
	}
};

// The counters every table's procsql_stats rows come from, whichever backend.
struct SourceStats {
	KindStats exec, clone, exit, failure;
};

// A row of procsql_stats: an integer or a text value.
struct StatRow {
	std::string name;
	bool is_text;
	int64_t integer;
	std::string text;
};

inline void append_text_stat(std::vector<StatRow>* rows, std::string name, std::string value) {
	rows->push_back(StatRow{std::move(name), true, 0, std::move(value)});
}

inline void append_integer_stat(std::vector<StatRow>* rows, std::string name, uint64_t value) {
	rows->push_back(StatRow{std::move(name), false, int64_t(value), {}});
}

class Source {
public:
	virtual ~Source() = default;

	// "bpf" or "audit": procsql_stats' backend, and what a forked child restarts.
	virtual const char* backend() const = 0;
	// Read-your-writes: moves what the kernel delivered into the stores, so a
	// query sees every event that finished before it began. Thread-safe.
	virtual void drain() = 0;
	// The longest one drain() may take.
	virtual int drain_bound_ms() const = 0;
	// The kernel tells this source when cgroups are made and removed (eBPF's
	// cgroup records); without that, container_map learns cgroups from
	// processes and checks for removed ones itself (audit).
	virtual bool reports_cgroup_changes() const { return true; }
	// The processes alive now (without argv: see process_snapshot.h);
	// false with a reason when they cannot be read. Thread-safe.
	virtual bool read_processes(std::vector<LiveProcess>* out, std::string* error) = 0;
	// syscall_usage: records what `s` chooses from now on (empty: nothing).
	// False with a one-line reason when this backend cannot (audit) or the
	// recorder cannot be attached.
	virtual bool select_syscalls(const SyscallSelection& s, std::string* error) {
		(void)s;
		*error = std::string("the ") + backend() + " backend records no syscalls (syscall_usage needs the eBPF backend)";
		return false;
	}
	// syscall_usage's rows now. Thread-safe.
	virtual bool read_syscall_usage(std::vector<SyscallUsageRow>* out, std::string* error) {
		(void)error;
		out->clear();
		return true;
	}
	// The per-table counters, folded into the same meaning for every backend.
	virtual SourceStats counters() const = 0;
	// The backend's own procsql_stats rows (bpf.*, audit.*). With
	// read_counters false (a forked child that has not restarted its source)
	// the counters are not read from the kernel objects, which are the
	// parent's, and show as zero; settings still show.
	virtual void append_stats(std::vector<StatRow>* rows, bool read_counters) const = 0;
	// In a child forked from the process that started this source: lets go
	// of this process's copies of its descriptors without touching what the
	// parent still uses. The consumer thread did not come with the fork: the
	// object must then be leaked, never destroyed.
	virtual void abandon_after_fork() = 0;
	// Held across fork() (pthread_atfork, collector.cpp) so that no record is
	// half-stored in the child's copy of the stores; nullptr: none is held.
	virtual std::mutex* fork_mutex() { return nullptr; }
};

} // namespace procsql
