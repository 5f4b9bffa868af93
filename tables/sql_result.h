// How text reaches SQLite from every table: valid UTF-8 always, NULL for
// values that do not exist.
#pragma once

#include <string_view>

#include "sqlite_api.h"
#include "text.h"

namespace procsql {

inline void result_text(sqlite3_context* ctx, std::string_view s) {
	sqlite3_result_text64(ctx, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

// Text columns are valid UTF-8: bytes that are not read as U+FFFD.
inline void result_utf8(sqlite3_context* ctx, std::string_view s) {
	if (text::is_valid_utf8(s)) {
		result_text(ctx, s);
	} else {
		result_text(ctx, text::valid_utf8(s));
	}
}

// NULL for "" (no container), the text otherwise.
inline void result_nonempty(sqlite3_context* ctx, std::string_view s) {
	if (!s.empty()) {
		result_utf8(ctx, s);
	}
}

} // namespace procsql
