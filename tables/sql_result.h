// How text reaches SQLite from every table: valid UTF-8 always, NULL for
// values that do not exist.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
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

// Where an event table's column function puts a value: SQLite's result for
// a query, or, for the scan's text filters (text_filter.h), the text alone,
// so that a filter tests exactly the text SQLite would be given.
class ColumnOut {
public:
	explicit ColumnOut(sqlite3_context* ctx) : ctx_(ctx) {}
	explicit ColumnOut(std::string* buffer) : buffer_(buffer) {}

	void int64(int64_t v) {
		if (ctx_) sqlite3_result_int64(ctx_, sqlite3_int64(v));
	}
	// A string that outlives the row (the cursor's strings and scratch): the
	// capture refers to it, no copy.
	void text(const std::string& s) {
		if (ctx_) result_text(ctx_, s);
		else capture(s);
	}
	// A NUL-terminated constant (a name).
	void text(const char* s) {
		if (ctx_) result_text(ctx_, s);
		else capture(s);
	}
	// A temporary: kept in the buffer.
	void text(std::string&& s) {
		if (ctx_) {
			result_text(ctx_, s);
		} else {
			buffer_->swap(s);
			capture(*buffer_);
		}
	}
	// Any other bytes: copied into the buffer.
	void text(std::string_view s) {
		if (ctx_) {
			result_text(ctx_, s);
		} else {
			buffer_->assign(s.data(), s.size());
			capture(*buffer_);
		}
	}
	void utf8(std::string_view s) {
		if (ctx_) {
			result_utf8(ctx_, s);
		} else if (text::is_valid_utf8(s)) {
			text(s);
		} else {
			text(text::valid_utf8(s));
		}
	}
	void nonempty(std::string_view s) {
		if (!s.empty()) utf8(s);
	}
	// Capturing: the column's text, NUL-terminated (nullptr: NULL or a
	// number), valid until the next capture or row.
	const char* captured() const { return captured_; }
	size_t captured_size() const { return captured_size_; }

private:
	void capture(const std::string& s) {
		captured_ = s.c_str();
		captured_size_ = s.size();
	}
	void capture(const char* s) {
		captured_ = s;
		captured_size_ = std::strlen(s);
	}

	sqlite3_context* ctx_ = nullptr;
	std::string* buffer_ = nullptr;
	const char* captured_ = nullptr;
	size_t captured_size_ = 0;
};

} // namespace procsql
