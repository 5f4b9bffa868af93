#include "sources/audit/audit_record.h"

#include <limits>

namespace procsql {
namespace {

// A short, printable rendering of untrusted bytes for a reason text: reasons
// end up in logs and counters, so they must stay one short line.
std::string printable(std::string_view s, size_t max = 32) {
	std::string out;
	for (size_t i = 0; i < s.size() && i < max; i++) {
		const unsigned char c = static_cast<unsigned char>(s[i]);
		out += (c >= 0x21 && c <= 0x7e) ? static_cast<char>(c) : '?';
	}
	if (s.size() > max) out += "...";
	return out;
}

int digit_value(char c, int base) {
	int v;
	if (c >= '0' && c <= '9') {
		v = c - '0';
	} else if (c >= 'a' && c <= 'f') {
		v = c - 'a' + 10;
	} else if (c >= 'A' && c <= 'F') {
		v = c - 'A' + 10;
	} else {
		return -1;
	}
	return v < base ? v : -1;
}

// An unsigned number in `base` made of digits only (no sign, no 0x: the
// kernel writes neither), false on anything else or on overflow.
bool parse_unsigned(std::string_view s, int base, uint64_t* out) {
	if (s.empty() || base < 2 || base > 16) return false;
	uint64_t v = 0;
	const uint64_t limit = std::numeric_limits<uint64_t>::max();
	for (char c : s) {
		const int d = digit_value(c, base);
		if (d < 0) return false;
		if (v > (limit - uint64_t(d)) / uint64_t(base)) return false;
		v = v * uint64_t(base) + uint64_t(d);
	}
	*out = v;
	return true;
}

bool parse_hex_bytes(std::string_view s, std::string* out) {
	if (s.size() % 2 != 0) return false;
	for (char c : s) {
		if (digit_value(c, 16) < 0) return false;
	}
	const size_t start = out->size();
	out->resize(start + s.size() / 2);
	for (size_t i = 0; i < s.size(); i += 2) {
		(*out)[start + i / 2] = static_cast<char>(digit_value(s[i], 16) << 4 | digit_value(s[i + 1], 16));
	}
	return true;
}

bool fail(std::string* why, std::string reason) {
	if (why) *why = std::move(reason);
	return false;
}

} // namespace

const AuditRecord::Field* AuditRecord::field(std::string_view name) const {
	for (const Field& f : fields) {
		if (f.name == name) return &f;
	}
	return nullptr;
}

bool audit_is_placeholder(const AuditRecord::Field& f) {
	if (f.quoted) return false;
	const std::string& v = f.raw;
	return v == "?" || (v.size() >= 2 && v.front() == '(' && v.back() == ')');
}

bool audit_untrusted_value(const AuditRecord::Field& f, std::string* out) {
	if (f.quoted || audit_is_placeholder(f)) {
		out->append(f.raw);
		return true;
	}
	// The kernel's hex is upper case; lower case is accepted as the same bytes
	// since nothing else unquoted can be mistaken for it in a string field.
	return parse_hex_bytes(f.raw, out);
}

bool AuditRecord::text(std::string_view name, std::string* out) const {
	const Field* f = field(name);
	if (!f) return false;
	std::string value;
	if (!audit_untrusted_value(*f, &value)) return false;
	*out = std::move(value);
	return true;
}

bool AuditRecord::number(std::string_view name, uint64_t* out, int base) const {
	const Field* f = field(name);
	if (!f || f->quoted) return false;
	return parse_unsigned(f->raw, base, out);
}

bool AuditRecord::signed_number(std::string_view name, int64_t* out) const {
	const Field* f = field(name);
	if (!f || f->quoted) return false;
	std::string_view s = f->raw;
	const bool negative = !s.empty() && s.front() == '-';
	if (negative) s.remove_prefix(1);
	uint64_t magnitude;
	if (!parse_unsigned(s, 10, &magnitude)) return false;
	const uint64_t max_positive = uint64_t(std::numeric_limits<int64_t>::max());
	if (negative) {
		if (magnitude > max_positive + 1) return false;
		// Negating in unsigned arithmetic keeps INT64_MIN well defined.
		*out = magnitude == max_positive + 1 ? std::numeric_limits<int64_t>::min() : -int64_t(magnitude);
	} else {
		if (magnitude > max_positive) return false;
		*out = int64_t(magnitude);
	}
	return true;
}

bool parse_audit_record(uint32_t type, std::string_view text, AuditRecord* out, std::string* why) {
	out->type = type;
	out->time_ns = 0;
	out->serial = 0;
	out->fields.clear(); // keeps the capacity when a caller reuses one record

	// The payload may or may not carry the C string's NUL (and netlink
	// padding); a newline ends records written to files.
	while (!text.empty() && (text.back() == '\0' || text.back() == '\n')) text.remove_suffix(1);
	if (text.size() > kAuditMaxRecordBytes) return fail(why, "record longer than 1 MiB");
	// The kernel never writes a NUL inside a record (untrusted bytes are hex):
	// one there means corruption, and cutting the record at it would hide that.
	if (text.find('\0') != std::string_view::npos) return fail(why, "NUL byte inside the record");

	constexpr std::string_view kPrefix = "audit(";
	if (text.substr(0, kPrefix.size()) != kPrefix) return fail(why, "record does not start with audit(");
	size_t i = kPrefix.size();
	const size_t n = text.size();
	auto digits = [&](size_t max_len) {
		const size_t start = i;
		while (i < n && i - start < max_len && text[i] >= '0' && text[i] <= '9') i++;
		return text.substr(start, i - start);
	};

	uint64_t sec;
	if (!parse_unsigned(digits(20), 10, &sec) || i >= n || text[i] != '.') {
		return fail(why, "bad seconds in the audit( ) stamp");
	}
	i++;
	// The kernel prints milliseconds as three digits; any 1..9 digits are read
	// as the fraction they write, so a finer stamp would not be misread.
	const std::string_view frac = digits(10);
	if (frac.empty() || frac.size() > 9 || i >= n || text[i] != ':') {
		return fail(why, "bad fraction in the audit( ) stamp");
	}
	uint64_t frac_ns;
	parse_unsigned(frac, 10, &frac_ns);
	for (size_t k = frac.size(); k < 9; k++) frac_ns *= 10;
	i++;
	uint64_t serial;
	if (!parse_unsigned(digits(21), 10, &serial)) return fail(why, "bad serial in the audit( ) stamp");
	if (text.substr(i, 2) != "):") return fail(why, "audit( ) stamp not closed by \"):\"");
	i += 2;
	const uint64_t max_sec = (uint64_t(std::numeric_limits<int64_t>::max()) - frac_ns) / 1000000000ull;
	if (sec > max_sec) return fail(why, "audit( ) stamp out of range");
	out->time_ns = int64_t(sec * 1000000000ull + frac_ns);
	out->serial = serial;

	while (true) {
		while (i < n && text[i] == ' ') i++;
		if (i >= n) break;
		const size_t name_start = i;
		while (i < n && text[i] != '=' && text[i] != ' ') i++;
		if (i >= n || text[i] == ' ') {
			// A bare word, as AVC and some user records have ("denied { read }"):
			// not a field, and nothing the backend reads.
			continue;
		}
		const std::string_view name = text.substr(name_start, i - name_start);
		i++; // '='
		std::string_view raw;
		bool quoted = false;
		if (i < n && (text[i] == '"' || text[i] == '\'')) {
			// Double quotes: audit_log_n_string (never holds '"' or a space).
			// Single quotes: the msg='...' of user-space records, which holds
			// a whole key=value list of its own.
			const char q = text[i];
			const size_t close = text.find(q, i + 1);
			if (close == std::string_view::npos) {
				return fail(why, "unterminated quote in field " + printable(name));
			}
			raw = text.substr(i + 1, close - i - 1);
			quoted = true;
			i = close + 1;
		} else {
			size_t end = text.find(' ', i);
			if (end == std::string_view::npos) end = n;
			raw = text.substr(i, end - i);
			i = end;
		}
		if (name.empty()) continue; // "=value": junk, not a field
		if (out->fields.size() >= kAuditMaxFields) return fail(why, "more than 4096 fields in one record");
		AuditRecord::Field f;
		f.name.assign(name.data(), name.size());
		f.raw.assign(raw.data(), raw.size());
		f.quoted = quoted;
		out->fields.push_back(std::move(f));
	}
	return true;
}

} // namespace procsql
