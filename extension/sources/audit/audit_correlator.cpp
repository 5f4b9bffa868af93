#include "sources/audit/audit_correlator.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace procsql {

namespace {

constexpr uint64_t kCloneThread = 0x00010000; // CLONE_THREAD, the same on every arch

void copy_comm(char (&dst)[16], const std::string& src) {
	std::memset(dst, 0, sizeof(dst));
	std::memcpy(dst, src.data(), std::min(src.size(), sizeof(dst) - 1));
}

std::string comm_of(const char (&c)[16]) { return std::string(c, strnlen(c, sizeof(c))); }

// The namespaces a child has that the caller's children are not born in (a
// new thread: that the caller has not; it stays in its process's pid and
// time namespaces).
uint32_t new_namespaces(const Namespaces& caller, const std::array<uint32_t, 8>& child, bool thread, bool* known) {
	uint32_t mask = 0;
	*known = caller.known;
	for (size_t i = 0; i < child.size(); i++) {
		const uint32_t parent = thread ? caller.ns[i] : caller.for_children(i);
		if (parent == 0 || child[i] == 0) {
			// The time namespace file is absent on old kernels: unknown there
			// only when both miss it is fine; one missing means unreadable.
			if (parent != child[i]) {
				*known = false;
			}
			continue;
		}
		if (parent != child[i]) {
			mask |= 1u << i;
		}
	}
	return mask;
}

} // namespace

AuditCorrelator::AuditCorrelator(const AuditCorrelatorOptions& options, const AuditProcView& proc,
                                 const AuditClock& clock, AuditRowSink& sink, std::function<void()> read_connector)
    : options_(options), proc_(proc), clock_(clock), sink_(sink), read_connector_(std::move(read_connector)) {}

void AuditCorrelator::seed() {
	const int64_t now = this->now();
	for (int32_t pid : proc_.pids()) {
		CachedProcess& c = cache_.reset(pid);
		c.info = proc_.read(pid);
		c.info_read_ns = now;
		if (!c.info.alive) {
			continue;
		}
		c.has_start_time = true;
		c.start_time = proc_.start_time_ns(c.info.start_ticks);
		c.has_path = proc_.link(pid, "exe", &c.path);
		proc_.comm(pid, &c.comm);
		remember_cgroup(c.info, now);
		c.parent = c.info.parent;
		c.ns = c.info.namespaces();
		// The connector listens already: a thread made or ended from here on
		// is reported too, and the set counts it once either way.
		c.threads = proc_.tasks(pid);
		c.threads_known = !c.threads.empty();
		if (c.threads.size() > 1) {
			c.last_multi_ns = now;
		}
	}
}

void AuditCorrelator::on_connector_events(const std::vector<ProcEvent>& batch) {
	for (const ProcEvent& ev : batch) {
		on_proc_event(ev);
	}
	// Then what can wait: the events' own /proc reads come first, while the
	// processes they name may still be there to read.
	// A caller read once per batch: these reads all come after the batch's
	// events, so a second read of one caller would say the same (a spawning
	// process makes many forks a batch, and eleven reads each).
	std::vector<std::pair<int32_t, Namespaces>> callers;
	for (const ProcEvent& ev : batch) {
		if (ev.kind == ProcEvent::fork && ev.pid == ev.tgid) {
			// The caller's namespaces after the fork: see PendingFork::caller_ns.
			for (auto it = forks_.rbegin(); it != forks_.rend(); ++it) {
				if (it->child_pid == ev.pid && it->parent_tgid == ev.parent_tgid) {
					auto read = std::find_if(callers.begin(), callers.end(),
					                         [&](const auto& c) { return c.first == ev.parent_tgid; });
					if (read == callers.end()) {
						callers.emplace_back(ev.parent_tgid, proc_.namespaces(ev.parent_tgid));
						read = callers.end() - 1;
					}
					it->caller_ns = read->second;
					break;
				}
			}
		}
	}
}

void AuditCorrelator::tick() {
	const int64_t now = this->now();
	done_.clear();
	reassembler_.expire(now, &done_);
	for (const AuditEvent& e : done_) {
		on_event(e);
	}
	incomplete_.store(reassembler_.incomplete_events(), std::memory_order_relaxed);
	read_due_forks(now);
	flush_unclaimed_forks(now);
	flush_exits(now);
	if (now - last_housekeeping_ns_ > 1'000'000'000) {
		housekeeping(now);
		last_housekeeping_ns_ = now;
	}
}

// Other threads of `tgid` still listed, besides `except` (the one exiting).
bool AuditCorrelator::other_threads_alive(int32_t tgid, int32_t except) const {
	for (int32_t tid : proc_.tasks(tgid)) {
		if (tid != tgid && tid != except) {
			return true;
		}
	}
	return false;
}

