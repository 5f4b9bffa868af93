#include "job_windows.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "collector.h"

namespace procsql::jobs {

namespace {

std::string eid_range(uint64_t lo, uint64_t hi) {
	return lo == hi ? "eid " + std::to_string(lo) : "eids " + std::to_string(lo) + ".." + std::to_string(hi);
}

} // namespace

JobWindows::JobWindows(sqlite3* db, CollectorRef collector)
    : db_(db), collector_(std::move(collector)), positions_(db),
      warn_([](const std::string& line) {
	      std::string text = "procsql: " + line + "\n";
	      std::fwrite(text.data(), 1, text.size(), stderr);
	      std::fflush(stderr);
      }) {}

void JobWindows::set_warn(Warn warn) {
	std::lock_guard<std::mutex> lock(mutex_);
	warn_ = std::move(warn);
}

void JobWindows::set_default_start(Start start) {
	std::lock_guard<std::mutex> lock(mutex_);
	default_start_ = start;
}

Start JobWindows::default_start() {
	std::lock_guard<std::mutex> lock(mutex_);
	return default_start_;
}

void JobWindows::warn(const std::string& line) {
	if (warn_) {
		warn_(line);
	}
}

bool JobWindows::window(const std::string& job, const std::string& table, Start start, Window* out,
                        std::string* error) {
	std::lock_guard<std::mutex> lock(mutex_);
	if (!job.empty()) {
		auto it = open_.find({job, table});
		if (it != open_.end()) {
			*out = it->second;
			return true;
		}
	}
	if (!open(job, table, start, out, error)) {
		return false;
	}
	if (!job.empty()) {
		open_[{job, table}] = *out;
	}
	return true;
}

bool JobWindows::open(const std::string& job, const std::string& table, Start start, Window* out,
                      std::string* error) {
	Collector& c = *collector_;
	uint64_t first = 0, next = 0;
	if (!c.event_eids(table, &first, &next)) {
		*error = "procsql_window: '" + table +
		         "' is not an event table (process_events, clone_events, process_exits, exec_failures): the other "
		         "tables have no eids; report their changes with a differential job (procsql query --differential)";
		return false;
	}
	if (!job.empty()) {
		if (c.mode() != Collector::Mode::attached) {
			*error = "job '" + job + "' needs procsqld: this connection runs its own collector (" + c.mode_name() +
			         "), whose rows start when it started, so a job would have no history between runs; start "
			         "procsqld (README, \"procsqld\")";
			return false;
		}
		const std::string refusal = positions_.unusable();
		if (!refusal.empty()) {
			*error = "job '" + job + "': " + refusal;
			return false;
		}
	}
	// Read-your-writes: what happened before the window opened is in it.
	if (!c.drain(error)) {
		return false;
	}
	c.event_eids(table, &first, &next);
	Window w;
	w.job = job;
	w.table = table;
	w.store_id = c.store_id();
	w.hi = next - 1;
	w.first_at_open = first;
	if (job.empty()) {
		w.lo = first;
		*out = w;
		return true;
	}

	if (!positions_.read(job, table, &w.from, error)) {
		return false;
	}
	if (!w.from.exists) {
		// A new job starts at the oldest row held, or after the newest. Its
		// row is made when this run commits.
		w.from.store_id = w.store_id;
		w.from.eid = start == Start::newest ? next - 1 : first - 1;
		w.first_run = true;
	}
	w.opened = utc_now_text();
	if (w.from.store_id != w.store_id) {
		// procsqld's state was made anew (wiped, rebooted, upgraded): its eids
		// restart, so the old position means nothing here.
		w.store_changed = true;
		w.lo = 1;
		warn("job '" + job + "': " + table + " is in a new store (" + w.store_id + "; the job's position was in " +
		     (w.from.store_id.empty() ? std::string("none") : w.from.store_id) +
		     "): procsqld's state was made anew, so this run starts at the new store's first row");
	} else {
		w.lo = w.from.eid + 1;
	}
	if (w.hi >= w.lo && first > w.lo) {
		w.missed = std::min(first, w.hi + 1) - w.lo;
		warn("job '" + job + "': " + std::to_string(w.missed) + " rows of " + table + " (" +
		     eid_range(w.lo, w.lo + w.missed - 1) +
		     ") were overwritten before this run could read them: run the job more often, or give procsqld a "
		     "larger PROCSQL_CAPACITY / PROCSQL_ARENA_BYTES");
	}
	*out = w;
	return true;
}

bool JobWindows::commit(const std::string& job, uint64_t* rows, std::string* error) {
	std::lock_guard<std::mutex> lock(mutex_);
	*rows = 0;
	std::vector<Window*> windows;
	for (auto& [key, w] : open_) {
		if (key.first == job) {
			windows.push_back(&w);
		}
	}
	if (windows.empty()) {
		return true;
	}
	Collector& c = *collector_;
	const std::string store_now = c.store_id();
	for (Window* w : windows) {
		if (w->store_id != store_now) {
			*error = "job '" + job + "': procsqld's store changed while this run read " + w->table +
			         ", so its rows may come from either store: nothing is committed, the next run starts at the "
			         "new store";
			forget(job);
			return false;
		}
		// Rows of the window overwritten while the run read it may have been
		// read first or not: counted as missed, and said.
		uint64_t first = 0, next = 0;
		c.event_eids(w->table, &first, &next);
		const uint64_t from = std::max(w->lo + w->missed, w->first_at_open);
		if (w->hi >= from && first > from) {
			const uint64_t late = std::min(first, w->hi + 1) - from;
			w->missed += late;
			warn("job '" + job + "': " + std::to_string(late) + " rows of " + w->table + " (" +
			     eid_range(from, from + late - 1) +
			     ") were overwritten while this run read them: some may be missing from its output");
		}
	}
	if (!positions_.begin(error)) {
		return false;
	}
	for (Window* w : windows) {
		CommitCounts counts{w->rows(), w->missed, w->store_changed, w->opened};
		bool lost_race = false;
		if (!positions_.advance(job, w->table, w->from, Position{true, w->store_id, w->hi}, counts, &lost_race, error)) {
			positions_.rollback();
			if (!lost_race) {
				return false;
			}
			Position now;
			std::string ignored;
			const std::string where =
			    positions_.read(job, w->table, &now, &ignored) ? std::to_string(now.eid) : std::string("gone");
			*error = "job '" + job + "': another run of this job committed " + w->table +
			         " first (its position moved from " + std::to_string(w->from.eid) + " to " + where +
			         " while this run read " + eid_range(w->lo, w->hi) +
			         "): this run commits nothing; its rows were output at least once, none is skipped";
			forget(job);
			return false;
		}
	}
	if (!positions_.end(error)) {
		positions_.rollback();
		return false;
	}
	for (Window* w : windows) {
		*rows += w->size();
	}
	forget(job);
	return true;
}

void JobWindows::reset(const std::string& job) {
	std::lock_guard<std::mutex> lock(mutex_);
	forget(job);
}

void JobWindows::forget(const std::string& job) {
	for (auto it = open_.begin(); it != open_.end();) {
		it = it->first.first == job ? open_.erase(it) : std::next(it);
	}
}

} // namespace procsql::jobs
