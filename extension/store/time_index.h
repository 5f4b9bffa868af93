// procsql::TimeIndex: a zone map over a Ring's eids, so a time-range scan
// skips whole blocks of rows without reading them.
//
// Rows are not in time order (each CPU's records reach the ring buffer in its
// own order), so a scan cannot stop at the first row past its range. Instead
// every block of kBlockRows consecutive eids keeps the minimum and maximum
// time_ns of its rows; a block whose [min, max] misses the range is skipped.
//
// One writer (the store's), any number of readers. The writer notes a row's
// time BEFORE the ring publishes the row (the ring's release of next_eid), so
// a reader that acquired next_eid sees the bounds of every row below it. A
// block entry is reused for block b + kBlocks only after all of block b's rows
// have left the ring (kBlocks covers capacity + 2 blocks), and is re-tagged
// under a sequence check, so a reader either gets a block's own bounds or
// "unknown" (scan it), never another block's.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace procsql {

class TimeIndex {
public:
	static constexpr uint64_t kBlockRows = 1024;

	// One block's bounds. Plain 64-bit atomics, zero meaning "unknown": a
	// zero-filled region is an empty index, and the entries mean the same in
	// every process that maps them (event_store.h places them in a region).
	struct Entry {
		std::atomic<uint64_t> tag{0};
		std::atomic<int64_t> min{0};
		std::atomic<int64_t> max{0};
	};
	static_assert(sizeof(Entry) == 24, "TimeIndex::Entry is part of the store format");

	// Entries for a ring of `capacity_rows`.
	static uint64_t blocks_for(uint64_t capacity_rows) { return capacity_rows / kBlockRows + 2; }

	// An index with entries of its own (tests, benchmarks).
	explicit TimeIndex(uint64_t capacity_rows)
	    : blocks_(blocks_for(capacity_rows)), owned_(new Entry[blocks_]), entries_(owned_.get()) {}
	// An index over `blocks` entries in a region (zero-filled, or left by an
	// earlier writer of the same store), which must outlive it.
	TimeIndex(Entry* entries, uint64_t blocks) : blocks_(blocks), entries_(entries) {}

	static uint64_t block_of(uint64_t eid) { return eid / kBlockRows; }
	static uint64_t first_eid_of(uint64_t block) { return block * kBlockRows; }

	// Writer: row `eid` has time `time_ns`. Eids must not decrease.
	void note(uint64_t eid, int64_t time_ns) {
		const uint64_t block = block_of(eid);
		Entry& e = entries_[block % blocks_];
		const uint64_t tag = block + 1; // 0 means "being re-tagged"
		// Orders are release/acquire on every word rather than relaxed words
		// between fences: ThreadSanitizer does not model fences (gcc warns so),
		// and on x86-64 both compile to plain moves.
		if (e.tag.load(std::memory_order_relaxed) != tag) {
			e.tag.store(0, std::memory_order_relaxed);
			// Release: a reader that acquires the new bounds also sees tag 0.
			e.min.store(time_ns, std::memory_order_release);
			e.max.store(time_ns, std::memory_order_release);
			e.tag.store(tag, std::memory_order_release);
			return;
		}
		// Only ever widens: a reader racing with it sees a range that is still
		// right for every row it may read (those below the next_eid it acquired).
		if (time_ns < e.min.load(std::memory_order_relaxed)) {
			e.min.store(time_ns, std::memory_order_release);
		}
		if (time_ns > e.max.load(std::memory_order_relaxed)) {
			e.max.store(time_ns, std::memory_order_release);
		}
	}

	// Reader: false only when no row of `block` can have a time in [lo, hi]
	// (inclusive). Unknown or re-tagged blocks answer true.
	bool may_contain(uint64_t block, int64_t lo, int64_t hi) const {
		const Entry& e = entries_[block % blocks_];
		const uint64_t tag = block + 1;
		if (e.tag.load(std::memory_order_acquire) != tag) {
			return true;
		}
		// Acquire loads keep the second tag check after them.
		const int64_t min = e.min.load(std::memory_order_acquire);
		const int64_t max = e.max.load(std::memory_order_acquire);
		if (e.tag.load(std::memory_order_acquire) != tag) {
			return true;
		}
		return !(max < lo || min > hi);
	}

	uint64_t memory_bytes() const { return blocks_ * sizeof(Entry); }

private:
	uint64_t blocks_;
	std::unique_ptr<Entry[]> owned_;
	Entry* entries_;
};

} // namespace procsql
