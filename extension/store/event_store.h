// procsql::EventStore: what one event table reads: the Ring of its rows and
// the TimeIndex over them, appended to together by the one writer, both in
// one Region behind a StoreHeader:
//
//   [StoreHeader, 4 KiB][TimeIndex entries, to 4 KiB][Ring: header, slots, arena]
//
// Embedded, the region is anonymous memory; under procsqld it is a file in
// the state directory that readers map read-only (store_dir.h). The layout,
// and the code that reads it, are the same.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "store/region.h"
#include "store/ring.h"
#include "store/store_header.h"
#include "store/time_index.h"

namespace procsql {

// The body geometry kept in StoreHeader::params of an events region.
enum EventStoreParam { kParamCapacity, kParamArena, kParamIndexBlocks, kParamIndexOffset, kParamRingOffset,
	                   kParamRingBytes };

// Row must have an int64_t time_ns member.
template <class Row, size_t NStrings>
class EventStore {
public:
	using RingType = Ring<Row, NStrings>;
	using Strings = std::array<std::string_view, NStrings>;

	// What distinguishes this store's rows from another's: its columns (from
	// the caller: the table's schema) and this row layout.
	static uint64_t schema_hash(uint64_t columns_hash) {
		const uint64_t shape[] = {columns_hash, sizeof(Row), NStrings, RingType::kSlotWords, kRingLayoutVersion,
		                          sizeof(TimeIndex::Entry), TimeIndex::kBlockRows};
		return fnv1a64(shape, sizeof(shape));
	}

	// Bytes of a region for these settings; 0 if they are invalid.
	static uint64_t region_bytes(uint64_t capacity, uint64_t arena_bytes) {
		Layout l;
		return layout(capacity, arena_bytes, &l, nullptr) ? l.total : 0;
	}

	// A new, empty store in anonymous memory (the embedded collector).
	static std::unique_ptr<EventStore> create(uint64_t capacity, uint64_t arena_bytes, std::string* error) {
		StoreIdentity id{StoreKind::events, "events", 0, "", ""};
		return create(capacity, arena_bytes, id, error);
	}
	static std::unique_ptr<EventStore> create(uint64_t capacity, uint64_t arena_bytes, const StoreIdentity& id,
	                                          std::string* error) {
		Layout l;
		if (!layout(capacity, arena_bytes, &l, error)) {
			return nullptr;
		}
		Region region = Region::anonymous(l.total, error);
		if (!region) {
			*error = "procsql store: " + *error;
			return nullptr;
		}
		return create_in(std::move(region), capacity, arena_bytes, id, error);
	}

	// A new, empty store in a zero-filled writable region of exactly
	// region_bytes(capacity, arena_bytes) (a fresh store file).
	static std::unique_ptr<EventStore> create_in(Region region, uint64_t capacity, uint64_t arena_bytes,
	                                             const StoreIdentity& id, std::string* error) {
		Layout l;
		if (!layout(capacity, arena_bytes, &l, error)) {
			return nullptr;
		}
		if (region.size() < l.total || !region.writable()) {
			*error = "procsql store: the region is too small or read-only";
			return nullptr;
		}
		auto ring = RingType::create_in(region.data() + l.ring_offset, l.ring_bytes, capacity, arena_bytes, error);
		if (!ring) {
			return nullptr;
		}
		const uint64_t params[6] = {capacity, arena_bytes, l.index_blocks, l.index_offset, l.ring_offset, l.ring_bytes};
		init_store_header(region.data(), l.total, id, params);
		return std::unique_ptr<EventStore>(new EventStore(std::move(region), std::move(ring), l));
	}

	// The writer of a store an earlier writer left (procsqld restarted):
	// checked like attach() against `id` and the settings (a store made with
	// another capacity or arena is refused, and procsqld sets it aside). A
	// row that writer was killed in the middle of is discarded and counted.
	// *discarded_now (may be null) says whether this reopen discarded one.
	static std::unique_ptr<EventStore> reopen(Region region, uint64_t capacity, uint64_t arena_bytes,
	                                          const StoreIdentity& id, std::string* error,
	                                          bool* discarded_now = nullptr) {
		Layout l;
		if (!checked_layout(region, id, error, &l)) {
			return nullptr;
		}
		if (l.capacity != capacity || l.arena != arena_bytes) {
			*error = id.table + " store: made with capacity " + std::to_string(l.capacity) + " and arena " +
			         std::to_string(l.arena) + " bytes; the settings now say " + std::to_string(capacity) + " and " +
			         std::to_string(arena_bytes);
			return nullptr;
		}
		bool discarded = false;
		auto ring = RingType::reopen(region.data() + l.ring_offset, l.ring_bytes, &discarded, error);
		if (!ring) {
			*error = id.table + " store: " + *error;
			return nullptr;
		}
		auto* h = reinterpret_cast<StoreHeader*>(region.data());
		if (discarded) {
			h->rows_discarded.fetch_add(1, std::memory_order_relaxed);
		}
		if (discarded_now != nullptr) {
			*discarded_now = discarded;
		}
		return std::unique_ptr<EventStore>(new EventStore(std::move(region), std::move(ring), l));
	}

