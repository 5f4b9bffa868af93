#include "job_positions.h"

#include <ctime>
#include <memory>

#include "jobs_db.h"
#include "schema.h"

namespace procsql::jobs {

namespace {

bool step_done(sqlite3* db, sqlite3_stmt* stmt, std::string* error) {
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		*error = db_error(db);
		return false;
	}
	return true;
}

std::string column_text(sqlite3_stmt* stmt, int i) {
	const unsigned char* p = sqlite3_column_text(stmt, i);
	return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(stmt, i))) : std::string();
}

} // namespace

std::string utc_now_text() {
	const time_t now = time(nullptr);
	struct tm tm {};
	gmtime_r(&now, &tm);
	char buf[32];
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

std::string JobPositions::unusable() const {
	const char* file = sqlite3_db_filename(db_, "main");
	if (file == nullptr || *file == '\0') {
		return "a job keeps its position in the connection's main database, and this one is in memory or "
		       "temporary, so the position would vanish with it: open a database file (sqlite3 "
		       "/var/lib/procsql/jobs.db, or procsql query --db FILE)";
	}
	if (sqlite3_db_readonly(db_, "main") == 1) {
		return std::string("a job keeps its position in the connection's main database, and ") + file +
		       " is open read-only: open a database this user can write (each user may keep their own)";
	}
	return "";
}

bool JobPositions::has_table(bool* exists, std::string* error) {
	if (table_ready_) {
		*exists = true;
		return true;
	}
	Statement stmt = prepare(db_, "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'procsql_jobs'",
	                         error);
	if (!stmt) {
		return false;
	}
	const int rc = sqlite3_step(stmt.get());
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*error = db_error(db_);
		return false;
	}
	*exists = table_ready_ = rc == SQLITE_ROW;
	return true;
}

bool JobPositions::ensure_table(std::string* error) {
	bool exists = false;
	if (!has_table(&exists, error)) {
		return false;
	}
	if (exists) {
		return true;
	}
	// The declaration comes from the one definition of the columns, with the
	// key a job's rows need.
	std::string sql = declare_sql(procsql_jobs_table());
	sql.replace(0, sizeof("CREATE TABLE ") - 1, "CREATE TABLE IF NOT EXISTS main.");
	sql.pop_back(); // ")"
	sql += ", PRIMARY KEY (job, table_name))";
	if (!jobs::exec(db_, sql.c_str(), error)) {
		return false;
	}
	table_ready_ = true;
	return true;
}

bool JobPositions::read(const std::string& job, const std::string& table, Position* out, std::string* error) {
	error->clear();
	*out = Position{};
	bool exists = false;
	if (!has_table(&exists, error)) {
		return false;
	}
	if (!exists) {
		return true; // no job has run here yet
	}
	Statement stmt =
	    prepare(db_, "SELECT store_id, position FROM main.procsql_jobs WHERE job = ?1 AND table_name = ?2", error);
	if (!stmt) {
		return false;
	}
	bind_text(stmt.get(), 1, job);
	bind_text(stmt.get(), 2, table);
	const int rc = sqlite3_step(stmt.get());
	if (rc == SQLITE_DONE) {
		return true;
	}
	if (rc != SQLITE_ROW) {
		*error = db_error(db_);
		return false;
	}
	out->exists = true;
	out->store_id = column_text(stmt.get(), 0);
	const sqlite3_int64 eid = sqlite3_column_int64(stmt.get(), 1);
	out->eid = eid > 0 ? uint64_t(eid) : 0;
	return true;
}

bool JobPositions::advance(const std::string& job, const std::string& table, const Position& from,
                           const Position& to, const CommitCounts& counts, bool* lost_race, std::string* error) {
	*lost_race = false;
	if (!ensure_table(error)) {
		return false;
	}
	// A job's row is made by its first commit, with the position its first
	// window started from as the expected one: another run that made it
	// first wins, as it would by moving an existing position.
	Statement stmt = prepare(
	    db_,
	    from.exists
	        ? "UPDATE main.procsql_jobs SET store_id = ?5, position = ?6, last_run = ?11, last_commit = ?7, "
	          "commits = commits + 1, rows_reported = rows_reported + ?8, "
	          "rows_missed = rows_missed + ?9, store_changes = store_changes + ?10 "
	          "WHERE job = ?1 AND table_name = ?2 AND store_id IS ?3 AND position = ?4"
	        : "INSERT OR IGNORE INTO main.procsql_jobs (job, table_name, store_id, position, created, last_run, "
	          "last_commit, commits, rows_reported, rows_missed, store_changes) "
	          "VALUES (?1, ?2, ?5, ?6, ?11, ?11, ?7, 1, ?8, ?9, ?10)",
	    error);
	if (!stmt) {
		return false;
	}
	bind_text(stmt.get(), 1, job);
	bind_text(stmt.get(), 2, table);
	if (from.exists) {
		bind_text(stmt.get(), 3, from.store_id);
		sqlite3_bind_int64(stmt.get(), 4, sqlite3_int64(from.eid));
	}
	bind_text(stmt.get(), 5, to.store_id);
	sqlite3_bind_int64(stmt.get(), 6, sqlite3_int64(to.eid));
	bind_text(stmt.get(), 7, utc_now_text());
	sqlite3_bind_int64(stmt.get(), 8, sqlite3_int64(counts.rows));
	sqlite3_bind_int64(stmt.get(), 9, sqlite3_int64(counts.missed));
	sqlite3_bind_int64(stmt.get(), 10, counts.store_changed ? 1 : 0);
	bind_text(stmt.get(), 11, counts.began.empty() ? utc_now_text() : counts.began);
	if (!step_done(db_, stmt.get(), error)) {
		return false;
	}
	if (sqlite3_changes(db_) != 1) {
		*lost_race = true;
		return false;
	}
	return true;
}

bool JobPositions::begin(std::string* error) {
	// Outside a transaction of the caller's, take the write lock first
	// (BEGIN IMMEDIATE): the busy timeout then waits for another run's commit,
	// and the positions are read after it. Inside one, the caller's
	// transaction decides; a savepoint keeps a failed commit from leaving half.
	own_transaction_ = sqlite3_get_autocommit(db_) != 0;
	return jobs::exec(db_, own_transaction_ ? "BEGIN IMMEDIATE" : "SAVEPOINT procsql_commit", error);
}

bool JobPositions::end(std::string* error) {
	return jobs::exec(db_, own_transaction_ ? "COMMIT" : "RELEASE procsql_commit", error);
}

void JobPositions::rollback() {
	std::string ignored;
	if (own_transaction_) {
		jobs::exec(db_, "ROLLBACK", &ignored);
		return;
	}
	jobs::exec(db_, "ROLLBACK TO procsql_commit", &ignored);
	jobs::exec(db_, "RELEASE procsql_commit", &ignored);
}

} // namespace procsql::jobs
