// Decoding audit events into rows: real events captured on this kernel
// (tests/unit/fixtures/audit/capture_x86_64.txt, serials as in that file)
// give the rows eBPF would give where audit can tell; other architectures;
// malformed and truncated events are refused with a reason, or flagged when
// the exec certainly happened, and never crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>

#include "sources/audit/audit_decoder.h"
#include "audit_fixture.h"

namespace procsql {
namespace {

using audit_fixture::make_event;

const std::map<uint64_t, AuditEvent>& captured() {
	static const auto events = audit_fixture::events(audit_fixture::capture());
	return events;
}

AuditDecoded decode(uint64_t serial, uint32_t argv_bytes = 16384) {
	AuditDecoded d;
	auto it = captured().find(serial);
	EXPECT_NE(it, captured().end()) << "no event " << serial << " in " << audit_fixture::dir();
	if (it == captured().end()) return d;
	std::string why;
	EXPECT_TRUE(decode_audit_event(it->second, argv_bytes, &d, &why)) << serial << ": " << why;
	return d;
}

std::string comm(const char (&c)[16]) { return std::string(c, strnlen(c, sizeof(c))); }

std::string args(std::initializer_list<std::string> list) {
	std::string out;
	for (const auto& a : list) {
		out += a;
		out += '\0';
	}
	return out;
}

// --- real exec events ------------------------------------------------------

TEST(AuditDecoder, ExecOfLs) {
	const AuditDecoded d = decode(218);
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.key, "procsqlcapture");
	const ExecRow& r = d.exec;
	EXPECT_EQ(r.time_ns, 1795460837725000000);
	EXPECT_EQ(r.pid, 15576);
	EXPECT_EQ(r.parent, 15575);
	EXPECT_EQ(r.uid, 0u);
	EXPECT_EQ(r.euid, 0u);
	EXPECT_EQ(r.gid, 0u);
	EXPECT_EQ(r.egid, 0u);
	EXPECT_EQ(r.syscall, int32_t(ExecSyscall::execve));
	EXPECT_EQ(comm(r.comm), "ls");
	EXPECT_EQ(r.comm[15], '\0');
	EXPECT_EQ(r.argc, 2u);
	EXPECT_EQ(r.inode, 247728u);
	EXPECT_EQ(r.mode, 0100755u);
	EXPECT_EQ(r.owner_uid, 0u);
	EXPECT_EQ(r.owner_gid, 0u);
	// auid/ses 4294967295 (unset), tty (none): their flags stay clear.
	EXPECT_EQ(r.flags, uint32_t(kExecHasCwd));
	EXPECT_EQ(r.auid, 0u);
	EXPECT_EQ(d.path, "/usr/bin/ls");
	EXPECT_EQ(d.filename, "/usr/bin/ls");
	EXPECT_EQ(d.cwd, "/tmp/pcs");
	EXPECT_EQ(d.tty, "");
	EXPECT_EQ(d.argv, args({"ls", "/tmp/pcs"}));
}

TEST(AuditDecoder, FailedExecsAreExecFailures) {
	// The PATH lookup of `ls` before it found /usr/bin/ls (ENOENT), a script
	// without the x bit (EACCES, serial 410): exec_failures rows, never
	// process_events ones.
	size_t failed = 0;
	for (const auto& [serial, ev] : captured()) {
		const AuditRecord* sc = nullptr;
		for (const auto& r : ev.records) {
			if (r.type == 1300) sc = &r;
		}
		uint64_t nr;
		if (!sc || !sc->number("syscall", &nr) || nr != 59 || sc->field("success")->raw != "no") continue;
		failed++;
		AuditDecoded d;
		std::string why;
		ASSERT_TRUE(decode_audit_event(ev, 16384, &d, &why)) << why;
		EXPECT_EQ(d.kind, AuditEventKind::exec_failure) << serial;
		EXPECT_EQ(d.key, "procsqlcapture");
		EXPECT_LT(d.failure.result, 0) << serial;
	}
	EXPECT_GE(failed, 20u);

	// /usr/local/sbin/ls, the first directory of Python's PATH search.
	AuditDecoded d = decode(215);
	ASSERT_EQ(d.kind, AuditEventKind::exec_failure);
	const ExecFailureRow& r = d.failure;
	EXPECT_EQ(r.time_ns, 1795460837725000000);
	EXPECT_EQ(r.pid, 15576);
	EXPECT_EQ(r.parent, 15575);
	EXPECT_EQ(r.result, -2);
	EXPECT_EQ(ExecSyscall(r.syscall), ExecSyscall::execve);
	EXPECT_EQ(r.uid, 0u);
	EXPECT_EQ(r.euid, 0u);
	EXPECT_EQ(comm(r.comm), "python3");
	EXPECT_EQ(d.path, "/usr/bin/python3.11"); // the caller's executable
	EXPECT_EQ(d.filename, "/usr/local/sbin/ls");
	EXPECT_EQ(d.cwd, "/tmp/pcs");
	EXPECT_EQ(d.tty, "");
	// No EXECVE record: argv and argc unknown, the command line not whole.
	EXPECT_EQ(d.argv, "");
	EXPECT_EQ(r.flags & (kFailHasArgv | kFailHasArgc), 0u);
	EXPECT_TRUE(r.flags & kFailCmdlineTruncated);
	EXPECT_TRUE(r.flags & kFailHasPath);
	EXPECT_TRUE(r.flags & kFailHasFilename);
	EXPECT_TRUE(r.flags & kFailHasCwd);
	EXPECT_FALSE(r.flags & (kFailHasAuid | kFailHasTty)); // auid unset, tty (none)

	// `exec /tmp/pcs/noexec.sh` by dash: EACCES.
	d = decode(410);
	ASSERT_EQ(d.kind, AuditEventKind::exec_failure);
	EXPECT_EQ(d.failure.result, -13);
	EXPECT_EQ(d.filename, "/tmp/pcs/noexec.sh");
	EXPECT_EQ(d.path, "/usr/bin/dash");
	EXPECT_EQ(comm(d.failure.comm), "sh");
}

TEST(AuditDecoder, FailedExecWithItsArguments) {
	// Kernels before 5.9 log the arguments of an exec whose file was opened
	// and failed to load (ENOEXEC): an EXECVE record in a failed event.
	const AuditEvent ev = make_event(
	    {{1300, "audit(100.000:9): arch=c000003e syscall=322 success=no exit=-8 a0=3 a1=5 a2=6 a3=7 items=1 "
	            "ppid=1 pid=77 auid=1000 uid=1000 gid=1000 euid=0 suid=0 fsuid=0 egid=1000 sgid=1000 fsgid=1000 "
	            "tty=pts2 ses=3 comm=\"runner\" exe=\"/usr/bin/runner\" key=\"k\""},
	     {1309, "audit(100.000:9): argc=2 a0=\"junk\" a1=\"--x\""},
	     {1307, "audit(100.000:9): cwd=\"/home/u\""},
	     {1302, "audit(100.000:9): item=0 name=\"junk\" inode=5 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 "
	            "nametype=NORMAL"},
	     {1320, "audit(100.000:9): "}});
	AuditDecoded d;
	std::string why;
	ASSERT_TRUE(decode_audit_event(ev, 16384, &d, &why)) << why;
	ASSERT_EQ(d.kind, AuditEventKind::exec_failure);
	const ExecFailureRow& r = d.failure;
	EXPECT_EQ(r.result, -8);
	EXPECT_EQ(ExecSyscall(r.syscall), ExecSyscall::execveat);
	EXPECT_EQ(r.uid, 1000u);
	EXPECT_EQ(r.euid, 0u);
	EXPECT_EQ(r.auid, 1000u);
	EXPECT_TRUE(r.flags & kFailHasAuid);
	EXPECT_EQ(d.tty, "pts2");
	EXPECT_EQ(d.filename, "/dev/fd/3/junk"); // relative to descriptor 3, as the kernel names it
	EXPECT_EQ(d.argv, args({"junk", "--x"}));
	EXPECT_EQ(r.argc, 2u);
	EXPECT_TRUE(r.flags & kFailHasArgv);
	EXPECT_TRUE(r.flags & kFailHasArgc);
	EXPECT_FALSE(r.flags & kFailCmdlineTruncated);

	// A name that could not be read (EFAULT): no PATH record, no CWD record.
	const AuditEvent efault = make_event(
	    {{1300, "audit(100.000:10): arch=c000003e syscall=59 success=no exit=-14 a0=0 a1=0 a2=0 a3=0 items=0 "
	            "ppid=1 pid=78 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 "
	            "tty=(none) ses=4294967295 comm=\"x\" exe=\"/usr/bin/x\" key=\"k\""},
	     {1320, "audit(100.000:10): "}});
	ASSERT_TRUE(decode_audit_event(efault, 16384, &d, &why)) << why;
	ASSERT_EQ(d.kind, AuditEventKind::exec_failure);
	EXPECT_EQ(d.failure.result, -14);
	EXPECT_FALSE(d.failure.flags & (kFailHasFilename | kFailHasCwd | kFailHasArgv));

	// success=no with a result that is not an error is malformed.
	const AuditEvent bad = make_event(
	    {{1300, "audit(100.000:11): arch=c000003e syscall=59 success=no exit=0 a0=0 a1=0 a2=0 a3=0 items=0 "
	            "ppid=1 pid=78 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 "
	            "tty=(none) ses=4294967295 comm=\"x\" exe=\"/usr/bin/x\" key=\"k\""},
	     {1320, "audit(100.000:11): "}});
	EXPECT_FALSE(decode_audit_event(bad, 16384, &d, &why));
}

TEST(AuditDecoder, ScriptsReportTheInterpreterThatRuns) {
	// #!/bin/sh: /bin/sh -> dash, so neither the name nor its base name is
	// exe's; the interpreter is found as argv[0] (dash, inode 247230).
	AuditDecoded d = decode(225);
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.path, "/usr/bin/dash");
	EXPECT_EQ(d.filename, "/tmp/pcs/script_sh.sh");
	EXPECT_EQ(d.exec.inode, 247230u);
	EXPECT_EQ(comm(d.exec.comm), "script_sh.sh");
	EXPECT_EQ(d.argv, args({"/bin/sh", "/tmp/pcs/script_sh.sh"}));
	EXPECT_FALSE(d.exec.flags & kExecNoFileInfo);
	// #!/usr/bin/dash: the name is exe.
	d = decode(228);
	EXPECT_EQ(d.exec.inode, 247230u);
	EXPECT_EQ(d.filename, "/tmp/pcs/script_dash.sh");
	EXPECT_EQ(d.exec.argc, 3u);
	// #!/usr/bin/env dash: env runs first (inode 247312), then execs dash.
	d = decode(231);
	EXPECT_EQ(d.path, "/usr/bin/env");
	EXPECT_EQ(d.exec.inode, 247312u);
	d = decode(235);
	EXPECT_EQ(d.path, "/usr/bin/dash");
	EXPECT_EQ(d.filename, "/usr/bin/dash");
	EXPECT_EQ(d.exec.inode, 247230u);
	// #!/usr/bin/python3 -S: python3 -> python3.11.
	d = decode(238);
	EXPECT_EQ(d.path, "/usr/bin/python3.11");
	EXPECT_EQ(d.exec.inode, 247970u);
	EXPECT_EQ(d.argv, args({"/usr/bin/python3", "-S", "/tmp/pcs/script_py.py", "arg"}));
	// A script whose interpreter is a script: the innermost interpreter runs.
	d = decode(253);
	EXPECT_EQ(d.exec.inode, 247230u);
	EXPECT_EQ(comm(d.exec.comm), "script_nested.s");
	EXPECT_EQ(d.filename, "/tmp/pcs/script_nested.sh");
	// python3 run directly: 2 items, the name is a symlink: item 0.
	d = decode(415);
	EXPECT_EQ(d.path, "/usr/bin/python3.11");
	EXPECT_EQ(d.filename, "/usr/bin/python3");
	EXPECT_EQ(d.exec.inode, 247970u);
	// A relative name: matched by base name.
	d = decode(393);
	EXPECT_EQ(d.filename, "./lifecycle");
	EXPECT_EQ(d.exec.inode, 10985560u);
	EXPECT_EQ(d.exec.parent, 15620);
}

