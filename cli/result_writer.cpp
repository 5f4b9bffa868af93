#include "result_writer.h"

#include "text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace procsql::cli {
namespace {

const char kHex[] = "0123456789abcdef";

// Every write goes through fwrite with an explicit length: TEXT may hold NUL
// bytes, which fputs would stop at.
void put(FILE* out, std::string_view s) {
	if (s.empty()) {
		return;
	}
	if (fwrite(s.data(), 1, s.size(), out) != s.size()) {
		// The stream's error indicator is set: the caller checks ferror().
	}
}

// Length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 when
// s[i] does not start one. The lead byte gives the only length a sequence
// there can have; text::is_valid_utf8 then judges those bytes by the same
// strict rules as the argv column (no overlongs, surrogates or > U+10FFFF).
std::size_t utf8_seq_len(std::string_view s, std::size_t i) {
	const unsigned char b = static_cast<unsigned char>(s[i]);
	const std::size_t n = b < 0x80 ? 1 : b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0;
	if (n <= 1) {
		return n;
	}
	if (s.size() - i < n || !text::is_valid_utf8(s.substr(i, n))) {
		return 0;
	}
	return n;
}

void append_hex_byte(std::string& out, unsigned char c) {
	out += kHex[c >> 4];
	out += kHex[c & 0xF];
}

void append_hex(std::string& out, std::string_view bytes) {
	for (char c : bytes) {
		append_hex_byte(out, static_cast<unsigned char>(c));
	}
}

void append_u_escape(std::string& out, unsigned v) {
	out += "\\u";
	append_hex_byte(out, static_cast<unsigned char>(v >> 8));
	append_hex_byte(out, static_cast<unsigned char>(v & 0xFF));
}

void append_int(std::string& out, int64_t v) {
	char buf[24];
	const auto r = std::to_chars(buf, buf + sizeof buf, v);
	out.append(buf, r.ptr);
}

void append_uint(std::string& out, uint64_t v) {
	char buf[24];
	const auto r = std::to_chars(buf, buf + sizeof buf, v);
	out.append(buf, r.ptr);
}

// A finite real with the fewest digits that read back to the same double
// (to_chars: shortest round trip, and unlike printf never the locale's
// decimal comma). ".0" is added to a whole number so that a REAL does not
// read as an INTEGER, as the sqlite3 shell shows 100.0.
void append_finite_real(std::string& out, double v) {
	char buf[32];
	const auto r = std::to_chars(buf, buf + sizeof buf, v);
	const std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
	out += s;
	if (s.find_first_of(".e") == std::string_view::npos) {
		out += ".0";
	}
}

// A real where every value is text (table, csv, osquery): the non-finite
// ones as the sqlite3 shell prints them.
void append_real_text(std::string& out, double v) {
	if (std::isnan(v)) {
		out += "NaN";
	} else if (std::isinf(v)) {
		out += v < 0 ? "-Inf" : "Inf";
	} else {
		append_finite_real(out, v);
	}
}

// The value as text: osquery's strings and csv's fields (whose text bytes
// are written as they are: text is appended unchanged).
void append_value_text(std::string& out, const Value& v) {
	switch (v.type) {
	case Value::Type::null:
		break;
	case Value::Type::integer:
		append_int(out, v.integer);
		break;
	case Value::Type::real:
		append_real_text(out, v.real);
		break;
	case Value::Type::text:
		out += v.bytes;
		break;
	case Value::Type::blob:
		append_hex(out, v.bytes);
		break;
	}
}

// Bytes a JSON string takes as they are: printable ASCII but '"' and '\\'.
bool json_plain(unsigned char c) {
	return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

// `s` as a JSON string, exact per the argv convention (text.h): valid UTF-8
// copied, '"' '\\' C0 and DEL escaped, each other byte as \udcXX.
void append_json_string(std::string& out, std::string_view s) {
	out += '"';
	std::size_t i = 0;
	while (i < s.size()) {
		std::size_t plain = i;
		while (plain < s.size() && json_plain(static_cast<unsigned char>(s[plain]))) {
			++plain;
		}
		out.append(s.data() + i, plain - i);
		i = plain;
		if (i == s.size()) {
			break;
		}
		const unsigned char c = static_cast<unsigned char>(s[i]);
		if (c >= 0x80) {
			const std::size_t n = utf8_seq_len(s, i);
			if (n == 0) {
				append_u_escape(out, 0xDC00u | c); // surrogateescape: the raw byte
				++i;
			} else {
				out.append(s.data() + i, n);
				i += n;
			}
			continue;
		}
		switch (c) {
		case '"':
			out += "\\\"";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\b':
			out += "\\b";
			break;
		case '\f':
			out += "\\f";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\r':
			out += "\\r";
			break;
		case '\t':
			out += "\\t";
			break;
		default:
			append_u_escape(out, c); // other C0 controls, and DEL to stay printable
			break;
		}
		++i;
	}
	out += '"';
}

void append_json_value(std::string& out, const Value& v) {
	switch (v.type) {
	case Value::Type::null:
		out += "null";
		break;
	case Value::Type::integer:
		append_int(out, v.integer);
		break;
	case Value::Type::real:
		if (std::isfinite(v.real)) {
			append_finite_real(out, v.real);
		} else {
			out += "null"; // JSON has no NaN or infinity
		}
		break;
	case Value::Type::text:
		append_json_string(out, v.bytes);
		break;
	case Value::Type::blob:
		out += '"';
		append_hex(out, v.bytes);
		out += '"';
		break;
	}
}

// The column names as JSON object keys, each `"name":`, escaped once per
// result set rather than once per row.
std::vector<std::string> json_keys(const std::vector<std::string>& columns) {
	std::vector<std::string> keys;
	keys.reserve(columns.size());
	for (const std::string& c : columns) {
		std::string k;
		append_json_string(k, c);
		k += ':';
		keys.push_back(std::move(k));
	}
	return keys;
}

const Value kNull;

// The value for column i: a row shorter than its columns is padded with
// NULL, extra values are ignored (the caller passes one per column).
const Value& value_at(const std::vector<Value>& values, std::size_t i) {
	return i < values.size() ? values[i] : kNull;
}

// Text shown in a table cell, on one line: the controls and bytes that are
// not valid UTF-8 escaped (C-style, as ls -b shows them). The escapes are
// ASCII, so the cell is valid UTF-8 and its width is its code points.
void append_table_text(std::string& out, std::string_view s) {
	std::size_t i = 0;
	while (i < s.size()) {
		const unsigned char c = static_cast<unsigned char>(s[i]);
		if (c >= 0x20 && c < 0x7F) {
			out += static_cast<char>(c);
			++i;
			continue;
		}
		if (c >= 0x80) {
			const std::size_t n = utf8_seq_len(s, i);
			if (n == 0) {
				out += "\\x";
				append_hex_byte(out, c);
				++i;
			} else if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
				// C1 controls U+0080..U+009F: some terminals act on them (U+009B is CSI).
				append_u_escape(out, static_cast<unsigned char>(s[i + 1]));
				i += 2;
			} else {
				out.append(s.data() + i, n);
				i += n;
			}
			continue;
		}
		switch (c) {
		case '\n':
			out += "\\n";
			break;
		case '\r':
			out += "\\r";
			break;
		case '\t':
			out += "\\t";
			break;
		default:
			out += "\\x";
			append_hex_byte(out, c);
			break;
		}
		++i;
	}
}

void append_table_cell(std::string& out, const Value& v) {
	switch (v.type) {
	case Value::Type::text:
		append_table_text(out, v.bytes);
		break;
	case Value::Type::blob:
		out += "x'";
		append_hex(out, v.bytes);
		out += '\'';
		break;
	default:
		append_value_text(out, v);
		break;
	}
}

// Code points in valid UTF-8 (what a table cell holds): the bytes that do
// not continue a sequence.
std::size_t code_points(std::string_view s) {
	std::size_t n = 0;
	for (char c : s) {
		n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
	}
	return n;
}

// What every writer shares: the stream, the line being built (its buffer
// reused from row to row), and the rule that a writer which lost output to
// memory exhaustion stops, reports it through failed(), and throws nothing.
class WriterBase : public ResultWriter {
public:
	explicit WriterBase(FILE* out) : out_(out) {}

