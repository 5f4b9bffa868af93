// An OCI seccomp profile (runtime-spec config.json `linux.seccomp`; the same
// JSON Docker's --security-opt seccomp=, Podman and Kubernetes `localhost/`
// profiles take) that allows the calls recorded and the ones the container
// runtime itself makes after it installs the filter, and refuses the rest.
// Pure logic, unit-tested; procsql_seccomp_profile() (tables/
// seccomp_profile.cpp) feeds it syscall_usage's rows.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace procsql {

struct SeccompProfileOptions {
	// What a call not allowed gets: EPERM (SCMP_ACT_ERRNO, defaultErrnoRet 1),
	// ENOSYS (38: "not implemented", which programs often fall back from),
	// or SCMP_ACT_LOG (allowed and logged by the kernel: a trial).
	enum class Default { eperm, enosys, log };
	Default default_action = Default::eperm;
	bool operator==(const SeccompProfileOptions& o) const { return default_action == o.default_action; }
};

// "", "EPERM", "ENOSYS" or "SCMP_ACT_LOG" (case-insensitive). Else false with
// a one-line reason.
bool parse_seccomp_profile_options(const std::string& text, SeccompProfileOptions* out, std::string* error);

// What runc (1.1, and crun alike) calls between installing the filter and
// the workload's first exec, which syscall_usage does not record (it records
// from that exec on): without them the container would not start. Sorted.
const std::vector<std::string>& runtime_syscalls();

class SeccompProfile {
public:
	// One recorded call: its libseccomp name and ABI ("x86_64", "x86"...).
	// False with a one-line reason for an ABI no profile can name.
	bool add(const std::string& syscall, const std::string& arch, std::string* error);
	bool empty() const { return names_.empty() && arches_.empty(); }
	// The profile as JSON (one line, names sorted: the same rows give the
	// same bytes). The build's own ABI is always listed: the runtime's calls are made on it.
	std::string json(const SeccompProfileOptions& options) const;

private:
	std::set<std::string> names_;
	std::set<std::string> arches_; // SCMP_ARCH_*
};

} // namespace procsql
