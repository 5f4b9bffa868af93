// The state directory (PROCSQL_STATE_DIR, default /run/procsql): where
// procsqld keeps one file per store, and where readers find them.
//
//   procsqld.lock    held (an open file description lock) by the daemon for
//                    its whole life: a second daemon is refused, and readers
//                    tell a live daemon from files a dead one left
//   procsqld.state   the control region (control_block.h)
//   <table>.store    one region per table
//   aside/           stores set aside (another format, schema or geometry)
//
// Files are created root-owned, 0600, or 0640 to PROCSQL_GROUP's group; the
// directory and the (empty) lock file are world-readable so that a user
// outside the group is told why they cannot attach.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "store/region.h"

namespace procsql {

constexpr const char* kDefaultStateDir = "/run/procsql";
constexpr const char* kLockFileName = "procsqld.lock";
constexpr const char* kControlFileName = "procsqld.state";

// The file of a table's store ("process_events" -> "process_events.store").
std::string store_file_name(const std::string& table);

// The daemon's hold on a state directory, released when it exits (or dies).
class StateDirLock {
public:
	StateDirLock() = default;
	~StateDirLock();
	StateDirLock(StateDirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
	StateDirLock& operator=(StateDirLock&&) = delete;
	// Creates the directory (0755, or 0750 to `gid`) and takes the lock.
	// False with a one-line reason; `holder` is set when another process
	// holds it (its pid, as the control region says, or 0 if unknown).
	static bool acquire(const std::string& dir, gid_t gid, StateDirLock* out, pid_t* holder, std::string* error);
	bool held() const { return fd_ >= 0; }

private:
	int fd_ = -1;
};

enum class DaemonPresence { none, running, unreadable };
// Whether a procsqld holds the directory's lock (without taking it).
// `unreadable`: the lock file exists but this process cannot open it.
DaemonPresence daemon_presence(const std::string& dir, std::string* error);

// The daemon's store files: opened (created when missing) read-write with the
// directory's ownership and mode. *created says whether it was new; a new file
// is zero-filled to `bytes`. An existing file keeps its size (the caller
// checks it and sets it aside if it is not the store it expects).
bool open_store_for_writing(const std::string& dir, const std::string& name, uint64_t bytes, gid_t gid,
                            Region* out, bool* created, std::string* error);
// Moves `names` (those that exist) to dir/aside/<tag>/; the reason is the
// caller's to log. Returns the folder they went to.
std::string set_aside(const std::string& dir, const std::vector<std::string>& names, const std::string& tag,
                      std::string* error);
// A reader's read-only mapping of a store file. Refuses what is not a
// regular file, and files smaller than a header or larger than `max_bytes`.
bool map_store_readonly(const std::string& dir, const std::string& name, uint64_t max_bytes, Region* out,
                        std::string* error);
// The group id of a group name, for PROCSQL_GROUP; false with a reason.
bool group_id(const std::string& name, gid_t* gid, std::string* error);

} // namespace procsql
