// The time index really skips: a time range that only the last block can hold
// reads that block and skips every other one, and procsql_stats says how many
// (issue 11: nothing failed if the index stopped skipping).
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <string>

#include "collector.h"
#include "register.h"

namespace procsql {
namespace {

constexpr int64_t kBase = 1700000000000000000LL;

int64_t query_int(sqlite3* db, const std::string& sql) {
	sqlite3_stmt* st = nullptr;
	EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
	EXPECT_EQ(sqlite3_step(st), SQLITE_ROW) << sqlite3_errmsg(db);
	const int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

TEST(TimeSkip, ARangeInTheLastBlockSkipsEveryOtherBlock) {
	Config config;
	config.capacity = 20000;
	std::string error;
	auto c = Collector::without_source(config, &error);
	ASSERT_TRUE(c) << error;
	// eids 1..10239 with times in eid order: blocks 0..9 (eid / 1024).
	const uint64_t rows = 10 * TimeIndex::kBlockRows - 1;
	for (uint64_t eid = 1; eid <= rows; eid++) {
		ExecRow r{};
		r.time_ns = kBase + int64_t(eid);
		ASSERT_EQ(c->writable_exec_store().append(r, ExecStrings{}), eid);
	}
	sqlite3* db = nullptr;
	ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
	char* err = nullptr;
	ASSERT_EQ(register_all_with(db, c, &err), SQLITE_OK) << (err ? err : "");
	const std::string skipped =
	    "SELECT value FROM procsql_stats WHERE name = 'process_events.time_blocks_skipped'";
	EXPECT_EQ(query_int(db, skipped), 0);

	const uint64_t last_block_first = TimeIndex::first_eid_of(9);
	EXPECT_EQ(query_int(db, "SELECT count(*) FROM process_events WHERE time_ns >= " +
	                            std::to_string(kBase + int64_t(last_block_first))),
	          int64_t(rows - last_block_first + 1));
	EXPECT_EQ(query_int(db, skipped), 9);

	// Unpushed, the same range reads every row and skips nothing.
	EXPECT_EQ(query_int(db, "SELECT count(*) FROM process_events WHERE +time_ns >= " +
	                            std::to_string(kBase + int64_t(last_block_first))),
	          int64_t(rows - last_block_first + 1));
	EXPECT_EQ(query_int(db, skipped), 9);
	sqlite3_close(db);
}

} // namespace
} // namespace procsql
