// One writer appends to process_events' store (wrapping it many times) while
// several connections scan it through SQL with and without pushdown. Every
// row a query returns must be whole: its fields all derive from its eid.
// Run under ThreadSanitizer by the test command.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "collector.h"
#include "register.h"

namespace procsql {
namespace {

constexpr uint64_t kRows = 200000;

std::string argv_of(uint64_t eid) {
	const std::string n = std::to_string(eid);
	return "/bin/echo" + std::string(1, '\0') + std::string(eid % 50, 'x') + n;
}

TEST(SqlConcurrency, ScansDuringAppendsReturnWholeRows) {
	Config config;
	config.capacity = 4096;
	config.arena_bytes = 1 << 20; // small: the arena evicts too
	std::string error;
	auto collector = Collector::without_source(config, &error);
	ASSERT_TRUE(collector) << error;

	std::atomic<bool> done{false};
	std::thread writer([&] {
		for (uint64_t eid = 1; eid <= kRows; eid++) {
			ExecRow r{};
			r.pid = int32_t(eid % 97);
			r.time_ns = int64_t(eid) * 1000;
			r.argc = uint32_t(eid % 13);
			const std::string path = "/p/" + std::to_string(eid);
			const std::string argv = argv_of(eid);
			ExecStrings s{};
			s[kExecPath] = path;
			s[kExecArgv] = argv;
			ASSERT_EQ(collector->writable_exec_store().append(r, s), eid);
		}
		done = true;
	});

	const char* queries[] = {
	    "SELECT eid, pid, time_ns, argc, path, argv FROM process_events",
	    "SELECT eid, pid, time_ns, argc, path, argv FROM process_events WHERE eid > 100000 LIMIT 500",
	    "SELECT eid, pid, time_ns, argc, path, argv FROM process_events WHERE pid IN (3, 5, 7)",
	    "SELECT eid, pid, time_ns, argc, path, argv FROM process_events WHERE time_ns >= 50000000",
	};
	std::atomic<uint64_t> rows_checked{0};
	std::vector<std::thread> readers;
	for (int t = 0; t < 3; t++) {
		readers.emplace_back([&, t] {
			sqlite3* db = nullptr;
			ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
			char* err = nullptr;
			ASSERT_EQ(register_all_with(db, collector, &err), SQLITE_OK);
			uint64_t round = 0;
			while (!done || round < 4) {
				sqlite3_stmt* st = nullptr;
				ASSERT_EQ(sqlite3_prepare_v2(db, queries[(t + round++) % 4], -1, &st, nullptr), SQLITE_OK);
				while (sqlite3_step(st) == SQLITE_ROW) {
					const uint64_t eid = uint64_t(sqlite3_column_int64(st, 0));
					ASSERT_EQ(sqlite3_column_int64(st, 1), int64_t(eid % 97));
					ASSERT_EQ(sqlite3_column_int64(st, 2), int64_t(eid) * 1000);
					ASSERT_EQ(sqlite3_column_int64(st, 3), int64_t(eid % 13));
					ASSERT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 4))),
					          "/p/" + std::to_string(eid));
					const std::string json = reinterpret_cast<const char*>(sqlite3_column_text(st, 5));
					ASSERT_EQ(json, "[\"/bin/echo\",\"" + std::string(eid % 50, 'x') + std::to_string(eid) + "\"]");
					rows_checked++;
				}
				sqlite3_finalize(st);
			}
			sqlite3_close(db);
		});
	}
	writer.join();
	for (auto& r : readers) {
		r.join();
	}
	EXPECT_GT(rows_checked.load(), 10000u);
	const auto counters = collector->exec_store().ring().counters();
	EXPECT_EQ(counters.appended, kRows);
	EXPECT_GT(counters.rows_overwritten + counters.rows_evicted_by_arena, kRows / 2);
}

} // namespace
} // namespace procsql
