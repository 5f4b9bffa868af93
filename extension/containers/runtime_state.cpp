#include "containers/runtime_state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "containers/json.h"

namespace procsql::containers {
namespace {

// Far above any real state file (a state.json with a big seccomp profile is
// ~100 KB), low enough that a hostile one cannot make us allocate much.
constexpr std::size_t kMaxStateFile = 16u << 20;

// Reads a whole regular file. O_NONBLOCK and the S_ISREG check keep a FIFO
// or device planted under a state path from blocking or feeding us forever.
bool read_small_file(const std::string& path, std::string* out, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st;
  bool ok = false;
  if (::fstat(fd, &st) != 0) {
    *error = path + ": " + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    *error = path + ": not a regular file";
  } else if (static_cast<std::uint64_t>(st.st_size) > kMaxStateFile) {
    *error = path + ": larger than " + std::to_string(kMaxStateFile) + " bytes";
  } else {
    out->clear();
    char buf[65536];
    ok = true;
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        *error = path + ": " + std::strerror(errno);
        ok = false;
        break;
      }
      out->append(buf, static_cast<std::size_t>(n));
      if (out->size() > kMaxStateFile) {  // grew while we read it
        *error = path + ": larger than " + std::to_string(kMaxStateFile) + " bytes";
        ok = false;
        break;
      }
    }
  }
  ::close(fd);
  return ok;
}

// The string members of an object; other value types are skipped (an
// annotation or label is always a string when a runtime wrote it).
void string_members(const JsonValue* obj, std::map<std::string, std::string>* out) {
  if (!obj || !obj->is_object()) return;
  for (std::size_t i = 0; i < obj->keys().size(); ++i)
    if (obj->items()[i].is_string()) (*out)[obj->keys()[i]] = obj->items()[i].text();
}

const JsonValue* path_get(const JsonValue& root, std::initializer_list<std::string_view> keys) {
  const JsonValue* v = &root;
  for (std::string_view k : keys)
    if (!(v = v->get(k))) return nullptr;
  return v;
}

std::string string_at(const JsonValue& root, std::initializer_list<std::string_view> keys) {
  const JsonValue* v = path_get(root, keys);
  return v && v->is_string() ? v->text() : std::string();
}

bool two_digits(std::string_view s, std::size_t at, int* out) {
  if (at + 2 > s.size()) return false;
  const char a = s[at], b = s[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  *out = (a - '0') * 10 + (b - '0');
  return true;
}

// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
// days_from_civil): exact for every year, no time zone or libc involved.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

template <typename F>
auto no_throw(F&& f, decltype(f()) on_error) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception&) {  // allocation failure: nothing else throws
    return on_error;
  }
}

}  // namespace

bool parse_rfc3339_ns(std::string_view s, std::int64_t* out) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)
  int c, yy, mo, d, h, mi, sec;
  if (!two_digits(s, 0, &c) || !two_digits(s, 2, &yy) || s.size() < 20) return false;
  if (s[4] != '-' || !two_digits(s, 5, &mo) || s[7] != '-' || !two_digits(s, 8, &d)) return false;
  if ((s[10] != 'T' && s[10] != 't') || !two_digits(s, 11, &h) || s[13] != ':') return false;
  if (!two_digits(s, 14, &mi) || s[16] != ':' || !two_digits(s, 17, &sec)) return false;
  const int year = c * 100 + yy;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap(year))) return false;
  if (h > 23 || mi > 59 || sec > 59) return false;

  std::size_t i = 19;
  std::int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (++digits > 9) return false;
      frac = frac * 10 + (s[i++] - '0');
    }
    if (digits == 0) return false;
    for (; digits < 9; ++digits) frac *= 10;
  }
  std::int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!two_digits(s, i + 1, &oh) || i + 3 >= s.size() || s[i + 3] != ':' || !two_digits(s, i + 4, &om))
      return false;
    if (oh > 23 || om > 59) return false;
    offset = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    i += 6;
  } else {
    return false;
  }
  if (i != s.size()) return false;

  const std::int64_t secs = days_from_civil(year, unsigned(mo), unsigned(d)) * 86400 + h * 3600 + mi * 60 + sec -
                            offset;  // |secs| < 2^39: no overflow before the ns scaling
  std::int64_t ns;
  if (__builtin_mul_overflow(secs, std::int64_t{1000000000}, &ns) || __builtin_add_overflow(ns, frac, &ns))
    return false;
  *out = ns;
  return true;
}

std::string unified_cgroup_path(const RuncContainer& c) {
  for (const char* key : {"", "unified"}) {
    auto it = c.cgroup_paths.find(key);
    if (it != c.cgroup_paths.end()) return it->second;
  }
  return {};
}

