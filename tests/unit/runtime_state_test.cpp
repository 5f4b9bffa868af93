// Unit tests for procsql::containers runtime state readers, on fixtures
// taken from real runc 1.1.5 containers (tests/unit/fixtures/containers,
// see its README for what is real and what was constructed): runc state
// directories, OCI config.json annotations (containerd and CRI-O), Docker's
// config.v2.json, RFC 3339 times; truncated, malformed and random files give
// errors, never a crash.
#include "containers/runtime_state.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

using namespace procsql::containers;

namespace {

// Fixtures sit beside this file; __FILE__ is absolute in the CMake build and
// relative to the repository root when built by hand from there.
std::string fixtures() {
  std::string f = __FILE__;
  return f.substr(0, f.rfind('/')) + "/fixtures/containers";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << path;
  return ss.str();
}

void spit(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

const std::string K8S_ID = "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19";
const std::string POD_UID = "5b6c7d8e-1f2a-4b3c-9d8e-7f6a5b4c3d2e";
const std::string AAA(64, 'a');

// A temporary directory removed with its contents at the end of a test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/procsql_runtime_state_XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    if (!made) ADD_FAILURE() << "mkdtemp failed";
    path_ = made ? made : "/nonexistent";
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Rfc3339, Parses) {
  std::int64_t ns = -1;
  EXPECT_TRUE(parse_rfc3339_ns("1970-01-01T00:00:00Z", &ns));
  EXPECT_EQ(ns, 0);
  EXPECT_TRUE(parse_rfc3339_ns("2024-03-05T09:12:33.901234567Z", &ns));
  EXPECT_EQ(ns, 1709629953901234567LL);
  EXPECT_TRUE(parse_rfc3339_ns("2026-11-23T17:03:09.85428841Z", &ns));  // runc cut a trailing zero
  EXPECT_EQ(ns, 1795453389854288410LL);
  EXPECT_TRUE(parse_rfc3339_ns("2024-03-05T10:15:30.5+01:00", &ns));
  EXPECT_EQ(ns, 1709630130500000000LL);
  EXPECT_TRUE(parse_rfc3339_ns("2024-03-05t04:45:30.5-04:30", &ns));
  EXPECT_EQ(ns, 1709630130500000000LL);
  EXPECT_TRUE(parse_rfc3339_ns("2024-02-29T00:00:00z", &ns));  // leap day
  EXPECT_TRUE(parse_rfc3339_ns("1969-12-31T23:59:59.999999999Z", &ns));
  EXPECT_EQ(ns, -1);
  EXPECT_TRUE(parse_rfc3339_ns("2262-04-11T23:47:16.854775807Z", &ns));  // INT64_MAX ns
  EXPECT_EQ(ns, INT64_MAX);
}

TEST(Rfc3339, Rejects) {
  std::int64_t ns = 7;
  for (const char* s :
       {"", "2024-03-05", "2024-03-05T09:12:33", "2024-03-05 09:12:33Z", "2024-13-05T09:12:33Z",
        "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-03-00T00:00:00Z", "2024-03-05T24:00:00Z",
        "2024-03-05T09:60:00Z", "2024-03-05T09:12:60Z", "2024-03-05T09:12:33.Z", "2024-03-05T09:12:33.1234567890Z",
        "2024-03-05T09:12:33+0100", "2024-03-05T09:12:33+01", "2024-03-05T09:12:33+24:00", "2024-03-05T09:12:33ZZ",
        "0001-01-01T00:00:00Z", "2262-04-11T23:47:16.854775808Z", "2O24-03-05T09:12:33Z", "2024-03-05T09:12:33Z "}) {
    EXPECT_FALSE(parse_rfc3339_ns(s, &ns)) << s;
  }
  EXPECT_EQ(ns, 7);  // untouched on failure
}

TEST(RuncState, RealKubernetesLayoutHybrid) {
  RuncContainer c;
  std::string err;
  ASSERT_TRUE(parse_runc_state(slurp(fixtures() + "/runc-root/" + K8S_ID + "/state.json"), &c, &err)) << err;
  EXPECT_EQ(c.id, K8S_ID);
  EXPECT_EQ(c.init_process_pid, 29541);
  EXPECT_EQ(c.created_ns, 1795453389854288410LL);
  EXPECT_EQ(c.bundle, "/tmp/runcb_cg");
  const std::string rel = "/kubepods/besteffort/pod" + POD_UID + "/" + K8S_ID;
  EXPECT_EQ(c.cgroup_paths.size(), 10u);  // 9 v1 controllers + "" for the v2 hierarchy
  EXPECT_EQ(c.cgroup_paths.at(""), "/sys/fs/cgroup/unified" + rel);
  EXPECT_EQ(c.cgroup_paths.at("name=systemd"), "/sys/fs/cgroup/systemd" + rel);
  EXPECT_EQ(c.cgroup_paths.at("memory"), "/sys/fs/cgroup/memory" + rel);
  EXPECT_EQ(unified_cgroup_path(c), "/sys/fs/cgroup/unified" + rel);
  // Annotations come from the labels, without runc's own "bundle".
  EXPECT_EQ(c.annotations.size(), 7u);
  EXPECT_EQ(c.annotations.count("bundle"), 0u);
  EXPECT_EQ(c.annotations.at("io.kubernetes.cri.container-name"), "nginx");
  EXPECT_EQ(c.annotations.at("io.kubernetes.cri.image-name"), "docker.io/library/nginx:1.25");

  const OciMetadata m = read_oci_annotations(c.annotations);
  EXPECT_EQ(m.container_name, "nginx");
  EXPECT_EQ(m.image, "docker.io/library/nginx:1.25");
  EXPECT_EQ(m.pod_uid, POD_UID);
  EXPECT_EQ(m.pod_name, "web-7d4b9c8f6-x2k9p");
  EXPECT_EQ(m.pod_namespace, "default");
}

TEST(RuncState, ReadsARootDirectory) {
  std::vector<std::string> errors;
  const auto cs = read_runc_states(fixtures() + "/runc-root", &errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].id, K8S_ID);  // sorted by directory name
  EXPECT_EQ(cs[1].id, "procsqlcgtest");
  EXPECT_EQ(cs[1].init_process_pid, 29174);
  EXPECT_EQ(cs[1].created_ns, 1795453330441326476LL);
  EXPECT_EQ(unified_cgroup_path(cs[1]), "/sys/fs/cgroup/unified/procsql-test/docker/" + AAA);
  EXPECT_EQ(cs[1].annotations.at("io.kubernetes.cri.sandbox-uid"), "0a1b2c3d-1111-2222-3333-444455556666");
  const OciMetadata m = read_oci_annotations(cs[1].annotations);
  EXPECT_EQ(m.container_name, "web");
  EXPECT_TRUE(m.image.empty());  // not annotated: NULL, not guessed
  EXPECT_TRUE(m.pod_name.empty());
}

