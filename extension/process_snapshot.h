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
	// Privileges (as process_events has them after an exec); has_privileges
	// false when they could not be read.
	bool has_privileges = false;
	uint8_t seccomp = 0, no_new_privs = 0; // ExecSeccomp, 0/1
	uint64_t cap_effective = 0, cap_permitted = 0, cap_ambient = 0, cap_bounding = 0;
	std::string path, cwd, tty; // tty: the kernel's name ("pts3")
	std::string argv;           // raw: arguments separated by NUL
};

// argv of each process from /proc/PID/cmdline (empty for kernel threads and
// processes that exited meanwhile).
void read_cmdlines(std::vector<LiveProcess>* processes, const std::string& proc_root = "/proc");

} // namespace procsql
