#include "sources/audit/audit_source.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <csignal>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "containers/container_map.h"
#include "sources/audit/proc_reader.h"

namespace procsql {

namespace {

// The consumer's timeout while the correlator holds what only time settles
// (its timeouts are counted in these ticks), and while it holds nothing: the
// sockets wake it for anything new, and the cache's expiry runs once a second.
constexpr int kPollMs = 100;
constexpr int kIdlePollMs = 1000;
// After a wake by the audit socket, the next one waits this long: an exec
// brings about a dozen records, each its own datagram, and a wake for each
// cost more than their handling (the records wait in the socket, 32 MiB,
// and a query's drain still reads them at once). The connector still wakes
// the consumer at once: /proc is read while a new process is there.
constexpr int kAuditWakeMs = 10;
// When procsql is the audit daemon, the kernel's backlog is at least this:
// the default (64) blocks busy processes for up to backlog_wait_time.
constexpr uint32_t kBacklogLimit = 8192;
constexpr size_t kReceiveBufferBytes = 32u << 20;
constexpr int kConsumerNice = -10;

int64_t monotonic_ns() {
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The sources alive in this process, undone at exit: audit's rules and
// settings outlive the process that made them (unlike BPF programs, which
// the kernel frees with their last descriptor), and a program may exit
// without closing its connections (the sqlite3 shell does on an error with
// -bail), so the collector's destructor never runs. Leaked on purpose: the
// handler may run after static destructors.
std::mutex g_live_mutex;
std::vector<AuditSource*>* g_live = nullptr;
pid_t g_live_owner = 0; // a forked child that exits must not undo its parent's

void undo_live_sources_at_exit() {
	std::lock_guard<std::mutex> lock(g_live_mutex);
	if (!g_live || getpid() != g_live_owner) {
		return;
	}
	for (AuditSource* s : *g_live) {
		s->undo_at_exit();
	}
}

} // namespace


AuditSource::AuditSource(const Config& config, const BootClock& clock, Stores stores)
    : config_(config), proc_(stores.containers->cgroup2_root(), clock), sink_(stores) {}

std::unique_ptr<AuditSource> AuditSource::start(const Config& config, const BootClock& clock,
                                                const std::string& instance_id, Stores stores, std::string* error) {
	std::unique_ptr<AuditSource> s(new AuditSource(config, clock, stores));
	if (!s->open(instance_id, error)) {
		return nullptr; // the destructor undid what open() changed
	}
	s->thread_ = std::thread([p = s.get()] { p->run(); });
	{
		std::lock_guard<std::mutex> lock(g_live_mutex);
		if (!g_live || g_live_owner != getpid()) {
			// A forked child starting its own: its list is its own (the
			// parent's sources were abandoned, and the atexit handler came
			// with the fork).
			const bool registered = g_live != nullptr;
			g_live = new std::vector<AuditSource*>();
			g_live_owner = getpid();
			if (registered) {
				g_live->push_back(s.get());
				return s;
			}
			// From a shared object, atexit handlers also run at its dlclose
			// (glibc: __cxa_atexit with the object's handle): the list is
			// empty then, the connections that loaded it being closed.
			std::atexit(undo_live_sources_at_exit);
		}
		g_live->push_back(s.get());
	}
	return s;
}

void AuditSource::abandon_after_fork() {
	undone_ = true;
	for (int fd : {control_ ? control_->fd() : -1, unicast_ ? unicast_->fd() : -1,
	               multicast_ ? multicast_->fd() : -1, connector_ ? connector_->fd() : -1, epoll_fd_, stop_fd_}) {
		if (fd >= 0) {
			close(fd);
		}
	}
	// Their destructors would talk to the kernel: never run them.
	(void)control_.release();
	(void)unicast_.release();
	(void)multicast_.release();
	(void)connector_.release();
}

void AuditSource::undo_at_exit() {
	std::lock_guard<std::mutex> lock(control_mutex_);
	undo_settings();
}

bool AuditSource::open(const std::string& instance_id, std::string* error) {
	const int64_t mono_offset_ns = BootClock::now_unix_ns() - monotonic_ns();
	if (geteuid() != 0) {
		*error = "the audit backend needs root (CAP_AUDIT_CONTROL and CAP_AUDIT_READ): load procsql as root";
		return false;
	}
	control_ = AuditControl::open(error);
	if (!control_) {
		return false;
	}
	AuditStatus status{};
	if (!control_->status(&status, error)) {
		return false;
	}
	lost_at_start_ = status.lost;

	// The connector first, then the record reader, then the rules: nothing
	// the rules select is emitted before someone reads it.
	std::string why;
	connector_ = ProcConnector::open(kReceiveBufferBytes, &why);
	connector_status_ = connector_ ? "listening" : "unavailable (" + why + "): exits come from exit_group records, "
	                                                                       "so processes killed by a signal have no row";

	// A registered daemon that died stays listed until the kernel next fails
	// to deliver to it; it can be replaced.
	const bool holder_gone = status.pid != 0 && kill(pid_t(status.pid), 0) != 0 && errno == ESRCH;
	if (status.enabled != 2 && (status.pid == 0 || holder_gone)) {
		unicast_ = AuditControl::open(&why);
		if (unicast_ && unicast_->set_pid(uint32_t(getpid()), &why)) {
			registered_ = true;
			mode_ = "unicast: procsql is the audit daemon (no other process held the audit socket)";
		} else {
			unicast_.reset();
		}
	}
	if (!registered_) {
		multicast_ = AuditMulticast::open(kReceiveBufferBytes, error);
		if (!multicast_) {
			*error = "cannot read audit records: " + *error;
			return false;
		}
		mode_ = status.pid != 0 ? "multicast: pid " + std::to_string(status.pid) +
		                              " holds the audit socket; reading the read-only log group"
		                        : "multicast: could not register as the audit daemon (" + why + ")";
	}
	AuditCorrelatorOptions options;
	options.threads = config_.threads;
	options.argv_bytes = config_.argv_bytes;
	options.debug = config_.debug;
	options.connector = connector_ != nullptr;
	options.mono_offset_ns = mono_offset_ns;
	correlator_ = std::make_unique<AuditCorrelator>(options, proc_, wall_clock_, sink_, [this] { read_connector(); });
	if (registered_) {
		correlator_->set_daemon_pid(int32_t(getpid()));
	}
	if (status.enabled == 0) {
		if (!control_->set_enabled(1, error)) {
			return false;
		}
		set_enabled_ = true;
	}
	if (registered_ && status.backlog_limit < kBacklogLimit) {
		if (control_->set_backlog_limit(kBacklogLimit, &why)) {
			set_backlog_ = true;
			old_backlog_limit_ = status.backlog_limit;
		}
	}

	uint64_t ticks = 0;
	proc_.reader().start_ticks(getpid(), &ticks);
	key_ = instance_rule_key(getpid(), ticks, instance_id);
	// exit_group only when no connector reports the exits.
	if (!install_rules(*control_, key_, config_.threads, &install_, error, /*exits=*/!connector_)) {
		return false;
	}
	rules_installed_ = install_.rules_added > 0;

	// What runs now: start times, executables and cgroups for the exits and
	// execs to come.
	correlator_->seed();

	stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
	if (stop_fd_ < 0 || epoll_fd_ < 0) {
		*error = std::string("cannot create the audit consumer's descriptors: ") + std::strerror(errno);
		return false;
	}
	const int fds[] = {stop_fd_, audit_fd(), connector_ ? connector_->fd() : -1};
	for (int fd : fds) {
		if (fd < 0) {
			continue;
		}
		if (watch(EPOLL_CTL_ADD, fd) != 0) {
			*error = std::string("cannot watch the audit sockets: ") + std::strerror(errno);
			return false;
		}
	}
	return true;
}

AuditSource::~AuditSource() {
	{
		std::lock_guard<std::mutex> lock(g_live_mutex);
		if (g_live) {
			g_live->erase(std::remove(g_live->begin(), g_live->end(), this), g_live->end());
		}
	}
	if (thread_.joinable()) {
		const uint64_t one = 1;
		if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) {
			// eventfd writes of 1 cannot fail short of overflow; join anyway
		}
		thread_.join();
	}
	undo_settings();
	if (epoll_fd_ >= 0) {
		close(epoll_fd_);
	}
	if (stop_fd_ >= 0) {
		close(stop_fd_);
	}
}

// Rules first (nothing more is selected), then the daemon registration, then
// the settings, each only if procsql changed it.
void AuditSource::undo_settings() {
	if (!control_ || undone_) {
		return;
	}
	undone_ = true;
	std::string why;
	if (!key_.empty()) {
		remove_rules(*control_, key_, &why);
	}
	if (registered_) {
		control_->set_pid(0, &why);
		registered_ = false;
		if (correlator_) {
			correlator_->set_daemon_pid(0);
		}
	}
	AuditStatus status{};
	const bool have_status = control_->status(&status, &why);
	if (set_backlog_ && have_status && status.backlog_limit == kBacklogLimit) {
		control_->set_backlog_limit(old_backlog_limit_, &why);
	}
	// Audit is switched off again only if nobody started using it meanwhile:
	// no daemon registered and no rules left.
	if (set_enabled_ && have_status && status.enabled == 1 && status.pid == 0) {
		std::vector<AuditRule> rules;
		if (control_->list_rules(&rules, &why) && rules.empty()) {
			control_->set_enabled(0, &why);
		}
	}
}

// The audit socket is watched for one wake at a time (see run()), the
// others for every one.
int AuditSource::watch(int op, int fd) {
	epoll_event ev{};
	ev.events = EPOLLIN | (fd == audit_fd() ? EPOLLONESHOT : 0u);
	ev.data.fd = fd;
	return epoll_ctl(epoll_fd_, op, fd, &ev);
}

void AuditSource::run() {
	// /proc is read when the connector names a new process or exec, and a
	// process that lives a millisecond is gone if this thread waits for the
	// CPU behind busy processes (measured: a few percent of short-lived
	// execs lost their cgroup and namespaces at nice 0, almost none at -10).
	// A higher priority, not a real-time one: a storm of execs still shares
	// the CPU with this thread.
	setpriority(PRIO_PROCESS, id_t(syscall(SYS_gettid)), kConsumerNice);
	bool waiting = true;
	// The audit socket wakes the consumer once (EPOLLONESHOT), then is
	// watched again kAuditWakeMs later (0: watched now).
	int64_t audit_rearm_ns = 0;
	bool fork_reads = false;
	for (;;) {
		// A new process's /proc read waits for its exec at most a
		// millisecond (AuditCorrelatorOptions::fork_read_delay_ns).
		int timeout_ms = fork_reads ? 1 : waiting ? kPollMs : kIdlePollMs;
		if (audit_rearm_ns != 0) {
			const int64_t left_ns = audit_rearm_ns - monotonic_ns();
			if (left_ns <= 0) {
				(void)watch(EPOLL_CTL_MOD, audit_fd());
				audit_rearm_ns = 0;
			} else {
				timeout_ms = std::min<int>(timeout_ms, int((left_ns + 999'999) / 1'000'000));
			}
		}
		epoll_event events[3];
		const int n = epoll_wait(epoll_fd_, events, 3, timeout_ms);
		if (n < 0 && errno != EINTR) {
			return;
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == stop_fd_) {
				return;
			}
			if (events[i].data.fd == audit_fd()) {
				audit_rearm_ns = monotonic_ns() + int64_t(kAuditWakeMs) * 1'000'000;
			}
		}
		if (n == 0 && audit_rearm_ns != 0 && !fork_reads) {
			continue; // the pause ended: watch the socket again, no read yet
		}
		std::lock_guard<std::mutex> lock(consume_mutex_);
		consume();
		waiting = correlator_->waiting();
		fork_reads = correlator_->fork_reads_pending();
	}
}

void AuditSource::drain() {
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDrainBoundMs);
	for (;;) {
		{
			std::lock_guard<std::mutex> lock(consume_mutex_);
			consume();
		}
		AuditStatus status{};
		std::string why;
		bool ok;
		{
			std::lock_guard<std::mutex> lock(control_mutex_);
			ok = control_->status(&status, &why);
		}
		if (!ok || status.backlog == 0) {
			// kauditd may hold a record it dequeued but has not sent yet:
			// give it a moment, then take what arrived.
			usleep(1000);
			std::lock_guard<std::mutex> lock(consume_mutex_);
			consume();
			return;
		}
		if (std::chrono::steady_clock::now() > deadline) {
			drain_timeouts_.fetch_add(1, std::memory_order_relaxed);
			return;
		}
		usleep(1000);
	}
}

void AuditSource::read_connector() {
	if (!connector_) {
		return;
	}
	proc_events_.clear();
	uint64_t overruns = 0;
	connector_->read(&proc_events_, &overruns);
	connector_overruns_.fetch_add(overruns, std::memory_order_relaxed);
	if (overruns > 0) {
		correlator_->connector_overrun();
	}
	connector_events_.fetch_add(proc_events_.size(), std::memory_order_relaxed);
	// Swapped out: handling an event may read the connector again.
	std::vector<ProcEvent> batch;
	batch.swap(proc_events_);
	correlator_->on_connector_events(batch);
}

void AuditSource::consume() {
	// Runs on the consumer thread and on query threads (inside SQLite's
	// xFilter): nothing may escape. An allocation failure loses this batch's
	// processing, counted with the undecodable events.
	try {
		consume_batch();
	} catch (...) {
		correlator_->batch_failed();
	}
}

void AuditSource::consume_batch() {
	// The audit records first, then the connector, then the records are
	// handled: the connector sends its fork and exec events while the call
	// runs, audit its records after the call returns (through kauditd), so
	// every connector event that precedes a record read here is in the
	// connector's queue by then. Reading the connector first would miss the
	// forks of calls whose records arrived in between (a clone row without
	// its child, a thread creation taken for a process).
	uint64_t overruns = 0;
	records_batch_.clear();
	auto on = [this](uint32_t type, std::string_view text) { records_batch_.emplace_back(type, std::string(text)); };
	if (unicast_) {
		unicast_->read_records(on, &overruns);
	} else {
		multicast_->read_records(on, &overruns);
	}
	overruns_.fetch_add(overruns, std::memory_order_relaxed);
	read_connector();
	for (const auto& [type, text] : records_batch_) {
		correlator_->on_record(type, text);
	}
	records_batch_.clear();
	correlator_->tick();
}

bool AuditSource::read_processes(std::vector<LiveProcess>* out, std::string* error) {
	(void)error;
	out->clear();
	std::lock_guard<std::mutex> lock(consume_mutex_);
	consume(); // forks and execs delivered so far are in the cache
	correlator_->live_processes(out);
	return true;
}

AuditSourceStats AuditSource::stats() const {
	AuditSourceStats s;
	const AuditCorrelatorStats c = correlator_->stats();
	s.exec.received = c.exec_rows;
	s.exec.argv_truncated = c.argv_truncated;
	s.clone.received = c.clone_rows;
	s.exit.received = c.exit_rows;
	s.failure.received = c.failure_rows;
	s.failure.argv_truncated = c.failure_argv_truncated;
	s.mode = mode_;
	s.rule_key = key_;
	s.rules_added = install_.rules_added;
	for (const std::string& k : install_.stale_keys_removed) {
		s.stale_rules_removed += (s.stale_rules_removed.empty() ? "" : ",") + k;
	}
	for (const std::string& r : install_.shadowing) {
		s.shadowing_rules += (s.shadowing_rules.empty() ? "" : "; ") + r;
	}
	s.enabled_by_procsql = set_enabled_;
	s.records = c.records;
	s.records_unparsable = c.records_unparsable;
	s.events_incomplete = c.events_incomplete;
	s.events_undecodable = c.events_undecodable;
	s.reader_overruns = overruns_.load(std::memory_order_relaxed);
	s.connector = connector_status_;
	s.connector_events = connector_events_.load(std::memory_order_relaxed);
	s.connector_overruns = connector_overruns_.load(std::memory_order_relaxed);
	s.proc_reads_missed = c.proc_reads_missed;
	s.forks_without_record = c.forks_without_record;
	s.thread_calls_dropped = c.thread_calls_dropped;
	s.drain_timeouts = drain_timeouts_.load(std::memory_order_relaxed);
	AuditStatus status{};
	std::string why;
	std::lock_guard<std::mutex> lock(control_mutex_);
	if (control_->status(&status, &why)) {
		s.kernel_lost = status.lost >= lost_at_start_ ? status.lost - lost_at_start_ : status.lost;
		s.backlog = status.backlog;
		s.backlog_limit = status.backlog_limit;
	}
	return s;
}

SourceStats AuditSource::counters() const {
	const AuditSourceStats a = stats();
	SourceStats s{a.exec, a.clone, a.exit, a.failure};
	// Audit does not say what it dropped: the kernel's lost counter and
	// the reader's overruns are every table's (README, "The audit backend").
	s.exec.lost_audit = s.clone.lost_audit = s.exit.lost_audit = s.failure.lost_audit = a.kernel_lost + a.reader_overruns;
	s.exec.decode_errors += a.events_undecodable;
	return s;
}

void AuditSource::append_stats(std::vector<StatRow>* rows, bool read_counters) const {
	const AuditSourceStats a = read_counters ? stats() : AuditSourceStats{};
	auto text = [rows](const char* name, std::string value) { append_text_stat(rows, name, std::move(value)); };
	auto integer = [rows](const char* name, uint64_t value) { append_integer_stat(rows, name, value); };
	text("audit.mode", a.mode);
	text("audit.rule_key", a.rule_key);
	integer("audit.rules_added", a.rules_added);
	text("audit.stale_rules_removed", a.stale_rules_removed);
	text("audit.shadowing_rules", a.shadowing_rules);
	integer("audit.enabled_by_procsql", a.enabled_by_procsql ? 1 : 0);
	integer("audit.records", a.records);
	integer("audit.records_unparsable", a.records_unparsable);
	integer("audit.events_incomplete", a.events_incomplete);
	integer("audit.events_undecodable", a.events_undecodable);
	integer("audit.reader_overruns", a.reader_overruns);
	integer("audit.kernel_lost", a.kernel_lost);
	integer("audit.backlog", a.backlog);
	integer("audit.backlog_limit", a.backlog_limit);
	integer("audit.drain_bound_ms", kDrainBoundMs);
	integer("audit.drain_timeouts", a.drain_timeouts);
	text("audit.connector", a.connector);
	integer("audit.connector_events", a.connector_events);
	integer("audit.connector_overruns", a.connector_overruns);
	integer("audit.proc_reads_missed", a.proc_reads_missed);
	integer("audit.forks_without_record", a.forks_without_record);
	integer("audit.thread_calls_dropped", a.thread_calls_dropped);
}

} // namespace procsql
