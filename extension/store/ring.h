// procsql::Ring: the store behind each event table.
//
// A fixed-capacity ring of fixed-size slots plus a byte arena for the
// variable-length strings (paths, argv) of each row. One writer thread (the
// source's consumer) appends; any number of reader threads scan it at the
// same time without consuming anything. The writer never waits for readers:
// when the ring is full, or the arena has no room, the oldest rows are
// dropped and counted, and a reader that was copying one of them notices and
// reports it `gone` instead of returning a torn row.
//
// Layout (see ring_layout.h): one contiguous region, header + slots + arena,
// with no pointers inside, so a later step can place it in a shared-memory
// segment that other processes map read-only and `attach` to.
//
// Slot encoding, kSlotWords 64-bit words per slot:
//   [0]                   seq: 2*eid once row `eid` is complete, 2*eid-1 while
//                         the writer fills the slot for `eid`; 0 = never used
//   [1]                   arena position of the row's first string
//   [2, 2+kLengthWords)   string lengths, two uint32 per word (low half first)
//   [2+kLengthWords, ...) the Fixed struct, word by word
// seq, the position and the lengths come first, in one or two cache lines,
// so that a scan that tests a row's strings before its fixed fields
// (text filters) touches the slot there and the arena, nothing more.
// A row's strings are consecutive in the arena, each starting 8-byte aligned.
//
// Arena: a byte ring of arena_bytes, addressed by a 64-bit position that only
// grows (position p lives at byte p % arena_bytes). `arena_reserve` is the end
// of the last reserved payload. A row whose payload starts at `pos` is intact
// exactly while `arena_reserve - pos <= arena_bytes`: the writer evicts rows
// that violate this (moving first_eid past them) and publishes the new
// reservation BEFORE it writes the new bytes, so a reader that re-checks the
// reservation after copying knows whether any of its bytes were lapped.
//
// Memory: region_bytes() = 256 + capacity * 8 * kSlotWords (rounded up to 64)
// + arena_bytes, mapped once (pages are touched as rows arrive, so resident
// memory grows up to that bound and never beyond it).
//
// Payload bound: a row whose strings (each padded to 8 bytes) total more than
// arena_bytes / 2, or with any string longer than 4 GiB - 1, is not stored
// (append returns 0 and counts rows_rejected_too_large). Callers must bound
// their payloads (e.g. the argv bound of the source) well below that.

#pragma once

#include "store/ring_layout.h"

#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>

namespace procsql {

enum class ReadStatus {
	ok,      // the row was copied and was intact for the whole copy
	gone,    // overwritten or evicted (before or during the copy); eid 0 is always gone
	not_yet, // eid >= next_eid()
	corrupt, // the slot's lengths describe a payload no writer could have stored
};

// A snapshot of the writer's statistics. Each field is read on its own
// (relaxed), so fields may be from slightly different moments while the
// writer runs. Every stored row ends up in exactly one of: still retained,
// rows_overwritten, rows_evicted_by_arena.
struct RingCounters {
	uint64_t appended;                // rows stored (== next_eid - 1)
	uint64_t rows_overwritten;        // retained rows whose slot was reused (ring full)
	uint64_t rows_evicted_by_arena;   // retained rows dropped because the arena needed their bytes
	uint64_t arena_bytes_overwritten; // padded payload bytes of those evicted rows
	uint64_t rows_rejected_too_large; // appends refused: payload > arena_bytes / 2
};

template <class Fixed, size_t NStrings>
class Ring {
	static_assert(std::is_trivially_copyable<Fixed>::value, "Fixed is copied word by word");
	static_assert(sizeof(Fixed) > 0 && sizeof(Fixed) % 8 == 0, "sizeof(Fixed) must be a multiple of 8");

public:
	using Word = std::atomic<uint64_t>;

	static constexpr uint64_t kFixedWords = sizeof(Fixed) / 8;
	static constexpr uint64_t kLengthWords = (NStrings + 1) / 2;
	// Rounded up to whole cache lines: a slot starts on one, so seq, the
	// position and the lengths (what a scan reads first) share one line.
	static constexpr uint64_t kSlotWords = (2 + kFixedWords + kLengthWords + 7) / 8 * 8;

