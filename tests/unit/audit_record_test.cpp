// Parsing one audit record's text: every real record captured on this kernel
// (tests/unit/fixtures/audit/), the value encodings the kernel uses, and
// refusal of malformed text (never a crash, never a read past the input).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sources/audit/audit_record.h"
#include "audit_fixture.h"

namespace procsql {
namespace {

AuditRecord parse_ok(uint32_t type, std::string_view text) {
	AuditRecord r;
	std::string why;
	EXPECT_TRUE(parse_audit_record(type, text, &r, &why)) << why << ": " << text;
	return r;
}

std::string parse_fails(std::string_view text) {
	AuditRecord r;
	std::string why;
	EXPECT_FALSE(parse_audit_record(1300, text, &r, &why)) << text;
	EXPECT_FALSE(why.empty()) << text;
	return why;
}

TEST(AuditRecord, EveryCapturedRecordParses) {
	const auto lines = audit_fixture::capture();
	ASSERT_GT(lines.size(), 900u) << "fixture missing: " << audit_fixture::dir();
	for (const auto& l : lines) {
		AuditRecord r;
		std::string why;
		ASSERT_TRUE(parse_audit_record(l.type, l.payload, &r, &why)) << why << ": " << l.payload.substr(0, 200);
		EXPECT_EQ(r.type, l.type);
		EXPECT_GT(r.serial, 0u);
		EXPECT_GT(r.time_ns, 1'700'000'000'000'000'000);
	}
}

// A real SYSCALL record of `ls` (serial 218 of the capture).
constexpr std::string_view kLs =
    "audit(1795460837.725:218): arch=c000003e syscall=59 success=yes exit=0 a0=7fb86e670690 a1=7fb86e3f8cf0 "
    "a2=410fc00 a3=7fb86e7586a0 items=2 ppid=15575 pid=15576 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 "
    "egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm=\"ls\" exe=\"/usr/bin/ls\" key=\"procsqlcapture\"";

TEST(AuditRecord, SyscallRecordFields) {
	const AuditRecord r = parse_ok(1300, kLs);
	EXPECT_EQ(r.type, 1300u);
	EXPECT_EQ(r.serial, 218u);
	EXPECT_EQ(r.time_ns, 1795460837725000000);
	ASSERT_EQ(r.fields.size(), 25u);
	EXPECT_EQ(r.fields[0].name, "arch");
	EXPECT_EQ(r.fields[0].raw, "c000003e");
	EXPECT_FALSE(r.fields[0].quoted);

	uint64_t v = 0;
	EXPECT_TRUE(r.number("arch", &v, 16));
	EXPECT_EQ(v, 0xc000003eu);
	EXPECT_TRUE(r.number("syscall", &v));
	EXPECT_EQ(v, 59u);
	EXPECT_TRUE(r.number("auid", &v));
	EXPECT_EQ(v, 4294967295u);
	EXPECT_TRUE(r.number("a0", &v, 16));
	EXPECT_EQ(v, 0x7fb86e670690u);
	EXPECT_FALSE(r.number("a0", &v)) << "hex is not base 10";
	EXPECT_FALSE(r.number("comm", &v)) << "quoted text is no number";
	EXPECT_FALSE(r.number("nosuchfield", &v));
	int64_t s = 1;
	EXPECT_TRUE(r.signed_number("exit", &s));
	EXPECT_EQ(s, 0);

	std::string t;
	EXPECT_TRUE(r.text("comm", &t));
	EXPECT_EQ(t, "ls");
	EXPECT_TRUE(r.text("exe", &t));
	EXPECT_EQ(t, "/usr/bin/ls");
	EXPECT_TRUE(r.text("key", &t));
	EXPECT_EQ(t, "procsqlcapture");
	// Placeholders come back as is; the caller decides what they mean.
	EXPECT_TRUE(r.text("tty", &t));
	EXPECT_EQ(t, "(none)");
	EXPECT_TRUE(audit_is_placeholder(*r.field("tty")));
	EXPECT_FALSE(audit_is_placeholder(*r.field("comm")));
	EXPECT_FALSE(r.text("nosuchfield", &t));
	EXPECT_EQ(r.field("nosuchfield"), nullptr);
}

TEST(AuditRecord, UntrustedStringsQuotedOrHex) {
	// The echo with awkward arguments (serial 256): a space, invalid UTF-8, a
	// double quote and a tab force hex; a single quote and "" stay quoted.
	const AuditRecord r = parse_ok(
	    1309, "audit(1795460838.217:256): argc=9 a0=\"/bin/echo\" a1=612062 a2=FFFE80 a3=69742273 a4=\"\" "
	          "a5=\"single'q\" a6=7461620968657265 a7=C3A974C3A9 a8=\"end\"");
	std::string t;
	EXPECT_TRUE(r.text("a1", &t));
	EXPECT_EQ(t, "a b");
	EXPECT_TRUE(r.text("a2", &t));
	EXPECT_EQ(t, std::string("\xff\xfe\x80"));
	EXPECT_TRUE(r.text("a3", &t));
	EXPECT_EQ(t, "it\"s");
	EXPECT_TRUE(r.text("a4", &t));
	EXPECT_EQ(t, "");
	EXPECT_TRUE(r.field("a4")->quoted);
	EXPECT_TRUE(r.text("a5", &t));
	EXPECT_EQ(t, "single'q");
	EXPECT_TRUE(r.text("a6", &t));
	EXPECT_EQ(t, "tab\there");
	EXPECT_TRUE(r.text("a7", &t));
	EXPECT_EQ(t, "\xc3\xa9t\xc3\xa9");

	// memfd exec (serial 382): exe hex because of the space in " (deleted)".
	const AuditRecord m = parse_ok(1300, "audit(1795460839.613:382): pid=1 comm=\"memfd:pcsmemfd\" "
	                                     "exe=2F6D656D66643A7063736D656D6664202864656C6574656429 key=(null)");
	EXPECT_TRUE(m.text("exe", &t));
	EXPECT_EQ(t, "/memfd:pcsmemfd (deleted)");
	EXPECT_TRUE(m.text("key", &t));
	EXPECT_EQ(t, "(null)");
	// Lower-case hex is the same bytes.
	const AuditRecord lower = parse_ok(1300, "audit(1.000:1): a=2f6269");
	EXPECT_TRUE(lower.text("a", &t));
	EXPECT_EQ(t, "/bi");
}

TEST(AuditRecord, BadHexIsNotText) {
	const AuditRecord r = parse_ok(1300, "audit(1.000:1): odd=ABC bad=XY12 tty=pts0 q=? empty= hexnul=00");
	std::string t = "unchanged";
	EXPECT_FALSE(r.text("odd", &t));
	EXPECT_FALSE(r.text("bad", &t));
	// tty is written with %s, not as an untrusted string: not text.
	EXPECT_FALSE(r.text("tty", &t));
	EXPECT_EQ(t, "unchanged");
	EXPECT_TRUE(r.text("q", &t));
	EXPECT_EQ(t, "?");
	EXPECT_TRUE(r.text("empty", &t));
	EXPECT_EQ(t, "");
	EXPECT_TRUE(r.text("hexnul", &t));
	EXPECT_EQ(t, std::string(1, '\0'));
}

TEST(AuditRecord, EoeContinuationAndTrailingBytes) {
	// EOE: nothing after the stamp but a space.
	AuditRecord r = parse_ok(1320, "audit(1795460837.725:218): ");
	EXPECT_TRUE(r.fields.empty());
	EXPECT_EQ(r.serial, 218u);
	// Continuation records of a long EXECVE start with an extra space.
	r = parse_ok(1309, "audit(1795460838.277:264):  a1[1]=7878");
	ASSERT_EQ(r.fields.size(), 1u);
	EXPECT_EQ(r.fields[0].name, "a1[1]");
	// A trailing NUL (and padding), or a newline as in a log file.
	r = parse_ok(1300, std::string_view("audit(1.5:2): a=1\0\0\0", 20));
	ASSERT_EQ(r.fields.size(), 1u);
	EXPECT_EQ(r.fields[0].raw, "1");
	EXPECT_EQ(r.time_ns, 1'500'000'000);
	r = parse_ok(1300, "audit(1.5:2): a=1\n");
	EXPECT_EQ(r.fields[0].raw, "1");
	// The stamp alone, without the space.
	r = parse_ok(1320, "audit(1.000:3):");
	EXPECT_TRUE(r.fields.empty());
}

TEST(AuditRecord, TimeStamp) {
	EXPECT_EQ(parse_ok(1300, "audit(0.001:1):").time_ns, 1'000'000);
	EXPECT_EQ(parse_ok(1300, "audit(7.123456789:1):").time_ns, 7'123'456'789);
	EXPECT_EQ(parse_ok(1300, "audit(7.5:1):").time_ns, 7'500'000'000);
	EXPECT_EQ(parse_ok(1300, "audit(9223372036.854775807:18446744073709551615):").time_ns, INT64_MAX);
	EXPECT_EQ(parse_ok(1300, "audit(1.000:18446744073709551615):").serial, UINT64_MAX);
	parse_fails("audit(9223372036.854775808:1):");
	parse_fails("audit(99999999999999999999.000:1):");
	parse_fails("audit(1.000:18446744073709551616):");
	parse_fails("audit(1.1234567890:1):");
	parse_fails("audit(1.:1):");
	parse_fails("audit(.000:1):");
	parse_fails("audit(1000:1):");
	parse_fails("audit(1.000:):");
	parse_fails("audit(1.000;1):");
	parse_fails("audit(1.000:1)");
	parse_fails("audit(1.000:1");
	parse_fails("audit(1.000:1 ):");
	parse_fails("audit(-1.000:1):");
	parse_fails("type=SYSCALL msg=audit(1.000:1): a=1"); // the log file form is not a payload
	parse_fails("");
	parse_fails("audit(");
}

TEST(AuditRecord, Numbers) {
	const AuditRecord r = parse_ok(1300, "audit(1.000:1): mode=0100755 big=18446744073709551615 over=18446744073709551616 "
	                                     "neg=-2 min=-9223372036854775808 under=-9223372036854775809 "
	                                     "max=9223372036854775807 pmax=9223372036854775808 minus=- plus=+1 q=\"5\" "
	                                     "hex=ffffffffffffffff hexover=10000000000000000 x=0x10 sp= ");
	uint64_t v = 0;
	EXPECT_TRUE(r.number("mode", &v, 8));
	EXPECT_EQ(v, 0100755u);
	EXPECT_TRUE(r.number("big", &v));
	EXPECT_EQ(v, UINT64_MAX);
	EXPECT_FALSE(r.number("over", &v));
	EXPECT_FALSE(r.number("neg", &v));
	EXPECT_FALSE(r.number("plus", &v));
	EXPECT_FALSE(r.number("q", &v));
	EXPECT_TRUE(r.number("hex", &v, 16));
	EXPECT_EQ(v, UINT64_MAX);
	EXPECT_FALSE(r.number("hexover", &v, 16));
	EXPECT_FALSE(r.number("x", &v, 16));
	EXPECT_FALSE(r.number("sp", &v));
	EXPECT_FALSE(r.number("mode", &v, 1));
	EXPECT_FALSE(r.number("mode", &v, 17));
	int64_t s = 0;
	EXPECT_TRUE(r.signed_number("neg", &s));
	EXPECT_EQ(s, -2);
	EXPECT_TRUE(r.signed_number("min", &s));
	EXPECT_EQ(s, INT64_MIN);
	EXPECT_FALSE(r.signed_number("under", &s));
	EXPECT_TRUE(r.signed_number("max", &s));
	EXPECT_EQ(s, INT64_MAX);
	EXPECT_FALSE(r.signed_number("pmax", &s));
	EXPECT_FALSE(r.signed_number("minus", &s));
	EXPECT_FALSE(r.signed_number("q", &s));
}

TEST(AuditRecord, QuotesAndBareWords) {
	// A user-space record: msg='...' holds a key=value list with spaces and
	// double quotes of its own; an AVC has bare words and braces.
	const AuditRecord u = parse_ok(
	    1105, "audit(1.000:9): pid=1 uid=0 msg='op=PAM:session_open acct=\"root\" exe=\"/usr/sbin/cron\" res=success'");
	ASSERT_EQ(u.fields.size(), 3u);
	EXPECT_EQ(u.fields[2].name, "msg");
	EXPECT_TRUE(u.fields[2].quoted);
	EXPECT_EQ(u.fields[2].raw, "op=PAM:session_open acct=\"root\" exe=\"/usr/sbin/cron\" res=success");
	const AuditRecord avc = parse_ok(1400, "audit(1.000:9): avc:  denied  { read } for  pid=3 comm=\"x\" =junk");
	ASSERT_EQ(avc.fields.size(), 2u);
	EXPECT_EQ(avc.fields[0].name, "pid");
	EXPECT_EQ(avc.fields[1].name, "comm");
	// A quoted value directly followed by more text: the rest is a new token.
	const AuditRecord glued = parse_ok(1300, "audit(1.000:9): a=\"x\"b=2");
	ASSERT_EQ(glued.fields.size(), 2u);
	EXPECT_EQ(glued.fields[1].name, "b");

	EXPECT_NE(parse_fails("audit(1.000:1): comm=\"unterminated").find("unterminated"), std::string::npos);
	EXPECT_NE(parse_fails("audit(1.000:1): msg='unterminated \"x\"").find("unterminated"), std::string::npos);
	parse_fails("audit(1.000:1): a=\"");
}

TEST(AuditRecord, EmbeddedNulRefused) {
	EXPECT_NE(parse_fails(std::string_view("audit(1.000:1): comm=\"a\0b\"", 26)).find("NUL"), std::string::npos);
	parse_fails(std::string_view("audit(1.000:1):\0 a=1", 20));
	parse_fails(std::string_view("\0audit(1.000:1):", 16));
}

TEST(AuditRecord, FieldAndSizeCaps) {
	std::string many = "audit(1.000:1):";
	for (size_t i = 0; i < kAuditMaxFields; i++) many += " a=1";
	AuditRecord r = parse_ok(1309, many);
	EXPECT_EQ(r.fields.size(), kAuditMaxFields);
	many += " a=1";
	EXPECT_NE(parse_fails(many).find("fields"), std::string::npos);

	std::string huge = "audit(1.000:1): a=\"" + std::string(kAuditMaxRecordBytes, 'x') + "\"";
	parse_fails(huge);
	// The largest the kernel writes is far below the cap.
	std::string big = "audit(1.000:1): a=" + std::string(9000, 'A');
	r = parse_ok(1309, big);
	EXPECT_EQ(r.fields[0].raw.size(), 9000u);
}

TEST(AuditRecord, ReusedRecordIsReset) {
	AuditRecord r;
	std::string why;
	ASSERT_TRUE(parse_audit_record(1300, kLs, &r, &why));
	ASSERT_FALSE(parse_audit_record(1309, "audit(2.000:5): a=\"", &r, &why));
	ASSERT_TRUE(parse_audit_record(1320, "audit(2.000:5): ", &r, &why));
	EXPECT_EQ(r.type, 1320u);
	EXPECT_EQ(r.serial, 5u);
	EXPECT_TRUE(r.fields.empty());
}

// Every prefix of real records, and random corruption of them: each parse
// ends with a result (and a reason when false); ASan/UBSan builds check that
// nothing is read outside the input.
TEST(AuditRecord, TruncatedAndCorruptedRecordsNeverCrash) {
	const auto lines = audit_fixture::capture();
	ASSERT_FALSE(lines.empty());
	std::mt19937 rng(1234);
	size_t refused = 0;
	for (size_t i = 0; i < lines.size(); i += 7) {
		const std::string& text = lines[i].payload;
		for (size_t n = 0; n <= text.size(); n += (text.size() > 400 ? 37 : 1)) {
			AuditRecord r;
			std::string why;
			if (!parse_audit_record(lines[i].type, std::string_view(text).substr(0, n), &r, &why)) {
				EXPECT_FALSE(why.empty());
				refused++;
			}
		}
		for (int k = 0; k < 20; k++) {
			std::string bad = text;
			const int edits = 1 + int(rng() % 4);
			for (int e = 0; e < edits && !bad.empty(); e++) {
				bad[rng() % bad.size()] = char(rng() % 256);
			}
			AuditRecord r;
			std::string why;
			if (parse_audit_record(lines[i].type, bad, &r, &why)) {
				std::string t;
				uint64_t v;
				int64_t s;
				for (const auto& f : r.fields) {
					r.text(f.name, &t);
					r.number(f.name, &v, 16);
					r.signed_number(f.name, &s);
				}
			} else {
				EXPECT_FALSE(why.empty());
			}
		}
	}
	EXPECT_GT(refused, 0u);
}

TEST(AuditRecord, RandomBytesNeverCrash) {
	std::mt19937 rng(99);
	for (int i = 0; i < 5000; i++) {
		std::string s = (i % 2) ? "audit(1.000:1): " : "";
		const size_t n = rng() % 200;
		const char alphabet[] = "a=\"' ()0123456789ABCDEF:.\0\n";
		for (size_t k = 0; k < n; k++) {
			s += (i % 3) ? alphabet[rng() % (sizeof(alphabet) - 1)] : char(rng() % 256);
		}
		AuditRecord r;
		std::string why;
		if (!parse_audit_record(1300, s, &r, &why)) {
			EXPECT_FALSE(why.empty());
		}
	}
}

} // namespace
} // namespace procsql
