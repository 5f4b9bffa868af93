// The live processes, for the processes table: what the kernel's task
// iterator reports (bpf/processes.bpf.h), plus argv from /proc/PID/cmdline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clock.h"

namespace procsql {

struct LiveProcess {
	int32_t pid = 0;
	int32_t parent = 0;
	uint32_t uid = 0;
	int64_t start_time = 0; // Unix ns, the same value process_events.start_time has
	uint64_t cgroup_id = 0;
	bool has_path = false, has_cwd = false, has_tty = false, path_truncated = false;
	std::string path, cwd, tty; // tty: the kernel's name ("pts3")
	std::string argv;           // raw: arguments separated by NUL
};

// Decodes the iterator's records (validated like every kernel record: a
// malformed one ends decoding with a reason, never a read past its end).
bool decode_process_records(const char* data, size_t size, const BootClock& clock,
                            std::vector<LiveProcess>* out, std::string* why);

// argv of each process from /proc/PID/cmdline (empty for kernel threads and
// processes that exited meanwhile).
void read_cmdlines(std::vector<LiveProcess>* processes, const std::string& proc_root = "/proc");

} // namespace procsql
