// The audit source: the same tables as the eBPF source, from the kernel's
// audit subsystem (netlink) where eBPF cannot run.
//
// Audit records say what a syscall did (exec's path, argv, cwd; clone's and
// unshare's flags) but are blind where procsql needs more: they carry no
// cgroup, namespaces or start time, a process killed by a signal never calls
// exit_group, clone3's flags are behind a pointer and a clone's result is the
// child's pid in the caller's namespace. The kernel's process-events
// connector fills those gaps: it reports every fork (host pids), exec and
// exit (code or signal) as it happens, and /proc is read at that moment.
//
// Kernel -> {audit records, connector events} -> this consumer thread ->
// decoded rows -> the stores. Nothing reaches back.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#include "audit/audit_decoder.h"
#include "audit/audit_netlink.h"
#include "audit/audit_reassembler.h"
#include "audit/audit_rules.h"
#include "audit/process_cache.h"
#include "audit/proc_connector.h"
#include "bpf_source.h" // Stores, KindStats
#include "clock.h"
#include "config.h"
#include "process_snapshot.h"

namespace procsql {

struct AuditSourceStats {
	KindStats exec, clone, exit;
	std::string mode;               // how records are read (unicast or multicast) and why
	std::string rule_key;
	uint64_t rules_added = 0;
	std::string stale_rules_removed; // keys, comma-separated
	std::string shadowing_rules;     // '; '-separated descriptions, '' when none
	bool enabled_by_procsql = false;
	uint64_t records = 0;            // records read
	uint64_t records_unparsable = 0;
	uint64_t events_incomplete = 0;  // syscall events flushed without their end
	uint64_t events_undecodable = 0; // complete events refused by the decoder
	uint64_t reader_overruns = 0;    // ENOBUFS: records the socket dropped
	uint64_t kernel_lost = 0;        // the kernel's audit `lost` counter, since start
	uint64_t backlog = 0, backlog_limit = 0;
	std::string connector;           // "listening" or why not
	uint64_t connector_events = 0;
	uint64_t connector_overruns = 0;
	uint64_t proc_reads_missed = 0;  // processes gone before /proc was read
	uint64_t forks_without_record = 0; // connector forks no audit record claimed: rows with syscall NULL
	uint64_t thread_calls_dropped = 0; // clone3 thread creations dropped (PROCSQL_THREADS=0)
	uint64_t drain_timeouts = 0;     // queries that stopped waiting for the audit queue
};

class AuditSource {
public:
	// Opens the sockets, installs the rules and starts consuming. On failure
	// nullptr and a one-line reason (not root, immutable rules...), with
	// everything it changed undone.
	static std::unique_ptr<AuditSource> start(const Config& config, const BootClock& clock,
	                                          const std::string& instance_id, Stores stores, std::string* error);
	~AuditSource();
	AuditSource(const AuditSource&) = delete;
	AuditSource& operator=(const AuditSource&) = delete;

	// Read-your-writes: waits (at most kDrainBoundMs) until the kernel's audit
	// queue is empty, then moves everything delivered into the stores.
	void drain();
	static constexpr int kDrainBoundMs = 250;

