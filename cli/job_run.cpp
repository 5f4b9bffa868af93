#include "job_run.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

#include "differential.h"

namespace procsql::cli {

namespace {

using Statement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

Value value_of(sqlite3_stmt* stmt, int i) {
	Value v;
	switch (sqlite3_column_type(stmt, i)) {
	case SQLITE_INTEGER:
		v.type = Value::Type::integer;
		v.integer = sqlite3_column_int64(stmt, i);
		break;
	case SQLITE_FLOAT:
		v.type = Value::Type::real;
		v.real = sqlite3_column_double(stmt, i);
		break;
	case SQLITE_TEXT: {
		v.type = Value::Type::text;
		const unsigned char* p = sqlite3_column_text(stmt, i);
		v.bytes.assign(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(stmt, i)));
		break;
	}
	case SQLITE_BLOB: {
		v.type = Value::Type::blob;
		const void* p = sqlite3_column_blob(stmt, i);
		v.bytes.assign(static_cast<const char*>(p), size_t(sqlite3_column_bytes(stmt, i)));
		break;
	}
	default: break;
	}
	return v;
}

// SQLite's message for the last error, without the "procsql: " of the
// extension's own messages (the tool puts its own in front).
std::string message(sqlite3* db) {
	std::string m = sqlite3_errmsg(db);
	return m.compare(0, 9, "procsql: ") == 0 ? m.substr(9) : m;
}

bool is_job_parameter(const char* name) {
	return name && (std::strcmp(name + 1, "job") == 0) && (name[0] == '@' || name[0] == ':' || name[0] == '$');
}

} // namespace

bool JobRun::run_statements(const RunSpec& spec, ResultWriter* writer, bool collect, std::string* error) {
	const char* sql = spec.sql.c_str();
	while (*sql) {
		sqlite3_stmt* raw = nullptr;
		const char* tail = nullptr;
		if (sqlite3_prepare_v2(db_, sql, -1, &raw, &tail) != SQLITE_OK) {
			*error = spec.source + ": " + message(db_);
			return false;
		}
		Statement stmt(raw, sqlite3_finalize);
		sql = tail;
		if (!stmt) {
			continue; // a comment or whitespace
		}
		for (int i = 1; i <= sqlite3_bind_parameter_count(raw); i++) {
			const char* name = sqlite3_bind_parameter_name(raw, i);
			if (!is_job_parameter(name)) {
				*error = spec.source + ": parameter " + (name ? name : "?" + std::to_string(i)) +
				         " has no value (procsql query binds only @job, the job's name)";
				return false;
			}
			if (!spec.job.empty()) {
				sqlite3_bind_text64(raw, i, spec.job.data(), spec.job.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
			}
		}
		const int ncol = sqlite3_column_count(raw);
		std::vector<std::string> columns;
		for (int i = 0; i < ncol; i++) {
			const char* n = sqlite3_column_name(raw, i);
			columns.emplace_back(n ? n : "");
		}
		bool begun = false;
		std::vector<Value> values(static_cast<size_t>(ncol));
		int rc;
		while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
			for (int i = 0; i < ncol; i++) {
				values[size_t(i)] = value_of(raw, i);
			}
			if (collect) {
				rows_.push_back(encode_row(columns, values));
				continue;
			}
			if (!begun) {
				writer->begin(columns);
				begun = true;
			}
			writer->row(values, nullptr);
		}
		if (rc != SQLITE_DONE) {
			*error = spec.source + ": " + message(db_);
			return false;
		}
		if (ncol > 0) {
			result_sets_++;
			columns_ = columns;
			if (!collect) {
				if (!begun) {
					writer->begin(columns);
				}
				writer->end();
			}
		}
	}
	return true;
}

bool JobRun::flush(std::string* error) {
	// The output is the kernel's before the position moves: a run killed
	// after this point has delivered its rows.
	if (std::fflush(out_) != 0 || std::ferror(out_)) {
		*error = std::string("cannot write the output: ") + std::strerror(errno);
		return false;
	}
	struct stat st {};
	if (fstat(fileno(out_), &st) == 0 && S_ISREG(st.st_mode) && fdatasync(fileno(out_)) != 0) {
		*error = std::string("cannot write the output to disk: ") + std::strerror(errno);
		return false;
	}
	return true;
}

