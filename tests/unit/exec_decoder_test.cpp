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

// A record with every string and the fields of ABI 2: privileges, the
// executed file's file system and layer, and the allowlisted environment.
struct Record {
	procsql_exec_event ev{};
	std::string path = "/usr/bin/env", filename = "env", cwd = "/tmp", parent = "/usr/bin/bash", tty = "pts1";
	std::string argv = std::string("env\0-i\0", 7);
	std::string env = std::string("LD_PRELOAD=/tmp/x.so\0LD_AUDIT=/a.so\0", 36);

	Record() {
		ev.kind = PROCSQL_EVENT_EXEC;
		ev.pid = ev.tid = 300;
		ev.flags = PROCSQL_EXEC_HAS_TTY | PROCSQL_EXEC_HAS_CWD | PROCSQL_EXEC_HAS_PARENT_PATH;
		ev.argc = 2;
		ev.envc = 31;
		ev.cap_effective = 1ull << 21;
		ev.cap_permitted = 0x1fffeffffffull;
		ev.cap_ambient = 1ull << 10;
		ev.cap_bounding = 0x1ffffdfffffull;
		ev.exe_fs_magic = 0x794c7630; // overlay
		ev.seccomp_mode = 2;
		ev.no_new_privs = 1;
		ev.exe_upper = PROCSQL_LAYER_UPPER;
	}
	std::vector<char> bytes() {
		ev.path_len = uint16_t(path.size());
		ev.filename_len = uint16_t(filename.size());
		ev.cwd_len = uint16_t(cwd.size());
		ev.parent_path_len = uint16_t(parent.size());
		ev.tty_len = uint16_t(tty.size());
		ev.argv_len = uint32_t(argv.size());
		ev.env_len = uint32_t(env.size());
		const std::string strings = path + filename + cwd + parent + tty + argv + env;
		ev.size = uint32_t(sizeof(ev) + strings.size());
		std::vector<char> buf(ev.size);
		std::memcpy(buf.data(), &ev, sizeof(ev));
		std::memcpy(buf.data() + sizeof(ev), strings.data(), strings.size());
		return buf;
	}
};

procsql_exec_event& header(std::vector<char>& buf) { return *reinterpret_cast<procsql_exec_event*>(buf.data()); }

TEST(ExecDecoderAbi2, PrivilegesFileSystemAndEnvironment) {
	BootClock clock;
	Record rec;
	const auto buf = rec.bytes();
	ExecDecodeResult out;
	std::string why;
	ASSERT_TRUE(decode_exec_record(buf.data(), buf.size(), clock, true, &out, &why)) << why;
	const ExecRow& r = out.row;
	EXPECT_EQ(r.cap_effective, 1ull << 21);
	EXPECT_EQ(r.cap_permitted, 0x1fffeffffffull);
	EXPECT_EQ(r.cap_ambient, 1ull << 10);
	EXPECT_EQ(r.cap_bounding, 0x1ffffdfffffull);
	EXPECT_EQ(r.seccomp, uint8_t(ExecSeccomp::filter));
	EXPECT_EQ(r.no_new_privs, 1);
	EXPECT_EQ(r.exe_fs_magic, 0x794c7630u);
	EXPECT_EQ(r.exe_upper, uint8_t(ExecLayer::upper));
	EXPECT_FALSE(r.flags & (kExecNoEnv | kExecEnvOff | kExecEnvTruncated | kExecNoPrivileges | kExecNoExeFs));
	// Each string where it belongs: argv ends where env begins.
	EXPECT_EQ(out.strings[kExecPath], rec.path);
	EXPECT_EQ(out.strings[kExecFilename], rec.filename);
	EXPECT_EQ(out.strings[kExecCwd], rec.cwd);
	EXPECT_EQ(out.strings[kExecParentPath], rec.parent);
	EXPECT_EQ(out.strings[kExecTty], rec.tty);
	EXPECT_EQ(out.strings[kExecArgv], rec.argv);
	EXPECT_EQ(out.strings[kExecEnv], rec.env);
}

TEST(ExecDecoderAbi2, EnvironmentFlags) {
	BootClock clock;
	ExecDecodeResult out;
	std::string why;
	struct Case {
		uint32_t kernel;
		uint32_t row;
	};
	const Case cases[] = {
	    {PROCSQL_EXEC_ENV_TRUNCATED, kExecEnvTruncated},
	    {PROCSQL_EXEC_ENV_UNREADABLE, kExecNoEnv},
	    {PROCSQL_EXEC_ENV_OFF, kExecNoEnv | kExecEnvOff},
	    {PROCSQL_EXEC_ENV_OFF | PROCSQL_EXEC_ENV_TRUNCATED, kExecNoEnv | kExecEnvOff | kExecEnvTruncated},
	};
	for (const Case& c : cases) {
		Record rec;
		rec.ev.flags |= c.kernel;
		if (c.kernel & (PROCSQL_EXEC_ENV_OFF | PROCSQL_EXEC_ENV_UNREADABLE)) {
			rec.env.clear();
		}
		const auto buf = rec.bytes();
		ASSERT_TRUE(decode_exec_record(buf.data(), buf.size(), clock, true, &out, &why)) << why;
		EXPECT_EQ(out.row.flags & (kExecNoEnv | kExecEnvOff | kExecEnvTruncated), c.row) << std::hex << c.kernel;
	}
}

