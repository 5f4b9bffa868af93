// One integer from a query, for the unit tests that drive connections on
// several threads: -1 and the message on failure.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace procsql_test {

inline int64_t scalar(sqlite3* db, const std::string& sql, std::string* error) {
	sqlite3_stmt* st = nullptr;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
		*error = sqlite3_errmsg(db);
		return v;
	}
	const int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		*error = sqlite3_errmsg(db);
	}
	sqlite3_finalize(st);
	return v;
}

} // namespace procsql_test
