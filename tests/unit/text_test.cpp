// Unit tests for procsql::text: UTF-8 repair, argv splitting and the exact
// (surrogateescape) JSON encoding of argv, tty names, fixed C string fields.
#include "text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace procsql::text;
using namespace std::string_literals;  // "a\0b"s keeps embedded NULs

namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Encodes cp in exactly n bytes with the generic UTF-8 bit layout, checking
// nothing: this is how the tests build overlongs, encoded surrogates and
// values above U+10FFFF independently of the code under test.
std::string encode(std::uint32_t cp, int n) {
  std::string s;
  if (n == 1) {
    s += static_cast<char>(cp);
  } else {
    static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    s += static_cast<char>(lead[n] | (cp >> (6 * (n - 1))));
    for (int k = n - 2; k >= 0; --k) s += static_cast<char>(0x80 | ((cp >> (6 * k)) & 0x3F));
  }
  return s;
}

int shortest_len(std::uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

void append_utf8(std::string& out, std::uint32_t cp) { out += encode(cp, shortest_len(cp)); }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A small strict decoder for what argv_json() may produce: a JSON array of
// strings. \udcXX (XX >= 0x80) maps back to the raw byte XX, as Python's
// surrogateescape would; any other lone surrogate, raw control char or syntax
// error makes it fail.
std::optional<std::vector<std::string>> decode_argv_json(std::string_view j) {
  std::vector<std::string> args;
  std::size_t i = 0;
  auto peek = [&]() -> int { return i < j.size() ? static_cast<unsigned char>(j[i]) : -1; };
  if (peek() != '[') return std::nullopt;
  ++i;
  if (peek() == ']') return ++i == j.size() ? std::optional(args) : std::nullopt;
  for (;;) {
    if (peek() != '"') return std::nullopt;
    ++i;
    std::string arg;
    for (;;) {
      int c = peek();
      if (c < 0x20) return std::nullopt;  // end of input or raw control char
      ++i;
      if (c == '"') break;
      if (c != '\\') {
        arg += static_cast<char>(c);
        continue;
      }
      int e = peek();
      ++i;
      switch (e) {
        case '"': arg += '"'; break;
        case '\\': arg += '\\'; break;
        case '/': arg += '/'; break;
        case 'b': arg += '\b'; break;
        case 'f': arg += '\f'; break;
        case 'n': arg += '\n'; break;
        case 'r': arg += '\r'; break;
        case 't': arg += '\t'; break;
        case 'u': {
          if (j.size() - i < 4) return std::nullopt;
          std::uint32_t v = 0;
          for (int k = 0; k < 4; ++k) {
            int h = hexval(j[i + k]);
            if (h < 0) return std::nullopt;
            v = v * 16 + h;
          }
          i += 4;
          if (v >= 0xDC80 && v <= 0xDCFF) {
            arg += static_cast<char>(v & 0xFF);  // surrogateescape'd raw byte
          } else if (v >= 0xD800 && v <= 0xDFFF) {
            return std::nullopt;  // argv_json never emits other surrogates
          } else {
            append_utf8(arg, v);
          }
          break;
        }
        default: return std::nullopt;
      }
    }
    args.push_back(arg);
    if (peek() == ',') { ++i; continue; }
    if (peek() == ']') { ++i; break; }
    return std::nullopt;
  }
  if (i != j.size()) return std::nullopt;
  return args;
}

std::vector<std::string> to_strings(const std::vector<std::string_view>& v) {
  return {v.begin(), v.end()};
}

}  // namespace

// ---- valid_utf8 -------------------------------------------------------------

TEST(ValidUtf8, AsciiAndEmptyUnchanged) {
  EXPECT_EQ(valid_utf8(""), "");
  EXPECT_EQ(valid_utf8("/usr/bin/ls"), "/usr/bin/ls");
  std::string all_ascii;
  for (int c = 0; c < 0x80; ++c) all_ascii += static_cast<char>(c);
  EXPECT_EQ(valid_utf8(all_ascii), all_ascii);  // NUL and controls are valid UTF-8
}

