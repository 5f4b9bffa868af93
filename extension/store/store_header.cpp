#include "store/store_header.h"

#include "clock.h"

#include <sys/random.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>

namespace procsql {

namespace {

// The immutable span: from format_version up to header_sum.
uint64_t header_sum_of(const StoreHeader& h) {
	const auto* begin = reinterpret_cast<const uint8_t*>(&h.format_version);
	const auto* end = reinterpret_cast<const uint8_t*>(&h.header_sum);
	return fnv1a64(begin, size_t(end - begin));
}

void copy_field(char* dst, size_t cap, const std::string& s) {
	std::memset(dst, 0, cap);
	std::memcpy(dst, s.data(), s.size() < cap - 1 ? s.size() : cap - 1);
}

// A NUL-terminated field as a string; false if it has no NUL.
bool field(const char* src, size_t cap, std::string* out) {
	const void* nul = std::memchr(src, 0, cap);
	if (nul == nullptr) {
		return false;
	}
	out->assign(src, static_cast<const char*>(nul));
	return true;
}


} // namespace

const char* store_kind_name(uint64_t kind) {
	switch (StoreKind(kind)) {
	case StoreKind::events: return "events";
	case StoreKind::snapshot: return "snapshot";
	case StoreKind::control: return "control";
	}
	return "unknown";
}

uint64_t fnv1a64(const void* data, size_t len, uint64_t seed) {
	uint64_t h = seed;
	const auto* p = static_cast<const uint8_t*>(data);
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

std::string random_store_id() {
	unsigned char bytes[16] = {};
	if (getrandom(bytes, sizeof(bytes), 0) != ssize_t(sizeof(bytes))) {
		const int64_t t = BootClock::now_unix_ns();
		const pid_t pid = getpid();
		for (size_t i = 0; i < sizeof(bytes); i++) {
			bytes[i] = (unsigned char)((i < 8 ? t >> (8 * i) : pid >> (8 * (i - 8))) & 0xff);
		}
	}
	char hex[33];
	for (size_t i = 0; i < sizeof(bytes); i++) {
		std::snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
	}
	return std::string(hex, 32);
}

void init_store_header(void* region, uint64_t region_bytes, const StoreIdentity& id, const uint64_t (&params)[6]) {
	auto* h = new (region) StoreHeader;
	h->format_version = kStoreFormatVersion;
	h->header_bytes = kStoreHeaderBytes;
	h->kind = uint64_t(id.kind);
	h->region_bytes = region_bytes;
	h->schema_hash = id.schema_hash;
	h->body_offset = kStoreHeaderBytes;
	h->body_bytes = region_bytes - kStoreHeaderBytes;
	for (size_t i = 0; i < 6; i++) {
		h->params[i] = params[i];
	}
	h->created_ns = BootClock::now_unix_ns();
	copy_field(h->table, sizeof(h->table), id.table);
	copy_field(h->store_id, sizeof(h->store_id), id.store_id);
	copy_field(h->version, sizeof(h->version), id.version);
	h->header_sum = header_sum_of(*h);
	h->writer_pid.store(0, std::memory_order_relaxed);
	h->writer_start_ns.store(0, std::memory_order_relaxed);
	h->writer_state.store(uint64_t(WriterState::none), std::memory_order_relaxed);
	h->writers.store(0, std::memory_order_relaxed);
	h->rows_discarded.store(0, std::memory_order_relaxed);
	h->magic.store(kStoreMagic, std::memory_order_release);
}

bool check_store_header(const void* region, size_t len, const StoreIdentity& expect, std::string* error) {
	const std::string what = expect.table + " store";
	if (region == nullptr || len < kStoreHeaderBytes) {
		*error = what + ": " + std::to_string(len) + " bytes, shorter than its " + std::to_string(kStoreHeaderBytes) +
		         "-byte header (truncated)";
		return false;
	}
	const auto* h = static_cast<const StoreHeader*>(region);
	if (h->magic.load(std::memory_order_acquire) != kStoreMagic) {
		*error = what + ": not a procsql store (bad magic)";
		return false;
	}
	if (h->format_version != kStoreFormatVersion) {
		*error = what + ": format version " + std::to_string(h->format_version) + ", this procsql reads version " +
		         std::to_string(kStoreFormatVersion);
		return false;
	}
	if (h->header_sum != header_sum_of(*h)) {
		*error = what + ": header checksum mismatch (the file is damaged)";
		return false;
	}
	if (h->header_bytes != kStoreHeaderBytes || h->body_offset != kStoreHeaderBytes ||
	    h->region_bytes < kStoreHeaderBytes || h->body_bytes != h->region_bytes - kStoreHeaderBytes) {
		*error = what + ": inconsistent header sizes";
		return false;
	}
	if (h->region_bytes > len) {
		*error = what + ": header says " + std::to_string(h->region_bytes) + " bytes, the file has " +
		         std::to_string(len) + " (truncated)";
		return false;
	}
	if (h->kind != uint64_t(expect.kind)) {
		*error = what + ": a " + store_kind_name(h->kind) + " region, expected " +
		         store_kind_name(uint64_t(expect.kind));
		return false;
	}
	const StoreIdentity got = store_identity_of(*h);
	if (got.table != expect.table) {
		*error = what + ": the file holds table '" + got.table + "'";
		return false;
	}
	if (h->schema_hash != expect.schema_hash) {
		*error = what + ": schema hash " + std::to_string(h->schema_hash) + " differs from this procsql's " +
		         std::to_string(expect.schema_hash) + " (made by procsql " + got.version + ")";
		return false;
	}
	if (!expect.store_id.empty() && got.store_id != expect.store_id) {
		*error = what + ": store id " + got.store_id + ", expected " + expect.store_id;
		return false;
	}
	if (!expect.version.empty() && got.version != expect.version) {
		*error = what + ": written by procsql " + got.version + ", this is procsql " + expect.version;
		return false;
	}
	return true;
}

StoreIdentity store_identity_of(const StoreHeader& h) {
	StoreIdentity id;
	id.kind = StoreKind(h.kind);
	id.schema_hash = h.schema_hash;
	// check_store_header's checksum covers these; an unterminated field reads
	// as empty, which no expectation matches.
	if (!field(h.table, sizeof(h.table), &id.table)) id.table.clear();
	if (!field(h.store_id, sizeof(h.store_id), &id.store_id)) id.store_id.clear();
	if (!field(h.version, sizeof(h.version), &id.version)) id.version.clear();
	return id;
}

} // namespace procsql