bool JobRun::commit_windows(const std::string& job, std::string* error) {
	sqlite3_stmt* raw = nullptr;
	if (sqlite3_prepare_v2(db_, "SELECT procsql_commit(?1)", -1, &raw, nullptr) != SQLITE_OK) {
		*error = message(db_);
		return false;
	}
	Statement stmt(raw, sqlite3_finalize);
	sqlite3_bind_text64(raw, 1, job.data(), job.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
	if (sqlite3_step(raw) != SQLITE_ROW) {
		*error = message(db_);
		return false;
	}
	return true;
}

void JobRun::abandon(const std::string& job) {
	// A failed run leaves the position where it was, in the database and in
	// this connection: the next run sees the same rows again.
	if (!sqlite3_get_autocommit(db_)) {
		sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
	}
	if (job.empty()) {
		return;
	}
	sqlite3_stmt* raw = nullptr;
	if (sqlite3_prepare_v2(db_, "SELECT procsql_reset(?1)", -1, &raw, nullptr) == SQLITE_OK) {
		sqlite3_bind_text64(raw, 1, job.data(), job.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
		sqlite3_step(raw);
	}
	sqlite3_finalize(raw);
}

uint64_t JobRun::counter_of(const std::string& job) {
	// osquery's counter: 0 for a job's first results, then one more per run.
	sqlite3_stmt* raw = nullptr;
	uint64_t counter = 0;
	if (sqlite3_prepare_v2(db_, "SELECT max(commits) FROM main.procsql_jobs WHERE job = ?1", -1, &raw, nullptr) ==
	    SQLITE_OK) {
		sqlite3_bind_text64(raw, 1, job.data(), job.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
		if (sqlite3_step(raw) == SQLITE_ROW && sqlite3_column_type(raw, 0) == SQLITE_INTEGER) {
			counter = uint64_t(sqlite3_column_int64(raw, 0));
		}
	}
	sqlite3_finalize(raw);
	return counter;
}

bool JobRun::run(const RunSpec& spec, std::string* error) {
	rows_.clear();
	columns_.clear();
	result_sets_ = 0;
	OsqueryContext osq;
	osq.name = spec.job.empty() ? std::string("procsql") : spec.job;
	osq.host_identifier = host_;
	osq.unix_time = int64_t(time(nullptr));
	osq.epoch = options_.epoch;
	osq.decorations = options_.decorations;

	if (options_.differential) {
		DifferentialState state(db_);
		std::vector<std::string> before;
		uint64_t counter = 0;
		if (!state.load(spec.job, &before, &counter, error) || !run_statements(spec, nullptr, true, error)) {
			abandon("");
			return false;
		}
		if (result_sets_ != 1) {
			*error = spec.source + ": --differential compares the rows of one query, and this has " +
			         std::to_string(result_sets_);
			return false;
		}
		osq.counter = counter;
		const Diff d = diff_rows(before, rows_);
		auto writer = make_writer(options_.format, out_, osq, false);
		if (!writer) {
			*error = "out of memory";
			return false;
		}
		const bool osquery = options_.format == Format::osquery;
		bool begun = false;
		std::vector<std::string> columns;
		std::vector<Value> values;
		auto emit = [&](const std::string& row, const char* action) {
			if (!decode_row(row, &columns, &values)) {
				return;
			}
			if (!osquery) {
				// The other formats carry the action as a column of its own.
				columns.insert(columns.begin(), "action");
				Value a;
				a.type = Value::Type::text;
				a.bytes = action;
				values.insert(values.begin(), a);
			}
			if (!begun) {
				writer->begin(columns);
				begun = true;
			}
			writer->row(values, action);
		};
		for (const auto& r : d.removed) {
			emit(r, "removed");
		}
		for (const auto& r : d.added) {
			emit(r, "added");
		}
		if (begun) {
			writer->end();
		}
		if (writer->failed()) {
			*error = "out of memory while writing the results: nothing is committed";
			return false;
		}
		if (!flush(error)) {
			return false;
		}
		return state.commit(spec.job, rows_, error);
	}

	osq.counter = spec.job.empty() ? 0 : counter_of(spec.job);
	auto writer = make_writer(options_.format, out_, osq, options_.snapshot);
	if (!writer) {
		*error = "out of memory";
		return false;
	}
	if (!run_statements(spec, writer.get(), false, error)) {
		abandon(spec.job);
		return false;
	}
	if (writer->failed()) {
		*error = "out of memory while writing the results: nothing is committed";
		abandon(spec.job);
		return false;
	}
	if (!flush(error)) {
		abandon(spec.job);
		return false;
	}
	if (!spec.job.empty() && !commit_windows(spec.job, error)) {
		abandon(spec.job);
		return false;
	}
	return true;
}

} // namespace procsql::cli
