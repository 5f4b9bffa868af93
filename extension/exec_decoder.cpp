#include "exec_decoder.h"

#include <cstring>

#include "event_abi.h"

namespace procsql {

static_assert(sizeof(procsql_exec_event) == 152, "kernel ABI changed: bump PROCSQL_ABI_VERSION");
static_assert(sizeof(procsql_exec_event) % 8 == 0, "kernel ABI header must stay 8-byte aligned");

ExecSyscall exec_syscall_from_nr(int nr) {
#if defined(__x86_64__)
	// 59/322 are the x86_64 numbers, 11/358 the i386 ones (a 32-bit process on
	// a 64-bit kernel); none of them collides with another exec-time syscall.
	switch (nr) {
	case 59: case 11: return ExecSyscall::execve;
	case 322: case 358: return ExecSyscall::execveat;
	}
#elif defined(__aarch64__)
	switch (nr) {
	case 221: return ExecSyscall::execve;
	case 281: return ExecSyscall::execveat;
	}
#endif
	return ExecSyscall::unknown;
}

bool decode_exec_record(const void* data, size_t size, const BootClock& clock, ExecDecodeResult* out,
                        std::string* why) {
	procsql_exec_event ev;
	if (size < sizeof(ev)) {
		*why = "record shorter than its header";
		return false;
	}
	std::memcpy(&ev, data, sizeof(ev));
	if (ev.kind != PROCSQL_EVENT_EXEC) {
		*why = "not an exec record";
		return false;
	}
	const uint64_t strings = uint64_t(ev.path_len) + ev.filename_len + ev.cwd_len + ev.parent_path_len +
	                         ev.tty_len + ev.argv_len;
	if (ev.size != size || sizeof(ev) + strings != size) {
		*why = "record lengths do not add up to its size";
		return false;
	}
	if (ev.tty_len >= PROCSQL_TTY_MAX || ev.argv_len > PROCSQL_ARGV_MAX ||
	    ev.filename_len >= PROCSQL_PATH_MAX) {
		*why = "record field longer than the ABI allows";
		return false;
	}

	ExecRow& r = out->row;
	r = ExecRow{};
	r.time_ns = clock.to_unix_ns(ev.ktime_boot_ns);
	r.start_time = clock.to_unix_ns(ev.start_boot_ns);
	r.inode = ev.inode;
	r.cgroup_id = ev.cgroup_id;
	r.pid = int32_t(ev.pid);
	r.tid = int32_t(ev.tid);
	r.parent = int32_t(ev.ppid);
	r.ns_pid = int32_t(ev.ns_pid);
	r.uid = ev.uid;
	r.euid = ev.euid;
	r.gid = ev.gid;
	r.egid = ev.egid;
	r.auid = ev.loginuid;
	r.session = ev.sessionid;
	r.mode = ev.mode;
	r.owner_uid = ev.owner_uid;
	r.owner_gid = ev.owner_gid;
	r.mnt_ns = ev.mnt_ns;
	r.pid_ns = ev.pid_ns;
	r.argc = ev.argc;
	std::memcpy(r.comm, ev.comm, sizeof(r.comm));
	r.comm[sizeof(r.comm) - 1] = '\0';

	uint32_t flags = kExecHasNamespaces;
	// (uid_t)-1 is the kernel's "unset" for loginuid, and (unsigned)-1 for the
	// session id (AUDIT_SID_UNSET).
	if ((ev.flags & PROCSQL_EXEC_HAS_LOGINUID) && ev.loginuid != UINT32_MAX) {
		flags |= kExecHasAuid;
	}
	if ((ev.flags & PROCSQL_EXEC_HAS_LOGINUID) && ev.sessionid != UINT32_MAX) {
		flags |= kExecHasSession;
	}
	if (ev.flags & PROCSQL_EXEC_HAS_TTY) flags |= kExecHasTty;
	if (ev.flags & PROCSQL_EXEC_HAS_PARENT_PATH) flags |= kExecHasParentPath;
	if (ev.flags & PROCSQL_EXEC_HAS_CWD) flags |= kExecHasCwd;
	// One column flags all three walked paths: a user filtering on it wants to
	// know that some path of the row is incomplete.
	if (ev.flags & (PROCSQL_EXEC_PATH_TRUNCATED | PROCSQL_EXEC_CWD_TRUNCATED |
	                PROCSQL_EXEC_PARENT_PATH_TRUNCATED)) {
		flags |= kExecPathTruncated;
	}
	if (ev.flags & (PROCSQL_EXEC_ARGV_TRUNCATED | PROCSQL_EXEC_ARGV_UNREADABLE)) {
		flags |= kExecCmdlineTruncated;
	}
	r.syscall = int32_t(ExecSyscall::unknown);
	if (ev.flags & PROCSQL_EXEC_HAS_SYSCALL) {
		const ExecSyscall s = exec_syscall_from_nr(ev.syscall_nr);
		if (s != ExecSyscall::unknown) {
			flags |= kExecHasSyscall;
			r.syscall = int32_t(s);
		}
	}
	r.flags = flags;

	const char* p = static_cast<const char*>(data) + sizeof(ev);
	auto take = [&p](size_t n) {
		std::string_view v(p, n);
		p += n;
		return v;
	};
	out->strings[kExecPath] = take(ev.path_len);
	out->strings[kExecFilename] = take(ev.filename_len);
	out->strings[kExecCwd] = take(ev.cwd_len);
	out->strings[kExecParentPath] = take(ev.parent_path_len);
	out->strings[kExecTty] = take(ev.tty_len);
	out->strings[kExecArgv] = take(ev.argv_len);
	out->path_incomplete = (flags & kExecPathTruncated) != 0;
	out->argv_truncated = (flags & kExecCmdlineTruncated) != 0;
	return true;
}

} // namespace procsql
