// Kernel exec record (bpf/event_abi.h) -> ExecRow + strings.
#pragma once

#include <cstddef>
#include <string>

#include "clock.h"
#include "exec_event.h"

namespace procsql {

struct ExecDecodeResult {
	ExecRow row{};
	ExecStrings strings{};   // views into the record
	bool path_incomplete;    // path, cwd or parent_path not resolved whole
	bool argv_truncated;
};

// Validates every length against the record size before touching a byte: a
// malformed record is refused with a reason, never read past its end.
bool decode_exec_record(const void* data, size_t size, const BootClock& clock, ExecDecodeResult* out,
                        std::string* why);

// The exec syscall a syscall number names on this architecture.
ExecSyscall exec_syscall_from_nr(int nr);

} // namespace procsql
