/*
 * A minimal agent that embeds procsql: every --interval seconds it runs one
 * SQL statement as a job (procsql's scheduled-query positions, README
 * "Scheduled queries"), prints each row as one JSON line on stdout, flushes,
 * and only then commits the job's position. --runs N runs, then exit 0; any
 * error is one line on stderr and exit 1 (nothing committed for that run, so
 * the next start sees the same rows again: at least once, never skipped).
 *
 *   agent [--db FILE] [--job NAME] [--interval SECONDS] [--runs N] [--sql SQL]
 *
 * The SQL gets the job's name bound to @job, so it can read
 * procsql_window(@job, 'process_events'): the rows since the job's last commit.
 * Jobs need a running procsqld (PROCSQL_STATE_DIR, PROCSQL_MODE=attach or auto).
 *
 * Two builds (examples/README.md has the commands):
 *   - default: the system's shared libsqlite3; procsql is registered on the
 *     connection with procsql_register(db, &err);
 *   - -DAGENT_STATIC_SQLITE: SQLite linked statically into this program (as
 *     osquery and Go agents carry their own). That SQLite is not the one the
 *     dynamic linker gives libprocsql, so procsql is registered through it:
 *     sqlite3_auto_extension(sqlite3_procsql_init) before opening, and SQLite
 *     hands procsql its own API table on every connection it opens.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep under -std=c11 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <procsql.h> /* includes <sqlite3.h> */

static const char DEFAULT_SQL[] =
	"SELECT w.store_id, p.eid, p.time, p.pid, p.path, p.cmdline"
	"  FROM procsql_window(@job, 'process_events') AS w"
	"  JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi"
	" ORDER BY p.eid";

/* One line on stderr, exit 1. */
static void die(const char* what, const char* detail) {
	fprintf(stderr, "agent: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
static size_t utf8_len(const unsigned char* s, size_t n) {
	size_t len;
	unsigned cp;
	if (s[0] < 0x80) return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) len = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF) len = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4) len = 4, cp = s[0] & 0x07;
	else return 0;
	if (len > n) return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* s as a JSON string. A byte that is not part of valid UTF-8 is written as
 * the lone surrogate \udcXX (as procsql's `argv` column and the procsql tool
 * do), so every byte comes through and Python's json reads it back exactly. */
static void json_string(FILE* out, const unsigned char* s, size_t n) {
	fputc('"', out);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = utf8_len(s + i, n - i);
		if (len == 0) {
			fprintf(out, "\\udc%02x", c);
			i++;
			continue;
		}
		if (len > 1) {
			fwrite(s + i, 1, len, out);
			i += len;
			continue;
		}
		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20) fprintf(out, "\\u%04x", c);
			else fputc(c, out);
		}
		i++;
	}
	fputc('"', out);
}

/* The current row as one JSON object on one line: integers as numbers, reals
 * as numbers (non-finite ones as null), NULL as null, text and blobs as strings. */
static void print_row(sqlite3_stmt* stmt) {
	int n = sqlite3_column_count(stmt);
	putchar('{');
	for (int i = 0; i < n; i++) {
		const char* name = sqlite3_column_name(stmt, i);
		if (i > 0) putchar(',');
		json_string(stdout, (const unsigned char*)name, strlen(name));
		putchar(':');
		switch (sqlite3_column_type(stmt, i)) {
		case SQLITE_INTEGER:
			printf("%lld", (long long)sqlite3_column_int64(stmt, i));
			break;
		case SQLITE_FLOAT: {
			double v = sqlite3_column_double(stmt, i);
			if (isfinite(v)) printf("%.17g", v);
			else fputs("null", stdout);
			break;
		}
		case SQLITE_NULL:
			fputs("null", stdout);
			break;
		case SQLITE_BLOB: {
			const void* p = sqlite3_column_blob(stmt, i);
			json_string(stdout, (const unsigned char*)p, (size_t)sqlite3_column_bytes(stmt, i));
			break;
		}
		default: { /* SQLITE_TEXT */
			const unsigned char* p = sqlite3_column_text(stmt, i);
			json_string(stdout, p, (size_t)sqlite3_column_bytes(stmt, i));
		}
		}
	}
	fputs("}\n", stdout);
}

