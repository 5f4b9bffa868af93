// procsqld: one always-on collector per host. It runs procsql's collector
// (eBPF, else audit, as PROCSQL_BACKEND says) with its stores in files under
// PROCSQL_STATE_DIR, which every process that loads procsql maps read-only
// instead of starting a collector of its own. Foreground, logs to stderr,
// Type=notify for systemd (daemon/procsqld.service). SIGTERM or SIGINT stop
// it cleanly: programs detached, audit rules and settings restored, stores
// marked stopped (and kept: the next procsqld continues their eids).
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "collector.h"
#include "config.h"
#include "publisher.h"
#include "record_watch.h"
#include "sd_notify.h"
#include "shared_stores.h"
#include "syscalls/record_control.h"
#include "version.h"

namespace {

using namespace procsql;

constexpr int kHeartbeatSeconds = 5;
// How often the record/ control directory is looked at (`procsql record`)
// when inotify cannot watch it.
constexpr int kRecordPollMs = 200;

void log_line(const std::string& line) { std::fprintf(stderr, "procsqld: %s\n", line.c_str()); }

int fail(const std::string& line) {
	log_line(line);
	std::string ignored;
	sd_notify_send("STATUS=" + line, &ignored);
	return 1;
}

std::string unix_time_text(int64_t ns) {
	const time_t s = time_t(ns / 1000000000);
	tm t{};
	gmtime_r(&s, &t);
	char buf[64];
	std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &t);
	return buf;
}

void usage() {
	std::printf(
	    "usage: procsqld [--version]\n"
	    "Runs procsql's collector for this host and keeps its tables in %s (PROCSQL_STATE_DIR),\n"
	    "where every process that loads procsql attaches to them. Settings come from the\n"
	    "environment (PROCSQL_BACKEND, PROCSQL_CAPACITY, PROCSQL_GROUP, ...: see the README).\n",
	    kDefaultStateDir);
}

} // namespace

