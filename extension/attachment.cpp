#include "attachment.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "clock.h"
#include "published_rows.h"
#include "store/futex.h"
#include "store/store_header.h"

namespace procsql {

namespace {

// "NAME=value" lines into (NAME, value) pairs.
std::vector<std::pair<std::string, std::string>> setting_lines(const std::string& text) {
	std::vector<std::pair<std::string, std::string>> out;
	size_t at = 0;
	while (at < text.size()) {
		size_t nl = text.find('\n', at);
		if (nl == std::string::npos) nl = text.size();
		const std::string line = text.substr(at, nl - at);
		const size_t eq = line.find('=');
		if (eq != std::string::npos) {
			out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
		}
		at = nl + 1;
	}
	return out;
}

// A collector variable this process sets to another value than the daemon
// runs with: its queries would not mean what the user asked for.
bool settings_agree(const Config& mine, const std::string& daemons, const std::string& daemon_backend,
                    std::string* error) {
	const auto theirs = setting_lines(daemons);
	const auto ours = setting_lines(collector_settings(mine));
	for (const auto& [name, value] : ours) {
		std::string set_here;
		if (!settings::lookup(name, &set_here)) {
			continue; // not set in code or in the environment: the daemon's holds
		}
		// A backend choice is met by the backend the daemon runs, whatever
		// it was asked for: PROCSQL_BACKEND=bpf agrees with an `auto`
		// daemon that runs eBPF, and `auto` with any.
		if (name == "PROCSQL_BACKEND") {
			if (value != "auto" && value != daemon_backend) {
				*error = "PROCSQL_BACKEND=" + value + " here, but the running procsqld collects with " +
				         daemon_backend + ": unset it to use procsqld's stores, or set PROCSQL_MODE=embedded for a "
				         "collector of this process's own";
				return false;
			}
			continue;
		}
		for (const auto& [dname, dvalue] : theirs) {
			if (dname == name && dvalue != value) {
				*error = name + "=" + value + " here, but the running procsqld has " + name + "=" + dvalue +
				         ": unset it to use procsqld's stores, or set PROCSQL_MODE=embedded for a collector of "
				         "this process's own";
				return false;
			}
		}
	}
	return true;
}

std::string group_name_of(const std::string& path) {
	struct stat st{};
	if (stat(path.c_str(), &st) != 0) {
		return "";
	}
	if ((st.st_mode & S_IRGRP) == 0) {
		return "";
	}
	std::vector<char> buf(16384);
	group g{};
	group* found = nullptr;
	if (getgrgid_r(st.st_gid, &g, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
		return std::to_string(st.st_gid);
	}
	return found->gr_name;
}

} // namespace

std::unique_ptr<Attachment> Attachment::open(const Config& config, bool* no_daemon, std::string* error) {
	*no_daemon = false;
	const std::string& dir = config.state_dir;
	std::string why;
	switch (daemon_presence(dir, &why)) {
	case DaemonPresence::none:
		*no_daemon = true;
		*error = "no procsqld runs on " + dir;
		return nullptr;
	case DaemonPresence::unreadable:
		*error = "cannot tell whether procsqld runs on " + dir + ": " + why;
		return nullptr;
	case DaemonPresence::running: break;
	}
	std::unique_ptr<Attachment> a(new Attachment(config));
	// A daemon that holds the lock but is still opening its stores or
	// loading its programs: wait for it (a few seconds at most).
	std::unique_ptr<AttachedStores> stores;
	for (int attempt = 0;; attempt++) {
		stores = AttachedStores::attach(dir, &why);
		if (stores && stores->control().state.load(std::memory_order_acquire) == uint64_t(WriterState::running)) {
			break;
		}
		const bool denied = !stores && why.find("Permission denied") != std::string::npos;
		if (denied) {
			const std::string group = group_name_of(dir + "/" + kControlFileName);
			*error = "procsqld runs on " + dir + " but this user may not read its stores: run as root, or join " +
			         (group.empty() ? std::string("the group given to procsqld as PROCSQL_GROUP")
			                        : "the group '" + group + "' of the running procsqld");
			return nullptr;
		}
		// A daemon that has finished starting will not change what was
		// refused (another version, damaged files): say so now. Only a
		// daemon still opening its stores is waited for.
		const bool settled = !stores && AttachedStores::daemon_started(dir);
		std::string ignored;
		if (settled || attempt >= 100 || daemon_presence(dir, &ignored) != DaemonPresence::running) {
			*error = stores ? "procsqld on " + dir + " did not finish starting" : "cannot attach to procsqld on " + dir + ": " + why;
			return nullptr;
		}
		usleep(50 * 1000);
	}
	if (!settings_agree(config, stores->settings(), stores->backend(), error)) {
		return nullptr;
	}
	a->current_.store(stores.get(), std::memory_order_release);
	a->all_.push_back(std::move(stores));
	return a;
}

int Attachment::drain_bound_ms() const {
	// The daemon's source's own bound (Source::drain_bound_ms), as it said.
	return stores().drain_bound_ms();
}

void Attachment::follow_new_stores() {
	const AttachedStores& now = stores();
	if (!now.superseded(config_.state_dir)) {
		return;
	}
	std::lock_guard<std::mutex> lock(mutex_);
	if (current_.load(std::memory_order_relaxed) != &now) {
		return; // another thread followed them
	}
	std::string why;
	auto fresh = AttachedStores::attach(config_.state_dir, &why);
	if (!fresh || fresh->control().state.load(std::memory_order_acquire) != uint64_t(WriterState::running)) {
		return; // not ready yet: this query reads what it has, the next one tries again
	}
	current_.store(fresh.get(), std::memory_order_release);
	all_.push_back(std::move(fresh));
	followed_.fetch_add(1, std::memory_order_relaxed);
}

bool Attachment::wait_for(const std::atomic<int64_t>& watermark, const std::atomic<uint32_t>& wake, int64_t since) {
	const ControlBlock& c = stores().control();
	const int64_t deadline = since + int64_t(drain_bound_ms()) * 1000000;
	bool checked_presence = false;
	for (;;) {
		const uint32_t seen = c.progress.load(std::memory_order_acquire);
		if (watermark.load(std::memory_order_acquire) >= since) {
			return true;
		}
		const int64_t now = BootClock::now_boot_ns();
		if (now >= deadline) {
			timeouts_.fetch_add(1, std::memory_order_relaxed);
			return false;
		}
		// A daemon that is not there will not answer: do not wait the bound
		// on every query while it restarts.
		if (!checked_presence && now - since > 5 * 1000000) {
			checked_presence = true;
			std::string ignored;
			if (daemon_presence(config_.state_dir, &ignored) != DaemonPresence::running) {
				absent_.fetch_add(1, std::memory_order_relaxed);
				return false;
			}
		}
		futex_wake(wake, 1);
		futex_wait(c.progress, seen, std::min<int64_t>(deadline - now, 2 * 1000000));
	}
}

void Attachment::wait_drained() {
	follow_new_stores();
	waits_.fetch_add(1, std::memory_order_relaxed);
	const ControlBlock& c = stores().control();
	wait_for(c.drained_through_ns, c.drain_wake, BootClock::now_boot_ns());
}

bool Attachment::processes(std::vector<LiveProcess>* out, std::vector<std::string>* containers,
                           std::string* error) {
	follow_new_stores();
	const ControlBlock& c = stores().control();
	if (!wait_for(c.processes_through_ns, c.processes_wake, BootClock::now_boot_ns()) &&
	    c.processes_through_ns.load(std::memory_order_acquire) == 0) {
		*error = "procsqld has not published the live processes (is it running?)";
		return false;
	}
	std::string payload;
	uint64_t rows = 0;
	int64_t as_of = 0;
	return stores().published(Published::processes).read(&payload, &rows, &as_of, error) &&
	       decode_processes(payload, rows, out, containers, error);
}

bool Attachment::containers(std::vector<ContainerEntry>* out, std::string* error) {
	std::string payload;
	uint64_t rows = 0;
	int64_t as_of = 0;
	const SnapshotStore& s = stores().published(Published::containers);
	if (s.generation() == 0) {
		out->clear();
		return true;
	}
	return s.read(&payload, &rows, &as_of, error) && decode_containers(payload, rows, out, error);
}

bool Attachment::syscall_usage(std::vector<SyscallUsageRow>* out, std::string* error) {
	std::string payload;
	uint64_t rows = 0;
	int64_t as_of = 0;
	const SnapshotStore& s = stores().published(Published::syscalls);
	if (s.generation() == 0) {
		out->clear();
		return true;
	}
	return s.read(&payload, &rows, &as_of, error) && decode_syscall_usage(payload, rows, out, error);
}

void Attachment::stats(std::vector<StatRow>* rows, const uint64_t (&skipped)[4]) {
	const AttachedStores& s = stores();
	const ControlBlock& c = s.control();
	append_text_stat(rows, "mode", "attached");
	append_text_stat(rows, "store_id", s.store_id());
	append_text_stat(rows, "state_dir", config_.state_dir);
	append_integer_stat(rows, "daemon.pid", uint64_t(c.daemon_pid.load(std::memory_order_relaxed)));
	append_integer_stat(rows, "daemon.start_time", uint64_t(c.daemon_start_ns.load(std::memory_order_relaxed)));
	append_text_stat(rows, "daemon.version", s.daemon_version());
	append_text_stat(rows, "daemon.backend", s.backend());
	// A killed daemon leaves its state word at running: the lock says whether one runs.
	std::string presence_error;
	append_text_stat(rows, "daemon.running",
	                 c.state.load(std::memory_order_relaxed) == uint64_t(WriterState::running) &&
	                         daemon_presence(config_.state_dir, &presence_error) == DaemonPresence::running
	                     ? "yes"
	                     : "no");
	append_integer_stat(rows, "daemon.starts", c.starts.load(std::memory_order_relaxed));
	const uint64_t prev = c.previous_stop.load(std::memory_order_relaxed);
	append_text_stat(rows, "daemon.previous_stop",
	                 prev == uint64_t(PreviousStop::clean) ? "clean" : prev == uint64_t(PreviousStop::killed) ? "killed" : "none");
	append_integer_stat(rows, "daemon.gap_start_time", uint64_t(c.gap_start_ns.load(std::memory_order_relaxed)));
	append_integer_stat(rows, "daemon.gap_end_time", uint64_t(c.gap_end_ns.load(std::memory_order_relaxed)));
	append_integer_stat(rows, "daemon.rows_discarded", c.rows_discarded.load(std::memory_order_relaxed));
	for (const auto& [name, value] : setting_lines(s.settings())) {
		append_text_stat(rows, "daemon." + name, value);
	}
	append_integer_stat(rows, "attach.drain_bound_ms", uint64_t(drain_bound_ms()));
	append_integer_stat(rows, "attach.drain_waits", waits_.load(std::memory_order_relaxed));
	append_integer_stat(rows, "attach.drain_timeouts", timeouts_.load(std::memory_order_relaxed));
	append_integer_stat(rows, "attach.daemon_absent", absent_.load(std::memory_order_relaxed));
	append_integer_stat(rows, "attach.stores_followed", followed_.load(std::memory_order_relaxed));

	std::string payload, error;
	uint64_t n = 0;
	int64_t as_of = 0;
	std::vector<StatRow> theirs;
	if (!s.published(Published::stats).read(&payload, &n, &as_of, &error) ||
	    !decode_stats(payload, n, &theirs, &error)) {
		append_text_stat(rows, "daemon.stats_error", error);
		return;
	}
	const char* tables[4] = {"process_events", "clone_events", "process_exits", "exec_failures"};
	for (StatRow& r : theirs) {
		if (r.name == "mode" || r.name == "store_id" || r.name == "state_dir") {
			continue; // said above, for this process
		}
		for (int i = 0; i < 4; i++) {
			if (r.name == std::string(tables[i]) + ".time_blocks_skipped") {
				r.integer = int64_t(skipped[i]); // this process's scans, not the daemon's
			}
		}
		rows->push_back(std::move(r));
	}
}

} // namespace procsql