TEST(AuditDecoder, ArgumentsExactBytes) {
	const AuditDecoded d = decode(256);
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.exec.argc, 9u);
	EXPECT_EQ(d.argv, args({"/bin/echo", "a b", "\xff\xfe\x80", "it\"s", "", "single'q", "tab\there",
	                        "\xc3\xa9t\xc3\xa9", "end"}));
	EXPECT_FALSE(d.exec.flags & kExecCmdlineTruncated);
	// An empty last argument keeps its NUL, so it still counts as one.
	const AuditDecoded e = decode(282);
	EXPECT_EQ(e.argv, std::string("/bin/true\0\0", 11));
	EXPECT_EQ(e.exec.argc, 2u);
}

TEST(AuditDecoder, LongArgumentInHexFragments) {
	// 20,000 bytes: a1_len=40000, a1[0]..a1[5] over six EXECVE records.
	AuditDecoded d = decode(264, 65536);
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.exec.argc, 2u);
	EXPECT_EQ(d.argv, args({"/bin/true", std::string(20000, 'x')}));
	EXPECT_FALSE(d.exec.flags & kExecCmdlineTruncated);
	// With the default bound the prefix is kept and the row says it was cut.
	d = decode(264, 16384);
	EXPECT_EQ(d.argv.size(), 16384u);
	EXPECT_EQ(d.argv, (std::string("/bin/true\0", 10) + std::string(20000, 'x')).substr(0, 16384));
	EXPECT_TRUE(d.exec.flags & kExecCmdlineTruncated);
	EXPECT_EQ(d.exec.argc, 2u);
	// Exactly the size: not cut.
	d = decode(264, 10 + 20001);
	EXPECT_FALSE(d.exec.flags & kExecCmdlineTruncated);
	d = decode(264, 10 + 20000);
	EXPECT_TRUE(d.exec.flags & kExecCmdlineTruncated);
	d = decode(264, 0);
	EXPECT_EQ(d.argv, "");
	EXPECT_TRUE(d.exec.flags & kExecCmdlineTruncated);
	EXPECT_EQ(d.path, "/usr/bin/true");
	EXPECT_EQ(d.exec.inode, 248139u);

	// 9,006 bytes with a space, between two short arguments.
	d = decode(274, 65536);
	EXPECT_EQ(d.exec.argc, 4u);
	EXPECT_EQ(d.argv, args({"/bin/true", "short", std::string(9000, 'y') + " space", "z"}));
}

