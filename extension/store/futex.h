// The two futex operations of the watermark (control_block.h), shared by
// procsqld's publisher and attached readers. Never FUTEX_PRIVATE_FLAG: the
// words live in a file that several processes map, where the kernel keys a
// futex by the file and offset; FUTEX_WAIT and FUTEX_WAKE need only read
// access to the page, so a read-only mapping is enough for either.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

namespace procsql {

// Sleeps while `word` holds `seen`, at most `timeout_ns` (< 0: no limit).
inline void futex_wait(const std::atomic<uint32_t>& word, uint32_t seen, int64_t timeout_ns) {
	static_assert(sizeof(std::atomic<uint32_t>) == 4, "a futex word is 32 bits");
	timespec ts{time_t(timeout_ns / 1000000000), long(timeout_ns % 1000000000)};
	syscall(SYS_futex, const_cast<std::atomic<uint32_t>*>(&word), FUTEX_WAIT, seen, timeout_ns < 0 ? nullptr : &ts,
	        nullptr, 0);
}

// Wakes up to `n` sleepers on `word`.
inline void futex_wake(const std::atomic<uint32_t>& word, int n = INT_MAX) {
	syscall(SYS_futex, const_cast<std::atomic<uint32_t>*>(&word), FUTEX_WAKE, n, nullptr, nullptr, 0);
}

} // namespace procsql
