// The ways into libprocsql.so: sqlite3_procsql_init for `.load procsql` (the
// sqlite3 shell derives the name from the file, procsql.so, a link to the
// library), load_extension() and sqlite3_auto_extension(); and
// procsql_register() for hosts that link the library. Both call SQLite
// through the API table of the caller's SQLite (sqlite_api.h).
#include <mutex>
#include <new>

#include "register.h"
#include "sqlite_bootstrap.h"

SQLITE_EXTENSION_INIT1

namespace {

std::mutex g_api_mutex;

// Every connection procsql serves comes from one SQLite in practice; the
// table is set before the first registration and kept.
bool use_api(const sqlite3_api_routines* api) {
	if (api == nullptr) {
		return false;
	}
	std::lock_guard<std::mutex> lock(g_api_mutex);
	if (sqlite3_api != api) {
		sqlite3_api = api;
	}
	return true;
}

} // namespace

extern "C" __attribute__((visibility("default"))) int sqlite3_procsql_init(sqlite3* db, char** err,
                                                                          const sqlite3_api_routines* api) {
	if (!use_api(api)) {
		return SQLITE_MISUSE;
	}
	return procsql::register_all(db, err);
}

extern "C" __attribute__((visibility("default"))) int procsql_register(sqlite3* db, char** err) {
	if (db == nullptr) {
		return SQLITE_MISUSE;
	}
	const sqlite3_api_routines* api = nullptr;
	{
		std::lock_guard<std::mutex> lock(g_api_mutex);
		api = sqlite3_api;
	}
	if (api == nullptr && !use_api(procsql::linked_sqlite_api())) {
		// No SQLite to call: nothing can be said through it either.
		return SQLITE_ERROR;
	}
	return procsql::register_all(db, err);
}