TEST(ValidUtf8, MultibyteUnchanged) {
  for (const std::string s : {"caf\xC3\xA9", "\xE2\x82\xAC 5", "\xE6\x97\xA5\xE6\x9C\xAC",
                              "\xF0\x9F\x98\x80", "\xEF\xBF\xBD", "\xF4\x8F\xBF\xBF",
                              "long ascii run before \xC3\xA9 and after......."}) {
    EXPECT_EQ(valid_utf8(s), s);
  }
}

TEST(ValidUtf8, EveryScalarValueUnchanged) {
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s = encode(cp, shortest_len(cp));
    ASSERT_EQ(valid_utf8(s), s) << std::hex << cp;
  }
}

TEST(ValidUtf8, LoneContinuationBytes) {
  EXPECT_EQ(valid_utf8("\x80"), kFFFD);
  EXPECT_EQ(valid_utf8("a\xBF" "b"), "a" + kFFFD + "b");
  EXPECT_EQ(valid_utf8("\xC3\xA9\xA9"), "\xC3\xA9" + kFFFD);  // one too many
}

TEST(ValidUtf8, TruncatedAtEnd) {
  EXPECT_EQ(valid_utf8("x\xC3"), "x" + kFFFD);
  EXPECT_EQ(valid_utf8("x\xE2\x82"), "x" + repeat(kFFFD, 2));
  EXPECT_EQ(valid_utf8("x\xF0\x9F\x98"), "x" + repeat(kFFFD, 3));
}

TEST(ValidUtf8, TruncatedInMiddle) {
  EXPECT_EQ(valid_utf8("\xE2\x82" "a"), repeat(kFFFD, 2) + "a");
  EXPECT_EQ(valid_utf8("\xC3\xC3\xA9"), kFFFD + "\xC3\xA9");  // resyncs on the next lead
}

TEST(ValidUtf8, Overlongs) {
  EXPECT_EQ(valid_utf8("\xC0\x80"), repeat(kFFFD, 2));          // NUL in 2 bytes
  EXPECT_EQ(valid_utf8("\xC1\xBF"), repeat(kFFFD, 2));
  EXPECT_EQ(valid_utf8("\xE0\x80\xAF"), repeat(kFFFD, 3));      // '/' in 3 bytes
  EXPECT_EQ(valid_utf8("\xF0\x80\x80\xAF"), repeat(kFFFD, 4));  // '/' in 4 bytes
  // Every overlong form of every code point that has a shorter form.
  for (std::uint32_t cp = 0; cp < 0x10000; ++cp) {
    for (int n = shortest_len(cp) + 1; n <= 4; ++n) {
      if (n == 2 && cp >= 0x80) continue;  // bit layout can't hold it
      ASSERT_EQ(valid_utf8(encode(cp, n)), repeat(kFFFD, n)) << std::hex << cp << " n=" << n;
    }
  }
}

TEST(ValidUtf8, EncodedSurrogates) {
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), repeat(kFFFD, 3));  // U+D800
  EXPECT_EQ(valid_utf8("\xED\xBF\xBF"), repeat(kFFFD, 3));  // U+DFFF
  EXPECT_EQ(valid_utf8("\xED\x9F\xBF"), "\xED\x9F\xBF");    // U+D7FF is fine
  for (std::uint32_t cp = 0xD800; cp <= 0xDFFF; ++cp)
    ASSERT_EQ(valid_utf8(encode(cp, 3)), repeat(kFFFD, 3)) << std::hex << cp;
  // A CESU-8 style surrogate pair is two invalid sequences, not one character.
  EXPECT_EQ(valid_utf8("\xED\xA0\xBD\xED\xB8\x80"), repeat(kFFFD, 6));
}

TEST(ValidUtf8, AboveMaxCodePoint) {
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), repeat(kFFFD, 4));  // U+110000
  EXPECT_EQ(valid_utf8("\xF7\xBF\xBF\xBF"), repeat(kFFFD, 4));  // U+1FFFFF
  for (std::uint32_t cp = 0x110000; cp <= 0x1FFFFF; cp += 0x123)
    ASSERT_EQ(valid_utf8(encode(cp, 4)), repeat(kFFFD, 4)) << std::hex << cp;
  // Old 5- and 6-byte forms.
  EXPECT_EQ(valid_utf8("\xF8\x88\x80\x80\x80"), repeat(kFFFD, 5));
  EXPECT_EQ(valid_utf8("\xFC\x84\x80\x80\x80\x80"), repeat(kFFFD, 6));
}

