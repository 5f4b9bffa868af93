#include "syscalls/seccomp_profile.h"

#include <algorithm>
#include <cctype>

#include <seccomp.h>

#include "syscalls/syscall_names.h"

namespace procsql {

namespace {

std::string upper(std::string s) {
	for (char& ch : s) {
		ch = char(std::toupper(static_cast<unsigned char>(ch)));
	}
	return s;
}

void json_string(std::string* out, const std::string& s) {
	// Names and tokens are [a-zA-Z0-9_]: nothing to escape, but be safe.
	*out += '"';
	for (char ch : s) {
		if (ch == '"' || ch == '\\') {
			*out += '\\';
		}
		if (static_cast<unsigned char>(ch) >= 0x20) {
			*out += ch;
		}
	}
	*out += '"';
}

} // namespace

bool parse_seccomp_profile_options(const std::string& text, SeccompProfileOptions* out, std::string* error) {
	std::string t = text;
	while (!t.empty() && t.back() == ' ') t.pop_back();
	while (!t.empty() && t.front() == ' ') t.erase(0, 1);
	const std::string u = upper(t);
	SeccompProfileOptions o;
	if (u.empty() || u == "EPERM") {
		o.default_action = SeccompProfileOptions::Default::eperm;
	} else if (u == "ENOSYS") {
		o.default_action = SeccompProfileOptions::Default::enosys;
	} else if (u == "SCMP_ACT_LOG") {
		o.default_action = SeccompProfileOptions::Default::log;
	} else {
		*error = "procsql_seccomp_profile: options must be 'EPERM' (the default), 'ENOSYS' or 'SCMP_ACT_LOG', got '" +
		         text + "'";
		return false;
	}
	*out = o;
	return true;
}

const std::vector<std::string>& runtime_syscalls() {
	// runc installs the filter in `runc init` (prctl PR_SET_SECCOMP, on the
	// init thread) before it waits for `runc start` and execs the workload
	// (with noNewPrivileges, runc's default; otherwise just before the
	// exec, a subset of this). Seen with strace on runc 1.1.5: after the
	// filter it closes its pipes (close), opens and writes the exec FIFO
	// (openat, write), checks /proc/self/fd is procfs and closes every
	// other descriptor through it (fstatfs, getdents64, close; close_range
	// in later runc), registers descriptors with the Go poller (epoll_ctl,
	// fcntl), looks the program up (newfstatat) and execs it (execve). The
	// Go runtime runs on that thread meanwhile: futexes, sleeps, yields,
	// preemption signals (rt_sigreturn), memory (mmap, munmap, madvise,
	// mprotect), and a new thread's start (clone, clone3, rseq,
	// set_robust_list, sigaltstack, rt_sigprocmask, gettid); exit and
	// exit_group when anything fails. tests/integration/test_syscall_usage.py
	// runs containers with nothing but these and the workload's allowed.
	static const std::vector<std::string> names = [] {
		std::vector<std::string> v = {
		    "clone", "clone3", "close", "close_range", "epoll_ctl", "epoll_pwait", "execve", "exit",
		    "exit_group", "fcntl", "fstat", "fstatfs", "futex", "getdents64", "getpid", "gettid",
		    "madvise", "mmap", "mprotect", "munmap", "nanosleep", "newfstatat", "openat", "read",
		    "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sched_yield", "set_robust_list",
		    "sigaltstack", "tgkill", "write",
		};
		std::sort(v.begin(), v.end());
		return v;
	}();
	return names;
}

bool SeccompProfile::add(const std::string& syscall, const std::string& arch, std::string* error) {
	const std::string token = oci_arch_token(arch);
	if (token.empty() || seccomp_arch_resolve_name(arch.c_str()) == 0) {
		*error = "procsql_seccomp_profile: the arch '" + arch +
		         "' has no seccomp architecture name (expected libseccomp's, such as 'x86_64' or 'x86')";
		return false;
	}
	arches_.insert(token);
	if (!syscall.empty()) {
		names_.insert(syscall);
	}
	return true;
}

std::string SeccompProfile::json(const SeccompProfileOptions& options) const {
	std::set<std::string> arches = arches_;
	if (const char* native = syscall_abi_name(0)) {
		arches.insert(oci_arch_token(native));
	}
	std::set<std::string> names = names_;
	names.insert(runtime_syscalls().begin(), runtime_syscalls().end());

	std::string out = "{\"defaultAction\":";
	switch (options.default_action) {
	case SeccompProfileOptions::Default::eperm: out += "\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1"; break;
	case SeccompProfileOptions::Default::enosys: out += "\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38"; break;
	case SeccompProfileOptions::Default::log: out += "\"SCMP_ACT_LOG\""; break;
	}
	out += ",\"architectures\":[";
	bool first = true;
	for (const std::string& a : arches) {
		out += first ? "" : ",";
		first = false;
		json_string(&out, a);
	}
	out += "],\"syscalls\":[{\"names\":[";
	first = true;
	for (const std::string& n : names) {
		out += first ? "" : ",";
		first = false;
		json_string(&out, n);
	}
	out += "],\"action\":\"SCMP_ACT_ALLOW\"}]}";
	return out;
}

} // namespace procsql