TEST(RuncState, OtherRootSystemdDriverPureV2) {
  std::vector<std::string> errors;
  const auto cs = read_runc_states(fixtures() + "/runc-root-v2", &errors);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(cs[0].cgroup_paths.size(), 1u);
  EXPECT_EQ(unified_cgroup_path(cs[0]),
            "/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            "5b6c7d8e_1f2a_4b3c_9d8e_7f6a5b4c3d2e.slice/cri-containerd-" + K8S_ID + ".scope");
  EXPECT_EQ(cs[0].created_ns, 1709630130500000000LL);
  EXPECT_EQ(cs[0].init_process_pid, 4242);
  EXPECT_EQ(cs[0].bundle, "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + K8S_ID);
}

TEST(RuncState, UnifiedKeyAndAnnotationsObject) {
  RuncContainer c;
  std::string err;
  ASSERT_TRUE(parse_runc_state(
      R"({"id":"x","cgroup_paths":{"unified":"/sys/fs/cgroup/unified/x","pids":7},
          "config":{"annotations":{"io.kubernetes.pod.name":"p","n":1},
                    "labels":["io.kubernetes.pod.name=from-label","noequals","k=v=w","bundle=/b",5]}})",
      &c, &err)) << err;
  EXPECT_EQ(unified_cgroup_path(c), "/sys/fs/cgroup/unified/x");
  EXPECT_EQ(c.cgroup_paths.count("pids"), 0u);  // not a string
  EXPECT_EQ(c.annotations.at("io.kubernetes.pod.name"), "p");
  EXPECT_EQ(c.annotations.at("k"), "v=w");  // split at the first '='
  EXPECT_EQ(c.annotations.count("n"), 0u);
  EXPECT_EQ(c.bundle, "/b");
  EXPECT_EQ(c.created_ns, 0);
  EXPECT_EQ(c.init_process_pid, 0);
}

