// process_events' pushdown against SQLite's own evaluation, over a store the
// test fills itself (a collector without a source): the same query with the
// constraint hidden from xBestIndex must give the same rows. The hidden form
// is CAST(eid AS INTEGER), not +eid: a CAST keeps INTEGER affinity, so
// eid <= '50' still compares with 50, as it does on the column.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "collector.h"
#include "register.h"

namespace procsql {
namespace {

class Db {
public:
	explicit Db(const std::shared_ptr<Collector>& c) {
		EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
		char* err = nullptr;
		EXPECT_EQ(register_all_with(db_, c, &err), SQLITE_OK) << (err ? err : "");
		sqlite3_free(err);
	}
	~Db() { sqlite3_close(db_); }
	// Every row's values joined by '|', rows by '\n'; errors as "ERROR: ...".
	std::string query(const std::string& sql) {
		sqlite3_stmt* st = nullptr;
		if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
			return std::string("ERROR: ") + sqlite3_errmsg(db_);
		}
		std::string out;
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (int i = 0; i < sqlite3_column_count(st); i++) {
				if (i) out += "|";
				const unsigned char* t = sqlite3_column_text(st, i);
				out += t ? reinterpret_cast<const char*>(t) : "NULL";
			}
			out += "\n";
		}
		if (rc != SQLITE_DONE) {
			out = std::string("ERROR: ") + sqlite3_errmsg(db_);
		}
		sqlite3_finalize(st);
		return out;
	}
	std::string plan(const std::string& sql) {
		const std::string rows = query("EXPLAIN QUERY PLAN " + sql);
		// "id|parent|notused|detail" per row: keep the details.
		std::string details;
		size_t pos = 0;
		while (pos < rows.size()) {
			const size_t nl = rows.find('\n', pos);
			const std::string row = rows.substr(pos, nl - pos);
			details += row.substr(row.rfind('|') + 1) + ";";
			pos = nl + 1;
		}
		return details;
	}

private:
	sqlite3* db_ = nullptr;
};

// Times are scrambled within a window of about a second, as rows from
// different CPUs arrive out of order; eid order is not time order.
int64_t row_time(uint64_t i) { return 1700000000000000000LL + int64_t(i) * 1000000 + int64_t((i * 7919) % 997) * 3000000; }

std::shared_ptr<Collector> filled(uint64_t capacity, uint64_t rows) {
	Config config;
	config.capacity = capacity;
	std::string error;
	auto c = Collector::without_source(config, &error);
	EXPECT_TRUE(c) << error;
	for (uint64_t i = 1; i <= rows; i++) {
		ExecRow r{};
		r.pid = int32_t(1000 + i % 7);
		r.time_ns = row_time(i);
		r.argc = 2;
		const std::string argv = std::string("/bin/true\0row", 13) + std::to_string(i);
		ExecStrings s{};
		s[kExecPath] = "/usr/bin/true";
		s[kExecArgv] = std::string_view(argv.data(), argv.size());
		c->writable_exec_store().append(r, s);
	}
	return c;
}

TEST(SqlPushdown, EidBoundsMatchSqliteEvaluation) {
	auto c = filled(64, 100); // eids 37..100 retained, 1..36 overwritten
	Db db(c);
	const char* ops[] = {"=", ">", ">=", "<", "<="};
	const char* values[] = {"-5", "0", "1", "36", "37", "38", "50", "99", "100", "101",
	                        "2.5", "50.0", "-0.5", "'50'", "'abc'", "x'00'", "NULL", "9223372036854775807"};
	for (const char* op : ops) {
		for (const char* v : values) {
			const std::string where = std::string(" ") + op + " " + v;
			const std::string pushed = db.query("SELECT eid FROM process_events WHERE eid" + where);
			const std::string checked =
			    db.query("SELECT eid FROM process_events WHERE CAST(eid AS INTEGER)" + where);
			EXPECT_EQ(pushed, checked) << "eid" << where;
			EXPECT_EQ(pushed.find("ERROR"), std::string::npos) << pushed;
		}
	}
}

TEST(SqlPushdown, RandomRangesLimitsAndOffsets) {
	auto c = filled(256, 300);
	Db db(c);
	std::mt19937 rng(7);
	const char* lower[] = {">", ">="};
	const char* upper[] = {"<", "<="};
	for (int i = 0; i < 300; i++) {
		const int lo = int(rng() % 320), hi = int(rng() % 320);
		std::string tail;
		if (rng() % 2) tail += " LIMIT " + std::to_string(rng() % 20);
		if (!tail.empty() && rng() % 2) tail += " OFFSET " + std::to_string(rng() % 20);
		const std::string where = std::string(" WHERE eid ") + lower[rng() % 2] + " " + std::to_string(lo) +
		                          " AND eid " + upper[rng() % 2] + " " + std::to_string(hi);
		std::string plain = where;
		const std::string hidden = "CAST(eid AS INTEGER)";
		plain.replace(plain.find("eid"), 3, hidden);
		plain.replace(plain.find(" eid ", 10), 5, " " + hidden + " ");
		EXPECT_EQ(db.query("SELECT eid, pid FROM process_events" + where + tail),
		          db.query("SELECT eid, pid FROM process_events" + plain + tail))
		    << where << tail;
	}
}

