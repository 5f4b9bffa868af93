// procsql: one-shot and scheduled queries from the command line (what cron
// calls), live follow, and the list of jobs. The SQL side is linked in and
// registered on the jobs database's connection; it attaches to procsqld
// like `.load procsql` does.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auto_window.h"
#include "config.h"
#include "syscalls/record_control.h"
#include "job_run.h"
#include "options.h"
#include "procsql.h"
#include "result_writer.h"
#include "version.h"

using namespace procsql::cli;

namespace {

volatile sig_atomic_t g_stop = 0;

void on_stop(int) { g_stop = 1; }

int fail(const std::string& what) {
	std::fprintf(stderr, "procsql: %s\n", what.c_str());
	return 1;
}

std::string host_name() {
	char buf[256] = {};
	if (gethostname(buf, sizeof buf - 1) != 0) {
		return "localhost";
	}
	return buf;
}

bool read_file(const std::string& path, std::string* out, std::string* error) {
	std::ifstream in(path, std::ios::binary);
	if (!in) {
		*error = path + ": " + std::strerror(errno);
		return false;
	}
	std::ostringstream s;
	s << in.rdbuf();
	*out = s.str();
	return true;
}

std::string job_name_of(const std::string& path) {
	std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
	if (base.size() > 4 && base.compare(base.size() - 4, 4, ".sql") == 0) {
		base.resize(base.size() - 4);
	}
	return base;
}

// mkdir -p for the jobs database's directory, private to its owner.
bool make_parent(const std::string& file, std::string* error) {
	const size_t slash = file.find_last_of('/');
	if (slash == std::string::npos || slash == 0) {
		return true;
	}
	const std::string dir = file.substr(0, slash);
	struct stat st {};
	if (stat(dir.c_str(), &st) == 0) {
		return true;
	}
	if (!make_parent(dir, error)) {
		return false;
	}
	if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
		*error = "cannot make " + dir + " for the jobs database: " + std::strerror(errno);
		return false;
	}
	return true;
}

sqlite3* open_db(const std::string& path, int flags, std::string* error) {
	sqlite3* db = nullptr;
	if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
		*error = path + ": " + (db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return nullptr;
	}
	// Runs of other jobs sharing the file wait for each other's short
	// writes instead of failing.
	sqlite3_busy_timeout(db, 10000);
	return db;
}

int list_jobs(const Options& o) {
	std::string error;
	const std::string path = o.db.empty() ? default_jobs_db(&error) : o.db;
	if (path.empty()) {
		return fail(error);
	}
	if (access(path.c_str(), F_OK) != 0) {
		return fail(path + ": no jobs database (a job's first run makes it)");
	}
	sqlite3* db = open_db(path, SQLITE_OPEN_READONLY, &error);
	if (!db) {
		return fail(error);
	}
	Options shown = o;
	JobRun run(db, stdout, shown, host_name());
	RunSpec spec{"", "SELECT * FROM main.procsql_jobs ORDER BY job, table_name", path};
	int status = 0;
	sqlite3_stmt* probe = nullptr;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_schema WHERE name = 'procsql_jobs'", -1, &probe, nullptr) !=
	        SQLITE_OK ||
	    sqlite3_step(probe) != SQLITE_ROW) {
		sqlite3_finalize(probe);
		sqlite3_close(db);
		return fail(path + ": no jobs yet");
	}
	sqlite3_finalize(probe);
	if (!run.run(spec, &error)) {
		status = fail(error);
	}
	sqlite3_close(db);
	return status;
}

// Sleeps `ms`, or less when asked to stop.
void pause_ms(int ms) {
	timespec left{ms / 1000, long(ms % 1000) * 1000000L};
	while (!g_stop && nanosleep(&left, &left) != 0 && errno == EINTR) {
	}
}

