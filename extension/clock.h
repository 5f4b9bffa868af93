// Kernel timestamps (CLOCK_BOOTTIME) to Unix time.
#pragma once

#include <cstdint>

namespace procsql {

// The offset between the wall clock and CLOCK_BOOTTIME is measured once, when
// the collector starts, and used for every conversion afterwards. A per-event
// measurement would let NTP slews give one process two different start_time
// values, and (pid, start_time) must stay a stable key across tables.
class BootClock {
public:
	BootClock();
	int64_t to_unix_ns(uint64_t boot_ns) const { return int64_t(boot_ns) + offset_ns_; }
	int64_t offset_ns() const { return offset_ns_; }
	static int64_t now_unix_ns();
	// CLOCK_BOOTTIME now: the clock of procsqld's watermarks, the same in
	// every process on the host and never stepped.
	static int64_t now_boot_ns();

private:
	int64_t offset_ns_;
};

} // namespace procsql
