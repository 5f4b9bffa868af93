// One syscall_usage row: how often the processes of one cgroup made one
// syscall through one ABI, from the kernel's counts (bpf/syscalls.bpf.h).
#pragma once

#include <cstdint>
#include <string>

namespace procsql {

struct SyscallUsageRow {
	uint64_t cgroup_id = 0;
	std::string container_id;
	std::string syscall; // libseccomp's name; "" when it has none for nr
	std::string arch;    // libseccomp's ABI name: "x86_64", "x86", "x32"
	uint32_t nr = 0;
	uint64_t count = 0;
	int64_t first_time = 0; // Unix ns
	int64_t last_time = 0;  // Unix ns
};

} // namespace procsql
