// Text filters pushed into the event scans: LIKE, GLOB, = and IN on a text
// column, tested inside the scan so that only candidate rows reach SQLite.
//
// A pushed filter is a pre-filter: xBestIndex leaves aOmit 0 and SQLite
// checks every row it is given again, so the answer never depends on it. It
// must therefore never drop a row SQLite would keep:
//   LIKE  sqlite3_strlike(), the built-in LIKE's own matcher (ASCII case
//         folding). Under PRAGMA case_sensitive_like=ON (which a virtual
//         table cannot see) it keeps a superset. A pattern longer than the
//         connection's SQLITE_LIMIT_LIKE_PATTERN_LENGTH is not pre-filtered:
//         SQLite must see a row to report that error. ESCAPE never reaches
//         a virtual table (SQLite offers only two-argument LIKE).
//   GLOB  sqlite3_strglob(), the built-in GLOB's matcher (the same length
//         limit).
//   =, IN the text's bytes, for the BINARY collation only (another collation
//         is not pushed). A value that is not text (a number from a joined
//         INTEGER column may compare numerically) turns the filter off; a
//         NULL value matches nothing.
// A NULL column value never matches, as in SQL. The text tested is the one
// the table's column function gives SQLite (ColumnOut), so derived columns
// (cmdline from argv, valid UTF-8 from raw bytes) are tested as SQL sees
// them. Both matchers stop at a NUL, as LIKE and GLOB do.
//
// Assumes the built-in like() and glob(): a connection that overrides them
// (ICU's like(), say) should filter with `+column LIKE ...`, which is never
// pushed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite_api.h"

namespace procsql {

struct TextFilter {
	enum class Op { like, glob, in };
	int column = -1;
	Op op = Op::like;
	std::string pattern;             // like, glob
	std::vector<std::string> values; // in (and =): sorted, unique
	bool keeps_nothing = false;      // a NULL pattern or an empty list
	bool keeps_all = false;          // not pre-filtered (see above)
	// LIKE, GLOB: the longest run of the pattern that every match contains
	// as is (ASCII, no wildcard, no space; lower case for LIKE, whose
	// matches fold ASCII case): a string without it cannot match. Empty when
	// the pattern has none.
	std::string literal;
	bool literal_nocase = false;

	// Whether a row whose column is `text` (`size` bytes, NUL-terminated;
	// nullptr: NULL) may match.
	bool may_match(const char* text, size_t size) const;
};

// The longest ASCII run without a wildcard or a space of a LIKE (like=true:
// % and _ are wildcards) or GLOB pattern (*, ? and [...] are), lower-cased
// for LIKE.
std::string required_literal(const std::string& pattern, bool like);

// The xBestIndex side: whether constraint `op` on a text column can be
// pushed, and its idxStr token ("t<column><op>"). `in_list`: the constraint
// is an IN handed over whole (sqlite3_vtab_in).
bool text_constraint_pushable(sqlite3_index_info* info, int constraint);
std::string text_token(int column, unsigned char op, bool in_list);

// The xFilter side: the text filter of a token and its argument; false if
// `token` is not a text token. Returns an SQLite error code in *rc when an
// IN list cannot be read.
bool text_filter_from_arg(const std::string& token, sqlite3_value* arg, sqlite3* db, TextFilter* out, int* rc);


} // namespace procsql
