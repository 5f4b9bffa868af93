#include "containers/container_map.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include "containers/cgroup_path.h"
#include "containers/runtime_state.h"

namespace procsql {

namespace {

constexpr long kCgroup2SuperMagic = 0x63677270;
// How long a cgroup that matched nothing is looked up again in runc's state,
// and how often runc's state directories are read at most.
constexpr int64_t kRuncWindowNs = 30'000'000'000;
constexpr int64_t kRuncRefreshNs = 100'000'000;

bool is_cgroup2(const std::string& dir) {
	struct statfs fs{};
	return statfs(dir.c_str(), &fs) == 0 && fs.f_type == kCgroup2SuperMagic;
}

int64_t ctime_ns(const struct stat& st) { return int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec; }

// Kubernetes' annotations: in runc's state (as labels) or else in the
// bundle's config.json.
std::map<std::string, std::string> runc_annotations(const containers::RuncContainer& rc) {
	std::map<std::string, std::string> annotations = rc.annotations;
	std::string ignored;
	if (annotations.empty() && !rc.bundle.empty()) {
		containers::read_oci_config_annotations(rc.bundle + "/config.json", &annotations, &ignored);
	}
	return annotations;
}

// Fills what the runtime's metadata says and the entry lacks; a cgroup path
// that only says "a pod's container" gets its runtime from the annotations'
// family (containerd's io.kubernetes.cri.*, CRI-O's io.kubernetes.cri-o.*).
void add_metadata(ContainerEntry* e, const containers::OciMetadata& meta,
                  const std::map<std::string, std::string>& annotations) {
	auto fill = [](std::string* field, const std::string& value) {
		if (field->empty()) {
			*field = value;
		}
	};
	fill(&e->container_name, meta.container_name);
	fill(&e->image, meta.image);
	fill(&e->pod_uid, meta.pod_uid);
	fill(&e->pod_name, meta.pod_name);
	fill(&e->pod_namespace, meta.pod_namespace);
	if (e->runtime == "kubernetes" || e->runtime == "runc") {
		for (const auto& [key, value] : annotations) {
			if (key.compare(0, 21, "io.kubernetes.cri-o.") == 0) {
				e->runtime = "cri-o";
				break;
			}
			if (key.compare(0, 18, "io.kubernetes.cri.") == 0) {
				e->runtime = "containerd";
				break;
			}
		}
	}
}

bool read_small_file(const std::string& path, std::string* out) {
	std::ifstream in(path, std::ios::binary);
	if (!in) {
		return false;
	}
	out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
	return out->size() < (1u << 22);
}

} // namespace

std::string find_cgroup2_root() {
	for (const char* dir : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
		if (is_cgroup2(dir)) {
			return dir;
		}
	}
	return {};
}

ContainerMap::ContainerMap(Options options) : options_(std::move(options)) {
	if (options_.cgroup2_root.empty()) {
		options_.cgroup2_root = find_cgroup2_root();
	}
}

void ContainerMap::scan() {
	if (options_.cgroup2_root.empty()) {
		return;
	}
	// Depth-first over directories; a cgroup's id is its directory's inode.
	std::function<void(const std::string&, const std::string&)> walk = [&](const std::string& dir,
	                                                                         const std::string& rel) {
		struct stat st{};
		if (stat(dir.c_str(), &st) != 0) {
			return;
		}
		add(uint64_t(st.st_ino), rel.empty() ? "/" : rel, ctime_ns(st));
		DIR* d = opendir(dir.c_str());
		if (!d) {
			return;
		}
		while (dirent* e = readdir(d)) {
			if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
				walk(dir + "/" + e->d_name, rel + "/" + e->d_name);
			}
		}
		closedir(d);
	};
	walk(options_.cgroup2_root, "");
	std::lock_guard<std::mutex> lock(mu_);
	refresh_runc(0);
}

void ContainerMap::add(uint64_t cgroup_id, const std::string& path, int64_t created_ns) {
	ContainerEntry e;
	e.cgroup_id = cgroup_id;
	e.cgroup_path = path;
	e.created_time = created_ns;
	resolve_from_path(&e);
	std::lock_guard<std::mutex> lock(mu_);
	if (e.container_id.empty() && e.pod_uid.empty()) {
		unresolved_since_[cgroup_id] = created_ns;
	}
	entries_[cgroup_id] = std::move(e);
}