TEST(ValidUtf8, FEAndFF) {
  EXPECT_EQ(valid_utf8("\xFE"), kFFFD);
  EXPECT_EQ(valid_utf8("\xFF\xFE" "a"), repeat(kFFFD, 2) + "a");
}

TEST(ValidUtf8, OutputAlwaysValidAndIdempotent) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    std::string once = valid_utf8(s);
    ASSERT_EQ(valid_utf8(once), once);
  }
}

// ---- split_argv -------------------------------------------------------------

TEST(SplitArgv, Basics) {
  EXPECT_TRUE(split_argv("").empty());
  EXPECT_EQ(to_strings(split_argv("ls\0-l\0/tmp\0"s)), (std::vector<std::string>{"ls", "-l", "/tmp"}));
  EXPECT_EQ(to_strings(split_argv("ls\0-l"s)), (std::vector<std::string>{"ls", "-l"}));  // cut: no NUL
}

TEST(SplitArgv, EmptyArgumentsKept) {
  EXPECT_EQ(to_strings(split_argv("\0"s)), (std::vector<std::string>{""}));
  EXPECT_EQ(to_strings(split_argv("a\0\0b\0"s)), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(to_strings(split_argv("a\0\0"s)), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(to_strings(split_argv("\0\0\0"s)), (std::vector<std::string>{"", "", ""}));
}

TEST(SplitArgv, PartialLastArgument) {
  std::string raw = "echo\0hello world\0abcdef\0"s;
  raw.resize(raw.size() - 4);  // drop the NUL and "def": cut inside the last argument
  EXPECT_EQ(to_strings(split_argv(raw)), (std::vector<std::string>{"echo", "hello world", "abc"}));
}

TEST(SplitArgv, ViewsPointIntoRaw) {
  std::string raw = "a\0bc"s;
  auto v = split_argv(raw);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].data(), raw.data() + 2);
}

// ---- cmdline ----------------------------------------------------------------

TEST(Cmdline, JoinsBySpaces) {
  EXPECT_EQ(cmdline(""), "");
  EXPECT_EQ(cmdline("ls\0-l\0/tmp\0"s), "ls -l /tmp");
  EXPECT_EQ(cmdline("echo\0a b\0\0c"s), "echo a b  c");  // empty arg: two spaces
  EXPECT_EQ(cmdline("\0"s), "");
  EXPECT_EQ(cmdline("sh\0-c\0echo \"x\"\n\tdone\0"s), "sh -c echo \"x\"\n\tdone");
}

// The NULs are replaced eight bytes at a time: every position in a word,
// beside every byte value (0x80 and 0xFF next to a NUL must stay themselves).
TEST(Cmdline, EveryNulPositionAndNeighbour) {
  for (int len = 1; len <= 40; len++) {
    for (int at = 0; at < len; at++) {
      for (unsigned char neighbour : {'a', '\x01', '\x7F', '\x80', '\xFF', ' '}) {
        std::string raw(static_cast<size_t>(len), static_cast<char>(neighbour));
        raw[size_t(at)] = '\0';
        raw += "x"; // not ending in NUL: every NUL inside is replaced
        std::string want = raw;
        want[size_t(at)] = ' ';
        if (!procsql::text::is_valid_utf8(want)) want = procsql::text::valid_utf8(want);
        std::string got;
        procsql::text::cmdline_into(raw, &got);
        EXPECT_EQ(got, want) << len << " " << at << " " << int(neighbour);
      }
    }
  }
}

TEST(Cmdline, InvalidBytesReplaced) {
  EXPECT_EQ(cmdline("cat\0caf\xC3\xA9\0\xFF\0"s), "cat caf\xC3\xA9 " + kFFFD);
  // A sequence cut by the NUL between arguments is invalid on both sides.
  EXPECT_EQ(cmdline("\xE2\x82\0\xAC"s), repeat(kFFFD, 2) + " " + kFFFD);
}

