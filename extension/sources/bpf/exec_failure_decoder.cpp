#include "sources/bpf/exec_failure_decoder.h"

#include <fcntl.h>

#include <cstring>

#include "event_abi.h"

namespace procsql {

static_assert(sizeof(procsql_exec_failure_event) == 104, "kernel ABI changed: bump PROCSQL_ABI_VERSION");
static_assert(sizeof(procsql_exec_failure_event) % 8 == 0, "kernel ABI header must stay 8-byte aligned");

std::string exec_fd_filename(int dirfd, std::string_view name) {
	if (dirfd == AT_FDCWD || (!name.empty() && name[0] == '/')) {
		return std::string(name);
	}
	std::string out = "/dev/fd/" + std::to_string(dirfd);
	if (!name.empty()) {
		out += '/';
		out.append(name);
	}
	return out;
}

bool decode_exec_failure_record(const void* data, size_t size, const BootClock& clock, ExecFailureDecodeResult* out,
                                std::string* why) {
	procsql_exec_failure_event ev;
	if (size < sizeof(ev)) {
		*why = "record shorter than its header";
		return false;
	}
	std::memcpy(&ev, data, sizeof(ev));
	if (ev.kind != PROCSQL_EVENT_EXEC_FAILURE) {
		*why = "not a failed-exec record";
		return false;
	}
	const uint64_t strings = uint64_t(ev.path_len) + ev.filename_len + ev.cwd_len + ev.tty_len + ev.argv_len;
	if (ev.size != size || sizeof(ev) + strings != size) {
		*why = "record lengths do not add up to its size";
		return false;
	}
	if (ev.tty_len >= PROCSQL_TTY_MAX || ev.argv_len > PROCSQL_ARGV_MAX || ev.filename_len >= PROCSQL_PATH_MAX ||
	    ev.result >= 0 ||
	    (ev.syscall != PROCSQL_EXEC_CALL_EXECVE && ev.syscall != PROCSQL_EXEC_CALL_EXECVEAT)) {
		*why = "record field outside what the ABI allows";
		return false;
	}

	ExecFailureRow& r = out->row;
	r = ExecFailureRow{};
	r.time_ns = clock.to_unix_ns(ev.ktime_boot_ns);
	r.start_time = clock.to_unix_ns(ev.start_boot_ns);
	r.cgroup_id = ev.cgroup_id;
	r.pid = int32_t(ev.pid);
	r.tid = int32_t(ev.tid);
	r.parent = int32_t(ev.ppid);
	r.uid = ev.uid;
	r.euid = ev.euid;
	r.auid = ev.loginuid;
	r.result = ev.result;
	r.argc = ev.argc;
	r.syscall = int32_t(ev.syscall == PROCSQL_EXEC_CALL_EXECVEAT ? ExecSyscall::execveat : ExecSyscall::execve);
	std::memcpy(r.comm, ev.comm, sizeof(r.comm));
	r.comm[sizeof(r.comm) - 1] = '\0';

	uint32_t flags = 0;
	// (uid_t)-1 is the kernel's "unset" loginuid.
	if ((ev.flags & PROCSQL_EXEC_HAS_LOGINUID) && ev.loginuid != UINT32_MAX) flags |= kFailHasAuid;
	if (ev.flags & PROCSQL_EXEC_HAS_TTY) flags |= kFailHasTty;
	if (ev.flags & PROCSQL_EXEC_HAS_CWD) flags |= kFailHasCwd;
	if (ev.flags & PROCSQL_EXEC_HAS_PATH) flags |= kFailHasPath;
	if (ev.flags & PROCSQL_EXEC_HAS_FILENAME) flags |= kFailHasFilename;
	if (ev.flags & PROCSQL_EXEC_HAS_ARGV) flags |= kFailHasArgv;
	if (!(ev.flags & PROCSQL_EXEC_ARGC_UNKNOWN)) flags |= kFailHasArgc;
	if (ev.flags & (PROCSQL_EXEC_PATH_TRUNCATED | PROCSQL_EXEC_CWD_TRUNCATED | PROCSQL_EXEC_FILENAME_TRUNCATED)) {
		flags |= kFailPathTruncated;
	}
	// Not the whole argv: cut at the bound, unreadable, or never read.
	if ((ev.flags & (PROCSQL_EXEC_ARGV_TRUNCATED | PROCSQL_EXEC_ARGV_UNREADABLE | PROCSQL_EXEC_ARGC_UNKNOWN)) ||
	    !(ev.flags & PROCSQL_EXEC_HAS_ARGV)) {
		flags |= kFailCmdlineTruncated;
	}
	r.flags = flags;

	const char* p = static_cast<const char*>(data) + sizeof(ev);
	auto take = [&p](size_t n) {
		std::string_view v(p, n);
		p += n;
		return v;
	};
	out->strings = ExecFailureStrings{};
	out->strings[kFailPath] = take(ev.path_len);
	const std::string_view filename = take(ev.filename_len);
	out->strings[kFailCwd] = take(ev.cwd_len);
	out->strings[kFailTty] = take(ev.tty_len);
	out->strings[kFailArgv] = take(ev.argv_len);
	out->fd_filename.clear();
	if (ev.syscall == PROCSQL_EXEC_CALL_EXECVEAT && ev.dirfd != AT_FDCWD &&
	    (filename.empty() || filename[0] != '/')) {
		out->fd_filename = exec_fd_filename(ev.dirfd, filename);
		out->strings[kFailFilename] = out->fd_filename;
	} else {
		out->strings[kFailFilename] = filename;
	}
	out->path_incomplete = (flags & kFailPathTruncated) != 0;
	out->argv_truncated = (flags & kFailCmdlineTruncated) != 0;
	return true;
}

} // namespace procsql
