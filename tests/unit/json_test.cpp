// Unit tests for the small JSON reader behind the runtime state files:
// every value type, escapes and surrogates, numbers read exactly, and
// malformed, truncated, deeply nested and random input refused without a
// crash.
#include "containers/json.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

using procsql::containers::JsonValue;
using procsql::containers::kJsonMaxDepth;
using procsql::containers::parse_json;

namespace {

JsonValue ok(const std::string& text) {
  JsonValue v;
  std::string err;
  EXPECT_TRUE(parse_json(text, &v, &err)) << text << ": " << err;
  return v;
}

void bad(const std::string& text) {
  JsonValue v;
  std::string err;
  EXPECT_FALSE(parse_json(text, &v, &err)) << text;
  EXPECT_FALSE(err.empty()) << text;
  EXPECT_TRUE(v.is_null()) << text;  // never a half-built value
}

TEST(Json, Scalars) {
  EXPECT_TRUE(ok("null").is_null());
  EXPECT_TRUE(ok(" true ").as_bool());
  EXPECT_FALSE(ok("false").as_bool());
  EXPECT_TRUE(ok("false").is_bool());
  EXPECT_EQ(ok("\"abc\"").text(), "abc");
  EXPECT_EQ(ok("-12.5e+3").text(), "-12.5e+3");
  EXPECT_TRUE(ok("0").is_number());
}

TEST(Json, IntegersAreExact) {
  std::int64_t v = 0;
  EXPECT_TRUE(ok("9007199254740993").as_int64(&v));  // 2^53 + 1: a double would round it
  EXPECT_EQ(v, 9007199254740993LL);
  EXPECT_TRUE(ok("-9223372036854775808").as_int64(&v));
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_FALSE(ok("9223372036854775808").as_int64(&v));  // out of range
  EXPECT_FALSE(ok("1.0").as_int64(&v));
  EXPECT_FALSE(ok("1e3").as_int64(&v));
  EXPECT_FALSE(ok("\"1\"").as_int64(&v));
}

TEST(Json, ObjectsAndArrays) {
  const JsonValue v = ok(R"({"a": [1, "two", {"b": null}], "c": {}, "d": [], "a2": true})");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.keys().size(), 4u);
  EXPECT_EQ(v.keys()[0], "a");
  const JsonValue* a = v.get("a");
  ASSERT_TRUE(a && a->is_array());
  ASSERT_EQ(a->items().size(), 3u);
  EXPECT_EQ(a->items()[1].text(), "two");
  EXPECT_TRUE(a->items()[2].get("b")->is_null());
  EXPECT_TRUE(v.get("c")->is_object());
  EXPECT_TRUE(v.get("d")->items().empty());
  EXPECT_EQ(v.get("missing"), nullptr);
  EXPECT_EQ(a->get("x"), nullptr);  // not an object
  EXPECT_EQ(v.get_string("a"), nullptr);  // not a string
  EXPECT_EQ(ok(R"({"k": 1, "k": "last"})").get_string("k")->size(), 4u);  // last wins, like Go
  EXPECT_EQ(*ok(R"({"": "empty key"})").get_string(""), "empty key");
}

TEST(Json, StringEscapes) {
  EXPECT_EQ(ok(R"("\"\\\/\b\f\n\r\t")").text(), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(ok(R"("\u003cdocker\u003e")").text(), "<docker>");  // Go escapes < and >
  EXPECT_EQ(ok(R"("\u00e9\u20AC")").text(), "\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(ok(R"("\ud83d\ude00")").text(), "\xF0\x9F\x98\x80");  // surrogate pair
  EXPECT_EQ(ok(R"("\ud83d")").text(), "\xEF\xBF\xBD");            // lone high
  EXPECT_EQ(ok(R"("\ude00x")").text(), "\xEF\xBF\xBDx");          // lone low
  EXPECT_EQ(ok(R"("\ud83d\u0041")").text(), "\xEF\xBF\xBD" "A");  // high then not low
  EXPECT_EQ(ok(R"("\u0000")").text(), std::string(1, '\0'));
  EXPECT_EQ(ok("\"caf\xC3\xA9\"").text(), "caf\xC3\xA9");  // raw UTF-8 kept
}

TEST(Json, MalformedIsAnError) {
  for (const char* s : {"", " ", "nul", "nulls", "True", "[1,]", "[,1]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}",
                        "{\"a\":}", "[1 2]", "01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN", "Infinity",
                        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"tab\there\"", "\"nl\nhere\"", "[",
                        "{", "{\"a\"", "{\"a\":", "[1", "]", "}", "1 2", "{} {}", "\"a\" x", "/* c */ 1",
                        "\xEF\xBB\xBF{}"}) {
    bad(s);
  }
  bad(std::string("[1,\0 2]", 7));
}

TEST(Json, ErrorsNameTheOffset) {
  JsonValue v;
  std::string err;
  EXPECT_FALSE(parse_json("{\"a\": [1, 2,, 3]}", &v, &err));
  EXPECT_NE(err.find("at byte 12"), std::string::npos) << err;
}

TEST(Json, NestingIsBounded) {
  const std::string fine = std::string(kJsonMaxDepth, '[') + std::string(kJsonMaxDepth, ']');
  ok(fine);
  bad(std::string(kJsonMaxDepth + 1, '[') + std::string(kJsonMaxDepth + 1, ']'));
  bad(std::string(1000000, '['));  // would overflow the stack without the bound
  std::string objs;
  for (int i = 0; i < 100000; ++i) objs += "{\"a\":";
  bad(objs);
}

TEST(Json, EveryTruncationOfADocumentIsAnError) {
  const std::string doc =
      R"({"id":"x","n":[1,-2.5e3,true,false,null],"s":"a\"b\u00e9\ud83d\ude00","o":{"k":{"z":[]}}})";
  ok(doc);
  for (std::size_t n = 0; n < doc.size(); ++n) bad(doc.substr(0, n));
}

TEST(Json, RandomBytesAndMutationsNeverCrash) {
  std::mt19937 rng(4242);
  const std::string doc = R"({"id":"abc","cgroup_paths":{"":"/sys/fs/cgroup/x"},"config":{"labels":["a=b"]},"n":12})";
  const std::string alphabet = "{}[]\":,\\u0123456789abcdefeE+-.tnrul \t\n";
  for (int i = 0; i < 30000; ++i) {
    std::string s;
    if (i % 3 == 0) {
      const std::size_t len = rng() % 64;
      for (std::size_t k = 0; k < len; ++k) s += static_cast<char>(rng() % 256);
    } else if (i % 3 == 1) {
      const std::size_t len = rng() % 64;
      for (std::size_t k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
    } else {
      s = doc;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
        const std::size_t at = rng() % s.size();
        s[at] = rng() % 2 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() % 256);
      }
    }
    JsonValue v;
    std::string err;
    if (!parse_json(s, &v, &err)) {
      EXPECT_FALSE(err.empty());
      EXPECT_TRUE(v.is_null());
    }
  }
}

}  // namespace
