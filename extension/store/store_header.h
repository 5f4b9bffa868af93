// The header at the start of every region procsql keeps a store in: what a
// reader checks before it trusts a byte of the rest.
//
// Under procsqld each table's store is a file in the state directory that
// other processes map read-only, possibly a file left by an older procsqld,
// one damaged on disk, or a file that is not procsql's at all. So the header
// says which format it is (magic, format version), what rows it holds (the
// table and a hash of its schema and row layout), which set of files it
// belongs to (the store id, random, made with the files: `(store id, table,
// eid)` names a row for ever), which procsql wrote it and where its body
// lies. Those words are written once, before the magic (release), and
// covered by a checksum, so a flipped byte is refused, not believed. The
// writer's identity and liveness follow and change while it runs.
//
// The header is the same for anonymous regions (embedded collector), which
// keeps one reader code path for both.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

namespace procsql {

// "PSQLSTOR" in little-endian ASCII.
constexpr uint64_t kStoreMagic = 0x524f54534c515350ULL;
// Bump when this header, a body layout (ring_layout.h, time_index.h,
// snapshot_area.h, control_block.h) or a row's encoding changes: readers
// refuse other versions and procsqld sets their files aside.
constexpr uint64_t kStoreFormatVersion = 1;
constexpr uint64_t kStoreHeaderBytes = 4096;

enum class StoreKind : uint64_t {
	events = 1,   // an event table: time index + ring (event_store.h)
	snapshot = 2, // a table published whole (processes, container_map, procsql_stats)
	control = 3,  // procsqld's own words: watermark, settings, restarts (control_block.h)
};
const char* store_kind_name(uint64_t kind);

enum class WriterState : uint64_t {
	none = 0,
	running = 1,  // a writer has it open (or died without saying so)
	stopped = 2,  // the last writer stopped cleanly
};

struct StoreHeader {
	// Written last when the region is made (release): a reader that sees the
	// magic (acquire) sees every word below it.
	std::atomic<uint64_t> magic;
	// Immutable once the magic is set; covered by header_sum.
	uint64_t format_version;
	uint64_t header_bytes;
	uint64_t kind;          // StoreKind
	uint64_t region_bytes;  // the whole region (file size)
	uint64_t schema_hash;   // the table's columns and row layout
	uint64_t body_offset;   // == header_bytes
	uint64_t body_bytes;    // region_bytes - body_offset
	uint64_t params[6];     // the body's geometry, per kind
	int64_t created_ns;     // Unix ns
	char table[32];         // NUL-terminated
	char store_id[40];      // 32 hex digits, NUL-terminated
	char version[32];       // PROCSQL_VERSION of the writer that made it
	uint64_t header_sum;    // FNV-1a over format_version .. version

	// The writer: who it is and whether it still runs. Changed as it runs.
	alignas(64) std::atomic<int64_t> writer_pid;
	std::atomic<int64_t> writer_start_ns; // Unix ns
	std::atomic<uint64_t> writer_state;   // WriterState
	std::atomic<uint64_t> writers;        // how many writers have opened it
	std::atomic<uint64_t> rows_discarded; // half-written rows a later writer discarded
};
static_assert(sizeof(StoreHeader) <= kStoreHeaderBytes, "StoreHeader outgrew its page");
static_assert(std::is_standard_layout<StoreHeader>::value, "StoreHeader must have a fixed layout");

// What a region must be, as its writer makes it and its readers expect it.
struct StoreIdentity {
	StoreKind kind;
	std::string table;
	uint64_t schema_hash = 0;
	std::string store_id; // a reader may leave it empty: any
	std::string version;  // a reader may leave it empty: any
};

// Initialises the header of a zero-filled region of `region_bytes` (the
// magic is stored last, with release). `params` is the body geometry.
void init_store_header(void* region, uint64_t region_bytes, const StoreIdentity& id,
                       const uint64_t (&params)[6]);

// Checks a region's header against `expect` and `len` (the mapping's size).
// Every refusal is a one-line reason that says what was found and what was
// expected; nothing in the region is trusted before this returns true.
bool check_store_header(const void* region, size_t len, const StoreIdentity& expect, std::string* error);

// The header's identity fields, copied out (after check_store_header).
StoreIdentity store_identity_of(const StoreHeader& h);

// FNV-1a 64, for header sums, schema hashes and snapshot payloads.
uint64_t fnv1a64(const void* data, size_t len, uint64_t seed = 0xcbf29ce484222325ULL);

// 32 random hex digits (getrandom; pid and time when it has no entropy).
std::string random_store_id();

} // namespace procsql
