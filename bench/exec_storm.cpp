// exec_storm: a whole-system exec storm, with and without the procsql
// collector attached, interleaved in one run.
//
//   build/bench/exec_storm --execs N --rounds R [--extension build/procsql]
//                          [--threads T] [--spawn posix_spawn|vfork|fork]
//                          [--program /bin/true] [--warmup W]
//                          [--modes none,bpf,audit,auditd,auditd-rules]
//
// --modes (default none,bpf) lists what each round runs, side by side: none
// (the baseline), bpf and audit (procsql loaded with PROCSQL_BACKEND set to
// that), auditd (Debian's auditd running with one execve rule, counting the
// marker's EXECVE records in its log), auditd-rules (auditd with the rules
// procsql's audit backend installs, so that both log the same records),
// bpf-b and audit-b (as bpf and audit, loading --extension-b instead: two
// builds side by side).
// Ratios are against none. For procsql and auditd passes it also gives the
// collector's CPU per exec: this process's CPU from the storm's start to the
// end of its count query minus what the storm's workers spent spawning
// (getrusage RUSAGE_SELF and RUSAGE_THREAD), or auditd's utime + stime.
//
// Each round runs N short-lived execs of `PROGRAM <round-marker> <i>` spread
// over T worker threads (default: one per online CPU), each worker doing
// spawn + waitpid in a loop, and measures the wall time. A round is either
// WITHOUT the collector or WITH it: "attach" opens an in-memory database
// through the SQLite C API and loads the extension (which starts the
// collector), "detach" closes it (the last connection releases the
// collector). After a WITH round's storm, before detaching, it counts the
// captured rows:
//   SELECT count(*) FROM process_events WHERE argv LIKE '%<round-marker>%'
// Each round number runs one WITHOUT and one WITH pass; the order alternates
// between round numbers so slow drift (page cache, thermal, other load) does
// not always favour the same side.
//
// Output: one line per pass, then a summary: issued, captured,
// captured/issued, execs/s without and with (medians), and the throughput
// ratio with/without (median of the per-round ratios). Exit status is 1 if a
// spawn failed or the extension could not be loaded.
//
// Needs root (the collector loads BPF programs). The store must hold a
// round's rows: if N exceeds process_events.capacity, set PROCSQL_CAPACITY.

#include <sqlite3.h>

#include <linux/bpf.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern char **environ;

namespace {

enum class SpawnMethod { kPosixSpawn, kVfork, kFork };

struct Options {
  int64_t execs = 20000;
  int rounds = 5;
  std::string extension = "build/procsql";
  std::string extension_b;  // --extension-b: the build the bpf-b and audit-b modes load
  unsigned threads = 0;  // 0: one per online CPU
  SpawnMethod spawn = SpawnMethod::kPosixSpawn;
  std::string program = "/bin/true";
  int64_t warmup = 1000;
  std::vector<std::string> modes = {"none", "bpf"};
};

[[noreturn]] void Usage(const char *msg) {
  if (msg) std::fprintf(stderr, "exec_storm: %s\n", msg);
  std::fprintf(stderr,
               "usage: exec_storm --execs N --rounds R [--extension PATH] [--extension-b PATH]\n"
               "                  [--threads T] [--spawn posix_spawn|vfork|fork]\n"
               "                  [--program PATH] [--warmup W]\n"
               "                  [--modes none,bpf,audit,auditd,auditd-rules,bpf-b,audit-b]\n");
  std::exit(2);
}

int64_t ParseInt(const char *s, const char *what, int64_t min) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min) {
    std::string m = std::string("bad value for ") + what + ": " + s;
    Usage(m.c_str());
  }
  return v;
}

