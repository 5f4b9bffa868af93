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
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace procsql {

struct ContainerEntry {
	uint64_t cgroup_id = 0;
	std::string cgroup_path; // relative to the cgroup v2 root, e.g. "/kubepods.slice/..."
	std::string container_id, runtime, container_name, image;
	std::string pod_uid, pod_name, pod_namespace;
	int64_t created_time = 0; // Unix ns; 0 unknown
	int64_t removed_time = 0; // Unix ns; 0 while the cgroup exists
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
	void on_mkdir(uint64_t cgroup_id, const std::string& path, int64_t time_ns);
	void on_rmdir(uint64_t cgroup_id, int64_t time_ns);

	// The container a cgroup's processes run in; "" for the host.
	std::string container_of(uint64_t cgroup_id, int64_t now_ns);
	// The cgroups that belong to a container or a pod, removed ones included
	// until their grace period ends.
	std::vector<ContainerEntry> containers(int64_t now_ns);

	const std::string& cgroup2_root() const { return options_.cgroup2_root; }
	uint64_t cgroups_known() const;

private:
	void add(uint64_t cgroup_id, const std::string& path, int64_t created_ns);
	void resolve_from_path(ContainerEntry* e);
	void refresh_runc(int64_t now_ns);
	void expire(int64_t now_ns);

	Options options_;
	mutable std::mutex mu_;
	std::unordered_map<uint64_t, ContainerEntry> entries_;
	// runc writes its state after making the cgroup: cgroups that matched no
	// path pattern are looked up again in runc's state for a while.
	std::unordered_map<uint64_t, int64_t> unresolved_since_;
	int64_t last_runc_refresh_ns_ = 0;
};

// Where cgroup v2 is mounted: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified
// (hybrid); empty when there is none.
std::string find_cgroup2_root();

} // namespace procsql
