// libFuzzer target: a stream of audit records through everything the audit
// backend does with their text, the way AuditSource chains it:
// parse_audit_record -> AuditReassembler (add, expire) -> decode_audit_event.
//
// Input: lines. "TYPE<TAB>PAYLOAD" is one record (the format of
// tests/unit/fixtures/audit/capture_x86_64.txt, so real captures are the seed
// corpus); "@N" advances the clock by N ms and expires; any other line is a
// payload whose type is picked from the line (so mutations that break the
// TAB still reach the parser with the interesting types). At the end
// everything pending is flushed and decoded.
//
// Besides what ASan/UBSan catch, the checks below abort on broken promises:
// a refusal without a reason, argv longer than its bound, more events pending
// than allowed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sources/audit/audit_decoder.h"
#include "sources/audit/audit_reassembler.h"
#include "sources/audit/audit_record.h"

namespace {

using namespace procsql;

constexpr size_t kMaxPending = 16;
constexpr int64_t kTimeoutNs = 1'000'000'000;

void check(bool ok, const char* what) {
	if (!ok) {
		std::fprintf(stderr, "audit_record_fuzz: broken promise: %s\n", what);
		std::abort();
	}
}

void decode_all(std::vector<AuditEvent>* done) {
	for (const AuditEvent& ev : *done) {
		for (uint32_t bytes : {0u, 40u, 16384u}) {
			AuditDecoded d;
			std::string why;
			if (decode_audit_event(ev, bytes, &d, &why)) {
				check(d.argv.size() <= bytes, "argv over its bound");
				check(d.kind == AuditEventKind::exec || d.argv.empty(), "argv on a row that is not an exec");
			} else {
				check(!why.empty(), "refusal without a reason");
			}
		}
	}
	done->clear();
}

uint32_t type_for(std::string_view line) {
	static const uint32_t kTypes[] = {kAuditSyscall, kAuditExecve, kAuditPath, kAuditCwd, kAuditEoe, 1327, 1701};
	return kTypes[line.size() % (sizeof(kTypes) / sizeof(kTypes[0]))];
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
	const std::string_view input(reinterpret_cast<const char*>(data), size);
	AuditReassembler re(kTimeoutNs, kMaxPending);
	std::vector<AuditEvent> done;
	int64_t now = 0;
	size_t start = 0;
	while (start <= input.size()) {
		size_t end = input.find('\n', start);
		if (end == std::string_view::npos) end = input.size();
		const std::string_view line = input.substr(start, end - start);
		start = end + 1;
		if (line.empty()) continue;
		if (line[0] == '@') {
			int64_t ms = 0;
			for (size_t i = 1; i < line.size() && i < 8 && line[i] >= '0' && line[i] <= '9'; i++) {
				ms = ms * 10 + (line[i] - '0');
			}
			now += ms * 1'000'000;
			re.expire(now, &done);
			check(re.pending() <= kMaxPending, "pending over max after expire");
			decode_all(&done);
			continue;
		}
		uint32_t type = type_for(line);
		std::string_view payload = line;
		const size_t tab = line.find('\t');
		if (tab != std::string_view::npos && tab > 0 && tab <= 5) {
			uint32_t t = 0;
			bool digits = true;
			for (size_t i = 0; i < tab; i++) {
				if (line[i] < '0' || line[i] > '9') digits = false;
				else t = t * 10 + uint32_t(line[i] - '0');
			}
			if (digits) {
				type = t;
				payload = line.substr(tab + 1);
			}
		}
		AuditRecord r;
		std::string why;
		if (!parse_audit_record(type, payload, &r, &why)) {
			check(!why.empty(), "record refused without a reason");
			continue;
		}
		check(r.fields.size() <= kAuditMaxFields, "more fields than the cap");
		// The accessors on every field, as the decoder might call them.
		std::string text;
		uint64_t u;
		int64_t s;
		for (const AuditRecord::Field& f : r.fields) {
			text.clear();
			if (audit_untrusted_value(f, &text)) check(text.size() <= f.raw.size(), "text longer than its field");
			r.text(f.name, &text); // the first field of that name, which may be another
			r.number(f.name, &u, 8);
			r.number(f.name, &u, 16);
			r.signed_number(f.name, &s);
		}
		re.add(std::move(r), now, &done);
		check(re.pending() <= kMaxPending, "pending over max after add");
		decode_all(&done);
	}
	re.expire(INT64_MAX, &done);
	check(re.pending() == 0, "events left after the final expire");
	decode_all(&done);
	return 0;
}
