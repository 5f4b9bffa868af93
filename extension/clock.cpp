#include "clock.h"

#include <ctime>

namespace procsql {

namespace {
int64_t read_ns(clockid_t id) {
	timespec ts{};
	clock_gettime(id, &ts);
	return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
} // namespace

BootClock::BootClock() {
	// Bracket the wall-clock read between two boot-clock reads and take the
	// tightest of a few tries, so a preemption between reads does not skew it.
	int64_t best_gap = INT64_MAX;
	offset_ns_ = 0;
	for (int i = 0; i < 5; i++) {
		const int64_t b1 = read_ns(CLOCK_BOOTTIME);
		const int64_t wall = read_ns(CLOCK_REALTIME);
		const int64_t b2 = read_ns(CLOCK_BOOTTIME);
		if (b2 - b1 < best_gap) {
			best_gap = b2 - b1;
			offset_ns_ = wall - (b1 + (b2 - b1) / 2);
		}
	}
}

int64_t BootClock::now_unix_ns() { return read_ns(CLOCK_REALTIME); }

int64_t BootClock::now_boot_ns() { return read_ns(CLOCK_BOOTTIME); }

} // namespace procsql
