// What the audit source knows of each process, by host pid: its start time,
// what /proc said when it was created or exec'd, its executable and comm.
//
// Audit's records arrive milliseconds after the process-events connector's,
// often after a short-lived process has already exited: an entry outlives its
// process by a grace period so those records still find it. Only the consumer
// thread touches the cache (no lock).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "audit/proc_reader.h"

namespace procsql {

struct CachedProcess {
	bool has_start_time = false;
	int64_t start_time = 0; // Unix ns
	ProcInfo info;          // as last read while the process was alive
	bool has_path = false;
	std::string path;       // executable (from the audit exec record, else /proc/PID/exe)
	std::string comm;
	int64_t ended_ns = 0;   // Unix ns of the connector's exit; 0 while alive
	bool exit_pending = false; // the leader exited before its other threads
	bool exit_reported = false;
	// The connector's exec times not yet claimed by an audit exec record
	// (Unix ns, oldest first, a few at most): exact, where audit's own stamp
	// is the coarse clock at syscall entry.
	std::deque<int64_t> exec_times;
};

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