	// Bytes of a region for these settings; 0 if they are invalid.
	static size_t region_bytes(uint64_t capacity_rows, uint64_t arena_bytes) {
		size_t bytes = 0;
		return geometry(capacity_rows, arena_bytes, &bytes, nullptr) ? bytes : 0;
	}

	// A new, empty, writable ring in an anonymous mapping owned by the result.
	// capacity_rows >= 1; arena_bytes a multiple of 8 and >= 64 KiB.
	static std::unique_ptr<Ring> create(uint64_t capacity_rows, uint64_t arena_bytes, std::string* error) {
		size_t bytes = 0;
		if (!geometry(capacity_rows, arena_bytes, &bytes, error)) {
			return nullptr;
		}
		void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED) {
			set_error(error, "procsql ring: mmap of " + std::to_string(bytes) + " bytes failed: " +
			                     std::strerror(errno));
			return nullptr;
		}
		initialise(mem, bytes, capacity_rows, arena_bytes);
		return std::unique_ptr<Ring>(new Ring(static_cast<uint8_t*>(mem), bytes, true));
	}

	// A new, empty, writable ring in `len` zero-filled bytes of someone
	// else's region (a store file, event_store.h), which must outlive it.
	static std::unique_ptr<Ring> create_in(void* mem, size_t len, uint64_t capacity_rows, uint64_t arena_bytes,
	                                       std::string* error) {
		size_t bytes = 0;
		if (!geometry(capacity_rows, arena_bytes, &bytes, error)) {
			return nullptr;
		}
		if (bytes > len) {
			set_error(error, "procsql ring: needs " + std::to_string(bytes) + " bytes, given " + std::to_string(len));
			return nullptr;
		}
		initialise(mem, bytes, capacity_rows, arena_bytes);
		return std::unique_ptr<Ring>(new Ring(static_cast<uint8_t*>(mem), bytes, false));
	}

	// The writer of a ring an earlier writer left in `mem` (procsqld
	// restarted: the file outlived it). Checked like attach(), and its
	// positions against each other. A writer killed in the middle of an
	// append leaves that row unpublished (next_eid was not advanced, so no
	// reader ever saw it): it is discarded, and the next append rewrites its
	// slot with the same eid. *discarded says whether there was one.
	static std::unique_ptr<Ring> reopen(void* mem, size_t len, bool* discarded, std::string* error) {
		std::unique_ptr<const Ring> view = attach(mem, len, error);
		if (!view) {
			return nullptr;
		}
		auto* base = static_cast<uint8_t*>(mem);
		std::unique_ptr<Ring> ring(new Ring(base, view->region_bytes_, false));
		RingHeader& h = ring->header();
		const uint64_t next = h.next_eid.load(std::memory_order_relaxed);
		const uint64_t first = h.first_eid.load(std::memory_order_relaxed);
		if (next == 0 || first == 0 || first > next || next - first > ring->capacity_ || (next >> 62) != 0) {
			set_error(error, "procsql ring: positions out of order (first eid " + std::to_string(first) +
			                     ", next eid " + std::to_string(next) + ", capacity " +
			                     std::to_string(ring->capacity_) + ")");
			return nullptr;
		}
		const uint64_t seq = ring->slot(next)[kSeqWord].load(std::memory_order_relaxed);
		*discarded = seq == 2 * next - 1;
		return ring;
	}