TEST(AuditDecoder, QuotedFragmentsAndManyRecords) {
	// 60 arguments of 300 bytes: quoted, a25 and a49 split at record ends.
	AuditDecoded d = decode(277, 65536);
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.exec.argc, 61u);
	std::string want = std::string("/bin/true") + '\0';
	for (int i = 0; i < 60; i++) want += std::string(300, 'm') + '\0';
	EXPECT_EQ(d.argv, want);
	EXPECT_FALSE(d.exec.flags & kExecCmdlineTruncated);
	// 3,001 arguments over five EXECVE records.
	d = decode(280, 65536);
	EXPECT_EQ(d.exec.argc, 3001u);
	want = std::string("/bin/true") + '\0';
	for (int i = 0; i < 3000; i++) want += std::to_string(i) + '\0';
	EXPECT_EQ(d.argv, want);
	EXPECT_FALSE(d.exec.flags & kExecCmdlineTruncated);
}

TEST(AuditDecoder, HexPathsAndLongComm) {
	// exe, cwd, name and argv[0] with spaces (hex); comm cut to 15 by the kernel.
	AuditDecoded d = decode(286);
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.path, "/tmp/pcs/dir with space/averyveryverylongprogramname");
	EXPECT_EQ(d.filename, d.path);
	EXPECT_EQ(d.cwd, "/tmp/pcs/dir with space");
	EXPECT_EQ(comm(d.exec.comm), "averyveryverylo");
	EXPECT_EQ(d.exec.inode, 10985607u);
	EXPECT_EQ(d.argv, args({"/tmp/pcs/dir with space/averyveryverylongprogramname", "long comm"}));
	// Invalid UTF-8 in a file name: bytes kept as they are.
	d = decode(289);
	EXPECT_EQ(d.path, "/tmp/pcs/bad\xff");
	EXPECT_EQ(comm(d.exec.comm), "bad\xff");
	EXPECT_EQ(d.exec.inode, 10985608u);
}

