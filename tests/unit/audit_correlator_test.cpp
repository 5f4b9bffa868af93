// The audit correlator alone: audit records, connector events and /proc
// answers in, rows out, with a fake clock and a fake /proc. Each test is one
// order of arrival the live source meets: records after the connector's
// events (the usual), a record before them, a fork whose record comes later,
// records that never come, processes gone before /proc could be read.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "sources/audit/audit_correlator.h"
#include "sources/audit/audit_record.h"

namespace procsql {
namespace {

constexpr int64_t kUs = 1'000;
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000'000'000;
// Unix ns the tests start at (audit stamps are whole ms), and the boot time
// the fake /proc's start ticks count from (10 ms ticks).
constexpr int64_t kT0 = 1'800'000'000 * kSec;
constexpr int64_t kBoot = kT0 - 3600 * kSec;

constexpr std::array<uint32_t, 8> kHostNs = {4026531841, 4026531838, 4026531839, 4026531837,
                                             4026531836, 4026531840, 4026531835, 4026531834};
constexpr uint64_t kShellCgroup = 7001, kChildCgroup = 7002;

// --- the fakes -------------------------------------------------------------

struct FakeClock : AuditClock {
	int64_t now = kT0;
	int64_t now_unix_ns() const override { return now; }
};

// /proc: the processes listed are alive; any other pid has ended.
struct FakeProc : AuditProcView {
	struct Process {
		ProcInfo info;
		std::string exe, comm;
		std::vector<int32_t> tasks; // empty: the pid alone
	};
	std::map<int32_t, Process> procs;
	mutable std::vector<int32_t> reads; // pids read() found, in order

	// A live process in the host namespaces, started `ticks` after boot.
	Process& add(int32_t pid, int32_t parent, uint64_t cgroup_id, const std::string& exe, uint64_t ticks = 100) {
		Process& p = procs[pid];
		p.info = ProcInfo{};
		p.info.alive = true;
		p.info.start_ticks = ticks;
		p.info.parent = parent;
		p.info.has_cgroup = true;
		p.info.cgroup_id = cgroup_id;
		p.info.cgroup_path = "/user.slice/cg" + std::to_string(cgroup_id);
		p.info.has_namespaces = true;
		p.info.ns = kHostNs;
		p.info.pid_for_children = kHostNs[4];
		p.info.time_for_children = kHostNs[7];
		p.info.ns_pid = pid;
		p.info.has_uid = true;
		p.exe = exe;
		p.comm = exe.substr(exe.rfind('/') + 1);
		return p;
	}

	ProcInfo read(int32_t pid, unsigned parts = ProcReader::kAllParts) const override {
		auto it = procs.find(pid);
		if (it == procs.end()) {
			return ProcInfo{};
		}
		reads.push_back(pid);
		// As ProcReader leaves out a part not asked for.
		ProcInfo info = it->second.info;
		if (!(parts & ProcReader::kCgroup)) {
			info.has_cgroup = false;
			info.cgroup_id = 0;
			info.cgroup_path.clear();
		}
		if (!(parts & ProcReader::kStatus)) {
			info.ns_pid = 0;
			info.uid = 0;
			info.has_uid = false;
			info.privileges = ProcPrivileges{};
		}
		if (!(parts & ProcReader::kStat)) {
			info.parent = 0;
			info.tty_nr = 0;
			info.start_ticks = 0;
		}
		if (!(parts & ProcReader::kNamespaces)) {
			info.has_namespaces = false;
			info.ns = {};
			info.pid_for_children = info.time_for_children = 0;
		}
		return info;
	}
	Namespaces namespaces(int32_t pid, int32_t) const override { return read(pid).namespaces(); }
	bool link(int32_t pid, const char* which, std::string* out) const override {
		auto it = procs.find(pid);
		if (it == procs.end()) {
			return false;
		}
		*out = std::strcmp(which, "exe") == 0 ? it->second.exe : "/";
		return true;
	}
	bool comm(int32_t pid, std::string* out) const override {
		auto it = procs.find(pid);
		if (it == procs.end()) {
			return false;
		}
		*out = it->second.comm;
		return true;
	}
	std::vector<int32_t> pids() const override {
		std::vector<int32_t> out;
		for (const auto& [pid, p] : procs) {
			out.push_back(pid);
		}
		return out;
	}
	std::vector<int32_t> tasks(int32_t pid) const override {
		auto it = procs.find(pid);
		if (it == procs.end()) {
			return {};
		}
		return it->second.tasks.empty() ? std::vector<int32_t>{pid} : it->second.tasks;
	}
	int64_t start_time_ns(uint64_t ticks) const override { return kBoot + int64_t(ticks) * 10 * kMs; }
};

template <class Row>
struct Stored {
	Row row;
	std::vector<std::string> strings;
};

struct FakeSink : AuditRowSink {
	std::vector<Stored<ExecRow>> execs;
	std::vector<Stored<CloneRow>> clones;
	std::vector<Stored<ExitRow>> exits;
	std::vector<Stored<ExecFailureRow>> failures;
	std::map<uint64_t, std::string> containers; // cgroup id -> container id
	std::map<uint64_t, std::string> cgroups_seen;

