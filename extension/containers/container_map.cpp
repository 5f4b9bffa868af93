#include "containers/container_map.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
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
// How long, after it was made, a cgroup that matched nothing is looked up
// again in runc's state.
constexpr int64_t kRuncWindowNs = 30'000'000'000;

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
	// Once, for every container that was already running.
	std::lock_guard<std::mutex> lock(mu_);
	refresh_runc();
}

void ContainerMap::add(uint64_t cgroup_id, const std::string& path, int64_t created_ns, bool truncated) {
	ContainerEntry e;
	e.cgroup_id = cgroup_id;
	e.cgroup_path = path;
	e.created_time = created_ns;
	e.path_truncated = truncated;
	const bool pending = resolve_from_path(&e);
	std::lock_guard<std::mutex> lock(mu_);
	entries_[cgroup_id] = std::move(e);
	// Not read now: runc writes its state only after it made the cgroup. The
	// container's own events (container_of) and queries look it up.
	if (pending) {
		pending_since_[cgroup_id] = created_ns;
	}
}

// Fills what the cgroup path tells. Returns whether runc's state may still
// tell more: the id of a plain runc container, or the names, image and pod of
// one that containerd or CRI-O runs with runc (found by id in refresh_runc).
bool ContainerMap::resolve_from_path(ContainerEntry* e) {
	const containers::CgroupMatch m = containers::parse_cgroup_path(e->cgroup_path);
	if (!m.matched) {
		return true;
	}
	e->container_id = m.container_id;
	e->runtime = m.runtime;
	e->pod_uid = m.pod_uid;
	if (e->container_id.empty()) {
		return false; // a pod's own cgroup
	}
	if (e->runtime == "docker" && !options_.docker_root.empty()) {
		const containers::DockerMetadata d =
		    containers::read_docker_config(options_.docker_root + "/" + e->container_id + "/config.v2.json");
		e->container_name = d.name;
		e->image = d.image;
		add_metadata(e, containers::read_oci_annotations(d.labels), d.labels);
		return false;
	}
	return true;
}

// A cgroup v2 directory by its id: kernfs ids are the file handles that
// open_by_handle_at() takes (FILEID_KERNFS), and the open directory's
// /proc/self/fd link is its path below the mount.
bool ContainerMap::path_by_id(uint64_t cgroup_id, std::string* path) const {
	if (options_.cgroup2_root.empty()) {
		return false;
	}
	const int mount_fd = open(options_.cgroup2_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mount_fd < 0) {
		return false;
	}
	struct {
		file_handle handle;
		uint64_t id;
	} h{};
	h.handle.handle_bytes = sizeof(uint64_t);
	h.handle.handle_type = 0xfe; // FILEID_KERNFS
	h.id = cgroup_id;
	const int fd = open_by_handle_at(mount_fd, &h.handle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(mount_fd);
	if (fd < 0) {
		return false;
	}
	char link[64];
	std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	std::string target(PATH_MAX, '\0');
	const ssize_t n = readlink(link, &target[0], target.size());
	close(fd);
	if (n <= 0 || size_t(n) >= target.size()) {
		return false;
	}
	target.resize(size_t(n));
	const std::string& root = options_.cgroup2_root;
	if (target.compare(0, root.size(), root) != 0) {
		return false;
	}
	*path = target.size() == root.size() ? "/" : target.substr(root.size());
	return true;
}

void ContainerMap::on_mkdir(uint64_t cgroup_id, const std::string& path, int64_t time_ns, bool maybe_cut) {
	std::string whole;
	if (!maybe_cut) {
		add(cgroup_id, path, time_ns);
	} else if (path_by_id(cgroup_id, &whole)) {
		if (whole != path) {
			paths_recovered_.fetch_add(1, std::memory_order_relaxed);
		}
		add(cgroup_id, whole, time_ns);
	} else {
		// Gone already, or no mount to read it from: keep the cut path, say so.
		paths_truncated_.fetch_add(1, std::memory_order_relaxed);
		add(cgroup_id, path, time_ns, true);
	}
	std::lock_guard<std::mutex> lock(mu_);
	expire(time_ns);
}

void ContainerMap::on_rmdir(uint64_t cgroup_id, int64_t time_ns) {
	std::lock_guard<std::mutex> lock(mu_);
	auto it = entries_.find(cgroup_id);
	if (it != entries_.end()) {
		it->second.removed_time = time_ns;
	}
	pending_since_.erase(cgroup_id);
	expire(time_ns);
}

void ContainerMap::observe(uint64_t cgroup_id, const std::string& path, int64_t now_ns) {
	{
		std::lock_guard<std::mutex> lock(mu_);
		auto it = entries_.find(cgroup_id);
		if (it != entries_.end() && it->second.removed_time == 0 && it->second.cgroup_path == path) {
			return;
		}
	}
	add(cgroup_id, path, now_ns);
	// Its ancestors too (a Kubernetes pod's own cgroup holds no process, so
	// no process shows it), when their directories are there to say their
	// ids; made before the cgroup, so their ctime is their creation.
	if (options_.cgroup2_root.empty()) {
		return;
	}
	for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0; slash = path.rfind('/', slash - 1)) {
		const std::string parent = path.substr(0, slash);
		struct stat st{};
		if (stat((options_.cgroup2_root + parent).c_str(), &st) != 0) {
			break;
		}
		{
			std::lock_guard<std::mutex> lock(mu_);
			auto it = entries_.find(uint64_t(st.st_ino));
			if (it != entries_.end() && it->second.removed_time == 0 && it->second.cgroup_path == parent) {
				break; // known, and so are its own ancestors
			}
		}
		add(uint64_t(st.st_ino), parent, ctime_ns(st));
	}
}

