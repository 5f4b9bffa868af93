// procsqld: one always-on collector per host. It runs procsql's collector
// (eBPF, else audit, as PROCSQL_BACKEND says) with its stores in files under
// PROCSQL_STATE_DIR, which every process that loads procsql maps read-only
// instead of starting a collector of its own. Foreground, logs to stderr,
// Type=notify for systemd (daemon/procsqld.service). SIGTERM or SIGINT stop
// it cleanly: programs detached, audit rules and settings restored, stores
// marked stopped (and kept: the next procsqld continues their eids).
#include <signal.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "collector.h"
#include "config.h"
#include "publisher.h"
#include "sd_notify.h"
#include "shared_stores.h"
#include "syscalls/record_control.h"
#include "version.h"

namespace {

using namespace procsql;

constexpr int kHeartbeatSeconds = 5;
// How often the record/ control directory is looked at (`procsql record`).
constexpr long kRecordPollMs = 200;

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

	int sig = 0;
	int64_t last_beat = BootClock::now_unix_ns();
	for (;;) {
		const timespec tick{0, kRecordPollMs * 1000000};
		sig = sigtimedwait(&stop_signals, nullptr, &tick);
		if (sig > 0) {
			break;
		}
		SyscallSelection wanted;
		std::string why;
		if (read_record_dir(config.state_dir, &wanted, &why) && wanted != recording) {
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
	log_line(std::string("stopping on ") + strsignal(sig));
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