	void begin(const std::vector<std::string>& columns) final {
		guarded([&] { do_begin(columns); });
	}
	void row(const std::vector<Value>& values, const char* action) final {
		guarded([&] { do_row(values, action); });
	}
	void end() final {
		guarded([&] { do_end(); });
	}
	bool failed() const final { return failed_; }

protected:
	virtual void do_begin(const std::vector<std::string>& columns) = 0;
	virtual void do_row(const std::vector<Value>& values, const char* action) = 0;
	virtual void do_end() = 0;

	// Writes line_ and empties it (keeping its buffer).
	void flush_line() {
		put(out_, line_);
		line_.clear();
	}

	FILE* out_;
	std::string line_;

private:
	template <typename F>
	void guarded(F&& f) {
		if (failed_) {
			return;
		}
		try {
			f();
		} catch (const std::exception&) {
			// bad_alloc (or length_error on an absurd size): the rows held or the
			// line half built are gone, and a later line would hide the gap.
			failed_ = true;
			line_.clear();
			line_.shrink_to_fit();
		}
	}

	bool failed_ = false;
};

class TableWriter final : public WriterBase {
public:
	using WriterBase::WriterBase;

private:
	void do_begin(const std::vector<std::string>& columns) override {
		header_.clear();
		cells_.clear();
		widths_.clear();
		for (const std::string& c : columns) {
			std::string cell;
			append_table_text(cell, c);
			// At least one dash, so that a column named '' still shows.
			widths_.push_back(std::max<std::size_t>(1, code_points(cell)));
			header_.push_back(std::move(cell));
		}
		rows_ = 0;
	}