// ---- argv_json --------------------------------------------------------------

TEST(ArgvJson, Plain) {
  EXPECT_EQ(argv_json(""), "[]");
  EXPECT_EQ(argv_json("\0"s), "[\"\"]");
  EXPECT_EQ(argv_json("ls\0-l\0/tmp\0"s), "[\"ls\",\"-l\",\"/tmp\"]");
  EXPECT_EQ(argv_json("a\0\0b"s), "[\"a\",\"\",\"b\"]");
  EXPECT_EQ(argv_json("echo\0hello world\0"s), "[\"echo\",\"hello world\"]");
}

TEST(ArgvJson, Escapes) {
  EXPECT_EQ(argv_json("say \"hi\"\0"s), R"(["say \"hi\""])");
  EXPECT_EQ(argv_json("C:\\dir\0"s), R"(["C:\\dir"])");
  EXPECT_EQ(argv_json("a\nb\tc\rd\be\ff"), R"(["a\nb\tc\rd\be\ff"])");
  EXPECT_EQ(argv_json("\x01\x1F\x7F/"), R"(["\u0001\u001f\u007f/"])");
}

TEST(ArgvJson, Utf8KeptInvalidBytesSurrogateEscaped) {
  EXPECT_EQ(argv_json("caf\xC3\xA9\0\xF0\x9F\x98\x80"s), "[\"caf\xC3\xA9\",\"\xF0\x9F\x98\x80\"]");
  EXPECT_EQ(argv_json("\xFF"), R"(["\udcff"])");
  EXPECT_EQ(argv_json("a\x80" "b"), R"(["a\udc80b"])");
  EXPECT_EQ(argv_json("\xC0\xAF"), R"(["\udcc0\udcaf"])");                  // overlong
  EXPECT_EQ(argv_json("\xED\xA0\x80"), R"(["\udced\udca0\udc80"])");       // surrogate
  EXPECT_EQ(argv_json("x\xE2\x82"), R"(["x\udce2\udc82"])");               // truncated
  EXPECT_EQ(argv_json("\xF4\x90\x80\x80"), R"(["\udcf4\udc90\udc80\udc80"])");  // > U+10FFFF
}

TEST(ArgvJson, PartialLastArgument) {
  std::string raw = "printf\0\xE2\x82\xAC\xE2\x82\xAC\0"s;
  raw.resize(raw.size() - 3);  // drop the NUL and 2 bytes: cut inside the second euro sign
  EXPECT_EQ(argv_json(raw), "[\"printf\",\"\xE2\x82\xAC\\udce2\"]");
}

TEST(ArgvJson, RandomRoundTrip) {
  std::mt19937 rng(20240611);  // fixed seed: failures reproduce
  const std::string specials = "\"\\\n\t\r\b\f\x01\x1F\x7F /";
  for (int iter = 0; iter < 50000; ++iter) {
    std::string raw;
    const int pieces = rng() % 24;
    for (int p = 0; p < pieces; ++p) {
      switch (rng() % 6) {
        case 0: raw += '\0'; break;                                   // argument boundary
        case 1: raw += static_cast<char>(rng()); break;               // any byte
        case 2: raw += static_cast<char>(0x80 + rng() % 0x80); break;  // high byte
        case 3: raw += specials[rng() % specials.size()]; break;
        case 4: raw += static_cast<char>('a' + rng() % 26); break;
        case 5: {  // a valid character, or the start of one (cut)
          std::uint32_t cp = rng() % 0x110000;
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          std::string enc = encode(cp, shortest_len(cp));
          raw += enc.substr(0, rng() % 4 == 0 ? rng() % enc.size() : enc.size());
          break;
        }
      }
    }
    const std::string json = argv_json(raw);
    // Output is well-formed UTF-8 with no raw control characters.
    ASSERT_EQ(valid_utf8(json), json);
    for (unsigned char c : json) ASSERT_TRUE(c >= 0x20 && c != 0x7F) << json;
    auto decoded = decode_argv_json(json);
    ASSERT_TRUE(decoded.has_value()) << json;
    ASSERT_EQ(*decoded, to_strings(split_argv(raw))) << json;
  }
}