TEST(AuditDecoder, ExecveatNames) {
	// execveat(dirfd 3, "true"): the kernel's bprm->filename "/dev/fd/3/true".
	AuditDecoded d = decode(294);
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.exec.syscall, int32_t(ExecSyscall::execveat));
	EXPECT_EQ(d.filename, "/dev/fd/3/true");
	EXPECT_EQ(d.exec.inode, 248139u);
	// fexecve: execveat(9, "", AT_EMPTY_PATH) -> "/dev/fd/9".
	d = decode(378);
	EXPECT_EQ(d.exec.syscall, int32_t(ExecSyscall::execveat));
	EXPECT_EQ(d.filename, "/dev/fd/9");
	EXPECT_EQ(d.path, "/usr/bin/true");
	EXPECT_EQ(d.exec.inode, 248139u);
	// A memfd: exe "/memfd:NAME (deleted)", the file only known by item 0.
	d = decode(382);
	EXPECT_EQ(d.path, "/memfd:pcsmemfd (deleted)");
	EXPECT_EQ(d.filename, "/dev/fd/9");
	EXPECT_EQ(comm(d.exec.comm), "memfd:pcsmemfd");
	EXPECT_EQ(d.exec.inode, 6732u);
	EXPECT_EQ(d.exec.mode, 0100777u);
}

TEST(AuditDecoder, LoginUidSessionAndTty) {
	AuditDecoded d = decode(423);
	EXPECT_EQ(d.exec.auid, 1000u);
	EXPECT_EQ(d.exec.session, 31u);
	EXPECT_EQ(d.exec.flags, uint32_t(kExecHasAuid | kExecHasSession | kExecHasCwd));
	d = decode(445);
	EXPECT_EQ(d.tty, "pts0");
	EXPECT_EQ(d.exec.flags, uint32_t(kExecHasTty | kExecHasCwd));
	EXPECT_EQ(d.exec.parent, 15633);
}

// --- real process creation, namespace calls, exits ----------------------------

TEST(AuditDecoder, CloneForkVforkClone3) {
	// Python's os.fork(): glibc fork() is clone(CHILD_SETTID|CHILD_CLEARTID|SIGCHLD).
	AuditDecoded d = decode(291);
	ASSERT_EQ(d.kind, AuditEventKind::call);
	const CloneRow& c = d.call;
	EXPECT_EQ(c.syscall, int32_t(CloneSyscall::clone));
	EXPECT_EQ(c.flags, 0x1200000u) << "the exit signal byte is not a flag";
	EXPECT_EQ(c.result, 15596);
	EXPECT_EQ(c.pid, 15575);
	EXPECT_EQ(c.uid, 0u);
	EXPECT_EQ(c.new_ns, 0u);
	EXPECT_EQ(c.row_flags, uint32_t(kLifecycleHasPath));
	EXPECT_EQ(comm(c.comm), "python3");
	EXPECT_EQ(d.path, "/usr/bin/python3.11");
	EXPECT_EQ(c.time_ns, 1795460838709000000);
	// The raw fork syscall.
	d = decode(298);
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::fork));
	EXPECT_EQ(d.call.flags, 0u);
	EXPECT_EQ(d.call.result, 15599);
	// vfork: the kernel's own flags.
	d = decode(305);
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::vfork));
	EXPECT_EQ(d.call.flags, 0x4100u);
	EXPECT_EQ(d.call.result, 15601);
	// posix_spawn: clone3, whose flags audit cannot see.
	d = decode(311);
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::clone3));
	EXPECT_EQ(d.call.flags, 0u);
	EXPECT_EQ(d.call.result, 15603);
	EXPECT_EQ(d.call.row_flags, uint32_t(kLifecycleHasPath | kLifecycleNoFlags | kLifecycleNoNamespaces));
}

TEST(AuditDecoder, FailedClones) {
	// clone(CLONE_SIGHAND|SIGCHLD) -> EINVAL: flags without the signal, no namespaces.
	AuditDecoded d = decode(316);
	ASSERT_EQ(d.kind, AuditEventKind::call);
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::clone));
	EXPECT_EQ(d.call.flags, 0x800u);
	EXPECT_EQ(d.call.result, -22);
	EXPECT_EQ(d.call.new_ns, 0u);
	// clone3 failing: nothing was created, so the (unknown) namespaces are none.
	d = decode(317);
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::clone3));
	EXPECT_EQ(d.call.result, -22);
	EXPECT_EQ(d.call.row_flags, uint32_t(kLifecycleHasPath | kLifecycleNoFlags));
}

TEST(AuditDecoder, UnshareAndSetns) {
	AuditDecoded d = decode(329); // unshare -n
	ASSERT_EQ(d.kind, AuditEventKind::call);
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::unshare));
	EXPECT_EQ(d.call.flags, 0x40000000u);
	EXPECT_EQ(d.call.result, 0);
	EXPECT_EQ(namespaces_text(d.call.new_ns), "net");
	d = decode(340); // unshare -m -u -i -p
	EXPECT_EQ(d.call.flags, 0x2c020000u);
	EXPECT_EQ(namespaces_text(d.call.new_ns), "mnt,uts,ipc,pid");
	d = decode(341); // then its fork, a clone with no namespace flag
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::clone));
	EXPECT_EQ(d.call.new_ns, 0u);
	d = decode(350); // setns(fd of a net namespace, CLONE_NEWNET)
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::setns));
	EXPECT_EQ(d.call.flags, 0x40000000u);
	EXPECT_EQ(namespaces_text(d.call.new_ns), "net");
	EXPECT_EQ(d.call.row_flags, uint32_t(kLifecycleHasPath));
	d = decode(354); // setns(fd, 0): any kind; which one audit cannot say
	EXPECT_EQ(d.call.flags, 0u);
	EXPECT_EQ(d.call.new_ns, 0u);
	EXPECT_EQ(d.call.row_flags, uint32_t(kLifecycleHasPath | kLifecycleNoNamespaces));
	d = decode(358); // setns(pidfd, CLONE_NEWUTS|CLONE_NEWNET)
	EXPECT_EQ(namespaces_text(d.call.new_ns), "uts,net");
	d = decode(362); // setns with the wrong nstype: EINVAL, nothing joined
	EXPECT_EQ(d.call.result, -22);
	EXPECT_EQ(d.call.flags, 0x4000000u);
	EXPECT_EQ(d.call.new_ns, 0u);
	EXPECT_EQ(d.call.row_flags, uint32_t(kLifecycleHasPath));
}