void ContainerMap::resolve_from_path(ContainerEntry* e) {
	const containers::CgroupMatch m = containers::parse_cgroup_path(e->cgroup_path);
	if (!m.matched) {
		return;
	}
	e->container_id = m.container_id;
	e->runtime = m.runtime;
	e->pod_uid = m.pod_uid;
	if (e->container_id.empty()) {
		return;
	}
	if (e->runtime == "docker" && !options_.docker_root.empty()) {
		const containers::DockerMetadata d =
		    containers::read_docker_config(options_.docker_root + "/" + e->container_id + "/config.v2.json");
		e->container_name = d.name;
		e->image = d.image;
		add_metadata(e, containers::read_oci_annotations(d.labels), d.labels);
		return;
	}
	// containerd and CRI-O run their containers with runc: its state, under
	// one of the runc roots, holds Kubernetes' annotations.
	for (const std::string& root : options_.runc_roots) {
		containers::RuncContainer rc;
		std::string json, ignored;
		if (!read_small_file(root + "/" + e->container_id + "/state.json", &json) ||
		    !containers::parse_runc_state(json, &rc, &ignored)) {
			continue;
		}
		std::map<std::string, std::string> annotations = runc_annotations(rc);
		add_metadata(e, containers::read_oci_annotations(annotations), annotations);
		if (!e->created_time && rc.created_ns) {
			e->created_time = rc.created_ns;
		}
		break;
	}
}

void ContainerMap::on_mkdir(uint64_t cgroup_id, const std::string& path, int64_t time_ns) {
	add(cgroup_id, path, time_ns);
	std::lock_guard<std::mutex> lock(mu_);
	expire(time_ns);
}

void ContainerMap::on_rmdir(uint64_t cgroup_id, int64_t time_ns) {
	std::lock_guard<std::mutex> lock(mu_);
	auto it = entries_.find(cgroup_id);
	if (it != entries_.end()) {
		it->second.removed_time = time_ns;
	}
	unresolved_since_.erase(cgroup_id);
	expire(time_ns);
}

// Reads runc's state directories and gives every cgroup that is (or is
// under) a runc container's cgroup that container's id and metadata.
void ContainerMap::refresh_runc(int64_t now_ns) {
	last_runc_refresh_ns_ = now_ns;
	for (const std::string& root : options_.runc_roots) {
		for (const containers::RuncContainer& rc : containers::read_runc_states(root)) {
			// The v2 path, made relative to the v2 root.
			const std::string abs = containers::unified_cgroup_path(rc);
			if (abs.empty() || abs.compare(0, options_.cgroup2_root.size(), options_.cgroup2_root) != 0) {
				continue;
			}
			const std::string rel = abs.substr(options_.cgroup2_root.size());
			const std::map<std::string, std::string> annotations = runc_annotations(rc);
			const containers::OciMetadata meta = containers::read_oci_annotations(annotations);
			{
				for (auto& [id, e] : entries_) {
					const bool inside = e.cgroup_path == rel ||
					                    (e.cgroup_path.size() > rel.size() &&
					                     e.cgroup_path.compare(0, rel.size(), rel) == 0 && e.cgroup_path[rel.size()] == '/');
					if (!inside || !e.container_id.empty()) {
						continue;
					}
					e.container_id = rc.id;
					e.runtime = "runc";
					add_metadata(&e, meta, annotations);
					if (rc.created_ns) {
						e.created_time = rc.created_ns;
					}
					unresolved_since_.erase(id);
				}
			}
		}
	}
}

std::string ContainerMap::container_of(uint64_t cgroup_id, int64_t now_ns) {
	std::lock_guard<std::mutex> lock(mu_);
	auto it = entries_.find(cgroup_id);
	if (it == entries_.end()) {
		return {};
	}
	if (it->second.container_id.empty()) {
		auto pending = unresolved_since_.find(cgroup_id);
		if (pending != unresolved_since_.end() && now_ns - pending->second < kRuncWindowNs &&
		    now_ns - last_runc_refresh_ns_ >= kRuncRefreshNs) {
			refresh_runc(now_ns);
			it = entries_.find(cgroup_id);
		}
	}
	return it->second.container_id;
}

std::vector<ContainerEntry> ContainerMap::containers(int64_t now_ns) {
	std::lock_guard<std::mutex> lock(mu_);
	expire(now_ns);
	if (!unresolved_since_.empty() && now_ns - last_runc_refresh_ns_ >= kRuncRefreshNs) {
		refresh_runc(now_ns);
	}
	std::vector<ContainerEntry> out;
	for (const auto& [id, e] : entries_) {
		if (!e.container_id.empty() || !e.pod_uid.empty()) {
			out.push_back(e);
		}
	}
	return out;
}

uint64_t ContainerMap::cgroups_known() const {
	std::lock_guard<std::mutex> lock(mu_);
	return entries_.size();
}

void ContainerMap::expire(int64_t now_ns) {
	for (auto it = entries_.begin(); it != entries_.end();) {
		if (it->second.removed_time && now_ns - it->second.removed_time > options_.grace_ns) {
			unresolved_since_.erase(it->first);
			it = entries_.erase(it);
		} else {
			++it;
		}
	}
}

} // namespace procsql
