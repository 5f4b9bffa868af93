// libprocsql.so calls SQLite through an API table (sqlite_api.h), like any
// loadable extension, so that it works with whichever SQLite its host uses.
// `.load` and sqlite3_auto_extension hand that table over; procsql_register()
// gets it here from the SQLite the dynamic linker binds this library to (the
// system's libsqlite3, or the host's own if the host exports its sqlite3_*
// symbols): SQLite passes its table to every automatic extension, so one
// throwaway in-memory connection with a capturing one yields it.
//
// This file alone calls SQLite directly: it includes <sqlite3.h>, not
// <sqlite3ext.h>.
#include <sqlite3.h>

#include <mutex>

#include "sqlite_bootstrap.h"

namespace procsql {

namespace {

const sqlite3_api_routines* g_captured = nullptr;

int capture(sqlite3*, char**, const sqlite3_api_routines* api) {
	g_captured = api;
	return SQLITE_OK;
}

} // namespace

const sqlite3_api_routines* linked_sqlite_api() {
	static std::once_flag once;
	std::call_once(once, [] {
		auto entry = reinterpret_cast<void (*)(void)>(capture);
		if (sqlite3_auto_extension(entry) != SQLITE_OK) {
			return;
		}
		sqlite3* db = nullptr;
		sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr);
		sqlite3_close(db);
		sqlite3_cancel_auto_extension(entry);
	});
	return g_captured;
}

} // namespace procsql
