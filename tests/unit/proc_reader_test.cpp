// ProcReader against the real /proc: what the audit source reads of a
// process the moment the connector names it.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sources/audit/proc_reader.h"
#include "containers/container_map.h"

namespace procsql {
namespace {

uint64_t inode_of(const std::string& path) {
	struct stat st {};
	EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
	return st.st_ino;
}

TEST(ProcReader, ReadsItsOwnProcess) {
	const std::string root = find_cgroup2_root();
	ProcReader reader(root);
	const ProcInfo info = reader.read(getpid());
	ASSERT_TRUE(info.alive);
	EXPECT_EQ(info.parent, getppid());
	EXPECT_EQ(info.ns[0], inode_of("/proc/self/ns/mnt"));
	EXPECT_EQ(info.ns[4], inode_of("/proc/self/ns/pid"));
	EXPECT_EQ(info.ns[5], inode_of("/proc/self/ns/net"));
	EXPECT_EQ(info.ns_pid, getpid()); // the host pid namespace
	EXPECT_EQ(info.uid, getuid());
	uint64_t ticks = 0;
	ASSERT_TRUE(reader.start_ticks(getpid(), &ticks));
	EXPECT_EQ(ticks, info.start_ticks);
	if (!root.empty()) {
		ASSERT_TRUE(info.has_cgroup);
		std::ifstream f("/proc/self/cgroup");
		std::string line, path;
		while (std::getline(f, line)) {
			if (line.rfind("0::", 0) == 0) {
				path = line.substr(3);
			}
		}
		EXPECT_EQ(info.cgroup_path, path);
		EXPECT_EQ(info.cgroup_id, inode_of(root + path));
	}
	std::string exe, comm;
	ASSERT_TRUE(reader.link(getpid(), "exe", &exe));
	EXPECT_EQ(exe[0], '/');
	ASSERT_TRUE(reader.comm(getpid(), &comm));
	EXPECT_FALSE(comm.empty());
	EXPECT_NE(comm.back(), '\n');
}

// The comm is the one field of /proc/PID/stat that can hold spaces and
// parentheses: the fields after it must still be found.
TEST(ProcReader, CommWithParenthesesAndSpaces) {
	int ready[2];
	ASSERT_EQ(pipe(ready), 0);
	const pid_t child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		prctl(PR_SET_NAME, "a) (b c) 7 8", 0, 0, 0);
		char x = 1;
		(void)!write(ready[1], &x, 1);
		pause();
		_exit(0);
	}
	char x;
	ASSERT_EQ(read(ready[0], &x, 1), 1);
	ProcReader reader(find_cgroup2_root());
	const ProcInfo info = reader.read(child);
	EXPECT_TRUE(info.alive);
	EXPECT_EQ(info.parent, getpid());
	uint64_t mine = 0;
	ASSERT_TRUE(reader.start_ticks(getpid(), &mine));
	EXPECT_GE(info.start_ticks, mine);
	std::string comm;
	ASSERT_TRUE(reader.comm(child, &comm));
	EXPECT_EQ(comm, "a) (b c) 7 8");
	kill(child, SIGKILL);
	waitpid(child, nullptr, 0);
	// Reaped: nothing is known and nothing is guessed.
	const ProcInfo gone = reader.read(child);
	EXPECT_FALSE(gone.alive);
	EXPECT_FALSE(gone.has_cgroup);
	std::string exe;
	EXPECT_FALSE(reader.link(child, "exe", &exe));
	close(ready[0]);
	close(ready[1]);
}

TEST(ProcReader, PidsListsThisProcess) {
	ProcReader reader("");
	const std::vector<int32_t> pids = reader.pids();
	EXPECT_NE(std::find(pids.begin(), pids.end(), getpid()), pids.end());
	EXPECT_NE(std::find(pids.begin(), pids.end(), 1), pids.end());
}

TEST(ProcReader, TicksToUnixMatchesTheBootClock) {
	ProcReader reader("");
	BootClock clock;
	const long hz = sysconf(_SC_CLK_TCK);
	EXPECT_EQ(reader.ticks_to_unix_ns(0, clock), clock.to_unix_ns(0));
	EXPECT_EQ(reader.ticks_to_unix_ns(uint64_t(hz) * 3 + 1, clock), clock.to_unix_ns(3000000000ull + 1000000000ull / hz));
}

TEST(TtyFromDevice, KernelNames) {
	EXPECT_EQ(tty_from_device(0), "");
	EXPECT_EQ(tty_from_device(makedev(136, 3)), "pts3");
	EXPECT_EQ(tty_from_device(makedev(137, 1)), "pts257");
	EXPECT_EQ(tty_from_device(makedev(4, 1)), "tty1");
	EXPECT_EQ(tty_from_device(makedev(4, 64)), "ttyS0");
	EXPECT_EQ(tty_from_device(makedev(5, 1)), "console");
	EXPECT_EQ(tty_from_device(makedev(200, 1)), ""); // no well-known name: none guessed
}

// ---- /proc/PID/status: privileges --------------------------------------------

// A status as kernel 6.x writes it (trimmed of the lines nothing reads).
const char kStatus[] =
    "Name:\tsleep\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t4242\n"
    "Pid:\t4242\n"
    "PPid:\t1\n"
    "Uid:\t1000\t0\t0\t0\n"
    "Gid:\t1000\t1000\t1000\t1000\n"
    "NStgid:\t4242\t7\n"
    "NSpid:\t4242\t7\n"
    "SigCgt:\t0000000000000000\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\n"
    "CapEff:\t0000000000200000\n"
    "CapBnd:\t000001ffffdfffff\n"
    "CapAmb:\t0000000000000400\n"
    "NoNewPrivs:\t1\n"
    "Seccomp:\t2\n"
    "Seccomp_filters:\t3\n"
    "Speculation_Store_Bypass:\tthread vulnerable\n"
    "Cpus_allowed_list:\t0-1\n";

ProcInfo parsed(const std::string& text) {
	ProcInfo info;
	parse_proc_status(text, &info);
	return info;
}

// `text` with the line of `key` replaced by `line` ("" removes it).
std::string with_line(const std::string& key, const std::string& line) {
	std::string text = kStatus;
	const size_t at = text.find("\n" + key + ":") + 1;
	const size_t end = text.find('\n', at) + 1;
	return text.substr(0, at) + line + text.substr(end);
}

TEST(ProcStatus, AllFields) {
	const ProcInfo info = parsed(kStatus);
	EXPECT_EQ(info.ns_pid, 7); // the last NSpid entry
	EXPECT_TRUE(info.has_uid);
	EXPECT_EQ(info.uid, 1000u); // the real uid, the first of four
	const ProcPrivileges& p = info.privileges;
	ASSERT_TRUE(p.known);
	EXPECT_EQ(p.cap_permitted, 0x000001fffeffffffull);
	EXPECT_EQ(p.cap_effective, 1ull << 21);
	EXPECT_EQ(p.cap_bounding, 0x000001ffffdfffffull);
	EXPECT_EQ(p.cap_ambient, 1ull << 10);
	EXPECT_EQ(p.no_new_privs, 1);
	EXPECT_EQ(p.seccomp, 2); // "Seccomp_filters:" is another line
}

TEST(ProcStatus, EveryPrivilegeLineIsNeeded) {
	for (const char* key : {"CapEff", "CapPrm", "CapAmb", "CapBnd", "NoNewPrivs", "Seccomp"}) {
		const ProcInfo info = parsed(with_line(key, ""));
		EXPECT_FALSE(info.privileges.known) << key << " missing";
		EXPECT_EQ(info.privileges.cap_effective, 0u) << "nothing half-known is kept";
		EXPECT_EQ(info.privileges.no_new_privs, 0);
		EXPECT_EQ(info.ns_pid, 7) << "the other fields do not depend on it";
		EXPECT_TRUE(info.has_uid);
	}
	// A kernel without seccomp has no "Seccomp:" line, though "Seccomp_filters:" would stay.
	EXPECT_FALSE(parsed(with_line("Seccomp", "Seccomp_x:\t0\n")).privileges.known);
}

TEST(ProcStatus, MalformedValuesAreNotKnown) {
	const std::vector<std::pair<std::string, std::string>> bad = {
	    {"CapEff", "CapEff:\t\n"},
	    {"CapEff", "CapEff:\t00000000002g0000\n"},
	    {"CapEff", "CapEff:\t0x0000000000200000\n"},
	    {"CapEff", "CapEff:\t10000000000200000\n"}, // 17 digits
	    {"CapEff", "CapEff:\t-000000000200000\n"},
	    {"CapEff", "CapEff:\t0000000000200000 1\n"},
	    {"CapPrm", "CapPrm\t000001fffeffffff\n"}, // no colon
	    {"CapAmb", "CapAmb:\n"},
	    {"CapBnd", "CapBnd:\t000001ffff dfffff\n"},
	    {"NoNewPrivs", "NoNewPrivs:\t2\n"},
	    {"NoNewPrivs", "NoNewPrivs:\t01\n"},
	    {"NoNewPrivs", "NoNewPrivs:\tyes\n"},
	    {"Seccomp", "Seccomp:\t3\n"},
	    {"Seccomp", "Seccomp:\t-1\n"},
	    {"Seccomp", "Seccomp:\t10\n"},
	    {"Seccomp", "Seccomp:\t\n"},
	};
	for (const auto& [key, line] : bad) {
		EXPECT_FALSE(parsed(with_line(key, line)).privileges.known) << line;
	}
	// The first line of a key counts: a later one, well formed or not, changes nothing.
	EXPECT_TRUE(parsed(std::string(kStatus) + "CapEff:\tzz\n").privileges.known);
	EXPECT_EQ(parsed(std::string(kStatus) + "CapEff:\t0000000000000001\n").privileges.cap_effective, 1ull << 21);
	EXPECT_FALSE(parsed(with_line("CapEff", "CapEff:\tzz\nCapEff:\t0000000000000001\n")).privileges.known);
}

TEST(ProcStatus, SpacingAndShortValues) {
	// Spaces or tabs around the value, fewer than 16 digits, upper case, a
	// last line without its newline: all still the kernel's numbers.
	std::string text = with_line("CapEff", "CapEff:   200000  \n");
	text = text.substr(0, text.size() - 1); // no final newline
	text += "\nCapAmb_:\tff"; // a key that only starts like one
	ProcInfo info = parsed(with_line("CapBnd", "CapBnd:\t1FFFFDFFFFF\n"));
	EXPECT_TRUE(info.privileges.known);
	EXPECT_EQ(info.privileges.cap_bounding, 0x1ffffdfffffull);
	info = parsed(text);
	ASSERT_TRUE(info.privileges.known);
	EXPECT_EQ(info.privileges.cap_effective, 1ull << 21);
	EXPECT_EQ(info.privileges.cap_ambient, 1ull << 10);
}

TEST(ProcStatus, EmptyAndGarbage) {
	EXPECT_FALSE(parsed("").privileges.known);
	EXPECT_FALSE(parsed("").has_uid);
	EXPECT_EQ(parsed("").ns_pid, 0);
	EXPECT_FALSE(parsed(std::string("\0\0\n:\n::::\n\n", 10)).privileges.known);
	// Uid and NSpid are strict too: nothing but digits.
	EXPECT_FALSE(parsed(with_line("Uid", "Uid:\t-1\t0\t0\t0\n")).has_uid);
	EXPECT_FALSE(parsed(with_line("Uid", "Uid:\t99999999999\t0\t0\t0\n")).has_uid);
	EXPECT_EQ(parsed(with_line("NSpid", "NSpid:\t4242\tx\n")).ns_pid, 0);
	// Random bytes, with and without the real lines, never crash.
	std::srand(7);
	for (int i = 0; i < 2000; i++) {
		std::string noise = i % 2 ? std::string(kStatus) : std::string();
		const int n = std::rand() % 300;
		for (int k = 0; k < n; k++) {
			const char pick[] = "CapEffPrmAmbBndNoNewPrivsSeccomp:\t\n 0123456789abcdefx";
			noise.insert(noise.empty() ? 0 : size_t(std::rand()) % noise.size(), 1,
			             std::rand() % 4 ? pick[std::rand() % (sizeof(pick) - 1)] : char(std::rand()));
		}
		ProcInfo info;
		parse_proc_status(noise, &info);
		if (!info.privileges.known) {
			EXPECT_EQ(info.privileges.cap_effective | info.privileges.cap_bounding, 0u);
		}
	}
}

// ProcReader reads the status under its /proc root: a fixture tree here.
TEST(ProcStatus, ReaderUsesTheStatusFile) {
	char dir[] = "/tmp/procsql-proc-XXXXXX";
	ASSERT_NE(mkdtemp(dir), nullptr);
	const std::string root = dir;
	ASSERT_EQ(mkdir((root + "/4242").c_str(), 0755), 0);
	std::ofstream(root + "/4242/status") << kStatus;
	std::ofstream(root + "/4242/stat") << "4242 (sleep) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n";
	ASSERT_EQ(mkdir((root + "/4243").c_str(), 0755), 0);
	std::ofstream(root + "/4243/status") << with_line("Seccomp", "");
	ProcReader reader("", root);
	const ProcInfo info = reader.read(4242);
	EXPECT_TRUE(info.alive);
	EXPECT_EQ(info.start_ticks, 777u);
	ASSERT_TRUE(info.privileges.known);
	EXPECT_EQ(info.privileges.cap_effective, 1ull << 21);
	EXPECT_EQ(info.privileges.seccomp, 2);
	EXPECT_FALSE(reader.read(4243).privileges.known);
	EXPECT_FALSE(reader.read(4244).privileges.known); // no such process
	std::system(("rm -rf " + root).c_str());
}

// The real kernel's status: this process's own privileges, as the syscalls
// that ask for them give them.
TEST(ProcStatus, MatchesTheKernelsAnswers) {
	ProcReader reader("");
	const ProcInfo info = reader.read(getpid());
	ASSERT_TRUE(info.privileges.known);
	__user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
	__user_cap_data_struct data[2]{};
	ASSERT_EQ(syscall(SYS_capget, &header, data), 0);
	EXPECT_EQ(info.privileges.cap_effective, uint64_t(data[1].effective) << 32 | data[0].effective);
	EXPECT_EQ(info.privileges.cap_permitted, uint64_t(data[1].permitted) << 32 | data[0].permitted);
	uint64_t ambient = 0, bounding = 0;
	for (int cap = 0; cap < 64; cap++) {
		const int a = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
		const int b = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		ambient |= a == 1 ? 1ull << cap : 0;
		bounding |= b == 1 ? 1ull << cap : 0;
	}
	EXPECT_EQ(info.privileges.cap_ambient, ambient);
	EXPECT_EQ(info.privileges.cap_bounding, bounding);
	EXPECT_EQ(info.privileges.no_new_privs, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	EXPECT_EQ(info.privileges.seccomp, prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
}

// A child that took no_new_privs, an allow-all seccomp filter and dropped a
// capability from its bounding set, read as the audit source reads it.
TEST(ProcStatus, ChildWithNoNewPrivsAndAFilter) {
	int ready[2];
	ASSERT_EQ(pipe(ready), 0);
	const pid_t child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		char ok = 1;
		sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
		sock_fprog prog{1, allow};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
			ok = 0;
		}
		prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0); // fails without CAP_SETPCAP: checked below
		(void)!write(ready[1], &ok, 1);
		pause();
		_exit(0);
	}
	char ok = 0;
	ASSERT_EQ(read(ready[0], &ok, 1), 1);
	ASSERT_EQ(ok, 1);
	const bool dropped = prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 1 &&
	                     prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1;
	const ProcInfo info = ProcReader("").read(child);
	kill(child, SIGKILL);
	waitpid(child, nullptr, 0);
	ASSERT_TRUE(info.privileges.known);
	EXPECT_EQ(info.privileges.no_new_privs, 1);
	EXPECT_EQ(info.privileges.seccomp, 2);
	if (dropped) {
		EXPECT_EQ(info.privileges.cap_bounding & (1ull << CAP_SYS_ADMIN), 0u);
	}
	close(ready[0]);
	close(ready[1]);
}

} // namespace
} // namespace procsql
