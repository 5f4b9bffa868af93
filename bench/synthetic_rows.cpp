#include "synthetic_rows.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace procsql::bench {

namespace {

struct Program {
	const char* path;
	const char* filename;
	const char* comm;
};
// ~25 bytes of path on average, as on a Debian host.
const Program kPrograms[] = {
    {"/usr/bin/ls", "/bin/ls", "ls"},
    {"/usr/lib/git-core/git", "/usr/bin/git", "git"},
    {"/usr/bin/python3.11", "/usr/bin/python3", "python3"},
    {"/usr/bin/dash", "/bin/sh", "sh"},
    {"/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "cc1"},
    {"/usr/bin/x86_64-linux-gnu-gcc-12", "/usr/bin/cc", "cc"},
    {"/usr/bin/cat", "/bin/cat", "cat"},
    {"/usr/bin/grep", "/bin/grep", "grep"},
};
const char* const kCwds[] = {"/home/alice/src", "/var/lib/apt", "/root", "/tmp/build-4711", "/srv/www/site"};
const char* const kParents[] = {"/usr/bin/bash", "/usr/bin/make", "/usr/sbin/cron", "/usr/bin/dash"};

// ~60 bytes of argv. Only the needle rows contain "needle".
std::string row_argv(uint64_t i, size_t program) {
	char buf[160];
	int n = 0;
	const unsigned u = unsigned(i);
	if (row_has_needle(i)) {
		n = std::snprintf(buf, sizeof buf, "grep%c-rn%c--include=*.log%cneedle%c/srv/data/batch-%u", 0, 0, 0, 0, u);
	} else {
		switch (program) {
		case 0: n = std::snprintf(buf, sizeof buf, "ls%c-la%c--color=auto%c/var/log/journal/%08x", 0, 0, 0, u); break;
		case 1: n = std::snprintf(buf, sizeof buf, "git%c-C%c/home/alice/src/procsql%cstatus%c--porcelain=v2", 0, 0, 0, 0); break;
		case 2: n = std::snprintf(buf, sizeof buf, "python3%c/usr/lib/python3/dist-packages/job.py%c%u", 0, 0, u); break;
		case 3: n = std::snprintf(buf, sizeof buf, "sh%c-c%cgrep -q localhost /etc/hosts && echo %u", 0, 0, u); break;
		case 4: n = std::snprintf(buf, sizeof buf, "cc1%c-quiet%csrc/module_%u.c%c-O2%c-o%c/tmp/cc.s", 0, 0, u % 1000, 0, 0, 0); break;
		case 5: n = std::snprintf(buf, sizeof buf, "cc%c-O2%c-c%csrc/module_%u.c%c-o%cobj/module.o", 0, 0, 0, u % 1000, 0, 0); break;
		case 6: n = std::snprintf(buf, sizeof buf, "cat%c/proc/%u/status%c/proc/self/mountinfo", 0, u % 32768, 0); break;
		default: n = std::snprintf(buf, sizeof buf, "grep%c-E%c^(ERROR|WARN)%c/var/log/syslog.%u", 0, 0, 0, u % 7); break;
		}
	}
	return std::string(buf, size_t(n) + 1); // + the final NUL
}

uint32_t row_uid(uint64_t i) { return i % 4 == 0 ? 1000 : (i % 4 == 1 ? 0 : 33); }

} // namespace

void synthetic_row(uint64_t i, SyntheticRow* out) {
	const size_t program = row_has_needle(i) ? 7 : size_t((i * 2654435761u) >> 7) % 8;
	const Program& p = kPrograms[program];
	ExecRow& r = out->row;
	r = ExecRow{};
	r.time_ns = kSyntheticT0 + int64_t(i) * kSyntheticStepNs + int64_t((i * 7919) % 997) * 1000;
	r.start_time = r.time_ns - 150000;
	r.inode = 1000000 + program;
	r.cgroup_id = 4242;
	r.pid = r.tid = r.ns_pid = int32_t(kSyntheticPidBase + (i * 7919) % kSyntheticPidPool);
	r.parent = int32_t(1000 + i % 50);
	r.uid = r.euid = row_uid(i);
	r.gid = r.egid = r.uid;
	r.auid = 1000;
	r.session = 3;
	r.mode = 0100755;
	r.mnt_ns = r.pid_ns = 4026531840u;
	r.syscall = 1;
	r.flags = kExecHasCwd | kExecHasParentPath | kExecHasAuid | kExecHasSession;
	const bool tty = i % 3 == 0;
	if (tty) r.flags |= kExecHasTty;
	std::strncpy(r.comm, p.comm, sizeof r.comm - 1);
	out->argv = row_argv(i, program);
	r.argc = uint32_t(std::count(out->argv.begin(), out->argv.end(), '\0'));
	ExecStrings& s = out->strings;
	s = ExecStrings{};
	s[kExecPath] = p.path;
	s[kExecFilename] = p.filename;
	s[kExecCwd] = kCwds[i % 5];
	s[kExecParentPath] = kParents[i % 4];
	s[kExecTty] = tty ? "pts3" : "";
	s[kExecArgv] = out->argv;
}

} // namespace procsql::bench