TEST(AuditDecoder, ExitGroup) {
	AuditDecoded d = decode(323); // exit(4) with threads alive
	ASSERT_EQ(d.kind, AuditEventKind::exit_group);
	EXPECT_EQ(d.exit.pid, 15605);
	EXPECT_EQ(d.exit.status, 0x400u);
	EXPECT_EQ(comm(d.exit.comm), "lifecycle");
	EXPECT_EQ(d.exit.row_flags, uint32_t(kLifecycleHasPath));
	EXPECT_EQ(d.path, "/tmp/pcs/lifecycle");
	d = decode(419); // sys.exit(300): the status keeps the low byte
	EXPECT_EQ(d.exit.status, 0x2c00u);
	d = decode(406); // exit(255) after a failed exec
	EXPECT_EQ(d.exit.status, 0xff00u);
	d = decode(383); // a memfd program: the exe is hex
	EXPECT_EQ(d.path, "/memfd:pcsmemfd (deleted)");
}

TEST(AuditDecoder, NonSyscallAndOtherSyscallEvents) {
	EXPECT_EQ(decode(416).kind, AuditEventKind::other); // ANOM_ABEND alone
	AuditDecoded d = decode(201);                       // auditctl's sendto, key (null)
	EXPECT_EQ(d.kind, AuditEventKind::other);
	EXPECT_EQ(d.key, "");
	d = decode(422); // LOGIN + the write() that set the loginuid
	EXPECT_EQ(d.kind, AuditEventKind::other);
}

TEST(AuditDecoder, EveryCapturedEventDecodes) {
	size_t exec = 0, call = 0, exits = 0;
	for (const auto& [serial, ev] : captured()) {
		for (uint32_t bytes : {0u, 7u, 16384u, 262144u}) {
			AuditDecoded d;
			std::string why;
			ASSERT_TRUE(decode_audit_event(ev, bytes, &d, &why)) << serial << ": " << why;
			EXPECT_LE(d.argv.size(), bytes);
			if (bytes != 16384) continue;
			if (d.kind == AuditEventKind::exec) {
				exec++;
				EXPECT_FALSE(d.exec.flags & kExecNoFileInfo) << serial;
				EXPECT_NE(d.exec.inode, 332383u) << serial << ": ld.so is never the executed file";
			}
			call += d.kind == AuditEventKind::call;
			exits += d.kind == AuditEventKind::exit_group;
		}
	}
	// As many as the capture holds SYSCALL records of each kind.
	EXPECT_EQ(exec, 55u);
	EXPECT_EQ(call, 62u);
	EXPECT_EQ(exits, 50u);
}

// --- other architectures (made records: this kernel has no IA32 emulation) ----

constexpr const char* kIds =
    " ppid=1 pid=200 auid=4294967295 uid=1000 gid=1000 euid=0 suid=0 fsuid=0 egid=1000 sgid=0 fsgid=0 tty=ttyS0"
    " ses=4294967295 comm=\"prog\" exe=\"/usr/bin/prog\" key=(null)";

TEST(AuditDecoder, I386SyscallNumbers) {
	AuditDecoded d;
	std::string why;
	AuditEvent ev = make_event({
	    {1300, std::string("audit(100.000:1): arch=40000003 syscall=11 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2") +
	               kIds},
	    {1309, "audit(100.000:1): argc=2 a0=\"prog\" a1=\"x\""},
	    {1302, "audit(100.000:1): item=0 name=\"/usr/bin/prog\" inode=9 dev=fe:00 mode=0104755 ouid=0 ogid=0 rdev=00:00 "
	           "nametype=NORMAL"},
	    {1302, "audit(100.000:1): item=1 name=\"/lib/ld-linux.so.2\" inode=8 dev=fe:00 mode=0100755 ouid=0 ogid=0 "
	           "rdev=00:00 nametype=NORMAL"},
	});
	ASSERT_TRUE(decode_audit_event(ev, 100, &d, &why)) << why;
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.exec.uid, 1000u);
	EXPECT_EQ(d.exec.euid, 0u);
	EXPECT_EQ(d.exec.mode, 0104755u);
	EXPECT_EQ(d.exec.inode, 9u);
	EXPECT_EQ(d.tty, "ttyS0");
	EXPECT_EQ(d.key, "");
	EXPECT_EQ(d.exec.flags, uint32_t(kExecHasTty)); // no CWD record: no cwd

	ev = make_event({{1300, std::string("audit(100.000:2): arch=40000003 syscall=120 success=yes exit=300 "
	                                    "a0=20000011 a1=0 a2=0 a3=0 items=0") +
	                            kIds}});
	ASSERT_TRUE(decode_audit_event(ev, 100, &d, &why)) << why;
	ASSERT_EQ(d.kind, AuditEventKind::call);
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::clone));
	EXPECT_EQ(d.call.flags, 0x20000000u);
	EXPECT_EQ(namespaces_text(d.call.new_ns), "pid");
	EXPECT_EQ(d.exec.pid, 0) << "only the call row is filled";

	ev = make_event({{1300, std::string("audit(100.000:3): arch=40000003 syscall=252 a0=1 a1=0 a2=0 a3=0 items=0") + kIds}});
	ASSERT_TRUE(decode_audit_event(ev, 100, &d, &why)) << why;
	EXPECT_EQ(d.kind, AuditEventKind::exit_group);
	EXPECT_EQ(d.exit.status, 0x100u);
	// The x86_64 number 59 is another syscall (olduname) on i386.
	ev = make_event({{1300, std::string("audit(100.000:4): arch=40000003 syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 "
	                                    "a3=0 items=0") +
	                            kIds}});
	ASSERT_TRUE(decode_audit_event(ev, 100, &d, &why)) << why;
	EXPECT_EQ(d.kind, AuditEventKind::other);
}

