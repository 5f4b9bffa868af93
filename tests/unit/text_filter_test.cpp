// Text filters (tables/text_filter.h): the literal a LIKE or GLOB pattern
// requires, and the matching, which must never reject what SQLite accepts.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <string>

#include "text.h"
#include "text_filter.h"

namespace procsql {
namespace {

TEST(RequiredLiteral, LongestPlainRun) {
	EXPECT_EQ(required_literal("%needle%", true), "needle");
	EXPECT_EQ(required_literal("ab%needle_x", true), "needle");
	EXPECT_EQ(required_literal("%NeEdLe%", true), "needle"); // LIKE folds ASCII case
	EXPECT_EQ(required_literal("*NeEdLe*", false), "NeEdLe");  // GLOB does not
	EXPECT_EQ(required_literal("%", true), "");
	EXPECT_EQ(required_literal("", true), "");
	// Spaces and non-ASCII end a run: the stored bytes differ there (NUL
	// between arguments, invalid UTF-8 repaired).
	EXPECT_EQ(required_literal("%grep needle%", true), "needle");
	EXPECT_EQ(required_literal("%caf\xc3\xa9s%", true), "caf");
	// GLOB wildcards and bracket expressions (a ']' first belongs to the set).
	EXPECT_EQ(required_literal("a?bcd*e", false), "bcd");
	EXPECT_EQ(required_literal("x[abcdefgh]yz", false), "yz");
	EXPECT_EQ(required_literal("x[]abcdefgh]yz", false), "yz");
	EXPECT_EQ(required_literal("x[^]abcdefgh]yz", false), "yz");
	// In LIKE, * ? [ are plain characters; in GLOB, % and _ are.
	EXPECT_EQ(required_literal("%a*b?c[d%", true), "a*b?c[d");
	EXPECT_EQ(required_literal("*50%_off*", false), "50%_off");
	// A NUL ends the pattern, as it ends LIKE's and GLOB's.
	EXPECT_EQ(required_literal(std::string("%ab\0cdefgh%", 11), true), "ab");
}

TEST(AsciiContains, FoldsAsciiOnly) {
	std::string h = "GREP -RN NEEDLE /SRV";
	EXPECT_TRUE(text::ascii_contains(h.data(), h.size(), "needle", true));
	h = "GREP -RN NEEDLE /SRV";
	EXPECT_FALSE(text::ascii_contains(h.data(), h.size(), "needle", false));
	h = "caf\xc3\x89";
	EXPECT_FALSE(text::ascii_contains(h.data(), h.size(), "caf\xc3\xa9", true)); // non-ASCII is not folded
	EXPECT_TRUE(text::ascii_contains(h.data(), h.size(), "caf", true));
	h = "";
	EXPECT_TRUE(text::ascii_contains(h.data(), h.size(), "", true));
	EXPECT_FALSE(text::ascii_contains(h.data(), h.size(), "a", true));
	// Every byte value around the letters: only A-Z move.
	std::string all;
	for (int c = 0; c < 256; c++) all += char(c);
	std::string folded = all;
	text::fold_ascii(folded.data(), folded.size());
	for (int c = 0; c < 256; c++) {
		const char want = c >= 'A' && c <= 'Z' ? char(c + 32) : char(c);
		EXPECT_EQ(folded[size_t(c)], want) << c;
	}
}

// The pre-filter keeps every row SQLite's own LIKE and GLOB keep.
TEST(TextFilter, AgreesWithSqliteMatchers) {
	const char* texts[] = {"grep -rn needle /srv", "GREP NEEDLE", "caf\xc3\xa9", "50%off", "a_b", "", "x[y]z"};
	const char* patterns[] = {"%needle%", "%NEEDLE%", "needle", "%caf%", "50\\%%", "a_b", "%", "", "x[[]y]z"};
	for (const char* t : texts) {
		for (const char* p : patterns) {
			for (bool like : {true, false}) {
				TextFilter f;
				f.op = like ? TextFilter::Op::like : TextFilter::Op::glob;
				f.pattern = p;
				const bool sqlite = like ? sqlite3_strlike(p, t, 0) == 0 : sqlite3_strglob(p, t) == 0;
				EXPECT_EQ(f.may_match(t, std::string(t).size()), sqlite) << t << " " << p << " " << like;
				// The literal is in every text that matches.
				const std::string lit = required_literal(p, like);
				std::string h = t;
				if (sqlite) {
					EXPECT_TRUE(text::ascii_contains(h.data(), h.size(), lit, like)) << t << " " << p;
				}
			}
		}
	}
	TextFilter none;
	none.keeps_nothing = true;
	EXPECT_FALSE(none.may_match("x", 1));
	TextFilter null_text;
	null_text.pattern = "%";
	EXPECT_FALSE(null_text.may_match(nullptr, 0)); // NULL LIKE '%' is NULL
	TextFilter all;
	all.keeps_all = true;
	EXPECT_TRUE(all.may_match(nullptr, 0));
}

} // namespace
} // namespace procsql