Options ParseArgs(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--execs") {
      o.execs = ParseInt(value(), "--execs", 1);
    } else if (a == "--rounds") {
      o.rounds = static_cast<int>(ParseInt(value(), "--rounds", 1));
    } else if (a == "--extension") {
      o.extension = value();
    } else if (a == "--extension-b") {
      o.extension_b = value();
    } else if (a == "--threads") {
      o.threads = static_cast<unsigned>(ParseInt(value(), "--threads", 0));
    } else if (a == "--program") {
      o.program = value();
    } else if (a == "--warmup") {
      o.warmup = ParseInt(value(), "--warmup", 0);
    } else if (a == "--spawn") {
      std::string v = value();
      if (v == "posix_spawn") o.spawn = SpawnMethod::kPosixSpawn;
      else if (v == "vfork") o.spawn = SpawnMethod::kVfork;
      else if (v == "fork") o.spawn = SpawnMethod::kFork;
      else Usage("--spawn must be posix_spawn, vfork or fork");
    } else if (a == "--modes") {
      o.modes.clear();
      std::string v = value();
      for (size_t at = 0; at <= v.size();) {
        size_t comma = std::min(v.find(',', at), v.size());
        std::string m = v.substr(at, comma - at);
        if (m != "none" && m != "bpf" && m != "audit" && m != "auditd" && m != "auditd-rules" && m != "bpf-b" &&
            m != "audit-b")
          Usage("--modes takes none, bpf, audit, auditd, auditd-rules, bpf-b and audit-b, comma-separated");
        if ((m == "bpf-b" || m == "audit-b") && o.extension_b.empty())
          Usage("the bpf-b and audit-b modes need --extension-b (give it before --modes)");
        o.modes.push_back(m);
        at = comma + 1;
      }
      if (std::find(o.modes.begin(), o.modes.end(), "none") == o.modes.end())
        Usage("--modes must include none (the baseline)");
    } else if (a == "-h" || a == "--help") {
      Usage(nullptr);
    } else {
      Usage(("unknown argument " + a).c_str());
    }
  }
  if (o.threads == 0) o.threads = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

const char *SpawnName(SpawnMethod m) {
  switch (m) {
    case SpawnMethod::kPosixSpawn: return "posix_spawn";
    case SpawnMethod::kVfork: return "vfork";
    case SpawnMethod::kFork: return "fork";
  }
  return "?";
}

