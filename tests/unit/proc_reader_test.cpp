// ProcReader against the real /proc: what the audit source reads of a
// process the moment the connector names it.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <sys/prctl.h>
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

} // namespace
} // namespace procsql
