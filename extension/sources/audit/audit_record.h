// One kernel audit record's text -> its type, time, serial and key=value
// fields. Pure: no I/O, no libaudit; every input is treated as hostile (the
// text reaches us over a socket, and parts of it are chosen by any user:
// arguments, file names, comm).
//
// The kernel's format (kernel/audit.c, kernel/auditsc.c):
//   audit(SEC.MSEC:SERIAL): name=value name=value ...
// Values are either plain (numbers, hex syscall arguments, "tty=pts0", the
// placeholders "(null)", "(none)", "?") or, for strings a user controls,
// written by audit_log_n_untrustedstring(): "double quoted" when every byte is
// printable ASCII other than '"' and space, else the bytes as upper-case hex
// with no quotes. Continuation records of a long EXECVE start with an extra
// space; the multicast copy carries no trailing NUL, other paths may.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace procsql {

// Audit record types the backend uses (<linux/audit.h>); named here so the
// pure code needs no kernel header.
constexpr uint32_t kAuditSyscall = 1300;
constexpr uint32_t kAuditPath = 1302;
constexpr uint32_t kAuditCwd = 1307;
constexpr uint32_t kAuditExecve = 1309;
constexpr uint32_t kAuditEoe = 1320;

struct AuditRecord {
	uint32_t type = 0;     // netlink message type = audit record type (1300 SYSCALL, 1309 EXECVE...)
	int64_t time_ns = 0;   // Unix ns from "audit(SEC.MSEC:SERIAL)" (ms resolution)
	uint64_t serial = 0;
	struct Field {
		std::string name;
		std::string raw;
		bool quoted = false;
	};
	std::vector<Field> fields;   // in record order; raw = the text between quotes when quoted
	const Field* field(std::string_view name) const;  // the first with that name, or nullptr
	// An untrusted string (exe, comm, cwd, name, aN, aN[i], proctitle, key, tty...): the quoted
	// text, or the hex-decoded bytes of an unquoted hex value; false when absent, "(null)",
	// "(none)"-style placeholders are returned as is (callers decide), false on odd/invalid hex.
	bool text(std::string_view name, std::string* out) const;
	bool number(std::string_view name, uint64_t* out, int base = 10) const; // false if absent/not a number
	bool signed_number(std::string_view name, int64_t* out) const;          // base 10, e.g. exit=-2
};

// Limits that keep a hostile record from costing unbounded memory. The kernel
// never writes a record over MAX_AUDIT_MESSAGE_LENGTH (8970 bytes); an EXECVE
// record of one-byte arguments holds about 1,900 fields.
constexpr size_t kAuditMaxRecordBytes = 1u << 20;
constexpr size_t kAuditMaxFields = 4096;

// Parses "audit(1732372800.123:4567): key=value key=\"quoted\" ..." (the netlink payload,
// possibly without a trailing NUL, possibly with trailing NULs/newline). false + one-line reason
// on anything malformed; never reads out of `text`, never throws, never allocates unboundedly
// (at most kAuditMaxFields fields).
bool parse_audit_record(uint32_t type, std::string_view text, AuditRecord* out, std::string* why);

// The bytes of one field's value as AuditRecord::text() defines them (quoted
// text, or decoded hex, or a "(...)"/"?" placeholder as is); false on a value
// that is none of these. Appends to *out.
bool audit_untrusted_value(const AuditRecord::Field& f, std::string* out);

// True for the placeholders the kernel writes where a string is absent:
// "(null)", "(none)", "?" (and any other "(word)"); never for quoted text.
bool audit_is_placeholder(const AuditRecord::Field& f);

} // namespace procsql