// One child: PROGRAM MARKER INDEX; returns false if it could not be spawned
// or did not exit 0.
bool SpawnAndWait(SpawnMethod method, const char *program, char *const *av) {
  pid_t pid = -1;
  switch (method) {
    case SpawnMethod::kPosixSpawn: {
      int rc = posix_spawn(&pid, program, nullptr, nullptr, av, environ);
      if (rc != 0) return false;
      break;
    }
    case SpawnMethod::kVfork:
      pid = vfork();
      if (pid == 0) {
        execve(program, av, environ);
        _exit(127);
      }
      break;
    case SpawnMethod::kFork:
      pid = fork();
      if (pid == 0) {
        execve(program, av, environ);
        _exit(127);
      }
      break;
  }
  if (pid < 0) return false;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

struct StormResult {
  int64_t issued = 0;
  int64_t failed = 0;
  double seconds = 0;
  double worker_cpu = 0;  // the workers' own CPU (spawning and reaping), s
};

double Seconds(const timeval &t) { return t.tv_sec + t.tv_usec / 1e6; }

double CpuOf(int who) {
  rusage u{};
  getrusage(who, &u);
  return Seconds(u.ru_utime) + Seconds(u.ru_stime);
}

// utime + stime of a process (every thread), s; 0 when it cannot be read.
double ProcessCpu(long pid) {
  FILE *f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return 0;
  char buf[2048];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char *p = std::strrchr(buf, ')');
  unsigned long long utime = 0, stime = 0;
  // After ")": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  if (!p || std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
    return 0;
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

// N execs over `threads` workers; wall time from first spawn to last reap.
StormResult Storm(const Options &o, int64_t n, const std::string &marker) {
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> worker_cpu_us{0};
  std::vector<std::thread> workers;
  auto t0 = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < o.threads; t++) {
    int64_t first = n / o.threads * t + std::min<int64_t>(t, n % o.threads);
    int64_t count = n / o.threads + (static_cast<int64_t>(t) < n % o.threads ? 1 : 0);
    workers.emplace_back([&, first, count] {
      char index[32];
      std::string argv0 = o.program.substr(o.program.rfind('/') + 1);
      std::vector<char *> av = {argv0.data(), const_cast<char *>(marker.c_str()), index, nullptr};
      int64_t local_failed = 0;
      const double c0 = CpuOf(RUSAGE_THREAD);
      for (int64_t i = 0; i < count; i++) {
        std::snprintf(index, sizeof index, "%" PRId64, first + i);
        if (!SpawnAndWait(o.spawn, o.program.c_str(), av.data())) local_failed++;
      }
      failed += local_failed;
      worker_cpu_us += static_cast<int64_t>((CpuOf(RUSAGE_THREAD) - c0) * 1e6);
    });
  }
  for (auto &w : workers) w.join();
  auto t1 = std::chrono::steady_clock::now();
  StormResult r;
  r.issued = n;
  r.failed = failed.load();
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  r.worker_cpu = worker_cpu_us.load() / 1e6;
  return r;
}

// Loaded BPF programs named procsql_* (ours or anybody's), or -1 if they
// cannot be listed. A WITHOUT pass is only a baseline if this is 0.
int CountProcsqlPrograms() {
  int count = 0;
  uint32_t id = 0;
  for (;;) {
    union bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.start_id = id;
    if (syscall(SYS_bpf, BPF_PROG_GET_NEXT_ID, &attr, sizeof attr) != 0)
      return errno == ENOENT ? count : -1;
    id = attr.next_id;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_id = id;
    int fd = static_cast<int>(syscall(SYS_bpf, BPF_PROG_GET_FD_BY_ID, &attr, sizeof attr));
    if (fd < 0) continue;  // gone meanwhile
    struct bpf_prog_info info;
    std::memset(&info, 0, sizeof info);
    std::memset(&attr, 0, sizeof attr);
    attr.info.bpf_fd = static_cast<uint32_t>(fd);
    attr.info.info_len = sizeof info;
    attr.info.info = reinterpret_cast<uint64_t>(&info);
    if (syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof attr) == 0 &&
        std::strncmp(info.name, "procsql_", 8) == 0)
      count++;
    close(fd);
  }
}

double Ms(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct DbCloser {
  void operator()(sqlite3 *db) const { sqlite3_close(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt *s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Db Attach(const std::string &extension) {
  sqlite3 *raw = nullptr;
  if (sqlite3_open(":memory:", &raw) != SQLITE_OK) {
    std::fprintf(stderr, "exec_storm: sqlite3_open: %s\n", raw ? sqlite3_errmsg(raw) : "out of memory");
    std::exit(1);
  }
  Db db(raw);
  sqlite3_enable_load_extension(db.get(), 1);
  char *err = nullptr;
  if (sqlite3_load_extension(db.get(), extension.c_str(), nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "exec_storm: loading %s: %s\n", extension.c_str(), err ? err : "?");
    sqlite3_free(err);
    std::exit(1);
  }
  return db;
}

std::map<std::string, std::string> Stats(sqlite3 *db) {
  std::map<std::string, std::string> out;
  sqlite3_stmt *raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name, value FROM procsql_stats", -1, &raw, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "exec_storm: procsql_stats: %s\n", sqlite3_errmsg(db));
    return out;
  }
  Stmt st(raw);
  while (sqlite3_step(st.get()) == SQLITE_ROW) {
    const unsigned char *n = sqlite3_column_text(st.get(), 0);
    const unsigned char *v = sqlite3_column_text(st.get(), 1);
    if (n) out[reinterpret_cast<const char *>(n)] = v ? reinterpret_cast<const char *>(v) : "";
  }
  return out;
}

int64_t Stat(const std::map<std::string, std::string> &s, const char *name) {
  auto it = s.find(name);
  return it == s.end() ? -1 : std::strtoll(it->second.c_str(), nullptr, 10);
}

int64_t CountCaptured(sqlite3 *db, const std::string &marker) {
  sqlite3_stmt *raw = nullptr;
  const char *sql = "SELECT count(*) FROM process_events WHERE argv LIKE ?1";
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "exec_storm: %s\n", sqlite3_errmsg(db));
    std::exit(1);
  }
  Stmt st(raw);
  std::string pattern = "%" + marker + "%";
  sqlite3_bind_text(st.get(), 1, pattern.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.get()) != SQLITE_ROW) {
    std::fprintf(stderr, "exec_storm: count: %s\n", sqlite3_errmsg(db));
    std::exit(1);
  }
  return sqlite3_column_int64(st.get(), 0);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Marker(int round) {
  std::random_device rd;
  char buf[96];
  std::snprintf(buf, sizeof buf, "procsqlstorm%dr%dx%08x%08x", static_cast<int>(getpid()), round,
                rd(), rd());
  return buf;
}


// Runs a command; its exit status (-1 if it could not run).
int Run(const std::string &cmd) {
  int rc = std::system(cmd.c_str());
  return rc < 0 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A value `auditctl -s` shows ("pid", "enabled", "backlog_limit"); -1 if unknown.
long AuditSetting(const char *name) {
  FILE *f = popen("/usr/sbin/auditctl -s 2>/dev/null", "r");
  if (!f) return -1;
  char line[256];
  long value = -1;
  const std::string format = std::string(name) + " %ld";
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, format.c_str(), &value) == 1) break;
  pclose(f);
  return value;
}