void AuditCorrelator::on_record(uint32_t type, std::string_view text) {
	records_.fetch_add(1, std::memory_order_relaxed);
	AuditRecord record;
	std::string why;
	if (!parse_audit_record(type, text, &record, &why)) {
		unparsable_.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	std::vector<AuditEvent> done;
	reassembler_.add(std::move(record), now(), &done);
	for (const AuditEvent& e : done) {
		on_event(e);
	}
}

void AuditCorrelator::on_event(const AuditEvent& event) {
	AuditDecoded d;
	std::string why;
	if (!decode_audit_event(event, options_.argv_bytes, &d, &why)) {
		undecodable_.fetch_add(1, std::memory_order_relaxed);
		if (options_.debug) {
			std::fprintf(stderr, "procsql: audit event %llu not decoded: %s\n", (unsigned long long)event.serial,
			             why.c_str());
		}
		return;
	}
	switch (d.kind) {
	case AuditEventKind::exec: ingest_exec(d); break;
	case AuditEventKind::exec_failure: ingest_exec_failure(d); break;
	case AuditEventKind::call: ingest_call(d); break;
	case AuditEventKind::exit_group: ingest_exit_group(d); break;
	case AuditEventKind::other: break;
	}
}

void AuditCorrelator::remember_cgroup(const ProcInfo& info, int64_t now_ns) {
	if (info.has_cgroup) {
		sink_.cgroup_seen(info.cgroup_id, info.cgroup_path, now_ns);
	}
}

CachedProcess* AuditCorrelator::observe(int32_t pid) {
	CachedProcess* known = cache_.find(pid);
	if (!known && read_connector_) {
		// Its fork may be in the connector's queue still, behind what was read.
		read_connector_();
		known = cache_.find(pid);
	}
	if (known) {
		if (known->read_pending) {
			read_forked(pid);
		}
		return known;
	}
	CachedProcess& c = cache_.reset(pid);
	c.info = proc_.read(pid);
	c.info_read_ns = now();
	if (!c.info.alive) {
		proc_missed_.fetch_add(1, std::memory_order_relaxed);
		c.ended_ns = now(); // forgotten after the grace period
		return &c;
	}
	c.has_start_time = true;
	c.start_time = proc_.start_time_ns(c.info.start_ticks);
	c.has_path = proc_.link(pid, "exe", &c.path);
	proc_.comm(pid, &c.comm);
	remember_cgroup(c.info, now());
	c.parent = c.info.parent;
	c.ns = c.info.namespaces();
	return &c;
}

void AuditCorrelator::read_forked(int32_t pid, const ProcInfo* at_exec) {
	CachedProcess* c = cache_.find(pid);
	if (!c || !c->read_pending) {
		return;
	}
	c->read_pending = false;
	for (auto it = fork_reads_.begin(); it != fork_reads_.end(); ++it) {
		if (it->pid == pid) {
			fork_reads_.erase(it); // no wake is due for it any more
			break;
		}
	}
	// stat says nothing the connector did not (start time, parent).
	const ProcInfo read = at_exec ? ProcInfo{} : proc_.read(pid, ProcReader::kAllParts & ~ProcReader::kStat);
	const ProcInfo& info = at_exec ? *at_exec : read;
	PendingFork* f = nullptr;
	for (auto it = forks_.rbegin(); it != forks_.rend(); ++it) {
		if (it->child_pid == pid && !it->thread() && it->time_ns == c->start_time) {
			f = &*it;
			break;
		}
	}
	if (!at_exec) {
		const int64_t now = this->now();
		c->info = info;
		c->info_read_ns = now;
		remember_cgroup(info, now);
	}
	if (f) {
		f->child_ns_pid = info.ns_pid;
		// The cgroup at the fork, which a read at the exec may no longer be.
		f->child_has_cgroup = !at_exec && info.has_cgroup;
		f->child_cgroup_id = f->child_has_cgroup ? info.cgroup_id : 0;
	}
	if (!info.has_namespaces) {
		proc_missed_.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	if (f) {
		f->ns = info.ns;
	}
	c->ns = info.namespaces();
	// Until the clone record settles them: /proc was read after the fork,
	// maybe after the child's first unshare or setns too. A kind in which
	// the child is where its parent's children are born, and so are its
	// own children, is sure (a namespace the clone made, or the child
	// entered, would differ; a setns or unshare of a pid or time namespace
	// changes only the one for children).
	const CachedProcess* parent = cache_.find(c->parent);
	for (size_t i = 0; parent && parent->ns.known && i < c->ns.ns.size(); i++) {
		const uint32_t born_in = parent->ns.for_children(i);
		if (c->ns.ns[i] != 0 && c->ns.ns[i] == born_in && c->ns.for_children(i) == born_in) {
			c->ns_unsure &= ~(1u << i);
		}
	}
}

void AuditCorrelator::read_due_forks(int64_t now_ns) {
	while (!fork_reads_.empty() && now_ns - fork_reads_.front().seen_ns >= options_.fork_read_delay_ns) {
		const int32_t pid = fork_reads_.front().pid;
		fork_reads_.pop_front();
		read_forked(pid); // nothing when its exec read it already
	}
}

void AuditCorrelator::read_forks_of(int32_t caller_tgid, int32_t child) {
	if (fork_reads_.empty()) {
		return;
	}
	std::vector<int32_t> due; // read_forked() takes them off fork_reads_
	for (const ForkRead& r : fork_reads_) {
		const CachedProcess* c = cache_.find(r.pid);
		if (r.pid == child || (c && c->parent == caller_tgid)) {
			due.push_back(r.pid);
		}
	}
	for (int32_t pid : due) {
		read_forked(pid);
	}
}

// The thread that made a call audit stamped at `stamp_ns`, when the process
// had one thread all along from a little before the stamp (audit's stamp is
// the coarse clock at the call's entry, the connector's times another clock)
// up to the connector events read so far; 0 when that is not sure.
int32_t AuditCorrelator::lone_thread(const CachedProcess& c, int64_t stamp_ns) const {
	if (!c.threads_known || c.threads.size() != 1 || c.last_multi_ns >= stamp_ns - kAuditStampSlackNs) {
		return 0;
	}
	return c.threads[0];
}

// The connector dropped forks and exits: no thread set is sure now.
void AuditCorrelator::connector_overrun() {
	cache_.for_each([](int32_t, CachedProcess& c) {
		c.threads_known = false;
		for (CachedProcess::Exec& e : c.execs) {
			e.threads_known = false;
			// An exec after it may be among the events lost: its read may
			// show that exec's privileges.
			e.info.privileges = ProcPrivileges{};
		}
	});
}

void AuditCorrelator::on_proc_event(const ProcEvent& ev) {
	const int64_t now = this->now();
	const int64_t when = mono_to_unix(ev.monotonic_ns);
	switch (ev.kind) {
	case ProcEvent::fork: {
		PendingFork f;
		f.child_pid = ev.pid;
		f.child_tgid = ev.tgid;
		f.parent_tgid = ev.parent_tgid;
		f.time_ns = when;
		f.seen_ns = now;
		if (f.thread()) {
			// The connector names a new thread's real parent: its process's
			// parent. The caller is the process itself, and its thread is
			// sure only while the process had one.
			f.caller_tgid = ev.tgid;
			if (options_.threads) { // else no thread is a row: spare the reads
				const Namespaces ns = proc_.namespaces(ev.tgid, ev.pid);
				if (ns.known) {
					f.ns = ns.ns;
				}
			}
			if (CachedProcess* p = cache_.find(ev.tgid)) {
				if (p->threads_known) {
					if (p->threads.size() == 1) {
						f.caller_tid = p->threads[0];
					}
					add_thread(*p, ev.pid);
				}
				p->last_multi_ns = std::max(p->last_multi_ns, when);
			}
		} else {
			// The real parent: the calling thread, or with CLONE_PARENT the
			// caller's parent (then matched by the child's pid, see ingest_call).
			f.caller_tgid = ev.parent_tgid;
			f.caller_tid = ev.parent_pid;
			flush_exits(now, ev.pid); // the pid's previous process, before its entry goes
			CachedProcess& c = cache_.reset(ev.pid);
			c.has_start_time = true;
			c.start_time = when;
			c.parent = ev.parent_tgid;
			c.threads_known = true;
			c.threads = {ev.pid};
			// Settled by the clone record (settle_namespaces), from the
			// parent's even when /proc showed nothing (the child had ended).
			c.ns_pending = true;
			c.ns_unsure = 0xffu;
			// Read from /proc at once, or at its exec if that comes soon: a
			// spawned child is then read once, where it is read twice else.
			c.read_pending = true;
			// A forked child runs its parent's executable until it execs.
			if (const CachedProcess* parent = cache_.find(ev.parent_tgid)) {
				c.has_path = parent->has_path;
				c.path = parent->path;
				c.comm = parent->comm;
			}
		}
		if (const int32_t daemon = daemon_pid_.load(std::memory_order_relaxed); daemon != 0 && f.caller_tgid == daemon) {
			// The kernel never audits the registered audit daemon's own
			// process (auditd_test_task): no record will claim this fork.
			append_unclaimed(f);
			break;
		}
		if (forks_.size() >= kMaxPendingForks) {
			forks_.pop_front(); // its row, if any, comes from the audit record alone
		}
		forks_.push_back(f);
		if (!f.thread()) {
			if (options_.fork_read_delay_ns > 0 && fork_reads_.size() < kMaxPendingForks) {
				fork_reads_.push_back(ForkRead{f.child_pid, now});
			} else {
				read_forked(f.child_pid);
			}
		}
		break;
	}
	case ProcEvent::exec: {
		CachedProcess& c = cache_.get(ev.tgid);
		if (!c.threads_known || c.threads.size() > 1) {
			c.last_multi_ns = std::max(c.last_multi_ns, when);
		}
		// stat only for what the connector did not tell (a process
		// procsql did not see start).
		const bool need_stat = !c.has_start_time || c.parent == 0;
		ProcInfo info = proc_.read(ev.tgid, need_stat ? ProcReader::kAllParts
		                                              : ProcReader::kAllParts & ~ProcReader::kStat);
		if (c.read_pending) {
			read_forked(ev.tgid, &info);
		}
		// The privileges read at an earlier exec still unclaimed are that
		// exec's only if the read came before this one.
		for (CachedProcess::Exec& earlier : c.execs) {
			if (earlier.read_ns >= when) {
				earlier.info.privileges = ProcPrivileges{};
			}
		}
		CachedProcess::Exec e;
		e.read_ns = this->now();
		e.time_ns = when;
		e.threads_known = c.threads_known;
		e.candidates = c.threads;
		e.multi_before = c.last_multi_ns;
		e.info = info;
		if (c.execs.size() >= 8) {
			c.execs.pop_front();
		}
		c.execs.push_back(std::move(e));
		// The exec ended every other thread: one is left, with the process's
		// pid. Exits of the others may still be reported after this event.
		c.threads_known = true;
		c.threads = {ev.tgid};
		c.last_exec_ns = when;
		// The executable and comm are the exec record's, which comes after
		// this (and which an exit row waits for): unknown until then, and
		// for good if that record is lost, never the image before.
		c.has_path = false;
		c.path.clear();
		c.comm.clear();
		c.exit_pending = false; // a non-leader thread's exec: the leader's exit was not the process's
		// What was read before the exec may no longer hold (uid after a
		// setuid binary, cgroup, tty): see known_cgroup().
		if (info.alive || info.has_cgroup) {
			c.info = info;
			c.info_read_ns = now;
			c.info_before_exec = false;
		} else {
			c.info_before_exec = true;
		}
		remember_cgroup(info, now);
		if (info.alive) {
			if (!c.has_start_time) {
				c.has_start_time = true;
				c.start_time = proc_.start_time_ns(info.start_ticks);
			}
			if (!c.ns.known) {
				c.ns = info.namespaces();
			}
			if (c.parent == 0) {
				c.parent = info.parent;
			}
		} else {
			proc_missed_.fetch_add(1, std::memory_order_relaxed);
		}
		break;
	}
	case ProcEvent::exit: {
		if (ev.pid == ev.tgid) {
			read_forked(ev.tgid); // if still unread: what a process that just ended still shows
		}
		CachedProcess* c = cache_.find(ev.tgid);
		if (c && ev.pid != ev.tgid) {
			// A thread that exited did not call the execs still unclaimed
			// (the exec'ing thread is never reported: it lives on).
			for (CachedProcess::Exec& e : c->execs) {
				e.candidates.erase(std::remove(e.candidates.begin(), e.candidates.end(), ev.pid), e.candidates.end());
			}
		}
		if (c && ev.pid == ev.tgid && when < c->last_exec_ns) {
			// The old leader, ended by a non-leader thread's exec (its exit
			// is stamped before the exec took its pid over): not the
			// process's exit, and the new leader keeps the pid.
			break;
		}
		if (c && c->threads_known) {
			if (c->threads.size() > 1) {
				c->last_multi_ns = std::max(c->last_multi_ns, when);
			}
			// The last thread stays in the set: it names the caller of the
			// calls whose records are still to come.
			const bool last = c->threads.size() == 1 && c->threads[0] == ev.pid;
			if (!last) {
				remove_thread(*c, ev.pid);
			}
			if (ev.pid == ev.tgid) {
				if (last) {
					emit_exit(ev.tgid, when, ev.exit_code);
				} else {
					// The leader left first (pthread_exit in main): the
					// process ends with its last thread.
					c->exit_pending = true;
				}
			} else if (last && c->exit_pending && !c->exit_reported) {
				emit_exit(ev.tgid, when, ev.exit_code);
			}
			break;
		}
		// Threads not known (a connector overrun): /proc tells.
		if (ev.pid == ev.tgid) {
			if (other_threads_alive(ev.tgid, ev.pid)) {
				cache_.get(ev.tgid).exit_pending = true;
			} else {
				emit_exit(ev.tgid, when, ev.exit_code);
			}
		} else if (c && c->exit_pending && !c->exit_reported) {
			if (!other_threads_alive(ev.tgid, ev.pid)) {
				emit_exit(ev.tgid, when, ev.exit_code);
			}
		}
		break;
	}
	case ProcEvent::other: break;
	}
}

void AuditCorrelator::emit_exit(int32_t pid, int64_t time_ns, uint32_t status) {
	CachedProcess& c = cache_.get(pid);
	if (c.exit_reported) {
		return; // already reported
	}
	c.exit_reported = true;
	c.ended_ns = time_ns;
	c.exit_pending = false;
	// The row waits for the audit records of the process's execs still
	// unclaimed: they bring the comm and executable it ended with. The
	// connector's exec and exit are read ahead of those records, and /proc
	// showed nothing at the exec when the process had ended first.
	pending_exits_.push_back(PendingExit{pid, time_ns, status, now()});
}

// Exits whose process has no exec left unclaimed, that waited longer than an
// audit record may trail (its exec record was lost), or of `pid` (about to be
// reused by a new process).
void AuditCorrelator::flush_exits(int64_t now_ns, int32_t pid) {
	for (auto it = pending_exits_.begin(); it != pending_exits_.end();) {
		const CachedProcess* c = cache_.find(it->pid);
		if (!c || c->execs.empty() || now_ns - it->seen_ns > kForkClaimNs || it->pid == pid) {
			append_exit(*it);
			it = pending_exits_.erase(it);
		} else {
			++it;
		}
	}
}

void AuditCorrelator::append_exit(const PendingExit& e) {
	ExitRow row{};
	row.time_ns = e.time_ns;
	row.pid = e.pid;
	row.status = e.status;
	ExitStrings strings{};
	const CachedProcess empty;
	CachedProcess* found = cache_.find(e.pid);
	if (found && found->read_pending) {
		// Its exit would have read it: the pid may be another process's now.
		found->read_pending = false;
		proc_missed_.fetch_add(1, std::memory_order_relaxed);
	}
	const CachedProcess& c = found ? *found : empty;
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
	if (known_cgroup(c, e.time_ns, &row.cgroup_id)) {
		container = sink_.container_of(row.cgroup_id, e.time_ns);
	} else {
		row.row_flags |= kLifecycleNoProcInfo;
	}
	strings[kExitContainerId] = container;
	sink_.exit(row, strings);
	exit_rows_.fetch_add(1, std::memory_order_relaxed);
}

// A new process's namespaces, once its parent's clone record is handled: the
// parent's as its records left them at the call (for pid and time, those of
// its children), but for the kinds the clone created (`created`), which only
// the child's /proc read at the fork shows; `sure` false (clone3, whose
// flags audit does not show: `created` is what that read differed in) keeps
// those kinds unsure.
void AuditCorrelator::settle_namespaces(const CachedProcess& caller, const PendingFork& f, uint32_t created, bool sure) {
	CachedProcess* child = cache_.find(f.child_tgid);
	if (!child || !child->ns_pending || !child->has_start_time || child->start_time != f.time_ns) {
		return;
	}
	child->ns_pending = false;
	if (child->ns_calls_seen || !caller.ns.known) {
		return; // its own calls moved on already, or nothing better to give
	}
	const Namespaces read = child->ns;
	Namespaces n;
	n.known = true;
	for (size_t i = 0; i < n.ns.size(); i++) {
		const uint32_t seen = read.known ? read.ns[i] : 0;
		// 0: unreadable in the caller (pid_for_children reads as nothing
		// until the new pid namespace has its first process): the child's
		// own read then.
		const uint32_t inherited = caller.ns.for_children(i);
		n.ns[i] = (created & (1u << i)) || inherited == 0 ? seen : inherited;
	}
	// A new process's children are born where it is (until it unshares).
	n.pid_for_children = n.ns[4];
	n.time_for_children = n.ns[7];
	child->ns = n;
	child->ns_unsure = sure ? 0 : created;
}

// The process's cgroup as last read, when it still holds: read since its
// last exec, or a container's cgroup. A process that ended before /proc was
// read at its exec may have been moved since the earlier read (a runtime
// moves its child into the container's cgroup before the exec), but into a
// container, not out of one: a container's cgroup read before still holds.
bool AuditCorrelator::known_cgroup(const CachedProcess& c, int64_t time_ns, uint64_t* id) {
	if (!c.info.has_cgroup) {
		return false;
	}
	if (c.info_before_exec && sink_.container_of(c.info.cgroup_id, time_ns).empty()) {
		return false;
	}
	*id = c.info.cgroup_id;
	return true;
}

void AuditCorrelator::ingest_exec(AuditDecoded& d) {
	ExecRow& row = d.exec;
	CachedProcess* c = observe(row.pid);
	// Audit names the process, not the thread that called exec: the
	// connector's thread reports tell it (see CachedProcess::Exec), else NULL.
	row.flags |= kExecNoTid;
	const int64_t stamp = row.time_ns;
	// The time of the exec as the connector saw it: audit stamps the syscall's
	// entry with the coarse clock (a tick behind, in ms), which would put some
	// execs before the fork that made their process.
	while (!c->execs.empty() && c->execs.front().time_ns < stamp - kAuditStampSlackNs) {
		c->execs.pop_front(); // an exec whose audit record never came
	}
	// What /proc showed at this exec: the one the connector reported, else a
	// read made after the call began (a process observed only now).
	ProcInfo at_exec;
	if (c->info_read_ns >= stamp) {
		at_exec = c->info;
	}
	// The privileges only from the read at the connector's exec: any other
	// read may be of a later image, or of this one after it changed them.
	ProcPrivileges privileges;
	if (!c->execs.empty() && c->execs.front().time_ns <= stamp + kExecClaimWindowNs) {
		const CachedProcess::Exec& e = c->execs.front();
		row.time_ns = e.time_ns;
		at_exec = e.info;
		privileges = e.info.privileges;
		if (e.threads_known && e.candidates.size() == 1) {
			const int32_t t = e.candidates[0];
			if (t != row.pid || e.multi_before < stamp - kAuditStampSlackNs) {
				row.tid = t;
				row.flags &= ~kExecNoTid;
			}
		}
		c->execs.pop_front();
	}
	if (c->has_start_time) {
		row.start_time = c->start_time;
	} else {
		row.flags |= kExecNoStartTime;
	}
	// cgroup as /proc showed it at the exec, else see known_cgroup(). The
	// pid in its namespace stays what it was (an exec keeps the pid). The
	// namespaces do not change at an exec: as the process's records left
	// them (exact when known), else as /proc showed them (an ending process
	// loses them first).
	bool has_cgroup = at_exec.has_cgroup;
	row.cgroup_id = at_exec.cgroup_id;
	if (!has_cgroup) {
		// Else the cgroup of its first child since the exec, as /proc showed
		// it at that fork: a process forks where it runs, and a runtime moves
		// its child into the container before the exec, not after. (Its fork
		// is still unclaimed here: the call's record comes after this one.
		// A clone3 with CLONE_INTO_CGROUP would mislead this, from a process
		// that ended before /proc could be read at its exec.)
		read_forks_of(row.pid, 0);
		for (const PendingFork& f : forks_) {
			if (f.caller_tgid == row.pid && !f.thread() && f.time_ns >= row.time_ns && f.child_has_cgroup) {
				has_cgroup = true;
				row.cgroup_id = f.child_cgroup_id;
				break;
			}
		}
	}
	if (!has_cgroup) {
		has_cgroup = known_cgroup(*c, row.time_ns, &row.cgroup_id);
	}
	row.ns_pid = at_exec.ns_pid != 0 ? at_exec.ns_pid : c->info.ns_pid;
	constexpr uint32_t kMntPid = (1u << 0) | (1u << 4);
	if (c->ns.known && !(c->ns_unsure & kMntPid) && c->ns.ns[0] != 0 && c->ns.ns[4] != 0) {
		row.mnt_ns = c->ns.ns[0];
		row.pid_ns = c->ns.ns[4];
	} else if (at_exec.has_namespaces) {
		row.mnt_ns = at_exec.ns[0];
		row.pid_ns = at_exec.ns[4];
	}
	if (!has_cgroup || row.ns_pid == 0 || row.mnt_ns == 0 || row.pid_ns == 0) {
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

	// Audit's EXECVE record carries no environment, and nothing says which
	// file system or overlay layer the file was on (unknown_columns.cpp).
	row.flags |= kExecNoEnv | kExecNoExeFs;
	row.exe_upper = uint8_t(ExecLayer::unknown);
	if (privileges.known) {
		row.cap_effective = privileges.cap_effective;
		row.cap_permitted = privileges.cap_permitted;
		row.cap_ambient = privileges.cap_ambient;
		row.cap_bounding = privileges.cap_bounding;
		row.no_new_privs = privileges.no_new_privs;
		row.seccomp = privileges.seccomp;
	} else {
		row.flags |= kExecNoPrivileges;
	}

	const std::string container = (row.flags & kExecNoProcInfo)
	                                  ? std::string()
	                                  : sink_.container_of(row.cgroup_id, row.time_ns);
	ExecStrings s{};
	s[kExecPath] = d.path;
	s[kExecFilename] = d.filename;
	s[kExecCwd] = d.cwd;
	s[kExecParentPath] = parent_path;
	s[kExecTty] = d.tty;
	s[kExecArgv] = d.argv;
	s[kExecContainerId] = container;
	sink_.exec(row, s);
	exec_rows_.fetch_add(1, std::memory_order_relaxed);
	if (row.flags & kExecCmdlineTruncated) {
		argv_truncated_.fetch_add(1, std::memory_order_relaxed);
	}
}

// A failed exec: the record has the caller as it was and stays (comm, exe,
// ids); the process-events connector reports nothing of it, so the time is
// audit's stamp, and the thread, start time and cgroup come from what procsql
// knows of the process (its cache, else /proc now).
void AuditCorrelator::ingest_exec_failure(AuditDecoded& d) {
	ExecFailureRow& row = d.failure;
	CachedProcess* c = observe(row.pid);
	row.flags |= kFailNoTid;
	if (const int32_t tid = lone_thread(*c, row.time_ns)) {
		row.tid = tid;
		row.flags &= ~kFailNoTid;
	}
	if (c->has_start_time) {
		row.start_time = c->start_time;
	} else {
		row.flags |= kFailNoStartTime;
	}
	std::string container;
	if (known_cgroup(*c, row.time_ns, &row.cgroup_id)) {
		container = sink_.container_of(row.cgroup_id, row.time_ns);
	} else {
		row.flags |= kFailNoProcInfo;
	}
	ExecFailureStrings s{};
	s[kFailPath] = d.path;
	s[kFailFilename] = d.filename;
	s[kFailCwd] = d.cwd;
	s[kFailTty] = d.tty;
	s[kFailArgv] = d.argv;
	s[kFailContainerId] = container;
	sink_.exec_failure(row, s);
	failure_rows_.fetch_add(1, std::memory_order_relaxed);
	if (row.flags & kFailCmdlineTruncated) {
		failure_argv_truncated_.fetch_add(1, std::memory_order_relaxed);
	}
}

void AuditCorrelator::ingest_call(AuditDecoded& d) {
	CloneRow& row = d.call;
	const CloneSyscall call = CloneSyscall(row.syscall);
	const bool creates = call == CloneSyscall::clone || call == CloneSyscall::clone3 || call == CloneSyscall::fork ||
	                     call == CloneSyscall::vfork;
	const bool ns_call = call == CloneSyscall::unshare || call == CloneSyscall::setns;
	const int64_t stamp = row.time_ns;
	CachedProcess* caller = observe(row.pid);
	row.row_flags |= kLifecycleNoTid;
	if (creates && row.result > 0) {
		// Whether the call made a thread: clone says (CLONE_THREAD), fork and
		// vfork never do, clone3's flags are not in the record.
		const int want_thread = call == CloneSyscall::clone ? ((row.flags & kCloneThread) ? 1 : 0)
		                        : call == CloneSyscall::clone3 ? -1
		                                                       : 0;
		auto fits = [&](const PendingFork& f) { return want_thread < 0 || f.thread() == (want_thread == 1); };
		// The connector's fork for this call, best first: the caller's fork
		// whose child has the result as host pid (a caller that sees host
		// pids); with CLONE_PARENT the connector names the caller's parent
		// instead, so a fork of its parent with that child pid; the caller's
		// fork whose child has the result as pid in its namespace (a caller
		// in a container); else the caller's oldest unclaimed fork.
		auto match = forks_.end();
		int rank = 4;
		auto find_match = [&] {
			match = forks_.end();
			rank = 4;
			for (auto it = forks_.begin(); it != forks_.end() && rank > 0; ++it) {
				if (!fits(*it)) {
					continue;
				}
				const bool mine = it->caller_tgid == row.pid;
				int r = 4;
				if (mine && it->child_pid == row.result) {
					r = 0;
				} else if (!it->thread() && caller->parent != 0 && it->parent_tgid == caller->parent &&
				           it->child_pid == row.result) {
					r = 1;
				} else if (mine && it->child_ns_pid == row.result) {
					r = 2;
				} else if (mine) {
					r = 3;
				}
				if (r < rank) {
					rank = r;
					match = it;
				}
			}
		};
		find_match();
		if (rank >= 2 && fork_reads_pending()) {
			// Rank 2 needs the children's pids in their namespace, which a
			// child not read yet (fork_read_delay_ns) does not have.
			read_forks_of(row.pid, row.result);
			find_match();
		}
		if (match != forks_.end()) {
			if (!match->thread()) {
				read_forked(match->child_pid); // its namespaces, before they are used
			}
			const PendingFork f = *match;
			forks_.erase(match);
			if (f.thread() && !options_.threads) {
				// clone3 cannot be filtered by a rule: its thread creations
				// arrive and are dropped here.
				thread_calls_dropped_.fetch_add(1, std::memory_order_relaxed);
				return;
			}
			// The connector's parent is the calling thread only for a new
			// process made without CLONE_PARENT (rank 0 and 2).
			const int32_t tid = rank == 1 ? 0 : f.caller_tid;
			if (tid != 0) {
				row.row_flags &= ~kLifecycleNoTid;
				row.tid = tid;
			}
			row.row_flags |= kLifecycleHasChild;
			row.child_pid = f.child_tgid;
			row.child_tid = f.child_pid;
			row.child_start_time = f.time_ns;
			row.time_ns = f.time_ns; // exact, where audit's stamp is coarse (see ingest_exec)
			if (row.row_flags & kLifecycleNoNamespaces || call == CloneSyscall::clone3) {
				// Namespaces created are those the child has and the caller's
				// children are not born in (clone3's flags are behind a
				// pointer audit does not follow).
				bool known = false;
				const uint32_t mask = new_namespaces(caller->ns, f.ns, f.thread(), &known);
				if (known) {
					row.new_ns = mask;
					row.row_flags &= ~kLifecycleNoNamespaces;
				} else {
					row.row_flags |= kLifecycleNoNamespaces;
				}
			}
			if (!f.thread()) {
				const bool sure = call != CloneSyscall::clone3 && !(row.row_flags & kLifecycleNoNamespaces);
				settle_namespaces(*caller, f, (row.row_flags & kLifecycleNoNamespaces) ? 0xffu : row.new_ns, sure);
			}
		}
	}
	if (row.row_flags & kLifecycleNoTid) {
		// A process with one thread made the call with that thread.
		if (const int32_t tid = lone_thread(*caller, stamp)) {
			row.tid = tid;
			row.row_flags &= ~kLifecycleNoTid;
		}
	}

	// unshare and setns: the namespaces as the call left them. The state
	// before it is the one kept since the process appeared or made its last
	// such call. After it: what /proc showed at the process's first exec or
	// fork still unclaimed by a record (made after this call: records of one
	// process come in the order of its calls; a fork with CLONE_PARENT by a
	// child of the caller is listed as the caller's too, hence the time
	// check), else /proc now. Only the kinds
	// the call can change are taken from there (a later call may have changed
	// others), and setns reports those whose namespace actually changed
	// (setns into the namespace one is in changes nothing).
	if (ns_call && row.result == 0) {
		const uint32_t kinds = (row.row_flags & kLifecycleNoNamespaces) ? 0xffu : row.new_ns;
		Namespaces after;
		int64_t after_ns = INT64_MAX;
		if (!caller->execs.empty() && caller->execs.front().info.alive && caller->execs.front().time_ns >= stamp) {
			after = caller->execs.front().info.namespaces();
			after_ns = caller->execs.front().time_ns;
		}
		for (const PendingFork& f : forks_) {
			if (f.caller_tgid == row.pid && !f.thread() && f.caller_ns.known && f.time_ns >= stamp) {
				if (f.time_ns < after_ns) {
					after = f.caller_ns;
				}
				break;
			}
		}
		if (!after.known) {
			after = proc_.namespaces(row.pid);
		}
		Namespaces& state = caller->ns;
		// Before its parent's clone record, a new process's namespaces are
		// what /proc showed at its fork, perhaps already after this call.
		const bool unsure = (kinds & caller->ns_unsure) != 0;
		caller->ns_calls_seen = true;
		if (call == CloneSyscall::setns) {
			uint32_t changed = 0;
			bool known = after.known && state.known && !unsure;
			for (size_t i = 0; known && i < state.ns.size(); i++) {
				if (!(kinds & (1u << i))) {
					continue;
				}
				const uint32_t was = state.for_children(i), is = after.for_children(i);
				if (was == 0 || is == 0) {
					known = was == is;
				} else if (was != is) {
					changed |= 1u << i;
				}
			}
			if (known) {
				row.new_ns = changed;
				row.row_flags &= ~kLifecycleNoNamespaces;
			} else {
				row.row_flags |= kLifecycleNoNamespaces;
			}
		}
		if (!after.known) {
			// Ended before anything showed its namespaces after the call:
			// those the call may have changed are unknown from here on, the
			// row's mnt_ns among them.
			if (kinds & 1u) {
				row.row_flags |= kLifecycleNoProcInfo;
			}
			state.known = false;
		} else if (state.known) {
			caller->ns_unsure &= ~kinds;
			for (size_t i = 0; i < state.ns.size(); i++) {
				if (kinds & (1u << i)) {
					state.ns[i] = after.ns[i];
					if (i == 4) {
						state.pid_for_children = after.pid_for_children;
					} else if (i == 7) {
						state.time_for_children = after.time_for_children;
					}
				}
			}
		} else {
			state = after;
		}
	}
	// The caller's cgroup and namespaces when the call returned (namespaces
	// as kept across its calls: a later /proc read may show later ones).
	// A new process's mount namespace is unsure until its parent's clone
	// record settles it when /proc, read late, showed another than its
	// parent's (see on_proc_event): it may be one it entered after this call.
	if (known_cgroup(*caller, row.time_ns, &row.cgroup_id) && caller->ns.known && caller->ns.ns[0] != 0 &&
	    caller->ns.ns[4] != 0 && !(caller->ns_unsure & 1u)) {
		row.mnt_ns = caller->ns.ns[0];
		row.pid_ns = caller->ns.ns[4];
	} else {
		row.row_flags |= kLifecycleNoProcInfo;
	}
	CloneStrings s{};
	if (!d.path.empty()) {
		row.row_flags |= kLifecycleHasPath;
		s[kClonePath] = d.path;
	}
	const std::string container = (row.row_flags & kLifecycleNoProcInfo)
	                                  ? std::string()
	                                  : sink_.container_of(row.cgroup_id, row.time_ns);
	s[kCloneContainerId] = container;
	sink_.clone(row, s);
	clone_rows_.fetch_add(1, std::memory_order_relaxed);
}

void AuditCorrelator::ingest_exit_group(AuditDecoded& d) {
	// With the connector, exits come from it: it also sees signals.
	if (options_.connector) {
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
void AuditCorrelator::flush_unclaimed_forks(int64_t now_ns) {
	while (!forks_.empty() && now_ns - forks_.front().seen_ns > kForkClaimNs) {
		const PendingFork f = forks_.front();
		forks_.pop_front();
		append_unclaimed(f);
	}
}

void AuditCorrelator::append_unclaimed(const PendingFork& f) {
	if (CachedProcess* child = cache_.find(f.child_tgid); child && !f.thread() && child->start_time == f.time_ns) {
		read_forked(f.child_tgid);
		child->ns_pending = false; // no record will settle them: keep what /proc showed
	}
	if (f.child_pid != f.child_tgid && !options_.threads) {
		return; // a thread: not a row unless asked for
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
	if (f.caller_tid == 0) {
		row.row_flags |= kLifecycleNoTid;
	}
	CloneStrings s{};
	std::string container;
	if (const CachedProcess* caller = cache_.find(f.caller_tgid)) {
		copy_comm(row.comm, caller->comm);
		row.uid = caller->info.uid;
		if (caller->has_path) {
			row.row_flags |= kLifecycleHasPath;
			s[kClonePath] = caller->path;
		}
		if (known_cgroup(*caller, row.time_ns, &row.cgroup_id) && caller->ns.known && caller->ns.ns[0] != 0 &&
		    caller->ns.ns[4] != 0) {
			row.mnt_ns = caller->ns.ns[0];
			row.pid_ns = caller->ns.ns[4];
			container = sink_.container_of(row.cgroup_id, row.time_ns);
		} else {
			row.row_flags |= kLifecycleNoProcInfo;
		}
	} else {
		row.row_flags |= kLifecycleNoProcInfo;
	}
	s[kCloneContainerId] = container;
	sink_.clone(row, s);
	clone_rows_.fetch_add(1, std::memory_order_relaxed);
	unclaimed_forks_.fetch_add(1, std::memory_order_relaxed);
}

void AuditCorrelator::housekeeping(int64_t now_ns) {
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
		sink_.check_removed_cgroups(now_ns);
	}
}

void AuditCorrelator::live_processes(std::vector<LiveProcess>* out) {
	out->clear();
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
		p.start_time = c->has_start_time ? c->start_time : proc_.start_time_ns(info.start_ticks);
		p.cgroup_id = info.cgroup_id;
		p.has_path = proc_.link(pid, "exe", &p.path);
		p.has_cwd = proc_.link(pid, "cwd", &p.cwd);
		p.tty = tty_from_device(info.tty_nr);
		p.has_tty = !p.tty.empty();
		p.has_privileges = info.privileges.known;
		p.cap_effective = info.privileges.cap_effective;
		p.cap_permitted = info.privileges.cap_permitted;
		p.cap_ambient = info.privileges.cap_ambient;
		p.cap_bounding = info.privileges.cap_bounding;
		p.no_new_privs = info.privileges.no_new_privs;
		p.seccomp = info.privileges.seccomp;
		out->push_back(std::move(p));
	}
}

AuditCorrelatorStats AuditCorrelator::stats() const {
	AuditCorrelatorStats s;
	s.exec_rows = exec_rows_.load(std::memory_order_relaxed);
	s.clone_rows = clone_rows_.load(std::memory_order_relaxed);
	s.exit_rows = exit_rows_.load(std::memory_order_relaxed);
	s.argv_truncated = argv_truncated_.load(std::memory_order_relaxed);
	s.failure_rows = failure_rows_.load(std::memory_order_relaxed);
	s.failure_argv_truncated = failure_argv_truncated_.load(std::memory_order_relaxed);
	s.records = records_.load(std::memory_order_relaxed);
	s.records_unparsable = unparsable_.load(std::memory_order_relaxed);
	s.events_incomplete = incomplete_.load(std::memory_order_relaxed);
	s.events_undecodable = undecodable_.load(std::memory_order_relaxed);
	s.proc_reads_missed = proc_missed_.load(std::memory_order_relaxed);
	s.forks_without_record = unclaimed_forks_.load(std::memory_order_relaxed);
	s.thread_calls_dropped = thread_calls_dropped_.load(std::memory_order_relaxed);
	return s;
}

} // namespace procsql