/* Prepares one statement and binds the job's name to @job (if it names it). */
static sqlite3_stmt* prepare(sqlite3* db, const char* sql, const char* job) {
	sqlite3_stmt* stmt = NULL;
	const char* tail = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, &tail) != SQLITE_OK) die("SQL", sqlite3_errmsg(db));
	if (stmt == NULL) die("SQL", "no statement");
	tail += strspn(tail, " \t\r\n;");
	if (*tail != '\0') die("SQL", "one statement only");
	int idx = sqlite3_bind_parameter_index(stmt, "@job");
	if (idx > 0 && sqlite3_bind_text(stmt, idx, job, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		die("binding @job", sqlite3_errmsg(db));
	return stmt;
}

static void sleep_seconds(double s) {
	struct timespec ts;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

int main(int argc, char** argv) {
	const char* db_path = "procsql-agent.db";
	const char* job = "agent";
	const char* sql = DEFAULT_SQL;
	double interval = 10;
	long runs = 0; /* 0: run until killed */

	for (int i = 1; i < argc; i++) {
		const char* opt = argv[i];
		if (i + 1 >= argc) die("usage", "agent [--db FILE] [--job NAME] [--interval SECONDS] [--runs N] [--sql SQL]");
		const char* val = argv[++i];
		char* end = NULL;
		if (strcmp(opt, "--db") == 0) db_path = val;
		else if (strcmp(opt, "--job") == 0) job = val;
		else if (strcmp(opt, "--sql") == 0) sql = val;
		else if (strcmp(opt, "--interval") == 0) {
			interval = strtod(val, &end);
			if (*val == '\0' || *end != '\0' || !(interval >= 0 && interval < 1e9)) die("--interval", val);
		} else if (strcmp(opt, "--runs") == 0) {
			runs = strtol(val, &end, 10);
			if (*val == '\0' || *end != '\0' || runs < 0) die("--runs", val);
		} else die("unknown option", opt);
	}

#ifdef AGENT_STATIC_SQLITE
	/* Every connection this program's SQLite opens from now on gets procsql. */
	if (sqlite3_auto_extension((void (*)(void))sqlite3_procsql_init) != SQLITE_OK)
		die("sqlite3_auto_extension", "failed");
#endif

	/* The jobs database: procsql keeps the job's position in its table procsql_jobs. */
	sqlite3* db = NULL;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		die(db_path, db ? sqlite3_errmsg(db) : "out of memory");

#ifndef AGENT_STATIC_SQLITE
	char* err = NULL;
	if (procsql_register(db, &err) != SQLITE_OK) {
		fprintf(stderr, "agent: procsql_register: %s\n", err ? err : procsql_errmsg());
		return 1; /* (err would be freed with sqlite3_free) */
	}
#endif

	/* WAL and a busy timeout, as `procsql query` does: other jobs' runs on the
	 * same file do not make this one fail. */
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
		die("PRAGMA journal_mode", sqlite3_errmsg(db));

	sqlite3_stmt* query = prepare(db, sql, job);
	sqlite3_stmt* commit = prepare(db, "SELECT procsql_commit(@job)", job);

	for (long run = 1; runs == 0 || run <= runs; run++) {
		if (run > 1) sleep_seconds(interval);
		int rc;
		while ((rc = sqlite3_step(query)) == SQLITE_ROW) print_row(query);
		if (rc != SQLITE_DONE) die("query", sqlite3_errmsg(db));
		sqlite3_reset(query);
		/* The rows are out before the position moves: a crash in between
		 * makes the next run print them again, never lose them. */
		if (fflush(stdout) != 0 || ferror(stdout)) die("stdout", strerror(errno));
		while ((rc = sqlite3_step(commit)) == SQLITE_ROW) {
		}
		if (rc != SQLITE_DONE) die("procsql_commit", sqlite3_errmsg(db));
		sqlite3_reset(commit);
	}

	sqlite3_finalize(query);
	sqlite3_finalize(commit);
	if (sqlite3_close(db) != SQLITE_OK) die("close", sqlite3_errmsg(db));
	return 0;
}
