// Unit tests for procsql::containers::parse_cgroup_path over a table of the
// cgroup path forms that Docker, containerd, CRI-O, Podman and kubelet create
// (systemd and cgroupfs drivers, v2 and hybrid v1), nested containers, and the
// look-alikes that must not match.
#include "containers/cgroup_path.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

using procsql::containers::CgroupMatch;
using procsql::containers::is_container_id;
using procsql::containers::parse_cgroup_path;

namespace {

// Real-looking ids: each 64 lowercase hex.
const std::string A = "4a5e2c9b8d7f6e1a0b3c2d4e5f60718293a4b5c6d7e8f9012345678901abcdef";
const std::string B = "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2";
const std::string UID = "1c3e5a7b-2d4f-4b6a-8c9e-0a1b2c3d4e5f";
const std::string UID_ = "1c3e5a7b_2d4f_4b6a_8c9e_0a1b2c3d4e5f";  // systemd's spelling
const std::string KP = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice";

struct Row {
  std::string name;
  std::string path;
  bool matched;
  std::string id;
  std::string runtime;
  std::string pod_uid;
};

std::vector<Row> table() {
  const std::string none;
  return {
      // Docker.
      {"docker_systemd", "/system.slice/docker-" + A + ".scope", true, A, "docker", none},
      {"docker_cgroupfs", "/docker/" + A, true, A, "docker", none},
      {"docker_cgroupfs_v1_line_path", "/docker/" + A + "/", true, A, "docker", none},
      {"docker_scope_subcgroup", "/system.slice/docker-" + A + ".scope/init", true, A, "docker", none},
      {"docker_cgroupfs_subcgroup", "/docker/" + A + "/init.scope", true, A, "docker", none},
      {"docker_custom_parent", "/mygroup/docker/" + A, true, A, "docker", none},
      {"docker_no_leading_slash", "system.slice/docker-" + A + ".scope", true, A, "docker", none},
      // containerd (CRI) under Kubernetes, systemd driver.
      {"cri_containerd_burstable", KP + "/cri-containerd-" + A + ".scope", true, A, "containerd", UID},
      {"cri_containerd_besteffort",
       "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + UID_ + ".slice/cri-containerd-" + A + ".scope",
       true, A, "containerd", UID},
      {"cri_containerd_guaranteed", "/kubepods.slice/kubepods-pod" + UID_ + ".slice/cri-containerd-" + A + ".scope",
       true, A, "containerd", UID},
      {"cri_containerd_colon_form", "/kubepods-burstable-pod" + UID_ + ".slice:cri-containerd:" + A, true, A,
       "containerd", UID},
      {"cri_containerd_colon_form_nested",
       "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice:cri-containerd:" + A,
       true, A, "containerd", UID},
      {"docker_colon_form", "/system.slice:docker:" + A, true, A, "docker", none},
      {"kind_kubelet_root",
       "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + UID_ +
           ".slice/cri-containerd-" + A + ".scope",
       true, A, "containerd", UID},
      {"cri_containerd_scope_subcgroup", KP + "/cri-containerd-" + A + ".scope/init", true, A, "containerd", UID},
      // CRI-O.
      {"crio_systemd", KP + "/crio-" + A + ".scope", true, A, "cri-o", UID},
      {"crio_systemd_container_subcgroup", KP + "/crio-" + A + ".scope/container", true, A, "cri-o", UID},
      {"crio_cgroupfs", "/kubepods/burstable/pod" + UID + "/crio-" + A, true, A, "cri-o", UID},
      {"crio_conmon_in_pod_is_pod_level", KP + "/crio-conmon-" + A + ".scope", true, none, "kubernetes", UID},
      // Podman.
      {"podman_machine_slice", "/machine.slice/libpod-" + A + ".scope", true, A, "podman", none},
      {"podman_in_pod", "/machine.slice/machine-libpod_pod_" + B + ".slice/libpod-" + A + ".scope", true, A, "podman",
       none},
      {"podman_rootless",
       "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + A + ".scope/container", true, A, "podman",
       none},
      {"podman_cgroupfs", "/libpod_parent/libpod-" + A, true, A, "podman", none},
      // Kubernetes pods, cgroupfs driver, and pod-level cgroups.
      {"k8s_cgroupfs_burstable", "/kubepods/burstable/pod" + UID + "/" + A, true, A, "kubernetes", UID},
      {"k8s_cgroupfs_besteffort", "/kubepods/besteffort/pod" + UID + "/" + A, true, A, "kubernetes", UID},
      {"k8s_cgroupfs_guaranteed", "/kubepods/pod" + UID + "/" + A, true, A, "kubernetes", UID},
      {"k8s_cgroupfs_pod_level", "/kubepods/burstable/pod" + UID, true, none, "kubernetes", UID},
      {"k8s_systemd_pod_level", KP, true, none, "kubernetes", UID},
      {"k8s_static_pod_hash_uid",
       "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0d3f7c2b9e8a4c1d6f5e4b3a2c1d0e9f.slice", true,
       none, "kubernetes", "0d3f7c2b9e8a4c1d6f5e4b3a2c1d0e9f"},
      // Nesting: the deepest container wins; the pod is still reported.
      {"docker_in_pod", "/kubepods/burstable/pod" + UID + "/" + A + "/docker/" + B, true, B, "docker", UID},
      {"docker_in_cri_containerd", KP + "/cri-containerd-" + A + ".scope/docker/" + B, true, B, "docker", UID},
      {"kind_node_pod_container",
       "/docker/" + A + "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" + UID_ + ".slice/cri-containerd-" +
           B + ".scope",
       true, B, "containerd", UID},
      {"kind_node_itself", "/docker/" + A + "/system.slice/containerd.service", true, A, "docker", none},
      // Must not match.
      {"user_session", "/user.slice/user-1000.slice/session-3.scope", false, none, none, none},
      {"docker_service", "/system.slice/docker.service", false, none, none, none},
      {"containerd_service", "/system.slice/containerd.service", false, none, none, none},
      {"crio_conmon", "/system.slice/crio-conmon-" + A + ".scope", false, none, none, none},
      {"libpod_conmon", "/machine.slice/libpod-conmon-" + A + ".scope", false, none, none, none},
      {"docker_alone", "/docker", false, none, none, none},
      {"docker_dir_alone", "/docker/", false, none, none, none},
      {"id_63", "/docker/" + A.substr(1), false, none, none, none},
      {"id_65", "/system.slice/docker-" + A + "0.scope", false, none, none, none},
      {"id_uppercase", "/docker/4A5E2C9B8D7F6E1A0B3C2D4E5F60718293A4B5C6D7E8F9012345678901ABCDEF", false, none, none,
       none},
      {"id_non_hex", "/system.slice/docker-" + A.substr(0, 63) + "g.scope", false, none, none, none},
      {"vm_machine_slice", "/machine.slice/machine-qemu\\x2d1\\x2dubuntu.scope", false, none, none, none},
      {"vm_machine_slice_libvirt", "/machine.slice/machine-qemu\\x2d1\\x2dubuntu.scope/libvirt/emulator", false, none,
       none, none},
      {"empty", "", false, none, none, none},
      {"root", "/", false, none, none, none},
      {"kubepods_slice_alone", "/kubepods.slice", false, none, none, none},
      {"kubepods_qos_slice", "/kubepods.slice/kubepods-burstable.slice", false, none, none, none},
      {"kubepods_cgroupfs_qos", "/kubepods/burstable", false, none, none, none},
      {"bare_id_not_under_pod", "/default/" + A, false, none, none, none},
      {"docker_service_suffix", "/system.slice/docker-" + A + ".service", false, none, none, none},
      {"unknown_prefix_scope", "/system.slice/foo-" + A + ".scope", false, none, none, none},
      {"pod_slice_without_kubepods", "/system.slice/other-pod" + UID_ + ".slice", false, none, none, none},
      {"pod_empty_uid", "/kubepods.slice/kubepods-pod.slice", false, none, none, none},
      {"colon_form_bad_id", "/kubepods-burstable-pod" + UID_ + ".slice:cri-containerd:" + A.substr(2), true, none,
       "kubernetes", UID},
      {"colon_form_unknown_prefix", "/system.slice:nerdy:" + A, false, none, none, none},
  };
}

class CgroupPathTable : public ::testing::TestWithParam<Row> {};

TEST_P(CgroupPathTable, Parses) {
  const Row& r = GetParam();
  const CgroupMatch m = parse_cgroup_path(r.path);
  EXPECT_EQ(m.matched, r.matched) << r.path;
  EXPECT_EQ(m.container_id, r.id) << r.path;
  EXPECT_EQ(m.runtime, r.runtime) << r.path;
  EXPECT_EQ(m.pod_uid, r.pod_uid) << r.path;
}

INSTANTIATE_TEST_SUITE_P(RealWorld, CgroupPathTable, ::testing::ValuesIn(table()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

TEST(CgroupPath, TableIsLargeAndNamesAreUnique) {
  const auto rows = table();
  EXPECT_GE(rows.size(), 30u);
  std::set<std::string> names;
  for (const auto& r : rows) EXPECT_TRUE(names.insert(r.name).second) << r.name;
}

TEST(CgroupPath, ContainerIdIsExactly64LowercaseHex) {
  EXPECT_TRUE(is_container_id(A));
  EXPECT_FALSE(is_container_id(A.substr(1)));
  EXPECT_FALSE(is_container_id(A + "a"));
  EXPECT_FALSE(is_container_id(""));
  std::string upper = A;
  upper[0] = 'A';
  EXPECT_FALSE(is_container_id(upper));
  std::string nul = A;
  nul[10] = '\0';
  EXPECT_FALSE(is_container_id(nul));
}

// Random and mutated paths: never crash, and whatever matches is well formed.
TEST(CgroupPath, RandomInputIsSafe) {
  std::mt19937 rng(12345);
  const std::string alphabet = "/-_.:abcdefkpodsluice0123456789scope";
  const std::vector<std::string> seeds = {KP + "/cri-containerd-" + A + ".scope", "/docker/" + A,
                                          "/kubepods/burstable/pod" + UID + "/" + A};
  for (int n = 0; n < 20000; ++n) {
    std::string p;
    if (n % 2) {
      p = seeds[n % seeds.size()];
      for (int k = 0; k < 3; ++k) {
        const std::size_t at = rng() % (p.size() + 1);
        if (rng() % 2 && at < p.size()) p.erase(at, 1);
        else p.insert(at, 1, static_cast<char>(rng() % 2 ? alphabet[rng() % alphabet.size()] : rng() % 256));
      }
    } else {
      const std::size_t len = rng() % 200;
      for (std::size_t k = 0; k < len; ++k) p += alphabet[rng() % alphabet.size()];
    }
    const CgroupMatch m = parse_cgroup_path(p);
    if (!m.matched) {
      EXPECT_TRUE(m.container_id.empty() && m.runtime.empty() && m.pod_uid.empty()) << p;
    } else {
      EXPECT_FALSE(m.runtime.empty()) << p;
      if (!m.container_id.empty()) {
        EXPECT_TRUE(is_container_id(m.container_id)) << p;
      }
      EXPECT_TRUE(!m.container_id.empty() || !m.pod_uid.empty()) << p;
    }
  }
}

}  // namespace
