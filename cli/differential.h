// --differential: what a job's query gives now against what it gave at its
// last committed run, as osquery's scheduled queries report it (rows
// "added" and "removed"). The last run's rows are kept in the jobs
// database (procsql_job_rows), committed with the job's run counter in
// procsql_jobs (table_name "(results)") in one transaction, so a run that
// fails or is killed reports the same changes again next time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "job_positions.h"
#include "result_writer.h"
#include "sqlite_api.h"

namespace procsql::cli {

// A result row with its column names, encoded as bytes that are equal
// exactly when names, types and values are.
std::string encode_row(const std::vector<std::string>& columns, const std::vector<Value>& values);
bool decode_row(const std::string& bytes, std::vector<std::string>* columns, std::vector<Value>* values);

struct Diff {
	std::vector<std::string> added;   // encoded rows, in the current run's order
	std::vector<std::string> removed; // encoded rows, in the last run's order
};
// Multiset difference: a row present twice now and once before is added once.
Diff diff_rows(const std::vector<std::string>& before, const std::vector<std::string>& now);

class DifferentialState {
public:
	explicit DifferentialState(sqlite3* db) : db_(db) {}
	// The rows of the job's last committed run and its counter (0 and none
	// before the first).
	bool load(const std::string& job, std::vector<std::string>* rows, uint64_t* counter, std::string* error);
	// Replaces them with `rows`, counter + 1, if no other run committed
	// since load(); false with a reason otherwise.
	bool commit(const std::string& job, const std::vector<std::string>& rows, std::string* error);

private:
	sqlite3* db_;
	jobs::Position loaded_; // the counter load() read
	std::string began_;
};

} // namespace procsql::cli