bool parse_runc_state(std::string_view json, RuncContainer* out, std::string* error) {
  *out = RuncContainer();
  return no_throw(
      [&] {
        JsonValue root;
        if (!parse_json(json, &root, error)) return false;
        const std::string* id = root.get_string("id");
        if (!id || id->empty()) {
          *error = "state.json: no \"id\"";
          return false;
        }
        out->id = *id;
        string_members(root.get("cgroup_paths"), &out->cgroup_paths);
        if (const JsonValue* pid = root.get("init_process_pid")) pid->as_int64(&out->init_process_pid);
        if (const std::string* created = root.get_string("created"))
          if (!parse_rfc3339_ns(*created, &out->created_ns)) out->created_ns = 0;
        const JsonValue* config = root.get("config");
        string_members(path_get(root, {"config", "annotations"}), &out->annotations);
        if (const JsonValue* labels = config ? config->get("labels") : nullptr; labels && labels->is_array()) {
          for (const JsonValue& l : labels->items()) {
            if (!l.is_string()) continue;
            const std::string& kv = l.text();
            const std::size_t eq = kv.find('=');
            if (eq == std::string::npos) continue;
            std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
            // runc adds "bundle" itself, and libcontainer keeps the OCI
            // annotations only this way: the label is the source for both.
            if (key == "bundle") out->bundle = std::move(value);
            else out->annotations.emplace(std::move(key), std::move(value));
          }
        }
        return true;
      },
      false);
}

std::vector<RuncContainer> read_runc_states(const std::string& root, std::vector<std::string>* errors) {
  std::vector<RuncContainer> result;
  auto note = [&](std::string e) {
    if (errors) errors->push_back(std::move(e));
  };
  try {
    DIR* dir = ::opendir(root.c_str());
    if (!dir) {
      note(root + ": " + std::strerror(errno));
      return result;
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(dir)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;  // only containers' directories
      names.emplace_back(e->d_name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string path = root + "/" + name + "/state.json";
      std::string text, error;
      RuncContainer c;
      if (!read_small_file(path, &text, &error)) {
        note(error);
      } else if (!parse_runc_state(text, &c, &error)) {
        note(path + ": " + error);
      } else {
        result.push_back(std::move(c));
      }
    }
  } catch (const std::exception& e) {  // allocation failure
    note(root + ": " + e.what());
  }
  return result;
}

OciMetadata read_oci_annotations(const std::map<std::string, std::string>& annotations) {
  auto first = [&](std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
      auto it = annotations.find(k);
      if (it != annotations.end() && !it->second.empty()) return it->second;
    }
    return std::string();
  };
  return no_throw(
      [&] {
        OciMetadata m;
        m.container_name = first({"io.kubernetes.cri.container-name", "io.kubernetes.container.name"});
        m.image = first({"io.kubernetes.cri.image-name", "io.kubernetes.cri-o.ImageName"});
        m.pod_uid = first({"io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid"});
        m.pod_name = first({"io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name"});
        m.pod_namespace = first({"io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace"});
        return m;
      },
      OciMetadata());
}

bool parse_oci_config_annotations(std::string_view json, std::map<std::string, std::string>* out,
                                  std::string* error) {
  out->clear();
  return no_throw(
      [&] {
        JsonValue root;
        if (!parse_json(json, &root, error)) return false;
        if (!root.is_object()) {
          *error = "config.json: not a JSON object";
          return false;
        }
        string_members(root.get("annotations"), out);
        return true;
      },
      false);
}

bool read_oci_config_annotations(const std::string& config_json_path, std::map<std::string, std::string>* out,
                                 std::string* error) {
  out->clear();
  std::string text;
  if (!no_throw([&] { return read_small_file(config_json_path, &text, error); }, false)) return false;
  if (parse_oci_config_annotations(text, out, error)) return true;
  *error = config_json_path + ": " + *error;
  return false;
}

DockerMetadata parse_docker_config(std::string_view json) {
  DockerMetadata bad;
  bad.error = "config.v2.json: out of memory";
  return no_throw(
      [&] {
        DockerMetadata m;
        JsonValue root;
        if (!parse_json(json, &root, &m.error)) return m;
        if (!root.is_object() || !root.get_string("ID")) {
          m.error = "config.v2.json: no \"ID\"";
          return m;
        }
        m.id = string_at(root, {"ID"});
        m.name = string_at(root, {"Name"});
        if (!m.name.empty() && m.name[0] == '/') m.name.erase(0, 1);
        m.image = string_at(root, {"Config", "Image"});
        if (!parse_rfc3339_ns(string_at(root, {"Created"}), &m.created_ns)) m.created_ns = 0;
        string_members(path_get(root, {"Config", "Labels"}), &m.labels);
        m.ok = true;
        return m;
      },
      bad);
}

DockerMetadata read_docker_config(const std::string& path) {
  std::string text, error;
  if (!no_throw([&] { return read_small_file(path, &text, &error); }, false)) {
    DockerMetadata m;
    m.error = error.empty() ? path + ": out of memory" : error;
    return m;
  }
  DockerMetadata m = parse_docker_config(text);
  if (!m.ok) m.error = path + ": " + m.error;
  return m;
}

}  // namespace procsql::containers
