// Kernel clone and exit records (bpf/event_abi.h) -> CloneRow / ExitRow.
#pragma once

#include <cstddef>
#include <string>

#include "clock.h"
#include "lifecycle_event.h"

namespace procsql {

struct CloneDecodeResult {
	CloneRow row{};
	std::array<std::string_view, kCloneStringCount> strings{};
};

struct ExitDecodeResult {
	ExitRow row{};
	std::array<std::string_view, kExitStringCount> strings{};
};

// Both validate every length against the record size first; a malformed
// record is refused with a reason, never read past its end.
bool decode_clone_record(const void* data, size_t size, const BootClock& clock, CloneDecodeResult* out,
                         std::string* why);
bool decode_exit_record(const void* data, size_t size, const BootClock& clock, ExitDecodeResult* out,
                        std::string* why);

} // namespace procsql
