// Decoding failed-exec records (bpf/exec_failure.bpf.h): fields and flags
// carried over, NULL markers, the name of an execveat relative to a
// descriptor, and refusal of malformed records (counted by the source, never
// read past).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "event_abi.h"
#include "sources/bpf/exec_failure_decoder.h"

namespace procsql {
namespace {

struct Strings {
	std::string path = "/usr/bin/python3.11", filename = "./missing", cwd = "/tmp", tty = "pts3";
	std::string argv = std::string("missing\0--x\0", 12);
};

std::vector<char> failure_record(uint32_t flags, const Strings& s = Strings(), uint32_t syscall = PROCSQL_EXEC_CALL_EXECVE,
                                 int32_t dirfd = -100, int32_t result = -2) {
	procsql_exec_failure_event ev{};
	ev.kind = PROCSQL_EVENT_EXEC_FAILURE;
	ev.pid = 100;
	ev.tid = 101;
	ev.ppid = 1;
	ev.uid = 1000;
	ev.euid = 0;
	ev.loginuid = 1000;
	ev.cgroup_id = 77;
	ev.result = result;
	ev.dirfd = dirfd;
	ev.syscall = syscall;
	ev.argc = 2;
	ev.flags = flags;
	std::memcpy(ev.comm, "python3", 8);
	ev.path_len = uint16_t(s.path.size());
	ev.filename_len = uint16_t(s.filename.size());
	ev.cwd_len = uint16_t(s.cwd.size());
	ev.tty_len = uint16_t(s.tty.size());
	ev.argv_len = uint32_t(s.argv.size());
	const std::string strings = s.path + s.filename + s.cwd + s.tty + s.argv;
	ev.size = uint32_t(sizeof(ev) + strings.size());
	std::vector<char> buf(ev.size);
	std::memcpy(buf.data(), &ev, sizeof(ev));
	std::memcpy(buf.data() + sizeof(ev), strings.data(), strings.size());
	return buf;
}

constexpr uint32_t kAllThere = PROCSQL_EXEC_HAS_PATH | PROCSQL_EXEC_HAS_FILENAME | PROCSQL_EXEC_HAS_ARGV |
                               PROCSQL_EXEC_HAS_CWD | PROCSQL_EXEC_HAS_TTY | PROCSQL_EXEC_HAS_LOGINUID;

TEST(ExecFailureDecoder, FieldsAndStrings) {
	BootClock clock;
	const auto buf = failure_record(kAllThere);
	ExecFailureDecodeResult out;
	std::string why;
	ASSERT_TRUE(decode_exec_failure_record(buf.data(), buf.size(), clock, &out, &why)) << why;
	const ExecFailureRow& r = out.row;
	EXPECT_EQ(r.pid, 100);
	EXPECT_EQ(r.tid, 101);
	EXPECT_EQ(r.parent, 1);
	EXPECT_EQ(r.uid, 1000u);
	EXPECT_EQ(r.euid, 0u);
	EXPECT_EQ(r.auid, 1000u);
	EXPECT_EQ(r.cgroup_id, 77u);
	EXPECT_EQ(r.result, -2);
	EXPECT_EQ(r.argc, 2u);
	EXPECT_EQ(ExecSyscall(r.syscall), ExecSyscall::execve);
	EXPECT_STREQ(r.comm, "python3");
	EXPECT_EQ(out.strings[kFailPath], "/usr/bin/python3.11");
	EXPECT_EQ(out.strings[kFailFilename], "./missing");
	EXPECT_EQ(out.strings[kFailCwd], "/tmp");
	EXPECT_EQ(out.strings[kFailTty], "pts3");
	EXPECT_EQ(out.strings[kFailArgv], std::string("missing\0--x\0", 12));
	const uint32_t want = kFailHasPath | kFailHasFilename | kFailHasArgv | kFailHasArgc | kFailHasCwd | kFailHasTty |
	                      kFailHasAuid;
	EXPECT_EQ(r.flags, want);
	EXPECT_FALSE(out.path_incomplete);
	EXPECT_FALSE(out.argv_truncated);
	EXPECT_STREQ(errno_name(-r.result), "ENOENT");
}

TEST(ExecFailureDecoder, NullMarkers) {
	BootClock clock;
	ExecFailureDecodeResult out;
	std::string why;
	// No mark: neither name nor arguments, argc unknown; loginuid unset.
	Strings none;
	none.filename.clear();
	none.argv.clear();
	none.tty.clear();
	auto buf = failure_record(PROCSQL_EXEC_HAS_PATH | PROCSQL_EXEC_HAS_CWD | PROCSQL_EXEC_HAS_LOGINUID |
	                              PROCSQL_EXEC_NO_MARK | PROCSQL_EXEC_ARGC_UNKNOWN,
	                          none);
	reinterpret_cast<procsql_exec_failure_event*>(buf.data())->loginuid = UINT32_MAX;
	ASSERT_TRUE(decode_exec_failure_record(buf.data(), buf.size(), clock, &out, &why)) << why;
	EXPECT_FALSE(out.row.flags & (kFailHasFilename | kFailHasArgv | kFailHasArgc | kFailHasTty | kFailHasAuid));
	EXPECT_TRUE(out.row.flags & kFailCmdlineTruncated);
	EXPECT_TRUE(out.argv_truncated);

	// argv cut at the bound: the prefix kept, argc still the true count.
	buf = failure_record(kAllThere | PROCSQL_EXEC_ARGV_TRUNCATED);
	ASSERT_TRUE(decode_exec_failure_record(buf.data(), buf.size(), clock, &out, &why)) << why;
	EXPECT_TRUE(out.row.flags & kFailHasArgv);
	EXPECT_TRUE(out.row.flags & kFailHasArgc);
	EXPECT_TRUE(out.row.flags & kFailCmdlineTruncated);

	// A pointer that could not be read: what was read stays, argc unknown.
	buf = failure_record(kAllThere | PROCSQL_EXEC_ARGV_UNREADABLE | PROCSQL_EXEC_ARGC_UNKNOWN);
	ASSERT_TRUE(decode_exec_failure_record(buf.data(), buf.size(), clock, &out, &why)) << why;
	EXPECT_TRUE(out.row.flags & kFailHasArgv);
	EXPECT_FALSE(out.row.flags & kFailHasArgc);
	EXPECT_TRUE(out.row.flags & kFailCmdlineTruncated);

	// Any walked path or the name cut: one flag, counted as paths_truncated.
	for (uint32_t f : {PROCSQL_EXEC_PATH_TRUNCATED, PROCSQL_EXEC_CWD_TRUNCATED, PROCSQL_EXEC_FILENAME_TRUNCATED}) {
		buf = failure_record(kAllThere | f);
		ASSERT_TRUE(decode_exec_failure_record(buf.data(), buf.size(), clock, &out, &why)) << why;
		EXPECT_TRUE(out.row.flags & kFailPathTruncated) << f;
		EXPECT_TRUE(out.path_incomplete) << f;
	}
}

TEST(ExecFailureDecoder, ExecveatRelativeToADescriptor) {
	BootClock clock;
	ExecFailureDecodeResult out;
	std::string why;
	Strings s;
	s.filename = "tool";
	auto buf = failure_record(kAllThere, s, PROCSQL_EXEC_CALL_EXECVEAT, 7, -13);
	ASSERT_TRUE(decode_exec_failure_record(buf.data(), buf.size(), clock, &out, &why)) << why;
	EXPECT_EQ(ExecSyscall(out.row.syscall), ExecSyscall::execveat);
	EXPECT_EQ(out.strings[kFailFilename], "/dev/fd/7/tool");
	EXPECT_STREQ(errno_name(-out.row.result), "EACCES");
	// fexecve: an empty name with AT_EMPTY_PATH.
	s.filename.clear();
	buf = failure_record(kAllThere, s, PROCSQL_EXEC_CALL_EXECVEAT, 9, -8);
	ASSERT_TRUE(decode_exec_failure_record(buf.data(), buf.size(), clock, &out, &why)) << why;
	EXPECT_EQ(out.strings[kFailFilename], "/dev/fd/9");
	// An absolute name ignores the descriptor; AT_FDCWD names it as given.
	s.filename = "/bin/x";
	buf = failure_record(kAllThere, s, PROCSQL_EXEC_CALL_EXECVEAT, 9);
	ASSERT_TRUE(decode_exec_failure_record(buf.data(), buf.size(), clock, &out, &why)) << why;
	EXPECT_EQ(out.strings[kFailFilename], "/bin/x");
	s.filename = "rel";
	buf = failure_record(kAllThere, s, PROCSQL_EXEC_CALL_EXECVEAT, -100);
	ASSERT_TRUE(decode_exec_failure_record(buf.data(), buf.size(), clock, &out, &why)) << why;
	EXPECT_EQ(out.strings[kFailFilename], "rel");
}

TEST(ExecFailureDecoder, ErrnoNames) {
	EXPECT_STREQ(errno_name(2), "ENOENT");
	EXPECT_STREQ(errno_name(7), "E2BIG");
	EXPECT_STREQ(errno_name(8), "ENOEXEC");
	EXPECT_STREQ(errno_name(13), "EACCES");
	EXPECT_STREQ(errno_name(26), "ETXTBSY");
	EXPECT_STREQ(errno_name(11), "EAGAIN");
	EXPECT_EQ(errno_name(0), nullptr);
	EXPECT_EQ(errno_name(-2), nullptr);
	EXPECT_EQ(errno_name(4095), nullptr);
}

TEST(ExecFailureDecoder, MalformedRecordsAreRefused) {
	BootClock clock;
	const auto good = failure_record(kAllThere);
	ExecFailureDecodeResult out;
	std::string why;
	for (size_t n = 0; n < good.size(); n++) {
		EXPECT_FALSE(decode_exec_failure_record(good.data(), n, clock, &out, &why)) << n;
	}
	auto bad = good;
	reinterpret_cast<procsql_exec_failure_event*>(bad.data())->argv_len = 1u << 30;
	EXPECT_FALSE(decode_exec_failure_record(bad.data(), bad.size(), clock, &out, &why));
	bad = good;
	reinterpret_cast<procsql_exec_failure_event*>(bad.data())->kind = PROCSQL_EVENT_EXEC;
	EXPECT_FALSE(decode_exec_failure_record(bad.data(), bad.size(), clock, &out, &why));
	bad = good;
	reinterpret_cast<procsql_exec_failure_event*>(bad.data())->result = 0; // not a failure
	EXPECT_FALSE(decode_exec_failure_record(bad.data(), bad.size(), clock, &out, &why));
	bad = good;
	reinterpret_cast<procsql_exec_failure_event*>(bad.data())->syscall = 3;
	EXPECT_FALSE(decode_exec_failure_record(bad.data(), bad.size(), clock, &out, &why));
	std::mt19937 rng(9);
	for (int i = 0; i < 20000; i++) {
		std::vector<char> noise(rng() % 400);
		for (char& c : noise) c = char(rng());
		if (noise.size() >= sizeof(uint32_t) && rng() % 2) {
			const uint32_t kind = PROCSQL_EVENT_EXEC_FAILURE;
			std::memcpy(noise.data(), &kind, sizeof(kind));
		}
		decode_exec_failure_record(noise.data(), noise.size(), clock, &out, &why); // must not crash
	}
}

} // namespace
} // namespace procsql
