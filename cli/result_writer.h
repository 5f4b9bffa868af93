// How `procsql query` writes a statement's result rows: one writer per
// output format (--format table|csv|json|jsonl|osquery). No SQLite here: the
// caller turns each sqlite3_value into a Value first, so the formats are
// tested without a database.
//
// Bytes: TEXT values are written as the bytes SQLite holds. The JSON formats
// (json, jsonl, osquery) escape '"', '\\', the C0 controls and DEL; a byte that
// is not part of valid UTF-8 becomes \udcXX (XX the byte), the convention of
// the `argv` column (extension/text.h), so no format loses or alters a byte
// of `argv` (which is itself JSON text, written as a string).
//
// The formats, per result set (begin ... end):
//  * table: the sqlite3 shell's `.mode column` with headers, held until end():
//    header, a line of dashes per column, the rows; left-aligned, two spaces
//    between columns, no spaces at the end of a line; widths in code points.
//    NULL is empty, a blob x'hex'; C0 controls, DEL, C1 controls and bytes
//    not part of valid UTF-8 are shown as \n \t \r \xNN \u0085 so that a
//    row stays on one line (table is for reading: use csv or json for exact
//    bytes). A later non-empty result set is set off by a blank line; an
//    empty one prints nothing.
//  * csv: RFC 4180 with "\n" line ends; the header line at begin(), so a
//    result set without rows still names its columns. A field is quoted when
//    it holds , " CR or LF, starts or ends with a space, or is empty text
//    (so NULL, an empty field, and '', written "", stay apart, as in the
//    sqlite3 shell). Blobs as lowercase hex; text bytes as they are.
//  * json: the sqlite3 shell's `.mode json`: one array per result set,
//    [{"a":1},\n{"a":2}]\n, written row by row. A result set without rows
//    prints nothing (not [], as the shell). Keys in column order; duplicate
//    column names are kept as they are (most readers keep the last).
//  * jsonl: one object per row per line.
//  * osquery: see make_writer().
// Values in the JSON formats: integer and real as numbers (a real always has
// a '.' or an exponent, NaN and infinities are null), text a string, blob a
// string of lowercase hex, NULL null. A real is written with the fewest
// digits that read back to the same double, in every format.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace procsql::cli {

enum class Format { table, csv, json, jsonl, osquery };

// "table", "csv", ... -> Format; false for any other name.
bool parse_format(std::string_view name, Format* out);
// The names parse_format accepts, for --help and errors: "table|csv|...".
const char* format_names();

struct Value {
	enum class Type { null, integer, real, text, blob };
	Type type = Type::null;
	int64_t integer = 0;
	double real = 0;
	std::string bytes; // text or blob
};

// What osquery's result log carries besides the row (osquery's
// docs/wiki/deployment/logging.md): the query's name, the host, when the
// query ran, the schedule epoch, the run counter (0 on a job's first run,
// then +1 per run) and decorations (omitted when empty).
struct OsqueryContext {
	std::string name;
	std::string host_identifier;
	int64_t unix_time = 0;
	uint64_t epoch = 0;
	uint64_t counter = 0;
	std::vector<std::pair<std::string, std::string>> decorations;
};

// osquery's calendarTime for a Unix time, in UTC: "Mon May  2 22:27:32 2016 UTC".
std::string osquery_calendar_time(int64_t unix_time);

class ResultWriter {
public:
	virtual ~ResultWriter() = default;
	// A statement's result set starts: its column names, in order.
	virtual void begin(const std::vector<std::string>& columns) = 0;
	// One row, as many values as columns. `action` is "added" or "removed"
	// (osquery's differential results); other formats ignore it, except that
	// the caller may add it as a column of its own.
	virtual void row(const std::vector<Value>& values, const char* action) = 0;
	// The result set ends (table and json write here; snapshot too).
	virtual void end() = 0;
	// True once the writer lost output because memory ran out (building a
	// line, or the rows a table or snapshot holds until end()); it then
	// writes nothing more. Errors of the stream itself are the stream's
	// (ferror): this is the one loss the caller could not see there.
	virtual bool failed() const { return false; }
};

// A writer onto `out` (not closed by the writer). `snapshot` (osquery only):
// the whole result set as one line with "action":"snapshot", as osquery logs
// a snapshot query, instead of one "added" line per row.
//
// osquery lines are osquery 5's results log ("numerics": false): per row
// {"name":..,"hostIdentifier":..,"calendarTime":..,"unixTime":N,"epoch":N,
// "counter":N,"numerics":false,"decorations":{..},"columns":{..},
// "action":"added"} (action from row(), "added" when null); every column
// value a string (NULL as "", as osquery writes it; blob as hex). A snapshot
// is one line at end() with "snapshot":[{..},..] and "action":"snapshot",
// written even without rows ("snapshot":[]).
//
// nullptr for a Format that is none of the above, or when memory ran out.
std::unique_ptr<ResultWriter> make_writer(Format format, FILE* out, const OsqueryContext& osquery,
                                          bool snapshot);

} // namespace procsql::cli
