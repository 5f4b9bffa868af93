// procsql::EventStore: what one event table reads: the Ring of its rows and
// the TimeIndex over them, appended to together by the one writer.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "store/ring.h"
#include "store/time_index.h"

namespace procsql {

// Row must have an int64_t time_ns member.
template <class Row, size_t NStrings>
class EventStore {
public:
	using RingType = Ring<Row, NStrings>;
	using Strings = std::array<std::string_view, NStrings>;

	static std::unique_ptr<EventStore> create(uint64_t capacity, uint64_t arena_bytes, std::string* error) {
		auto ring = RingType::create(capacity, arena_bytes, error);
		if (!ring) {
			return nullptr;
		}
		return std::unique_ptr<EventStore>(new EventStore(std::move(ring), capacity));
	}

	// Single writer. Returns the row's eid, 0 if the ring refused it. (The
	// index notes the eid first; if the ring refuses the row, the next row
	// takes that eid and its note only widens the block's range: harmless.)
	uint64_t append(const Row& row, const Strings& strings) {
		index_.note(ring_->next_eid(), row.time_ns);
		return ring_->append(row, strings);
	}

	const RingType& ring() const { return *ring_; }
	const TimeIndex& time_index() const { return index_; }

	// Blocks of TimeIndex::kBlockRows rows that scans skipped without reading
	// a row, because the index proved none was in their time range: shown in
	// procsql_stats, so that losing the skip shows.
	void count_skipped_block() const { blocks_skipped_.fetch_add(1, std::memory_order_relaxed); }
	uint64_t blocks_skipped() const { return blocks_skipped_.load(std::memory_order_relaxed); }
	uint64_t memory_bytes() const { return ring_->region_bytes() + index_.memory_bytes(); }

private:
	EventStore(std::unique_ptr<RingType> ring, uint64_t capacity) : ring_(std::move(ring)), index_(capacity) {}
	std::unique_ptr<RingType> ring_;
	TimeIndex index_;
	mutable std::atomic<uint64_t> blocks_skipped_{0};
};

} // namespace procsql