	template <class Row, class Strings>
	static Stored<Row> keep(const Row& row, const Strings& s) {
		Stored<Row> out{row, {}};
		for (std::string_view v : s) {
			out.strings.emplace_back(v);
		}
		return out;
	}
	void exec(const ExecRow& row, const ExecStrings& s) override { execs.push_back(keep(row, s)); }
	void clone(const CloneRow& row, const CloneStrings& s) override { clones.push_back(keep(row, s)); }
	void exit(const ExitRow& row, const ExitStrings& s) override { exits.push_back(keep(row, s)); }
	void exec_failure(const ExecFailureRow& row, const ExecFailureStrings& s) override {
		failures.push_back(keep(row, s));
	}
	void cgroup_seen(uint64_t id, const std::string& path, int64_t) override { cgroups_seen[id] = path; }
	std::string container_of(uint64_t id, int64_t) override {
		auto it = containers.find(id);
		return it == containers.end() ? "" : it->second;
	}
	void check_removed_cgroups(int64_t) override {}
};

// --- events ----------------------------------------------------------------

ProcEvent fork_event(int32_t child, int32_t parent, int64_t time_ns, int32_t child_tgid = 0) {
	ProcEvent ev;
	ev.kind = ProcEvent::fork;
	ev.monotonic_ns = time_ns; // the correlator's mono offset is 0 here
	ev.pid = child;
	ev.tgid = child_tgid ? child_tgid : child;
	ev.parent_pid = parent;
	ev.parent_tgid = parent;
	return ev;
}

ProcEvent exec_event(int32_t pid, int64_t time_ns) {
	ProcEvent ev;
	ev.kind = ProcEvent::exec;
	ev.monotonic_ns = time_ns;
	ev.pid = ev.tgid = pid;
	return ev;
}

ProcEvent exit_event(int32_t pid, int64_t time_ns, uint32_t code, int32_t tgid = 0) {
	ProcEvent ev;
	ev.kind = ProcEvent::exit;
	ev.monotonic_ns = time_ns;
	ev.pid = pid;
	ev.tgid = tgid ? tgid : pid;
	ev.exit_code = code;
	return ev;
}

struct Record {
	uint32_t type;
	std::string text;
};

// "audit(SEC.MS:SERIAL): " for a stamp in Unix ns (cut to ms, as audit does).
std::string stamp(int64_t time_ns, uint64_t serial) {
	char buf[64];
	std::snprintf(buf, sizeof(buf), "audit(%lld.%03lld:%llu): ", (long long)(time_ns / kSec),
	              (long long)(time_ns % kSec / kMs), (unsigned long long)serial);
	return buf;
}

std::string ids(int32_t pid, int32_t ppid) {
	return "ppid=" + std::to_string(ppid) + " pid=" + std::to_string(pid) +
	       " auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295";
}

// The records of a successful execve of `exe` by `pid`, without or with its
// end-of-event record.
std::vector<Record> execve_records(int64_t stamp_ns, uint64_t serial, int32_t pid, int32_t ppid, const std::string& exe,
                                   bool with_end = true) {
	const std::string s = stamp(stamp_ns, serial);
	const std::string comm = exe.substr(exe.rfind('/') + 1);
	std::vector<Record> out = {
	    {kAuditSyscall, s + "arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 " + ids(pid, ppid) +
	                        " comm=\"" + comm + "\" exe=\"" + exe + "\" key=\"procsql-test\""},
	    {kAuditExecve, s + "argc=2 a0=\"" + comm + "\" a1=\"--marker\""},
	    {kAuditCwd, s + "cwd=\"/tmp\""},
	    {kAuditPath, s + "item=0 name=\"" + exe +
	                     "\" inode=4242 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL"},
	};
	if (with_end) {
		out.push_back({kAuditEoe, s});
	}
	return out;
}

// A clone (fork-like flags) by `pid` that returned `result`.
std::vector<Record> clone_records(int64_t stamp_ns, uint64_t serial, int32_t pid, int32_t ppid, int32_t result,
                                  const std::string& exe) {
	const std::string s = stamp(stamp_ns, serial);
	const std::string comm = exe.substr(exe.rfind('/') + 1);
	return {
	    {kAuditSyscall, s + "arch=c000003e syscall=56 success=yes exit=" + std::to_string(result) +
	                        " a0=1200011 a1=0 a2=0 a3=0 items=0 " + ids(pid, ppid) + " comm=\"" + comm + "\" exe=\"" +
	                        exe + "\" key=\"procsql-test\""},
	    {kAuditEoe, s},
	};
}

// The records of an execve by `pid` that failed with -`err` (as the kernel
// writes them from 5.9 on: no EXECVE record, PATH item 0 with the name).
std::vector<Record> failed_execve_records(int64_t stamp_ns, uint64_t serial, int32_t pid, int32_t ppid,
                                          const std::string& exe, const std::string& name, int err) {
	const std::string s = stamp(stamp_ns, serial);
	const std::string comm = exe.substr(exe.rfind('/') + 1);
	return {
	    {kAuditSyscall, s + "arch=c000003e syscall=59 success=no exit=-" + std::to_string(err) +
	                        " a0=1 a1=2 a2=3 a3=4 items=1 " + ids(pid, ppid) + " comm=\"" + comm + "\" exe=\"" + exe +
	                        "\" key=\"procsql-test\""},
	    {kAuditCwd, s + "cwd=\"/srv\""},
	    {kAuditPath, s + "item=0 name=\"" + name + "\" nametype=UNKNOWN cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0"},
	    {kAuditEoe, s},
	};
}

std::string comm_of(const char (&c)[16]) { return std::string(c, strnlen(c, sizeof(c))); }

// --- the world: a shell (pid 100) seen at start, and the correlator --------

struct World {
	FakeClock clock;
	FakeProc proc;
	FakeSink sink;
	std::deque<ProcEvent> connector_queue; // delivered only when the correlator asks
	AuditCorrelator correlator;