TEST(AuditDecoder, Aarch64AndS390x) {
	AuditDecoded d;
	std::string why;
	// aarch64: clone is 220, execve 221, unshare 97.
	AuditEvent ev = make_event({{1300, std::string("audit(100.000:1): arch=c00000b7 syscall=97 success=yes exit=0 "
	                                               "a0=40000000 a1=0 a2=0 a3=0 items=0") +
	                                       kIds}});
	ASSERT_TRUE(decode_audit_event(ev, 100, &d, &why)) << why;
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::unshare));
	EXPECT_EQ(namespaces_text(d.call.new_ns), "net");
	// s390x: clone(newsp, flags, ...) - the flags are the second argument.
	ev = make_event({{1300, std::string("audit(100.000:2): arch=80000016 syscall=120 success=yes exit=5 "
	                                    "a0=3ff0000 a1=40000011 a2=0 a3=0 items=0") +
	                            kIds}});
	ASSERT_TRUE(decode_audit_event(ev, 100, &d, &why)) << why;
	EXPECT_EQ(d.call.syscall, int32_t(CloneSyscall::clone));
	EXPECT_EQ(d.call.flags, 0x40000000u);
}

// --- malformed events ----------------------------------------------------------

const std::string kSys = "audit(100.000:7): arch=c000003e syscall=59 success=yes exit=0 a0=0 a1=0 a2=0 a3=0 items=1";
const std::string kPath0 =
    "audit(100.000:7): item=0 name=\"/usr/bin/prog\" inode=9 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00";

std::string refused(const std::vector<std::pair<uint32_t, std::string>>& recs) {
	AuditDecoded d;
	std::string why;
	EXPECT_FALSE(decode_audit_event(make_event(recs), 4096, &d, &why));
	EXPECT_FALSE(why.empty());
	return why;
}

AuditDecoded accepted(const std::vector<std::pair<uint32_t, std::string>>& recs, uint32_t argv_bytes = 4096) {
	AuditDecoded d;
	std::string why;
	EXPECT_TRUE(decode_audit_event(make_event(recs), argv_bytes, &d, &why)) << why;
	return d;
}

TEST(AuditDecoder, MalformedSyscallRecords) {
	EXPECT_NE(refused({{1300, "audit(1.000:1): syscall=59 pid=1"}}).find("arch"), std::string::npos);
	EXPECT_NE(refused({{1300, "audit(1.000:1): arch=c000003e pid=1"}}).find("syscall"), std::string::npos);
	EXPECT_NE(refused({{1300, "audit(1.000:1): arch=c000003e syscall=59 success=yes"}}).find("pid"), std::string::npos);
	refused({{1300, "audit(1.000:1): arch=1c000003e syscall=59 pid=1"}});        // arch over 32 bits
	refused({{1300, "audit(1.000:1): arch=\"c000003e\" syscall=59 pid=1"}});      // quoted
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=-1 pid=1"}});
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=4294967355 pid=1"}});
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=59 pid=4294967296"}});
	EXPECT_NE(refused({{1300, "audit(1.000:1): arch=deadbeef syscall=59 pid=1"}}).find("unknown"), std::string::npos);
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=56 pid=1 uid=0 comm=ABC exe=\"/x\""}}); // odd hex comm
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=56 pid=1 uid=0 exe=XYZ"}});
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=56 pid=1 key=ABC"}});
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=56 success=yes exit=1 pid=1 uid=0"}}); // no a0
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=56 success=yes pid=1 uid=0 a0=0"}});    // no exit
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=56 exit=1 pid=1 a0=0"}});              // no uid
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=231 pid=1"}});                          // no a0
	refused({{1300, kSys + " pid=5"}});                                         // exec without ppid/uid...
	refused({{1300, kSys + " pid=5 ppid=1 uid=0 euid=0 gid=0 egid=4294967296"}});
	refused({{1300, "audit(1.000:1): arch=c000003e syscall=322 success=yes exit=0 pid=5 ppid=1 uid=0 euid=0 gid=0 "
	                "egid=0"}}); // execveat without a0
	EXPECT_NE(refused({{1300, kSys + std::string(kIds)}, {1300, kSys + std::string(kIds)}}).find("two"),
	          std::string::npos);
	// An arch libaudit knows with a syscall number it does not: nothing to decode.
	const AuditDecoded d = accepted({{1300, "audit(1.000:1): arch=c000003e syscall=99999 pid=1 key=\"k\""}});
	EXPECT_EQ(d.kind, AuditEventKind::other);
	EXPECT_EQ(d.key, "k");
	// Records without a SYSCALL: other.
	EXPECT_EQ(accepted({{1309, "audit(1.000:1): argc=1 a0=\"x\""}}).kind, AuditEventKind::other);
	EXPECT_EQ(accepted({}).kind, AuditEventKind::other);
}