	// A read-only view of a region made by create() (here or, later, in
	// another process through shared memory). The region must stay mapped for
	// the life of the view; the view never writes to it, so a PROT_READ
	// mapping is enough. Refuses regions whose header does not match this
	// Ring<Fixed, NStrings> or whose sizes exceed `len`.
	static std::unique_ptr<const Ring> attach(const void* region, size_t len, std::string* error) {
		if (region == nullptr || reinterpret_cast<uintptr_t>(region) % alignof(Word) != 0) {
			set_error(error, "procsql ring: attach: region is null or not 8-byte aligned");
			return nullptr;
		}
		if (len < kRingHeaderBytes) {
			set_error(error, "procsql ring: attach: region of " + std::to_string(len) +
			                     " bytes is smaller than the header");
			return nullptr;
		}
		const auto* h = static_cast<const RingHeader*>(region);
		if (h->magic.load(std::memory_order_acquire) != kRingMagic) {
			set_error(error, "procsql ring: attach: bad magic (not a procsql ring, or not initialised yet)");
			return nullptr;
		}
		if (h->layout_version != kRingLayoutVersion) {
			set_error(error, "procsql ring: attach: layout version " + std::to_string(h->layout_version) +
			                     ", expected " + std::to_string(kRingLayoutVersion));
			return nullptr;
		}
		if (h->fixed_bytes != sizeof(Fixed) || h->nstrings != NStrings || h->slot_words != kSlotWords) {
			set_error(error, "procsql ring: attach: row shape mismatch (fixed " + std::to_string(h->fixed_bytes) +
			                     " bytes, " + std::to_string(h->nstrings) + " strings; expected " +
			                     std::to_string(sizeof(Fixed)) + ", " + std::to_string(NStrings) + ")");
			return nullptr;
		}
		size_t bytes = 0;
		std::string why;
		if (!geometry(h->capacity, h->arena_bytes, &bytes, &why)) {
			set_error(error, "procsql ring: attach: bad header sizes: " + why);
			return nullptr;
		}
		if (bytes != h->region_bytes || bytes > len) {
			set_error(error, "procsql ring: attach: region needs " + std::to_string(bytes) + " bytes, header says " +
			                     std::to_string(h->region_bytes) + ", mapping has " + std::to_string(len));
			return nullptr;
		}
		// const_cast is confined here: a const Ring only ever loads.
		auto* base = static_cast<uint8_t*>(const_cast<void*>(region));
		return std::unique_ptr<const Ring>(new Ring(base, bytes, false));
	}

	// Writes the header of a new ring in zero-filled memory (every slot seq is
	// 0, "never used", which no eid >= 1 matches).
	static void initialise(void* mem, size_t bytes, uint64_t capacity_rows, uint64_t arena_bytes) {
		auto* h = new (mem) RingHeader;
		h->layout_version = kRingLayoutVersion;
		h->fixed_bytes = sizeof(Fixed);
		h->nstrings = NStrings;
		h->capacity = capacity_rows;
		h->arena_bytes = arena_bytes;
		h->slot_words = kSlotWords;
		h->region_bytes = bytes;
		h->next_eid.store(1, std::memory_order_relaxed);
		h->first_eid.store(1, std::memory_order_relaxed);
		h->arena_reserve.store(0, std::memory_order_relaxed);
		h->rows_overwritten.store(0, std::memory_order_relaxed);
		h->rows_evicted_by_arena.store(0, std::memory_order_relaxed);
		h->arena_bytes_overwritten.store(0, std::memory_order_relaxed);
		h->rows_rejected_too_large.store(0, std::memory_order_relaxed);
		// Release: whoever later sees the magic with acquire (attach) sees
		// the geometry and initial positions above.
		h->magic.store(kRingMagic, std::memory_order_release);
	}

	~Ring() {
		if (owned_) {
			munmap(base_, region_bytes_);
		}
	}
	Ring(const Ring&) = delete;
	Ring& operator=(const Ring&) = delete;

