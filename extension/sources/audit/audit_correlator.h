// The audit backend's correlation, without threads, sockets or a real clock:
// audit records, the process-events connector's fork/exec/exit events and
// what /proc says of each process in; ExecRow, ExecFailureRow, CloneRow and
// ExitRow (and their strings) out.
//
// AuditSource reads the sockets on its consumer thread (and on queries) and
// feeds this class under its lock; the unit tests feed it by hand, with a
// fake clock and a fake /proc (tests/unit/audit_correlator_test.cpp).
//
// Why the three inputs are needed, and how they meet: see audit_source.h.
// Two bounds are documented in the README (the audit backend):
//   - kForkClaimNs: a connector fork no audit record claimed by then becomes
//     a row of its own (syscall NULL, audit.forks_without_record); an exit
//     waiting for its process's exec record is written by then too;
//   - the reassembler's 2 s: an event without its end record is decoded
//     anyway (audit.events_incomplete).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sources/audit/audit_decoder.h"
#include "sources/audit/audit_reassembler.h"
#include "sources/audit/proc_connector.h"
#include "sources/audit/proc_reader.h"
#include "sources/audit/process_cache.h"
#include "exec_event.h"
#include "exec_failure_event.h"
#include "lifecycle_event.h"
#include "process_snapshot.h"

namespace procsql {

// What the correlator asks of /proc: ProcReader on a live system (see
// proc_reader.h for each call), a fake in the tests.
class AuditProcView {
public:
	virtual ~AuditProcView() = default;
	virtual ProcInfo read(int32_t pid, unsigned parts = ProcReader::kAllParts) const = 0;
	virtual Namespaces namespaces(int32_t pid, int32_t tid = 0) const = 0;
	virtual bool link(int32_t pid, const char* which, std::string* out) const = 0;
	virtual bool comm(int32_t pid, std::string* out) const = 0;
	virtual std::vector<int32_t> pids() const = 0;
	virtual std::vector<int32_t> tasks(int32_t pid) const = 0;
	// Unix ns of a start time read from /proc/PID/stat (clock ticks after boot).
	virtual int64_t start_time_ns(uint64_t ticks) const = 0;
};

// The wall clock (Unix ns).
class AuditClock {
public:
	virtual ~AuditClock() = default;
	virtual int64_t now_unix_ns() const = 0;
};

using CloneStrings = std::array<std::string_view, kCloneStringCount>;
using ExitStrings = std::array<std::string_view, kExitStringCount>;

// Where rows go (the stores), and the cgroups the rows are attributed to
// containers by (the container map).
class AuditRowSink {
public:
	virtual ~AuditRowSink() = default;
	virtual void exec(const ExecRow& row, const ExecStrings& strings) = 0;
	virtual void clone(const CloneRow& row, const CloneStrings& strings) = 0;
	virtual void exit(const ExitRow& row, const ExitStrings& strings) = 0;
	virtual void exec_failure(const ExecFailureRow& row, const ExecFailureStrings& strings) = 0;
	// A cgroup seen in a process's /proc/PID/cgroup.
	virtual void cgroup_seen(uint64_t cgroup_id, const std::string& path, int64_t now_ns) = 0;
	// The container of a cgroup's processes, "" for the host.
	virtual std::string container_of(uint64_t cgroup_id, int64_t time_ns) = 0;
	// Now and then: cgroups whose directory is gone are removed.
	virtual void check_removed_cgroups(int64_t now_ns) = 0;
};

struct AuditCorrelatorOptions {
	bool threads = false;         // PROCSQL_THREADS: thread creations are rows
	uint32_t argv_bytes = 16384;  // PROCSQL_ARGV_BYTES
	bool debug = false;           // PROCSQL_DEBUG: undecodable events on stderr
	bool connector = true;        // the connector listens: exits come from it, not from exit_group
	int64_t mono_offset_ns = 0;   // Unix ns - CLOCK_MONOTONIC ns (the connector's timestamps)
	// A new process is read from /proc at its exec if that comes within
	// this long of its fork (one read instead of two for a spawn), else
	// then; 0: at the fork.
	int64_t fork_read_delay_ns = 1'000'000;
};

struct AuditCorrelatorStats {
	uint64_t exec_rows = 0, clone_rows = 0, exit_rows = 0;
	uint64_t argv_truncated = 0;       // exec rows with cmdline_truncated = 1
	uint64_t failure_rows = 0;         // exec_failures rows
	uint64_t failure_argv_truncated = 0; // exec_failures rows with cmdline_truncated = 1
	uint64_t records = 0;              // records given to on_record
	uint64_t records_unparsable = 0;
	uint64_t events_incomplete = 0;    // syscall events flushed without their end
	uint64_t events_undecodable = 0;   // complete events refused by the decoder (and failed batches)
	uint64_t proc_reads_missed = 0;    // processes gone before /proc was read
	uint64_t forks_without_record = 0; // connector forks no audit record claimed: rows with syscall NULL
	uint64_t thread_calls_dropped = 0; // clone3 thread creations dropped (threads off)
};

class AuditCorrelator {
public:
	// `read_connector`: reads what the connector has queued (and gives it to
	// on_connector_events); called when a record names a process the cache
	// does not know, whose fork may still be in that queue. May be empty.
	AuditCorrelator(const AuditCorrelatorOptions& options, const AuditProcView& proc, const AuditClock& clock,
	                AuditRowSink& sink, std::function<void()> read_connector = {});
	AuditCorrelator(const AuditCorrelator&) = delete;
	AuditCorrelator& operator=(const AuditCorrelator&) = delete;