// The pid registered as the audit daemon, 0 when none.
long AuditPid() { return std::max(0L, AuditSetting("pid")); }

// A config directory for one auditd pass: the system's auditd.conf with the
// log in `dir` and rotation off, so that a pass's log is one file (Debian's
// 8 MB rotation would otherwise split and drop a storm's records) and the
// system's log is left alone. Everything else (format, flush, queue) is as
// the system configures it. False when it cannot be written.
bool WriteAuditdConfig(const std::string &dir) {
  FILE *in = std::fopen("/etc/audit/auditd.conf", "r");
  if (!in) return false;
  FILE *out = std::fopen((dir + "/auditd.conf").c_str(), "w");
  if (!out) {
    std::fclose(in);
    return false;
  }
  char line[1024];
  while (std::fgets(line, sizeof line, in)) {
    if (std::strncmp(line, "log_file", 8) == 0 || std::strncmp(line, "max_log_file_action", 19) == 0 ||
        std::strncmp(line, "max_log_file ", 13) == 0)
      continue;
    std::fputs(line, out);
  }
  std::fprintf(out, "log_file = %s/audit.log\nmax_log_file = 0\nmax_log_file_action = ignore\n", dir.c_str());
  std::fclose(in);
  return std::fclose(out) == 0 && chmod((dir + "/auditd.conf").c_str(), 0640) == 0;
}

// Lines of an auditd log holding `marker` (each exec logs one EXECVE record
// with the marker as an argument).
int64_t CountInAuditLog(const std::string &log, const std::string &marker) {
  FILE *f = std::fopen(log.c_str(), "r");
  if (!f) return 0;
  int64_t n = 0;
  std::string line;
  int c;
  while ((c = std::fgetc(f)) != EOF) {
    if (c != '\n') { line.push_back(static_cast<char>(c)); continue; }
    if (line.compare(0, 13, "type=EXECVE m") == 0 && line.find(marker) != std::string::npos) n++;
    line.clear();
  }
  std::fclose(f);
  return n;
}

struct ModeResult {
  std::vector<double> rates, ratios, cpu_us;  // cpu_us: the collector's CPU per exec
  int64_t issued = 0, captured = 0, lost = 0;
};

// The rules procsql's audit backend installs, as `auditctl -l` lists them
// (key and all), read while a database with the audit backend is open.
std::vector<std::string> ProcsqlAuditRules(const std::string &extension);

