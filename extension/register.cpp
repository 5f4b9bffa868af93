// Registers every table on a connection, each holding a share of the one
// collector of this process.
#include <new>
#include <string>

#include "c_api.h"
#include "collector.h"
#include "job_sql.h"
#include "register.h"
#include "tables.h"

namespace procsql {

namespace {

void release_collector(void* ref) { delete static_cast<CollectorRef*>(ref); }

int fail(char** err, int rc, const std::string& msg) {
	if (err) {
		*err = sqlite3_mprintf("procsql: %s", msg.c_str());
	}
	return rc;
}

} // namespace

int register_all(sqlite3* db, char** err) {
	try {
		std::string why;
		CollectorRef collector = Collector::acquire(&why);
		if (!collector) {
			return fail(err, SQLITE_ERROR, why);
		}
		return register_all_with(db, collector, err);
	} catch (const std::bad_alloc&) {
		return fail(err, SQLITE_NOMEM, "out of memory");
	} catch (const std::exception& e) {
		return fail(err, SQLITE_ERROR, e.what());
	}
}

int register_all_with(sqlite3* db, const CollectorRef& collector, char** err) {
	try {
		const struct {
			const char* name;
			const sqlite3_module* module;
		} tables[] = {{"process_events", &process_events_module()},
		              {"clone_events", &clone_events_module()},
		              {"process_exits", &process_exits_module()},
		              {"exec_failures", &exec_failures_module()},
		              {"processes", &processes_module()},
		              {"container_map", &container_map_module()},
		              {"syscall_usage", &syscall_usage_module()},
		              {"procsql_stats", &procsql_stats_module()}};
		for (const auto& t : tables) {
			// SQLite owns the reference from here: it calls release_collector when
			// the connection closes, or at once if the call fails.
			auto* ref = new CollectorRef(collector);
			const int rc = sqlite3_create_module_v2(db, t.name, t.module, ref, release_collector);
			if (rc != SQLITE_OK) {
				return fail(err, rc, std::string("cannot register ") + t.name + ": " + sqlite3_errmsg(db));
			}
		}
		if (const int rc = register_scalar_functions(db); rc != SQLITE_OK) {
			return fail(err, rc, std::string("cannot register procsql_caps_text: ") + sqlite3_errmsg(db));
		}
		if (const int rc = register_seccomp_profile(db); rc != SQLITE_OK) {
			return fail(err, rc, std::string("cannot register procsql_seccomp_profile: ") + sqlite3_errmsg(db));
		}
		return jobs::register_job_sql(db, collector, err);
	} catch (const std::bad_alloc&) {
		return fail(err, SQLITE_NOMEM, "out of memory");
	} catch (const std::exception& e) {
		return fail(err, SQLITE_ERROR, e.what());
	}
}

int register_reporting(sqlite3* db, char** err) {
	if (db == nullptr) {
		set_last_error("procsql: procsql_register: no connection (db is NULL)");
		return SQLITE_MISUSE;
	}
	char* msg = nullptr;
	const int rc = register_all(db, &msg);
	set_last_error(rc == SQLITE_OK ? "" : msg ? msg : "procsql: registration failed");
	if (err) {
		*err = msg;
	} else {
		sqlite3_free(msg);
	}
	return rc;
}

} // namespace procsql

#ifdef SQLITE_CORE
extern "C" int procsql_register(sqlite3* db, char** err) { return procsql::register_reporting(db, err); }
#endif
