// The real collector under threads: its source's consumer thread (eBPF, or
// audit with PROCSQL_BACKEND=audit) appends while three connections on three
// threads query every table, each drain racing the consumer, and a fourth
// thread spawns marked processes. Built and run under ThreadSanitizer by
// scripts/test.sh (issue 11: TSan covered the store alone), and in the normal
// pass. Every marked exec must be seen, exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <spawn.h>
#include <sqlite3.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "register.h"
#include "sql_scalar.h"
#include "unavailable.h"

extern char** environ;

namespace {

constexpr int kExecs = 300;

using procsql_test::scalar;

} // namespace

TEST(CollectorThreads, QueriesRaceTheConsumerThread) {
	if (geteuid() != 0) {
		PROCSQL_UNAVAILABLE() << "needs root (the real collector)";
	}
	const std::string marker = "ct" + std::to_string(getpid()) + "x" + std::to_string(time(nullptr));
	std::vector<sqlite3*> dbs(3, nullptr);
	for (sqlite3*& db : dbs) {
		ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
		char* err = nullptr;
		const int rc = procsql::register_all(db, &err);
		if (rc != SQLITE_OK) {
			const std::string why = err ? err : "?";
			sqlite3_free(err);
			PROCSQL_UNAVAILABLE() << "procsql did not load: " << why;
		}
	}

	std::atomic<bool> done{false};
	std::atomic<int> errors{0};
	std::vector<std::string> messages(dbs.size());
	std::vector<std::thread> readers;
	const char* queries[] = {
	    "SELECT count(*) FROM process_events WHERE argv LIKE '%' || ?1 || '%'",
	    "SELECT count(*) FROM clone_events c JOIN process_exits x ON x.pid = c.child_pid",
	    "SELECT count(*) FROM processes p JOIN container_map m ON m.cgroup_id = p.cgroup_id",
	    "SELECT count(*) FROM procsql_stats",
	};
	for (size_t i = 0; i < dbs.size(); i++) {
		readers.emplace_back([&, i] {
			for (size_t n = 0; !done.load() || n < 8; n++) {
				std::string error;
				std::string sql = queries[n % 4];
				const size_t at = sql.find("?1");
				if (at != std::string::npos) {
					sql.replace(at, 2, "'" + marker + "'");
				}
				scalar(dbs[i], sql, &error);
				if (!error.empty()) {
					errors.fetch_add(1);
					messages[i] = error;
				}
			}
		});
	}
	for (int i = 0; i < kExecs; i++) {
		const std::string arg = marker + "-" + std::to_string(i);
		char* argv[] = {const_cast<char*>("true"), const_cast<char*>(arg.c_str()), nullptr};
		pid_t pid;
		ASSERT_EQ(posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ), 0);
		int status = 0;
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
	}
	done.store(true);
	for (std::thread& t : readers) {
		t.join();
	}
	EXPECT_EQ(errors.load(), 0) << messages[0] << messages[1] << messages[2];

	std::string error;
	const std::string like = "'%" + marker + "-%'";
	EXPECT_EQ(scalar(dbs[0], "SELECT count(*) FROM process_events WHERE path = '/usr/bin/true' AND argv LIKE " + like,
	                 &error),
	          kExecs)
	    << error;
	EXPECT_EQ(scalar(dbs[0],
	                 "SELECT count(DISTINCT cmdline) FROM process_events WHERE path = '/usr/bin/true' AND argv LIKE " +
	                     like,
	                 &error),
	          kExecs)
	    << error;
	EXPECT_EQ(scalar(dbs[0], "SELECT value FROM procsql_stats WHERE name = 'process_events.events_lost_kernel'",
	                 &error),
	          0);
	for (sqlite3* db : dbs) {
		sqlite3_close(db);
	}
}
