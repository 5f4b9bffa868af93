#include "sources/bpf/exec_decoder.h"

#include <cstring>

#include "event_abi.h"

namespace procsql {

static_assert(sizeof(procsql_exec_event) == 200, "kernel ABI changed: bump PROCSQL_ABI_VERSION");
static_assert(sizeof(procsql_exec_event) % 8 == 0, "kernel ABI header must stay 8-byte aligned");

bool decode_exec_record(const void* data, size_t size, const BootClock& clock, bool execveat_hooked,
                        ExecDecodeResult* out, std::string* why) {
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
	                         ev.tty_len + ev.argv_len + ev.env_len;
	if (ev.size != size || sizeof(ev) + strings != size) {
		*why = "record lengths do not add up to its size";
		return false;
	}
	if (ev.tty_len >= PROCSQL_TTY_MAX || ev.argv_len > PROCSQL_ARGV_MAX ||
	    ev.filename_len >= PROCSQL_PATH_MAX || ev.env_len > PROCSQL_ENV_MAX) {
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
	r.cap_effective = ev.cap_effective;
	r.cap_permitted = ev.cap_permitted;
	r.cap_ambient = ev.cap_ambient;
	r.cap_bounding = ev.cap_bounding;
	// A kernel without seccomp (PROCSQL_EXEC_NO_SECCOMP) reads 0: disabled.
	r.seccomp = ev.seccomp_mode;
	r.no_new_privs = ev.no_new_privs ? 1 : 0;
	r.exe_fs_magic = ev.exe_fs_magic;
	r.exe_upper = ev.exe_upper <= PROCSQL_LAYER_UNKNOWN ? ev.exe_upper : uint8_t(PROCSQL_LAYER_UNKNOWN);
	std::memcpy(r.comm, ev.comm, sizeof(r.comm));
	r.comm[sizeof(r.comm) - 1] = '\0';

	uint32_t flags = 0;
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
	if (ev.flags & PROCSQL_EXEC_VIA_EXECVEAT) {
		r.syscall = int32_t(ExecSyscall::execveat);
	} else {
		r.syscall = int32_t(execveat_hooked ? ExecSyscall::execve : ExecSyscall::unknown);
	}
	if (ev.flags & (PROCSQL_EXEC_ENV_UNREADABLE | PROCSQL_EXEC_ENV_OFF)) flags |= kExecNoEnv;
	if (ev.flags & PROCSQL_EXEC_ENV_OFF) flags |= kExecEnvOff;
	if (ev.flags & PROCSQL_EXEC_ENV_TRUNCATED) flags |= kExecEnvTruncated;
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
	out->strings[kExecEnv] = take(ev.env_len);
	out->path_incomplete = (flags & kExecPathTruncated) != 0;
	out->argv_truncated = (flags & kExecCmdlineTruncated) != 0;
	return true;
}

} // namespace procsql
