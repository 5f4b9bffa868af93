// What the audit correlator knows of each process, by host pid: its start time,
// what /proc said when it was created or exec'd, its executable and comm.
//
// Audit's records arrive milliseconds after the process-events connector's,
// often after a short-lived process has already exited: an entry outlives its
// process by a grace period so those records still find it. Only the
// correlator touches the cache, under the source's consume lock.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "sources/audit/proc_reader.h"

namespace procsql {

struct CachedProcess {
	bool has_start_time = false;
	int64_t start_time = 0; // Unix ns
	ProcInfo info;          // as last read while the process was alive
	int64_t info_read_ns = 0; // Unix ns of that read
	bool info_before_exec = false; // it exec'd since, and /proc showed nothing then
	bool read_pending = false; // forked, not read yet (AuditCorrelator::read_forked)
	bool has_path = false;
	std::string path;       // executable (from the audit exec record, else /proc/PID/exe)
	std::string comm;
	int64_t ended_ns = 0;   // Unix ns of the connector's exit; 0 while alive
	bool exit_pending = false; // the leader exited before its other threads
	bool exit_reported = false;
	int32_t parent = 0;     // real parent (connector fork, else /proc), 0 unknown
	int64_t last_exec_ns = 0; // Unix ns of the connector's last exec

	// The live threads (host tids, the leader included) as the connector
	// reported them. Known for a process forked or listed at start while
	// procsql listens (a set: a thread both listed at start and reported by
	// the connector counts once), and reset by an exec, which leaves one
	// thread. Audit records name the process only; this is what tells which
	// thread called (tid) and when the last thread of a process has gone.
	bool threads_known = false;
	std::vector<int32_t> threads;
	// The last connector time the process had more than one thread (0
	// never): a call audit stamps later than this (plus the stamp's slack)
	// while one thread is left was made by that thread.
	int64_t last_multi_ns = 0;

	// The connector's execs not yet claimed by an audit exec record (oldest
	// first, a few at most). time_ns: exact, where audit's own stamp is the
	// coarse clock at syscall entry. candidates: the threads that may have
	// called it (those alive at it, less those whose exit was reported since:
	// the exec'ing thread is never reported). One left other than the pid
	// names it; the pid itself only when the process had one thread before
	// the call (multi_before): when a non-leader thread execs, the kernel may
	// report the old leader's exit under that thread's tid.
	struct Exec {
		int64_t time_ns = 0;
		bool threads_known = false;
		std::vector<int32_t> candidates;
		int64_t multi_before = 0; // last_multi_ns at the exec
		// What /proc showed at the exec (alive false: the process had ended):
		// the exec row's cgroup and namespaces, which the fork's read may no
		// longer be (a runtime moves its child into the container's cgroup
		// before the exec); and the namespaces after every unshare and setns
		// whose record arrives while this exec is unclaimed (records of one
		// process come in the order of its calls).
		ProcInfo info;
		// Unix ns just after that read. Its privileges are the exec's unless
		// the process exec'd again before it: a later exec of the connector's
		// at or before this time makes them unknown.
		int64_t read_ns = 0;
	};
	std::deque<Exec> execs;

	// Namespaces as of the process's last unshare/setns (or its start): the
	// "before" of its next such call, which /proc read when that call's
	// record arrives can no longer show. A new process's are first what /proc
	// showed when the connector reported its fork, which may already be
	// after its first calls (ns_pending); its parent's clone record settles
	// them: the parent's, as the parent's own records leave them at the
	// fork, but for the namespaces the clone created (ns_unsure: those of a
	// clone3, whose flags audit does not show).
	Namespaces ns;
	bool ns_pending = false;
	bool ns_calls_seen = false; // an unshare/setns of its own was handled
	uint32_t ns_unsure = 0;     // kinds (1 << kind) whose "before" is not sure
};

inline bool has_thread(const CachedProcess& c, int32_t tid) {
	return std::find(c.threads.begin(), c.threads.end(), tid) != c.threads.end();
}
inline void add_thread(CachedProcess& c, int32_t tid) {
	if (!has_thread(c, tid)) {
		c.threads.push_back(tid);
	}
}
inline void remove_thread(CachedProcess& c, int32_t tid) {
	c.threads.erase(std::remove(c.threads.begin(), c.threads.end(), tid), c.threads.end());
}

class ProcessCache {
public:
	CachedProcess* find(int32_t pid) {
		auto it = entries_.find(pid);
		return it == entries_.end() ? nullptr : &it->second;
	}
	// A fresh entry for a new process with this pid (a reused pid forgets
	// the old one).
	CachedProcess& reset(int32_t pid) { return entries_[pid] = CachedProcess{}; }
	CachedProcess& get(int32_t pid) { return entries_[pid]; }
	// Forgets processes that ended more than `grace_ns` before `now_ns`.
	void expire(int64_t now_ns, int64_t grace_ns) {
		for (auto it = entries_.begin(); it != entries_.end();) {
			if (it->second.ended_ns != 0 && now_ns - it->second.ended_ns > grace_ns) {
				it = entries_.erase(it);
			} else {
				++it;
			}
		}
	}
	template <class F>
	void for_each(F&& f) {
		for (auto& [pid, c] : entries_) {
			f(pid, c);
		}
	}
	size_t size() const { return entries_.size(); }

private:
	std::unordered_map<int32_t, CachedProcess> entries_;
};

} // namespace procsql