std::vector<std::pair<uint32_t, std::string>> exec_with(std::vector<std::string> execve) {
	std::vector<std::pair<uint32_t, std::string>> recs = {{1300, kSys + kIds}};
	for (auto& e : execve) recs.push_back({1309, "audit(100.000:7): " + e});
	recs.push_back({1302, kPath0});
	return recs;
}

TEST(AuditDecoder, ArgumentsContradictingArgc) {
	EXPECT_NE(refused(exec_with({"argc=1 a0=\"x\" a1=\"y\""})).find("more arguments than argc"), std::string::npos);
	EXPECT_NE(refused(exec_with({"argc=3 a0=\"x\" a2=\"z\""})).find("a1 missing"), std::string::npos);
	EXPECT_NE(refused(exec_with({"argc=3 a0=\"x\" a0=\"x\""})).find("a0 repeated"), std::string::npos);
	EXPECT_NE(refused(exec_with({"a0=\"x\" argc=1"})).find("before argc"), std::string::npos);
	EXPECT_NE(refused(exec_with({"argc=1", "argc=1 a0=\"x\""})).find("twice"), std::string::npos);
	EXPECT_NE(refused(exec_with({"a0=\"x\""})).find("before argc"), std::string::npos);
	EXPECT_NE(refused(exec_with({"proctitle=41"})).find("without argc"), std::string::npos);
	refused(exec_with({"argc=x a0=\"x\""}));
	refused(exec_with({"argc=2147483648"}));
	refused(exec_with({"argc=\"1\" a0=\"x\""}));
	refused(exec_with({"argc=1 a0=ABC"}));      // odd hex
	refused(exec_with({"argc=1 a0=GG"}));       // not hex
	refused(exec_with({"argc=1 a0=(null)"}));   // a placeholder is no argument
	refused(exec_with({"argc=2 a0=\"x\" a1_len=4 a1[0]=41 a1[2]=42"}));  // a fragment missing
	refused(exec_with({"argc=2 a0=\"x\" a1_len=4 a1[0]=41 a1[0]=42"}));  // repeated
	refused(exec_with({"argc=2 a0=\"x\" a1[0]=41"}));                    // no a1_len
	refused(exec_with({"argc=2 a0=\"x\" a1_len=4"}));                    // no fragment
	refused(exec_with({"argc=3 a0=\"x\" a1_len=4 a2=\"y\""}));          // no fragment before the next
	refused(exec_with({"argc=2 a0=\"x\" a1_len=x a1[0]=41"}));
	refused(exec_with({"argc=2 a0=\"x\" a1_len=2 a1[0]=4"}));           // odd hex fragment
	refused(exec_with({"argc=3 a0=\"x\" a1_len=2 a1[0]=41 a2[0]=42"})); // fragment of another argument
	refused(exec_with({"argc=2 a0=\"x\" a1_len=2 a1[0]=41 a1_len=2"}));
	// Not argument fields: ignored.
	const AuditDecoded ok = accepted(exec_with({"argc=1 a0=\"x\" a01=\"y\" ab=1 a1x=2 a1[x]=3 a1[]=4 a=5"}));
	EXPECT_EQ(ok.argv, std::string("x\0", 2));
}

TEST(AuditDecoder, MissingArgumentsAreATruncatedCommandLine) {
	// The records after the first were lost (or cut by the reassembler).
	AuditDecoded d = accepted(exec_with({"argc=3 a0=\"x\""}));
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.exec.argc, 3u);
	EXPECT_EQ(d.argv, std::string("x\0", 2));
	EXPECT_TRUE(d.exec.flags & kExecCmdlineTruncated);
	// The last fragment of an argument lost: fewer bytes than aN_len says.
	d = accepted(exec_with({"argc=2 a0=\"x\" a1_len=6 a1[0]=4142"}));
	EXPECT_EQ(d.argv, std::string("x\0AB\0", 5));
	EXPECT_TRUE(d.exec.flags & kExecCmdlineTruncated);
	// More than announced is the user racing strnlen_user(): not a cut.
	d = accepted(exec_with({"argc=2 a0=\"x\" a1_len=2", " a1[0]=4142"}));
	EXPECT_EQ(d.argv, std::string("x\0AB\0", 5));
	EXPECT_FALSE(d.exec.flags & kExecCmdlineTruncated);
	// Quoted fragments count characters.
	d = accepted(exec_with({"argc=2 a0=\"x\" a1_len=4 a1[0]=\"ab\"", " a1[1]=\"cd\""}));
	EXPECT_EQ(d.argv, std::string("x\0abcd\0", 7));
	EXPECT_FALSE(d.exec.flags & kExecCmdlineTruncated);
	// No EXECVE record at all: the exec happened, its arguments are unknown.
	d = accepted({{1300, kSys + kIds}, {1302, kPath0}});
	ASSERT_EQ(d.kind, AuditEventKind::exec);
	EXPECT_EQ(d.exec.argc, 0u);
	EXPECT_TRUE(d.exec.flags & kExecCmdlineTruncated);
	EXPECT_EQ(d.filename, "/usr/bin/prog");
	EXPECT_EQ(d.exec.inode, 9u);
}