// The rule with `key` as its key, each word single-quoted for the shell
// (a field such as `a0&0x10000` holds shell syntax).
std::string WithKey(std::string rule, const std::string &key) {
  const size_t at = rule.find(" -F key=");
  if (at != std::string::npos) rule.erase(at);
  const size_t k = rule.find(" -k ");
  if (k != std::string::npos) rule.erase(k);
  rule += " -k " + key;
  std::string quoted;
  for (size_t from = 0; from < rule.size();) {
    size_t to = std::min(rule.find(' ', from), rule.size());
    if (to > from) quoted += (quoted.empty() ? "'" : " '") + rule.substr(from, to - from) + "'";
    from = to + 1;
  }
  return quoted;
}

std::vector<std::string> ProcsqlAuditRules(const std::string &extension) {
  setenv("PROCSQL_BACKEND", "audit", 1);
  Db db = Attach(extension);
  unsetenv("PROCSQL_BACKEND");
  std::string key;
  for (const auto &[name, value] : Stats(db.get()))
    if (name.size() > 9 && name.compare(name.size() - 9, 9, ".rule_key") == 0) key = value;
  std::vector<std::string> rules;
  FILE *f = popen("/usr/sbin/auditctl -l 2>/dev/null", "r");
  if (!f || key.empty()) {
    if (f) pclose(f);
    return rules;
  }
  char line[4096];
  while (std::fgets(line, sizeof line, f)) {
    std::string l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == ' ')) l.pop_back();
    if (l.find("key=" + key) != std::string::npos || l.find("-k " + key) != std::string::npos) rules.push_back(l);
  }
  pclose(f);
  return rules;
}

}  // namespace