int run_queries(Options o) {
	std::string error;
	std::vector<RunSpec> specs;
	if (!o.sql.empty()) {
		specs.push_back(RunSpec{o.job, o.sql, "-e"});
	}
	for (const auto& f : o.files) {
		RunSpec spec{o.job.empty() ? job_name_of(f) : o.job, "", f};
		if (!read_file(f, &spec.sql, &error)) {
			return fail(error);
		}
		specs.push_back(std::move(spec));
	}

	// --follow without a job: its positions live as long as the process,
	// in a database of its own that goes with it; it starts at the newest
	// row, like tail -f.
	std::string temp_dir;
	if (o.follow && specs.size() == 1 && specs[0].job.empty()) {
		char tmpl[] = "/tmp/procsql-follow-XXXXXX";
		if (!mkdtemp(tmpl)) {
			return fail(std::string("cannot make a directory for --follow: ") + std::strerror(errno));
		}
		temp_dir = tmpl;
		o.db = temp_dir + "/follow.db";
		specs[0].job = "follow";
		if (o.start.empty()) {
			o.start = "newest";
		}
	} else if (o.follow) {
		for (auto& s : specs) {
			if (s.job.empty()) {
				return fail("--follow with several queries needs a job for each: give them as files");
			}
		}
	}
	auto cleanup = [&] {
		if (!temp_dir.empty()) {
			for (const char* f : {"/follow.db", "/follow.db-journal", "/follow.db-wal", "/follow.db-shm"}) {
				unlink((temp_dir + f).c_str());
			}
			rmdir(temp_dir.c_str());
		}
	};

	// No job, nothing to keep: no jobs database is made or touched.
	bool any_job = o.differential;
	for (const auto& s : specs) {
		any_job = any_job || !s.job.empty();
	}
	const std::string path = !o.db.empty() ? o.db : any_job ? default_jobs_db(&error) : ":memory:";
	if (path.empty() || (path != ":memory:" && !make_parent(path, &error))) {
		cleanup();
		return fail(error);
	}
	sqlite3* db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &error);
	if (!db) {
		cleanup();
		return fail(error);
	}
	char* reg_error = nullptr;
	// WAL: a run that is still writing its output (a statement open on the
	// database) does not hold up another job's commit. It stays set in the file.
	sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
	if (procsql_register(db, &reg_error) != SQLITE_OK) {
		error = reg_error ? reg_error : "cannot register procsql";
		sqlite3_free(reg_error);
		sqlite3_close(db);
		cleanup();
		return fail(error);
	}
	if (!o.start.empty()) {
		const std::string sql = "SELECT procsql_default_start('" + o.start + "')";
		sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
	}

	if (o.follow) {
		// Stop between runs: the run in progress writes and commits first.
		struct sigaction sa {};
		sa.sa_handler = on_stop;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, nullptr);
		sigaction(SIGTERM, &sa, nullptr);
	}
	const std::string host = o.host_identifier.empty() ? host_name() : o.host_identifier;
	JobRun run(db, stdout, o, host);
	int status = 0;
	do {
		for (const auto& spec : specs) {
			const bool shadow = !spec.job.empty() && !o.differential && !uses_windows(spec.sql);
			if (shadow && !shadow_event_tables(db, spec.job, &error)) {
				status = fail(error);
				continue;
			}
			if (!run.run(spec, &error)) {
				// Under --follow a failed run (procsqld restarting, say) is
				// said and tried again at the next interval.
				const bool named = error.compare(0, 5, "job '") == 0 || spec.job.empty() || spec.job == "follow";
				status = fail(named ? error : "job '" + spec.job + "': " + error);
			}
			if (shadow) {
				unshadow_event_tables(db);
			}
			if (std::ferror(stdout)) {
				o.follow = false; // the reader is gone
			}
		}
		if (o.follow && !g_stop) {
			pause_ms(o.interval_ms);
		}
	} while (o.follow && !g_stop);
	sqlite3_close(db);
	cleanup();
	if (g_stop) {
		return std::ferror(stdout) ? 1 : 0;
	}
	return status;
}

// `procsql record`: procsqld's control directory (syscalls/record_control.h).
int record(const Options& o) {
	using procsql::Config;
	using procsql::SyscallSelection;
	Config config;
	std::string error;
	if (!Config::from_env(&config, &error)) {
		std::fprintf(stderr, "procsql: %s\n", error.c_str());
		return 2;
	}
	if (!o.record_action.empty() &&
	    !procsql::change_record_dir(config.state_dir, o.record_action == "start", o.record_target, &error)) {
		std::fprintf(stderr, "procsql: %s\n", error.c_str());
		return 1;
	}
	SyscallSelection now;
	if (!procsql::read_record_dir(config.state_dir, &now, &error)) {
		std::fprintf(stderr, "procsql: record: %s\n", error.c_str());
		return 1;
	}
	std::printf("%s\n", now.empty() ? "recording nothing" : ("recording " + now.text()).c_str());
	return 0;
}

} // namespace

int main(int argc, char** argv) {
	// A closed reader shows as a write error (no commit), not a silent death.
	signal(SIGPIPE, SIG_IGN);
	Options o;
	std::string error;
	if (!parse_options(argc, argv, &o, &error)) {
		std::fprintf(stderr, "procsql: %s\n", error.c_str());
		return 2;
	}
	switch (o.command) {
	case Command::help: std::fputs(usage(), stdout); return 0;
	case Command::version: std::printf("procsql %s\n", PROCSQL_VERSION); return 0;
	case Command::jobs: return list_jobs(o);
	case Command::record: return record(o);
	case Command::query: return run_queries(o);
	}
	return 2;
}
