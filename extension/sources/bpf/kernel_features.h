// What the eBPF collector takes from the kernel beyond its floor, and what it
// does without each: one list, from which procsql_stats' feature rows and the
// README's kernel-floor table (procsql_gen_docs) are both made, so the two say
// the same thing as the code that chooses.
#pragma once

#include <string>

namespace procsql {

enum class KernelFeature {
	bpf_loop,          // the path walk takes any number of components
	execveat_tracepoint, // process_events.syscall tells execveat from execve
	clone_tracepoints,   // which call made a process; unshare, setns and failed calls
	exec_failure_tracepoints, // exec_failures: execve/execveat that returned an error
	mm_at_exit,        // sched_process_exit runs before exit_mm(): the exit reads its own executable
	task_storage,      // per-task memo of the executable for exits (else a hash by thread group)
};

struct KernelFeatureDoc {
	KernelFeature feature;
	const char* what;    // the kernel feature, as a reader would look for it
	const char* since;   // the first kernel release with it
	const char* stat;    // the procsql_stats row that says what this kernel gave
	const char* with;    // that row's value with the feature
	const char* without; // that row's value without it (also the README's "effect")
};

// The row of procsql_stats for `feature`: its name and its value given
// whether the kernel has it.
const KernelFeatureDoc& kernel_feature(KernelFeature feature);
const char* kernel_feature_text(KernelFeature feature, bool present);

// The README's table: feature, kernel, procsql_stats row, effect without it.
std::string kernel_features_markdown();

} // namespace procsql
