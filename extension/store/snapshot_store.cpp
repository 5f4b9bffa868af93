#include "store/snapshot_store.h"

#include <cstring>

namespace procsql {

// The words after the header. `generation` is the current publication (0:
// none yet), in half generation % 2; `started` the last one whose writing
// began. A reader that copied generation g is sound unless started reached
// g + 2 meanwhile (the only publication that rewrites g's half).
struct SnapshotStore::Words {
	std::atomic<uint64_t> generation;
	std::atomic<uint64_t> started;
	std::atomic<uint64_t> too_large;
	uint64_t reserved[5];
};
static_assert(sizeof(std::atomic<uint64_t>) == 8, "snapshot words are plain 8-byte words");

// A half: its payload's description, then the payload.
struct SnapshotStore::Half {
	uint64_t generation;
	uint64_t length;
	uint64_t rows;
	int64_t as_of_ns;
	uint64_t sum; // fnv1a64 of the four words above and the payload
	uint64_t reserved[3];
};

bool SnapshotStore::layout_is_fixed() {
	static_assert(sizeof(Words) == 64 && sizeof(Half) == 64, "the snapshot layout is part of the store format");
	return true;
}


namespace {
constexpr uint64_t kWordsOffset = kStoreHeaderBytes;
constexpr uint64_t kHalvesOffset = kStoreHeaderBytes + 64;
constexpr uint64_t kMaxHalf = uint64_t(1) << 32;

uint64_t half_stride(uint64_t half_bytes) { return (64 + half_bytes + 63) & ~uint64_t(63); }

uint64_t sum_of(const void* half, const uint8_t* payload, uint64_t length) {
	return fnv1a64(payload, length, fnv1a64(half, 32));
}
} // namespace

uint64_t SnapshotStore::region_bytes(uint64_t half_bytes) {
	return (kHalvesOffset + 2 * half_stride(half_bytes) + 4095) & ~uint64_t(4095);
}

SnapshotStore::Words& SnapshotStore::words() const {
	return *reinterpret_cast<Words*>(const_cast<uint8_t*>(region_.data()) + kWordsOffset);
}

uint8_t* SnapshotStore::half(uint64_t i) const {
	return const_cast<uint8_t*>(region_.data()) + kHalvesOffset + (i % 2) * half_stride(half_bytes_);
}

std::unique_ptr<SnapshotStore> SnapshotStore::create_in(Region region, uint64_t half_bytes, const StoreIdentity& id,
                                                        std::string* error) {
	if (half_bytes == 0 || half_bytes > kMaxHalf || region.size() < region_bytes(half_bytes) || !region.writable()) {
		*error = id.table + " snapshot: bad size or read-only region";
		return nullptr;
	}
	const uint64_t params[6] = {half_bytes, 0, 0, 0, 0, 0};
	init_store_header(region.data(), region_bytes(half_bytes), id, params);
	return std::unique_ptr<SnapshotStore>(new SnapshotStore(std::move(region), half_bytes));
}

bool SnapshotStore::checked(const Region& region, const StoreIdentity& id, uint64_t* half_bytes, std::string* error) {
	if (!check_store_header(region.data(), region.size(), id, error)) {
		return false;
	}
	const auto* h = reinterpret_cast<const StoreHeader*>(region.data());
	*half_bytes = h->params[0];
	if (*half_bytes == 0 || *half_bytes > kMaxHalf || region_bytes(*half_bytes) != h->region_bytes) {
		*error = id.table + " snapshot: its geometry does not add up";
		return false;
	}
	return true;
}

std::unique_ptr<SnapshotStore> SnapshotStore::reopen(Region region, const StoreIdentity& id, std::string* error) {
	uint64_t half_bytes = 0;
	if (!checked(region, id, &half_bytes, error) || !region.writable()) {
		return nullptr;
	}
	std::unique_ptr<SnapshotStore> s(new SnapshotStore(std::move(region), half_bytes));
	// A publication the last writer began and never finished is abandoned:
	// the next one starts from the current generation.
	Words& w = s->words();
	w.started.store(w.generation.load(std::memory_order_relaxed), std::memory_order_relaxed);
	return s;
}

std::unique_ptr<const SnapshotStore> SnapshotStore::attach(Region region, const StoreIdentity& expect,
                                                           std::string* error) {
	uint64_t half_bytes = 0;
	if (!checked(region, expect, &half_bytes, error)) {
		return nullptr;
	}
	return std::unique_ptr<const SnapshotStore>(new SnapshotStore(std::move(region), half_bytes));
}

namespace {

using Word = std::atomic<uint64_t>;

// Every byte of a half moves through 64-bit atomics, stored with release and
// loaded with acquire (plain moves on x86-64), as the ring's rows do: a reader
// that loads any word of a newer publication also sees its `started`, and
// ThreadSanitizer sees no plain access racing the writer.
void store_bytes(Word* dst, const char* src, size_t n) {
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = 0;
		std::memcpy(&w, src + i, n - i < 8 ? n - i : 8);
		dst[i / 8].store(w, std::memory_order_release);
	}
}

void load_bytes(const Word* src, size_t n, std::string* out) {
	out->resize(n);
	for (size_t i = 0; i < n; i += 8) {
		const uint64_t w = src[i / 8].load(std::memory_order_acquire);
		std::memcpy(&(*out)[i], &w, n - i < 8 ? n - i : 8);
	}
}

} // namespace