TEST(SqlPushdown, TimeAndPidMatchSqliteEvaluation) {
	// 5000 rows across five blocks of the time index, 3000 retained.
	auto c = filled(3000, 5000);
	Db db(c);
	std::mt19937 rng(11);
	const char* ops[] = {"=", ">", ">=", "<", "<="};
	const int64_t t0 = row_time(2000), t1 = row_time(4800);
	for (int i = 0; i < 200; i++) {
		const int64_t ns = t0 + int64_t(rng() % uint64_t(t1 - t0));
		const std::string op = ops[rng() % 5];
		const std::string op2 = ops[1 + rng() % 4];
		std::vector<std::string> wheres = {
		    "time_ns " + op + " " + std::to_string(ns),
		    "time " + op + " " + std::to_string(ns / 1000000000),
		    "time " + op + " " + std::to_string(double(ns) / 1e9),
		    "time_ns " + op + " " + std::to_string(ns) + " AND time_ns " + op2 + " " +
		        std::to_string(ns + int64_t(rng() % 2000000000)),
		    "pid = " + std::to_string(1000 + rng() % 9),
		    "pid IN (1001, 1003, '1005', 1004.0, 1002.5, NULL)",
		    "pid IN (1001, 1002) AND pid = 1002 AND time " + op + " " + std::to_string(ns / 1000000000),
		    "time >= 'abc'",
		    "time <= 'abc' AND pid = '1006'",
		    "time_ns = NULL",
		};
		for (const std::string& where : wheres) {
			std::string hidden = where;
			for (const char* column : {"time_ns", "time ", "pid"}) {
				for (size_t at = hidden.find(column); at != std::string::npos;
				     at = hidden.find(column, at + 30)) {
					const std::string name = std::string(column) == "time " ? "time" : column;
					hidden.replace(at, name.size(), "CAST(" + name + " AS INTEGER)");
				}
			}
			const std::string pushed = db.query("SELECT eid FROM process_events WHERE " + where);
			EXPECT_EQ(pushed, db.query("SELECT eid FROM process_events WHERE " + hidden)) << where << " vs " << hidden;
			EXPECT_EQ(pushed.find("ERROR"), std::string::npos) << where << ": " << pushed;
		}
	}
	// The time index lets a narrow range skip blocks, and still finds its rows.
	const int64_t t = row_time(4500);
	EXPECT_EQ(db.query("SELECT count(*) FROM process_events WHERE time_ns = " + std::to_string(t)), "1\n");
}

TEST(SqlPushdown, PlanShowsWhatWasPushed) {
	auto c = filled(64, 10);
	Db db(c);
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE eid > 5"),
	          "SCAN process_events VIRTUAL TABLE INDEX 2:eid>;");
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE eid = 5"),
	          "SCAN process_events VIRTUAL TABLE INDEX 1:eid=;");
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE eid >= 3 AND eid < 9 LIMIT 2"),
	          "SCAN process_events VIRTUAL TABLE INDEX 44:eid>=,eid<,limit;");
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE eid <= 3 LIMIT 2 OFFSET 1"),
	          "SCAN process_events VIRTUAL TABLE INDEX 112:eid<=,limit,offset;");
	// Strings are read only when a column needs them.
	EXPECT_EQ(db.plan("SELECT path, cmdline FROM process_events"),
	          "SCAN process_events VIRTUAL TABLE INDEX 0: read=path,argv;");
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE pid = 3 LIMIT 2"),
	          "SCAN process_events VIRTUAL TABLE INDEX 544:pid=,limit;");
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE pid IN (3, 4) AND time >= 5"),
	          "SCAN process_events VIRTUAL TABLE INDEX 1280:pid IN,time>=;");
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE time_ns > 1 AND time_ns <= 9 AND eid > 2"),
	          "SCAN process_events VIRTUAL TABLE INDEX 130:time_ns>,time_ns<=,eid>;");
	// A term it cannot push keeps LIMIT in SQLite's hands.
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE uid = 5 LIMIT 2"),
	          "SCAN process_events VIRTUAL TABLE INDEX 0:;");
	// So does a text filter, pushed as a pre-filter that SQLite checks again
	// (comm is column 8): its rows are candidates, not the answer.
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE comm = 'x' LIMIT 2"),
	          "SCAN process_events VIRTUAL TABLE INDEX 2048:t8=;");
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE cmdline LIKE 'a%' AND path GLOB '/x*'"),
	          "SCAN process_events VIRTUAL TABLE INDEX 2048:t9*,t11~ read=path,argv;");
	// ORDER BY eid is the scan order: consumed, so LIMIT still goes down.
	EXPECT_EQ(db.plan("SELECT eid FROM process_events WHERE eid > 1 ORDER BY eid LIMIT 3"),
	          "SCAN process_events VIRTUAL TABLE INDEX 34:eid>,limit;");
}

TEST(SqlPushdown, ColumnsReadOnlyWhenUsed) {
	auto c = filled(64, 3);
	Db db(c);
	EXPECT_EQ(db.query("SELECT eid, path, cmdline, argv FROM process_events WHERE eid = 2"),
	          "2|/usr/bin/true|/bin/true row2|[\"/bin/true\",\"row2\"]\n");
	// A query that reads no string still sees the row, with its fixed fields.
	EXPECT_EQ(db.query("SELECT eid, pid FROM process_events WHERE eid = 3"), "3|1003\n");
}

TEST(SqlPushdown, DirectOnlyRefusesViews) {
	auto c = filled(64, 3);
	Db db(c);
	EXPECT_EQ(db.query("CREATE VIEW v AS SELECT eid FROM process_events"), "");
	EXPECT_NE(db.query("SELECT * FROM v").find("unsafe use of virtual table"), std::string::npos);
}

} // namespace
} // namespace procsql
