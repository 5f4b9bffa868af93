// Kernel failed-exec record (bpf/event_abi.h) -> ExecFailureRow + strings.
#pragma once

#include <cstddef>
#include <string>

#include "clock.h"
#include "exec_failure_event.h"

namespace procsql {

struct ExecFailureDecodeResult {
	ExecFailureRow row{};
	ExecFailureStrings strings{}; // views into the record, but filename (see below)
	// An execveat relative to a descriptor is named as the kernel names it
	// (fs/exec.c alloc_bprm, process_events.filename): "/dev/fd/N" or
	// "/dev/fd/N/NAME"; strings[kFailFilename] then points here.
	std::string fd_filename;
	bool path_incomplete = false; // path, cwd or filename not whole
	bool argv_truncated = false;

	ExecFailureDecodeResult() = default;
	ExecFailureDecodeResult(const ExecFailureDecodeResult&) = delete; // strings may point into it
	ExecFailureDecodeResult& operator=(const ExecFailureDecodeResult&) = delete;
};

// Validates every length against the record size before touching a byte: a
// malformed record is refused with a reason, never read past its end.
bool decode_exec_failure_record(const void* data, size_t size, const BootClock& clock, ExecFailureDecodeResult* out,
                                std::string* why);

// filename as the kernel names an exec's file: `name` itself, but for an
// execveat relative to descriptor `dirfd` (not AT_FDCWD) with a relative
// `name`, "/dev/fd/N" (empty name) or "/dev/fd/N/NAME".
std::string exec_fd_filename(int dirfd, std::string_view name);

} // namespace procsql