	// Stores a row and returns its eid (1, 2, 3, ...), or 0 if its payload is
	// too large (see the top of this file). Single writer: callers guarantee
	// that only one thread appends. Never waits for readers.
	uint64_t append(const Fixed& row, const std::array<std::string_view, NStrings>& strings) {
		RingHeader& h = header();
		uint64_t payload = 0;
		for (const std::string_view& s : strings) {
			if (s.size() > std::numeric_limits<uint32_t>::max()) {
				payload = std::numeric_limits<uint64_t>::max();
				break;
			}
			payload += pad8(s.size());
		}
		if (payload > arena_bytes_ / 2) {
			bump(h.rows_rejected_too_large, 1);
			return 0;
		}

		// Only this thread writes these, so relaxed loads see its own last stores.
		const uint64_t eid = h.next_eid.load(std::memory_order_relaxed);
		uint64_t first = h.first_eid.load(std::memory_order_relaxed);
		if (eid - first == capacity_) {
			// The slot we are about to reuse still holds the oldest retained row.
			++first;
			bump(h.rows_overwritten, 1);
		}
		const uint64_t start = h.arena_reserve.load(std::memory_order_relaxed);
		const uint64_t end = start + payload;
		if (end > arena_bytes_) {
			// Bytes [start, end) alias [start - A, end - A): every row whose
			// payload starts before end - A loses bytes. Payload positions grow
			// with eid, so those rows are a prefix of the retained ones.
			const uint64_t keep_from = end - arena_bytes_;
			uint64_t evicted = 0;
			uint64_t evicted_bytes = 0;
			while (first < eid) {
				const Word* old = slot(first);
				if (old[kPosWord].load(std::memory_order_relaxed) >= keep_from) {
					break;
				}
				evicted_bytes += payload_bytes(old);
				++evicted;
				++first;
			}
			if (evicted != 0) {
				bump(h.rows_evicted_by_arena, evicted);
				bump(h.arena_bytes_overwritten, evicted_bytes);
			}
		}

		// Publish what is about to be destroyed before destroying it: the new
		// first_eid, the arena reservation and the odd "being written" seq are
		// stored first, then every word of the new row with kCopyStore
		// (release). A reader that loads any new word with kCopyLoad (acquire)
		// synchronises with that store, so its later loads of seq and
		// arena_reserve see at least these values: that is how it detects
		// that it was lapped.
		Word* s = slot(eid);
		h.first_eid.store(first, std::memory_order_relaxed);
		h.arena_reserve.store(end, std::memory_order_relaxed);
		s[kSeqWord].store(2 * eid - 1, std::memory_order_relaxed);

		uint64_t pos = start;
		for (const std::string_view& str : strings) {
			write_arena(pos, str);
			pos += pad8(str.size());
		}
		const auto* src = reinterpret_cast<const unsigned char*>(&row);
		for (uint64_t i = 0; i < kFixedWords; i++) {
			uint64_t w;
			std::memcpy(&w, src + 8 * i, 8);
			s[kFixedWord + i].store(w, kCopyStore);
		}
		s[kPosWord].store(start, kCopyStore);
		for (uint64_t i = 0; i < kLengthWords; i++) {
			const uint64_t lo = strings[2 * i].size();
			const uint64_t hi = 2 * i + 1 < NStrings ? strings[2 * i + 1].size() : 0;
			s[kLenWord + i].store(lo | (hi << 32), kCopyStore);
		}
		// Release: a reader that acquires seq == 2*eid sees the whole row,
		// slot words and arena bytes alike.
		s[kSeqWord].store(2 * eid, std::memory_order_release);
		// Release: a reader that acquires next_eid > eid finds seq >= 2*eid.
		h.next_eid.store(eid + 1, std::memory_order_release);
		return eid;
	}

