// Grouping audit records into events: EOE completion on the real capture
// (interleaved events), timeout and overflow flushes, what counts as an
// incomplete event, and the per-event caps.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "sources/audit/audit_reassembler.h"
#include "audit_fixture.h"

namespace procsql {
namespace {

AuditRecord rec(uint32_t type, uint64_t serial, std::string fields = "", int64_t sec = 1795460837) {
	AuditRecord r;
	std::string why;
	const std::string text = "audit(" + std::to_string(sec) + ".000:" + std::to_string(serial) + "): " + fields;
	EXPECT_TRUE(parse_audit_record(type, text, &r, &why)) << why;
	return r;
}

TEST(AuditReassembler, RealCaptureCompletesEveryEvent) {
	const auto lines = audit_fixture::capture();
	ASSERT_FALSE(lines.empty());
	std::map<uint64_t, size_t> records_per_serial; // EOE excluded
	std::set<uint64_t> with_eoe;
	AuditReassembler re;
	std::vector<AuditEvent> done;
	int64_t now = 0;
	for (const auto& l : lines) {
		AuditRecord r;
		std::string why;
		ASSERT_TRUE(parse_audit_record(l.type, l.payload, &r, &why)) << why;
		if (l.type == kAuditEoe) {
			with_eoe.insert(r.serial);
		} else {
			records_per_serial[r.serial]++;
		}
		re.add(std::move(r), now, &done);
		now += 1000; // 1 us per record: nothing times out
		re.expire(now, &done);
	}
	EXPECT_EQ(re.records(), lines.size());
	EXPECT_EQ(done.size(), with_eoe.size());
	for (const AuditEvent& e : done) {
		EXPECT_TRUE(e.complete);
		EXPECT_EQ(e.records.size(), records_per_serial[e.serial]) << e.serial;
		for (const AuditRecord& r : e.records) {
			EXPECT_NE(r.type, kAuditEoe);
			EXPECT_EQ(r.serial, e.serial);
			EXPECT_EQ(r.time_ns, e.time_ns);
		}
	}
	// Left: the ANOM_ABEND of the SIGSEGV (serial 416), a record without EOE.
	ASSERT_EQ(re.pending(), 1u);
	done.clear();
	re.expire(now + 3'000'000'000, &done);
	ASSERT_EQ(done.size(), 1u);
	EXPECT_EQ(done[0].serial, 416u);
	EXPECT_FALSE(done[0].complete);
	ASSERT_EQ(done[0].records.size(), 1u);
	EXPECT_EQ(done[0].records[0].type, 1701u);
	EXPECT_EQ(re.incomplete_events(), 0u) << "an event without SYSCALL is not incomplete";
	EXPECT_EQ(re.pending(), 0u);
}

TEST(AuditReassembler, InterleavedEvents) {
	// A vfork parent's SYSCALL comes after the child's whole exec event.
	AuditReassembler re;
	std::vector<AuditEvent> done;
	re.add(rec(1300, 10, "syscall=58"), 0, &done);
	re.add(rec(1300, 11, "syscall=59"), 0, &done);
	re.add(rec(1309, 11, "argc=1 a0=\"x\""), 0, &done);
	EXPECT_EQ(re.pending(), 2u);
	re.add(rec(1320, 11), 0, &done);
	ASSERT_EQ(done.size(), 1u);
	EXPECT_EQ(done[0].serial, 11u);
	EXPECT_EQ(done[0].records.size(), 2u);
	EXPECT_TRUE(done[0].complete);
	re.add(rec(1327, 10, "proctitle=41"), 0, &done);
	re.add(rec(1320, 10), 0, &done);
	ASSERT_EQ(done.size(), 2u);
	EXPECT_EQ(done[1].serial, 10u);
	ASSERT_EQ(done[1].records.size(), 2u);
	EXPECT_EQ(done[1].records[0].type, 1300u);
	EXPECT_EQ(done[1].records[1].type, 1327u);
	EXPECT_EQ(re.pending(), 0u);
	EXPECT_EQ(re.records(), 6u);
	EXPECT_EQ(re.incomplete_events(), 0u);
}

TEST(AuditReassembler, EoeWithoutRecordsEndsNothing) {
	AuditReassembler re;
	std::vector<AuditEvent> done;
	re.add(rec(1320, 5), 0, &done);
	EXPECT_TRUE(done.empty());
	EXPECT_EQ(re.pending(), 0u);
	EXPECT_EQ(re.records(), 1u);
}

TEST(AuditReassembler, SameSerialOtherTimeIsAnotherEvent) {
	AuditReassembler re;
	std::vector<AuditEvent> done;
	re.add(rec(1300, 7, "a=1", 100), 0, &done);
	re.add(rec(1300, 7, "a=2", 200), 0, &done);
	EXPECT_EQ(re.pending(), 2u);
	re.add(rec(1320, 7, "", 200), 0, &done);
	ASSERT_EQ(done.size(), 1u);
	EXPECT_EQ(done[0].time_ns, 200'000'000'000);
	EXPECT_EQ(done[0].records[0].fields[0].raw, "2");
}

TEST(AuditReassembler, TimeoutFlushesIncomplete) {
	AuditReassembler re(1000, 100);
	std::vector<AuditEvent> done;
	re.add(rec(1300, 1, "syscall=59"), 0, &done);    // loses its EOE
	re.add(rec(1302, 2, "item=0"), 500, &done);       // no SYSCALL: not counted
	re.add(rec(1701, 3, "sig=11"), 600, &done);       // a standalone record
	re.expire(1000, &done);                           // exactly the timeout: kept
	EXPECT_TRUE(done.empty());
	re.expire(1001, &done);
	ASSERT_EQ(done.size(), 1u);
	EXPECT_EQ(done[0].serial, 1u);
	EXPECT_FALSE(done[0].complete);
	EXPECT_EQ(re.incomplete_events(), 1u);
	re.expire(1601, &done);
	ASSERT_EQ(done.size(), 3u);
	EXPECT_EQ(done[1].serial, 2u);
	EXPECT_EQ(done[2].serial, 3u);
	EXPECT_EQ(re.incomplete_events(), 1u);
	EXPECT_EQ(re.pending(), 0u);

	// A record of a flushed event arriving late starts a new event; its EOE
	// completes it (the decoder then sees no SYSCALL).
	re.add(rec(1309, 1, "argc=0"), 2000, &done);
	re.add(rec(1320, 1), 2000, &done);
	ASSERT_EQ(done.size(), 4u);
	EXPECT_TRUE(done[3].complete);
	EXPECT_EQ(done[3].records.size(), 1u);
}

TEST(AuditReassembler, TimeoutCountsFromFirstRecord) {
	AuditReassembler re(1000, 100);
	std::vector<AuditEvent> done;
	re.add(rec(1300, 1), 0, &done);
	re.add(rec(1309, 1), 900, &done); // a later record does not renew the event
	re.expire(1001, &done);
	ASSERT_EQ(done.size(), 1u);
	EXPECT_EQ(done[0].records.size(), 2u);
}

TEST(AuditReassembler, OverflowFlushesOldestFirst) {
	AuditReassembler re(1'000'000, 3);
	std::vector<AuditEvent> done;
	for (uint64_t s = 1; s <= 3; s++) re.add(rec(1300, s), 0, &done);
	EXPECT_TRUE(done.empty());
	re.add(rec(1302, 4), 0, &done); // 4 pending > 3: serial 1 goes
	ASSERT_EQ(done.size(), 1u);
	EXPECT_EQ(done[0].serial, 1u);
	EXPECT_FALSE(done[0].complete);
	EXPECT_EQ(re.incomplete_events(), 1u);
	re.add(rec(1302, 5), 0, &done);
	ASSERT_EQ(done.size(), 2u);
	EXPECT_EQ(done[1].serial, 2u);
	EXPECT_EQ(re.pending(), 3u);
	// A record for an event already pending adds no event.
	re.add(rec(1309, 5), 0, &done);
	EXPECT_EQ(done.size(), 2u);
	EXPECT_EQ(re.incomplete_events(), 2u);

	AuditReassembler one(1000, 0); // 0 means 1: never unbounded
	done.clear();
	one.add(rec(1300, 1), 0, &done);
	one.add(rec(1300, 2), 0, &done);
	EXPECT_EQ(done.size(), 1u);
	EXPECT_EQ(one.pending(), 1u);
}

TEST(AuditReassembler, PerEventCaps) {
	AuditReassembler re;
	std::vector<AuditEvent> done;
	re.add(rec(1300, 1, "syscall=59"), 0, &done);
	for (size_t i = 0; i < AuditReassembler::kMaxExecveRecords + 4; i++) re.add(rec(1309, 1, "a0=\"x\""), 0, &done);
	for (size_t i = 0; i < AuditReassembler::kMaxOtherRecords + 2; i++) re.add(rec(1302, 1, "item=0"), 0, &done);
	re.add(rec(1320, 1), 0, &done);
	ASSERT_EQ(done.size(), 1u);
	EXPECT_TRUE(done[0].complete);
	size_t execve = 0, other = 0;
	for (const auto& r : done[0].records) (r.type == 1309 ? execve : other)++;
	EXPECT_EQ(execve, AuditReassembler::kMaxExecveRecords);
	EXPECT_EQ(other, AuditReassembler::kMaxOtherRecords);
	EXPECT_EQ(re.dropped_records(), 4u + 3u);
}

TEST(AuditReassembler, ClockExtremesAreSafe) {
	AuditReassembler re(2'000'000'000, 10);
	std::vector<AuditEvent> done;
	re.add(rec(1300, 1), INT64_MIN, &done);
	re.expire(INT64_MAX, &done); // a difference that overflows int64
	EXPECT_EQ(done.size(), 1u);
	re.add(rec(1300, 2), INT64_MAX, &done);
	re.expire(INT64_MIN, &done); // the clock went back: nothing expires early
	EXPECT_EQ(done.size(), 1u);
	EXPECT_EQ(re.pending(), 1u);
	AuditReassembler negative(-5, 10); // a negative timeout reads as 0
	done.clear();
	negative.add(rec(1300, 1), 0, &done);
	negative.expire(0, &done);
	EXPECT_TRUE(done.empty());
	negative.expire(1, &done);
	EXPECT_EQ(done.size(), 1u);
}

} // namespace
} // namespace procsql