	explicit World(AuditCorrelatorOptions options = {})
	    : correlator(options, proc, clock, sink, [this] { deliver_queued(); }) {
		proc.add(100, 1, kShellCgroup, "/usr/bin/bash", 50);
		correlator.seed();
	}
	void connector(std::vector<ProcEvent> events) { correlator.on_connector_events(events); }
	void deliver_queued() {
		std::vector<ProcEvent> batch(connector_queue.begin(), connector_queue.end());
		connector_queue.clear();
		correlator.on_connector_events(batch);
	}
	void records(const std::vector<Record>& recs) {
		for (const Record& r : recs) {
			correlator.on_record(r.type, r.text);
		}
	}
	void at(int64_t t) {
		clock.now = t;
		correlator.tick();
	}
};

constexpr int32_t kShell = 100, kChild = 200;

// What every test's child exec row holds when /proc could be read at its exec.
void expect_full_exec_row(const Stored<ExecRow>& e, int64_t fork_ns, int64_t exec_ns) {
	const ExecRow& r = e.row;
	EXPECT_EQ(r.pid, kChild);
	EXPECT_EQ(r.parent, kShell);
	EXPECT_EQ(r.time_ns, exec_ns) << "the connector's exact time, not audit's coarse stamp";
	EXPECT_FALSE(r.flags & kExecNoStartTime);
	EXPECT_EQ(r.start_time, fork_ns);
	EXPECT_FALSE(r.flags & kExecNoTid);
	EXPECT_EQ(r.tid, kChild);
	EXPECT_FALSE(r.flags & kExecNoProcInfo);
	EXPECT_EQ(r.cgroup_id, kChildCgroup) << "the cgroup /proc showed at the exec";
	EXPECT_EQ(r.mnt_ns, kHostNs[0]);
	EXPECT_EQ(r.pid_ns, kHostNs[4]);
	EXPECT_EQ(r.ns_pid, kChild);
	EXPECT_EQ(comm_of(r.comm), "true");
	EXPECT_EQ(r.inode, 4242u);
	EXPECT_EQ(e.strings[kExecPath], "/usr/bin/true");
	EXPECT_EQ(e.strings[kExecCwd], "/tmp");
	EXPECT_EQ(e.strings[kExecArgv], std::string("true\0--marker\0", 14));
	EXPECT_TRUE(r.flags & kExecHasParentPath);
	EXPECT_EQ(e.strings[kExecParentPath], "/usr/bin/bash");
}

// The audit records of the shell's spawn of kChild (its clone, then the
// child's execve of /usr/bin/true), and the tick after them.
void spawn_records(World& w) {
	w.records(clone_records(kT0 + 100 * kMs, 1, kShell, 1, kChild, "/usr/bin/bash"));
	w.records(execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/true"));
	w.at(kT0 + 110 * kMs);
}

// --- in order --------------------------------------------------------------

// The usual order: the connector's fork and exec (read while the calls run),
// then the clone's and the exec's records (sent after the calls return).
TEST(AuditCorrelator, InOrderForkAndExec) {
	World w;
	const int64_t fork_ns = kT0 + 100 * kMs + 123, exec_ns = kT0 + 101 * kMs + 456;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/true");
	w.clock.now = kT0 + 102 * kMs;
	w.connector({fork_event(kChild, kShell, fork_ns), exec_event(kChild, exec_ns)});
	spawn_records(w);

	ASSERT_EQ(w.sink.execs.size(), 1u);
	expect_full_exec_row(w.sink.execs[0], fork_ns, exec_ns);
	ASSERT_EQ(w.sink.clones.size(), 1u);
	const CloneRow& c = w.sink.clones[0].row;
	EXPECT_EQ(c.syscall, int32_t(CloneSyscall::clone));
	EXPECT_EQ(c.pid, kShell);
	EXPECT_EQ(c.tid, kShell);
	EXPECT_FALSE(c.row_flags & kLifecycleNoTid);
	EXPECT_TRUE(c.row_flags & kLifecycleHasChild);
	EXPECT_EQ(c.child_pid, kChild);
	EXPECT_EQ(c.child_tid, kChild);
	EXPECT_EQ(c.child_start_time, fork_ns);
	EXPECT_EQ(c.time_ns, fork_ns);
	EXPECT_EQ(c.new_ns, 0u);
	EXPECT_FALSE(c.row_flags & kLifecycleNoNamespaces);
	EXPECT_EQ(c.cgroup_id, kShellCgroup);
	EXPECT_EQ(w.sink.clones[0].strings[kClonePath], "/usr/bin/bash");
	EXPECT_EQ(w.sink.cgroups_seen.count(kChildCgroup), 1u);
	const AuditCorrelatorStats s = w.correlator.stats();
	EXPECT_EQ(s.records, 7u);
	EXPECT_EQ(s.exec_rows, 1u);
	EXPECT_EQ(s.clone_rows, 1u);
	EXPECT_EQ(s.forks_without_record, 0u);
	EXPECT_EQ(s.proc_reads_missed, 0u);
	EXPECT_EQ(s.events_incomplete, 0u);
}

// --- out of order ----------------------------------------------------------

// The exec's record is handled before the connector's fork and exec were
// read (they wait in the connector's queue): the record names a process the
// correlator does not know, which makes it read the connector first, and the
// row is the one the usual order gives.
TEST(AuditCorrelator, RecordBeforeTheConnectorsEvents) {
	World w;
	const int64_t fork_ns = kT0 + 100 * kMs + 123, exec_ns = kT0 + 101 * kMs + 456;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/true");
	w.clock.now = kT0 + 102 * kMs;
	w.connector_queue = {fork_event(kChild, kShell, fork_ns), exec_event(kChild, exec_ns)};
	w.records(execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/true"));
	EXPECT_TRUE(w.connector_queue.empty()) << "the correlator did not read the connector";
	ASSERT_EQ(w.sink.execs.size(), 1u);
	expect_full_exec_row(w.sink.execs[0], fork_ns, exec_ns);
	EXPECT_EQ(w.correlator.stats().proc_reads_missed, 0u);
}

// The connector's exit is read before the exec's record (the process ran a
// millisecond): the exit row waits for that record, which brings the
// executable and comm the process ended with.
TEST(AuditCorrelator, ExitWaitsForTheExecRecord) {
	World w;
	const int64_t fork_ns = kT0 + 100 * kMs, exec_ns = kT0 + 101 * kMs, exit_ns = kT0 + 102 * kMs;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/bash"); // /proc read at the fork: still the shell
	w.clock.now = kT0 + 103 * kMs;
	w.connector({fork_event(kChild, kShell, fork_ns)});
	w.proc.procs.erase(kChild); // gone before /proc was read at the exec
	w.connector({exec_event(kChild, exec_ns), exit_event(kChild, exit_ns, 0x100)});
	w.at(kT0 + 110 * kMs);
	EXPECT_TRUE(w.sink.exits.empty()) << "the exit was written before its process's exec record";

	w.records(execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/true"));
	w.at(kT0 + 120 * kMs);
	ASSERT_EQ(w.sink.exits.size(), 1u);
	const Stored<ExitRow>& x = w.sink.exits[0];
	EXPECT_EQ(x.row.pid, kChild);
	EXPECT_EQ(x.row.time_ns, exit_ns);
	EXPECT_EQ(x.row.status, 0x100u);
	EXPECT_EQ(x.row.start_time, fork_ns);
	EXPECT_FALSE(x.row.row_flags & kLifecycleNoStartTime);
	EXPECT_EQ(comm_of(x.row.comm), "true");
	EXPECT_TRUE(x.row.row_flags & kLifecycleHasPath);
	EXPECT_EQ(x.strings[kExitPath], "/usr/bin/true");
	// The cgroup read at the fork held before the exec only: not the exit's.
	EXPECT_TRUE(x.row.row_flags & kLifecycleNoProcInfo);
	ASSERT_EQ(w.sink.execs.size(), 1u);
	EXPECT_EQ(w.sink.execs[0].row.time_ns, exec_ns);
	EXPECT_EQ(w.sink.execs[0].row.start_time, fork_ns);
}

// --- a fork before its record ----------------------------------------------

// The connector's fork waits, unclaimed, for the clone's record (here 2.5 s
// late, within the bound): no row before it, one row with the connector's
// host pid and exact time after it, and nothing counted as unclaimed.
TEST(AuditCorrelator, ForkBeforeItsRecord) {
	World w;
	const int64_t fork_ns = kT0 + 100 * kMs + 7;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/bash");
	w.clock.now = kT0 + 101 * kMs;
	w.connector({fork_event(kChild, kShell, fork_ns)});
	w.at(kT0 + 1 * kSec);
	w.at(kT0 + 2 * kSec);
	EXPECT_TRUE(w.sink.clones.empty());

	w.clock.now = kT0 + 2600 * kMs;
	w.records(clone_records(kT0 + 100 * kMs, 5, kShell, 1, kChild, "/usr/bin/bash"));
	w.at(kT0 + 2700 * kMs);
	ASSERT_EQ(w.sink.clones.size(), 1u);
	const CloneRow& c = w.sink.clones[0].row;
	EXPECT_EQ(c.syscall, int32_t(CloneSyscall::clone));
	EXPECT_EQ(c.flags, 0x1200000u); // a0 less the exit signal (CSIGNAL)
	EXPECT_FALSE(c.row_flags & kLifecycleNoFlags);
	EXPECT_EQ(c.child_pid, kChild);
	EXPECT_EQ(c.time_ns, fork_ns);
	EXPECT_EQ(c.tid, kShell);
	w.at(kT0 + 10 * kSec);
	EXPECT_EQ(w.sink.clones.size(), 1u) << "the claimed fork was written again";
	EXPECT_EQ(w.correlator.stats().forks_without_record, 0u);
}

// A caller in a pid namespace: its clone returns the child's pid there, the
// connector names the host pid; the child's pid in its namespace, read at
// the connector's fork, joins them (and not the caller's oldest fork still
// waiting for its record).
TEST(AuditCorrelator, ForkInAPidNamespace) {
	World w;
	const int32_t older = 199, older_ns = 3, ns_child = 7;
	w.proc.add(older, kShell, kChildCgroup, "/usr/bin/bash").info.ns_pid = older_ns;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/bash").info.ns_pid = ns_child;
	w.clock.now = kT0 + 101 * kMs;
	w.connector({fork_event(older, kShell, kT0 + 90 * kMs), fork_event(kChild, kShell, kT0 + 100 * kMs)});
	w.records(clone_records(kT0 + 100 * kMs, 5, kShell, 1, ns_child, "/usr/bin/bash"));
	ASSERT_EQ(w.sink.clones.size(), 1u);
	EXPECT_EQ(w.sink.clones[0].row.result, ns_child);
	EXPECT_EQ(w.sink.clones[0].row.child_pid, kChild);
	EXPECT_EQ(w.sink.clones[0].row.time_ns, kT0 + 100 * kMs);
}

// --- records that never come -----------------------------------------------

// A process forked, exec'd and exited, and no audit record came (lost, or a
// kernel thread's): the fork becomes a row of its own, syscall NULL, counted,
// and the exit is written, both exactly when kForkClaimNs has passed since
// the connector's events were read. No exec row: the exec row is audit's.
TEST(AuditCorrelator, RecordThatNeverComes) {
	World w;
	const int64_t fork_ns = kT0 + 100 * kMs, exec_ns = kT0 + 101 * kMs, exit_ns = kT0 + 150 * kMs;
	const int64_t read_ns = kT0 + 200 * kMs;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/sleep", 60);
	w.clock.now = read_ns;
	w.connector({fork_event(kChild, kShell, fork_ns), exec_event(kChild, exec_ns)});
	w.proc.procs.erase(kChild);
	w.connector({exit_event(kChild, exit_ns, 9)}); // killed by SIGKILL
	w.at(read_ns + AuditCorrelator::kForkClaimNs);
	EXPECT_TRUE(w.sink.clones.empty()) << "the fork was given up on before the bound";
	EXPECT_TRUE(w.sink.exits.empty()) << "the exit stopped waiting for the exec record before the bound";

	w.at(read_ns + AuditCorrelator::kForkClaimNs + 1);
	ASSERT_EQ(w.sink.clones.size(), 1u);
	const CloneRow& c = w.sink.clones[0].row;
	EXPECT_EQ(c.syscall, int32_t(CloneSyscall::none));
	EXPECT_TRUE(c.row_flags & kLifecycleNoFlags);
	EXPECT_TRUE(c.row_flags & kLifecycleNoNamespaces);
	EXPECT_EQ(c.pid, kShell);
	EXPECT_EQ(c.tid, kShell);
	EXPECT_EQ(c.child_pid, kChild);
	EXPECT_EQ(c.result, kChild);
	EXPECT_EQ(c.time_ns, fork_ns);
	EXPECT_EQ(comm_of(c.comm), "bash");
	EXPECT_EQ(c.cgroup_id, kShellCgroup);
	EXPECT_EQ(w.sink.clones[0].strings[kClonePath], "/usr/bin/bash");

	ASSERT_EQ(w.sink.exits.size(), 1u);
	const Stored<ExitRow>& x = w.sink.exits[0];
	EXPECT_EQ(x.row.status, 9u);
	EXPECT_EQ(x.row.time_ns, exit_ns);
	EXPECT_EQ(x.row.start_time, fork_ns);
	// The executable and comm after an exec are its record's: unknown
	// without it, not the shell's the child ran before.
	EXPECT_FALSE(x.row.row_flags & kLifecycleHasPath);
	EXPECT_EQ(x.strings[kExitPath], "");
	EXPECT_EQ(comm_of(x.row.comm), "");
	EXPECT_EQ(x.row.cgroup_id, kChildCgroup);
	EXPECT_TRUE(w.sink.execs.empty());

	const AuditCorrelatorStats s = w.correlator.stats();
	EXPECT_EQ(s.forks_without_record, 1u);
	EXPECT_EQ(s.clone_rows, 1u);
	EXPECT_EQ(s.exit_rows, 1u);
	EXPECT_EQ(s.exec_rows, 0u);
	// The exec record, late past the bound, still makes its row.
	w.records(execve_records(kT0 + 101 * kMs, 9, kChild, kShell, "/usr/bin/sleep"));
	EXPECT_EQ(w.sink.execs.size(), 1u);
}

// An exec whose end-of-event record never comes: decoded when the
// reassembler gives up on it (2 s after its first record), counted.
TEST(AuditCorrelator, EventWithoutItsEnd) {
	World w;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/true");
	w.clock.now = kT0 + 102 * kMs;
	w.connector({fork_event(kChild, kShell, kT0 + 100 * kMs), exec_event(kChild, kT0 + 101 * kMs)});
	w.records(execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/true", false));
	w.at(kT0 + 2000 * kMs);
	EXPECT_TRUE(w.sink.execs.empty());
	w.at(kT0 + 2103 * kMs);
	ASSERT_EQ(w.sink.execs.size(), 1u);
	expect_full_exec_row(w.sink.execs[0], kT0 + 100 * kMs, kT0 + 101 * kMs);
	EXPECT_EQ(w.correlator.stats().events_incomplete, 1u);
}

// --- exits -----------------------------------------------------------------

// The exit of a process seen at start: status, start time from /proc's
// ticks, cgroup, executable and comm as /proc showed them, the container.
TEST(AuditCorrelator, ExitOfAProcessSeenAtStart) {
	World w;
	w.sink.containers[kShellCgroup] = "c0ffee";
	w.proc.procs.erase(kShell);
	w.clock.now = kT0 + 5 * kSec;
	w.connector({exit_event(kShell, kT0 + 5 * kSec - 1, 0x0f00)});
	w.at(kT0 + 5 * kSec + 1);
	ASSERT_EQ(w.sink.exits.size(), 1u);
	const Stored<ExitRow>& x = w.sink.exits[0];
	EXPECT_EQ(x.row.pid, kShell);
	EXPECT_EQ(x.row.status, 0x0f00u);
	EXPECT_EQ(x.row.time_ns, kT0 + 5 * kSec - 1);
	EXPECT_EQ(x.row.start_time, kBoot + 50 * 10 * kMs);
	EXPECT_EQ(x.row.cgroup_id, kShellCgroup);
	EXPECT_EQ(comm_of(x.row.comm), "bash");
	EXPECT_EQ(x.strings[kExitPath], "/usr/bin/bash");
	EXPECT_EQ(x.strings[kExitContainerId], "c0ffee");
	EXPECT_EQ(x.row.row_flags, uint32_t(kLifecycleHasPath));
	w.connector({exit_event(kShell, kT0 + 5 * kSec, 0)}); // a second report changes nothing
	w.at(kT0 + 6 * kSec);
	EXPECT_EQ(w.sink.exits.size(), 1u);
}

// A process whose leader thread exits first (pthread_exit in main) ends with
// its last thread: one row, at that thread's exit, with its status.
TEST(AuditCorrelator, ExitWhenTheLastThreadEnds) {
	World w;
	const int32_t thread = 101;
	w.clock.now = kT0 + 10 * kMs;
	w.connector({fork_event(thread, kShell, kT0 + 1 * kMs, kShell)});
	w.connector({exit_event(kShell, kT0 + 20 * kMs, 0)});
	w.at(kT0 + 30 * kMs);
	EXPECT_TRUE(w.sink.exits.empty()) << "the leader's exit ended the process";
	w.connector({exit_event(thread, kT0 + 40 * kMs, 0x0300, kShell)});
	w.at(kT0 + 50 * kMs);
	ASSERT_EQ(w.sink.exits.size(), 1u);
	EXPECT_EQ(w.sink.exits[0].row.pid, kShell);
	EXPECT_EQ(w.sink.exits[0].row.time_ns, kT0 + 40 * kMs);
	EXPECT_EQ(w.sink.exits[0].row.status, 0x0300u);
}

// Without the connector, exits come from exit_group records.
TEST(AuditCorrelator, ExitGroupWithoutTheConnector) {
	AuditCorrelatorOptions options;
	options.connector = false;
	World w(options);
	const std::string s = stamp(kT0 + 100 * kMs, 3);
	w.records({{kAuditSyscall, s + "arch=c000003e syscall=231 a0=3 a1=0 a2=0 a3=0 items=0 " + ids(kShell, 1) +
	                               " comm=\"bash\" exe=\"/usr/bin/bash\" key=\"procsql-test\""},
	           {kAuditEoe, s}});
	w.at(kT0 + 200 * kMs);
	ASSERT_EQ(w.sink.exits.size(), 1u);
	EXPECT_EQ(w.sink.exits[0].row.status, 0x0300u);
	EXPECT_EQ(w.sink.exits[0].row.start_time, kBoot + 50 * 10 * kMs);
}

// --- /proc too late ----------------------------------------------------------

// A process gone before /proc could be read at its fork or its exec: each
// read missed is counted, and the exec row says its cgroup and namespaces
// are unknown rather than guessing them; its start time, the connector's
// fork, is still known.
TEST(AuditCorrelator, ProcessGoneBeforeProcWasRead) {
	World w;
	const int64_t fork_ns = kT0 + 100 * kMs, exec_ns = kT0 + 101 * kMs;
	w.clock.now = kT0 + 105 * kMs; // kChild is not in the fake /proc
	w.connector({fork_event(kChild, kShell, fork_ns), exec_event(kChild, exec_ns),
	             exit_event(kChild, kT0 + 102 * kMs, 0)});
	EXPECT_EQ(w.correlator.stats().proc_reads_missed, 2u);
	spawn_records(w);
	ASSERT_EQ(w.sink.execs.size(), 1u);
	const ExecRow& r = w.sink.execs[0].row;
	EXPECT_TRUE(r.flags & kExecNoProcInfo);
	EXPECT_EQ(w.sink.execs[0].strings[kExecContainerId], "");
	EXPECT_EQ(r.start_time, fork_ns);
	EXPECT_EQ(r.time_ns, exec_ns);
	// The clone row is the record's and the connector's (/proc adds nothing to it).
	ASSERT_EQ(w.sink.clones.size(), 1u);
	EXPECT_EQ(w.sink.clones[0].row.child_pid, kChild);
	ASSERT_EQ(w.sink.exits.size(), 1u);
	EXPECT_TRUE(w.sink.exits[0].row.row_flags & kLifecycleNoProcInfo);
	// A record naming a process neither the connector nor /proc knows.
	w.records(execve_records(kT0 + 200 * kMs, 3, 4321, kShell, "/usr/bin/true"));
	EXPECT_EQ(w.correlator.stats().proc_reads_missed, 3u);
	ASSERT_EQ(w.sink.execs.size(), 2u);
	EXPECT_TRUE(w.sink.execs[1].row.flags & kExecNoStartTime);
	EXPECT_TRUE(w.sink.execs[1].row.flags & kExecNoProcInfo);
}

// --- one read for a spawn ------------------------------------------------------

size_t reads_of(const World& w, int32_t pid) {
	return size_t(std::count(w.proc.reads.begin(), w.proc.reads.end(), pid));
}

// The shell's child (running `exe`) forked at the returned time, and the
// connector's fork read 10 µs later.
int64_t fork_child(World& w, const std::string& exe) {
	const int64_t fork_ns = kT0 + 100 * kMs;
	w.proc.add(kChild, kShell, kChildCgroup, exe);
	w.clock.now = fork_ns + 10 * kUs;
	w.connector({fork_event(kChild, kShell, fork_ns)});
	return fork_ns;
}

// A child that execs within fork_read_delay_ns of its fork is read once, at
// its exec; that read stands for the fork's (namespaces, pid in its
// namespace), and the rows are those of two reads.
TEST(AuditCorrelatorForkRead, SpawnIsReadOnceAtItsExec) {
	World w;
	const int64_t fork_ns = fork_child(w, "/usr/bin/true"), exec_ns = fork_ns + 300 * kUs;
	EXPECT_EQ(reads_of(w, kChild), 0u) << "read at once, not at its exec";
	EXPECT_TRUE(w.correlator.fork_reads_pending());
	w.clock.now = exec_ns + 10 * kUs;
	w.connector({exec_event(kChild, exec_ns)});
	EXPECT_EQ(reads_of(w, kChild), 1u);
	w.at(exec_ns + 2 * kMs);
	EXPECT_FALSE(w.correlator.fork_reads_pending());
	EXPECT_EQ(reads_of(w, kChild), 1u) << "read again when its delay ran out";
	spawn_records(w);
	ASSERT_EQ(w.sink.execs.size(), 1u);
	expect_full_exec_row(w.sink.execs[0], fork_ns, exec_ns);
	ASSERT_EQ(w.sink.clones.size(), 1u);
	EXPECT_FALSE(w.sink.clones[0].row.row_flags & kLifecycleNoNamespaces);
	EXPECT_EQ(w.sink.clones[0].row.new_ns, 0u);
	EXPECT_EQ(w.correlator.stats().proc_reads_missed, 0u);
}

// A child that has not exec'd when the delay runs out is read then, and
// what that read showed is its exit row's.
TEST(AuditCorrelatorForkRead, ForkWithoutExecIsReadWhenTheDelayRunsOut) {
	World w;
	const int64_t fork_ns = fork_child(w, "/usr/bin/bash");
	w.at(fork_ns + 500 * kUs);
	EXPECT_EQ(reads_of(w, kChild), 0u);
	w.at(fork_ns + 10 * kUs + 1 * kMs);
	EXPECT_EQ(reads_of(w, kChild), 1u);
	EXPECT_FALSE(w.correlator.fork_reads_pending());
	w.proc.procs.erase(kChild);
	w.connector({exit_event(kChild, kT0 + 200 * kMs, 0)});
	w.records(clone_records(kT0 + 100 * kMs, 1, kShell, 1, kChild, "/usr/bin/bash"));
	w.at(kT0 + 210 * kMs);
	ASSERT_EQ(w.sink.exits.size(), 1u);
	EXPECT_FALSE(w.sink.exits[0].row.row_flags & kLifecycleNoProcInfo);
	EXPECT_EQ(w.sink.exits[0].row.cgroup_id, kChildCgroup);
	EXPECT_EQ(w.correlator.stats().proc_reads_missed, 0u);
}

// A child that ends before its delay runs out is read at its exit, what an
// ended process still shows (here: all of it, as a zombie's cgroup).
TEST(AuditCorrelatorForkRead, ChildEndingFirstIsReadAtItsExit) {
	World w;
	const int64_t fork_ns = fork_child(w, "/usr/bin/bash");
	EXPECT_EQ(reads_of(w, kChild), 0u);
	w.connector({exit_event(kChild, fork_ns + 200 * kUs, 0)});
	EXPECT_EQ(reads_of(w, kChild), 1u);
	EXPECT_FALSE(w.correlator.fork_reads_pending());
	w.records(clone_records(kT0 + 100 * kMs, 1, kShell, 1, kChild, "/usr/bin/bash"));
	w.at(kT0 + 110 * kMs);
	ASSERT_EQ(w.sink.exits.size(), 1u);
	EXPECT_EQ(w.sink.exits[0].row.cgroup_id, kChildCgroup);
}

// The clone's record handled before the delay runs out (a query drains
// everything at once) makes the read first: the record needs the child's
// namespaces.
TEST(AuditCorrelatorForkRead, RecordBeforeTheDelayReadsFirst) {
	World w;
	fork_child(w, "/usr/bin/bash");
	w.proc.procs[kChild].info.ns[2] = 4026532999; // a new ipc namespace, seen by the read to come
	const std::string s = stamp(kT0 + 100 * kMs, 1);
	w.records({{kAuditSyscall, s + "arch=c000003e syscall=435 success=yes exit=" + std::to_string(kChild) +
	                               " a0=7ffd0 a1=58 a2=0 a3=0 items=0 " + ids(kShell, 1) +
	                               " comm=\"bash\" exe=\"/usr/bin/bash\" key=\"procsql-test\""},
	           {kAuditEoe, s}});
	EXPECT_EQ(reads_of(w, kChild), 1u);
	ASSERT_EQ(w.sink.clones.size(), 1u);
	EXPECT_EQ(w.sink.clones[0].row.syscall, int32_t(CloneSyscall::clone3));
	EXPECT_FALSE(w.sink.clones[0].row.row_flags & kLifecycleNoNamespaces);
	EXPECT_EQ(w.sink.clones[0].row.new_ns, 1u << 2);
}

// fork_read_delay_ns 0: read at the fork, and again at the exec.
TEST(AuditCorrelatorForkRead, NoDelayReadsAtTheFork) {
	AuditCorrelatorOptions options;
	options.fork_read_delay_ns = 0;
	World w(options);
	const int64_t fork_ns = fork_child(w, "/usr/bin/true");
	EXPECT_EQ(reads_of(w, kChild), 1u);
	EXPECT_FALSE(w.correlator.fork_reads_pending());
	w.connector({exec_event(kChild, fork_ns + 300 * kUs)});
	EXPECT_EQ(reads_of(w, kChild), 2u);
}

// --- privileges --------------------------------------------------------------

// Privileges as a sleeping child's /proc/PID/status would give them.
ProcPrivileges sandboxed() {
	ProcPrivileges p;
	p.known = true;
	p.cap_effective = 1ull << 21;
	p.cap_permitted = 0x1fffeffffffull;
	p.cap_ambient = 1ull << 10;
	p.cap_bounding = 0x1ffffdfffffull;
	p.no_new_privs = 1;
	p.seccomp = 2;
	return p;
}

void expect_privileges(const ExecRow& r, const ProcPrivileges& p) {
	EXPECT_FALSE(r.flags & kExecNoPrivileges);
	EXPECT_EQ(r.cap_effective, p.cap_effective);
	EXPECT_EQ(r.cap_permitted, p.cap_permitted);
	EXPECT_EQ(r.cap_ambient, p.cap_ambient);
	EXPECT_EQ(r.cap_bounding, p.cap_bounding);
	EXPECT_EQ(r.no_new_privs, p.no_new_privs);
	EXPECT_EQ(r.seccomp, p.seccomp);
}

// The privileges /proc showed when the connector reported the exec are the
// row's; env, exe_fs and the overlay layer stay unknown on audit.
TEST(AuditCorrelatorPrivileges, FromTheReadAtTheConnectorsExec) {
	World w;
	const int64_t fork_ns = kT0 + 100 * kMs, exec_ns = kT0 + 101 * kMs;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/true").info.privileges = sandboxed();
	w.clock.now = kT0 + 102 * kMs;
	w.connector({fork_event(kChild, kShell, fork_ns), exec_event(kChild, exec_ns)});
	// What /proc says later (another exec, a capset) is not the exec's.
	w.proc.procs[kChild].info.privileges.no_new_privs = 0;
	w.proc.procs[kChild].info.privileges.cap_effective = 0;
	w.records(clone_records(kT0 + 100 * kMs, 1, kShell, 1, kChild, "/usr/bin/bash"));
	w.records(execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/true"));
	ASSERT_EQ(w.sink.execs.size(), 1u);
	const ExecRow& r = w.sink.execs[0].row;
	expect_full_exec_row(w.sink.execs[0], fork_ns, exec_ns);
	expect_privileges(r, sandboxed());
	EXPECT_TRUE(r.flags & kExecNoEnv);
	EXPECT_TRUE(r.flags & kExecNoExeFs);
	EXPECT_EQ(r.exe_upper, uint8_t(ExecLayer::unknown));
}

// A status without the lines (or with a malformed one) says nothing.
TEST(AuditCorrelatorPrivileges, StatusWithoutThemIsUnknown) {
	World w;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/true"); // privileges.known false
	w.clock.now = kT0 + 102 * kMs;
	w.connector({fork_event(kChild, kShell, kT0 + 100 * kMs), exec_event(kChild, kT0 + 101 * kMs)});
	w.records(execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/true"));
	ASSERT_EQ(w.sink.execs.size(), 1u);
	EXPECT_TRUE(w.sink.execs[0].row.flags & kExecNoPrivileges);
	EXPECT_FALSE(w.sink.execs[0].row.flags & kExecNoProcInfo) << "the rest of the read still counts";
}

// Gone before /proc was read at its exec: unknown, though a read at the fork
// had them (the exec may have changed them: a setuid file, file capabilities).
TEST(AuditCorrelatorPrivileges, GoneBeforeTheReadIsUnknown) {
	World w;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/bash").info.privileges = sandboxed();
	w.clock.now = kT0 + 102 * kMs;
	w.connector({fork_event(kChild, kShell, kT0 + 100 * kMs)});
	w.proc.procs.erase(kChild);
	w.connector({exec_event(kChild, kT0 + 101 * kMs), exit_event(kChild, kT0 + 101 * kMs + 5, 0)});
	w.records(execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/true"));
	ASSERT_EQ(w.sink.execs.size(), 1u);
	const ExecRow& r = w.sink.execs[0].row;
	EXPECT_TRUE(r.flags & kExecNoPrivileges);
	EXPECT_EQ(r.cap_effective, 0u);
	EXPECT_EQ(r.no_new_privs, 0);
}

// A record no connector exec claims (the process was first seen through it):
// /proc is read then, after the call, perhaps after later calls: not the
// exec's privileges.
TEST(AuditCorrelatorPrivileges, ReadOtherThanAtTheExecIsNotUsed) {
	World w;
	const int32_t pid = 4321;
	w.proc.add(pid, kShell, kChildCgroup, "/usr/bin/true").info.privileges = sandboxed();
	w.clock.now = kT0 + 205 * kMs;
	w.records(execve_records(kT0 + 200 * kMs, 3, pid, kShell, "/usr/bin/true"));
	ASSERT_EQ(w.sink.execs.size(), 1u);
	EXPECT_FALSE(w.sink.execs[0].row.flags & kExecNoProcInfo) << "the late read did count for the cgroup";
	EXPECT_TRUE(w.sink.execs[0].row.flags & kExecNoPrivileges);
}

// Two execs in a row (setpriv then its command): a read at the first exec
// made after the second may show the second's privileges, so the first row
// has none; a read made before the second stays the first's.
TEST(AuditCorrelatorPrivileges, ExecdAgainBeforeTheRead) {
	ProcPrivileges before;
	before.known = true;
	before.cap_effective = before.cap_permitted = before.cap_bounding = 0x1ffffffffffull;
	for (const bool read_late : {true, false}) {
		SCOPED_TRACE(read_late ? "read after the second exec" : "read before the second exec");
		World w;
		const int64_t exec1 = kT0 + 101 * kMs, exec2 = kT0 + 103 * kMs;
		w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/setpriv");
		w.clock.now = kT0 + 100 * kMs + 500;
		w.connector({fork_event(kChild, kShell, kT0 + 100 * kMs)});
		if (read_late) {
			w.proc.procs[kChild].info.privileges = sandboxed(); // already the second image
			w.clock.now = kT0 + 104 * kMs;
			w.connector({exec_event(kChild, exec1), exec_event(kChild, exec2)});
		} else {
			w.proc.procs[kChild].info.privileges = before;
			w.clock.now = kT0 + 102 * kMs;
			w.connector({exec_event(kChild, exec1)});
			w.proc.procs[kChild].info.privileges = sandboxed();
			w.clock.now = kT0 + 104 * kMs;
			w.connector({exec_event(kChild, exec2)});
		}
		w.records(execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/setpriv"));
		w.records(execve_records(kT0 + 103 * kMs, 3, kChild, kShell, "/usr/bin/sleep"));
		ASSERT_EQ(w.sink.execs.size(), 2u);
		EXPECT_EQ(w.sink.execs[0].row.time_ns, exec1);
		EXPECT_EQ(w.sink.execs[1].row.time_ns, exec2);
		if (read_late) {
			EXPECT_TRUE(w.sink.execs[0].row.flags & kExecNoPrivileges);
		} else {
			expect_privileges(w.sink.execs[0].row, before);
		}
		expect_privileges(w.sink.execs[1].row, sandboxed());
	}
}

// The connector lost events: an exec among them may have come before a
// pending exec's read, whose privileges are then unknown.
TEST(AuditCorrelatorPrivileges, ConnectorOverrunForgetsThePendingReads) {
	World w;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/true").info.privileges = sandboxed();
	w.clock.now = kT0 + 102 * kMs;
	w.connector({fork_event(kChild, kShell, kT0 + 100 * kMs), exec_event(kChild, kT0 + 101 * kMs)});
	w.correlator.connector_overrun();
	w.records(execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/true"));
	ASSERT_EQ(w.sink.execs.size(), 1u);
	EXPECT_TRUE(w.sink.execs[0].row.flags & kExecNoPrivileges);
}

// processes on audit: each live process's privileges as /proc shows them now.
TEST(AuditCorrelatorPrivileges, LiveProcessesCarryThem) {
	World w;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/sleep").info.privileges = sandboxed();
	std::vector<LiveProcess> live;
	w.correlator.live_processes(&live);
	ASSERT_EQ(live.size(), 2u);
	for (const LiveProcess& p : live) {
		if (p.pid == kShell) {
			EXPECT_FALSE(p.has_privileges) << "its status had no privilege lines";
			continue;
		}
		ASSERT_EQ(p.pid, kChild);
		EXPECT_TRUE(p.has_privileges);
		EXPECT_EQ(p.cap_effective, 1ull << 21);
		EXPECT_EQ(p.cap_permitted, 0x1fffeffffffull);
		EXPECT_EQ(p.cap_ambient, 1ull << 10);
		EXPECT_EQ(p.cap_bounding, 0x1ffffdfffffull);
		EXPECT_EQ(p.no_new_privs, 1);
		EXPECT_EQ(p.seccomp, 2);
	}
}

// --- failed execs ------------------------------------------------------------

// A PATH search by a forked child: ENOENT twice, then the exec that runs. The
// failures are exec_failures rows of the child as it was (its parent's
// executable, its cgroup, its one thread); the connector's exec is claimed by
// the record of the exec that succeeded, not by a failure's.
TEST(AuditCorrelator, FailedExecsBeforeTheOneThatRuns) {
	World w;
	w.sink.containers[kChildCgroup] = "c0ffee";
	const int64_t fork_ns = kT0 + 100 * kMs + 123, exec_ns = kT0 + 103 * kMs + 456;
	w.proc.add(kChild, kShell, kChildCgroup, "/usr/bin/true");
	w.clock.now = kT0 + 104 * kMs;
	w.connector({fork_event(kChild, kShell, fork_ns), exec_event(kChild, exec_ns)});
	w.records(clone_records(kT0 + 100 * kMs, 1, kShell, 1, kChild, "/usr/bin/bash"));
	w.records(failed_execve_records(kT0 + 101 * kMs, 2, kChild, kShell, "/usr/bin/bash", "/usr/local/bin/true", 2));
	w.records(failed_execve_records(kT0 + 102 * kMs, 3, kChild, kShell, "/usr/bin/bash", "/usr/local/sbin/true", 13));
	w.records(execve_records(kT0 + 103 * kMs, 4, kChild, kShell, "/usr/bin/true"));
	w.at(kT0 + 110 * kMs);

	ASSERT_EQ(w.sink.execs.size(), 1u);
	expect_full_exec_row(w.sink.execs[0], fork_ns, exec_ns);
	ASSERT_EQ(w.sink.failures.size(), 2u);
	for (size_t i = 0; i < 2; i++) {
		const ExecFailureRow& r = w.sink.failures[i].row;
		const auto& str = w.sink.failures[i].strings;
		EXPECT_EQ(r.pid, kChild);
		EXPECT_EQ(r.parent, kShell);
		EXPECT_EQ(r.time_ns, kT0 + int64_t(101 + i) * kMs) << "audit's stamp: the connector reports no failure";
		EXPECT_FALSE(r.flags & kFailNoTid);
		EXPECT_EQ(r.tid, kChild);
		EXPECT_FALSE(r.flags & kFailNoStartTime);
		EXPECT_EQ(r.start_time, fork_ns);
		EXPECT_FALSE(r.flags & kFailNoProcInfo);
		EXPECT_EQ(r.cgroup_id, kChildCgroup);
		EXPECT_EQ(str[kFailContainerId], "c0ffee");
		EXPECT_EQ(comm_of(r.comm), "bash");
		EXPECT_EQ(str[kFailPath], "/usr/bin/bash");
		EXPECT_EQ(str[kFailCwd], "/srv");
		EXPECT_EQ(ExecSyscall(r.syscall), ExecSyscall::execve);
		EXPECT_TRUE(r.flags & kFailCmdlineTruncated);
		EXPECT_FALSE(r.flags & (kFailHasArgv | kFailHasArgc));
	}
	EXPECT_EQ(w.sink.failures[0].strings[kFailFilename], "/usr/local/bin/true");
	EXPECT_EQ(w.sink.failures[0].row.result, -2);
	EXPECT_EQ(w.sink.failures[1].strings[kFailFilename], "/usr/local/sbin/true");
	EXPECT_EQ(w.sink.failures[1].row.result, -13);
	const AuditCorrelatorStats s = w.correlator.stats();
	EXPECT_EQ(s.exec_rows, 1u);
	EXPECT_EQ(s.failure_rows, 2u);
	EXPECT_EQ(s.failure_argv_truncated, 2u);
	EXPECT_EQ(s.events_undecodable, 0u);
}

// A failed exec of a process procsql never saw, already gone when its record
// arrives: what audit says is there; the thread, start time and cgroup are not.
TEST(AuditCorrelator, FailedExecOfAProcessGoneBeforeProcWasRead) {
	World w;
	w.clock.now = kT0 + 50 * kMs;
	w.records(failed_execve_records(kT0 + 40 * kMs, 1, 4242, kShell, "/usr/bin/env", "/opt/x/missing", 2));
	w.at(kT0 + 60 * kMs);
	ASSERT_EQ(w.sink.failures.size(), 1u);
	const ExecFailureRow& r = w.sink.failures[0].row;
	EXPECT_EQ(r.pid, 4242);
	EXPECT_TRUE(r.flags & kFailNoTid);
	EXPECT_TRUE(r.flags & kFailNoStartTime);
	EXPECT_TRUE(r.flags & kFailNoProcInfo);
	EXPECT_EQ(w.sink.failures[0].strings[kFailContainerId], "");
	EXPECT_EQ(w.sink.failures[0].strings[kFailFilename], "/opt/x/missing");
	EXPECT_EQ(w.sink.failures[0].strings[kFailPath], "/usr/bin/env");
	EXPECT_EQ(w.correlator.stats().proc_reads_missed, 1u);
	EXPECT_TRUE(w.sink.execs.empty());
}

// The shell itself (seen at start, one thread) fails an exec: its thread is
// named; a second thread appearing makes the next failure's thread unknown.
TEST(AuditCorrelator, FailedExecThreadKnownOnlyForALoneThread) {
	World w;
	w.clock.now = kT0 + 10 * kMs;
	w.records(failed_execve_records(kT0 + 10 * kMs, 1, kShell, 1, "/usr/bin/bash", "./nope", 8));
	w.connector({fork_event(101, kShell, kT0 + 20 * kMs, kShell)}); // a thread of the shell
	w.clock.now = kT0 + 30 * kMs;
	w.records(failed_execve_records(kT0 + 30 * kMs, 2, kShell, 1, "/usr/bin/bash", "./nope", 8));
	w.at(kT0 + 40 * kMs);
	ASSERT_EQ(w.sink.failures.size(), 2u);
	EXPECT_FALSE(w.sink.failures[0].row.flags & kFailNoTid);
	EXPECT_EQ(w.sink.failures[0].row.tid, kShell);
	EXPECT_TRUE(w.sink.failures[1].row.flags & kFailNoTid);
	EXPECT_EQ(w.sink.failures[1].row.result, -8);
	EXPECT_EQ(w.sink.failures[1].strings[kFailFilename], "./nope");
	EXPECT_EQ(w.sink.failures[1].row.cgroup_id, kShellCgroup);
}

} // namespace
} // namespace procsql