	// Copies row `eid`. `row` may be null (fixed fields not wanted); a null
	// entry in `strings` skips that string, so a table decodes only the
	// columns a query uses. On anything but `ok` the outputs hold unspecified
	// (possibly torn) data and must be ignored. Any number of threads may
	// read concurrently with each other and with append().
	//
	// `not_yet` means eid >= next_eid(); an eid below a next_eid() value this
	// thread has already read is never reported not_yet, only ok or gone.
	ReadStatus read(uint64_t eid, Fixed* row, const std::array<std::string*, NStrings>& strings) const {
		uint64_t pos = 0;
		Lengths lens {};
		const ReadStatus st = read_slot(eid, row, &pos, &lens);
		if (st != ReadStatus::ok) {
			return st;
		}
		// pos and lens are now known to belong to row eid. They are still not
		// trusted as sizes: a writer never stores a payload above half the
		// arena (append), so one that claims more is a corrupt region (a
		// stray write, or a file another process damaged), refused before
		// anything is allocated for it.
		uint64_t payload = 0;
		for (size_t i = 0; i < NStrings; i++) {
			payload += pad8(length_of(lens.data(), i));
		}
		if (payload > arena_bytes_ / 2) {
			return ReadStatus::corrupt;
		}
		uint64_t p = pos;
		for (size_t i = 0; i < NStrings; i++) {
			const uint64_t len = length_of(lens.data(), i);
			if (strings[i] != nullptr) {
				strings[i]->resize(len);
				copy_arena(p, len, &(*strings[i])[0]);
			}
			p += pad8(len);
		}
		// Arena check, done even when no string was copied, so `ok` always
		// means "retained at the end of the copy", never "evicted by the
		// arena but its slot not yet reused".
		return lapped(pos) ? ReadStatus::gone : ReadStatus::ok;
	}

	// Copies string i of row eid into buf (at most cap bytes) and sets *len.
	// True only when the row is retained at the end of the copy and its
	// string fit; false says nothing (the row is not there, not yet there,
	// lapped while copied, or its string is longer than cap): a caller that
	// uses this to skip rows must then read the row to find out.
	bool peek_string(uint64_t eid, size_t i, char* buf, size_t cap, size_t* len) const {
		uint64_t pos = 0;
		Lengths lens {};
		if (i >= NStrings || read_slot(eid, nullptr, &pos, &lens) != ReadStatus::ok) {
			return false;
		}
		uint64_t p = pos;
		for (size_t j = 0; j < i; j++) {
			p += pad8(length_of(lens.data(), j));
		}
		const uint64_t n = length_of(lens.data(), i);
		if (n > cap) {
			return false;
		}
		copy_arena(p, n, buf);
		if (lapped(pos)) {
			return false;
		}
		*len = size_t(n);
		return true;
	}

	// Oldest retained eid; == next_eid() when empty. Rows in
	// [first_eid(), next_eid()) may still turn `gone` while being read.
	uint64_t first_eid() const {
		return header().first_eid.load(std::memory_order_acquire);
	}
	// The eid the next append will get; rows below it have been published.
	uint64_t next_eid() const {
		return header().next_eid.load(std::memory_order_acquire);
	}

	RingCounters counters() const {
		const RingHeader& h = header();
		RingCounters c;
		c.appended = h.next_eid.load(std::memory_order_relaxed) - 1;
		c.rows_overwritten = h.rows_overwritten.load(std::memory_order_relaxed);
		c.rows_evicted_by_arena = h.rows_evicted_by_arena.load(std::memory_order_relaxed);
		c.arena_bytes_overwritten = h.arena_bytes_overwritten.load(std::memory_order_relaxed);
		c.rows_rejected_too_large = h.rows_rejected_too_large.load(std::memory_order_relaxed);
		return c;
	}

	uint64_t capacity() const {
		return capacity_;
	}
	uint64_t arena_bytes() const {
		return arena_bytes_;
	}
	// Total memory of the region: the bound set by capacity and arena_bytes.
	size_t region_bytes() const {
		return region_bytes_;
	}
	// Start of the region, e.g. to attach() another view to it.
	const void* region() const {
		return base_;
	}

private:
	static constexpr uint64_t kSeqWord = 0;
	static constexpr uint64_t kPosWord = 1;
	static constexpr uint64_t kLenWord = 2;
	static constexpr uint64_t kFixedWord = 2 + kLengthWords;

	// Memory orders of the row copy (slot words and arena words).
	//
	// The classic seqlock copies with relaxed accesses bracketed by a release
	// fence (writer) and an acquire fence (reader). Instead every copied word
	// is stored with release and loaded with acquire, which gives the same
	// guarantee word by word: a reader that loads a word of a newer row also
	// sees that row's earlier odd seq / arena reservation. Why: ThreadSanitizer
	// does not model standalone fences (GCC warns -Wtsan, clang silently
	// ignores them), while per-access orders it understands exactly; and on
	// x86-64 both compile to the same plain moves. On AArch64 this costs
	// LDAR/STLR instead of LDR/STR plus two barriers per row.
	static constexpr std::memory_order kCopyStore = std::memory_order_release;
	static constexpr std::memory_order kCopyLoad = std::memory_order_acquire;

