// The scalar SQL functions that name what the tables store as numbers.
#include <new>
#include <string>

#include "privileges.h"
#include "sqlite_api.h"
#include "tables.h"

namespace procsql {

namespace {

// procsql_caps_text(caps): the capability names of a cap_* column.
void procsql_caps_text(sqlite3_context* ctx, int, sqlite3_value** argv) {
	switch (sqlite3_value_type(argv[0])) {
	case SQLITE_NULL: return; // NULL in, NULL out, like the built-in functions
	case SQLITE_INTEGER: break;
	default:
		sqlite3_result_error(ctx, "procsql_caps_text: expects an integer capability set (a cap_* column)", -1);
		return;
	}
	try {
		const std::string text = caps_text(uint64_t(sqlite3_value_int64(argv[0])));
		sqlite3_result_text(ctx, text.c_str(), int(text.size()), SQLITE_TRANSIENT);
	} catch (const std::bad_alloc&) {
		sqlite3_result_error_nomem(ctx);
	}
}

} // namespace

int register_scalar_functions(sqlite3* db) {
	return sqlite3_create_function_v2(db, "procsql_caps_text", 1,
	                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
	                                  procsql_caps_text, nullptr, nullptr, nullptr);
}

} // namespace procsql
