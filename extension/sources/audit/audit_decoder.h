// One audit event (a syscall's records) -> the row procsql stores: an exec
// (process_events), a failed exec (exec_failures), a process creation or
// namespace call (clone_events), or an exit_group (process_exits). Pure: the only library call is libaudit's
// syscall table. What audit cannot tell (tids, start times, namespaces of the
// task, host child pids) is left for AuditCorrelator to complete or mark NULL.
#pragma once

#include <cstdint>
#include <string>

#include "sources/audit/audit_reassembler.h"
#include "exec_event.h"
#include "exec_failure_event.h"
#include "lifecycle_event.h"

namespace procsql {

enum class AuditEventKind { other, exec, exec_failure, call, exit_group };

struct AuditDecoded {
	AuditEventKind kind = AuditEventKind::other;
	std::string key;       // the SYSCALL record's key= ("" when (null))
	// exec (execve/execveat that succeeded): ExecRow with time_ns, pid, parent(ppid), uid, euid,
	// gid, egid, auid/session (+kExecHasAuid/kExecHasSession unless 4294967295), comm, syscall,
	// argc, flags (kExecCmdlineTruncated, kExecHasTty, kExecHasCwd, kExecNoFileInfo when no PATH
	// record matched), mode/owner_uid/owner_gid/inode from the PATH record of the executed file.
	ExecRow exec{};
	// exec_failure (execve/execveat with success=no): ExecFailureRow with time_ns, pid,
	// parent(ppid), uid, euid, auid (+kFailHasAuid unless 4294967295), comm, syscall, result
	// (exit=), flags (kFailHasPath, kFailHasFilename from PATH item 0, kFailHasCwd, kFailHasTty;
	// kFailHasArgv and kFailHasArgc with an EXECVE record, which the kernel writes only once the
	// exec got as far as reading the file's format; kFailCmdlineTruncated without one).
	ExecFailureRow failure{};
	std::string path;      // exe= (exec, exec_failure: the caller's; call, exit_group)
	std::string filename;  // PATH item 0 name= (as passed to exec); "/dev/fd/N[/name]" for an
	                       // execveat relative to a descriptor, as the kernel names it
	std::string cwd;       // CWD record
	std::string tty;       // "pts3" form as the kernel prints it; empty when (none)
	std::string argv;      // each argument followed by a NUL, as /proc/PID/cmdline and the eBPF
	                       // source store it, truncated to argv_bytes (prefix kept)
	// call (clone/clone3/fork/vfork/unshare/setns, success or not): CloneRow with time_ns, pid,
	// uid, comm, syscall (CloneSyscall), flags (clone: a0; unshare: a0; setns: a1 nstype;
	// fork/vfork: 0 ... for vfork use CLONE_VM|CLONE_VFORK like the kernel), result (exit=),
	// new_ns computed from the flags (setns: from nstype), row_flags |= kLifecycleNoFlags for clone3.
	CloneRow call{};
	// exit_group: ExitRow with time_ns, pid, comm, status = (a0 & 0xff) << 8.
	ExitRow exit{};
};

// Decodes a complete event. Syscall numbers are read with the SYSCALL record's arch= (libaudit's
// audit_elf_to_machine + audit_syscall_to_name), so every architecture libaudit knows works.
// Events that are not one of the syscalls above, and events without a SYSCALL record, give
// kind=other and true. Malformed (a SYSCALL record without arch/syscall/pid, EXECVE argument
// records that contradict argc...) gives false and a reason: the caller counts it.
// EXECVE: argc=N; aI="..." or hex; aI_len=L with aI[0]=..., aI[1]=... fragments; arguments split
// over several EXECVE records; cmdline truncated flag when total > argv_bytes or arguments missing.
bool decode_audit_event(const AuditEvent& event, uint32_t argv_bytes, AuditDecoded* out, std::string* why);

} // namespace procsql
