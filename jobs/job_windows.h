// A connection's jobs: the window each job sees on each event table in this
// run, and the commit that moves the job's position to the window's end.
//
// A run is what happens between a job's first window in this connection
// and procsql_commit(job) (or procsql_reset(job)): every query of the run
// sees the same window, fixed when it opened, so a query and the commit that
// follows it agree on what was reported. Positions live in the connection's
// main database (job_positions.h); a commit only moves a position that
// nobody moved since the window opened, so two runs of one job never both
// commit (the second fails, its rows having been output at least once).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "job_positions.h"
#include "tables.h"

namespace procsql::jobs {

enum class Start { oldest, newest };

struct Window {
	std::string job; // "" for no job: the whole table, nothing kept
	std::string table;
	std::string store_id;
	uint64_t lo = 1;
	uint64_t hi = 0; // hi < lo: nothing new
	uint64_t missed = 0;
	bool store_changed = false;
	bool first_run = false;
	Position from;              // the position the window started from
	uint64_t first_at_open = 0; // the table's oldest readable eid then
	std::string opened;         // when, UTC text

	uint64_t size() const { return hi >= lo ? hi - lo + 1 : 0; }
	uint64_t rows() const { return size() - missed; }
};

class JobWindows {
public:
	using Warn = std::function<void(const std::string&)>;

	JobWindows(sqlite3* db, CollectorRef collector);

	// The window of `job` ("" for none) on `table` for this run, opened now
	// if this connection has none open for them.
	bool window(const std::string& job, const std::string& table, Start start, Window* out, std::string* error);
	// Commits the windows of `job` open in this connection; *rows: how many
	// rows they covered. Nothing open: true and 0.
	bool commit(const std::string& job, uint64_t* rows, std::string* error);
	// Forgets the job's open windows without committing: the next window
	// starts from the committed position again.
	void reset(const std::string& job);

	// Where a new job starts when procsql_window is given no start.
	void set_default_start(Start start);
	Start default_start();

	// Where losses are said (stderr by default: cron mails it).
	void set_warn(Warn warn);

private:
	bool open(const std::string& job, const std::string& table, Start start, Window* out, std::string* error);
	void warn(const std::string& line);
	void forget(const std::string& job); // mutex_ held

	std::mutex mutex_;
	sqlite3* db_;
	CollectorRef collector_;
	JobPositions positions_;
	std::map<std::pair<std::string, std::string>, Window> open_;
	Start default_start_ = Start::oldest;
	Warn warn_;
};

} // namespace procsql::jobs
