#include "synthetic_daemon.h"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "clock.h"

namespace procsql::bench {

namespace {

constexpr int64_t kT0 = 1700000000000000000LL;
constexpr int64_t kStepNs = 100000;

struct Program {
	const char* path;
	const char* filename;
	const char* comm;
};
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
	return std::string(buf, size_t(n) + 1);
}

uint32_t row_uid(uint64_t i) { return i % 4 == 0 ? 1000 : (i % 4 == 1 ? 0 : 33); }

} // namespace

bool fill(ExecStore& store, uint64_t n, Expected* expected, std::string* error) {
	Expected e;
	for (uint64_t i = 1; i <= n; i++) {
		const size_t program = row_has_needle(i) ? 7 : size_t((i * 2654435761u) >> 7) % 8;
		const Program& p = kPrograms[program];
		ExecRow r{};
		r.time_ns = kT0 + int64_t(i) * kStepNs + int64_t((i * 7919) % 997) * 1000;
		r.start_time = r.time_ns - 150000;
		r.inode = 1000000 + program;
		r.cgroup_id = 4242;
		r.pid = r.tid = r.ns_pid = int32_t(3000 + (i * 7919) % 10000);
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
		const std::string argv = row_argv(i, program);
		r.argc = uint32_t(std::count(argv.begin(), argv.end(), '\0'));
		ExecStrings s{};
		s[kExecPath] = p.path;
		s[kExecFilename] = p.filename;
		s[kExecCwd] = kCwds[i % 5];
		s[kExecParentPath] = kParents[i % 4];
		s[kExecTty] = tty ? "pts3" : "";
		s[kExecArgv] = argv;
		if (store.append(r, s) != i) {
			*error = "append refused row " + std::to_string(i);
			return false;
		}
		e.needle += row_has_needle(i);
		e.uid_sum += r.uid;
	}
	const auto c = store.ring().counters();
	if (c.rows_overwritten || c.rows_evicted_by_arena || c.rows_rejected_too_large) {
		*error = "the fill lost rows: capacity or arena too small";
		return false;
	}
	*expected = e;
	return true;
}

Config synthetic_config(uint64_t rows, const std::string& state_dir) {
	Config config;
	config.capacity = rows;
	config.arena_bytes = std::max<uint64_t>(rows * 512, 1ull << 20); // ~190 bytes of strings a row
	config.state_dir = state_dir;
	return config;
}

std::unique_ptr<SyntheticDaemon> SyntheticDaemon::start(const std::string& dir, uint64_t rows,
                                                        std::string* error) {
	std::error_code ec;
	if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
		*error = dir + " exists and is not empty";
		return nullptr;
	}
	std::unique_ptr<SyntheticDaemon> d(new SyntheticDaemon());
	d->dir_ = dir;
	if (!d->set_up(rows, error)) {
		return nullptr; // the destructor removes what was made
	}
	return d;
}

std::unique_ptr<SyntheticDaemon> SyntheticDaemon::start_in(const std::string& parent, const std::string& prefix,
                                                           uint64_t rows, std::string* error) {
	std::vector<char> tmpl(parent.begin(), parent.end());
	const std::string tail = "/" + prefix + ".XXXXXX";
	tmpl.insert(tmpl.end(), tail.begin(), tail.end());
	tmpl.push_back('\0');
	if (!mkdtemp(tmpl.data())) {
		*error = "mkdtemp in " + parent + ": " + std::strerror(errno);
		return nullptr;
	}
	std::unique_ptr<SyntheticDaemon> d(new SyntheticDaemon());
	d->dir_ = tmpl.data();
	if (!d->set_up(rows, error)) {
		return nullptr;
	}
	return d;
}

bool SyntheticDaemon::set_up(uint64_t rows, std::string* error) {
	rows_ = rows;
	config_ = synthetic_config(rows, dir_);
	pid_t holder = 0;
	if (!StateDirLock::acquire(dir_, gid_t(-1), &lock_, &holder, error)) {
		*error = "lock: " + *error;
		return false;
	}
	std::vector<std::string> log;
	stores_ = std::shared_ptr<DaemonStores>(DaemonStores::open(dir_, gid_t(-1), config_, &log, error));
	if (!stores_) {
		*error = "DaemonStores::open: " + *error;
		return false;
	}
	const auto t0 = std::chrono::steady_clock::now();
	if (!fill(stores_->exec(), rows, &expected_, error)) {
		return false;
	}
	fill_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	stores_->mark_running(getpid(), BootClock::now_unix_ns(), "bpf", 100, collector_settings(config_));

	// The publisher answers attached queries' read-your-writes waits.
	Config small;
	small.capacity = 1024;
	small.arena_bytes = 1ull << 20;
	publisher_source_ = Collector::without_source(small, error);
	if (!publisher_source_) {
		*error = "without_source (publisher): " + *error;
		return false;
	}
	publisher_ = std::make_unique<Publisher>(*publisher_source_, *stores_);
	publisher_->start();
	return true;
}

SyntheticDaemon::~SyntheticDaemon() {
	if (publisher_) publisher_->stop();
	if (stores_) stores_->mark_stopped(BootClock::now_unix_ns());
	std::error_code ec;
	if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

} // namespace procsql::bench
