// procsqld's engine in this process (its stores in a temporary state
// directory, its source and its publisher threads) and attached connections
// in the same process reading them through read-only mappings, as another
// process would: read-your-writes through the watermark for every exec, the
// live processes, and queries on several threads racing the daemon's
// threads. Run in the normal pass and under ThreadSanitizer (scripts/test.sh),
// on eBPF and on audit (PROCSQL_BACKEND, tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "collector.h"
#include "publisher.h"
#include "register.h"
#include "shared_stores.h"
#include "sql_scalar.h"
#include "unavailable.h"

extern char** environ;

namespace {

using namespace procsql;

using procsql_test::scalar;

pid_t spawn(const char* path, const std::vector<std::string>& args) {
	std::vector<char*> argv;
	for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
	argv.push_back(nullptr);
	pid_t pid = -1;
	return posix_spawn(&pid, path, nullptr, nullptr, argv.data(), environ) == 0 ? pid : -1;
}

TEST(AttachThreads, AttachedQueriesSeeEveryExecThroughTheWatermark) {
	if (geteuid() != 0) {
		PROCSQL_UNAVAILABLE() << "needs root (the real collector)";
	}
	char tmpl[] = "/tmp/procsql-attach-XXXXXX";
	const std::string dir = mkdtemp(tmpl);
	Config config;
	std::string error;
	ASSERT_TRUE(Config::from_env(&config, &error)) << error;
	config.state_dir = dir;
	StateDirLock lock;
	pid_t holder = 0;
	ASSERT_TRUE(StateDirLock::acquire(dir, gid_t(-1), &lock, &holder, &error)) << error;
	std::vector<std::string> log;
	std::shared_ptr<DaemonStores> stores(DaemonStores::open(dir, gid_t(-1), config, &log, &error));
	ASSERT_TRUE(stores) << error;
	auto daemon = Collector::start_daemon(config, stores, &error);
	if (!daemon) {
		PROCSQL_UNAVAILABLE() << "the collector did not start: " << error;
	}
	stores->mark_running(getpid(), BootClock::now_unix_ns(), daemon->backend_name(), daemon->drain_bound_ms(),
	                     collector_settings(config));
	auto publisher = std::make_unique<Publisher>(*daemon, *stores);
	publisher->start();

	setenv("PROCSQL_MODE", "attach", 1);
	setenv("PROCSQL_STATE_DIR", dir.c_str(), 1);
	std::vector<sqlite3*> dbs(4, nullptr);
	for (sqlite3*& db : dbs) {
		ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
		char* err = nullptr;
		ASSERT_EQ(register_all(db, &err), SQLITE_OK) << (err ? err : "?");
	}
	setenv("PROCSQL_MODE", "embedded", 1);
	std::string mode;
	{
		sqlite3_stmt* st = nullptr;
		ASSERT_EQ(sqlite3_prepare_v2(dbs[0], "SELECT value FROM procsql_stats WHERE name = 'mode'", -1, &st, nullptr),
		          SQLITE_OK);
		ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
		mode = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	EXPECT_EQ(mode, "attached");

	const std::string marker = "at" + std::to_string(getpid()) + "x" + std::to_string(time(nullptr));
	std::atomic<bool> done{false};
	std::atomic<int> errors{0};
	std::vector<std::string> messages(3);
	std::vector<std::thread> readers;
	const char* queries[] = {
	    "SELECT count(*) FROM process_events WHERE argv LIKE '%MARK%'",
	    "SELECT count(*) FROM clone_events c JOIN process_exits x ON x.pid = c.child_pid",
	    "SELECT count(*) FROM processes p LEFT JOIN container_map m ON m.cgroup_id = p.cgroup_id",
	    "SELECT count(*) FROM procsql_stats",
	};
	for (size_t i = 0; i < 3; i++) {
		readers.emplace_back([&, i] {
			for (size_t n = 0; !done.load() || n < 8; n++) {
				std::string sql = queries[(n + i) % 4], e;
				const size_t at = sql.find("MARK");
				if (at != std::string::npos) sql.replace(at, 4, marker);
				scalar(dbs[i], sql, &e);
				if (!e.empty()) {
					errors.fetch_add(1);
					messages[i] = e;
				}
			}
		});
	}
	// Read-your-writes: each exec, waited for, is in the very next query.
	constexpr int kExecs = 60;
	for (int i = 0; i < kExecs; i++) {
		const pid_t pid = spawn("/bin/true", {"true", marker + "-" + std::to_string(i)});
		ASSERT_GT(pid, 0);
		int status = 0;
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		EXPECT_EQ(scalar(dbs[3], "SELECT count(*) FROM process_events WHERE argv LIKE '%" + marker + "-%'", &error),
		          i + 1)
		    << error;
	}
	// A live process is listed with the start_time of its exec row.
	// (A shell that stays: its argv carries the marker; killing it ends the loop.)
	const pid_t sleeper = spawn("/bin/sh", {"sh", "-c", "while :; do sleep 0.05; done", marker + "-sleep"});
	ASSERT_GT(sleeper, 0);
	usleep(10 * 1000);
	EXPECT_EQ(scalar(dbs[3],
	                 "SELECT count(*) FROM processes p JOIN process_events e ON e.pid = p.pid AND e.start_time = "
	                 "p.start_time WHERE p.pid = " + std::to_string(sleeper) + " AND e.argv LIKE '%" + marker +
	                     "-sleep%'",
	                 &error),
	          1)
	    << error;
	kill(sleeper, SIGKILL);
	waitpid(sleeper, nullptr, 0);
	done.store(true);
	for (std::thread& t : readers) t.join();
	EXPECT_EQ(errors.load(), 0) << messages[0] << messages[1] << messages[2];
	EXPECT_EQ(scalar(dbs[3], "SELECT value FROM procsql_stats WHERE name = 'attach.drain_timeouts'", &error), 0)
	    << error;
	for (sqlite3* db : dbs) sqlite3_close(db);
	publisher->stop();
	publisher.reset();
	daemon.reset();
	stores->mark_stopped(BootClock::now_unix_ns());
	std::system(("rm -rf " + dir).c_str());
}

} // namespace
