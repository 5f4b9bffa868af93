// One collector per process, shared by every connection that loads procsql,
// released with the last one. It is one of three things:
//   embedded  a source of this process's own, into stores in its memory;
//   attached  no source: a running procsqld's stores, mapped read-only
//             (attachment.h): nothing here consumes kernel events;
//   daemon    procsqld's: a source into the stores of its state directory.
// The tables cannot tell which: they read const stores and snapshots.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <sys/types.h>
#include <memory>
#include <string>
#include <vector>

#include "attachment.h"
#include "clock.h"
#include "config.h"
#include "containers/container_map.h"
#include "exec_event.h"
#include "exec_failure_event.h"
#include "lifecycle_event.h"
#include "process_snapshot.h"
#include "shared_stores.h"
#include "sources/source.h"

namespace procsql {

class Collector {
public:
	// The running collector, or a new one started from the environment. On
	// failure nullptr and a one-line reason. Thread-safe.
	static std::shared_ptr<Collector> acquire(std::string* error);
	// A collector with stores but no source, not shared with acquire(): tests
	// and benchmarks fill its stores directly (the tables cannot tell).
	static std::shared_ptr<Collector> without_source(const Config& config, std::string* error);
	// procsqld's collector: its source writes into `stores` (not shared with
	// acquire()).
	static std::shared_ptr<Collector> start_daemon(const Config& config, std::shared_ptr<DaemonStores> stores,
	                                               std::string* error);
	~Collector();

	enum class Mode { embedded, attached, daemon };
	// The mode of the collector acquire() shares, if one runs.
	static bool running_mode(Mode* out);
	// Runs `change` while no collector runs, holding acquire()'s lock so
	// that none starts meanwhile (a setting changes only between
	// collectors). False with a reason when one runs, or `change`'s own.
	static bool unless_running(const std::function<bool(std::string*)>& change, std::string* error);
	Mode mode() const { return mode_; }
	const char* mode_name() const;
	std::string backend_name() const;
	// How long one read-your-writes drain may take (0 without a source).
	int drain_bound_ms() const;

	// The stores the tables read. Attached, they may change when procsqld
	// sets its stores aside and makes new ones (the old stay mapped).
	const ExecStore& exec_store() const { return attachment_ ? attachment_->stores().exec() : *exec_; }
	const CloneStore& clone_store() const { return attachment_ ? attachment_->stores().clone() : *clone_; }
	const ExitStore& exit_store() const { return attachment_ ? attachment_->stores().exit() : *exit_; }
	const ExecFailureStore& failure_store() const {
		return attachment_ ? attachment_->stores().failure() : *failure_;
	}
	// The id of the stores read now (attached: the daemon's current ones).
	std::string store_id() const;
	// The eids an event table holds now, [*first, *next); false for a name
	// that is not an event table's.
	bool event_eids(const std::string& table, uint64_t* first, uint64_t* next) const;
	// Not attached only (tests and benchmarks fill stores directly).
	ExecStore& writable_exec_store() { return *exec_; }
	CloneStore& writable_clone_store() { return *clone_; }
	ExitStore& writable_exit_store() { return *exit_; }
	ExecFailureStore& writable_failure_store() { return *failure_; }
	// Read-your-writes: move what the kernel delivered into the stores. False
	// with the reason only in a forked child whose own source cannot start.
	bool drain(std::string* error);
	// The processes alive now, each with its container; false with a reason
	// when the kernel's task iterator cannot be read.
	bool live_processes(std::vector<LiveProcess>* out, std::vector<std::string>* containers,
	                    std::string* error);
	// syscall_usage's rows: the source's counts (attached: procsqld's
	// published ones). False with a reason (PROCSQL_SYSCALLS on a backend
	// that cannot record).
	bool syscall_usage(std::vector<SyscallUsageRow>* out, std::string* error);
	// Changes what syscall_usage records (procsqld, `procsql record`).
	bool select_syscalls(const SyscallSelection& s, std::string* error);
	// container_map's rows.
	std::vector<ContainerEntry> containers();
	bool containers(std::vector<ContainerEntry>* out, std::string* error);
	// Not attached only.
	ContainerMap& container_map() { return *containers_; }
	std::vector<StatRow> stats() const;

private:
	Collector() = default;
	bool start(std::string* error);
	bool start_source(std::string* error);
	bool create_stores(std::string* error);
	void create_container_map();
	bool start_bpf(std::string* error);
	bool start_audit(std::string* error);
	Stores stores();

	// A child forked from the process that started the source has none of
	// its threads and shares its kernel objects: on its first use it leaves
	// them to the parent and starts its own of the same backend, into its
	// copy of the stores (the rows from before the fork stay). False with
	// the reason when the child's own source cannot start.
	bool ensure_own_source(std::string* error);
	friend void collector_prepare_fork();
	friend void collector_after_fork();

	Config config_;
	BootClock clock_;
	pid_t owner_pid_ = 0;      // the process whose source this is
	std::string fork_error_;   // why this forked child has no source
	std::string instance_id_;
	std::string backend_reason_;
	std::string syscalls_error_; // why PROCSQL_SYSCALLS is not recorded (audit)
	int64_t start_time_ns_ = 0;
	std::atomic<uint64_t> drains_{0}; // read-your-writes drains by queries
	Mode mode_ = Mode::embedded;
	std::string store_id_;
	// Embedded: stores of its own. Daemon: the state directory's. Attached: none.
	std::unique_ptr<ExecStore> own_exec_;
	std::unique_ptr<CloneStore> own_clone_;
	std::unique_ptr<ExitStore> own_exit_;
	std::unique_ptr<ExecFailureStore> own_failure_;
	std::shared_ptr<DaemonStores> daemon_stores_;
	ExecStore* exec_ = nullptr;
	CloneStore* clone_ = nullptr;
	ExitStore* exit_ = nullptr;
	ExecFailureStore* failure_ = nullptr;
	std::unique_ptr<Attachment> attachment_;
	std::unique_ptr<ContainerMap> containers_; // not attached
	std::mutex own_mutex_; // serialises ensure_own_source
	// The source, declared last: it stops before the stores go. Null in
	// without_source() and in a forked child whose own could not start.
	std::unique_ptr<Source> source_;
};

} // namespace procsql
