#include "sources/bpf/bpf_ring_reader.h"

#include <cerrno>
#include <cstring>
#include <linux/bpf.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

namespace procsql {

namespace {

// How long to wait for a record reserved before the bound to be committed.
// A BPF program commits within its own run (preemption is off), so this is
// only ever a few microseconds; the bound keeps a drain bounded regardless.
constexpr int kBusySpins = 1000;

} // namespace

BpfRingReader::~BpfRingReader() { close(); }

bool BpfRingReader::open(int map_fd, uint64_t data_bytes, std::string* error) {
	page_ = size_t(sysconf(_SC_PAGESIZE));
	if (data_bytes == 0 || (data_bytes & (data_bytes - 1)) != 0) {
		*error = "the ring buffer size is not a power of two";
		return false;
	}
	void* c = mmap(nullptr, page_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (c == MAP_FAILED) {
		*error = std::string("cannot map the ring buffer's consumer page: ") + std::strerror(errno);
		return false;
	}
	producer_map_bytes_ = page_ + 2 * size_t(data_bytes);
	void* p = mmap(nullptr, producer_map_bytes_, PROT_READ, MAP_SHARED, map_fd, off_t(page_));
	if (p == MAP_FAILED) {
		*error = std::string("cannot map the ring buffer's data: ") + std::strerror(errno);
		munmap(c, page_);
		return false;
	}
	consumer_ = static_cast<uint64_t*>(c);
	producer_ = static_cast<const uint64_t*>(p);
	data_ = static_cast<const uint8_t*>(p) + page_;
	mask_ = data_bytes - 1;
	return true;
}

void BpfRingReader::close() {
	if (consumer_) {
		munmap(consumer_, page_);
		consumer_ = nullptr;
	}
	if (producer_) {
		munmap(const_cast<uint64_t*>(producer_), producer_map_bytes_);
		producer_ = nullptr;
	}
}

uint64_t BpfRingReader::producer_pos() const { return __atomic_load_n(producer_, __ATOMIC_ACQUIRE); }

bool BpfRingReader::empty() const {
	// The producer position moves when a record is reserved, before it is
	// written: a record in flight is not empty.
	return __atomic_load_n(consumer_, __ATOMIC_ACQUIRE) == producer_pos();
}

size_t BpfRingReader::consume_until(uint64_t until, RecordFn fn, void* ctx) {
	uint64_t cons = __atomic_load_n(consumer_, __ATOMIC_ACQUIRE);
	size_t handed = 0;
	while (cons < until) {
		const uint32_t* header = reinterpret_cast<const uint32_t*>(data_ + (cons & mask_));
		uint32_t len = __atomic_load_n(header, __ATOMIC_ACQUIRE);
		for (int spin = 0; (len & BPF_RINGBUF_BUSY_BIT) && spin < kBusySpins; spin++) {
			sched_yield();
			len = __atomic_load_n(header, __ATOMIC_ACQUIRE);
		}
		if (len & BPF_RINGBUF_BUSY_BIT) {
			break;
		}
		const uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			fn(ctx, reinterpret_cast<const uint8_t*>(header) + BPF_RINGBUF_HDR_SZ, size);
			handed++;
		}
		cons += (uint64_t(size) + BPF_RINGBUF_HDR_SZ + 7) & ~uint64_t(7);
		// Each record goes back to the kernel at once, so producers never
		// wait on a long drain.
		__atomic_store_n(consumer_, cons, __ATOMIC_RELEASE);
	}
	return handed;
}

} // namespace procsql
