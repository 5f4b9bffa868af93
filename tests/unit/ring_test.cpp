// Tests for procsql::Ring (extension/store/ring.h): eids, exact read-back,
// capacity wrap, arena eviction, attach(), and a one-writer/many-reader
// stress that must stay clean under ThreadSanitizer.

#include "store/ring.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define PROCSQL_RING_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define PROCSQL_RING_TEST_SANITIZED 1
#endif
#endif

namespace {

#ifdef PROCSQL_RING_TEST_SANITIZED
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

struct Row {
	uint64_t eid;
	uint64_t pid;
	int32_t uid;
	uint32_t flags;
	char comm[16];
};
static_assert(sizeof(Row) == 40, "test row layout");

using TestRing = procsql::Ring<Row, 2>;
using procsql::ReadStatus;

constexpr uint64_t kArena = 64 * 1024;

Row make_row(uint64_t eid) {
	Row r {};
	r.eid = eid;
	r.pid = eid * 31 + 7;
	r.uid = static_cast<int32_t>(eid % 1000) - 500;
	r.flags = static_cast<uint32_t>(eid ^ 0xa5a5a5a5u);
	std::snprintf(r.comm, sizeof(r.comm), "c%llu", static_cast<unsigned long long>(eid % 100000));
	return r;
}

// Deterministic string content derived from (eid, which, len); includes NUL
// bytes so nothing relies on C strings.
std::string make_string(uint64_t eid, int which, size_t len) {
	std::string s(len, '\0');
	for (size_t i = 0; i < len; i++) {
		s[i] = static_cast<char>((eid * 131 + static_cast<uint64_t>(which) * 17 + i * 7) % 256);
	}
	return s;
}

void expect_row(const Row& got, uint64_t eid) {
	const Row want = make_row(eid);
	EXPECT_EQ(0, std::memcmp(&got, &want, sizeof(Row))) << "eid " << eid;
}

TEST(Ring, CreateRejectsBadSizes) {
	std::string err;
	EXPECT_EQ(nullptr, TestRing::create(0, kArena, &err));
	EXPECT_NE(std::string::npos, err.find("capacity")) << err;
	err.clear();
	EXPECT_EQ(nullptr, TestRing::create(16, kArena - 8, &err));
	EXPECT_NE(std::string::npos, err.find("arena")) << err;
	err.clear();
	EXPECT_EQ(nullptr, TestRing::create(16, kArena + 4, &err));
	EXPECT_NE(std::string::npos, err.find("multiple of 8")) << err;
	err.clear();
	EXPECT_EQ(nullptr, TestRing::create(UINT64_MAX / 4, kArena, &err));
	EXPECT_NE(std::string::npos, err.find("overflow")) << err;
	EXPECT_EQ(0u, TestRing::region_bytes(0, kArena));
	EXPECT_EQ(nullptr, TestRing::create(0, kArena, nullptr)); // null error is allowed
}

TEST(Ring, RegionBytesIsTheMemoryBound) {
	std::string err;
	auto ring = TestRing::create(1000, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	EXPECT_EQ(1000u, ring->capacity());
	EXPECT_EQ(kArena, ring->arena_bytes());
	EXPECT_EQ(TestRing::region_bytes(1000, kArena), ring->region_bytes());
	// header + slots (40 fixed + pos + seq + 1 length word = 8 words) + arena
	EXPECT_EQ(256u + 1000u * 8 * 8 + kArena, ring->region_bytes());
}

TEST(Ring, EidsStartAtOneAndRowsReadBackExactly) {
	std::string err;
	auto ring = TestRing::create(64, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	EXPECT_EQ(1u, ring->first_eid());
	EXPECT_EQ(1u, ring->next_eid());

	// Lengths around word boundaries, empty strings, NUL bytes.
	const std::vector<size_t> lens = {0, 1, 7, 8, 9, 15, 16, 17, 100, 255, 0, 3};
	std::vector<std::array<std::string, 2>> stored;
	for (size_t i = 0; i < lens.size(); i++) {
		const uint64_t eid = i + 1;
		std::array<std::string, 2> s = {make_string(eid, 0, lens[i]), make_string(eid, 1, lens[lens.size() - 1 - i])};
		EXPECT_EQ(eid, ring->append(make_row(eid), {s[0], s[1]}));
		stored.push_back(s);
	}
	const std::string with_nul("a\0b", 3); // an embedded NUL, explicitly
	EXPECT_EQ(13u, ring->append(make_row(13), {with_nul, ""}));
	stored.push_back({with_nul, ""});

	EXPECT_EQ(1u, ring->first_eid());
	EXPECT_EQ(14u, ring->next_eid());
	for (uint64_t eid = 1; eid < 14; eid++) {
		Row row;
		std::string a = "junk", b = "junk";
		ASSERT_EQ(ReadStatus::ok, ring->read(eid, &row, {&a, &b})) << eid;
		expect_row(row, eid);
		EXPECT_EQ(stored[eid - 1][0], a) << eid;
		EXPECT_EQ(stored[eid - 1][1], b) << eid;
	}
	const auto c = ring->counters();
	EXPECT_EQ(13u, c.appended);
	EXPECT_EQ(0u, c.rows_overwritten);
	EXPECT_EQ(0u, c.rows_evicted_by_arena);
	EXPECT_EQ(0u, c.arena_bytes_overwritten);
	EXPECT_EQ(0u, c.rows_rejected_too_large);
}

TEST(Ring, NullOutputsSkipCopying) {
	std::string err;
	auto ring = TestRing::create(8, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	ASSERT_EQ(1u, ring->append(make_row(1), {"first string", "second"}));

	std::string a = "untouched", b = "untouched";
	Row row;
	ASSERT_EQ(ReadStatus::ok, ring->read(1, &row, {nullptr, &b}));
	expect_row(row, 1);
	EXPECT_EQ("second", b);
	EXPECT_EQ("untouched", a);

	b = "untouched";
	ASSERT_EQ(ReadStatus::ok, ring->read(1, &row, {&a, nullptr}));
	EXPECT_EQ("first string", a);
	EXPECT_EQ("untouched", b);

	// Neither fixed fields nor strings: still reports the row's status.
	EXPECT_EQ(ReadStatus::ok, ring->read(1, nullptr, {nullptr, nullptr}));
	EXPECT_EQ(ReadStatus::not_yet, ring->read(2, nullptr, {nullptr, nullptr}));
	EXPECT_EQ(ReadStatus::gone, ring->read(0, nullptr, {nullptr, nullptr}));
}

TEST(Ring, CapacityWrapOverwritesOldestAndCounts) {
	std::string err;
	constexpr uint64_t kCap = 16;
	constexpr uint64_t kExtra = 5;
	auto ring = TestRing::create(kCap, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	for (uint64_t eid = 1; eid <= kCap + kExtra; eid++) {
		const std::string a = make_string(eid, 0, eid % 13), b = make_string(eid, 1, eid % 5);
		ASSERT_EQ(eid, ring->append(make_row(eid), {a, b}));
	}
	EXPECT_EQ(kExtra + 1, ring->first_eid());
	EXPECT_EQ(kCap + kExtra + 1, ring->next_eid());
	Row row;
	std::string a, b;
	for (uint64_t eid = 1; eid <= kExtra; eid++) {
		EXPECT_EQ(ReadStatus::gone, ring->read(eid, &row, {&a, &b})) << eid;
		EXPECT_EQ(ReadStatus::gone, ring->read(eid, nullptr, {nullptr, nullptr})) << eid;
	}
	for (uint64_t eid = kExtra + 1; eid <= kCap + kExtra; eid++) {
		ASSERT_EQ(ReadStatus::ok, ring->read(eid, &row, {&a, &b})) << eid;
		expect_row(row, eid);
		EXPECT_EQ(make_string(eid, 0, eid % 13), a);
		EXPECT_EQ(make_string(eid, 1, eid % 5), b);
	}
	EXPECT_EQ(ReadStatus::not_yet, ring->read(kCap + kExtra + 1, &row, {&a, &b}));
	EXPECT_EQ(ReadStatus::not_yet, ring->read(UINT64_MAX, &row, {&a, &b}));
	const auto c = ring->counters();
	EXPECT_EQ(kCap + kExtra, c.appended);
	EXPECT_EQ(kExtra, c.rows_overwritten);
	EXPECT_EQ(0u, c.rows_evicted_by_arena);
	EXPECT_EQ(0u, c.arena_bytes_overwritten);
	EXPECT_EQ(0u, c.rows_rejected_too_large);
}

TEST(Ring, ArenaEvictsWholeRowsBeforeReusingTheirBytes) {
	std::string err;
	auto ring = TestRing::create(100, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	// 8000-byte payloads: 8 fit in 64 KiB (64000 bytes), a 9th does not.
	constexpr size_t kA = 5000, kB = 3000;
	for (uint64_t eid = 1; eid <= 20; eid++) {
		const std::string a = make_string(eid, 0, kA), b = make_string(eid, 1, kB);
		ASSERT_EQ(eid, ring->append(make_row(eid), {a, b}));
		// After every append, each retained row is wholly intact.
		const uint64_t want_first = eid > 8 ? eid - 7 : 1;
		ASSERT_EQ(want_first, ring->first_eid()) << "after append " << eid;
		for (uint64_t e = 1; e <= eid; e++) {
			Row row;
			std::string ga, gb;
			const ReadStatus st = ring->read(e, &row, {&ga, &gb});
			if (e < want_first) {
				EXPECT_EQ(ReadStatus::gone, st) << e;
				// Even without copying strings, an evicted row is gone.
				EXPECT_EQ(ReadStatus::gone, ring->read(e, &row, {nullptr, nullptr})) << e;
				continue;
			}
			ASSERT_EQ(ReadStatus::ok, st) << e << " after append " << eid;
			expect_row(row, e);
			ASSERT_EQ(make_string(e, 0, kA), ga) << e;
			ASSERT_EQ(make_string(e, 1, kB), gb) << e;
		}
	}
	const auto c = ring->counters();
	EXPECT_EQ(20u, c.appended);
	EXPECT_EQ(0u, c.rows_overwritten);
	EXPECT_EQ(12u, c.rows_evicted_by_arena);
	EXPECT_EQ(12u * (kA + kB), c.arena_bytes_overwritten);
	EXPECT_EQ(0u, c.rows_rejected_too_large);
}

TEST(Ring, PaddedPayloadCountsAndStringsWrapTheArenaEnd) {
	std::string err;
	auto ring = TestRing::create(1000, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	// 1001 + 3 bytes -> 1008 + 8 padded; positions do not divide 64 KiB, so
	// strings straddle the arena's end as it wraps.
	for (uint64_t eid = 1; eid <= 300; eid++) {
		const std::string a = make_string(eid, 0, 1001), b = make_string(eid, 1, 3);
		ASSERT_EQ(eid, ring->append(make_row(eid), {a, b}));
	}
	// 65536 / 1016 = 64.5: the newest 64 rows are retained.
	EXPECT_EQ(300u - 64 + 1, ring->first_eid());
	for (uint64_t e = ring->first_eid(); e < ring->next_eid(); e++) {
		Row row;
		std::string a, b;
		ASSERT_EQ(ReadStatus::ok, ring->read(e, &row, {&a, &b})) << e;
		expect_row(row, e);
		ASSERT_EQ(make_string(e, 0, 1001), a) << e;
		ASSERT_EQ(make_string(e, 1, 3), b) << e;
	}
	const auto c = ring->counters();
	EXPECT_EQ(300u - 64, c.rows_evicted_by_arena);
	EXPECT_EQ((300u - 64) * 1016, c.arena_bytes_overwritten);
	EXPECT_EQ(c.appended, (ring->next_eid() - ring->first_eid()) + c.rows_overwritten + c.rows_evicted_by_arena);
}

TEST(Ring, TooLargeRowIsRejectedAndCounted) {
	std::string err;
	auto ring = TestRing::create(16, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	ASSERT_EQ(1u, ring->append(make_row(1), {"kept", ""}));
	// Limit is arena_bytes / 2 of padded payload.
	const std::string big(kArena / 2 - 8, 'x');
	EXPECT_EQ(0u, ring->append(make_row(2), {big, std::string(9, 'y')})); // pads to 32768 + 8
	EXPECT_EQ(0u, ring->append(make_row(2), {std::string(kArena, 'z'), ""}));
	EXPECT_EQ(2u, ring->next_eid());
	auto c = ring->counters();
	EXPECT_EQ(2u, c.rows_rejected_too_large);
	EXPECT_EQ(1u, c.appended);

	// Exactly arena_bytes / 2 is accepted.
	EXPECT_EQ(2u, ring->append(make_row(2), {big, std::string(8, 'y')}));
	Row row;
	std::string a, b;
	ASSERT_EQ(ReadStatus::ok, ring->read(1, &row, {&a, &b}));
	EXPECT_EQ("kept", a);
	ASSERT_EQ(ReadStatus::ok, ring->read(2, &row, {&a, &b}));
	EXPECT_EQ(big, a);
	EXPECT_EQ(std::string(8, 'y'), b);
	c = ring->counters();
	EXPECT_EQ(2u, c.rows_rejected_too_large);
	EXPECT_EQ(2u, c.appended);
}

TEST(Ring, AttachedViewReadsTheSameRowsLive) {
	std::string err;
	auto ring = TestRing::create(32, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	auto view = TestRing::attach(ring->region(), ring->region_bytes(), &err);
	ASSERT_NE(nullptr, view) << err;
	EXPECT_EQ(32u, view->capacity());
	EXPECT_EQ(kArena, view->arena_bytes());
	EXPECT_EQ(ring->region_bytes(), view->region_bytes());
	for (uint64_t eid = 1; eid <= 40; eid++) {
		const std::string a = make_string(eid, 0, eid * 3), b = make_string(eid, 1, 11);
		ASSERT_EQ(eid, ring->append(make_row(eid), {a, b}));
		EXPECT_EQ(eid + 1, view->next_eid());
	}
	EXPECT_EQ(ring->first_eid(), view->first_eid());
	EXPECT_EQ(ReadStatus::gone, view->read(8, nullptr, {nullptr, nullptr}));
	for (uint64_t e = view->first_eid(); e < view->next_eid(); e++) {
		Row row;
		std::string a, b;
		ASSERT_EQ(ReadStatus::ok, view->read(e, &row, {&a, &b})) << e;
		expect_row(row, e);
		EXPECT_EQ(make_string(e, 0, e * 3), a);
		EXPECT_EQ(make_string(e, 1, 11), b);
	}
	EXPECT_EQ(8u, view->counters().rows_overwritten);
	view.reset(); // a view does not unmap the writer's region
	EXPECT_EQ(ReadStatus::ok, ring->read(40, nullptr, {nullptr, nullptr}));
}

// Position independence: a byte copy of the region at another address,
// mapped read-only, reads back the same rows.
TEST(Ring, AttachToReadOnlyCopyAtAnotherAddress) {
	std::string err;
	auto ring = TestRing::create(16, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	for (uint64_t eid = 1; eid <= 20; eid++) {
		const std::string a = make_string(eid, 0, 40 + eid), b = make_string(eid, 1, eid);
		ASSERT_EQ(eid, ring->append(make_row(eid), {a, b}));
	}
	const size_t len = ring->region_bytes();
	void* copy = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, copy);
	std::memcpy(copy, ring->region(), len);
	ring.reset(); // the original is gone entirely
	ASSERT_EQ(0, mprotect(copy, len, PROT_READ));
	{
		auto view = TestRing::attach(copy, len, &err);
		ASSERT_NE(nullptr, view) << err;
		EXPECT_EQ(5u, view->first_eid());
		EXPECT_EQ(21u, view->next_eid());
		for (uint64_t e = 5; e <= 20; e++) {
			Row row;
			std::string a, b;
			ASSERT_EQ(ReadStatus::ok, view->read(e, &row, {&a, &b})) << e;
			expect_row(row, e);
			EXPECT_EQ(make_string(e, 0, 40 + e), a);
			EXPECT_EQ(make_string(e, 1, e), b);
		}
		EXPECT_EQ(20u, view->counters().appended);
		EXPECT_EQ(4u, view->counters().rows_overwritten);
	}
	munmap(copy, len);
}

TEST(Ring, AttachRefusesBadRegions) {
	std::string err;
	auto ring = TestRing::create(16, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	ASSERT_EQ(1u, ring->append(make_row(1), {"x", "y"}));
	const size_t len = ring->region_bytes();
	std::vector<uint64_t> buf(len / 8);
	std::memcpy(buf.data(), ring->region(), len);
	auto* words = buf.data();

	EXPECT_EQ(nullptr, TestRing::attach(nullptr, len, &err));
	EXPECT_EQ(nullptr, TestRing::attach(words, 100, &err));
	EXPECT_NE(std::string::npos, err.find("smaller than the header")) << err;
	EXPECT_EQ(nullptr, TestRing::attach(words, len - 8, &err));
	EXPECT_NE(std::string::npos, err.find("mapping has")) << err;

	// Word offsets follow RingHeader: magic, version, fixed_bytes, nstrings,
	// capacity, arena_bytes, slot_words, region_bytes.
	auto corrupt = [&](size_t word, uint64_t value, const char* want) {
		const uint64_t saved = words[word];
		words[word] = value;
		err.clear();
		EXPECT_EQ(nullptr, TestRing::attach(words, len, &err)) << want;
		EXPECT_NE(std::string::npos, err.find(want)) << err;
		words[word] = saved;
	};
	corrupt(0, 0x1234, "bad magic");
	corrupt(1, procsql::kRingLayoutVersion + 1, "layout version");
	corrupt(2, 48, "row shape");
	corrupt(3, 3, "row shape");
	corrupt(4, 0, "capacity");
	corrupt(4, 1 << 20, "mapping has");
	corrupt(5, 1000, "arena");

	// A different row type on the same region is refused too.
	struct Other {
		uint64_t a[6];
	};
	EXPECT_EQ(nullptr, (procsql::Ring<Other, 2>::attach(words, len, &err)));
	EXPECT_NE(std::string::npos, err.find("row shape")) << err;
	EXPECT_EQ(nullptr, (procsql::Ring<Row, 3>::attach(words, len, &err)));

	// The untouched copy attaches fine.
	auto view = TestRing::attach(words, len, &err);
	ASSERT_NE(nullptr, view) << err;
	std::string a, b;
	EXPECT_EQ(ReadStatus::ok, view->read(1, nullptr, {&a, &b}));
	EXPECT_EQ("x", a);
	EXPECT_EQ("y", b);
}

// One writer, four readers (two on the ring, two on an attached view). Every
// row's contents are a function of its eid, so a reader can check that any
// row it gets `ok` is not torn. Capacity and arena are small and string sizes
// alternate between phases, so both capacity overwrite and arena eviction
// happen constantly.
TEST(Ring, ConcurrentReadersNeverSeeTornRows) {
	std::string err;
	constexpr uint64_t kCap = 512;
	auto ring = TestRing::create(kCap, kArena, &err);
	ASSERT_NE(nullptr, ring) << err;
	auto view = TestRing::attach(ring->region(), ring->region_bytes(), &err);
	ASSERT_NE(nullptr, view) << err;

	// Sanitizers slow every atomic access down a lot (TSan ~30x on two
	// cores); the ring still wraps every few hundred appends, so 400k keeps
	// thousands of laps while keeping the test short.
	constexpr uint64_t kAppends = kSanitized ? 400000 : 2000000;
	// Phase of 3000 rows with short strings (capacity-bound), then 3000 with
	// long ones (arena-bound: ~400 bytes a row, ~160 rows fit).
	auto len_a = [](uint64_t eid) -> size_t { return (eid / 3000) % 2 ? 150 + eid % 300 : eid % 17; };
	auto len_b = [](uint64_t eid) -> size_t { return (eid / 3000) % 2 ? eid % 211 : eid % 9; };

	std::atomic<bool> done {false};
	struct Stats {
		uint64_t ok = 0, gone = 0, bad = 0, not_yet = 0, backwards = 0;
	};
	std::vector<Stats> stats(4);

	auto reader = [&](const TestRing* r, Stats* st, bool strings) {
		Row row;
		std::string a, b;
		uint64_t last_first = 0;
		auto check = [&](uint64_t e) {
			const ReadStatus status = strings ? r->read(e, &row, {&a, &b}) : r->read(e, &row, {nullptr, &b});
			if (status == ReadStatus::gone) {
				st->gone++;
				return;
			}
			if (status == ReadStatus::not_yet) {
				st->not_yet++;
				return;
			}
			const Row want = make_row(e);
			bool good = std::memcmp(&row, &want, sizeof(Row)) == 0 && b == make_string(e, 1, len_b(e));
			if (strings) {
				good = good && a == make_string(e, 0, len_a(e));
			}
			st->ok++;
			st->bad += good ? 0 : 1;
		};
		while (!done.load(std::memory_order_acquire)) {
			const uint64_t first = r->first_eid();
			const uint64_t next = r->next_eid();
			st->backwards += first < last_first ? 1 : 0;
			last_first = first;
			for (uint64_t e = first; e < next; e++) {
				check(e);
			}
		}
		// The writer has stopped: every retained row must now read back ok.
		const uint64_t before = st->gone;
		for (uint64_t e = r->first_eid(); e < r->next_eid(); e++) {
			check(e);
		}
		st->bad += st->gone - before;
	};

	std::vector<std::thread> readers;
	readers.emplace_back(reader, ring.get(), &stats[0], true);
	readers.emplace_back(reader, ring.get(), &stats[1], false);
	readers.emplace_back(reader, view.get(), &stats[2], true);
	readers.emplace_back(reader, view.get(), &stats[3], true);

	// No ASSERT here: returning early would leave the readers unjoined.
	uint64_t wrong_eids = 0;
	std::string a, b;
	for (uint64_t eid = 1; eid <= kAppends; eid++) {
		a = make_string(eid, 0, len_a(eid));
		b = make_string(eid, 1, len_b(eid));
		wrong_eids += ring->append(make_row(eid), {a, b}) == eid ? 0 : 1;
	}
	done.store(true, std::memory_order_release);
	for (auto& t : readers) {
		t.join();
	}

	EXPECT_EQ(0u, wrong_eids);
	uint64_t total_ok = 0;
	for (size_t i = 0; i < stats.size(); i++) {
		EXPECT_EQ(0u, stats[i].bad) << "reader " << i << " got a torn or wrong row";
		EXPECT_EQ(0u, stats[i].not_yet) << "reader " << i;
		EXPECT_EQ(0u, stats[i].backwards) << "reader " << i << " saw first_eid go backwards";
		EXPECT_GT(stats[i].ok, 0u) << "reader " << i;
		total_ok += stats[i].ok;
	}
	EXPECT_GT(total_ok, 10000u);

	const auto c = ring->counters();
	EXPECT_EQ(kAppends, c.appended);
	EXPECT_GT(c.rows_overwritten, 0u);
	EXPECT_GT(c.rows_evicted_by_arena, 0u);
	EXPECT_GT(c.arena_bytes_overwritten, 0u);
	EXPECT_EQ(0u, c.rows_rejected_too_large);
	EXPECT_EQ(c.appended, (ring->next_eid() - ring->first_eid()) + c.rows_overwritten + c.rows_evicted_by_arena);
	std::printf("stress: %llu appends; reads ok %llu, gone %llu; overwritten %llu, evicted by arena %llu\n",
	            static_cast<unsigned long long>(kAppends), static_cast<unsigned long long>(total_ok),
	            static_cast<unsigned long long>(stats[0].gone + stats[1].gone + stats[2].gone + stats[3].gone),
	            static_cast<unsigned long long>(c.rows_overwritten),
	            static_cast<unsigned long long>(c.rows_evicted_by_arena));
}

} // namespace
