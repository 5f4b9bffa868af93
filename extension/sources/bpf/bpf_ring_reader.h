// Reads a BPF ring buffer map directly, so that a drain can stop at a
// position: what the kernel had produced when the drain began.
//
// libbpf's ring_buffer__consume() goes on while producers keep writing, so a
// query that drains first had no upper bound on a busy host. The layout read
// here is the kernel's ABI (include/uapi/linux/bpf.h, kernel/bpf/ringbuf.c):
// a consumer page we write, a producer page we read, then the data area,
// mapped twice so that a record that wraps is contiguous. Each record starts
// with an 8-byte header whose length word carries a busy bit (reserved, not
// yet committed) and a discard bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace procsql {

class BpfRingReader {
public:
	BpfRingReader() = default;
	~BpfRingReader();
	BpfRingReader(const BpfRingReader&) = delete;
	BpfRingReader& operator=(const BpfRingReader&) = delete;

	// Maps the ring of `map_fd` (a BPF_MAP_TYPE_RINGBUF of `data_bytes`).
	bool open(int map_fd, uint64_t data_bytes, std::string* error);

	// The kernel's producer position now: a drain's bound.
	uint64_t producer_pos() const;

	// Nothing reserved or committed waits (a record being written counts).
	bool empty() const;

	// Hands every committed record below `until` to fn(data, size), in order,
	// and releases it to the kernel; stops early at a record still being
	// written after a short wait (it is for the next drain). Returns the
	// records handed over. One consumer at a time.
	using RecordFn = void (*)(void* ctx, const void* data, size_t size);
	size_t consume_until(uint64_t until, RecordFn fn, void* ctx);

	// Unmaps without touching the kernel's object (a forked child's copy).
	void close();

private:
	uint64_t* consumer_ = nullptr;       // consumer page (read-write)
	const uint64_t* producer_ = nullptr; // producer page (read-only), data follows
	const uint8_t* data_ = nullptr;
	uint64_t mask_ = 0;
	size_t page_ = 0;
	size_t producer_map_bytes_ = 0;
};

} // namespace procsql