void ContainerMap::check_removed(int64_t now_ns) {
	if (options_.cgroup2_root.empty()) {
		return;
	}
	std::vector<std::pair<uint64_t, std::string>> present;
	{
		std::lock_guard<std::mutex> lock(mu_);
		for (const auto& [id, e] : entries_) {
			if (e.removed_time == 0) {
				present.emplace_back(id, e.cgroup_path);
			}
		}
	}
	// stat outside the lock: hundreds of cgroups must not stall queries.
	for (const auto& [id, path] : present) {
		struct stat st{};
		if (stat((options_.cgroup2_root + path).c_str(), &st) != 0 || uint64_t(st.st_ino) != id) {
			on_rmdir(id, now_ns);
		}
	}
}

// Reads runc's state directories (each state.json parsed again only when it
// changed) and completes the pending cgroups: those that are, or are under,
// a runc container's cgroup get its id; those whose id is a runc container's
// get its names, image and pod.
void ContainerMap::refresh_runc() {
	if (pending_since_.empty()) {
		return;
	}
	std::unordered_map<std::string, CachedState> seen;
	for (const std::string& root : options_.runc_roots) {
		DIR* d = opendir(root.c_str());
		if (!d) {
			continue;
		}
		while (dirent* ent = readdir(d)) {
			if (ent->d_name[0] == '.') {
				continue;
			}
			const std::string path = root + "/" + ent->d_name + "/state.json";
			struct stat st{};
			if (stat(path.c_str(), &st) != 0) {
				continue;
			}
			// runc replaces state.json by rename: a new inode, or a new ctime
			// or size, means a new state. Only states that parsed are kept.
			auto it = runc_cache_.find(path);
			if (it != runc_cache_.end() && it->second.inode == uint64_t(st.st_ino) &&
			    it->second.mtime_ns == ctime_ns(st) && it->second.size == st.st_size) {
				seen.emplace(path, it->second);
				continue;
			}
			CachedState cached;
			std::string json, ignored;
			cached.inode = uint64_t(st.st_ino);
			cached.mtime_ns = ctime_ns(st);
			cached.size = st.st_size;
			cached.ok = read_small_file(path, &json) && containers::parse_runc_state(json, &cached.state, &ignored);
			if (cached.ok) {
				seen.emplace(path, std::move(cached));
			}
		}
		closedir(d);
	}
	runc_cache_.swap(seen); // forget containers whose state is gone

	for (const auto& [path, cached] : runc_cache_) {
		if (!cached.ok) {
			continue;
		}
		const containers::RuncContainer& rc = cached.state;
		const std::string abs = containers::unified_cgroup_path(rc);
		const bool has_v2 = !abs.empty() && abs.compare(0, options_.cgroup2_root.size(), options_.cgroup2_root) == 0;
		const std::string rel = has_v2 ? abs.substr(options_.cgroup2_root.size()) : std::string();
		std::map<std::string, std::string> annotations;
		bool have_annotations = false;
		for (auto pending = pending_since_.begin(); pending != pending_since_.end();) {
			auto found = entries_.find(pending->first);
			if (found == entries_.end()) {
				pending = pending_since_.erase(pending);
				continue;
			}
			ContainerEntry& e = found->second;
			const bool by_id = !e.container_id.empty() && e.container_id == rc.id;
			const bool by_path = e.container_id.empty() && has_v2 &&
			                     (e.cgroup_path == rel || (e.cgroup_path.size() > rel.size() &&
			                                               e.cgroup_path.compare(0, rel.size(), rel) == 0 &&
			                                               e.cgroup_path[rel.size()] == '/'));
			if (!by_id && !by_path) {
				++pending;
				continue;
			}
			if (!have_annotations) {
				annotations = runc_annotations(rc);
				have_annotations = true;
			}
			if (by_path) {
				e.container_id = rc.id;
				e.runtime = "runc";
			}
			add_metadata(&e, containers::read_oci_annotations(annotations), annotations);
			if (rc.created_ns) {
				e.created_time = rc.created_ns;
			}
			pending = pending_since_.erase(pending);
		}
	}
}