TEST(ExecDecoderAbi2, OddValuesAreNormalised) {
	BootClock clock;
	ExecDecodeResult out;
	std::string why;
	Record rec;
	rec.ev.no_new_privs = 7;              // any non-zero byte is set
	rec.ev.exe_upper = 9;                 // a layer this build does not know
	rec.ev.seccomp_mode = 0;
	rec.ev.flags |= PROCSQL_EXEC_NO_SECCOMP; // a kernel without seccomp reads disabled
	auto buf = rec.bytes();
	ASSERT_TRUE(decode_exec_record(buf.data(), buf.size(), clock, true, &out, &why)) << why;
	EXPECT_EQ(out.row.no_new_privs, 1);
	EXPECT_EQ(out.row.exe_upper, uint8_t(ExecLayer::unknown));
	EXPECT_EQ(out.row.seccomp, uint8_t(ExecSeccomp::disabled));
	EXPECT_STREQ(exec_seccomp_name(out.row.seccomp), "disabled");
	EXPECT_EQ(exec_seccomp_name(3), nullptr);
	rec.ev.exe_upper = PROCSQL_LAYER_UNKNOWN;
	buf = rec.bytes();
	ASSERT_TRUE(decode_exec_record(buf.data(), buf.size(), clock, true, &out, &why)) << why;
	EXPECT_EQ(out.row.exe_upper, uint8_t(ExecLayer::unknown));
	rec.ev.exe_upper = PROCSQL_LAYER_NOT_UPPER;
	buf = rec.bytes();
	ASSERT_TRUE(decode_exec_record(buf.data(), buf.size(), clock, true, &out, &why)) << why;
	EXPECT_EQ(out.row.exe_upper, uint8_t(ExecLayer::not_upper));
}

// env_len counts in the size check: a record whose lengths, env_len
// included, do not add up to its size is refused, never read past.
TEST(ExecDecoderAbi2, EnvLengthIsAccounted) {
	BootClock clock;
	ExecDecodeResult out;
	std::string why;
	Record rec;
	const auto good = rec.bytes();
	ASSERT_TRUE(decode_exec_record(good.data(), good.size(), clock, true, &out, &why)) << why;

	auto bad = good;
	header(bad).env_len = 0; // the env bytes would be left over
	EXPECT_FALSE(decode_exec_record(bad.data(), bad.size(), clock, true, &out, &why));
	EXPECT_EQ(why, "record lengths do not add up to its size");
	bad = good;
	header(bad).env_len += 1; // one byte past the end
	EXPECT_FALSE(decode_exec_record(bad.data(), bad.size(), clock, true, &out, &why));
	EXPECT_EQ(why, "record lengths do not add up to its size");
	bad = good;
	header(bad).env_len = UINT32_MAX; // a sum that would wrap in 32 bits
	EXPECT_FALSE(decode_exec_record(bad.data(), bad.size(), clock, true, &out, &why));
	bad = good;
	header(bad).env_len -= 4; // moved to argv: still adds up, and is decoded as such
	header(bad).argv_len += 4;
	ASSERT_TRUE(decode_exec_record(bad.data(), bad.size(), clock, true, &out, &why)) << why;
	EXPECT_EQ(out.strings[kExecArgv].size(), rec.argv.size() + 4);
	EXPECT_EQ(out.strings[kExecEnv].size(), rec.env.size() - 4);
	// Each prefix of the record is refused.
	for (size_t n = 0; n < good.size(); n++) {
		EXPECT_FALSE(decode_exec_record(good.data(), n, clock, true, &out, &why)) << n;
	}
	// Longer than the ABI allows, though the record holds it all.
	Record big;
	big.env = std::string(PROCSQL_ENV_MAX + 1, 'x');
	const auto huge = big.bytes();
	EXPECT_FALSE(decode_exec_record(huge.data(), huge.size(), clock, true, &out, &why));
	EXPECT_EQ(why, "record field longer than the ABI allows");
	big.env = "A=" + std::string(PROCSQL_ENV_MAX - 3, 'x') + '\0';
	const auto largest = big.bytes();
	EXPECT_TRUE(decode_exec_record(largest.data(), largest.size(), clock, true, &out, &why)) << why;
	EXPECT_EQ(out.strings[kExecEnv].size(), size_t(PROCSQL_ENV_MAX));
}

} // namespace
} // namespace procsql