int main(int argc, char** argv) {
	for (int i = 1; i < argc; i++) {
		const std::string arg = argv[i];
		if (arg == "--version") {
			std::printf("procsqld %s\n", PROCSQL_VERSION);
			return 0;
		}
		if (arg == "--help" || arg == "-h") {
			usage();
			return 0;
		}
		std::fprintf(stderr, "procsqld: unknown argument '%s' (settings come from PROCSQL_* variables)\n", arg.c_str());
		return 2;
	}

	// Blocked before any thread starts, so every thread inherits the mask and
	// only sigtimedwait below receives them.
	sigset_t stop_signals;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

	Config config;
	std::string error;
	if (!Config::from_env(&config, &error)) {
		return fail(error);
	}
	gid_t gid = gid_t(-1);
	if (!config.group.empty() && !group_id(config.group, &gid, &error)) {
		return fail(error);
	}
	StateDirLock lock;
	pid_t holder = 0;
	if (!StateDirLock::acquire(config.state_dir, gid, &lock, &holder, &error)) {
		if (holder > 0) {
			error = "another procsqld (pid " + std::to_string(holder) + ") already runs on " + config.state_dir;
		}
		return fail(error);
	}
	std::vector<std::string> log;
	std::shared_ptr<DaemonStores> stores(DaemonStores::open(config.state_dir, gid, config, &log, &error));
	if (!stores) {
		return fail(error);
	}
	for (const std::string& line : log) {
		log_line(line);
	}
	config.syscall_control = true; // `procsql record` may start recording at any time
	std::shared_ptr<Collector> collector = Collector::start_daemon(config, stores, &error);
	if (!collector) {
		return fail("cannot start the collector: " + error);
	}
	const int64_t start_ns = BootClock::now_unix_ns();
	stores->mark_running(getpid(), start_ns, collector->backend_name(), collector->drain_bound_ms(),
	                     collector_settings(config));
	const ControlBlock& c = stores->control();
	if (stores->rows_discarded() != 0) {
		log_line("discarded " + std::to_string(stores->rows_discarded()) +
		         " half-written row(s) the previous procsqld left when it died");
	}
	if (c.previous_stop.load() != uint64_t(PreviousStop::none)) {
		const bool clean = c.previous_stop.load() == uint64_t(PreviousStop::clean);
		const int64_t from = c.gap_start_ns.load(), to = c.gap_end_ns.load();
		log_line(std::string("gap: the previous procsqld ") + (clean ? "stopped" : "was killed or crashed") +
		         "; events from " + unix_time_text(from) + " to " + unix_time_text(to) + " (" +
		         std::to_string((to - from) / 1000000) + " ms) were not collected");
	}

	// What syscall_usage records: PROCSQL_SYSCALLS, then whatever `procsql
	// record` leaves in the control directory.
	if (!write_record_dir(config.state_dir, config.syscalls, &error)) {
		return fail(error);
	}
	SyscallSelection recording = config.syscalls;

	Publisher publisher(*collector, *stores);
	publisher.start();
	const std::string status = "collecting (" + collector->backend_name() + "), store id " + stores->store_id() +
	                           ", state directory " + config.state_dir;
	if (!sd_notify_send("READY=1\nSTATUS=" + status, &error)) {
		log_line("cannot tell systemd it is ready: " + error);
	}
	log_line("ready: backend=" + collector->backend_name() + " store_id=" + stores->store_id() +
	         " state_dir=" + config.state_dir + " version=" + PROCSQL_VERSION);

	// Waits for a stop signal, a change in record/ and the heartbeat's time,
	// and nothing else: an idle daemon's main thread wakes once per heartbeat.
	const int signals = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signals < 0) {
		return fail(std::string("signalfd: ") + std::strerror(errno));
	}
	RecordWatch watch(record_dir(config.state_dir));
	if (watch.fd() < 0) {
		log_line("cannot watch " + record_dir(config.state_dir) + " (inotify: " + std::strerror(errno) +
		         "): looking at it every " + std::to_string(kRecordPollMs) + " ms");
	}
	int sig = 0;
	int64_t last_beat = BootClock::now_unix_ns();
	bool first = true; // a change made before the watch began
	for (;;) {
		const int64_t to_beat_ms =
		    std::max<int64_t>(0, (last_beat + int64_t(kHeartbeatSeconds) * 1000000000 - BootClock::now_unix_ns()) / 1000000);
		pollfd fds[2] = {{signals, POLLIN, 0}, {watch.fd(), POLLIN, 0}};
		const int n = poll(fds, watch.fd() < 0 ? 1 : 2,
		                   int(watch.fd() < 0 ? std::min<int64_t>(to_beat_ms, kRecordPollMs) : to_beat_ms + 1));
		if (n < 0 && errno != EINTR) {
			log_line(std::string("poll: ") + std::strerror(errno));
			break;
		}
		signalfd_siginfo info{};
		if (n > 0 && (fds[0].revents & POLLIN) && read(signals, &info, sizeof(info)) == ssize_t(sizeof(info))) {
			sig = int(info.ssi_signo);
			break;
		}
		const bool look = first || watch.fd() < 0 || (n > 0 && (fds[1].revents & POLLIN));
		first = false;
		if (watch.fd() >= 0 && look) {
			watch.consume();
		}
		SyscallSelection wanted;
		std::string why;
		if (look && read_record_dir(config.state_dir, &wanted, &why) && wanted != recording) {
			if (collector->select_syscalls(wanted, &why)) {
				log_line("syscall_usage records: " + (wanted.empty() ? std::string("nothing") : wanted.text()));
				recording = wanted;
			} else {
				log_line("cannot record " + wanted.text() + ": " + why);
				recording = wanted; // said once; the next change tries again
			}
		}
		const int64_t now = BootClock::now_unix_ns();
		if (now - last_beat >= int64_t(kHeartbeatSeconds) * 1000000000) {
			// The last sign of life a successor reads if this process is killed.
			stores->heartbeat(now);
			last_beat = now;
		}
	}
	close(signals);
	log_line(sig > 0 ? std::string("stopping on ") + strsignal(sig) : std::string("stopping: cannot wait for signals"));
	sd_notify_send("STOPPING=1", &error);
	publisher.stop();
	// One last pass: what happened before the signal is stored, not lost
	// with the source (a cron job's next run, after the restart, reads it).
	publisher.events_pass();
	// The source stops with the collector: programs detached, audit undone.
	collector.reset();
	stores->mark_stopped(BootClock::now_unix_ns());
	log_line("stopped");
	return 0;
}
