// Where jobs keep their positions: the table procsql_jobs in the main
// database of the connection that runs them (tables/schema.h has its
// columns). Being in the caller's own file is what lets a run commit the
// results it writes there and its new position in one transaction, and a
// non-root user keep jobs of their own.
//
// Every call runs SQL on the caller's connection, inside whatever
// transaction it has open; errors come back as one line.
#pragma once

#include <cstdint>
#include <string>

#include "sqlite_api.h"

namespace procsql::jobs {

struct Position {
	std::string store_id;
	uint64_t eid = 0; // the last eid reported (0: none yet)
};

// What a commit adds to a job's row.
struct CommitCounts {
	uint64_t rows = 0;
	uint64_t missed = 0;
	bool store_changed = false;
};

class JobPositions {
public:
	explicit JobPositions(sqlite3* db) : db_(db) {}

	// A refusal when jobs cannot keep positions in this connection's main
	// database (":memory:", a temporary database, read-only), else "".
	std::string unusable() const;

	// The job's position for `table`; false (and *error empty) when the job
	// has none yet.
	bool read(const std::string& job, const std::string& table, Position* out, std::string* error);
	// Makes the job's row at `start` (a new job), unless a concurrent run
	// made it first: *out is then the row as it is.
	bool create(const std::string& job, const std::string& table, const Position& start, Position* out,
	            std::string* error);
	// Notes a window opened (last_run, runs).
	bool touch(const std::string& job, const std::string& table, std::string* error);
	// Moves the position from `from` to `to`, only if it is still `from`:
	// false with *lost_race when another run committed first.
	bool advance(const std::string& job, const std::string& table, const Position& from, const Position& to,
	             const CommitCounts& counts, bool* lost_race, std::string* error);

	// Makes procsql_jobs if the main database has none.
	bool ensure_table(std::string* error);

	// SAVEPOINT / RELEASE / ROLLBACK TO around a commit of several tables.
	bool savepoint(std::string* error);
	bool release(std::string* error);
	void rollback();

private:
	bool exec(const char* sql, std::string* error);

	sqlite3* db_;
	bool table_ready_ = false;
};

// UTC "YYYY-MM-DD HH:MM:SS" now.
std::string utc_now_text();

} // namespace procsql::jobs