// ---- env_json ---------------------------------------------------------------

namespace {

// env_json's object as the array argv_json would give for its names and
// values in turn ({"a":"1"} -> ["a","1"]): the structure outside strings
// swapped, the strings decoded by decode_argv_json.
std::optional<std::vector<std::pair<std::string, std::string>>> decode_env_json(std::string_view j) {
  if (j.size() < 2 || j.front() != '{' || j.back() != '}') return std::nullopt;
  std::string array(j);
  bool in_string = false;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const char c = array[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') array[i] = '[';
    else if (c == '}') array[i] = ']';
    else if (c == ':') array[i] = (i > 0 && array[i - 1] == '"') ? ',' : 'x';
    else if (c == ',' && i > 0 && array[i - 1] != '"') return std::nullopt;
  }
  const auto items = decode_argv_json(array);
  if (!items || items->size() % 2 != 0) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < items->size(); i += 2) out.emplace_back((*items)[i], (*items)[i + 1]);
  return out;
}

}  // namespace

TEST(EnvJson, Plain) {
  EXPECT_EQ(env_json(""), "{}");
  EXPECT_EQ(env_json("LD_PRELOAD=/tmp/x.so\0"s), R"({"LD_PRELOAD":"/tmp/x.so"})");
  EXPECT_EQ(env_json("LD_PRELOAD=/tmp/x.so\0LD_AUDIT=/a.so\0"s), R"({"LD_PRELOAD":"/tmp/x.so","LD_AUDIT":"/a.so"})");
  EXPECT_EQ(env_json("A=\0"s), R"({"A":""})");
  EXPECT_EQ(env_json("A=b=c\0"s), R"({"A":"b=c"})") << "the first '=' ends the name";
  EXPECT_EQ(env_json("A=1\0B=2"s), R"({"A":"1","B":"2"})") << "a last entry without its NUL";
}

// getenv returns the first of a name given twice: so does the column.
TEST(EnvJson, FirstValueOfADuplicateKept) {
  EXPECT_EQ(env_json("A=1\0A=2\0"s), R"({"A":"1"})");
  EXPECT_EQ(env_json("A=1\0B=2\0A=3\0B=4\0C=5\0"s), R"({"A":"1","B":"2","C":"5"})");
  EXPECT_EQ(env_json("A=\0A=x\0"s), R"({"A":""})") << "an empty first value still counts";
  EXPECT_EQ(env_json("AB=1\0A=2\0"s), R"({"AB":"1","A":"2"})") << "a prefix is another name";
}

TEST(EnvJson, EntriesWithoutEqualsSkipped) {
  EXPECT_EQ(env_json("JUNK\0"s), "{}");
  EXPECT_EQ(env_json("JUNK\0A=1\0\0MORE\0"s), R"({"A":"1"})");
  EXPECT_EQ(env_json("\0\0"s), "{}");
  EXPECT_EQ(env_json("=x\0"s), R"({"":"x"})") << "an empty name is still a name";
}

TEST(EnvJson, EscapesAndRawBytes) {
  EXPECT_EQ(env_json("A=say \"hi\"\\\n\0"s), R"({"A":"say \"hi\"\\\n"})");
  EXPECT_EQ(env_json("A=\x01\x7F\0"s), R"({"A":"\u0001\u007f"})");
  EXPECT_EQ(env_json("A=caf\xC3\xA9\0"s), "{\"A\":\"caf\xC3\xA9\"}");
  EXPECT_EQ(env_json("A=\xFF\0"s), R"({"A":"\udcff"})");
  EXPECT_EQ(env_json("A=x\xE2\x82\0"s), R"({"A":"x\udce2\udc82"})") << "a character cut by the NUL";
  EXPECT_EQ(env_json("\xFF" "B=1\0"s), R"({"\udcffB":"1"})");
}

