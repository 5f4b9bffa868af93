#include "text_filter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

namespace procsql {

namespace {

constexpr char kLike = '~';
constexpr char kGlob = '*';
constexpr char kEq = '=';

// SQLite's own default when the connection is unknown.
constexpr int kDefaultLikePatternLength = 50000;

// The text SQLite compares a value as against a TEXT column (NULL: none).
bool text_of(sqlite3_value* v, std::string* out) {
	if (sqlite3_value_type(v) == SQLITE_NULL) {
		return false;
	}
	const unsigned char* t = sqlite3_value_text(v);
	if (!t) {
		return false; // out of memory reading it: treat as nothing to compare
	}
	out->assign(reinterpret_cast<const char*>(t), size_t(sqlite3_value_bytes(v)));
	return true;
}

} // namespace

std::string required_literal(const std::string& pattern, bool like) {
	std::string best, run;
	auto end_run = [&best, &run] {
		if (run.size() > best.size()) best = run;
		run.clear();
	};
	for (size_t i = 0; i < pattern.size(); i++) {
		const unsigned char c = static_cast<unsigned char>(pattern[i]);
		if (c == 0) {
			break; // LIKE and GLOB stop at a NUL
		}
		if (!like && c == '[') {
			// A bracket expression matches one character: skip to its ']' (a
			// ']' right after '[' or '[^' belongs to the set).
			end_run();
			size_t j = i + 1;
			if (j < pattern.size() && pattern[j] == '^') j++;
			if (j < pattern.size() && pattern[j] == ']') j++;
			while (j < pattern.size() && pattern[j] != ']') j++;
			i = j;
			continue;
		}
		const bool wildcard = like ? (c == '%' || c == '_') : (c == '*' || c == '?');
		if (wildcard || c >= 0x80 || c == ' ') {
			end_run();
			continue;
		}
		run += like && c >= 'A' && c <= 'Z' ? char(c + 32) : char(c);
	}
	end_run();
	return best;
}

bool TextFilter::may_match(const char* text, size_t size) const {
	if (keeps_all) {
		return true;
	}
	if (keeps_nothing || !text) {
		return false;
	}
	switch (op) {
	case Op::like: return sqlite3_strlike(pattern.c_str(), text, 0) == 0;
	case Op::glob: return sqlite3_strglob(pattern.c_str(), text) == 0;
	case Op::in: return std::binary_search(values.begin(), values.end(), std::string_view(text, size));
	}
	return true;
}

bool text_constraint_pushable(sqlite3_index_info* info, int constraint) {
	const auto& c = info->aConstraint[constraint];
	switch (c.op) {
	case SQLITE_INDEX_CONSTRAINT_LIKE:
	case SQLITE_INDEX_CONSTRAINT_GLOB: return true;
	case SQLITE_INDEX_CONSTRAINT_EQ: {
		// Only the BINARY collation compares bytes.
		const char* coll = sqlite3_vtab_collation(info, constraint);
		return !coll || sqlite3_stricmp(coll, "BINARY") == 0;
	}
	}
	return false;
}

std::string text_token(int column, unsigned char op, bool in_list) {
	const char kind = op == SQLITE_INDEX_CONSTRAINT_LIKE ? kLike : op == SQLITE_INDEX_CONSTRAINT_GLOB ? kGlob : kEq;
	return "t" + std::to_string(column) + kind + (in_list ? " IN" : "");
}

bool text_filter_from_arg(const std::string& token, sqlite3_value* arg, sqlite3* db, TextFilter* out, int* rc) {
	*rc = SQLITE_OK;
	if (token.size() < 3 || token[0] != 't' || !std::isdigit(static_cast<unsigned char>(token[1]))) {
		return false;
	}
	char* end = nullptr;
	const long column = std::strtol(token.c_str() + 1, &end, 10);
	TextFilter f;
	f.column = int(column);
	const char kind = *end;
	const bool in_list = std::strcmp(end + 1, " IN") == 0;
	if (kind == kLike || kind == kGlob) {
		f.op = kind == kLike ? TextFilter::Op::like : TextFilter::Op::glob;
		if (!text_of(arg, &f.pattern)) {
			f.keeps_nothing = true; // x LIKE NULL is NULL
		} else {
			const int limit = db ? sqlite3_limit(db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, -1) : kDefaultLikePatternLength;
			if (f.pattern.size() > size_t(limit)) {
				f.keeps_all = true; // SQLite reports "LIKE or GLOB pattern too complex" on a row
			} else {
				f.literal = required_literal(f.pattern, kind == kLike);
				f.literal_nocase = kind == kLike;
			}
		}
	} else if (kind == kEq) {
		f.op = TextFilter::Op::in;
		std::string v;
		// A value that is not text may compare numerically (a joined
		// INTEGER column gives the text column NUMERIC affinity: '05' = 5):
		// such a filter is not applied.
		auto add = [&f, &v](sqlite3_value* value) {
			if (sqlite3_value_type(value) != SQLITE_TEXT && sqlite3_value_type(value) != SQLITE_NULL) {
				f.keeps_all = true;
			} else if (text_of(value, &v)) {
				f.values.push_back(v);
			}
		};
		if (in_list) {
			sqlite3_value* item = nullptr;
			int r = sqlite3_vtab_in_first(arg, &item);
			for (; r == SQLITE_OK && item; r = sqlite3_vtab_in_next(arg, &item)) {
				add(item);
			}
			if (r != SQLITE_OK && r != SQLITE_DONE) {
				*rc = r;
				return true;
			}
		} else {
			add(arg);
		}
		std::sort(f.values.begin(), f.values.end());
		f.values.erase(std::unique(f.values.begin(), f.values.end()), f.values.end());
		f.keeps_nothing = f.values.empty();
	} else {
		return false;
	}
	*out = std::move(f);
	return true;
}

} // namespace procsql