	// What runs now (at start, the connector already listening): start
	// times, executables, cgroups and threads for the exits and execs to come.
	void seed();
	// The registered audit daemon's pid (0: not registered): the kernel
	// never audits that process, so no record will claim its forks.
	void set_daemon_pid(int32_t pid) { daemon_pid_.store(pid, std::memory_order_relaxed); }

	// One batch of connector events, in the order read.
	void on_connector_events(const std::vector<ProcEvent>& events);
	// The connector dropped events: no thread set is sure now.
	void connector_overrun();
	// One audit record (type, text after "audit(...): " included).
	void on_record(uint32_t type, std::string_view text);
	// After each batch: events without their end, forks and exits that waited
	// long enough, the cache's expiry.
	void tick();
	// Something only time settles waits (an event without its end, a fork or
	// an exit not yet written): tick() is due within its timeouts.
	bool waiting() const { return reassembler_.pending() != 0 || !forks_.empty() || !pending_exits_.empty(); }
	// A new process waits for its /proc read (see fork_read_delay_ns):
	// tick() is due within that delay.
	bool fork_reads_pending() const { return !fork_reads_.empty(); }
	// A batch lost to an exception (counted with the undecodable events).
	void batch_failed() { undecodable_.fetch_add(1, std::memory_order_relaxed); }

	// The live processes from /proc, start_time as the event tables give it.
	void live_processes(std::vector<LiveProcess>* out);

	// Thread-safe (atomics): the counters.
	AuditCorrelatorStats stats() const;

	// A fork's audit record may trail the connector's fork this long (the
	// reassembler's 2 s timeout plus a margin) before the fork is a row of
	// its own; an exit waits as long for its process's exec record.
	static constexpr int64_t kForkClaimNs = 3'000'000'000;
	// Cached processes outlive their exit this long: their audit records
	// arrive later than the connector's exit.
	static constexpr int64_t kCacheGraceNs = 10'000'000'000;
	static constexpr size_t kMaxPendingForks = 65536;
	// Audit stamps a syscall at its entry, from the coarse real-time clock
	// (up to a tick behind) cut to ms; the connector's exec comes later in
	// the same call. An exec time is claimed by the audit record whose stamp
	// is at most this much after it...
	static constexpr int64_t kAuditStampSlackNs = 20'000'000;
	// ...or this much before it (an exec that reads a large binary takes a while).
	static constexpr int64_t kExecClaimWindowNs = 1'000'000'000;

private:
	struct PendingFork {
		int32_t child_pid = 0, child_tgid = 0;
		// The calling process: the child's own for a thread (the connector
		// names a thread's real parent, its process's parent), else the
		// connector's parent, which with CLONE_PARENT is the caller's parent.
		int32_t caller_tgid = 0;
		int32_t caller_tid = 0;     // 0 unknown
		int32_t parent_tgid = 0;    // the connector's parent (the child's real parent)
		int64_t time_ns = 0;        // Unix
		int64_t seen_ns = 0;        // Unix, when read (for the unclaimed timeout)
		std::array<uint32_t, 8> ns{}; // the child's namespaces, 0 unknown
		int32_t child_ns_pid = 0;   // the child's pid in its own namespace, 0 unknown
		bool child_has_cgroup = false; // false too when read at its exec (it may have moved since the fork)
		uint64_t child_cgroup_id = 0; // the child's cgroup as a read before its exec showed it
		// The caller's namespaces at the fork (a new process's parent): after
		// its unshare and setns calls whose records arrive while this fork is
		// unclaimed, as for CachedProcess::Exec::ns.
		Namespaces caller_ns;
		bool thread() const { return child_pid != child_tgid; }
	};
	struct PendingExit {
		int32_t pid;
		int64_t time_ns;
		uint32_t status;
		int64_t seen_ns; // Unix, when the connector reported it
	};

