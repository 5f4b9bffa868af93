// Decoding of exec records: fields and flags carried over, NULL markers, and
// refusal of malformed records (counted by the source, never read past).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "event_abi.h"
#include "sources/bpf/exec_decoder.h"

namespace procsql {
namespace {

std::vector<char> exec_record(uint32_t flags, const std::string& path, const std::string& argv) {
	procsql_exec_event ev{};
	ev.kind = PROCSQL_EVENT_EXEC;
	ev.pid = 100;
	ev.tid = 101;
	ev.loginuid = UINT32_MAX; // unset
	ev.sessionid = 7;
	ev.flags = flags | PROCSQL_EXEC_HAS_LOGINUID;
	ev.argc = 9;
	ev.path_len = uint16_t(path.size());
	ev.argv_len = uint32_t(argv.size());
	ev.size = uint32_t(sizeof(ev) + path.size() + argv.size());
	std::vector<char> buf(ev.size);
	std::memcpy(buf.data(), &ev, sizeof(ev));
	std::memcpy(buf.data() + sizeof(ev), path.data(), path.size());
	std::memcpy(buf.data() + sizeof(ev) + path.size(), argv.data(), argv.size());
	return buf;
}

TEST(ExecDecoder, FieldsAndNullMarkers) {
	BootClock clock;
	const std::string argv("ls\0-l\0", 6);
	const auto buf = exec_record(PROCSQL_EXEC_VIA_EXECVEAT | PROCSQL_EXEC_CWD_TRUNCATED, "/usr/bin/ls", argv);
	ExecDecodeResult out;
	std::string why;
	ASSERT_TRUE(decode_exec_record(buf.data(), buf.size(), clock, true, &out, &why)) << why;
	EXPECT_EQ(out.row.pid, 100);
	EXPECT_EQ(out.row.tid, 101);
	EXPECT_EQ(out.row.argc, 9u);
	EXPECT_EQ(out.strings[kExecPath], "/usr/bin/ls");
	EXPECT_EQ(out.strings[kExecArgv], argv);
	EXPECT_EQ(ExecSyscall(out.row.syscall), ExecSyscall::execveat);
	EXPECT_FALSE(out.row.flags & kExecHasAuid);   // loginuid unset: NULL
	EXPECT_TRUE(out.row.flags & kExecHasSession); // session 7
	EXPECT_TRUE(out.row.flags & kExecPathTruncated); // any walked path incomplete
	EXPECT_TRUE(out.path_incomplete);
}

TEST(ExecDecoder, SyscallUnknownWithoutTheHook) {
	BootClock clock;
	const auto buf = exec_record(0, "/bin/x", "");
	ExecDecodeResult out;
	std::string why;
	ASSERT_TRUE(decode_exec_record(buf.data(), buf.size(), clock, true, &out, &why));
	EXPECT_EQ(ExecSyscall(out.row.syscall), ExecSyscall::execve);
	ASSERT_TRUE(decode_exec_record(buf.data(), buf.size(), clock, false, &out, &why));
	EXPECT_EQ(ExecSyscall(out.row.syscall), ExecSyscall::unknown);
}

TEST(ExecDecoder, MalformedRecordsAreRefused) {
	BootClock clock;
	const auto good = exec_record(0, "/usr/bin/true", std::string("true\0", 5));
	ExecDecodeResult out;
	std::string why;
	for (size_t n = 0; n < good.size(); n++) {
		EXPECT_FALSE(decode_exec_record(good.data(), n, clock, true, &out, &why)) << n;
	}
	auto bad = good;
	reinterpret_cast<procsql_exec_event*>(bad.data())->argv_len = 1u << 30; // lengths beyond the record
	EXPECT_FALSE(decode_exec_record(bad.data(), bad.size(), clock, true, &out, &why));
	bad = good;
	reinterpret_cast<procsql_exec_event*>(bad.data())->kind = PROCSQL_EVENT_CLONE;
	EXPECT_FALSE(decode_exec_record(bad.data(), bad.size(), clock, true, &out, &why));
	std::mt19937 rng(5);
	for (int i = 0; i < 20000; i++) {
		std::vector<char> noise(rng() % 400);
		for (char& c : noise) c = char(rng());
		decode_exec_record(noise.data(), noise.size(), clock, true, &out, &why); // must not crash
	}
}

} // namespace
} // namespace procsql
