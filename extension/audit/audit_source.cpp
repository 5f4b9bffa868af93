#include "audit/audit_source.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <csignal>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "audit/proc_reader.h"
#include "containers/container_map.h"

namespace procsql {

namespace {

constexpr int kPollMs = 100;
// How long the kernel's audit record may trail the connector's fork before
// the fork becomes a row of its own (syscall NULL): the reassembler's
// timeout plus a margin.
constexpr int64_t kForkClaimNs = 3'000'000'000;
// Cached processes outlive their exit this long: their audit records arrive
// later than the connector's exit.
constexpr int64_t kCacheGraceNs = 10'000'000'000;
constexpr size_t kMaxPendingForks = 65536;
// Audit stamps a syscall at its entry, from the coarse real-time clock (up to
// a tick behind) cut to ms; the connector's exec comes later in the same
// call. An exec time is claimed by the audit record whose stamp is at most
// this much after it...
constexpr int64_t kAuditStampSlackNs = 20'000'000;
// ...or this much before it (an exec that reads a large binary takes a while).
constexpr int64_t kExecClaimWindowNs = 1'000'000'000;
// When procsql is the audit daemon, the kernel's backlog is at least this:
// the default (64) blocks busy processes for up to backlog_wait_time.
constexpr uint32_t kBacklogLimit = 8192;
constexpr size_t kReceiveBufferBytes = 32u << 20;

int64_t monotonic_ns() {
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Other threads of `tgid` still listed, besides `except` (the one exiting).
bool other_threads_alive(int32_t tgid, int32_t except) {
	DIR* d = opendir(("/proc/" + std::to_string(tgid) + "/task").c_str());
	if (!d) {
		return false;
	}
	bool found = false;
	while (dirent* e = readdir(d)) {
		const int32_t tid = int32_t(std::atoi(e->d_name));
		if (tid > 0 && tid != tgid && tid != except) {
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

void copy_comm(char (&dst)[16], const std::string& src) {
	std::memset(dst, 0, sizeof(dst));
	std::memcpy(dst, src.data(), std::min(src.size(), sizeof(dst) - 1));
}

std::string comm_of(const char (&c)[16]) { return std::string(c, strnlen(c, sizeof(c))); }

// The namespaces a child has that its parent had not.
uint32_t new_namespaces(const std::array<uint32_t, 8>& parent, const std::array<uint32_t, 8>& child, bool* known) {
	uint32_t mask = 0;
	*known = true;
	for (size_t i = 0; i < parent.size(); i++) {
		if (parent[i] == 0 || child[i] == 0) {
			// The time namespace file is absent on old kernels: unknown there
			// only when both miss it is fine; one missing means unreadable.
			if (parent[i] != child[i]) {
				*known = false;
			}
			continue;
		}
		if (parent[i] != child[i]) {
			mask |= 1u << i;
		}
	}
	return mask;
}

} // namespace

AuditSource::AuditSource(const Config& config, const BootClock& clock, Stores stores)
    : config_(config), clock_(clock), stores_(stores), proc_(stores.containers->cgroup2_root()) {}

std::unique_ptr<AuditSource> AuditSource::start(const Config& config, const BootClock& clock,
                                                const std::string& instance_id, Stores stores, std::string* error) {
	std::unique_ptr<AuditSource> s(new AuditSource(config, clock, stores));
	if (!s->open(instance_id, error)) {
		return nullptr; // the destructor undid what open() changed
	}
	s->thread_ = std::thread([p = s.get()] { p->run(); });
	return s;
}

bool AuditSource::open(const std::string& instance_id, std::string* error) {
	mono_offset_ns_ = BootClock::now_unix_ns() - monotonic_ns();
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
	proc_.start_ticks(getpid(), &ticks);
	key_ = instance_rule_key(getpid(), ticks, instance_id);
	if (!install_rules(*control_, key_, config_.threads, &install_, error)) {
		return false;
	}
	rules_installed_ = install_.rules_added > 0;

	// What runs now: start times, executables and cgroups for the exits and
	// execs to come.
	const int64_t now = BootClock::now_unix_ns();
	for (int32_t pid : proc_.pids()) {
		CachedProcess& c = cache_.reset(pid);
		c.info = proc_.read(pid);
		if (!c.info.alive) {
			continue;
		}
		c.has_start_time = true;
		c.start_time = proc_.ticks_to_unix_ns(c.info.start_ticks, clock_);
		c.has_path = proc_.link(pid, "exe", &c.path);
		proc_.comm(pid, &c.comm);
		remember_cgroup(c.info, now);
	}

	stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
	if (stop_fd_ < 0 || epoll_fd_ < 0) {
		*error = std::string("cannot create the audit consumer's descriptors: ") + std::strerror(errno);
		return false;
	}
	const int fds[] = {stop_fd_, unicast_ ? unicast_->fd() : multicast_->fd(), connector_ ? connector_->fd() : -1};
	for (int fd : fds) {
		if (fd < 0) {
			continue;
		}
		epoll_event ev{};
		ev.events = EPOLLIN;
		ev.data.fd = fd;
		if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
			*error = std::string("cannot watch the audit sockets: ") + std::strerror(errno);
			return false;
		}
	}
	return true;
}

AuditSource::~AuditSource() {
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
	if (!control_) {
		return;
	}
	std::string why;
	if (!key_.empty()) {
		remove_rules(*control_, key_, &why);
	}
	if (registered_) {
		control_->set_pid(0, &why);
		registered_ = false;
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

void AuditSource::run() {
	for (;;) {
		epoll_event events[3];
		const int n = epoll_wait(epoll_fd_, events, 3, kPollMs);
		if (n < 0 && errno != EINTR) {
			return;
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == stop_fd_) {
				return;
			}
		}
		std::lock_guard<std::mutex> lock(consume_mutex_);
		consume();
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
	connector_events_.fetch_add(proc_events_.size(), std::memory_order_relaxed);
	// Swapped out: handling an event may read the connector again.
	std::vector<ProcEvent> batch;
	batch.swap(proc_events_);
	for (const ProcEvent& ev : batch) {
		on_proc_event(ev);
	}
}

void AuditSource::consume() {
	// Runs on the consumer thread and on query threads (inside SQLite's
	// xFilter): nothing may escape. An allocation failure loses this batch's
	// processing, counted with the undecodable events.
	try {
		consume_batch();
	} catch (...) {
		undecodable_.fetch_add(1, std::memory_order_relaxed);
	}
}

void AuditSource::consume_batch() {
	// Connector events first: they precede the audit records of the same
	// processes, whose rows they complete.
	read_connector();
	uint64_t overruns = 0;
	auto on = [this](uint32_t type, std::string_view text) { on_record(type, text); };
	if (unicast_) {
		unicast_->read_records(on, &overruns);
	} else {
		multicast_->read_records(on, &overruns);
	}
	overruns_.fetch_add(overruns, std::memory_order_relaxed);
	const int64_t now = BootClock::now_unix_ns();
	done_.clear();
	reassembler_.expire(now, &done_);
	for (const AuditEvent& e : done_) {
		on_event(e);
	}
	incomplete_.store(reassembler_.incomplete_events(), std::memory_order_relaxed);
	flush_unclaimed_forks(now);
	if (now - last_housekeeping_ns_ > 1'000'000'000) {
		housekeeping(now);
		last_housekeeping_ns_ = now;
	}
}

void AuditSource::on_record(uint32_t type, std::string_view text) {
	records_.fetch_add(1, std::memory_order_relaxed);
	AuditRecord record;
	std::string why;
	if (!parse_audit_record(type, text, &record, &why)) {
		unparsable_.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	std::vector<AuditEvent> done;
	reassembler_.add(std::move(record), BootClock::now_unix_ns(), &done);
	for (const AuditEvent& e : done) {
		on_event(e);
	}
}

void AuditSource::on_event(const AuditEvent& event) {
	AuditDecoded d;
	std::string why;
	if (!decode_audit_event(event, config_.argv_bytes, &d, &why)) {
		undecodable_.fetch_add(1, std::memory_order_relaxed);
		if (config_.debug) {
			std::fprintf(stderr, "procsql: audit event %llu not decoded: %s\n", (unsigned long long)event.serial,
			             why.c_str());
		}
		return;
	}
	switch (d.kind) {
	case AuditEventKind::exec: ingest_exec(d); break;
	case AuditEventKind::call: ingest_call(d); break;
	case AuditEventKind::exit_group: ingest_exit_group(d); break;
	case AuditEventKind::other: break;
	}
}

void AuditSource::remember_cgroup(const ProcInfo& info, int64_t now_ns) {
	if (info.has_cgroup) {
		stores_.containers->observe(info.cgroup_id, info.cgroup_path, now_ns);
	}
}

CachedProcess* AuditSource::observe(int32_t pid) {
	if (CachedProcess* c = cache_.find(pid)) {
		return c;
	}
	// Its fork may be in the connector's queue still, behind what was read.
	read_connector();
	if (CachedProcess* c = cache_.find(pid)) {
		return c;
	}
	CachedProcess& c = cache_.reset(pid);
	c.info = proc_.read(pid);
	if (!c.info.alive) {
		proc_missed_.fetch_add(1, std::memory_order_relaxed);
		c.ended_ns = BootClock::now_unix_ns(); // forgotten after the grace period
		return &c;
	}
	c.has_start_time = true;
	c.start_time = proc_.ticks_to_unix_ns(c.info.start_ticks, clock_);
	c.has_path = proc_.link(pid, "exe", &c.path);
	proc_.comm(pid, &c.comm);
	remember_cgroup(c.info, BootClock::now_unix_ns());
	return &c;
}

void AuditSource::on_proc_event(const ProcEvent& ev) {
	const int64_t now = BootClock::now_unix_ns();
	const int64_t when = mono_to_unix(ev.monotonic_ns);
	switch (ev.kind) {
	case ProcEvent::fork: {
		PendingFork f{ev.pid, ev.tgid, ev.parent_pid, ev.parent_tgid, when, now, {}};
		if (ev.pid == ev.tgid) {
			CachedProcess& c = cache_.reset(ev.pid);
			c.has_start_time = true;
			c.start_time = when;
			c.info = proc_.read(ev.pid);
			if (c.info.alive) {
				remember_cgroup(c.info, now);
				f.ns = c.info.ns;
			} else {
				proc_missed_.fetch_add(1, std::memory_order_relaxed);
			}
			// A forked child runs its parent's executable until it execs.
			if (const CachedProcess* parent = cache_.find(ev.parent_tgid)) {
				c.has_path = parent->has_path;
				c.path = parent->path;
				c.comm = parent->comm;
			}
		}
		if (forks_.size() >= kMaxPendingForks) {
			forks_.pop_front(); // its row, if any, comes from the audit record alone
		}
		forks_.push_back(f);
		break;
	}
	case ProcEvent::exec: {
		CachedProcess& c = cache_.get(ev.tgid);
		if (c.exec_times.size() >= 8) {
			c.exec_times.pop_front();
		}
		c.exec_times.push_back(when);
		ProcInfo info = proc_.read(ev.tgid);
		if (info.alive) {
			c.info = info;
			remember_cgroup(info, now);
			if (!c.has_start_time) {
				c.has_start_time = true;
				c.start_time = proc_.ticks_to_unix_ns(info.start_ticks, clock_);
			}
			c.has_path = proc_.link(ev.tgid, "exe", &c.path) || c.has_path;
			proc_.comm(ev.tgid, &c.comm);
		} else {
			proc_missed_.fetch_add(1, std::memory_order_relaxed);
		}
		break;
	}
	case ProcEvent::exit: {
		if (ev.pid == ev.tgid) {
			if (other_threads_alive(ev.tgid, ev.pid)) {
				// The leader left first (pthread_exit in main): the process
				// ends with its last thread.
				cache_.get(ev.tgid).exit_pending = true;
			} else {
				emit_exit(ev.tgid, when, ev.exit_code);
			}
		} else if (CachedProcess* c = cache_.find(ev.tgid); c && c->exit_pending && !c->exit_reported) {
			if (!other_threads_alive(ev.tgid, ev.pid)) {
				emit_exit(ev.tgid, when, ev.exit_code);
			}
		}
		break;
	}
	case ProcEvent::other: break;
	}
}

void AuditSource::emit_exit(int32_t pid, int64_t time_ns, uint32_t status) {
	ExitRow row{};
	row.time_ns = time_ns;
	row.pid = pid;
	row.status = status;
	std::array<std::string_view, kExitStringCount> strings{};
	CachedProcess& c = cache_.get(pid);
	if (c.exit_reported) {
		return; // already reported
	}
	c.exit_reported = true;
	c.ended_ns = time_ns;
	c.exit_pending = false;
	if (c.has_start_time) {
		row.start_time = c.start_time;
	} else {
		row.row_flags |= kLifecycleNoStartTime;
	}
	copy_comm(row.comm, c.comm);
	if (c.has_path) {
		row.row_flags |= kLifecycleHasPath;
		strings[kExitPath] = c.path;
	}
	std::string container;
	if (c.info.has_cgroup) {
		row.cgroup_id = c.info.cgroup_id;
		container = stores_.containers->container_of(row.cgroup_id, time_ns);
	} else {
		row.row_flags |= kLifecycleNoProcInfo;
	}
	strings[kExitContainerId] = container;
	stores_.exit->append(row, strings);
	exit_counts_.received.fetch_add(1, std::memory_order_relaxed);
}

int64_t AuditSource::start_time_of(int32_t pid) {
	const CachedProcess* c = observe(pid);
	return c && c->has_start_time ? c->start_time : -1;
}

void AuditSource::ingest_exec(AuditDecoded& d) {
	ExecRow& row = d.exec;
	CachedProcess* c = observe(row.pid);
	row.flags |= kExecNoTid; // audit names the process, not the thread that called exec
	// The time of the exec as the connector saw it: audit stamps the syscall's
	// entry with the coarse clock (a tick behind, in ms), which would put some
	// execs before the fork that made their process.
	while (!c->exec_times.empty() && c->exec_times.front() < row.time_ns - kAuditStampSlackNs) {
		c->exec_times.pop_front(); // an exec whose audit record never came
	}
	if (!c->exec_times.empty() && c->exec_times.front() <= row.time_ns + kExecClaimWindowNs) {
		row.time_ns = c->exec_times.front();
		c->exec_times.pop_front();
	}
	if (c->has_start_time) {
		row.start_time = c->start_time;
	} else {
		row.flags |= kExecNoStartTime;
	}
	if (c->info.alive) {
		row.cgroup_id = c->info.cgroup_id;
		row.mnt_ns = c->info.ns[0];
		row.pid_ns = c->info.ns[4];
		row.ns_pid = c->info.ns_pid;
	}
	if (!c->info.alive || !c->info.has_cgroup) {
		row.flags |= kExecNoProcInfo;
	}
	// The parent's executable: known when procsql saw it exec or start, else
	// read now (NULL when the parent is gone too).
	std::string parent_path;
	if (const CachedProcess* p = cache_.find(row.parent); p && p->has_path) {
		parent_path = p->path;
		row.flags |= kExecHasParentPath;
	} else if (proc_.link(row.parent, "exe", &parent_path)) {
		row.flags |= kExecHasParentPath;
	}
	c->has_path = true;
	c->path = d.path;
	c->comm = comm_of(row.comm);

	const std::string container = (row.flags & kExecNoProcInfo)
	                                  ? std::string()
	                                  : stores_.containers->container_of(row.cgroup_id, row.time_ns);
	ExecStrings s{};
	s[kExecPath] = d.path;
	s[kExecFilename] = d.filename;
	s[kExecCwd] = d.cwd;
	s[kExecParentPath] = parent_path;
	s[kExecTty] = d.tty;
	s[kExecArgv] = d.argv;
	s[kExecContainerId] = container;
	stores_.exec->append(row, s);
	exec_counts_.received.fetch_add(1, std::memory_order_relaxed);
	if (row.flags & kExecCmdlineTruncated) {
		exec_counts_.argv_truncated.fetch_add(1, std::memory_order_relaxed);
	}
}

void AuditSource::ingest_call(AuditDecoded& d) {
	CloneRow& row = d.call;
	const CloneSyscall call = CloneSyscall(row.syscall);
	const bool creates = call == CloneSyscall::clone || call == CloneSyscall::clone3 || call == CloneSyscall::fork ||
	                     call == CloneSyscall::vfork;
	CachedProcess* caller = observe(row.pid);
	row.row_flags |= kLifecycleNoTid;
	if (creates && row.result > 0) {
		// The connector's fork for this call: same calling process, and the
		// child's host pid equal to the result when the caller sees host pids;
		// else the oldest unclaimed fork of that caller (a process makes its
		// children one at a time per thread).
		auto match = forks_.end();
		for (auto it = forks_.begin(); it != forks_.end(); ++it) {
			if (it->caller_tgid != row.pid) {
				continue;
			}
			if (it->child_pid == row.result) {
				match = it;
				break;
			}
			if (match == forks_.end()) {
				match = it;
			}
		}
		if (match != forks_.end()) {
			const PendingFork f = *match;
			forks_.erase(match);
			if (f.child_pid != f.child_tgid && !config_.threads) {
				// clone3 cannot be filtered by a rule: its thread creations
				// arrive and are dropped here.
				thread_calls_dropped_.fetch_add(1, std::memory_order_relaxed);
				return;
			}
			row.row_flags &= ~kLifecycleNoTid;
			row.tid = f.caller_tid;
			row.row_flags |= kLifecycleHasChild;
			row.child_pid = f.child_tgid;
			row.child_tid = f.child_pid;
			row.child_start_time = f.time_ns;
			row.time_ns = f.time_ns; // exact, where audit's stamp is coarse (see ingest_exec)
			if (row.row_flags & kLifecycleNoNamespaces || call == CloneSyscall::clone3) {
				// Namespaces created are those the child has and the caller
				// had not (clone3's flags are behind a pointer audit does not
				// follow).
				bool known = false;
				const uint32_t mask =
				    caller->info.alive ? new_namespaces(caller->info.ns, f.ns, &known) : (known = false, 0u);
				if (known && f.child_pid == f.child_tgid) {
					row.new_ns = mask;
					row.row_flags &= ~kLifecycleNoNamespaces;
				} else {
					row.row_flags |= kLifecycleNoNamespaces;
				}
			}
		}
	}
	// Namespaces and cgroup as the caller has them now (unshare and setns
	// changed them; the call has returned).
	ProcInfo now_info;
	if (call == CloneSyscall::unshare || call == CloneSyscall::setns) {
		now_info = proc_.read(row.pid);
		if (now_info.alive) {
			caller->info = now_info;
		}
	}
	const ProcInfo& info = caller->info;
	if (info.alive && info.has_cgroup) {
		row.cgroup_id = info.cgroup_id;
		row.mnt_ns = info.ns[0];
		row.pid_ns = info.ns[4];
	} else {
		row.row_flags |= kLifecycleNoProcInfo;
	}
	std::array<std::string_view, kCloneStringCount> s{};
	if (!d.path.empty()) {
		row.row_flags |= kLifecycleHasPath;
		s[kClonePath] = d.path;
	}
	const std::string container = (row.row_flags & kLifecycleNoProcInfo)
	                                  ? std::string()
	                                  : stores_.containers->container_of(row.cgroup_id, row.time_ns);
	s[kCloneContainerId] = container;
	stores_.clone->append(row, s);
	clone_counts_.received.fetch_add(1, std::memory_order_relaxed);
}

void AuditSource::ingest_exit_group(AuditDecoded& d) {
	// With the connector, exits come from it: it also sees signals.
	if (connector_) {
		return;
	}
	CachedProcess* c = observe(d.exit.pid);
	if (c->comm.empty()) {
		c->comm = comm_of(d.exit.comm);
	}
	if (!c->has_path && !d.path.empty()) {
		c->has_path = true;
		c->path = d.path;
	}
	emit_exit(d.exit.pid, d.exit.time_ns, d.exit.status);
}

// Forks no audit record claimed in time: tasks the kernel made (kernel
// threads, io workers), calls audit did not report (lost, or filtered by a
// rule of someone else's), thread creations filtered by procsql's own rule.
void AuditSource::flush_unclaimed_forks(int64_t now_ns) {
	while (!forks_.empty() && now_ns - forks_.front().seen_ns > kForkClaimNs) {
		const PendingFork f = forks_.front();
		forks_.pop_front();
		if (f.child_pid != f.child_tgid && !config_.threads) {
			continue; // a thread: not a row unless asked for
		}
		CloneRow row{};
		row.time_ns = f.time_ns;
		row.pid = f.caller_tgid;
		row.tid = f.caller_tid;
		row.child_pid = f.child_tgid;
		row.child_tid = f.child_pid;
		row.child_start_time = f.time_ns;
		row.result = f.child_pid;
		row.row_flags = kLifecycleHasChild | kLifecycleNoFlags | kLifecycleNoNamespaces;
		std::array<std::string_view, kCloneStringCount> s{};
		std::string container;
		if (const CachedProcess* caller = cache_.find(f.caller_tgid)) {
			copy_comm(row.comm, caller->comm);
			row.uid = caller->info.uid;
			if (caller->has_path) {
				row.row_flags |= kLifecycleHasPath;
				s[kClonePath] = caller->path;
			}
			if (caller->info.alive && caller->info.has_cgroup) {
				row.cgroup_id = caller->info.cgroup_id;
				row.mnt_ns = caller->info.ns[0];
				row.pid_ns = caller->info.ns[4];
				container = stores_.containers->container_of(row.cgroup_id, row.time_ns);
			} else {
				row.row_flags |= kLifecycleNoProcInfo;
			}
		} else {
			row.row_flags |= kLifecycleNoProcInfo;
		}
		s[kCloneContainerId] = container;
		stores_.clone->append(row, s);
		clone_counts_.received.fetch_add(1, std::memory_order_relaxed);
		unclaimed_forks_.fetch_add(1, std::memory_order_relaxed);
	}
}

void AuditSource::housekeeping(int64_t now_ns) {
	cache_.expire(now_ns, kCacheGraceNs);
	// Exits the connector did not deliver (overrun) would keep entries
	// forever: every 10 s, processes no longer in /proc are ended.
	if (now_ns - last_sweep_ns_ > 10'000'000'000) {
		last_sweep_ns_ = now_ns;
		const std::vector<int32_t> pids = proc_.pids();
		std::unordered_map<int32_t, bool> alive;
		for (int32_t p : pids) {
			alive[p] = true;
		}
		cache_.for_each([&](int32_t pid, CachedProcess& c) {
			if (c.ended_ns == 0 && !alive.count(pid)) {
				c.ended_ns = now_ns;
			}
		});
		stores_.containers->check_removed(now_ns);
	}
}

bool AuditSource::read_processes(std::vector<LiveProcess>* out, std::string* error) {
	(void)error;
	out->clear();
	std::lock_guard<std::mutex> lock(consume_mutex_);
	consume(); // forks and execs delivered so far are in the cache
	for (int32_t pid : proc_.pids()) {
		const ProcInfo info = proc_.read(pid);
		if (!info.alive) {
			continue; // ended meanwhile
		}
		CachedProcess* c = observe(pid);
		LiveProcess p;
		p.pid = pid;
		p.parent = info.parent;
		p.uid = info.uid;
		p.start_time = c->has_start_time ? c->start_time : proc_.ticks_to_unix_ns(info.start_ticks, clock_);
		p.cgroup_id = info.cgroup_id;
		p.has_path = proc_.link(pid, "exe", &p.path);
		p.has_cwd = proc_.link(pid, "cwd", &p.cwd);
		p.tty = tty_from_device(info.tty_nr);
		p.has_tty = !p.tty.empty();
		out->push_back(std::move(p));
	}
	return true;
}

AuditSourceStats AuditSource::stats() const {
	AuditSourceStats s;
	auto kind = [](const Counters& c, KindStats* k) {
		k->received = c.received.load(std::memory_order_relaxed);
		k->decode_errors = c.decode_errors.load(std::memory_order_relaxed);
		k->argv_truncated = c.argv_truncated.load(std::memory_order_relaxed);
	};
	kind(exec_counts_, &s.exec);
	kind(clone_counts_, &s.clone);
	kind(exit_counts_, &s.exit);
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
	s.records = records_.load(std::memory_order_relaxed);
	s.records_unparsable = unparsable_.load(std::memory_order_relaxed);
	s.events_incomplete = incomplete_.load(std::memory_order_relaxed);
	s.events_undecodable = undecodable_.load(std::memory_order_relaxed);
	s.reader_overruns = overruns_.load(std::memory_order_relaxed);
	s.connector = connector_status_;
	s.connector_events = connector_events_.load(std::memory_order_relaxed);
	s.connector_overruns = connector_overruns_.load(std::memory_order_relaxed);
	s.proc_reads_missed = proc_missed_.load(std::memory_order_relaxed);
	s.forks_without_record = unclaimed_forks_.load(std::memory_order_relaxed);
	s.thread_calls_dropped = thread_calls_dropped_.load(std::memory_order_relaxed);
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

} // namespace procsql
