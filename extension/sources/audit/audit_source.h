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
// AuditCorrelator (audit_correlator.h: the pure part) -> rows -> the
// stores. Nothing reaches back. This class keeps the sockets, the rules and
// settings, the thread and the drain.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "clock.h"
#include "config.h"
#include "containers/container_map.h"
#include "process_snapshot.h"
#include "sources/audit/audit_correlator.h"
#include "sources/audit/audit_netlink.h"
#include "sources/audit/audit_rules.h"
#include "sources/audit/proc_connector.h"
#include "sources/audit/proc_reader.h"
#include "sources/source.h"

namespace procsql {

struct AuditSourceStats {
	KindStats exec, clone, exit, failure;
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

class AuditSource : public Source {
public:
	// Opens the sockets, installs the rules and starts consuming. On failure
	// nullptr and a one-line reason (not root, immutable rules...), with
	// everything it changed undone.
	static std::unique_ptr<AuditSource> start(const Config& config, const BootClock& clock,
	                                          const std::string& instance_id, Stores stores, std::string* error);
	~AuditSource() override;
	AuditSource(const AuditSource&) = delete;
	AuditSource& operator=(const AuditSource&) = delete;

	const char* backend() const override { return "audit"; }
	bool reports_cgroup_changes() const override { return false; }
	// Read-your-writes: waits (at most kDrainBoundMs) until the kernel's audit
	// queue is empty, then moves everything delivered into the stores.
	void drain() override;
	static constexpr int kDrainBoundMs = 250;
	int drain_bound_ms() const override { return kDrainBoundMs; }

	AuditSourceStats stats() const;
	// Every table's counters, with the kernel's lost records and the
	// reader's overruns counted against each.
	SourceStats counters() const override;
	// The audit.* rows: settings, rules, and the counters of the sockets and the correlator.
	void append_stats(std::vector<StatRow>* rows, bool read_counters) const override;
	// Removes the rules and puts back the settings procsql changed, at the
	// process's exit while the source is still alive (see audit_source.cpp).
	void undo_at_exit();
	// The live processes from /proc (start_time as the event tables give it).
	bool read_processes(std::vector<LiveProcess>* out, std::string* error) override;
	// In a child forked from the process that started this source: closes
	// this process's copies of the sockets without a word to the kernel (the
	// rules, the registration and the connector's listening are the
	// parent's), and never undoes anything. The consumer thread did not come
	// with the fork: the object must be leaked, not destroyed.
	void abandon_after_fork() override;
	// Held across fork() (collector.cpp) so that no row is half-appended in
	// the child's copy of the stores.
	std::mutex* fork_mutex() override { return &consume_mutex_; }

private:
	// The correlator's world on a live system: /proc, the wall clock, the stores.
	class LiveProc : public AuditProcView {
	public:
		LiveProc(const std::string& cgroup2_root, const BootClock& clock) : reader_(cgroup2_root), clock_(clock) {}
		ProcInfo read(int32_t pid, unsigned parts) const override { return reader_.read(pid, parts); }
		Namespaces namespaces(int32_t pid, int32_t tid) const override { return reader_.namespaces(pid, tid); }
		bool link(int32_t pid, const char* which, std::string* out) const override {
			return reader_.link(pid, which, out);
		}
		bool comm(int32_t pid, std::string* out) const override { return reader_.comm(pid, out); }
		std::vector<int32_t> pids() const override { return reader_.pids(); }
		std::vector<int32_t> tasks(int32_t pid) const override { return reader_.tasks(pid); }
		int64_t start_time_ns(uint64_t ticks) const override { return reader_.ticks_to_unix_ns(ticks, clock_); }
		const ProcReader& reader() const { return reader_; }

	private:
		ProcReader reader_;
		const BootClock& clock_;
	};
	class WallClock : public AuditClock {
	public:
		int64_t now_unix_ns() const override { return BootClock::now_unix_ns(); }
	};
	class StoreSink : public AuditRowSink {
	public:
		explicit StoreSink(Stores stores) : stores_(stores) {}
		void exec(const ExecRow& row, const ExecStrings& s) override { stores_.exec->append(row, s); }
		void clone(const CloneRow& row, const CloneStrings& s) override { stores_.clone->append(row, s); }
		void exit(const ExitRow& row, const ExitStrings& s) override { stores_.exit->append(row, s); }
		void exec_failure(const ExecFailureRow& row, const ExecFailureStrings& s) override {
			stores_.failure->append(row, s);
		}
		void cgroup_seen(uint64_t id, const std::string& path, int64_t now_ns) override {
			stores_.containers->observe(id, path, now_ns);
		}
		std::string container_of(uint64_t id, int64_t time_ns) override {
			return stores_.containers->container_of(id, time_ns);
		}
		void check_removed_cgroups(int64_t now_ns) override { stores_.containers->check_removed(now_ns); }

	private:
		Stores stores_;
	};

	AuditSource(const Config& config, const BootClock& clock, Stores stores);
	bool open(const std::string& instance_id, std::string* error);
	void undo_settings();
	void run();
	void consume(); // under consume_mutex_
	int audit_fd() const { return unicast_ ? unicast_->fd() : multicast_->fd(); }
	int watch(int op, int fd); // epoll_ctl ADD or MOD of one socket
	void consume_batch();
	void read_connector(); // under consume_mutex_

	Config config_;
	LiveProc proc_;
	WallClock wall_clock_;
	StoreSink sink_;
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

	// Settings procsql changed, restored at stop.
	bool set_enabled_ = false;
	bool registered_ = false;
	bool set_backlog_ = false;
	uint32_t old_backlog_limit_ = 0;
	bool rules_installed_ = false;
	bool undone_ = false;
	uint32_t lost_at_start_ = 0;

	// Consumer state (under consume_mutex_): the correlation (made in
	// open(), once the connector and the registration are known), and the
	// batches read from the sockets.
	std::unique_ptr<AuditCorrelator> correlator_;
	std::vector<std::pair<uint32_t, std::string>> records_batch_; // read, not yet handled
	std::vector<ProcEvent> proc_events_;

	// Counters of the sockets, read by stats() from any thread (the rest are
	// the correlator's).
	std::atomic<uint64_t> overruns_{0}, connector_events_{0}, connector_overruns_{0}, drain_timeouts_{0};
	std::string mode_;
	std::string connector_status_;
	RuleInstall install_;
};

} // namespace procsql