std::string ContainerMap::container_of(uint64_t cgroup_id, int64_t now_ns) {
	std::lock_guard<std::mutex> lock(mu_);
	auto it = entries_.find(cgroup_id);
	if (it == entries_.end()) {
		return {};
	}
	// Still missing its id (plain runc) or what only runc's state has (names,
	// pod): the container's own events come after runc wrote its state, which
	// may be gone by the time anyone queries, so complete it now.
	auto pending = pending_since_.find(cgroup_id);
	if (pending != pending_since_.end() && now_ns - pending->second < kRuncWindowNs) {
		refresh_runc(); // cheap: a readdir and a stat per container unless a state changed
	}
	return it->second.container_id;
}

bool ContainerMap::container_if_settled(uint64_t cgroup_id, int64_t now_ns, std::string* container_id,
                                        bool* may_change) {
	std::lock_guard<std::mutex> lock(mu_);
	auto it = entries_.find(cgroup_id);
	if (it == entries_.end()) {
		return false;
	}
	auto pending = pending_since_.find(cgroup_id);
	const bool in_window = pending != pending_since_.end() && now_ns - pending->second < kRuncWindowNs;
	if (in_window && it->second.container_id.empty()) {
		refresh_runc();
	}
	*container_id = it->second.container_id;
	*may_change = in_window && container_id->empty();
	return true;
}

std::vector<ContainerEntry> ContainerMap::containers(int64_t now_ns) {
	std::lock_guard<std::mutex> lock(mu_);
	expire(now_ns);
	refresh_runc();
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
	// Past the window runc's state will not name a cgroup any more: most of
	// these are the host's own (services, sessions), which stay unmatched.
	for (auto it = pending_since_.begin(); it != pending_since_.end();) {
		it = now_ns - it->second > kRuncWindowNs ? pending_since_.erase(it) : std::next(it);
	}
	for (auto it = entries_.begin(); it != entries_.end();) {
		if (it->second.removed_time && now_ns - it->second.removed_time >= options_.grace_ns) {
			pending_since_.erase(it->first);
			it = entries_.erase(it);
		} else {
			++it;
		}
	}
}

} // namespace procsql
