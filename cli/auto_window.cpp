#include "auto_window.h"

#include <algorithm>
#include <cctype>

namespace procsql::cli {

namespace {

const char* const kEventTables[] = {"process_events", "clone_events", "process_exits", "exec_failures"};

} // namespace

bool uses_windows(const std::string& sql) {
	std::string lower(sql);
	std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
	return lower.find("procsql_window") != std::string::npos;
}

bool shadow_event_tables(sqlite3* db, const std::string& job, std::string* error) {
	for (const char* table : kEventTables) {
		// TEMP views may use the DIRECTONLY tables: they are the caller's own.
		char* sql = sqlite3_mprintf(
		    "CREATE TEMP VIEW IF NOT EXISTS %s AS SELECT t.* FROM procsql_window(%Q, '%s') AS w "
		    "JOIN main.%s AS t ON t.eid BETWEEN w.lo AND w.hi",
		    table, job.c_str(), table, table);
		char* msg = nullptr;
		const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
		sqlite3_free(sql);
		if (rc != SQLITE_OK) {
			*error = std::string("cannot window ") + table + ": " + (msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			return false;
		}
	}
	return true;
}

void unshadow_event_tables(sqlite3* db) {
	for (const char* table : kEventTables) {
		char* sql = sqlite3_mprintf("DROP VIEW IF EXISTS temp.%s", table);
		sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
		sqlite3_free(sql);
	}
}

} // namespace procsql::cli
