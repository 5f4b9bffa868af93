// Unit tests for `procsql query`'s output formats (cli/result_writer.h):
// exact output of table, csv, json, jsonl and osquery for every value type;
// the JSON string escaping and its byte-exact round trip (the argv
// convention of extension/text.h); csv quoting; table alignment with
// multibyte text; osquery event and snapshot lines checked field by field
// against fixtures made from osquery's documented examples
// (tests/unit/fixtures/osquery/README.md says how they differ from the docs).
#include "result_writer.h"

#include "containers/json.h"
#include "text.h"
#include "unavailable.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace procsql::cli;
using procsql::containers::JsonValue;
using procsql::containers::parse_json;
using namespace std::literals; // "a\0b"s keeps embedded NULs; "csv\0"sv too

namespace {

Value N() { return Value{}; }

Value I(int64_t v) {
	Value x;
	x.type = Value::Type::integer;
	x.integer = v;
	return x;
}

Value R(double v) {
	Value x;
	x.type = Value::Type::real;
	x.real = v;
	return x;
}

Value T(std::string s) {
	Value x;
	x.type = Value::Type::text;
	x.bytes = std::move(s);
	return x;
}

Value B(std::string s) {
	Value x;
	x.type = Value::Type::blob;
	x.bytes = std::move(s);
	return x;
}

struct Row {
	std::vector<Value> values;
	const char* action = nullptr;
};

struct ResultSet {
	std::vector<std::string> columns;
	std::vector<Row> rows;
};

// Everything a writer puts on a stream for these result sets.
std::string render(Format format, const std::vector<ResultSet>& sets, const OsqueryContext& ctx = {},
                   bool snapshot = false) {
	char* buf = nullptr;
	size_t len = 0;
	FILE* out = open_memstream(&buf, &len);
	EXPECT_NE(out, nullptr);
	if (out == nullptr) {
		return std::string();
	}
	{
		std::unique_ptr<ResultWriter> w = make_writer(format, out, ctx, snapshot);
		EXPECT_TRUE(w != nullptr);
		if (w != nullptr) {
			for (const ResultSet& s : sets) {
				w->begin(s.columns);
				for (const Row& r : s.rows) {
					w->row(r.values, r.action);
				}
				w->end();
			}
			EXPECT_FALSE(w->failed());
		}
	}
	EXPECT_EQ(ferror(out), 0);
	fclose(out);
	std::string s(buf, len);
	free(buf);
	return s;
}

std::string render1(Format format, const std::vector<std::string>& columns, const std::vector<Row>& rows) {
	return render(format, {ResultSet{columns, rows}});
}

// The JSON string a lone text value becomes, taken from a jsonl line
// {"v":<string>}.
std::string json_of(const std::string& bytes) {
	const std::string line = render1(Format::jsonl, {"v"}, {{{T(bytes)}}});
	const std::string head = "{\"v\":";
	EXPECT_EQ(line.compare(0, head.size(), head), 0) << line;
	EXPECT_EQ(line.substr(line.size() < 2 ? 0 : line.size() - 2), "}\n") << line;
	if (line.size() < head.size() + 2) {
		return std::string();
	}
	return line.substr(head.size(), line.size() - head.size() - 2);
}

int hexval(char c) {
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
	if (cp < 0x80) {
		out += static_cast<char>(cp);
	} else if (cp < 0x800) {
		out += static_cast<char>(0xC0 | (cp >> 6));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out += static_cast<char>(0xE0 | (cp >> 12));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	} else {
		out += static_cast<char>(0xF0 | (cp >> 18));
		out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	}
}

// Decodes one JSON string literal the way Python's
// json.loads(s).encode('utf-8', 'surrogateescape') does: \udcXX (XX >= 0x80)
// is the raw byte XX, other escapes their UTF-8. Written independently of
// the code under test; nullopt on anything a strict reader would refuse
// (raw controls, bad escapes, other lone surrogates, trailing text).
std::optional<std::string> decode_surrogateescape(std::string_view j) {
	if (j.size() < 2 || j.front() != '"' || j.back() != '"') {
		return std::nullopt;
	}
	std::string out;
	std::size_t i = 1;
	auto u4 = [&](std::size_t at) -> long {
		if (at + 4 > j.size() - 1) {
			return -1;
		}
		long v = 0;
		for (std::size_t k = at; k < at + 4; ++k) {
			const int h = hexval(j[k]);
			if (h < 0) {
				return -1;
			}
			v = v * 16 + h;
		}
		return v;
	};
	while (i < j.size() - 1) {
		const unsigned char c = static_cast<unsigned char>(j[i]);
		if (c == '"' || c < 0x20) {
			return std::nullopt;
		}
		if (c != '\\') {
			out += static_cast<char>(c);
			++i;
			continue;
		}
		if (i + 1 >= j.size() - 1) {
			return std::nullopt;
		}
		const char e = j[i + 1];
		i += 2;
		switch (e) {
		case '"': out += '"'; continue;
		case '\\': out += '\\'; continue;
		case '/': out += '/'; continue;
		case 'b': out += '\b'; continue;
		case 'f': out += '\f'; continue;
		case 'n': out += '\n'; continue;
		case 'r': out += '\r'; continue;
		case 't': out += '\t'; continue;
		case 'u': break;
		default: return std::nullopt;
		}
		const long v = u4(i);
		if (v < 0) {
			return std::nullopt;
		}
		i += 4;
		if (v >= 0xDC80 && v <= 0xDCFF) {
			out += static_cast<char>(v & 0xFF); // surrogateescape
		} else if (v >= 0xD800 && v <= 0xDBFF) {
			if (i + 1 >= j.size() - 1 || j[i] != '\\' || j[i + 1] != 'u') {
				return std::nullopt;
			}
			const long lo = u4(i + 2);
			if (lo < 0xDC00 || lo > 0xDFFF) {
				return std::nullopt;
			}
			i += 6;
			append_utf8(out, 0x10000 + ((static_cast<uint32_t>(v) - 0xD800) << 10) +
			                     (static_cast<uint32_t>(lo) - 0xDC00));
		} else if (v >= 0xD800 && v <= 0xDFFF) {
			return std::nullopt; // a lone surrogate not from surrogateescape
		} else {
			append_utf8(out, static_cast<uint32_t>(v));
		}
	}
	return out;
}

JsonValue parse_ok(const std::string& text) {
	JsonValue v;
	std::string err;
	EXPECT_TRUE(parse_json(text, &v, &err)) << text << ": " << err;
	return v;
}

std::vector<std::string> lines_of(const std::string& s) {
	std::vector<std::string> lines;
	std::size_t at = 0;
	while (at < s.size()) {
		const std::size_t nl = s.find('\n', at);
		if (nl == std::string::npos) {
			lines.push_back(s.substr(at));
			break;
		}
		lines.push_back(s.substr(at, nl - at));
		at = nl + 1;
	}
	return lines;
}

const char* type_name(JsonValue::Type t) {
	switch (t) {
	case JsonValue::Type::Null: return "null";
	case JsonValue::Type::Bool: return "bool";
	case JsonValue::Type::Number: return "number";
	case JsonValue::Type::String: return "string";
	case JsonValue::Type::Array: return "array";
	case JsonValue::Type::Object: return "object";
	}
	return "?";
}

// Field by field: same type, same keys in the same order, same text (a
// number's text as written, so 1 and "1" and 1.0 all differ), recursively.
// Failures name the path of the field, e.g. $.snapshot[1].pid.
void expect_same_json(const JsonValue& want, const JsonValue& got, const std::string& path) {
	ASSERT_EQ(type_name(want.type()), type_name(got.type())) << path;
	switch (want.type()) {
	case JsonValue::Type::Null:
		return;
	case JsonValue::Type::Bool:
		EXPECT_EQ(want.as_bool(), got.as_bool()) << path;
		return;
	case JsonValue::Type::Number:
	case JsonValue::Type::String:
		EXPECT_EQ(want.text(), got.text()) << path;
		return;
	case JsonValue::Type::Array:
		ASSERT_EQ(want.items().size(), got.items().size()) << path;
		for (std::size_t i = 0; i < want.items().size(); ++i) {
			expect_same_json(want.items()[i], got.items()[i], path + "[" + std::to_string(i) + "]");
		}
		return;
	case JsonValue::Type::Object:
		ASSERT_EQ(want.keys(), got.keys()) << path;
		for (std::size_t i = 0; i < want.keys().size(); ++i) {
			expect_same_json(want.items()[i], got.items()[i], path + "." + want.keys()[i]);
		}
		return;
	}
}

// Fixtures sit beside this file; __FILE__ is absolute in the CMake build
// (the unit tests get no PROCSQL_SOURCE_DIR).
std::string read_fixture(const std::string& name) {
	const std::string f = __FILE__;
	const std::string path = f.substr(0, f.rfind('/')) + "/fixtures/osquery/" + name;
	std::ifstream in(path, std::ios::binary);
	EXPECT_TRUE(in.good()) << path;
	std::ostringstream s;
	s << in.rdbuf();
	return s.str();
}

// --- names and times ---------------------------------------------------------

TEST(ResultWriter, ParseFormatAcceptsEachName) {
	const std::pair<const char*, Format> names[] = {
	    {"table", Format::table}, {"csv", Format::csv},         {"json", Format::json},
	    {"jsonl", Format::jsonl}, {"osquery", Format::osquery},
	};
	for (const auto& [name, want] : names) {
		Format f = want == Format::table ? Format::csv : Format::table; // not the answer yet
		EXPECT_TRUE(parse_format(name, &f)) << name;
		EXPECT_EQ(f, want) << name;
	}
	// format_names() lists exactly those, for --help and error messages.
	EXPECT_STREQ(format_names(), "table|csv|json|jsonl|osquery");
	std::stringstream listed(format_names());
	std::string name;
	int n = 0;
	while (std::getline(listed, name, '|')) {
		Format f;
		EXPECT_TRUE(parse_format(name, &f)) << name;
		++n;
	}
	EXPECT_EQ(n, 5);
}

TEST(ResultWriter, ParseFormatRefusesOtherNames) {
	for (std::string_view bad : {""sv, "JSON"sv, "Table"sv, "tsv"sv, "line"sv, "json "sv, " csv"sv, "js"sv,
	                             "jsonll"sv, "osquery5"sv, "csv\0"sv, "table|csv"sv}) {
		Format f = Format::osquery;
		EXPECT_FALSE(parse_format(bad, &f)) << bad;
		EXPECT_EQ(f, Format::osquery) << "left alone on failure: " << bad;
	}
}

TEST(ResultWriter, CalendarTimeIsAsctimeInUtc) {
	// Single-digit days are space-padded to two, as asctime does.
	EXPECT_EQ(osquery_calendar_time(1462228052), "Mon May  2 22:27:32 2016 UTC"); // osquery's docs
	EXPECT_EQ(osquery_calendar_time(1412123850), "Wed Oct  1 00:37:30 2014 UTC");
	EXPECT_EQ(osquery_calendar_time(0), "Thu Jan  1 00:00:00 1970 UTC");
	EXPECT_EQ(osquery_calendar_time(1000000000), "Sun Sep  9 01:46:40 2001 UTC");
	// Double-digit days.
	EXPECT_EQ(osquery_calendar_time(1700000000), "Tue Nov 14 22:13:20 2023 UTC");
	EXPECT_EQ(osquery_calendar_time(951782400), "Tue Feb 29 00:00:00 2000 UTC");
	EXPECT_EQ(osquery_calendar_time(-1), "Wed Dec 31 23:59:59 1969 UTC");
	EXPECT_EQ(osquery_calendar_time(253402300799), "Fri Dec 31 23:59:59 9999 UTC");
	// Far beyond what gmtime represents: empty, not garbage.
	EXPECT_EQ(osquery_calendar_time(std::numeric_limits<int64_t>::max()), "");
}

TEST(ResultWriter, CalendarTimeIgnoresTheTimeZone) {
	const char* old = std::getenv("TZ");
	const std::string saved = old != nullptr ? old : "";
	setenv("TZ", "America/Los_Angeles", 1);
	tzset();
	const std::string got = osquery_calendar_time(1412123850);
	if (old != nullptr) {
		setenv("TZ", saved.c_str(), 1);
	} else {
		unsetenv("TZ");
	}
	tzset();
	EXPECT_EQ(got, "Wed Oct  1 00:37:30 2014 UTC"); // the docs' local "Tue Sep 30 17:37:30 2014"
}

TEST(ResultWriter, MakeWriterRefusesAnUnknownFormat) {
	EXPECT_TRUE(make_writer(static_cast<Format>(99), stdout, OsqueryContext{}, false) == nullptr);
}

// --- JSON values and strings -----------------------------------------------

TEST(ResultWriter, JsonlEveryValueType) {
	EXPECT_EQ(render1(Format::jsonl, {"n", "i", "r", "t", "b"},
	                  {{{N(), I(-42), R(1.5), T("x"), B("\x00\xff\x10"s)}}}),
	          "{\"n\":null,\"i\":-42,\"r\":1.5,\"t\":\"x\",\"b\":\"00ff10\"}\n");
	// Integers at the ends of int64, an empty blob, an empty text.
	EXPECT_EQ(render1(Format::jsonl, {"min", "max", "b", "t"},
	                  {{{I(std::numeric_limits<int64_t>::min()), I(std::numeric_limits<int64_t>::max()),
	                     B(""), T("")}}}),
	          "{\"min\":-9223372036854775808,\"max\":9223372036854775807,\"b\":\"\",\"t\":\"\"}\n");
}

TEST(ResultWriter, RealsAreShortestRoundTripAndStayReal) {
	const double nan = std::numeric_limits<double>::quiet_NaN();
	const double inf = std::numeric_limits<double>::infinity();
	const std::pair<double, const char*> cases[] = {
	    {100.0, "100.0"},   // a whole REAL keeps its ".0", as the sqlite3 shell shows it
	    {0.1, "0.1"},       // not 0.10000000000000001
	    {-2.5, "-2.5"},     {1.0 / 3, "0.3333333333333333"},
	    {1e300, "1e+300"},  {5e-324, "5e-324"},
	    {-0.0, "-0.0"},     {123456789012.0, "123456789012.0"},
	    {nan, "null"},      {inf, "null"}, // JSON has neither
	    {-inf, "null"},
	};
	for (const auto& [v, want] : cases) {
		EXPECT_EQ(render1(Format::jsonl, {"r"}, {{{R(v)}}}), "{\"r\":"s + want + "}\n") << v;
	}
	// Every finite one reads back to the same double.
	for (double v : {0.1, 1.0 / 3, 1e300, 5e-324, 2.0 / 7e10, 6.02214076e23}) {
		const std::string line = render1(Format::jsonl, {"r"}, {{{R(v)}}});
		const std::string num = line.substr(5, line.size() - 7);
		EXPECT_EQ(std::strtod(num.c_str(), nullptr), v) << num;
	}
	// Where values are text, the non-finite ones are named as the shell names them.
	EXPECT_EQ(render1(Format::csv, {"a", "b", "c", "d"}, {{{R(nan), R(inf), R(-inf), R(100)}}}),
	          "a,b,c,d\nNaN,Inf,-Inf,100.0\n");
}

TEST(ResultWriter, JsonStringEscapes) {
	EXPECT_EQ(json_of("plain ascii /~"), "\"plain ascii /~\"");
	EXPECT_EQ(json_of("q\"b\\"), "\"q\\\"b\\\\\"");
	EXPECT_EQ(json_of("nl\ntab\tcr\rbs\bff\f"), "\"nl\\ntab\\tcr\\rbs\\bff\\f\"");
	EXPECT_EQ(json_of("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\""); // other C0, and DEL
	EXPECT_EQ(json_of("a\0b"s), "\"a\\u0000b\"");                    // a NUL is not the end
	// Valid UTF-8 is copied as it is: 2, 3 and 4 byte sequences.
	EXPECT_EQ(json_of("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
	          "\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"");
	// Each byte not part of valid UTF-8 becomes \udcXX, lowercase.
	EXPECT_EQ(json_of("\xff"), "\"\\udcff\"");
	EXPECT_EQ(json_of("x\xe6\x97"), "\"x\\udce6\\udc97\"");           // 日 cut short at the end
	EXPECT_EQ(json_of("\xe6\x97y"), "\"\\udce6\\udc97y\"");           // ... and in the middle
	EXPECT_EQ(json_of("\xc0\xaf"), "\"\\udcc0\\udcaf\"");             // overlong '/'
	EXPECT_EQ(json_of("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");  // encoded surrogate U+D800
	EXPECT_EQ(json_of("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\""); // > U+10FFFF
	EXPECT_EQ(json_of("\x80\xc3\xa9\xbf"), "\"\\udc80\xc3\xa9\\udcbf\""); // stray continuations
	// The C1 controls are valid UTF-8 and JSON needs no escape for them.
	EXPECT_EQ(json_of("\xc2\x85"), "\"\xc2\x85\"");
}

TEST(ResultWriter, ArgvValueRoundTripsByteExactly) {
	// The argv column holds JSON text; it is written as a JSON string of that text.
	const std::string argv = R"(["/bin/sh","-c","echo \"hi\""])";
	const std::string want = R"("[\"/bin/sh\",\"-c\",\"echo \\\"hi\\\"\"]")";
	EXPECT_EQ(json_of(argv), want);
	auto back = decode_surrogateescape(want);
	ASSERT_TRUE(back.has_value());
	EXPECT_EQ(*back, argv);
	// The strict reader the project has agrees on the text (it has no raw bytes here).
	EXPECT_EQ(parse_ok(want).text(), argv);

	// An argv with raw bytes: argv_json carries them as \udcXX inside its own
	// text, so the string written here escapes that backslash once more, and
	// two decodings give back the exact argument.
	const std::string raw = "ls\0-l\0\xff\xfe name\0\xe6\x97\0"s;
	const std::string argv_json = procsql::text::argv_json(raw);
	EXPECT_EQ(argv_json, R"(["ls","-l","\udcff\udcfe name","\udce6\udc97"])");
	auto outer = decode_surrogateescape(json_of(argv_json));
	ASSERT_TRUE(outer.has_value());
	EXPECT_EQ(*outer, argv_json);
	// ... and where argv holds the bytes themselves (a text column), they come
	// back from one decoding.
	auto direct = decode_surrogateescape(json_of("\xff\xfe name"));
	ASSERT_TRUE(direct.has_value());
	EXPECT_EQ(*direct, "\xff\xfe name");
}

TEST(ResultWriter, RandomBytesRoundTripAndStayPrintableUtf8) {
	// Pieces that meet each rule, glued at random: whatever the bytes, the
	// string is valid UTF-8 with no raw control, and decodes to those bytes.
	const std::string pieces[] = {"a", " ", "\"", "\\", "\n", "\x01", "\x7f", "\0"s, "\xc3\xa9",
	                              "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xff", "\xe6\x97", "\xc3", "\x80",
	                              "\xed\xa0\x80", "\xc0\xaf", "\xc2\x9b", "\xf4\x90\x80\x80", "u"};
	std::mt19937 rng(20240607);
	std::uniform_int_distribution<std::size_t> pick(0, std::size(pieces) - 1);
	std::uniform_int_distribution<int> len(0, 12);
	for (int round = 0; round < 2000; ++round) {
		std::string bytes;
		for (int k = len(rng); k > 0; --k) {
			bytes += pieces[pick(rng)];
		}
		const std::string j = json_of(bytes);
		EXPECT_TRUE(procsql::text::is_valid_utf8(j)) << j;
		for (char c : j) {
			const auto u = static_cast<unsigned char>(c);
			ASSERT_TRUE(u >= 0x20 && u != 0x7f) << j;
		}
		auto back = decode_surrogateescape(j);
		ASSERT_TRUE(back.has_value()) << j;
		ASSERT_EQ(*back, bytes) << j;
		JsonValue v;
		std::string err;
		ASSERT_TRUE(parse_json(j, &v, &err)) << j << ": " << err;
	}
}

TEST(ResultWriter, JsonArrayLikeTheSqliteShell) {
	EXPECT_EQ(render1(Format::json, {"a", "b"}, {{{I(1), T("x")}}, {{I(2), N()}}, {{R(0.5), B("\x01")}}}),
	          "[{\"a\":1,\"b\":\"x\"},\n{\"a\":2,\"b\":null},\n{\"a\":0.5,\"b\":\"01\"}]\n");
	// One row, and a parse of what was written.
	const std::string one = render1(Format::json, {"t"}, {{{T("\xe6\x97\xa5")}}});
	EXPECT_EQ(one, "[{\"t\":\"\xe6\x97\xa5\"}]\n");
	const JsonValue v = parse_ok(one);
	ASSERT_TRUE(v.is_array());
	ASSERT_EQ(v.items().size(), 1u);
	EXPECT_EQ(*v.items()[0].get_string("t"), "\xe6\x97\xa5");
}

TEST(ResultWriter, JsonEmptyResultSetPrintsNothing) {
	EXPECT_EQ(render1(Format::json, {"a"}, {}), "");
	EXPECT_EQ(render1(Format::jsonl, {"a"}, {}), "");
	// Between two others it leaves no trace either; each result set is its own array.
	EXPECT_EQ(render(Format::json, {{{"a"}, {{{I(1)}}}}, {{"b"}, {}}, {{"c"}, {{{I(3)}}, {{I(4)}}}}}),
	          "[{\"a\":1}]\n[{\"c\":3},\n{\"c\":4}]\n");
}

TEST(ResultWriter, JsonKeysInColumnOrderDuplicatesKept) {
	EXPECT_EQ(render1(Format::json, {"z", "a", "z"}, {{{I(1), I(2), I(3)}}}),
	          "[{\"z\":1,\"a\":2,\"z\":3}]\n");
	// Column names are escaped like any string.
	EXPECT_EQ(render1(Format::jsonl, {"a\"b", "c\nd", "\xff"}, {{{I(1), I(2), I(3)}}}),
	          "{\"a\\\"b\":1,\"c\\nd\":2,\"\\udcff\":3}\n");
}

TEST(ResultWriter, JsonlOneObjectPerLine) {
	const std::string out = render1(Format::jsonl, {"pid", "argv"},
	                                {{{I(1), T(R"(["/sbin/init"])")}}, {{I(2), T("a\nb")}}, {{I(3), N()}}});
	EXPECT_EQ(out, "{\"pid\":1,\"argv\":\"[\\\"/sbin/init\\\"]\"}\n"
	               "{\"pid\":2,\"argv\":\"a\\nb\"}\n"
	               "{\"pid\":3,\"argv\":null}\n");
	const auto lines = lines_of(out);
	ASSERT_EQ(lines.size(), 3u);
	EXPECT_EQ(*parse_ok(lines[0]).get_string("argv"), R"(["/sbin/init"])");
	EXPECT_EQ(*parse_ok(lines[1]).get_string("argv"), "a\nb");
	EXPECT_TRUE(parse_ok(lines[2]).get("argv")->is_null());
}

TEST(ResultWriter, ShortRowIsPaddedWithNull) {
	EXPECT_EQ(render1(Format::jsonl, {"a", "b"}, {{{I(1)}}, {{I(1), I(2), I(3)}}}),
	          "{\"a\":1,\"b\":null}\n{\"a\":1,\"b\":2}\n");
}

// --- csv -------------------------------------------------------------------

TEST(ResultWriter, CsvEveryValueType) {
	EXPECT_EQ(render1(Format::csv, {"n", "i", "r", "t", "b"},
	                  {{{N(), I(-7), R(2.25), T("text"), B("\xde\xad\xbe\xef")}}, {{I(1), N(), N(), N(), N()}}}),
	          "n,i,r,t,b\n,-7,2.25,text,deadbeef\n1,,,,\n");
}

TEST(ResultWriter, CsvQuoting) {
	const std::string out = render1(
	    Format::csv, {"v"},
	    {{{T("a,b")}}, {{T("say \"hi\"")}}, {{T("two\nlines")}}, {{T("cr\rhere")}}, {{T(" lead")}},
	     {{T("trail ")}}, {{T("mid space")}}, {{T("")}}, {{N()}}, {{T("\"")}}, {{T("tab\there")}}});
	EXPECT_EQ(out, "v\n"
	               "\"a,b\"\n"
	               "\"say \"\"hi\"\"\"\n"
	               "\"two\nlines\"\n"
	               "\"cr\rhere\"\n"
	               "\" lead\"\n"
	               "\"trail \"\n"
	               "mid space\n"
	               "\"\"\n" // '' is not NULL
	               "\n"     // NULL
	               "\"\"\"\"\n"
	               "tab\there\n");
	// Header fields follow the same rules.
	EXPECT_EQ(render1(Format::csv, {"a,b", "c", ""}, {}), "\"a,b\",c,\"\"\n");
}

TEST(ResultWriter, CsvTextBytesUnchanged) {
	const std::string bytes = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xff\xe6\x97 \x7f\x01 nul\0!"s;
	EXPECT_EQ(render1(Format::csv, {"t"}, {{{T(bytes)}}}), "t\n" + bytes + "\n");
	// The argv JSON text, with its quotes doubled and nothing else changed.
	EXPECT_EQ(render1(Format::csv, {"argv"}, {{{T(R"(["/bin/sh","-c","echo \"hi\""])")}}}),
	          "argv\n"s + R"("[""/bin/sh"",""-c"",""echo \""hi\""""]")" + "\n");
}

TEST(ResultWriter, CsvHeaderEvenWithoutRows) {
	EXPECT_EQ(render1(Format::csv, {"pid", "comm"}, {}), "pid,comm\n");
	EXPECT_EQ(render(Format::csv, {{{"a"}, {{{I(1)}}}}, {{"b", "c"}, {{{I(2), I(3)}}}}}),
	          "a\n1\nb,c\n2,3\n");
}

// --- table -----------------------------------------------------------------

TEST(ResultWriter, TableAlignsByCodePoints) {
	// "日本語" is 9 bytes but 3 code points; "é" 2 bytes, 1 code point.
	const std::string out = render1(Format::table, {"name", "n", "last"},
	                                {{{T("\xc3\xa9"), I(1), T("x")}},
	                                 {{T("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), N(), T("yy")}},
	                                 {{T("abcdef"), I(12345), N()}}});
	// Widths 6, 5, 4; two spaces between; no spaces after a line's last text.
	const std::string sp2 = "  ";
	EXPECT_EQ(out, "name" + std::string(2, ' ') + sp2 + "n" + std::string(4, ' ') + sp2 + "last\n" +
	                   "------" + sp2 + "-----" + sp2 + "----\n" +
	                   "\xc3\xa9" + std::string(5, ' ') + sp2 + "1" + std::string(4, ' ') + sp2 + "x\n" +
	                   "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" + std::string(3, ' ') + sp2 + std::string(5, ' ') +
	                   sp2 + "yy\n" + "abcdef" + sp2 + "12345\n");
}

TEST(ResultWriter, TableValueTypesAndEscapes) {
	const std::string out = render1(Format::table, {"t", "b", "r"},
	                                {{{T("a\nb\tc\r\x01\x7f"), B("\x00\xff"s), R(100)}},
	                                 {{T("\xff\xe6\x97!"), B(""), R(0.1)}},
	                                 {{T("c1 \xc2\x9b end"), N(), N()}}});
	// Widths: 17 (the first cell, escaped), 7 (x'00ff'), 5 (100.0).
	const std::string sp2 = "  ";
	EXPECT_EQ(out, "t" + std::string(16, ' ') + sp2 + "b" + std::string(6, ' ') + sp2 + "r\n" +
	                   std::string(17, '-') + sp2 + std::string(7, '-') + sp2 + std::string(5, '-') + "\n" +
	                   R"(a\nb\tc\r\x01\x7f)" + sp2 + "x'00ff'" + sp2 + "100.0\n" +
	                   R"(\xff\xe6\x97!)" + std::string(4, ' ') + sp2 + "x''" + std::string(4, ' ') + sp2 +
	                   "0.1\n" + R"(c1 \u009b end)" + "\n"); // NULLs last: no padding for them
}

TEST(ResultWriter, TableEmptyResultSetPrintsNothing) {
	EXPECT_EQ(render1(Format::table, {"a", "b"}, {}), "");
	// Result sets with rows are set off by one blank line; an empty one adds none.
	EXPECT_EQ(render(Format::table, {{{"a"}, {{{I(1)}}}}, {{"b"}, {}}, {{"cc"}, {{{T("x")}}}}}),
	          "a\n-\n1\n\ncc\n--\nx\n");
}

// --- osquery ---------------------------------------------------------------

OsqueryContext docs_event_context() {
	OsqueryContext ctx;
	ctx.name = "processes";
	ctx.host_identifier = "hostname.local";
	ctx.unix_time = 1412123850;
	ctx.epoch = 314159265;
	ctx.counter = 1;
	return ctx;
}

TEST(ResultWriter, OsqueryEventLinesMatchTheDocsExample) {
	// SELECT name, path, pid FROM processes: pid is an integer column,
	// written as a string as osquery writes every value.
	const std::string out = render(
	    Format::osquery,
	    {{{"name", "path", "pid"},
	      {{{T("osqueryd"), T("/usr/local/bin/osqueryd"), I(97830)}, "added"},
	       {{T("osqueryd"), T("/usr/local/bin/osqueryd"), I(97650)}, "removed"}}}},
	    docs_event_context());
	const std::string fixture = read_fixture("event.jsonl");
	const auto got = lines_of(out);
	const auto want = lines_of(fixture);
	ASSERT_EQ(want.size(), 2u);
	ASSERT_EQ(got.size(), want.size()) << out;
	for (std::size_t i = 0; i < want.size(); ++i) {
		SCOPED_TRACE("line " + std::to_string(i + 1));
		expect_same_json(parse_ok(want[i]), parse_ok(got[i]), "$");
		EXPECT_EQ(got[i], want[i]); // and no other bytes (spacing)
	}
	EXPECT_EQ(out.back(), '\n');
}

TEST(ResultWriter, OsquerySnapshotLineMatchesTheDocsExample) {
	OsqueryContext ctx = docs_event_context();
	ctx.name = "process_snapshot";
	ctx.unix_time = 1462228052;
	const std::string out = render(Format::osquery,
	                               {{{"parent", "path", "pid"},
	                                 {{{I(0), T("/sbin/launchd"), I(1)}},
	                                  {{I(1), T("/usr/sbin/syslogd"), I(51)}, "removed"}, // ignored
	                                  {{I(1), T("/usr/libexec/UserEventAgent"), I(52)}},
	                                  {{I(1), T("/usr/libexec/kextd"), I(54)}}}}},
	                               ctx, true);
	const auto got = lines_of(out);
	const auto want = lines_of(read_fixture("snapshot.json"));
	ASSERT_EQ(want.size(), 1u);
	ASSERT_EQ(got.size(), 1u) << out;
	expect_same_json(parse_ok(want[0]), parse_ok(got[0]), "$");
	EXPECT_EQ(got[0], want[0]);
}

TEST(ResultWriter, OsqueryEmptySnapshotIsStillLogged) {
	OsqueryContext ctx;
	ctx.name = "q";
	ctx.host_identifier = "h";
	ctx.unix_time = 0;
	EXPECT_EQ(render(Format::osquery, {{{"a"}, {}}}, ctx, true),
	          "{\"name\":\"q\",\"hostIdentifier\":\"h\",\"calendarTime\":\"Thu Jan  1 00:00:00 1970 UTC\","
	          "\"unixTime\":0,\"epoch\":0,\"counter\":0,\"numerics\":false,\"snapshot\":[],"
	          "\"action\":\"snapshot\"}\n");
	// Without snapshot, an empty result set logs nothing (no row changed).
	EXPECT_EQ(render(Format::osquery, {{{"a"}, {}}}, ctx, false), "");
}

TEST(ResultWriter, OsqueryValuesAreStringsWithDecorations) {
	OsqueryContext ctx;
	ctx.name = "pack_procsql_exec";
	ctx.host_identifier = "web-1";
	ctx.unix_time = 1700000000;
	ctx.epoch = 18446744073709551615u; // uint64 max, exactly
	ctx.counter = 0;
	ctx.decorations = {{"host_uuid", "4AB2906D"}, {"user\"name", "caf\xc3\xa9"}};
	const std::string out =
	    render(Format::osquery,
	           {{{"n", "i", "r", "t", "b", "argv"},
	             {{{N(), I(-5), R(1.5), T("x\xff"), B("\x0a\x0b"), T(R"(["echo","\"hi\""])")}, nullptr}}}},
	           ctx);
	EXPECT_EQ(out, "{\"name\":\"pack_procsql_exec\",\"hostIdentifier\":\"web-1\","
	               "\"calendarTime\":\"Tue Nov 14 22:13:20 2023 UTC\",\"unixTime\":1700000000,"
	               "\"epoch\":18446744073709551615,\"counter\":0,\"numerics\":false,"
	               "\"decorations\":{\"host_uuid\":\"4AB2906D\",\"user\\\"name\":\"caf\xc3\xa9\"},"
	               "\"columns\":{\"n\":\"\",\"i\":\"-5\",\"r\":\"1.5\",\"t\":\"x\\udcff\",\"b\":\"0a0b\","
	               "\"argv\":\"[\\\"echo\\\",\\\"\\\\\\\"hi\\\\\\\"\\\"]\"},"
	               "\"action\":\"added\"}\n");
	const JsonValue v = parse_ok(out.substr(0, out.size() - 1));
	const JsonValue* columns = v.get("columns");
	ASSERT_NE(columns, nullptr);
	for (const JsonValue& c : columns->items()) {
		EXPECT_TRUE(c.is_string()); // "numerics": false
	}
	EXPECT_EQ(*columns->get_string("argv"), R"(["echo","\"hi\""])");
	EXPECT_EQ(*v.get("decorations")->get_string("user\"name"), "caf\xc3\xa9");
	int64_t unix_time = 0;
	EXPECT_TRUE(v.get("unixTime")->as_int64(&unix_time));
	EXPECT_EQ(unix_time, 1700000000);
	EXPECT_EQ(v.get("epoch")->text(), "18446744073709551615");
}

// --- output errors -----------------------------------------------------------

TEST(ResultWriter, OutputErrorsAreTheStreamsNotExceptions) {
	FILE* full = std::fopen("/dev/full", "w");
	if (full == nullptr) {
		PROCSQL_UNAVAILABLE() << "no /dev/full";
	}
	setvbuf(full, nullptr, _IONBF, 0); // each fwrite reaches the device and fails
	for (Format f : {Format::table, Format::csv, Format::json, Format::jsonl, Format::osquery}) {
		auto w = make_writer(f, full, OsqueryContext{}, false);
		ASSERT_TRUE(w != nullptr);
		w->begin({"a"});
		w->row({T("x")}, nullptr);
		w->end();
		EXPECT_FALSE(w->failed()); // failed() is memory only: the stream says the rest
	}
	EXPECT_NE(ferror(full), 0);
	std::fclose(full);
}

} // namespace