	// A read-only view of a store in `region` (a reader's mapping of a store
	// file). Nothing in it is trusted before it is checked against `expect`
	// and the mapping's size.
	static std::unique_ptr<const EventStore> attach(Region region, const StoreIdentity& expect, std::string* error) {
		Layout l;
		if (!checked_layout(region, expect, error, &l)) {
			return nullptr;
		}
		auto ring = RingType::attach(region.data() + l.ring_offset, l.ring_bytes, error);
		if (!ring) {
			*error = expect.table + " store: " + *error;
			return nullptr;
		}
		if (ring->capacity() != l.capacity || ring->arena_bytes() != l.arena || ring->region_bytes() != l.ring_bytes) {
			*error = expect.table + " store: its ring disagrees with its header";
			return nullptr;
		}
		// The ring is only ever read through this const view.
		std::unique_ptr<RingType> view(const_cast<RingType*>(ring.release()));
		return std::unique_ptr<const EventStore>(new EventStore(std::move(region), std::move(view), l));
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
	const StoreHeader& header() const { return *reinterpret_cast<const StoreHeader*>(region_.data()); }
	StoreHeader& writable_header() { return *reinterpret_cast<StoreHeader*>(region_.data()); }

	// Blocks of TimeIndex::kBlockRows rows that scans skipped without reading
	// a row, because the index proved none was in their time range: shown in
	// procsql_stats, so that losing the skip shows. Counted by this process's
	// scans (a reader never writes to a store it maps).
	void count_skipped_block() const { blocks_skipped_.fetch_add(1, std::memory_order_relaxed); }
	uint64_t blocks_skipped() const { return blocks_skipped_.load(std::memory_order_relaxed); }
	uint64_t memory_bytes() const { return region_.size(); }

private:
	struct Layout {
		uint64_t capacity = 0, arena = 0;
		uint64_t index_blocks = 0, index_offset = 0, ring_offset = 0, ring_bytes = 0, total = 0;
	};
	static uint64_t round_page(uint64_t n) { return (n + 4095) & ~uint64_t(4095); }

	static bool layout(uint64_t capacity, uint64_t arena_bytes, Layout* l, std::string* error) {
		std::string why;
		const size_t ring_bytes = RingType::region_bytes(capacity, arena_bytes);
		if (ring_bytes == 0) {
			RingType::create_in(nullptr, 0, capacity, arena_bytes, &why); // for its message
			if (error != nullptr) *error = why;
			return false;
		}
		l->capacity = capacity;
		l->arena = arena_bytes;
		l->index_blocks = TimeIndex::blocks_for(capacity);
		l->index_offset = kStoreHeaderBytes;
		l->ring_offset = l->index_offset + round_page(l->index_blocks * sizeof(TimeIndex::Entry));
		l->ring_bytes = ring_bytes;
		l->total = round_page(l->ring_offset + ring_bytes);
		return true;
	}

	// The header checked against `expect` and the region, then its geometry
	// against what those settings would lay out: every offset a reader uses
	// comes from layout(), never from the file.
	static bool checked_layout(const Region& region, const StoreIdentity& expect, std::string* error, Layout* l) {
		if (!check_store_header(region.data(), region.size(), expect, error)) {
			return false;
		}
		const auto* h = reinterpret_cast<const StoreHeader*>(region.data());
		const uint64_t capacity = h->params[kParamCapacity];
		const uint64_t arena = h->params[kParamArena];
		if (capacity > (uint64_t(1) << 40) || arena > (uint64_t(1) << 46) || !layout(capacity, arena, l, nullptr) ||
		    l->index_blocks != h->params[kParamIndexBlocks] || l->index_offset != h->params[kParamIndexOffset] ||
		    l->ring_offset != h->params[kParamRingOffset] || l->ring_bytes != h->params[kParamRingBytes] ||
		    l->total != h->region_bytes) {
			*error = expect.table + " store: its geometry does not add up (capacity " + std::to_string(capacity) +
			         ", arena " + std::to_string(arena) + ", " + std::to_string(h->region_bytes) + " bytes)";
			return false;
		}
		return true;
	}

	EventStore(Region region, std::unique_ptr<RingType> ring, const Layout& l)
	    : region_(std::move(region)), ring_(std::move(ring)),
	      index_(reinterpret_cast<TimeIndex::Entry*>(region_.data() + l.index_offset), l.index_blocks) {}

	Region region_; // first: the ring and the index point into it
	std::unique_ptr<RingType> ring_;
	TimeIndex index_;
	mutable std::atomic<uint64_t> blocks_skipped_{0};
};

} // namespace procsql