	void do_row(const std::vector<Value>& values, const char*) override {
		for (std::size_t i = 0; i < header_.size(); ++i) {
			std::string cell;
			append_table_cell(cell, value_at(values, i));
			widths_[i] = std::max(widths_[i], code_points(cell));
			cells_.push_back(std::move(cell));
		}
		++rows_;
	}

	void do_end() override {
		if (rows_ == 0 || header_.empty()) {
			return;
		}
		if (printed_) {
			put(out_, "\n");
		}
		printed_ = true;
		write_line(header_.data());
		for (std::size_t i = 0; i < widths_.size(); ++i) {
			line_.append(widths_[i], '-');
			line_ += i + 1 < widths_.size() ? "  " : "\n";
		}
		flush_line();
		for (std::size_t r = 0; r < rows_; ++r) {
			write_line(cells_.data() + r * header_.size());
		}
		cells_.clear();
		cells_.shrink_to_fit();
		rows_ = 0;
	}

	// One line of header_.size() cells, each padded to its column's width,
	// without the padding after the line's last non-empty cell (trailing
	// spaces only get in the way of diff and grep).
	void write_line(const std::string* cells) {
		std::size_t keep = 0;
		for (std::size_t i = 0; i < widths_.size(); ++i) {
			line_ += cells[i];
			if (!cells[i].empty()) {
				keep = line_.size();
			}
			line_.append(widths_[i] - code_points(cells[i]) + 2, ' ');
		}
		line_.resize(keep);
		line_ += '\n';
		flush_line();
	}

	std::vector<std::string> header_;
	std::vector<std::size_t> widths_;
	std::vector<std::string> cells_; // rows_ rows of header_.size() cells
	std::size_t rows_ = 0;
	bool printed_ = false; // a result set was printed: the next is set off
};

class CsvWriter final : public WriterBase {
public:
	using WriterBase::WriterBase;

private:
	void do_begin(const std::vector<std::string>& columns) override {
		columns_ = columns.size();
		for (std::size_t i = 0; i < columns.size(); ++i) {
			append_field(columns[i]);
			line_ += i + 1 < columns.size() ? ',' : '\n';
		}
		flush_line();
	}