	Ring(uint8_t* base, size_t bytes, bool owned) : base_(base), region_bytes_(bytes), owned_(owned) {
		const RingHeader& h = header();
		// Geometry is copied out once (after validation in attach) so a view
		// never trusts header words again.
		capacity_ = h.capacity;
		arena_bytes_ = h.arena_bytes;
		arena_words_ = arena_bytes_ / 8;
		slots_ = reinterpret_cast<Word*>(base_ + kRingHeaderBytes);
		arena_ = reinterpret_cast<Word*>(base_ + kRingHeaderBytes + slots_bytes(capacity_));
	}

	static uint64_t pad8(uint64_t n) {
		return (n + 7) & ~uint64_t(7);
	}
	// String i's length in a slot's length words (two per word, low half first).
	static uint64_t length_of(const uint64_t* len_words, size_t i) {
		return (len_words[i / 2] >> (32 * (i % 2))) & 0xffffffffULL;
	}
	static uint64_t slots_bytes(uint64_t capacity) {
		return (capacity * kSlotWords * 8 + kRingCacheLine - 1) / kRingCacheLine * kRingCacheLine;
	}
	static void set_error(std::string* error, const std::string& message) {
		if (error != nullptr) {
			*error = message;
		}
	}
	// Validates the settings and computes the region size without overflow.
	static bool geometry(uint64_t capacity, uint64_t arena_bytes, size_t* bytes, std::string* error) {
		if (capacity == 0) {
			set_error(error, "procsql ring: capacity must be at least 1 row");
			return false;
		}
		if (arena_bytes < kRingMinArenaBytes || arena_bytes % 8 != 0) {
			set_error(error, "procsql ring: arena must be a multiple of 8 bytes and at least " +
			                     std::to_string(kRingMinArenaBytes) + " bytes, got " + std::to_string(arena_bytes));
			return false;
		}
		uint64_t slot_bytes = 0;
		uint64_t total = 0;
		if (__builtin_mul_overflow(capacity, kSlotWords * 8, &slot_bytes) ||
		    __builtin_add_overflow(slot_bytes, kRingHeaderBytes + kRingCacheLine, &total) ||
		    __builtin_add_overflow(total, arena_bytes, &total) || total > std::numeric_limits<size_t>::max()) {
			set_error(error, "procsql ring: capacity " + std::to_string(capacity) + " rows with arena " +
			                     std::to_string(arena_bytes) + " bytes overflows the address space");
			return false;
		}
		*bytes = static_cast<size_t>(kRingHeaderBytes + slots_bytes(capacity) + arena_bytes);
		return true;
	}
	// Writer-side: single writer, so a plain load + store (no locked RMW).
	static void bump(Word& counter, uint64_t by) {
		counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
	}

	RingHeader& header() {
		return *reinterpret_cast<RingHeader*>(base_);
	}
	const RingHeader& header() const {
		return *reinterpret_cast<const RingHeader*>(base_);
	}
	Word* slot(uint64_t eid) {
		return slots_ + ((eid - 1) % capacity_) * kSlotWords;
	}
	const Word* slot(uint64_t eid) const {
		return slots_ + ((eid - 1) % capacity_) * kSlotWords;
	}
	uint64_t payload_bytes(const Word* s) const {
		uint64_t total = 0;
		for (uint64_t i = 0; i < kLengthWords; i++) {
			const uint64_t w = s[kLenWord + i].load(std::memory_order_relaxed);
			total += pad8(w & 0xffffffffULL) + pad8(w >> 32);
		}
		return total;
	}