	AuditSourceStats stats() const;
	// Removes the rules and puts back the settings procsql changed, at the
	// process's exit while the source is still alive (see audit_source.cpp).
	void undo_at_exit();
	// The live processes from /proc (start_time as the event tables give it).
	bool read_processes(std::vector<LiveProcess>* out, std::string* error);

private:
	struct PendingFork;
	AuditSource(const Config& config, const BootClock& clock, Stores stores);
	bool open(const std::string& instance_id, std::string* error);
	void undo_settings();
	void run();
	void consume(); // under consume_mutex_
	void consume_batch();
	void on_proc_event(const ProcEvent& ev);
	void on_record(uint32_t type, std::string_view text);
	void on_event(const AuditEvent& event);
	void ingest_exec(AuditDecoded& d);
	void ingest_call(AuditDecoded& d);
	void ingest_exit_group(AuditDecoded& d);
	struct PendingExit {
		int32_t pid;
		int64_t time_ns;
		uint32_t status;
		int64_t seen_ns; // Unix, when the connector reported it
	};
	void emit_exit(int32_t pid, int64_t time_ns, uint32_t status);
	void flush_exits(int64_t now_ns, int32_t pid = 0);
	void append_exit(const PendingExit& e);
	void flush_unclaimed_forks(int64_t now_ns);
	void append_unclaimed(const PendingFork& f); // a fork no record claimed: a row of its own
	void read_connector(); // under consume_mutex_
	void housekeeping(int64_t now_ns);
	int64_t start_time_of(int32_t pid);
	CachedProcess* observe(int32_t pid); // the entry, read from /proc when new
	int32_t lone_thread(const CachedProcess& c, int64_t stamp_ns) const;
	bool known_cgroup(const CachedProcess& c, int64_t time_ns, uint64_t* id);
	void settle_namespaces(const CachedProcess& caller, const PendingFork& f, uint32_t created, bool sure);
	void forget_threads(); // after a connector overrun
	void remember_cgroup(const ProcInfo& info, int64_t now_ns);
	int64_t mono_to_unix(int64_t mono_ns) const { return mono_ns + mono_offset_ns_; }

	Config config_;
	const BootClock& clock_;
	Stores stores_;
	ProcReader proc_;
	std::string key_;
	std::unique_ptr<AuditControl> control_;   // status and rules
	std::unique_ptr<AuditControl> unicast_;   // registered as the audit daemon, or null
	std::unique_ptr<AuditMulticast> multicast_; // when someone else is
	std::unique_ptr<ProcConnector> connector_;
	int stop_fd_ = -1;
	int epoll_fd_ = -1;
	std::thread thread_;
	mutable std::mutex consume_mutex_;
	mutable std::mutex control_mutex_; // control_ is used by queries (status) and stats
	int64_t mono_offset_ns_ = 0;
	int32_t self_pid_ = int32_t(getpid());

	// Settings procsql changed, restored at stop.
	bool set_enabled_ = false;
	bool registered_ = false;
	bool set_backlog_ = false;
	uint32_t old_backlog_limit_ = 0;
	bool rules_installed_ = false;
	bool undone_ = false;
	uint32_t lost_at_start_ = 0;

	// Consumer state (under consume_mutex_).
	AuditReassembler reassembler_;
	ProcessCache cache_;
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
		bool child_has_cgroup = false;
		uint64_t child_cgroup_id = 0; // the child's cgroup when /proc was read at the fork
		// The caller's namespaces at the fork (a new process's parent): after
		// its unshare and setns calls whose records arrive while this fork is
		// unclaimed, as for CachedProcess::Exec::ns.
		Namespaces caller_ns;
		bool thread() const { return child_pid != child_tgid; }
	};
	std::deque<PendingFork> forks_; // in arrival order
	std::deque<PendingExit> pending_exits_; // reported, row not yet written (see emit_exit)
	std::vector<AuditEvent> done_;
	std::vector<std::pair<uint32_t, std::string>> records_batch_; // read, not yet handled
	std::vector<ProcEvent> proc_events_;
	int64_t last_housekeeping_ns_ = 0;
	int64_t last_sweep_ns_ = 0;

	// Counters, read by stats() from any thread.
	struct Counters {
		std::atomic<uint64_t> received{0}, decode_errors{0}, argv_truncated{0};
	};
	Counters exec_counts_, clone_counts_, exit_counts_;
	std::atomic<uint64_t> records_{0}, unparsable_{0}, undecodable_{0}, overruns_{0};
	std::atomic<uint64_t> connector_events_{0}, connector_overruns_{0};
	std::atomic<uint64_t> proc_missed_{0}, unclaimed_forks_{0}, thread_calls_dropped_{0}, drain_timeouts_{0};
	std::atomic<uint64_t> incomplete_{0};
	std::string mode_;
	std::string connector_status_;
	RuleInstall install_;
};

} // namespace procsql
