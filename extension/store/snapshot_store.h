// procsql::SnapshotStore: a table published whole (processes,
// container_map, procsql_stats under procsqld), in a Region behind a
// StoreHeader, for readers in other processes:
//
//   [StoreHeader, 4 KiB][words, 64 bytes][half 0][half 1]
//
// Each publication writes the half the previous one did not use, then makes
// it current (double buffering: a reader copying the current half is not
// disturbed by the next publication, only by the one after, which it
// detects and retries). Each half starts with its payload's length and
// checksum, so a half left by a writer killed mid-write, or damaged bytes,
// are refused rather than decoded. One writer; any number of readers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "store/region.h"
#include "store/store_header.h"

namespace procsql {

class SnapshotStore {
public:
	// The payload room of each half (params[0]); a publication that does not
	// fit is refused and counted (too_large()).
	static uint64_t region_bytes(uint64_t half_bytes);

	static std::unique_ptr<SnapshotStore> create_in(Region region, uint64_t half_bytes, const StoreIdentity& id,
	                                                std::string* error);
	// The writer of a snapshot an earlier writer left (procsqld restarted).
	static std::unique_ptr<SnapshotStore> reopen(Region region, const StoreIdentity& id, std::string* error);
	static std::unique_ptr<const SnapshotStore> attach(Region region, const StoreIdentity& expect, std::string* error);

	// Writer: makes `payload` (with `rows` rows, made at `as_of_ns`) current.
	// False when it does not fit in a half (nothing changes).
	bool publish(const std::string& payload, uint64_t rows, int64_t as_of_ns);

	// Reader: the current payload. False with a reason when nothing was
	// published yet, or the current half is damaged; a copy torn by two
	// publications during it is retried.
	bool read(std::string* payload, uint64_t* rows, int64_t* as_of_ns, std::string* error) const;

	uint64_t generation() const;
	uint64_t too_large() const;
	const StoreHeader& header() const { return *reinterpret_cast<const StoreHeader*>(region_.data()); }
	StoreHeader& writable_header() { return *reinterpret_cast<StoreHeader*>(region_.data()); }
	uint64_t half_bytes() const { return half_bytes_; }

private:
	struct Words;
	struct Half;
	static bool layout_is_fixed();
	SnapshotStore(Region region, uint64_t half_bytes) : region_(std::move(region)), half_bytes_(half_bytes) {}
	static bool checked(const Region& region, const StoreIdentity& id, uint64_t* half_bytes, std::string* error);
	Words& words() const;
	uint8_t* half(uint64_t i) const;
	std::string header_table() const { return store_identity_of(header()).table + " snapshot"; }

	Region region_;
	uint64_t half_bytes_;
};

} // namespace procsql