	void do_row(const std::vector<Value>& values, const char*) override {
		for (std::size_t i = 0; i < columns_; ++i) {
			const Value& v = value_at(values, i);
			if (v.type == Value::Type::text) {
				append_field(v.bytes);
			} else if (v.type != Value::Type::null) {
				scratch_.clear();
				append_value_text(scratch_, v);
				append_field(scratch_);
			}
			line_ += i + 1 < columns_ ? ',' : '\n';
		}
		flush_line();
	}

	void do_end() override {}

	// RFC 4180: quoted when the field holds a separator, a quote or a line
	// break; also with a leading or trailing space (which readers may trim)
	// and when empty, so that '' differs from NULL's empty field.
	void append_field(std::string_view s) {
		const bool quote = s.empty() || s.find_first_of(",\"\r\n") != std::string_view::npos ||
		                   s.front() == ' ' || s.back() == ' ';
		if (!quote) {
			line_ += s;
			return;
		}
		line_ += '"';
		for (char c : s) {
			line_ += c;
			if (c == '"') {
				line_ += '"';
			}
		}
		line_ += '"';
	}

	std::size_t columns_ = 0;
	std::string scratch_;
};

// A row as a JSON object of keys_, values by append_json_value.
void append_json_object(std::string& out, const std::vector<std::string>& keys,
                        const std::vector<Value>& values) {
	out += '{';
	for (std::size_t i = 0; i < keys.size(); ++i) {
		if (i > 0) {
			out += ',';
		}
		out += keys[i];
		append_json_value(out, value_at(values, i));
	}
	out += '}';
}

class JsonWriter final : public WriterBase {
public:
	using WriterBase::WriterBase;

private:
	void do_begin(const std::vector<std::string>& columns) override {
		keys_ = json_keys(columns);
		rows_ = 0;
	}

	// Row by row, not held until end(): the array opens with the first row,
	// so a result set without rows writes nothing.
	void do_row(const std::vector<Value>& values, const char*) override {
		line_ += rows_ == 0 ? "[" : ",\n";
		append_json_object(line_, keys_, values);
		flush_line();
		++rows_;
	}

	void do_end() override {
		if (rows_ > 0) {
			put(out_, "]\n");
		}
		rows_ = 0;
	}

	std::vector<std::string> keys_;
	std::size_t rows_ = 0;
};

class JsonlWriter final : public WriterBase {
public:
	using WriterBase::WriterBase;

private:
	void do_begin(const std::vector<std::string>& columns) override { keys_ = json_keys(columns); }

	void do_row(const std::vector<Value>& values, const char*) override {
		append_json_object(line_, keys_, values);
		line_ += '\n';
		flush_line();
	}

	void do_end() override {}

	std::vector<std::string> keys_;
};

class OsqueryWriter final : public WriterBase {
public:
	OsqueryWriter(FILE* out, const OsqueryContext& ctx, bool snapshot)
	    : WriterBase(out), prefix_(line_prefix(ctx)), snapshot_(snapshot) {}

private:
	void do_begin(const std::vector<std::string>& columns) override {
		keys_ = json_keys(columns);
		rows_.clear();
		rows_count_ = 0;
		open_ = true;
	}

	void do_row(const std::vector<Value>& values, const char* action) override {
		if (snapshot_) {
			if (rows_count_++ > 0) {
				rows_ += ',';
			}
			append_row(rows_, values);
			return;
		}
		line_ += prefix_;
		line_ += "\"columns\":";
		append_row(line_, values);
		line_ += ",\"action\":";
		append_json_string(line_, action != nullptr ? action : "added");
		line_ += "}\n";
		flush_line();
	}

	void do_end() override {
		if (!snapshot_ || !open_) {
			return;
		}
		open_ = false;
		line_ += prefix_;
		line_ += "\"snapshot\":[";
		line_ += rows_;
		line_ += "],\"action\":\"snapshot\"}\n";
		rows_.clear();
		rows_.shrink_to_fit();
		flush_line();
	}

