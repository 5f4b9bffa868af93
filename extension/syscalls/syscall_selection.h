// What syscall_usage records (PROCSQL_SYSCALLS, `procsql record`): every
// container (`all`, never the host), or the containers whose id starts with
// one of a list of prefixes. Pure logic, unit-tested.
#pragma once

#include <string>
#include <vector>

namespace procsql {

struct SyscallSelection {
	bool all = false;
	std::vector<std::string> prefixes; // each non-empty, unique, in the order given

	bool empty() const { return !all && prefixes.empty(); }
	// Whether a cgroup of this container is recorded ("" is the host: never).
	bool chooses(const std::string& container_id) const;
	// As PROCSQL_SYSCALLS spells it: "all", "a,b", or "" for nothing.
	std::string text() const;
	bool operator==(const SyscallSelection& o) const { return all == o.all && prefixes == o.prefixes; }
	bool operator!=(const SyscallSelection& o) const { return !(*this == o); }
};

// One container id prefix as a user gives it: letters, digits, '_', '-',
// '.', at most 128 bytes (container ids are such, and a prefix is also a
// file name in procsqld's control directory). Else false with a one-line
// reason naming `what` (e.g. "PROCSQL_SYSCALLS").
bool valid_container_prefix(const std::string& prefix, const std::string& what, std::string* error);

// Parses "all", or container id prefixes separated by commas (spaces around
// each ignored); "" selects nothing. `all` cannot be mixed with prefixes.
bool parse_syscall_selection(const std::string& text, SyscallSelection* out, std::string* error);

} // namespace procsql
