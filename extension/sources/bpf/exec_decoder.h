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
// `execveat_hooked`: the sys_enter_execveat tracepoint is attached, so a
// record without the execveat mark is certainly an execve.
bool decode_exec_record(const void* data, size_t size, const BootClock& clock, bool execveat_hooked,
                        ExecDecodeResult* out, std::string* why);

} // namespace procsql
