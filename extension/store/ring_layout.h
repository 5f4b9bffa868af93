// The memory layout of a procsql::Ring region, split out of ring.h so the
// shared-memory publisher and any out-of-process reader agree on one
// definition.
//
// A region is one contiguous block:
//
//   [RingHeader, 256 bytes][slots: capacity * slot_words * 8][arena: arena_bytes]
//
// Everything inside it is either an immutable geometry word written once
// before the region is published, or a std::atomic<uint64_t>. Nothing in it
// is a pointer: slots are found by eid, strings by 64-bit arena positions, so
// the region means the same thing at any address in any process.

#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace procsql {

// "PSQLRING" in little-endian ASCII.
constexpr uint64_t kRingMagic = 0x474e49524c515350ULL;
// Bump whenever anything in this file or the slot encoding in ring.h changes.
constexpr uint64_t kRingLayoutVersion = 2;

constexpr uint64_t kRingHeaderBytes = 256;
constexpr uint64_t kRingMinArenaBytes = 64 * 1024;
constexpr uint64_t kRingCacheLine = 64;

// The slots and the arena hold 64-bit words that are read by other threads
// (and later other processes) while the writer changes them, so they must be
// lock-free atomics that are plain 8-byte words in memory.
static_assert(std::atomic<uint64_t>::is_always_lock_free, "ring words must be lock-free");
static_assert(sizeof(std::atomic<uint64_t>) == 8, "ring words must be 8 bytes");

struct RingHeader {
	// Written last at initialisation, with release: a reader that sees the
	// magic (acquire) also sees the geometry below.
	std::atomic<uint64_t> magic;
	uint64_t layout_version;
	uint64_t fixed_bytes;   // sizeof(Fixed)
	uint64_t nstrings;      // NStrings
	uint64_t capacity;      // rows
	uint64_t arena_bytes;   // multiple of 8, >= kRingMinArenaBytes
	uint64_t slot_words;    // 64-bit words per slot
	uint64_t region_bytes;  // header + slots + arena

	// Written by the writer on every append, read by every reader: on their
	// own cache line so the counters below do not false-share with them.
	alignas(kRingCacheLine) std::atomic<uint64_t> next_eid;  // eid the next append gets
	std::atomic<uint64_t> first_eid;                         // oldest retained eid
	std::atomic<uint64_t> arena_reserve;                     // end of the last reserved payload

	// Statistics; written by the writer only, read relaxed.
	alignas(kRingCacheLine) std::atomic<uint64_t> rows_overwritten;
	std::atomic<uint64_t> rows_evicted_by_arena;
	std::atomic<uint64_t> arena_bytes_overwritten;
	std::atomic<uint64_t> rows_rejected_too_large;
};

static_assert(sizeof(RingHeader) <= kRingHeaderBytes, "RingHeader outgrew its reserved bytes");
static_assert(std::is_standard_layout<RingHeader>::value, "RingHeader must have a fixed layout");

} // namespace procsql
