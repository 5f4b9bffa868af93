// Where jobs keep their positions: the table procsql_jobs in the main
// database of the connection that runs them (tables/schema.h has its
// columns). Being in the caller's own file is what lets a run commit the
// results it writes there and its new position in one transaction, and a
// non-root user keep jobs of their own.
//
// Every call runs SQL on the caller's connection, inside whatever
// transaction it has open; errors come back as one line. Opening a window
// only reads (a job's row is made by its first commit): a run that is still
// writing its output takes no write lock that another job's run would wait
// for, and never needs to upgrade a read snapshot another commit made stale.
#pragma once

#include <cstdint>
#include <string>

#include "sqlite_api.h"

namespace procsql::jobs {

struct Position {
	bool exists = false; // the job has committed before
	std::string store_id;
	uint64_t eid = 0; // the last eid reported (0: none yet)
};

// What a commit adds to a job's row.
struct CommitCounts {
	uint64_t rows = 0;
	uint64_t missed = 0;
	bool store_changed = false;
	std::string began; // when the run opened its window (last_run)
};

class JobPositions {
public:
	explicit JobPositions(sqlite3* db) : db_(db) {}

	// A refusal when jobs cannot keep positions in this connection's main
	// database (":memory:", a temporary database, read-only), else "".
	std::string unusable() const;

	// The job's position for `table` (exists false when it has never
	// committed). Only reads: opening a window writes nothing.
	bool read(const std::string& job, const std::string& table, Position* out, std::string* error);
	// Moves the position from `from` to `to`, only if it is still `from`
	// (a first commit makes the job's row, only if no other run made it):
	// false with *lost_race when another run committed first.
	bool advance(const std::string& job, const std::string& table, const Position& from, const Position& to,
	             const CommitCounts& counts, bool* lost_race, std::string* error);

	// Makes procsql_jobs if the main database has none.
	bool ensure_table(std::string* error);

	// Around a commit of several tables: its own transaction, or a
	// savepoint inside the caller's.
	bool begin(std::string* error);
	bool end(std::string* error);
	void rollback();

private:
	bool has_table(bool* exists, std::string* error);

	sqlite3* db_;
	bool table_ready_ = false;
	bool own_transaction_ = false;
};

// UTC "YYYY-MM-DD HH:MM:SS" now.
std::string utc_now_text();

} // namespace procsql::jobs
