#include "options.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <pwd.h>
#include <unistd.h>

namespace procsql::cli {

namespace {

bool parse_uint(const char* s, uint64_t max, uint64_t* out) {
	if (!s || !*s || *s == '-' || *s == '+') {
		return false;
	}
	errno = 0;
	char* end = nullptr;
	const unsigned long long v = std::strtoull(s, &end, 10);
	if (errno || *end || v > max) {
		return false;
	}
	*out = v;
	return true;
}

} // namespace

const char* usage() {
	return "usage:\n"
	       "  procsql query [--db FILE] [--job NAME] [--format table|csv|json|jsonl|osquery]\n"
	       "                [--host-identifier ID] [--decoration KEY=VALUE]... [--epoch N]\n"
	       "                [--differential] [--snapshot] [--start oldest|newest]\n"
	       "                [--follow [--interval MS]] (-e SQL | FILE...)\n"
	       "  procsql jobs [--db FILE] [--format ...]\n"
	       "  procsql record [start|stop CONTAINER|all]\n"
	       "  procsql --help | --version\n"
	       "\n"
	       "query runs SQL with procsql's tables, attached to procsqld. Each FILE runs as a job named\n"
	       "after the file (or --job NAME): @job in its SQL is the job's name, so\n"
	       "procsql_window(@job, 'process_events') is the rows since the job's last commit, and the\n"
	       "position is committed once the output is written and flushed. -e SQL runs as a job only\n"
	       "with --job. --differential reports rows added and removed since the job's last run.\n"
	       "--follow runs again every --interval ms (default 1000) and prints each new row once,\n"
	       "until SIGINT or SIGTERM.\n"
	       "jobs lists the jobs of the jobs database and their counters.\n"
	       "record (root) starts or stops procsqld's recording of the syscalls of the containers whose\n"
	       "id starts with CONTAINER (all: every container) for syscall_usage; without arguments it\n"
	       "says what is recorded.\n"
	       "The jobs database: --db, else /var/lib/procsql/jobs.db for root and\n"
	       "$XDG_STATE_HOME/procsql/jobs.db (~/.local/state/procsql/jobs.db) for other users.\n";
}

bool parse_options(int argc, char** argv, Options* out, std::string* error) {
	Options o;
	if (argc < 2) {
		*error = "no command: procsql query ... or procsql jobs (procsql --help)";
		return false;
	}
	const std::string command = argv[1];
	if (command == "--help" || command == "-h" || command == "help") {
		o.command = Command::help;
		*out = o;
		return true;
	}
	if (command == "--version") {
		o.command = Command::version;
		*out = o;
		return true;
	}
	if (command == "record") {
		o.command = Command::record;
		if (argc == 2) {
			*out = o;
			return true;
		}
		const std::string action = argv[2];
		if ((action != "start" && action != "stop") || argc != 4) {
			*error = "usage: procsql record [start|stop CONTAINER|all]";
			return false;
		}
		o.record_action = action;
		o.record_target = argv[3];
		*out = o;
		return true;
	}
	if (command == "query") {
		o.command = Command::query;
	} else if (command == "jobs") {
		o.command = Command::jobs;
	} else {
		*error = "unknown command '" + command + "': procsql query ... or procsql jobs (procsql --help)";
		return false;
	}
	bool interval_given = false;
	for (int i = 2; i < argc; i++) {
		const std::string a = argv[i];
		auto value = [&](const char* name) -> const char* {
			if (i + 1 >= argc) {
				*error = std::string(name) + " needs a value";
				return nullptr;
			}
			return argv[++i];
		};
		const bool query_only = o.command == Command::query;
		if (a == "--db") {
			const char* v = value("--db");
			if (!v) return false;
			o.db = v;
		} else if (a == "--format") {
			const char* v = value("--format");
			if (!v) return false;
			if (!parse_format(v, &o.format)) {
				*error = std::string("--format '") + v + "' is not one of " + format_names();
				return false;
			}
			o.format_given = true;
		} else if (a == "--help" || a == "-h") {
			o.command = Command::help;
			*out = o;
			return true;
		} else if (!query_only) {
			*error = "procsql jobs takes --db and --format only, not '" + a + "'";
			return false;
		} else if (a == "--job") {
			const char* v = value("--job");
			if (!v) return false;
			o.job = v;
			if (o.job.empty()) {
				*error = "--job needs a name";
				return false;
			}
		} else if (a == "--host-identifier") {
			const char* v = value("--host-identifier");
			if (!v) return false;
			o.host_identifier = v;
		} else if (a == "--decoration") {
			const char* v = value("--decoration");
			if (!v) return false;
			const char* eq = std::strchr(v, '=');
			if (!eq || eq == v) {
				*error = std::string("--decoration '") + v + "' is not KEY=VALUE";
				return false;
			}
			o.decorations.emplace_back(std::string(v, eq), std::string(eq + 1));
		} else if (a == "--epoch") {
			const char* v = value("--epoch");
			if (!v) return false;
			if (!parse_uint(v, UINT64_MAX, &o.epoch)) {
				*error = std::string("--epoch '") + v + "' is not a non-negative integer";
				return false;
			}
		} else if (a == "--differential") {
			o.differential = true;
		} else if (a == "--snapshot") {
			o.snapshot = true;
		} else if (a == "--start") {
			const char* v = value("--start");
			if (!v) return false;
			o.start = v;
			if (o.start != "oldest" && o.start != "newest") {
				*error = "--start '" + o.start + "' is neither oldest nor newest";
				return false;
			}
		} else if (a == "--follow") {
			o.follow = true;
		} else if (a == "--interval") {
			const char* v = value("--interval");
			if (!v) return false;
			uint64_t ms = 0;
			if (!parse_uint(v, 3600 * 1000, &ms) || ms == 0) {
				*error = std::string("--interval '") + v + "' is not a number of milliseconds from 1 to 3600000";
				return false;
			}
			o.interval_ms = int(ms);
			interval_given = true;
		} else if (a == "-e") {
			const char* v = value("-e");
			if (!v) return false;
			if (!o.sql.empty()) {
				*error = "-e is given twice: put the statements in one -e, separated by ';'";
				return false;
			}
			o.sql = v;
			if (o.sql.empty()) {
				*error = "-e needs SQL";
				return false;
			}
		} else if (a.size() > 1 && a[0] == '-') {
			*error = "unknown option '" + a + "' (procsql --help)";
			return false;
		} else {
			o.files.push_back(a);
		}
	}
	if (o.command == Command::query) {
		if (o.sql.empty() == o.files.empty()) {
			*error = o.sql.empty() ? "nothing to run: give -e SQL or query files" : "give -e SQL or query files, not both";
			return false;
		}
		if (!o.job.empty() && o.files.size() > 1) {
			*error = "--job names one job, but " + std::to_string(o.files.size()) +
			         " files are given (each file is a job of its own, named after it)";
			return false;
		}
		if (o.differential && o.job.empty() && o.files.empty()) {
			*error = "--differential needs a job (--job NAME, or a query file) to remember the last run's rows";
			return false;
		}
		if (o.differential && o.follow) {
			*error = "--differential and --follow do not go together";
			return false;
		}
		if (o.snapshot && o.differential) {
			*error = "--snapshot and --differential do not go together: a snapshot is every row, every run";
			return false;
		}
		if (interval_given && !o.follow) {
			*error = "--interval is for --follow";
			return false;
		}
	}
	*out = o;
	return true;
}

std::string default_jobs_db(std::string* error) {
	if (geteuid() == 0) {
		return "/var/lib/procsql/jobs.db";
	}
	const char* state = std::getenv("XDG_STATE_HOME");
	if (state && *state == '/') {
		return std::string(state) + "/procsql/jobs.db";
	}
	const char* home = std::getenv("HOME");
	std::string dir = home && *home == '/' ? home : "";
	if (dir.empty()) {
		struct passwd* pw = getpwuid(geteuid());
		if (pw && pw->pw_dir && *pw->pw_dir == '/') {
			dir = pw->pw_dir;
		}
	}
	if (dir.empty()) {
		*error = "no home directory for the jobs database: give --db FILE";
		return "";
	}
	return dir + "/.local/state/procsql/jobs.db";
}

} // namespace procsql::cli
