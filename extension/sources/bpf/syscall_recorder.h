// The user-space half of syscall_usage (bpf/syscalls.bpf.h): attaches the
// recording programs while something is to be recorded (nothing is on the
// syscall path otherwise), enters the chosen containers' cgroups into the
// kernel's watch map, decides about the cgroups the kernel began watching on
// its own (made while recording: kept when a chosen container's, removed with
// what they recorded otherwise), reads the counts, and forgets a removed
// container's counts once PROCSQL_CONTAINER_GRACE has passed.
//
// Thread-safe: the consumer thread reports cgroups, queries read, procsqld
// changes the selection; one mutex, never held while calling out except to
// the container map (which never calls back).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "clock.h"
#include "sources/source.h"
#include "syscalls/syscall_selection.h"
#include "syscalls/syscall_usage_row.h"

struct bpf_program;
struct bpf_link;
struct bpf_map;

namespace procsql {

class ContainerMap;

class SyscallRecorder {
public:
	struct Programs {
		bpf_program* enter; // raw_tracepoint/sys_enter
		bpf_program* mkdir; // tp_btf/cgroup_mkdir
		bpf_program* exec;  // tp_btf/sched_process_exec
		bpf_map* filter; // the watch map's pre-filter (syscalls.bpf.h)
		bpf_map* watch;
		bpf_map* usage;
	};
	SyscallRecorder(Programs p, ContainerMap& containers, const BootClock& clock, int64_t grace_ns)
	    : p_(p), containers_(containers), clock_(clock), grace_ns_(grace_ns) {}
	~SyscallRecorder();
	SyscallRecorder(const SyscallRecorder&) = delete;
	SyscallRecorder& operator=(const SyscallRecorder&) = delete;

	// Records what `s` chooses from now on (empty: nothing, programs
	// detached; what was recorded stays). False with a one-line reason when
	// the programs cannot be attached (nothing changes then).
	bool select(const SyscallSelection& s, std::string* error);
	// From the cgroup records, in the order the kernel made them.
	void on_mkdir(uint64_t cgroup_id);
	void on_rmdir(uint64_t cgroup_id, int64_t time_ns);
	// Decides about the cgroups the kernel watches on its own and forgets
	// what expired. Cheap when there is nothing to do (every drain).
	void tick();
	// Cgroups wait for a decision: the consumer polls sooner meanwhile.
	bool deciding() const {
		std::lock_guard<std::mutex> lock(mu_);
		return !undecided_.empty();
	}
	// The counts of the chosen cgroups.
	bool read(std::vector<SyscallUsageRow>* out, std::string* error);
	void append_stats(std::vector<StatRow>* rows) const;
	// Chosen cgroups user space could not enter: the watch map was full.
	uint64_t watch_full() const {
		std::lock_guard<std::mutex> lock(mu_);
		return watch_full_;
	}
	void detach_for_fork(); // a forked child: its copies of the links' fds only

private:
	bool attach(std::string* error);
	void detach();
	void watch(uint64_t cgroup_id, uint32_t state, bool replace);
	void unwatch(uint64_t cgroup_id);
	void clear_filter();
	// Deletes the kernel's counts of these cgroups (one pass over the map).
	void forget_counts(const std::unordered_set<uint64_t>& cgroups);

	Programs p_;
	ContainerMap& containers_;
	const BootClock& clock_;
	int64_t grace_ns_;
	mutable std::mutex mu_;
	SyscallSelection selection_;
	std::vector<bpf_link*> links_;
	// Cgroups whose counts are shown (chosen once; kept after a stop until
	// the container is gone for the grace period).
	std::unordered_set<uint64_t> chosen_;
	// Cgroups made while recording, not decided yet -> when first seen (Unix ns).
	std::unordered_map<uint64_t, int64_t> undecided_;
	std::unordered_map<uint64_t, int64_t> removed_; // cgroup -> rmdir time (Unix ns)
	uint64_t rejected_ = 0;  // cgroups made while recording that were not chosen
	uint64_t forgotten_ = 0; // cgroups whose counts expired
	uint64_t watch_full_ = 0; // chosen cgroups the full watch map could not take
};

} // namespace procsql
