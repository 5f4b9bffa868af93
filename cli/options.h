// `procsql`'s command line: what to run, where jobs keep their positions,
// how results are written. Parsing only; procsql_main.cpp does the rest.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "result_writer.h"

namespace procsql::cli {

enum class Command { query, jobs, record, help, version };

struct Options {
	Command command = Command::help;
	std::string db;                 // --db; empty: default_jobs_db()
	std::string job;                // --job
	Format format = Format::table;  // --format
	bool format_given = false;
	std::string host_identifier;    // --host-identifier; empty: the host name
	uint64_t epoch = 0;             // --epoch (osquery's schedule epoch)
	std::vector<std::pair<std::string, std::string>> decorations; // --decoration KEY=VALUE
	bool differential = false;      // --differential
	bool snapshot = false;          // --snapshot
	std::string start;              // --start oldest|newest ("" : the default)
	bool follow = false;            // --follow
	int interval_ms = 1000;         // --interval
	std::string sql;                // -e
	std::vector<std::string> files; // FILE...
	std::string record_action;      // record: start, stop or "" (show)
	std::string record_target;      // record: a container id prefix or all
};

// Parses argv; false with a one-line reason.
bool parse_options(int argc, char** argv, Options* out, std::string* error);

// The usage text (--help).
const char* usage();

// Where jobs keep their positions when --db is not given: root's
// /var/lib/procsql/jobs.db; another user's under $XDG_STATE_HOME (or
// ~/.local/state)/procsql/jobs.db. Empty with a reason when there is none.
std::string default_jobs_db(std::string* error);

} // namespace procsql::cli