	// Stores `str` at arena position `pos` (8-aligned), wrapping at the end,
	// zero-padding its last word.
	void write_arena(uint64_t pos, std::string_view str) {
		const char* src = str.data();
		uint64_t left = str.size();
		uint64_t idx = (pos / 8) % arena_words_;
		while (left > 0) {
			uint64_t w = 0;
			const uint64_t n = left < 8 ? left : 8;
			std::memcpy(&w, src, n);
			arena_[idx].store(w, kCopyStore);
			src += n;
			left -= n;
			if (++idx == arena_words_) {
				idx = 0;
			}
		}
	}
	// A slot's string lengths (read_slot).
	using Lengths = std::array<uint64_t, kLengthWords + 1>;

	// The slot part of a read: row eid's seq, its fixed fields into `row`
	// (if not null), its arena position and string lengths, all checked to
	// belong to row eid (ok), or why not (not_yet, gone).
	ReadStatus read_slot(uint64_t eid, Fixed* row, uint64_t* pos, Lengths* lens) const {
		// Everything is decided by the slot's seq; the header's hot words are
		// not touched here (only arena_reserve, once, after the copy), so a
		// scan does not keep pulling the line the writer stores to on every
		// append.
		if (eid == 0) {
			return ReadStatus::gone;
		}
		if (eid >> 63 != 0) {
			return ReadStatus::not_yet; // never reached; keeps 2 * eid from wrapping
		}
		const Word* s = slot(eid);
		// Acquire pairs with the writer's final release of seq: seeing 2*eid
		// means every word of row eid (slot and arena) is visible. A caller
		// that learned `eid < next_eid()` (an acquire load) before calling
		// cannot see an older seq here, so it never gets a false not_yet.
		const uint64_t seq = s[kSeqWord].load(std::memory_order_acquire);
		if (seq != 2 * eid) {
			// Below 2*eid-1: the slot still holds an older row; 2*eid-1: row
			// eid is being written; above 2*eid: a later row took the slot.
			return seq < 2 * eid ? ReadStatus::not_yet : ReadStatus::gone;
		}
		if (row != nullptr) {
			auto* dst = reinterpret_cast<unsigned char*>(row);
			for (uint64_t i = 0; i < kFixedWords; i++) {
				const uint64_t w = s[kFixedWord + i].load(kCopyLoad);
				std::memcpy(dst + 8 * i, &w, 8);
			}
		}
		*pos = s[kPosWord].load(kCopyLoad);
		for (uint64_t i = 0; i < kLengthWords; i++) {
			(*lens)[i] = s[kLenWord + i].load(kCopyLoad);
		}
		// Seqlock check: if any word above came from a later row, this thread
		// synchronised with that row's release store, which follows its odd
		// seq store, so the seq load below cannot still return `seq`. (The
		// acquire loads above also keep this load from moving before them.)
		if (s[kSeqWord].load(std::memory_order_relaxed) != seq) {
			return ReadStatus::gone;
		}
		return ReadStatus::ok;
	}

	// Whether the arena has lapped a payload that starts at `pos`: the same
	// seqlock argument with arena_reserve, which the writer stores before
	// overwriting any byte. Checked after a copy.
	bool lapped(uint64_t pos) const {
		return header().arena_reserve.load(std::memory_order_relaxed) - pos > arena_bytes_;
	}

	// Copies len arena bytes from position pos to dst. The bytes may be
	// lapped meanwhile: the caller checks lapped(pos) afterwards.
	void copy_arena(uint64_t pos, uint64_t len, char* dst) const {
		uint64_t idx = (pos / 8) % arena_words_;
		while (len > 0) {
			const uint64_t w = arena_[idx].load(kCopyLoad);
			const uint64_t n = len < 8 ? len : 8;
			std::memcpy(dst, &w, n);
			dst += n;
			len -= n;
			if (++idx == arena_words_) {
				idx = 0;
			}
		}
	}

	uint8_t* base_;
	size_t region_bytes_;
	bool owned_;
	uint64_t capacity_;
	uint64_t arena_bytes_;
	uint64_t arena_words_;
	Word* slots_;
	Word* arena_;
};

} // namespace procsql
