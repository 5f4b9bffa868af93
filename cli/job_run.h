// One run of one query for `procsql query`: its statements on the
// connection, its rows through a ResultWriter, then, once the output is
// written and flushed, the commit of its job (procsql_commit), or of its
// differential state. The job's name is what @job (:job, $job) is bound to
// in the SQL, so the query pack's files run unchanged from the shell (no
// job: the whole table) and from here (a job per file).
#pragma once

#include <cstdio>
#include <string>

#include "options.h"
#include "result_writer.h"
#include "sqlite_api.h"

namespace procsql::cli {

struct RunSpec {
	std::string job;    // "" : no job
	std::string sql;
	std::string source; // for messages: the file, or "-e"
};

class JobRun {
public:
	JobRun(sqlite3* db, FILE* out, const Options& options, std::string host_identifier)
	    : db_(db), out_(out), options_(options), host_(std::move(host_identifier)) {}

	// Runs it; false with a one-line reason (nothing committed then).
	bool run(const RunSpec& spec, std::string* error);

private:
	bool run_statements(const RunSpec& spec, ResultWriter* writer, bool collect, std::string* error);
	bool flush(std::string* error);
	bool commit_windows(const std::string& job, std::string* error);
	void abandon(const std::string& job);
	uint64_t counter_of(const std::string& job);

	sqlite3* db_;
	FILE* out_;
	const Options& options_;
	std::string host_;
	// --differential: the rows of the run's one result set.
	std::vector<std::string> columns_;
	std::vector<std::string> rows_;
	int result_sets_ = 0;
};

} // namespace procsql::cli
