// A store whose slot lengths were damaged (a stray write; later a file that
// another process corrupted) is refused with a clear error: never a huge
// allocation, a crash or a torn row (issue 11, "untrusted lengths").
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <string>

#include "collector.h"
#include "register.h"
#include "store/ring.h"

namespace procsql {
namespace {

struct Fixed {
	uint64_t a, b;
};
using TestRing = Ring<Fixed, 3>;

// The length words of row `eid`'s slot (the layout described in ring.h).
std::atomic<uint64_t>* length_words(const void* region, uint64_t slot_words, uint64_t eid, uint64_t capacity) {
	auto* base = static_cast<uint8_t*>(const_cast<void*>(region));
	auto* slot = reinterpret_cast<std::atomic<uint64_t>*>(base + kRingHeaderBytes) + ((eid - 1) % capacity) * slot_words;
	return slot + 2; // after seq and the arena position
}

TEST(RingCorruption, LengthsBeyondTheArenaAreRefusedBeforeAnyCopy) {
	std::string error;
	auto ring = TestRing::create(16, 64 * 1024, &error);
	ASSERT_TRUE(ring) << error;
	ASSERT_EQ(ring->append(Fixed{1, 2}, {"abc", "de", "f"}), 1u);
	std::string s0, s1, s2;
	Fixed row{};
	ASSERT_EQ(ring->read(1, &row, {&s0, &s1, &s2}), ReadStatus::ok);
	EXPECT_EQ(s0 + s1 + s2, "abcdef");

	// Each string 4 GiB - 1: a reader that trusted it would allocate 12 GiB.
	auto* lens = length_words(ring->region(), TestRing::kSlotWords, 1, 16);
	lens[0].store(0xffffffffffffffffULL);
	lens[1].store(0xffffffffULL);
	std::string big0, big1, big2;
	EXPECT_EQ(ring->read(1, &row, {&big0, &big1, &big2}), ReadStatus::corrupt);
	EXPECT_LT(big0.capacity() + big1.capacity() + big2.capacity(), 1024u) << "nothing may be allocated for it";

	// Just above what the writer could store (half the arena) is corrupt
	// too; at the bound it is a row like any other.
	lens[0].store(32 * 1024 + 8);
	lens[1].store(0);
	EXPECT_EQ(ring->read(1, &row, {nullptr, nullptr, nullptr}), ReadStatus::corrupt);
	lens[0].store(32 * 1024);
	EXPECT_EQ(ring->read(1, &row, {nullptr, nullptr, nullptr}), ReadStatus::ok);
}

TEST(RingCorruption, AQueryOnACorruptStoreFailsWithAClearError) {
	Config config;
	config.capacity = 64;
	std::string error;
	auto c = Collector::without_source(config, &error);
	ASSERT_TRUE(c) << error;
	ExecRow r{};
	r.pid = 42;
	ExecStrings s{};
	s[kExecPath] = "/usr/bin/true";
	ASSERT_EQ(c->writable_exec_store().append(r, s), 1u);
	const auto& ring = c->exec_store().ring();
	using ExecRing = std::remove_cv_t<std::remove_reference_t<decltype(ring)>>;
	auto* lens = length_words(ring.region(), ExecRing::kSlotWords, 1, ring.capacity());
	lens[0].store(0xffffffffffffffffULL);

	sqlite3* db = nullptr;
	ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
	char* err = nullptr;
	ASSERT_EQ(register_all_with(db, c, &err), SQLITE_OK) << (err ? err : "");
	sqlite3_stmt* st = nullptr;
	ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT path FROM process_events", -1, &st, nullptr), SQLITE_OK);
	EXPECT_EQ(sqlite3_step(st), SQLITE_ERROR);
	EXPECT_EQ(std::string(sqlite3_errmsg(db)).find("procsql: the store is corrupt at eid 1"), 0u) << sqlite3_errmsg(db);
	sqlite3_finalize(st);
	// A query that reads no string fails too: the row is refused whole.
	ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT pid FROM process_events", -1, &st, nullptr), SQLITE_OK);
	EXPECT_EQ(sqlite3_step(st), SQLITE_ERROR);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

} // namespace
} // namespace procsql
