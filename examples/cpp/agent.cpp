// The C agent (examples/c/agent.c) in C++ with RAII: the connection and the
// statements are unique_ptrs with SQLite's deleters, so every path out of a
// run (an error is an exception caught in main) closes what it opened.
//
//   agent [--db FILE] [--job NAME] [--interval SECONDS] [--runs N] [--sql SQL]
//
// Every --interval seconds the SQL runs as the job (@job bound to its name;
// procsql_window(@job, 'process_events') is what is new since the last
// commit), each row goes to stdout as one JSON line, stdout is flushed, and
// only then the job's position is committed. --runs N runs (0: forever), exit
// 0; an error is one line on stderr and exit 1. Needs a running procsqld.
//
// Built with CMake: find_package(procsql) and the target procsql::procsql
// (examples/cpp/CMakeLists.txt).
#include <procsql.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

const char kDefaultSql[] =
	"SELECT w.store_id, p.eid, p.time, p.pid, p.path, p.cmdline"
	"  FROM procsql_window(@job, 'process_events') AS w"
	"  JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi"
	" ORDER BY p.eid";

struct CloseDb {
	void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct FinalizeStmt {
	void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;
using Stmt = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

// Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_len(const unsigned char* s, size_t n) {
	size_t len;
	unsigned cp;
	if (s[0] < 0x80) return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) len = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF) len = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4) len = 4, cp = s[0] & 0x07u;
	else return 0;
	if (len > n) return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) return 0;
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

// s as a JSON string; a byte that is not part of valid UTF-8 becomes the lone
// surrogate \udcXX (as procsql's `argv` column does), so no byte is lost.
void json_string(std::string& out, const unsigned char* s, size_t n) {
	static const char hex[] = "0123456789abcdef";
	out += '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = utf8_len(s + i, n - i);
		if (len == 0) {
			out += "\\udc";
			out += hex[c >> 4];
			out += hex[c & 15];
			i++;
			continue;
		}
		if (len > 1) {
			out.append(reinterpret_cast<const char*>(s + i), len);
			i += len;
			continue;
		}
		switch (c) {
		case '"': out += "\\\""; break;
		case '\\': out += "\\\\"; break;
		case '\b': out += "\\b"; break;
		case '\f': out += "\\f"; break;
		case '\n': out += "\\n"; break;
		case '\r': out += "\\r"; break;
		case '\t': out += "\\t"; break;
		default:
			if (c < 0x20) {
				out += "\\u00";
				out += hex[c >> 4];
				out += hex[c & 15];
			} else {
				out += static_cast<char>(c);
			}
		}
		i++;
	}
	out += '"';
}