int main(int argc, char **argv) {
  Options o = ParseArgs(argc, argv);
  if (access(o.program.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "exec_storm: cannot execute %s\n", o.program.c_str());
    return 1;
  }
  std::string modes_text;
  for (const auto &m : o.modes) modes_text += (modes_text.empty() ? "" : ",") + m;
  std::printf("exec_storm: %" PRId64 " execs x %d rounds, %u threads, %s of %s, extension %s, modes %s\n",
              o.execs, o.rounds, o.threads, SpawnName(o.spawn), o.program.c_str(),
              o.extension.c_str(), modes_text.c_str());
  std::fflush(stdout);
  const bool uses_auditd = std::find(o.modes.begin(), o.modes.end(), "auditd") != o.modes.end() ||
                           std::find(o.modes.begin(), o.modes.end(), "auditd-rules") != o.modes.end();
  std::vector<std::string> procsql_rules;
  if (std::find(o.modes.begin(), o.modes.end(), "auditd-rules") != o.modes.end()) {
    procsql_rules = ProcsqlAuditRules(o.extension);
    if (procsql_rules.empty()) {
      std::fprintf(stderr, "exec_storm: could not read the audit backend's rules\n");
      return 1;
    }
    for (const std::string &rule : procsql_rules) std::printf("auditd-rules: %s\n", rule.c_str());
  }
  if (uses_auditd && AuditPid() != 0) {
    std::fprintf(stderr, "exec_storm: an audit daemon already runs; stop it for the auditd mode\n");
    return 1;
  }

  if (o.warmup > 0) {
    StormResult w = Storm(o, o.warmup, Marker(-1));
    std::printf("warmup: %" PRId64 " execs, %.0f execs/s (not counted)\n", w.issued,
                w.issued / w.seconds);
    std::fflush(stdout);
  }

  std::map<std::string, ModeResult> results;
  int64_t failed_total = 0;
  bool warned_capacity = false;
  int contaminated = 0;
  const std::string rule_key = "procsql_bench_" + std::to_string(getpid());

  for (int round = 0; round < o.rounds; round++) {
    std::map<std::string, double> rate;
    // Each round starts at a different mode, so slow drift (page cache,
    // thermal, other load) does not always favour the same one.
    for (size_t k = 0; k < o.modes.size(); k++) {
      const std::string &mode = o.modes[(k + round) % o.modes.size()];
      std::string marker = Marker(round * 8 + static_cast<int>(k));
      ModeResult &mr = results[mode];
      if (mode == "none") {
        int foreign = CountProcsqlPrograms();
        StormResult r = Storm(o, o.execs, marker);
        foreign = std::max(foreign, CountProcsqlPrograms());
        failed_total += r.failed;
        rate[mode] = r.issued / r.seconds;
        std::printf("round %d none:   issued %" PRId64 " failed %" PRId64 " wall %.3f s  %.0f execs/s%s\n",
                    round + 1, r.issued, r.failed, r.seconds, rate[mode],
                    foreign > 0 ? "  (NOTE: another process had procsql_ programs loaded)" : "");
        if (foreign > 0) contaminated++;
      } else if (mode == "auditd" || mode == "auditd-rules") {
        // auditd switches audit on and may change the backlog: put both back.
        const long enabled = AuditSetting("enabled"), backlog = AuditSetting("backlog_limit");
        char dir_template[] = "/tmp/exec_storm_auditd.XXXXXX";
        const char *dir = mkdtemp(dir_template);
        bool rules_ok = true;
        if (mode == "auditd") {
          rules_ok = Run("/usr/sbin/auditctl -a always,exit -F arch=b64 -S execve -k " + rule_key + " >/dev/null") == 0;
        } else {
          for (const std::string &rule : procsql_rules)
            rules_ok = rules_ok && Run("/usr/sbin/auditctl " + WithKey(rule, rule_key) + " >/dev/null") == 0;
        }
        if (!dir || !WriteAuditdConfig(dir) || !rules_ok || Run(std::string("/usr/sbin/auditd -c ") + dir) != 0) {
          std::fprintf(stderr, "exec_storm: cannot start auditd with its rules\n");
          Run("/usr/sbin/auditctl -D -k " + rule_key + " >/dev/null 2>&1");
          if (dir) Run(std::string("rm -rf ") + dir);
          return 1;
        }
        const std::string log = std::string(dir) + "/audit.log";
        while (AuditPid() == 0) usleep(10000);
        const long lost_before = AuditSetting("lost");
        const long auditd_pid = AuditPid();
        const double cpu0 = ProcessCpu(auditd_pid);
        StormResult r = Storm(o, o.execs, marker);
        // auditd writes asynchronously: wait until its count stops growing.
        int64_t captured = 0, last = -1;
        for (int quiet = 0; quiet < 10 && captured < r.issued;) {
          usleep(200000);
          captured = CountInAuditLog(log, marker);
          quiet = captured == last ? quiet + 1 : 0;
          last = captured;
        }
        const int64_t lost = AuditSetting("lost") - lost_before;
        const double cpu_us = (ProcessCpu(auditd_pid) - cpu0) / r.issued * 1e6;
        mr.cpu_us.push_back(cpu_us);
        Run("/usr/sbin/auditctl -D -k " + rule_key + " >/dev/null");
        long pid = AuditPid();
        if (pid > 0) kill(static_cast<pid_t>(pid), SIGTERM);
        while (AuditPid() > 0) usleep(10000);
        Run(std::string("rm -rf ") + dir);
        if (enabled >= 0 && backlog >= 0)
          Run("/usr/sbin/auditctl -e " + std::to_string(enabled) + " -b " + std::to_string(backlog) + " >/dev/null");
        failed_total += r.failed;
        rate[mode] = r.issued / r.seconds;
        mr.issued += r.issued;
        mr.captured += captured;
        mr.lost += lost;
        std::printf("round %d %s: issued %" PRId64 " failed %" PRId64 " wall %.3f s  %.0f execs/s  logged %" PRId64
                    " (%.2f%%)  kernel lost +%" PRId64 "  auditd cpu %.1f us/exec\n",
                    round + 1, mode.c_str(), r.issued, r.failed, r.seconds, rate[mode], captured,
                    100.0 * captured / r.issued, lost, cpu_us);
      } else {
        const bool b = mode.size() > 2 && mode.compare(mode.size() - 2, 2, "-b") == 0;
        setenv("PROCSQL_BACKEND", b ? mode.substr(0, mode.size() - 2).c_str() : mode.c_str(), 1);
        auto a0 = std::chrono::steady_clock::now();
        Db db = Attach(b ? o.extension_b : o.extension);
        auto a1 = std::chrono::steady_clock::now();
        auto before = Stats(db.get());
        int64_t capacity = Stat(before, "process_events.capacity");
        if (!warned_capacity && capacity > 0 && o.execs > capacity) {
          std::printf("warning: --execs %" PRId64 " exceeds process_events.capacity %" PRId64
                      "; rows will be overwritten (set PROCSQL_CAPACITY)\n",
                      o.execs, capacity);
          warned_capacity = true;
        }
        const double self0 = CpuOf(RUSAGE_SELF);
        StormResult r = Storm(o, o.execs, marker);
        auto q0 = std::chrono::steady_clock::now();
        int64_t captured = CountCaptured(db.get(), marker);
        auto q1 = std::chrono::steady_clock::now();
        const double cpu_us = (CpuOf(RUSAGE_SELF) - self0 - r.worker_cpu) / r.issued * 1e6;
        mr.cpu_us.push_back(cpu_us);
        auto after = Stats(db.get());
        int64_t lost = Stat(after, "process_events.events_lost_kernel") -
                       Stat(before, "process_events.events_lost_kernel");
        int64_t overwritten = Stat(after, "process_events.rows_overwritten") -
                              Stat(before, "process_events.rows_overwritten");
        auto d0 = std::chrono::steady_clock::now();
        db.reset();
        auto d1 = std::chrono::steady_clock::now();
        unsetenv("PROCSQL_BACKEND");
        failed_total += r.failed;
        mr.issued += r.issued;
        mr.captured += captured;
        mr.lost += lost;
        rate[mode] = r.issued / r.seconds;
        std::printf("round %d %-6s  issued %" PRId64 " failed %" PRId64
                    " wall %.3f s  %.0f execs/s  captured %" PRId64 " (%.2f%%)"
                    "  lost +%" PRId64 "  overwritten +%" PRId64
                    "  attach %.1f ms  count query %.1f ms  detach %.1f ms  collector cpu %.1f us/exec\n",
                    round + 1, (mode + ":").c_str(), r.issued, r.failed, r.seconds, rate[mode], captured,
                    100.0 * captured / r.issued, lost, overwritten, Ms(a0, a1), Ms(q0, q1), Ms(d0, d1), cpu_us);
      }
      std::fflush(stdout);
    }
    for (const auto &m : o.modes) {
      results[m].rates.push_back(rate[m]);
      results[m].ratios.push_back(rate[m] / rate["none"]);
    }
  }

  std::printf("\nsummary over %d rounds of %" PRId64 " execs (%u threads, %s):\n", o.rounds, o.execs,
              o.threads, SpawnName(o.spawn));
  std::printf("  %-12s %10s %10s %10s %8s %12s %10s %14s\n", "mode", "issued", "captured", "capt/iss", "lost",
              "execs/s med", "ratio", "cpu us/exec");
  for (const auto &m : o.modes) {
    const ModeResult &r = results[m];
    if (m == "none") {
      std::printf("  %-12s %10s %10s %10s %8s %12.0f %10s %14s\n", m.c_str(), "-", "-", "-", "-", Median(r.rates), "1",
                  "-");
    } else {
      std::printf("  %-12s %10" PRId64 " %10" PRId64 " %10.4f %8" PRId64 " %12.0f %10.3f %14.1f\n", m.c_str(),
                  r.issued, r.captured, r.issued ? static_cast<double>(r.captured) / r.issued : 0.0, r.lost,
                  Median(r.rates), Median(r.ratios), Median(r.cpu_us));
    }
  }
  std::printf("  (ratio: execs/s of the mode / execs/s of none, median of per-round ratios;\n"
              "   cpu: the collector's, or auditd's, CPU per exec, median over rounds)\n");
  if (contaminated)
    std::printf("  NOTE: %d baseline passes ran while another process had procsql_ programs\n"
                "        loaded: those baselines include a collector's cost\n", contaminated);
  if (failed_total) std::printf("  FAILED spawns            %" PRId64 "\n", failed_total);
  return failed_total ? 1 : 0;
}
