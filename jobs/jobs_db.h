// Running SQL on the jobs database (the caller's connection): a prepared
// statement that finalizes itself, and errors as one line that says where.
#pragma once

#include <memory>
#include <string>

#include "sqlite_api.h"

namespace procsql::jobs {

using Statement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

inline std::string db_error(sqlite3* db) { return std::string("jobs database: ") + sqlite3_errmsg(db); }

// Null (and *error set) when `sql` does not compile.
inline Statement prepare(sqlite3* db, const char* sql, std::string* error) {
	sqlite3_stmt* stmt = nullptr;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
		*error = db_error(db);
		sqlite3_finalize(stmt);
		stmt = nullptr;
	}
	return Statement(stmt, sqlite3_finalize);
}

inline bool exec(sqlite3* db, const char* sql, std::string* error) {
	char* msg = nullptr;
	if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
		*error = std::string("jobs database: ") + (msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return false;
	}
	return true;
}

inline void bind_text(sqlite3_stmt* stmt, int i, const std::string& s) {
	sqlite3_bind_text64(stmt, i, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

} // namespace procsql::jobs
