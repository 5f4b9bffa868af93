#include "containers/cgroup_path.h"

#include <vector>

namespace procsql::containers {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Pod uids are UUIDs from the API server, but a static pod's is a hash and
// one written into a static manifest can be any name: accept the characters
// a uid can have in a cgroup name, nothing that could be a path or a slice
// separator.
bool is_pod_uid(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
      return false;
  return true;
}

// The runtime that names its cgroups "<prefix>-<id>" (and spells the same
// prefix in "<slice>:<prefix>:<id>"). The conmon monitors
// ("crio-conmon-<id>", "libpod-conmon-<id>") fail the id check after the
// prefix, which is what keeps them out.
std::string_view runtime_for_prefix(std::string_view prefix) {
  if (prefix == "docker") return "docker";
  if (prefix == "cri-containerd") return "containerd";
  if (prefix == "crio") return "cri-o";
  if (prefix == "libpod") return "podman";
  return {};
}

// "<prefix>-<id>[.scope]" -> runtime, or empty.
std::string_view match_scope(std::string_view comp, std::string_view* id) {
  if (ends_with(comp, ".scope")) comp.remove_suffix(6);
  const std::size_t dash = comp.size() >= 65 ? comp.size() - 65 : std::string_view::npos;
  if (dash == std::string_view::npos || comp[dash] != '-') return {};
  const std::string_view rest = comp.substr(dash + 1);
  if (!is_container_id(rest)) return {};
  const std::string_view runtime = runtime_for_prefix(comp.substr(0, dash));
  if (!runtime.empty()) *id = rest;
  return runtime;
}

// A systemd-driver pod slice, "[<root>-]kubepods[-<qos>]-pod<uid>.slice"
// (systemd spells a hierarchy with '-', so kubelet writes the uid's '-' as
// '_'): the uid with '-' restored, or empty.
std::string pod_from_slice(std::string_view comp) {
  if (!ends_with(comp, ".slice")) return {};
  comp.remove_suffix(6);
  const std::size_t last = comp.rfind('-');
  if (last == std::string_view::npos) return {};
  const std::string_view pod = comp.substr(last + 1);
  std::string_view parent = comp.substr(0, last);
  if (!starts_with(pod, "pod")) return {};
  if (ends_with(parent, "-burstable") || ends_with(parent, "-besteffort"))
    parent = parent.substr(0, parent.rfind('-'));
  if (!(parent == "kubepods" || ends_with(parent, "-kubepods"))) return {};
  std::string uid(pod.substr(3));
  for (char& c : uid)
    if (c == '_') c = '-';
  return is_pod_uid(uid) ? uid : std::string();
}

// A cgroupfs-driver pod directory "pod<uid>", or empty.
std::string_view pod_from_dir(std::string_view comp) {
  if (!starts_with(comp, "pod")) return {};
  const std::string_view uid = comp.substr(3);
  return is_pod_uid(uid) ? uid : std::string_view();
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace

bool is_container_id(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

CgroupMatch parse_cgroup_path(std::string_view path) {
  const std::vector<std::string_view> comps = split_path(path);
  // Walked root to leaf: a later (deeper) match replaces an earlier one.
  std::string_view id, runtime;
  std::string pod_uid;
  for (std::size_t i = 0; i < comps.size(); ++i) {
    const std::string_view c = comps[i];
    const std::string_view next = i + 1 < comps.size() ? comps[i + 1] : std::string_view();

    // "<slice>:<prefix>:<id>": the slice may itself be a pod's.
    const std::size_t colon1 = c.find(':');
    if (colon1 != std::string_view::npos) {
      const std::size_t colon2 = c.find(':', colon1 + 1);
      if (colon2 == std::string_view::npos || c.find(':', colon2 + 1) != std::string_view::npos)
        continue;
      std::string uid = pod_from_slice(c.substr(0, colon1));
      if (!uid.empty()) pod_uid = std::move(uid);
      const std::string_view rt = runtime_for_prefix(c.substr(colon1 + 1, colon2 - colon1 - 1));
      const std::string_view cid = c.substr(colon2 + 1);
      if (!rt.empty() && is_container_id(cid)) id = cid, runtime = rt;
      continue;
    }

    std::string uid = pod_from_slice(c);
    if (!uid.empty()) {
      pod_uid = std::move(uid);
      continue;
    }

    std::string_view cid;
    const std::string_view rt = match_scope(c, &cid);
    if (!rt.empty()) {
      id = cid, runtime = rt;
      continue;
    }

    // cgroupfs drivers: "docker/<id>" and "kubepods[/<qos>]/pod<uid>[/<id>]".
    if (c == "docker" && is_container_id(next)) {
      id = next, runtime = "docker";
      ++i;
    } else if (c == "kubepods") {
      std::size_t k = i + 1;
      if (k < comps.size() && (comps[k] == "burstable" || comps[k] == "besteffort")) ++k;
      if (k < comps.size() && !pod_from_dir(comps[k]).empty()) {
        pod_uid = std::string(pod_from_dir(comps[k]));
        if (k + 1 < comps.size() && is_container_id(comps[k + 1]))
          id = comps[k + 1], runtime = "kubernetes", ++k;
        i = k;
      }
    }
  }

  CgroupMatch m;
  if (!id.empty()) {
    m.matched = true;
    m.container_id = std::string(id);
    m.runtime = std::string(runtime);
  } else if (!pod_uid.empty()) {
    m.matched = true;
    m.runtime = "kubernetes";
  }
  if (m.matched) m.pod_uid = std::move(pod_uid);
  return m;
}

}  // namespace procsql::containers
