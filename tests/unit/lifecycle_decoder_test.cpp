// Decoding of clone and exit records: names, and refusal of malformed
// records (counted by the source, never read past their end).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "event_abi.h"
#include "sources/bpf/lifecycle_decoder.h"

namespace procsql {
namespace {

std::vector<char> clone_record(const std::string& path) {
	procsql_clone_event ev{};
	ev.kind = PROCSQL_EVENT_CLONE;
	ev.size = uint32_t(sizeof(ev) + path.size());
	ev.ktime_boot_ns = 5000000000ULL;
	ev.flags = 0x20000000ULL | 0x00020000ULL; // CLONE_NEWPID|CLONE_NEWNS
	ev.pid = 10;
	ev.tid = 11;
	ev.child_pid = 12;
	ev.child_tid = 12;
	ev.child_start_boot_ns = 4000000000ULL;
	ev.result = 1;
	ev.syscall = PROCSQL_CALL_CLONE3;
	ev.new_ns = (1u << PROCSQL_NS_MNT) | (1u << PROCSQL_NS_PID);
	ev.lc_flags = PROCSQL_LC_HAS_CHILD | PROCSQL_LC_HAS_PATH;
	ev.path_len = uint16_t(path.size());
	std::memcpy(ev.comm, "runc:[0:PARENT]", 16);
	std::vector<char> buf(sizeof(ev) + path.size());
	std::memcpy(buf.data(), &ev, sizeof(ev));
	std::memcpy(buf.data() + sizeof(ev), path.data(), path.size());
	return buf;
}

TEST(LifecycleText, CloneFlagNames) {
	EXPECT_EQ(clone_flags_text(0), "");
	EXPECT_EQ(clone_flags_text(0x20000000ULL | 0x00020000ULL | 0x40000000ULL),
	          "CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET");
	EXPECT_EQ(clone_flags_text(0x00004000ULL | 0x00000100ULL), "CLONE_VM|CLONE_VFORK");
	EXPECT_EQ(clone_flags_text(0x80ULL), "CLONE_NEWTIME");
	// Bits without a name are kept, as one hex number.
	EXPECT_EQ(clone_flags_text(0x00010000ULL | (1ULL << 40)), "CLONE_THREAD|0x10000000000");
}

TEST(LifecycleText, NamespaceNames) {
	EXPECT_EQ(namespaces_text(0), "");
	EXPECT_EQ(namespaces_text(0xff), "mnt,uts,ipc,user,pid,net,cgroup,time");
	EXPECT_EQ(namespaces_text((1u << PROCSQL_NS_NET) | (1u << PROCSQL_NS_MNT)), "mnt,net");
}

TEST(LifecycleDecoder, CloneRecordDecodes) {
	BootClock clock;
	const auto buf = clone_record("/usr/sbin/runc");
	CloneDecodeResult out;
	std::string why;
	ASSERT_TRUE(decode_clone_record(buf.data(), buf.size(), clock, &out, &why)) << why;
	EXPECT_EQ(out.row.pid, 10);
	EXPECT_EQ(out.row.child_pid, 12);
	EXPECT_EQ(out.row.syscall, int32_t(CloneSyscall::clone3));
	EXPECT_EQ(out.row.child_start_time, clock.to_unix_ns(4000000000ULL));
	EXPECT_EQ(out.strings[kClonePath], "/usr/sbin/runc");
	EXPECT_EQ(namespaces_text(out.row.new_ns), "mnt,pid");
}

TEST(LifecycleDecoder, MalformedRecordsAreRefused) {
	BootClock clock;
	auto good = clone_record("/bin/x");
	std::string why;
	CloneDecodeResult out;
	// Every truncation is refused.
	for (size_t n = 0; n < good.size(); n++) {
		EXPECT_FALSE(decode_clone_record(good.data(), n, clock, &out, &why)) << n;
	}
	// A path length that points past the record.
	auto bad = good;
	reinterpret_cast<procsql_clone_event*>(bad.data())->path_len = 4000;
	EXPECT_FALSE(decode_clone_record(bad.data(), bad.size(), clock, &out, &why));
	// An unknown syscall.
	bad = good;
	reinterpret_cast<procsql_clone_event*>(bad.data())->syscall = 99;
	EXPECT_FALSE(decode_clone_record(bad.data(), bad.size(), clock, &out, &why));
	// Random bytes never decode as an exit or clone record by accident, and never crash.
	std::mt19937 rng(3);
	for (int i = 0; i < 20000; i++) {
		std::vector<char> noise(rng() % 200);
		for (char& c : noise) c = char(rng());
		ExitDecodeResult exit_out;
		decode_exit_record(noise.data(), noise.size(), clock, &exit_out, &why);
		decode_clone_record(noise.data(), noise.size(), clock, &out, &why);
	}
}

TEST(LifecycleDecoder, ExitRecordDecodes) {
	BootClock clock;
	procsql_exit_event ev{};
	ev.kind = PROCSQL_EVENT_EXIT;
	ev.size = sizeof(ev);
	ev.pid = 42;
	ev.status = 0x8b; // SIGSEGV with a core
	ExitDecodeResult out;
	std::string why;
	ASSERT_TRUE(decode_exit_record(&ev, sizeof(ev), clock, &out, &why)) << why;
	EXPECT_EQ(out.row.pid, 42);
	EXPECT_EQ(out.row.status, 0x8bu);
	EXPECT_TRUE(out.strings[kExitPath].empty());
	ev.size = sizeof(ev) + 1;
	EXPECT_FALSE(decode_exit_record(&ev, sizeof(ev), clock, &out, &why));
}

} // namespace
} // namespace procsql
