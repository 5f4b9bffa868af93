// Container metadata from what the runtimes leave on disk: runc's state
// directories, OCI bundles' config.json, Docker's config.v2.json. No runtime
// socket, no SQLite, no BPF: only files, read as untrusted input.
//
// What runc 1.1 actually writes (runc 1.1.5, seen on Debian 12):
//   /run/runc/<id>/state.json (or <root>/<id>/state.json with `runc --root`;
//   containerd's is /run/containerd/runc/<namespace>, Docker's
//   /run/docker/runtime-runc/moby) is libcontainer's State:
//     "id", "init_process_pid", "created" (RFC 3339, UTC, nanoseconds with
//     trailing zeros cut), "cgroup_paths" {controller: absolute path} where
//     the cgroup v2 hierarchy has the key "" (both on pure v2 and hybrid),
//     and "config", libcontainer's own config, NOT the OCI spec: it has no
//     "annotations" object. The OCI annotations are in "config"."labels", an
//     array of "key=value" strings, together with runc's own "bundle=<path>"
//     (that is how `runc state` recovers both). There is no top-level bundle.
//
// Missing values stay empty (the tables show NULL); nothing is guessed.
// Errors come back as values; no function here throws.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace procsql::containers {

struct RuncContainer {
  std::string id;
  // Controller -> absolute cgroup directory, as runc wrote it.
  std::map<std::string, std::string> cgroup_paths;
  std::string bundle;             // from the "bundle=" label; empty if absent
  std::int64_t created_ns = 0;    // Unix ns; 0 when absent or unreadable
  std::int64_t init_process_pid = 0;
  // OCI annotations from the "key=value" labels (first '=' splits), without
  // runc's own "bundle"; also any "annotations" object, should a runc write one.
  std::map<std::string, std::string> annotations;
};

// The cgroup v2 directory of a runc container: cgroup_paths[""], or
// ["unified"] (the name some libcontainer versions use); empty if neither.
std::string unified_cgroup_path(const RuncContainer& c);

// Parses one state.json. False with *error on malformed JSON or a missing
// or non-string "id"; other fields are optional.
bool parse_runc_state(std::string_view json, RuncContainer* out, std::string* error);

// Every <root>/<name>/state.json. A container that cannot be read (its
// directory raced away, a truncated or foreign file) is skipped and one line
// naming its path is appended to *errors (when not null); so is a root that
// cannot be opened (no runc there: usually ENOENT, for the caller to ignore).
std::vector<RuncContainer> read_runc_states(const std::string& root,
                                            std::vector<std::string>* errors = nullptr);

struct OciMetadata {
  std::string container_name, image, pod_uid, pod_name, pod_namespace;
};

// Pod and container fields from annotations (or Docker labels, which
// dockershim filled with the same io.kubernetes.* keys). For each field the
// first present, non-empty key wins:
//   container_name  io.kubernetes.cri.container-name, io.kubernetes.container.name
//   image           io.kubernetes.cri.image-name, io.kubernetes.cri-o.ImageName
//   pod_uid         io.kubernetes.cri.sandbox-uid, io.kubernetes.pod.uid
//   pod_name        io.kubernetes.cri.sandbox-name, io.kubernetes.pod.name
//   pod_namespace   io.kubernetes.cri.sandbox-namespace, io.kubernetes.pod.namespace
OciMetadata read_oci_annotations(const std::map<std::string, std::string>& annotations);

// The "annotations" object of an OCI runtime spec (a bundle's config.json).
// String values only; a spec without annotations gives an empty map and true.
bool parse_oci_config_annotations(std::string_view json, std::map<std::string, std::string>* out,
                                  std::string* error);
bool read_oci_config_annotations(const std::string& config_json_path,
                                 std::map<std::string, std::string>* out, std::string* error);

struct DockerMetadata {
  bool ok = false;
  std::string error;              // set when !ok
  std::string id;                 // "ID"
  std::string name;               // "Name" without its leading '/'
  std::string image;              // "Config"."Image", as the user named it
  std::int64_t created_ns = 0;    // "Created", Unix ns; 0 when absent or unreadable
  std::map<std::string, std::string> labels;  // "Config"."Labels" (string values)
};

// Docker's /var/lib/docker/containers/<id>/config.v2.json.
DockerMetadata parse_docker_config(std::string_view json);
DockerMetadata read_docker_config(const std::string& path);

// RFC 3339 ("2024-03-05T09:12:33.901234567Z", "...T10:15:30.5+01:00") to
// Unix ns. Up to 9 fraction digits; 'T'/'t' and 'Z'/'z' either case. False
// on anything else, or outside what int64 ns holds (1677..2262).
bool parse_rfc3339_ns(std::string_view s, std::int64_t* out);

}  // namespace procsql::containers
