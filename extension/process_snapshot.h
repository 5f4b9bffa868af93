// The live processes, for the processes table: what the source reports (the
// kernel's task iterator, sources/bpf/process_records.h, or /proc for the
// audit backend), plus argv from /proc/PID/cmdline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// argv of each process from /proc/PID/cmdline (empty for kernel threads and
// processes that exited meanwhile).
void read_cmdlines(std::vector<LiveProcess>* processes, const std::string& proc_root = "/proc");

} // namespace procsql