	// A row as osquery holds it: every value a string ("numerics": false).
	void append_row(std::string& out, const std::vector<Value>& values) {
		out += '{';
		for (std::size_t i = 0; i < keys_.size(); ++i) {
			if (i > 0) {
				out += ',';
			}
			out += keys_[i];
			const Value& v = value_at(values, i);
			if (v.type == Value::Type::text) {
				append_json_string(out, v.bytes);
			} else {
				scratch_.clear();
				append_value_text(scratch_, v); // NULL: "", as osquery writes it
				append_json_string(out, scratch_);
			}
		}
		out += '}';
	}

	// What every line of this writer starts with, up to the row data.
	static std::string line_prefix(const OsqueryContext& ctx) {
		std::string p = "{\"name\":";
		append_json_string(p, ctx.name);
		p += ",\"hostIdentifier\":";
		append_json_string(p, ctx.host_identifier);
		p += ",\"calendarTime\":";
		append_json_string(p, osquery_calendar_time(ctx.unix_time));
		p += ",\"unixTime\":";
		append_int(p, ctx.unix_time);
		p += ",\"epoch\":";
		append_uint(p, ctx.epoch);
		p += ",\"counter\":";
		append_uint(p, ctx.counter);
		p += ",\"numerics\":false,";
		if (!ctx.decorations.empty()) {
			p += "\"decorations\":{";
			for (std::size_t i = 0; i < ctx.decorations.size(); ++i) {
				if (i > 0) {
					p += ',';
				}
				append_json_string(p, ctx.decorations[i].first);
				p += ':';
				append_json_string(p, ctx.decorations[i].second);
			}
			p += "},";
		}
		return p;
	}

	const std::string prefix_;
	const bool snapshot_;
	std::vector<std::string> keys_;
	std::string rows_; // snapshot: the rows so far, comma-separated
	std::size_t rows_count_ = 0;
	bool open_ = false; // snapshot: begin() seen, end() not yet
	std::string scratch_;
};

struct FormatName {
	const char* name;
	Format format;
};

const FormatName kFormats[] = {
    {"table", Format::table}, {"csv", Format::csv},         {"json", Format::json},
    {"jsonl", Format::jsonl}, {"osquery", Format::osquery},
};

} // namespace

bool parse_format(std::string_view name, Format* out) {
	for (const FormatName& f : kFormats) {
		if (name == f.name) {
			*out = f.format;
			return true;
		}
	}
	return false;
}

const char* format_names() { return "table|csv|json|jsonl|osquery"; }

std::string osquery_calendar_time(int64_t unix_time) {
	// Our own names, not strftime's %a %b: those follow LC_TIME.
	static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	const time_t t = static_cast<time_t>(unix_time);
	struct tm tm;
	if (static_cast<int64_t>(t) != unix_time || gmtime_r(&t, &tm) == nullptr || tm.tm_wday < 0 ||
	    tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11) {
		return std::string(); // beyond what gmtime represents (a year past INT_MAX)
	}
	// asctime's layout: the day of the month space-padded to two.
	char buf[96];
	snprintf(buf, sizeof buf, "%s %s %2d %02d:%02d:%02d %lld UTC", kDays[tm.tm_wday], kMonths[tm.tm_mon],
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, 1900LL + tm.tm_year);
	return buf;
}

std::unique_ptr<ResultWriter> make_writer(Format format, FILE* out, const OsqueryContext& osquery,
                                          bool snapshot) {
	try {
		switch (format) {
		case Format::table:
			return std::make_unique<TableWriter>(out);
		case Format::csv:
			return std::make_unique<CsvWriter>(out);
		case Format::json:
			return std::make_unique<JsonWriter>(out);
		case Format::jsonl:
			return std::make_unique<JsonlWriter>(out);
		case Format::osquery:
			return std::make_unique<OsqueryWriter>(out, osquery, snapshot);
		}
	} catch (const std::exception&) {
		// Out of memory before the first row: the caller reports it.
	}
	return nullptr;
}

} // namespace procsql::cli