class Agent {
public:
	Agent(const std::string& path, std::string job, const std::string& sql) : job_(std::move(job)) {
		sqlite3* raw = nullptr;
		int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
		db_.reset(raw); // closed by the deleter, even when the open failed
		if (rc != SQLITE_OK) fail(path);
		char* err = nullptr;
		if (procsql_register(db_.get(), &err) != SQLITE_OK) {
			std::string msg = err ? err : procsql_errmsg();
			sqlite3_free(err);
			throw std::runtime_error("procsql_register: " + msg);
		}
		// WAL and a busy timeout, as `procsql query` does.
		sqlite3_busy_timeout(db_.get(), 10000);
		if (sqlite3_exec(db_.get(), "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK)
			fail("PRAGMA journal_mode");
		query_ = prepare(sql);
		commit_ = prepare("SELECT procsql_commit(@job)");
	}

	// One scheduled run: the rows, flushed, then the commit.
	void run_once() {
		std::string line;
		int rc;
		while ((rc = sqlite3_step(query_.get())) == SQLITE_ROW) {
			row_json(line);
			std::fwrite(line.data(), 1, line.size(), stdout);
		}
		sqlite3_reset(query_.get());
		if (rc != SQLITE_DONE) fail("query");
		// Out before the position moves: a crash in between repeats rows, never loses them.
		if (std::fflush(stdout) != 0 || std::ferror(stdout)) throw std::runtime_error("stdout: write failed");
		while ((rc = sqlite3_step(commit_.get())) == SQLITE_ROW) {
		}
		sqlite3_reset(commit_.get());
		if (rc != SQLITE_DONE) fail("procsql_commit");
	}

private:
	[[noreturn]] void fail(const std::string& what) const {
		throw std::runtime_error(what + ": " + (db_ ? sqlite3_errmsg(db_.get()) : "out of memory"));
	}

	// One statement, with the job's name bound to @job if it names it.
	Stmt prepare(const std::string& sql) const {
		sqlite3_stmt* raw = nullptr;
		const char* tail = nullptr;
		int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, &tail);
		Stmt stmt(raw);
		if (rc != SQLITE_OK) fail("SQL");
		if (!stmt) throw std::runtime_error("SQL: no statement");
		tail += std::strspn(tail, " \t\r\n;");
		if (*tail != '\0') throw std::runtime_error("SQL: one statement only");
		int idx = sqlite3_bind_parameter_index(stmt.get(), "@job");
		if (idx > 0 && sqlite3_bind_text(stmt.get(), idx, job_.c_str(), -1, SQLITE_TRANSIENT) != SQLITE_OK)
			fail("binding @job");
		return stmt;
	}

	// The current row as one JSON line: integers and reals as numbers (a
	// non-finite real as null), NULL as null, text and blobs as strings.
	void row_json(std::string& out) const {
		sqlite3_stmt* s = query_.get();
		out.assign("{");
		for (int i = 0, n = sqlite3_column_count(s); i < n; i++) {
			const char* name = sqlite3_column_name(s, i);
			if (i > 0) out += ',';
			json_string(out, reinterpret_cast<const unsigned char*>(name), std::strlen(name));
			out += ':';
			switch (sqlite3_column_type(s, i)) {
			case SQLITE_INTEGER:
				out += std::to_string(static_cast<long long>(sqlite3_column_int64(s, i)));
				break;
			case SQLITE_FLOAT: {
				double v = sqlite3_column_double(s, i);
				char buf[32];
				std::snprintf(buf, sizeof buf, "%.17g", v);
				out += std::isfinite(v) ? buf : "null";
				break;
			}
			case SQLITE_NULL:
				out += "null";
				break;
			case SQLITE_BLOB:
				json_string(out, static_cast<const unsigned char*>(sqlite3_column_blob(s, i)),
				            static_cast<size_t>(sqlite3_column_bytes(s, i)));
				break;
			default: { // SQLITE_TEXT
				const unsigned char* p = sqlite3_column_text(s, i);
				json_string(out, p, static_cast<size_t>(sqlite3_column_bytes(s, i)));
			}
			}
		}
		out += "}\n";
	}

	std::string job_;
	Db db_;                       // destroyed last: the statements go first
	Stmt query_, commit_;
};

struct Options {
	std::string db = "procsql-agent.db";
	std::string job = "agent";
	std::string sql = kDefaultSql;
	double interval = 10;
	long runs = 0; // 0: run until killed
};

Options parse(int argc, char** argv) {
	Options o;
	for (int i = 1; i < argc; i += 2) {
		std::string opt = argv[i];
		if (i + 1 >= argc)
			throw std::runtime_error("usage: agent [--db FILE] [--job NAME] [--interval SECONDS] [--runs N] [--sql SQL]");
		std::string val = argv[i + 1];
		size_t used = 0;
		try {
			if (opt == "--db") o.db = val;
			else if (opt == "--job") o.job = val;
			else if (opt == "--sql") o.sql = val;
			else if (opt == "--interval") o.interval = std::stod(val, &used);
			else if (opt == "--runs") o.runs = std::stol(val, &used);
			else throw std::runtime_error("unknown option: " + opt);
		} catch (const std::logic_error&) { // stod/stol: not a number
			used = std::string::npos;
		}
		bool numeric = opt == "--interval" || opt == "--runs";
		if (numeric && (used != val.size() || o.interval < 0 || o.interval >= 1e9 || o.runs < 0))
			throw std::runtime_error(opt + ": " + val);
	}
	return o;
}

} // namespace

int main(int argc, char** argv) {
	try {
		Options o = parse(argc, argv);
		Agent agent(o.db, o.job, o.sql);
		for (long run = 1; o.runs == 0 || run <= o.runs; run++) {
			if (run > 1) std::this_thread::sleep_for(std::chrono::duration<double>(o.interval));
			agent.run_once();
		}
		return 0; // ~Agent finalizes the statements and closes the connection
	} catch (const std::exception& e) {
		std::cerr << "agent: " << e.what() << std::endl;
		return 1;
	}
}
