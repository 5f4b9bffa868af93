// The ways into libprocsql.so: sqlite3_procsql_init for `.load procsql` (the
// sqlite3 shell derives the name from the file, procsql.so, a link to the
// library), load_extension() and sqlite3_auto_extension(); and
// procsql_register() for hosts that link the library. Both call SQLite
// through the API table of the caller's SQLite (sqlite_api.h).
#include <mutex>
#include <new>

#include "c_api.h"
#include "register.h"
#include "sqlite_bootstrap.h"

SQLITE_EXTENSION_INIT1

namespace {

std::mutex g_api_mutex;

// The first SQLite that hands procsql its API table is the one it serves, for
// the life of the process: a connection of another SQLite library is refused
// (driving one SQLite's connection through another's table would corrupt it).
// Once set, the table never changes, so the calls that read it need no lock.
int use_api(const sqlite3_api_routines* api, char** err) {
	if (api == nullptr) {
		return SQLITE_MISUSE;
	}
	std::lock_guard<std::mutex> lock(g_api_mutex);
	if (sqlite3_api == nullptr) {
		sqlite3_api = api;
	} else if (sqlite3_api != api) {
		if (err) {
			*err = api->mprintf("%s", "procsql: this process already serves procsql to another SQLite library; "
			                          "one process can serve only one (the first that registered it)");
		}
		return SQLITE_ERROR;
	}
	return SQLITE_OK;
}

} // namespace

extern "C" __attribute__((visibility("default"))) int sqlite3_procsql_init(sqlite3* db, char** err,
                                                                          const sqlite3_api_routines* api) {
	const int rc = use_api(api, err);
	if (rc != SQLITE_OK) {
		return rc;
	}
	return procsql::register_reporting(db, err);
}

extern "C" __attribute__((visibility("default"))) int procsql_register(sqlite3* db, char** err) {
	if (db == nullptr) {
		return procsql::register_reporting(db, err); // says so
	}
	bool have = false;
	{
		std::lock_guard<std::mutex> lock(g_api_mutex);
		have = sqlite3_api != nullptr;
	}
	if (!have) {
		const sqlite3_api_routines* linked = procsql::linked_sqlite_api();
		if (linked == nullptr) {
			procsql::set_last_error("procsql: procsql_register: no SQLite library could be found to call");
			return SQLITE_ERROR;
		}
		char* msg = nullptr;
		const int rc = use_api(linked, &msg);
		if (rc != SQLITE_OK) {
			procsql::set_last_error(msg ? msg : "procsql: procsql_register: refused");
			if (err) {
				*err = msg;
			} else if (msg) {
				linked->free(msg);
			}
			return rc;
		}
	}
	return procsql::register_reporting(db, err);
}
