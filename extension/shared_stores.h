// The stores of procsqld, as files in a state directory (store/store_dir.h):
// the daemon's writable set (DaemonStores) and an attached reader's
// read-only set (AttachedStores). Which files there are and what each must
// hold is said once, here.
#pragma once

#include <sys/types.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "exec_event.h"
#include "exec_failure_event.h"
#include "lifecycle_event.h"
#include "store/control_block.h"
#include "store/snapshot_store.h"
#include "store/store_dir.h"

namespace procsql {

// The tables published whole, in the order of SnapshotTable.
enum class Published { processes, containers, stats, syscalls };
constexpr int kPublishedCount = 4;

// Arena of the clone and exit stores: their rows carry one path each, so an
// eighth of the exec arena holds about as many (never below 1 MiB).
uint64_t small_arena_bytes(const Config& config);
// Arena of the exec_failures store: its rows carry argv and paths as exec
// rows do, and are fewer: a quarter of the exec arena (never below 1 MiB).
uint64_t failure_arena_bytes(const Config& config);

// The collector variables a reader compares with the daemon's ("NAME=value"
// lines, as PROCSQL_* variables would set them).
std::string collector_settings(const Config& config);

class DaemonStores {
public:
	// Opens the state directory's stores, making them when missing. Stores
	// that cannot be reopened as they are (another format version or schema
	// hash, another capacity or arena, damage) are set aside in dir/aside/
	// and a new store id begins; each such decision is a line in *log.
	static std::unique_ptr<DaemonStores> open(const std::string& dir, gid_t gid, const Config& config,
	                                          std::vector<std::string>* log, std::string* error);

	const std::string& store_id() const { return store_id_; }
	ExecStore& exec() { return *exec_; }
	CloneStore& clone() { return *clone_; }
	ExitStore& exit() { return *exit_; }
	ExecFailureStore& failure() { return *failure_; }
	SnapshotStore& published(Published which) { return *published_[int(which)]; }
	ControlBlock& control() { return *control_; }
	// Rows a daemon killed mid-append left half-written, discarded at open.
	uint64_t rows_discarded() const { return rows_discarded_; }

	// The daemon identifies itself (and reads the previous one's stop: the
	// gap) when it starts, and says it stopped cleanly when it stops.
	// `drain_bound_ms` is the source's (Source::drain_bound_ms): readers wait that long at most.
	void mark_running(pid_t pid, int64_t start_ns, const std::string& backend, int drain_bound_ms,
	                  const std::string& settings);
	void heartbeat(int64_t now_ns);
	void mark_stopped(int64_t now_ns);

private:
	DaemonStores() = default;
	bool open_all(const std::string& dir, gid_t gid, const Config& config, std::string* why);
	void mark_starting();
	std::array<StoreHeader*, 9> headers(); // every region's, the control region's last
	std::string store_id_;
	Region control_region_;
	ControlBlock* control_ = nullptr;
	std::unique_ptr<ExecStore> exec_;
	std::unique_ptr<CloneStore> clone_;
	std::unique_ptr<ExitStore> exit_;
	std::unique_ptr<ExecFailureStore> failure_;
	std::unique_ptr<SnapshotStore> published_[kPublishedCount];
	uint64_t rows_discarded_ = 0;
	bool control_was_new_ = false;
	uint64_t previous_state_ = 0; // the control state the last daemon left
};

class AttachedStores {
public:
	// Maps a running daemon's stores read-only. False with a one-line reason
	// (no daemon, no permission, another version, damaged files...).
	static std::unique_ptr<AttachedStores> attach(const std::string& dir, std::string* error);

	const std::string& store_id() const { return store_id_; }
	const ExecStore& exec() const { return *exec_; }
	const CloneStore& clone() const { return *clone_; }
	const ExitStore& exit() const { return *exit_; }
	const ExecFailureStore& failure() const { return *failure_; }
	const SnapshotStore& published(Published which) const { return *published_[int(which)]; }
	const ControlBlock& control() const { return *control_; }
	// The daemon's collector settings, "NAME=value" lines.
	std::string settings() const;
	std::string daemon_version() const;
	std::string backend() const;
	int drain_bound_ms() const { return int(control_->drain_bound_ms.load(std::memory_order_relaxed)); }
	// Whether the directory's control region is intact and says a daemon
	// finished starting (its stores are then as they will stay).
	static bool daemon_started(const std::string& dir);
	// Whether the control file in the directory is still the one mapped
	// (a daemon that set the stores aside made new files).
	bool superseded(const std::string& dir) const;

private:
	AttachedStores() = default;
	std::string store_id_;
	Region control_region_;
	const ControlBlock* control_ = nullptr;
	dev_t control_dev_ = 0;
	ino_t control_ino_ = 0;
	std::unique_ptr<const ExecStore> exec_;
	std::unique_ptr<const CloneStore> clone_;
	std::unique_ptr<const ExitStore> exit_;
	std::unique_ptr<const ExecFailureStore> failure_;
	std::unique_ptr<const SnapshotStore> published_[kPublishedCount];
};

} // namespace procsql