TEST(RuncState, MissingOrBadFieldsStayEmpty) {
  RuncContainer c;
  std::string err;
  ASSERT_TRUE(parse_runc_state(R"({"id":"y","created":"yesterday","init_process_pid":"12","config":null})", &c,
                               &err)) << err;
  EXPECT_EQ(c.created_ns, 0);
  EXPECT_EQ(c.init_process_pid, 0);
  EXPECT_TRUE(c.bundle.empty());
  EXPECT_TRUE(unified_cgroup_path(c).empty());
  for (const char* s : {"{}", R"({"id":""})", R"({"id":5})", "[]", "\"id\"", "null", "{\"id\":\"x\""}) {
    EXPECT_FALSE(parse_runc_state(s, &c, &err)) << s;
    EXPECT_FALSE(err.empty());
  }
}

TEST(RuncState, BrokenContainersAreSkippedWithAnError) {
  TempDir t;
  const std::string real = slurp(fixtures() + "/runc-root/procsqlcgtest/state.json");
  for (const char* d : {"good", "truncated", "garbage", "nostate", "fifo", "dir-as-state"})
    ASSERT_EQ(::mkdir((t.path() + "/" + d).c_str(), 0700), 0);
  spit(t.path() + "/good/state.json", real);
  spit(t.path() + "/truncated/state.json", real.substr(0, real.size() / 2));
  spit(t.path() + "/garbage/state.json", "\x7f" "ELF\x01\x02\xff\xfe");
  ASSERT_EQ(::mkfifo((t.path() + "/fifo/state.json").c_str(), 0600), 0);  // must not block
  ASSERT_EQ(::mkdir((t.path() + "/dir-as-state/state.json").c_str(), 0700), 0);
  spit(t.path() + "/plain-file", "not a container");

  std::vector<std::string> errors;
  const auto cs = read_runc_states(t.path(), &errors);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].id, "procsqlcgtest");
  ASSERT_EQ(errors.size(), 5u);
  for (const std::string& e : errors) EXPECT_NE(e.find(t.path()), std::string::npos) << e;

  errors.clear();
  EXPECT_TRUE(read_runc_states(t.path() + "/does-not-exist", &errors).empty());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("No such file"), std::string::npos) << errors[0];
  EXPECT_TRUE(read_runc_states(t.path() + "/does-not-exist").empty());  // errors may be ignored
}

TEST(RuncState, EveryTruncationOfTheRealStateIsAnError) {
  const std::string real = slurp(fixtures() + "/runc-root/" + K8S_ID + "/state.json");
  RuncContainer c;
  std::string err;
  for (std::size_t n = 0; n < real.size(); ++n) {
    // The pretty-printed file ends "}\n": only the final newline may go.
    if (n + 1 == real.size()) continue;
    EXPECT_FALSE(parse_runc_state(std::string_view(real).substr(0, n), &c, &err)) << n;
  }
}

TEST(RuncState, RandomMutationsNeverCrash) {
  const std::string real = slurp(fixtures() + "/runc-root/procsqlcgtest/state.json");
  std::mt19937 rng(99);
  RuncContainer c;
  std::string err;
  for (int i = 0; i < 3000; ++i) {
    std::string s = real;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 8); ++k) s[rng() % s.size()] = static_cast<char>(rng() % 256);
    if (!parse_runc_state(s, &c, &err)) {
      EXPECT_FALSE(err.empty());
    }
    std::string junk(rng() % 300, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng() % 256);
    EXPECT_FALSE(parse_runc_state(junk, &c, &err));
    EXPECT_FALSE(parse_docker_config(junk).ok);
  }
}

TEST(OciConfig, ContainerdAnnotations) {
  std::map<std::string, std::string> a;
  std::string err;
  ASSERT_TRUE(read_oci_config_annotations(fixtures() + "/oci/containerd-config.json", &a, &err)) << err;
  EXPECT_EQ(a.size(), 7u);
  const OciMetadata m = read_oci_annotations(a);
  EXPECT_EQ(m.container_name, "nginx");
  EXPECT_EQ(m.image, "docker.io/library/nginx:1.25");
  EXPECT_EQ(m.pod_uid, POD_UID);
  EXPECT_EQ(m.pod_name, "web-7d4b9c8f6-x2k9p");
  EXPECT_EQ(m.pod_namespace, "default");
}

TEST(OciConfig, CrioAnnotations) {
  std::map<std::string, std::string> a;
  std::string err;
  ASSERT_TRUE(read_oci_config_annotations(fixtures() + "/oci/crio-config.json", &a, &err)) << err;
  const OciMetadata m = read_oci_annotations(a);
  EXPECT_EQ(m.container_name, "redis");
  EXPECT_EQ(m.image, "docker.io/library/redis:7.2");
  EXPECT_EQ(m.pod_uid, "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b");
  EXPECT_EQ(m.pod_name, "cache-0");
  EXPECT_EQ(m.pod_namespace, "prod");
}