	int64_t now() const { return clock_.now_unix_ns(); }
	int64_t mono_to_unix(int64_t mono_ns) const { return mono_ns + options_.mono_offset_ns; }
	void on_proc_event(const ProcEvent& ev);
	void on_event(const AuditEvent& event);
	void ingest_exec(AuditDecoded& d);
	void ingest_exec_failure(AuditDecoded& d);
	void ingest_call(AuditDecoded& d);
	void ingest_exit_group(AuditDecoded& d);
	void emit_exit(int32_t pid, int64_t time_ns, uint32_t status);
	void flush_exits(int64_t now_ns, int32_t pid = 0);
	void append_exit(const PendingExit& e);
	void flush_unclaimed_forks(int64_t now_ns);
	void append_unclaimed(const PendingFork& f); // a fork no record claimed: a row of its own
	void housekeeping(int64_t now_ns);
	CachedProcess* observe(int32_t pid); // the entry, read from /proc when new
	// A new process's /proc read, deferred at its fork: made now (at_exec
	// null), or the read at its exec stands for it.
	void read_forked(int32_t pid, const ProcInfo* at_exec = nullptr);
	void read_due_forks(int64_t now_ns);
	// The deferred reads of the children of `caller_tgid` (and of `child`,
	// 0 none), before a record of that call is matched to its fork.
	void read_forks_of(int32_t caller_tgid, int32_t child);
	int32_t lone_thread(const CachedProcess& c, int64_t stamp_ns) const;
	bool known_cgroup(const CachedProcess& c, int64_t time_ns, uint64_t* id);
	void settle_namespaces(const CachedProcess& caller, const PendingFork& f, uint32_t created, bool sure);
	void remember_cgroup(const ProcInfo& info, int64_t now_ns);
	bool other_threads_alive(int32_t tgid, int32_t except) const;

	const AuditCorrelatorOptions options_;
	const AuditProcView& proc_;
	const AuditClock& clock_;
	AuditRowSink& sink_;
	std::function<void()> read_connector_;
	std::atomic<int32_t> daemon_pid_{0};

	AuditReassembler reassembler_;
	ProcessCache cache_;
	std::deque<PendingFork> forks_;         // in arrival order
	std::deque<PendingExit> pending_exits_; // reported, row not yet written (see emit_exit)
	struct ForkRead {
		int32_t pid;
		int64_t seen_ns; // Unix, when the connector reported the fork
	};
	std::deque<ForkRead> fork_reads_; // new processes not read yet, oldest first
	std::vector<AuditEvent> done_;
	int64_t last_housekeeping_ns_ = 0;
	int64_t last_sweep_ns_ = 0;

	// Counters, read by stats() from any thread.
	std::atomic<uint64_t> exec_rows_{0}, clone_rows_{0}, exit_rows_{0}, argv_truncated_{0};
	std::atomic<uint64_t> failure_rows_{0}, failure_argv_truncated_{0};
	std::atomic<uint64_t> records_{0}, unparsable_{0}, undecodable_{0}, incomplete_{0};
	std::atomic<uint64_t> proc_missed_{0}, unclaimed_forks_{0}, thread_calls_dropped_{0};
};

} // namespace procsql