// Random entries: every first value comes back byte for byte, in order.
TEST(EnvJson, RandomRoundTrip) {
  std::mt19937 rng(20261207);
  const std::string pieces[] = {"A", "B", "=", "\xFF", "\xC3\xA9", "\"", "\\", "\n", "x", ":", ",", "{", "}"};
  for (int iter = 0; iter < 20000; ++iter) {
    std::string raw;
    std::vector<std::pair<std::string, std::string>> expected;
    const int entries = rng() % 8;
    for (int e = 0; e < entries; ++e) {
      std::string entry;
      const int n = rng() % 6;
      for (int k = 0; k < n; ++k) entry += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
      raw += entry;
      raw += '\0';
      const std::size_t eq = entry.find('=');
      if (eq == std::string::npos) continue;
      const std::string name = entry.substr(0, eq);
      bool seen = false;
      for (const auto& [k, v] : expected) seen = seen || k == name;
      if (!seen) expected.emplace_back(name, entry.substr(eq + 1));
    }
    const std::string json = env_json(raw);
    ASSERT_EQ(valid_utf8(json), json);
    const auto decoded = decode_env_json(json);
    ASSERT_TRUE(decoded.has_value()) << json;
    ASSERT_EQ(*decoded, expected) << json;
  }
}

// ---- tty_name ---------------------------------------------------------------

TEST(TtyName, PtySlavesGetSlash) {
  EXPECT_EQ(tty_name("pts3"), "pts/3");
  EXPECT_EQ(tty_name("pts0"), "pts/0");
  EXPECT_EQ(tty_name("pts123"), "pts/123");
}

TEST(TtyName, OthersUnchanged) {
  EXPECT_EQ(tty_name(""), "");
  EXPECT_EQ(tty_name("tty1"), "tty1");
  EXPECT_EQ(tty_name("ttyS0"), "ttyS0");
  EXPECT_EQ(tty_name("console"), "console");
  EXPECT_EQ(tty_name("ptmx"), "ptmx");
  EXPECT_EQ(tty_name("pts"), "pts");     // no index: not a pty slave name
  EXPECT_EQ(tty_name("pts3a"), "pts3a");
  EXPECT_EQ(tty_name("pts/3"), "pts/3");  // already in ps form
}

// ---- cstr_field -------------------------------------------------------------

TEST(CstrField, StopsAtNulOrCap) {
  const char comm[16] = "bash";
  EXPECT_EQ(cstr_field(comm, sizeof comm), "bash");
  const char empty[4] = {};
  EXPECT_EQ(cstr_field(empty, sizeof empty), "");
  EXPECT_EQ(cstr_field(comm, 0), "");
  EXPECT_EQ(cstr_field(nullptr, 16), "");
  // Full array, no NUL: all of it, and nothing beyond (ASan checks the heap bound).
  std::vector<char> full(16, 'x');
  EXPECT_EQ(cstr_field(full.data(), full.size()), std::string(16, 'x'));
  const char cut[8] = {'a', 'b', '\0', 'c', 'd', 'e', 'f', 'g'};
  EXPECT_EQ(cstr_field(cut, sizeof cut), "ab");
}

// The allocation-free paths the tables use must agree with the reference ones.
TEST(TextFastPaths, AgreeWithReferenceImplementations) {
  std::mt19937 rng(99);
  for (int i = 0; i < 20000; i++) {
    std::string raw(rng() % 40, '\0');
    for (char& c : raw) {
      const unsigned r = rng() % 10;
      c = r < 2 ? '\0' : r < 7 ? char('a' + rng() % 26) : char(rng() % 256);
    }
    EXPECT_EQ(procsql::text::is_valid_utf8(raw), procsql::text::valid_utf8(raw) == raw);
    std::string joined;
    bool first = true;
    for (std::string_view arg : procsql::text::split_argv(raw)) {
      if (!first) joined += ' ';
      joined.append(arg.data(), arg.size());
      first = false;
    }
    std::string into = "stale contents";
    procsql::text::cmdline_into(raw, &into);
    EXPECT_EQ(into, procsql::text::valid_utf8(joined));
  }
}