TEST(OciConfig, NoAnnotationsIsEmptyNotAnError) {
  std::map<std::string, std::string> a{{"stale", "x"}};
  std::string err;
  ASSERT_TRUE(read_oci_config_annotations(fixtures() + "/oci/plain-config.json", &a, &err)) << err;
  EXPECT_TRUE(a.empty());
  const OciMetadata m = read_oci_annotations(a);
  EXPECT_TRUE(m.container_name.empty() && m.image.empty() && m.pod_uid.empty() && m.pod_name.empty() &&
              m.pod_namespace.empty());
}

TEST(OciConfig, Errors) {
  std::map<std::string, std::string> a;
  std::string err;
  EXPECT_FALSE(read_oci_config_annotations(fixtures() + "/oci/none.json", &a, &err));
  EXPECT_NE(err.find("none.json"), std::string::npos);
  EXPECT_FALSE(parse_oci_config_annotations("[1]", &a, &err));
  const std::string real = slurp(fixtures() + "/oci/crio-config.json");
  EXPECT_FALSE(parse_oci_config_annotations(real.substr(0, real.size() - 5), &a, &err));
  EXPECT_TRUE(a.empty());
}

TEST(OciAnnotations, PrecedenceAndEmptyValues) {
  const OciMetadata m = read_oci_annotations({{"io.kubernetes.cri.container-name", ""},
                                              {"io.kubernetes.container.name", "fallback"},
                                              {"io.kubernetes.cri.sandbox-uid", "cri"},
                                              {"io.kubernetes.pod.uid", "crio"}});
  EXPECT_EQ(m.container_name, "fallback");  // an empty value counts as missing
  EXPECT_EQ(m.pod_uid, "cri");
  EXPECT_TRUE(m.image.empty());
}

TEST(DockerConfig, PlainContainer) {
  const DockerMetadata d = read_docker_config(fixtures() + "/docker/" + K8S_ID + "/config.v2.json");
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.id, K8S_ID);
  EXPECT_EQ(d.name, "web");
  EXPECT_EQ(d.image, "nginx:1.25");
  EXPECT_EQ(d.created_ns, 1709629953901234567LL);
  EXPECT_EQ(d.labels.at("maintainer"), "NGINX Docker Maintainers <docker-maint@nginx.com>");
  EXPECT_TRUE(read_oci_annotations(d.labels).pod_uid.empty());
}

TEST(DockerConfig, DockershimPodLabels) {
  const std::string id = "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2";
  const DockerMetadata d = read_docker_config(fixtures() + "/docker/" + id + "/config.v2.json");
  ASSERT_TRUE(d.ok) << d.error;
  EXPECT_EQ(d.name, "k8s_nginx_web-7d4b9c8f6-x2k9p_default_" + POD_UID + "_0");
  EXPECT_EQ(d.created_ns, 1622548800000000000LL);
  const OciMetadata m = read_oci_annotations(d.labels);
  EXPECT_EQ(m.container_name, "nginx");
  EXPECT_EQ(m.pod_uid, POD_UID);
  EXPECT_EQ(m.pod_name, "web-7d4b9c8f6-x2k9p");
  EXPECT_EQ(m.pod_namespace, "default");
  EXPECT_TRUE(m.image.empty());
}

TEST(DockerConfig, Errors) {
  DockerMetadata d = read_docker_config(fixtures() + "/docker/missing/config.v2.json");
  EXPECT_FALSE(d.ok);
  EXPECT_NE(d.error.find("missing/config.v2.json"), std::string::npos) << d.error;
  d = parse_docker_config(R"({"Name":"/x"})");
  EXPECT_FALSE(d.ok);
  EXPECT_FALSE(d.error.empty());
  d = parse_docker_config(R"({"ID":"i","Name":"/x","Created":"bad","Config":{"Image":5,"Labels":null}})");
  ASSERT_TRUE(d.ok);
  EXPECT_EQ(d.name, "x");
  EXPECT_TRUE(d.image.empty());
  EXPECT_EQ(d.created_ns, 0);
  const std::string real = slurp(fixtures() + "/docker/" + K8S_ID + "/config.v2.json");
  for (std::size_t n = 0; n + 1 < real.size(); n += 7) EXPECT_FALSE(parse_docker_config(real.substr(0, n)).ok) << n;
}

}  // namespace
