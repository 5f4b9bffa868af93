// A decoded exec: the same for every source (eBPF today, audit later), and the
// row type of the process_events store.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "store/event_store.h"

namespace procsql {

// Fixed part of a process_events row. Trivially copyable, a multiple of 8
// bytes: the store copies it word by word.
struct ExecRow {
	int64_t time_ns;    // Unix ns
	int64_t start_time; // Unix ns of the process start
	uint64_t inode;
	uint64_t cgroup_id;
	int32_t pid, tid, parent, ns_pid;
	uint32_t uid, euid, gid, egid;
	uint32_t auid, session;
	uint32_t mode, owner_uid, owner_gid;
	uint32_t mnt_ns, pid_ns;
	uint32_t argc;
	uint32_t flags;  // ExecFlag bits
	int32_t syscall; // ExecSyscall
	char comm[16];
	// Privileges after the exec: capability sets (bit N = capability N).
	uint64_t cap_effective, cap_permitted, cap_ambient, cap_bounding;
	uint64_t exe_fs_magic; // statfs f_type of the executed file's filesystem
	uint8_t seccomp;       // ExecSeccomp
	uint8_t no_new_privs;  // 0 or 1
	uint8_t exe_upper;     // ExecLayer
	uint8_t reserved[5];
};
static_assert(sizeof(ExecRow) % 8 == 0, "the store copies rows in 8-byte words");

enum ExecFlag : uint32_t {
	kExecPathTruncated = 1u << 0,
	kExecCmdlineTruncated = 1u << 1,
	kExecHasTty = 1u << 2,
	kExecHasAuid = 1u << 3,
	kExecHasSession = 1u << 4,
	kExecHasParentPath = 1u << 5,
	kExecHasCwd = 1u << 6,
	// What a source could not know (the audit backend): the columns read NULL.
	kExecNoTid = 1u << 7,
	kExecNoStartTime = 1u << 8,
	kExecNoProcInfo = 1u << 9,  // cgroup_id, mnt_ns, pid_ns, ns_pid
	kExecNoFileInfo = 1u << 10, // mode, owner_uid, owner_gid, inode
	kExecEnvTruncated = 1u << 11, // the environment was longer than PROCSQL_ENV_BYTES
	kExecNoEnv = 1u << 12,        // env unknown (unreadable, not captured, or the source cannot)
	kExecNoPrivileges = 1u << 13, // cap_*, no_new_privs, seccomp unknown
	kExecNoExeFs = 1u << 14,      // exe_fs unknown
	kExecEnvOff = 1u << 15,       // PROCSQL_ENV names no variable (env NULL by choice)
};

enum class ExecSeccomp : uint8_t { disabled = 0, strict = 1, filter = 2 };

// The seccomp column's text; nullptr (NULL) for a mode this build does not know.
inline const char* exec_seccomp_name(uint8_t mode) {
	switch (ExecSeccomp(mode)) {
	case ExecSeccomp::disabled: return "disabled";
	case ExecSeccomp::strict: return "strict";
	case ExecSeccomp::filter: return "filter";
	}
	return nullptr;
}

// Where the executed file lives, for exe_upper_layer.
enum class ExecLayer : uint8_t { not_upper = 0, upper = 1, unknown = 2 };

enum class ExecSyscall : int32_t { unknown = 0, execve = 1, execveat = 2 };

// The syscall column's text; nullptr (SQL NULL) when unknown.
inline const char* exec_syscall_name(ExecSyscall s) {
	switch (s) {
	case ExecSyscall::execve: return "execve";
	case ExecSyscall::execveat: return "execveat";
	case ExecSyscall::unknown: break;
	}
	return nullptr;
}

// The variable-length strings of a row, in store order.
enum ExecString : size_t {
	kExecPath,
	kExecFilename,
	kExecCwd,
	kExecParentPath,
	kExecTty,
	kExecArgv, // raw: arguments separated by NUL, as in the process's memory
	kExecContainerId, // "" on the host
	kExecEnv, // raw: the allowlisted variables ("NAME=value"), each ending in NUL
	kExecStringCount
};

using ExecStrings = std::array<std::string_view, kExecStringCount>;
using ExecStore = EventStore<ExecRow, kExecStringCount>;

} // namespace procsql
