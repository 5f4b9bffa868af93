// Why the kernel refused the eBPF collector, in words that lead to the fix.
//
// A refused load comes back from libbpf as one errno (EACCES for a verifier
// refusal and for a missing capability alike), so the errno alone would send
// root to look for privileges it has. The cause is told apart from what else
// is known: the process's capabilities, the kernel's lockdown mode, and the
// messages libbpf logged while loading (the verifier's log among them).
// Pure: the facts are gathered by bpf_source, so this is tested on captured
// logs from real kernels.
#pragma once

#include <string>

namespace procsql {

enum class BpfLoadErrorKind {
	privileges,     // no CAP_BPF+CAP_PERFMON nor CAP_SYS_ADMIN
	lockdown,       // lockdown=confidentiality forbids reading kernel memory
	missing_helper, // the verifier does not know a helper: the kernel is too old or lacks it
	missing_hook,   // a tracepoint or program type the kernel does not have
	verifier,       // the verifier refused a program
	other,
};

struct BpfLoadFacts {
	int err = 0;                 // errno of the failed load or attach (positive)
	bool has_capabilities = true; // CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON, are effective
	std::string lockdown;        // the active mode from /sys/kernel/security/lockdown, or ""
	std::string libbpf_log;      // every message libbpf logged while loading
	std::string stage;           // what failed, e.g. "load" or "attach procsql_exec"
};

struct BpfLoadError {
	BpfLoadErrorKind kind = BpfLoadErrorKind::other;
	std::string message; // one line, no trailing newline
};

BpfLoadError classify_bpf_load_error(const BpfLoadFacts& facts);

// The last verifier log in `libbpf_log`: the program it is about and its
// closing error lines (without the instruction trace and the statistics).
struct VerifierVerdict {
	std::string program;
	std::string last_lines; // joined with "; "
};
bool last_verifier_verdict(const std::string& libbpf_log, VerifierVerdict* out);

// The last line of libbpf's log that says something ("" when none).
std::string last_libbpf_message(const std::string& libbpf_log);

// The facts about this process and kernel (capabilities, lockdown).
bool process_has_bpf_capabilities();
std::string kernel_lockdown_mode();

} // namespace procsql
