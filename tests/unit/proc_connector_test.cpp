// The process events connector: message parsing on built bytes (every
// truncation, wrong connector, old short exit events, random input), then
// the real kernel (root): fork, exec and exit of children, with exit codes
// and signals as the kernel reports them.
#include <gtest/gtest.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sources/audit/proc_connector.h"
#include "unavailable.h"

namespace procsql {
namespace {

constexpr size_t kEventData = offsetof(struct proc_event, event_data);

// A cn_msg carrying a proc_event of `what` with `data` as its event_data,
// `event_len` bytes of proc_event (the kernel sends sizeof(proc_event)).
std::vector<uint8_t> cn_message(uint32_t what, const std::vector<uint32_t>& data,
                                size_t event_len = sizeof(struct proc_event), uint32_t idx = CN_IDX_PROC) {
	struct proc_event ev;
	std::memset(&ev, 0, sizeof(ev));
	ev.what = static_cast<decltype(ev.what)>(what);
	ev.cpu = 3;
	ev.timestamp_ns = 123456789012ULL;
	std::memcpy(reinterpret_cast<uint8_t*>(&ev) + kEventData, data.data(),
	            std::min(data.size() * 4, sizeof(ev) - kEventData));
	struct cn_msg cn {};
	cn.id.idx = idx;
	cn.id.val = CN_VAL_PROC;
	cn.len = uint16_t(event_len);
	std::vector<uint8_t> out(sizeof(cn) + event_len);
	std::memcpy(out.data(), &cn, sizeof(cn));
	std::memcpy(out.data() + sizeof(cn), &ev, std::min(event_len, sizeof(ev)));
	return out;
}

std::vector<uint8_t> netlink(const std::vector<std::vector<uint8_t>>& messages) {
	std::vector<uint8_t> out;
	for (const auto& m : messages) {
		struct nlmsghdr h {};
		h.nlmsg_len = uint32_t(NLMSG_LENGTH(m.size()));
		h.nlmsg_type = NLMSG_DONE;
		const size_t at = out.size();
		out.resize(at + NLMSG_SPACE(m.size()));
		std::memcpy(out.data() + at, &h, sizeof(h));
		std::memcpy(out.data() + at + NLMSG_HDRLEN, m.data(), m.size());
	}
	return out;
}

TEST(ProcConnectorParse, ForkExecExit) {
	ProcEvent e;
	auto fork_msg = cn_message(proc_event::PROC_EVENT_FORK, {100, 100, 200, 201});
	ASSERT_TRUE(parse_proc_cn_msg(fork_msg.data(), fork_msg.size(), &e));
	EXPECT_EQ(e.kind, ProcEvent::fork);
	EXPECT_EQ(e.monotonic_ns, 123456789012LL);
	EXPECT_EQ(e.parent_pid, 100);
	EXPECT_EQ(e.parent_tgid, 100);
	EXPECT_EQ(e.pid, 200);
	EXPECT_EQ(e.tgid, 201);

	auto exec_msg = cn_message(proc_event::PROC_EVENT_EXEC, {300, 300});
	ASSERT_TRUE(parse_proc_cn_msg(exec_msg.data(), exec_msg.size(), &e));
	EXPECT_EQ(e.kind, ProcEvent::exec);
	EXPECT_EQ(e.pid, 300);
	EXPECT_EQ(e.tgid, 300);

	auto exit_msg = cn_message(proc_event::PROC_EVENT_EXIT, {400, 401, 9, 17, 50, 51});
	ASSERT_TRUE(parse_proc_cn_msg(exit_msg.data(), exit_msg.size(), &e));
	EXPECT_EQ(e.kind, ProcEvent::exit);
	EXPECT_EQ(e.pid, 400);
	EXPECT_EQ(e.tgid, 401);
	EXPECT_EQ(e.exit_code, 9u);
	EXPECT_EQ(e.exit_signal, 17u);
	EXPECT_EQ(e.parent_pid, 50);
	EXPECT_EQ(e.parent_tgid, 51);

	// Kernels before the parent fields: the event ends after exit_signal.
	auto old_exit = cn_message(proc_event::PROC_EVENT_EXIT, {400, 401, 0x300, 17}, kEventData + 16);
	ASSERT_TRUE(parse_proc_cn_msg(old_exit.data(), old_exit.size(), &e));
	EXPECT_EQ(e.exit_code, 0x300u);
	EXPECT_EQ(e.parent_pid, 0);
}

TEST(ProcConnectorParse, RefusedMessages) {
	ProcEvent e;
	// Other event types and acknowledgements are not delivered.
	for (const uint32_t what : {uint32_t(proc_event::PROC_EVENT_NONE), uint32_t(proc_event::PROC_EVENT_UID),
	                            uint32_t(proc_event::PROC_EVENT_COMM), uint32_t(proc_event::PROC_EVENT_COREDUMP)}) {
		auto m = cn_message(what, {1, 2, 3, 4});
		EXPECT_FALSE(parse_proc_cn_msg(m.data(), m.size(), &e)) << what;
	}
	// Another connector.
	auto other = cn_message(proc_event::PROC_EVENT_FORK, {1, 1, 2, 2}, sizeof(struct proc_event), CN_IDX_PROC + 1);
	EXPECT_FALSE(parse_proc_cn_msg(other.data(), other.size(), &e));
	// Every truncation of every kind: refused, never read past the end.
	for (const uint32_t what : {uint32_t(proc_event::PROC_EVENT_FORK), uint32_t(proc_event::PROC_EVENT_EXEC),
	                            uint32_t(proc_event::PROC_EVENT_EXIT)}) {
		const auto m = cn_message(what, {1, 2, 3, 4, 5, 6});
		for (size_t n = 0; n < m.size(); n++) {
			// Cut the buffer (cn_msg.len then claims more than there is).
			std::vector<uint8_t> cut(m.begin(), m.begin() + long(n));
			EXPECT_FALSE(parse_proc_cn_msg(cut.data(), cut.size(), &e)) << what << " cut at " << n;
		}
		// An event shorter than its kind needs (cn_msg.len consistent).
		const size_t need = what == proc_event::PROC_EVENT_EXEC ? 8 : 16;
		const auto short_event = cn_message(what, {1, 2, 3, 4}, kEventData + need - 1);
		EXPECT_FALSE(parse_proc_cn_msg(short_event.data(), short_event.size(), &e)) << what;
		const auto just = cn_message(what, {1, 2, 3, 4}, kEventData + need);
		EXPECT_TRUE(parse_proc_cn_msg(just.data(), just.size(), &e)) << what;
	}
}

TEST(ProcConnectorParse, Datagrams) {
	std::vector<ProcEvent> out;
	const auto d = netlink({cn_message(proc_event::PROC_EVENT_FORK, {1, 1, 2, 2}),
	                        cn_message(proc_event::PROC_EVENT_NONE, {0}),
	                        cn_message(proc_event::PROC_EVENT_EXIT, {2, 2, 0, 17, 1, 1})});
	EXPECT_EQ(parse_proc_datagram(d.data(), d.size(), &out), 2u);
	ASSERT_EQ(out.size(), 2u);
	EXPECT_EQ(out[0].kind, ProcEvent::fork);
	EXPECT_EQ(out[1].kind, ProcEvent::exit);
	// A netlink length past the datagram ends parsing there.
	std::vector<uint8_t> bad = d;
	const uint32_t huge = 100000;
	std::memcpy(bad.data(), &huge, sizeof(huge));
	out.clear();
	EXPECT_EQ(parse_proc_datagram(bad.data(), bad.size(), &out), 0u);
	// Random bytes (checked under ASan).
	std::mt19937 rng(11);
	for (int i = 0; i < 5000; i++) {
		std::vector<uint8_t> junk = d;
		for (int k = 0; k < 6; k++) {
			junk[rng() % junk.size()] = uint8_t(rng());
		}
		junk.resize(rng() % (junk.size() + 16));
		out.clear();
		(void)parse_proc_datagram(junk.data(), junk.size(), &out);
	}
}

// ---------------------------------------------------------------------------
// The real kernel

int64_t monotonic_ns() {
	struct timespec ts {};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

class ProcConnectorKernel : public ::testing::Test {
protected:
	void SetUp() override {
		if (geteuid() != 0) {
			PROCSQL_UNAVAILABLE() << "needs root";
		}
		std::string error;
		connector_ = ProcConnector::open(4 << 20, &error);
		ASSERT_TRUE(connector_) << error;
	}

	void TearDown() override {
		for (const pid_t pid : children_) {
			kill(pid, SIGKILL);
			waitpid(pid, nullptr, 0);
		}
	}

	// Reads until pred(events) holds or 5 s pass.
	template <typename Pred>
	void read_until(Pred pred) {
		const int64_t deadline = monotonic_ns() + 5000000000LL;
		while (!pred() && monotonic_ns() < deadline) {
			struct pollfd p {connector_->fd(), POLLIN, 0};
			poll(&p, 1, 100);
			connector_->read(&events_, &overruns_);
		}
	}

	const ProcEvent* find(ProcEvent::Kind kind, pid_t pid) const {
		for (const ProcEvent& e : events_) {
			if (e.kind == kind && e.pid == pid) {
				return &e;
			}
		}
		return nullptr;
	}

	std::unique_ptr<ProcConnector> connector_;
	std::vector<ProcEvent> events_;
	uint64_t overruns_ = 0;
	std::vector<pid_t> children_;
};

TEST_F(ProcConnectorKernel, ForkExecExitAndSignals) {
	const int64_t before = monotonic_ns();
	// A child that execs /bin/true.
	const pid_t exec_child = fork();
	if (exec_child == 0) {
		execl("/bin/true", "true", static_cast<char*>(nullptr));
		_exit(127);
	}
	// A child that exits 3.
	const pid_t exit_child = fork();
	if (exit_child == 0) {
		_exit(3);
	}
	// A child killed by SIGKILL.
	const pid_t killed_child = fork();
	if (killed_child == 0) {
		for (;;) {
			pause();
		}
	}
	children_.push_back(killed_child);
	int status = 0;
	ASSERT_EQ(waitpid(exec_child, &status, 0), exec_child);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(waitpid(exit_child, &status, 0), exit_child);
	ASSERT_EQ(kill(killed_child, SIGKILL), 0);
	ASSERT_EQ(waitpid(killed_child, &status, 0), killed_child);
	children_.clear();
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	read_until([&] {
		return find(ProcEvent::exit, exec_child) && find(ProcEvent::exit, exit_child) &&
		       find(ProcEvent::exit, killed_child);
	});
	const int64_t after = monotonic_ns();
	EXPECT_EQ(overruns_, 0u);

	for (const pid_t child : {exec_child, exit_child, killed_child}) {
		const ProcEvent* f = find(ProcEvent::fork, child);
		ASSERT_NE(f, nullptr) << "fork of " << child;
		EXPECT_EQ(f->tgid, child);
		EXPECT_EQ(f->parent_pid, getpid());
		EXPECT_EQ(f->parent_tgid, getpid());
		EXPECT_GE(f->monotonic_ns, before);
		EXPECT_LE(f->monotonic_ns, after);
		const ProcEvent* x = find(ProcEvent::exit, child);
		ASSERT_NE(x, nullptr) << "exit of " << child;
		EXPECT_EQ(x->tgid, child);
		// exit_signal: what the parent is sent, SIGCHLD for fork().
		EXPECT_EQ(x->exit_signal, uint32_t(SIGCHLD));
		EXPECT_GE(x->monotonic_ns, f->monotonic_ns);
		EXPECT_LE(x->monotonic_ns, after);
	}
	const ProcEvent* exec = find(ProcEvent::exec, exec_child);
	ASSERT_NE(exec, nullptr);
	EXPECT_EQ(exec->tgid, exec_child);
	EXPECT_EQ(find(ProcEvent::exec, exit_child), nullptr);
	EXPECT_EQ(find(ProcEvent::exec, killed_child), nullptr);
	// exit_code is the wait status: code << 8, or the terminating signal.
	EXPECT_EQ(find(ProcEvent::exit, exec_child)->exit_code, 0u);
	EXPECT_EQ(find(ProcEvent::exit, exit_child)->exit_code, 3u << 8);
	EXPECT_EQ(find(ProcEvent::exit, killed_child)->exit_code, uint32_t(SIGKILL));
}

TEST_F(ProcConnectorKernel, ThreadsAreTasks) {
	// A child with a second thread: the thread's fork and exit are events
	// of their own (pid = its tid, tgid = the process), exit_signal -1.
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0);
	const pid_t child = fork();
	if (child == 0) {
		close(pipefd[0]);
		pthread_t t;
		pthread_create(
		    &t, nullptr,
		    [](void* fd) -> void* {
			    const pid_t tid = pid_t(gettid());
			    (void)!write(*static_cast<int*>(fd), &tid, sizeof(tid));
			    return nullptr;
		    },
		    &pipefd[1]);
		pthread_join(t, nullptr);
		_exit(0);
	}
	close(pipefd[1]);
	pid_t tid = 0;
	ASSERT_EQ(read(pipefd[0], &tid, sizeof(tid)), ssize_t(sizeof(tid)));
	close(pipefd[0]);
	waitpid(child, nullptr, 0);
	read_until([&] { return find(ProcEvent::exit, child) && find(ProcEvent::exit, tid); });
	const ProcEvent* thread_fork = find(ProcEvent::fork, tid);
	ASSERT_NE(thread_fork, nullptr);
	EXPECT_EQ(thread_fork->tgid, child);
	// The kernel reports task->real_parent: for a thread that is the
	// process's parent (this test), not the thread that called clone.
	EXPECT_EQ(thread_fork->parent_tgid, getpid());
	const ProcEvent* thread_exit = find(ProcEvent::exit, tid);
	ASSERT_NE(thread_exit, nullptr);
	EXPECT_EQ(thread_exit->tgid, child);
	EXPECT_EQ(thread_exit->exit_signal, uint32_t(-1));
}

TEST_F(ProcConnectorKernel, OverrunsCounted) {
	std::string error;
	auto small = ProcConnector::open(1, &error); // the kernel's minimum buffer
	ASSERT_TRUE(small) << error;
	for (int i = 0; i < 100; i++) {
		const pid_t child = fork();
		if (child == 0) {
			_exit(0);
		}
		waitpid(child, nullptr, 0);
	}
	std::vector<ProcEvent> events;
	uint64_t overruns = 0;
	const size_t n = small->read(&events, &overruns);
	EXPECT_GE(overruns, 1u);
	EXPECT_GT(n, 0u);
	EXPECT_EQ(n, events.size());
}

TEST_F(ProcConnectorKernel, TwoListenersAndClose) {
	// A second connector sees the same events; closing one (IGNORE) leaves
	// the other listening.
	std::string error;
	{
		auto second = ProcConnector::open(0, &error);
		ASSERT_TRUE(second) << error;
	}
	const pid_t child = fork();
	if (child == 0) {
		_exit(7);
	}
	waitpid(child, nullptr, 0);
	read_until([&] { return find(ProcEvent::exit, child) != nullptr; });
	ASSERT_NE(find(ProcEvent::exit, child), nullptr);
	EXPECT_EQ(find(ProcEvent::exit, child)->exit_code, 7u << 8);
}

} // namespace
} // namespace procsql
