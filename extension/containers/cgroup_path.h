// Which container (and which Kubernetes pod) a cgroup belongs to, read from
// the cgroup's path alone. No I/O: the path is the one under the cgroup root,
// as in /proc/PID/cgroup ("0::/system.slice/docker-<id>.scope") or, in a
// hybrid layout, a v1 hierarchy's line ("9:name=systemd:/docker/<id>").
//
// Runtimes and orchestrators name their cgroups after the container id in a
// few fixed forms; this recognises those (and only those: anything else is
// unmatched, never guessed):
//
//   docker      .../docker-<id>.scope         (systemd cgroup driver)
//               .../docker/<id>               (cgroupfs driver)
//   containerd  .../cri-containerd-<id>.scope (CRI, systemd driver)
//   cri-o       .../crio-<id>.scope, .../crio-<id>
//               (not crio-conmon-<id>.scope: that is CRI-O's monitor process)
//   podman      .../libpod-<id>.scope, .../libpod-<id>
//               (not libpod-conmon-<id>.scope, the monitor again)
//   <any of those>  "<slice>:<prefix>:<id>" components, the systemd-driver
//               cgroupsPath spelling ("kubepods-burstable-pod<uid>.slice:
//               cri-containerd:<id>"), prefix cri-containerd, docker, crio or
//               libpod.
//   kubernetes  a pod's cgroup: "[<root>-]kubepods[-burstable|-besteffort]-
//               pod<uid>.slice" (systemd; '_' in the uid stands for '-') or
//               "kubepods/[burstable/|besteffort/]pod<uid>" (cgroupfs). A bare
//               <id> directly under a cgroupfs pod directory is a container of
//               that pod whose runtime the path does not name: runtime stays
//               "kubernetes" (the runtime's own state can tell more).
//
// <id> is exactly 64 lowercase hex digits. Sub-cgroups below a container's
// cgroup (".../docker-<id>.scope/init") belong to it. When containers nest
// (Docker in a pod, a kind node's pods inside its Docker container) the
// deepest container in the path wins; the pod uid is that of the deepest pod
// cgroup in the path, reported for the pod's own cgroup and everything below.
#pragma once

#include <string>
#include <string_view>

namespace procsql::containers {

struct CgroupMatch {
  bool matched = false;       // a container or a pod was recognised
  std::string container_id;   // 64 hex, empty for a pod's own cgroup
  std::string runtime;        // docker, containerd, cri-o, podman, kubernetes; empty if unmatched
  std::string pod_uid;        // with '-' (systemd's '_' converted), empty if not in a pod
};

CgroupMatch parse_cgroup_path(std::string_view path);

// True for exactly 64 lowercase hex digits: the container id form every
// runtime above uses.
bool is_container_id(std::string_view s);

}  // namespace procsql::containers
