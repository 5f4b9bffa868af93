// procsql::ContainerMap: cgroup v2 id -> container, runtime and pod.
//
// Filled by a scan of the cgroup v2 hierarchy at start and kept current by
// the kernel's cgroup mkdir/rmdir records, which arrive through the ring
// buffer before any process of a new cgroup execs. A cgroup is a container's
// when its path names one (Docker, containerd/CRI, CRI-O, Podman, Kubernetes
// pods: containers/cgroup_path.h) or when runc's own state says so (runc
// names its containers freely). Names, image and pod come from the runtimes'
// state on disk (containers/runtime_state.h); what is not there stays empty.
// A removed container stays for a grace period, so events of short-lived
// containers still join it.
//
// One writer (the source's consumer thread, at ingest) and query threads
// read: a mutex, held briefly; nothing here is on a per-row hot path except
// container_of(), a hash lookup.
#pragma once

#include <cstdint>
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "containers/runtime_state.h"

namespace procsql {

struct ContainerEntry {
	uint64_t cgroup_id = 0;
	std::string cgroup_path; // relative to the cgroup v2 root, e.g. "/kubepods.slice/..."
	std::string container_id, runtime, container_name, image;
	std::string pod_uid, pod_name, pod_namespace;
	int64_t created_time = 0; // Unix ns; 0 unknown
	int64_t removed_time = 0; // Unix ns; 0 while the cgroup exists
	bool path_truncated = false; // cgroup_path is not whole (the kernel cut it, and it could not be re-read)
};

class ContainerMap {
public:
	struct Options {
		std::string cgroup2_root;            // where cgroup v2 is mounted; empty: found
		std::vector<std::string> runc_roots; // runc --root directories ("/run/runc")
		std::string docker_root;             // /var/lib/docker/containers
		int64_t grace_ns;                    // how long removed containers stay
	};

	explicit ContainerMap(Options options);

	// Walks the cgroup v2 hierarchy (at start).
	void scan();
	// maybe_cut: the kernel's path filled its buffer (it cuts at 1023 bytes);
	// the whole path is then read from the cgroup v2 mount by the cgroup's id.
	void on_mkdir(uint64_t cgroup_id, const std::string& path, int64_t time_ns, bool maybe_cut = false);
	void on_rmdir(uint64_t cgroup_id, int64_t time_ns);
	// For sources without cgroup mkdir/rmdir records (audit): a cgroup seen in
	// a process's /proc/PID/cgroup, added when unknown (a later cgroup with the
	// same inode replaces a removed one); and a periodic check that marks the
	// cgroups whose directory is gone as removed.
	void observe(uint64_t cgroup_id, const std::string& path, int64_t now_ns);
	void check_removed(int64_t now_ns);

	// The container a cgroup's processes run in; "" for the host.
	std::string container_of(uint64_t cgroup_id, int64_t now_ns);
	// For syscall_usage's choice: false when the cgroup is unknown (its mkdir
	// record not read yet); else its container ("" for none yet) and whether
	// that may still change (runc may still write the state that names it).
	bool container_if_settled(uint64_t cgroup_id, int64_t now_ns, std::string* container_id, bool* may_change);
	// The cgroups that belong to a container or a pod, removed ones included
	// until their grace period ends.
	std::vector<ContainerEntry> containers(int64_t now_ns);

	const std::string& cgroup2_root() const { return options_.cgroup2_root; }
	// Held across fork() by the collector (no thread holds it in the child).
	std::mutex& mutex() { return mu_; }
	uint64_t cgroups_known() const;
	// Paths the kernel cut that were read whole by id, and those that could
	// not be (the cgroup was gone): flagged path_truncated.
	uint64_t paths_recovered() const { return paths_recovered_.load(std::memory_order_relaxed); }
	uint64_t paths_truncated() const { return paths_truncated_.load(std::memory_order_relaxed); }

private:
	// A runc state file as last read, kept while its mtime and size hold.
	struct CachedState {
		uint64_t inode = 0;
		int64_t mtime_ns = 0;
		int64_t size = -1;
		bool ok = false;
		containers::RuncContainer state;
	};

	void add(uint64_t cgroup_id, const std::string& path, int64_t created_ns, bool truncated = false);
	bool path_by_id(uint64_t cgroup_id, std::string* path) const;
	bool resolve_from_path(ContainerEntry* e);
	void refresh_runc();
	void expire(int64_t now_ns);

	Options options_;
	mutable std::mutex mu_;
	std::unordered_map<uint64_t, ContainerEntry> entries_;
	// runc writes its state after it makes the cgroup (and runs its own setup
	// in it): cgroups still missing a container id, or the metadata only
	// runc's state has, are looked up again, by event, for a while.
	std::unordered_map<uint64_t, int64_t> pending_since_;
	std::unordered_map<std::string, CachedState> runc_cache_; // state.json path -> state
	std::atomic<uint64_t> paths_recovered_{0};
	std::atomic<uint64_t> paths_truncated_{0};
};

// Where cgroup v2 is mounted: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified
// (hybrid); empty when there is none.
std::string find_cgroup2_root();

} // namespace procsql
