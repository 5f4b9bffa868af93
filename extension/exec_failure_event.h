// A decoded failed exec (exec_failures), the same for every source, and the
// row type of its store.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "exec_event.h"
#include "store/event_store.h"

namespace procsql {

// Fixed part of an exec_failures row. Trivially copyable, a multiple of 8
// bytes: the store copies it word by word.
struct ExecFailureRow {
	int64_t time_ns;    // Unix ns
	int64_t start_time; // Unix ns of the caller's process start
	uint64_t cgroup_id;
	int32_t pid, tid, parent;
	uint32_t uid, euid, auid;
	int32_t result;  // what the call returned: -errno
	uint32_t argc;
	uint32_t flags;  // ExecFailureFlag bits
	int32_t syscall; // ExecSyscall
	char comm[16];
};
static_assert(sizeof(ExecFailureRow) % 8 == 0, "the store copies rows in 8-byte words");

enum ExecFailureFlag : uint32_t {
	kFailHasPath = 1u << 0,     // the caller's executable is known
	kFailHasFilename = 1u << 1, // the name passed is known
	kFailHasArgv = 1u << 2,     // argv (maybe cut) is known
	kFailHasArgc = 1u << 3,     // argc is the true count
	kFailCmdlineTruncated = 1u << 4,
	kFailPathTruncated = 1u << 5, // path, cwd or filename not whole
	kFailHasCwd = 1u << 6,
	kFailHasTty = 1u << 7,
	kFailHasAuid = 1u << 8,
	// What a source could not know (the audit backend): the columns read NULL.
	kFailNoTid = 1u << 9,
	kFailNoStartTime = 1u << 10,
	kFailNoProcInfo = 1u << 11, // cgroup_id
};

// The variable-length strings of a row, in store order.
enum ExecFailureString : size_t {
	kFailPath,
	kFailFilename,
	kFailCwd,
	kFailTty,
	kFailArgv, // raw: arguments each followed by NUL, as in process_events
	kFailContainerId, // "" on the host
	kFailStringCount
};

using ExecFailureStrings = std::array<std::string_view, kFailStringCount>;
using ExecFailureStore = EventStore<ExecFailureRow, kFailStringCount>;

// "ENOENT" for 2 (this system's errno numbering); nullptr for a number
// without a name.
const char* errno_name(int err);

} // namespace procsql