bool SnapshotStore::publish(const std::string& payload, uint64_t rows, int64_t as_of_ns) {
	Words& w = words();
	if (payload.size() > half_bytes_) {
		w.too_large.store(w.too_large.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
		return false;
	}
	const uint64_t g = w.generation.load(std::memory_order_relaxed) + 1;
	// Readers of g - 2 (same half) see `started` move before any byte does.
	w.started.store(g, std::memory_order_relaxed);
	auto* dst = reinterpret_cast<Word*>(half(g));
	Half h{};
	h.generation = g;
	h.length = payload.size();
	h.rows = rows;
	h.as_of_ns = as_of_ns;
	h.sum = sum_of(&h, reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
	store_bytes(dst + sizeof(Half) / 8, payload.data(), payload.size());
	store_bytes(dst, reinterpret_cast<const char*>(&h), sizeof(h));
	w.generation.store(g, std::memory_order_release);
	return true;
}

bool SnapshotStore::read(std::string* payload, uint64_t* rows, int64_t* as_of_ns, std::string* error) const {
	const Words& w = words();
	for (int attempt = 0; attempt < 16; attempt++) {
		const uint64_t g = w.generation.load(std::memory_order_acquire);
		if (g == 0) {
			*error = header_table() + ": nothing published yet";
			return false;
		}
		const auto* src = reinterpret_cast<const Word*>(half(g));
		std::string head;
		load_bytes(src, sizeof(Half), &head);
		Half h;
		std::memcpy(&h, head.data(), sizeof(h));
		const bool sized = h.generation == g && h.length <= half_bytes_;
		if (sized) {
			load_bytes(src + sizeof(Half) / 8, size_t(h.length), payload);
		}
		if (w.started.load(std::memory_order_acquire) >= g + 2) {
			continue; // lapped while copying: read the newer one
		}
		if (!sized || sum_of(&h, reinterpret_cast<const uint8_t*>(payload->data()), h.length) != h.sum) {
			*error = header_table() + ": the published snapshot is damaged (checksum mismatch)";
			return false;
		}
		*rows = h.rows;
		*as_of_ns = h.as_of_ns;
		return true;
	}
	*error = header_table() + ": the writer kept replacing the snapshot while it was read";
	return false;
}

uint64_t SnapshotStore::generation() const { return words().generation.load(std::memory_order_acquire); }
uint64_t SnapshotStore::too_large() const { return words().too_large.load(std::memory_order_relaxed); }

} // namespace procsql