TEST(AuditDecoder, PathRecordsAndMarkers) {
	// No PATH record: the file's columns are unknown.
	AuditDecoded d = accepted({{1300, kSys + kIds}, {1309, "audit(100.000:7): argc=0"}});
	EXPECT_TRUE(d.exec.flags & kExecNoFileInfo);
	EXPECT_EQ(d.filename, "");
	// A PATH item without inode (the lookup failed) gives no file columns.
	d = accepted({{1300, kSys + kIds}, {1302, "audit(100.000:7): item=0 name=\"/usr/bin/prog\" nametype=UNKNOWN"}});
	EXPECT_TRUE(d.exec.flags & kExecNoFileInfo);
	EXPECT_EQ(d.filename, "/usr/bin/prog");
	// name=(null): no filename.
	d = accepted({{1300, kSys + kIds},
	              {1302, "audit(100.000:7): item=0 name=(null) inode=9 dev=fe:00 mode=0100755 ouid=0 ogid=0"}});
	EXPECT_EQ(d.filename, "");
	EXPECT_EQ(d.exec.inode, 9u);
	refused({{1300, kSys + kIds}, {1302, "audit(100.000:7): name=\"/x\""}});   // no item
	refused({{1300, kSys + kIds}, {1302, "audit(100.000:7): item=0 name=ABC"}}); // bad hex
	refused({{1300, kSys + kIds}, {1307, "audit(100.000:7): cwd=XYZ"}});
	// d_path's markers: no path, flagged as cut.
	std::string sys = kSys + kIds;
	sys.replace(sys.find("exe=\"/usr/bin/prog\""), 19, "exe=\"<too_long>\"");
	d = accepted({{1300, sys}, {1307, "audit(100.000:7): cwd=\"<no_memory>\""}, {1302, kPath0}});
	EXPECT_EQ(d.path, "");
	EXPECT_EQ(d.cwd, "");
	EXPECT_TRUE(d.exec.flags & kExecPathTruncated);
	EXPECT_FALSE(d.exec.flags & kExecHasCwd);
	// exe=(null) (a task without mm) on an exit_group: no path.
	d = accepted({{1300, "audit(1.000:1): arch=c000003e syscall=231 a0=0 pid=9 comm=\"k\" exe=(null)"}});
	EXPECT_EQ(d.kind, AuditEventKind::exit_group);
	EXPECT_EQ(d.exit.row_flags, 0u);
	EXPECT_EQ(d.path, "");
}

TEST(AuditDecoder, ForgedArgv0DoesNotSelectTheLoader) {
	// A dynamic ELF run through a symlink with argv[0] set to ld.so's name:
	// ld.so is the last item, which rule 2 never picks.
	std::string sys = kSys + kIds;
	sys.replace(sys.find("exe=\"/usr/bin/prog\""), 19, "exe=\"/usr/bin/real\"");
	const AuditDecoded d = accepted({
	    {1300, sys},
	    {1309, "audit(100.000:7): argc=1 a0=\"/lib64/ld-linux-x86-64.so.2\""},
	    {1302, "audit(100.000:7): item=0 name=\"/usr/bin/link\" inode=9 dev=fe:00 mode=0104755 ouid=0 ogid=0"},
	    {1302, "audit(100.000:7): item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=8 dev=fe:00 mode=0100755 ouid=0 "
	           "ogid=0"},
	});
	EXPECT_EQ(d.exec.inode, 9u);
	EXPECT_EQ(d.exec.mode, 0104755u);
}

// A real event with one EXECVE continuation record removed: a fragment is
// missing in the middle, which the decoder refuses.
TEST(AuditDecoder, RealEventWithALostExecveRecord) {
	AuditEvent ev = captured().at(264);
	size_t execve_seen = 0;
	for (auto it = ev.records.begin(); it != ev.records.end(); ++it) {
		if (it->type == 1309 && ++execve_seen == 3) {
			ev.records.erase(it);
			break;
		}
	}
	AuditDecoded d;
	std::string why;
	EXPECT_FALSE(decode_audit_event(ev, 65536, &d, &why));
	EXPECT_NE(why.find("a1[2] missing"), std::string::npos) << why;
	// Its last continuation lost instead: the argument is short, the line cut.
	ev = captured().at(264);
	for (auto it = ev.records.rbegin(); it != ev.records.rend(); ++it) {
		if (it->type == 1309) {
			ev.records.erase(std::next(it).base());
			break;
		}
	}
	ASSERT_TRUE(decode_audit_event(ev, 65536, &d, &why)) << why;
	EXPECT_TRUE(d.exec.flags & kExecCmdlineTruncated);
	EXPECT_LT(d.argv.size(), 20011u);
}

// Real events with records dropped, duplicated, reordered or corrupted: the
// decoder answers every one (ASan/UBSan builds check it reads nothing wrong).
TEST(AuditDecoder, MangledRealEventsNeverCrash) {
	std::mt19937 rng(7);
	size_t refusals = 0, decoded = 0;
	for (const auto& [serial, original] : captured()) {
		for (int round = 0; round < 8; round++) {
			AuditEvent ev = original;
			if (ev.records.empty()) continue;
			switch (rng() % 4) {
			case 0: ev.records.erase(ev.records.begin() + long(rng() % ev.records.size())); break;
			case 1: ev.records.push_back(ev.records[rng() % ev.records.size()]); break;
			case 2: std::shuffle(ev.records.begin(), ev.records.end(), rng); break;
			case 3: {
				AuditRecord& r = ev.records[rng() % ev.records.size()];
				if (r.fields.empty()) break;
				AuditRecord::Field& f = r.fields[rng() % r.fields.size()];
				if (!f.raw.empty()) f.raw[rng() % f.raw.size()] = char(rng() % 256);
				if (rng() % 3 == 0) f.raw.resize(f.raw.size() / 2);
				break;
			}
			}
			AuditDecoded d;
			std::string why;
			if (decode_audit_event(ev, uint32_t(rng() % 20000), &d, &why)) {
				decoded++;
			} else {
				EXPECT_FALSE(why.empty());
				refusals++;
			}
		}
	}
	EXPECT_GT(decoded, 0u);
	EXPECT_GT(refusals, 0u);
}

} // namespace
} // namespace procsql
