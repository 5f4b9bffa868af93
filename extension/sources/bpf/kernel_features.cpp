#include "sources/bpf/kernel_features.h"

#include "event_abi.h"

namespace procsql {

namespace {

#define PROCSQL_STR2(x) #x
#define PROCSQL_STR(x) PROCSQL_STR2(x)

const KernelFeatureDoc kFeatures[] = {
    {KernelFeature::bpf_loop, "`bpf_loop` helper", "5.17", "bpf.path_walk",
     "bpf_loop (paths of any depth; a failed exec's arguments are read up to " PROCSQL_STR(PROCSQL_FAIL_ARGS_LOOP)
     " and counted up to " PROCSQL_STR(PROCSQL_FAIL_ARGC_LOOP) ")",
     "bounded loop (" PROCSQL_STR(PROCSQL_WALK_BOUNDED_COMPONENTS) " components; deeper paths are flagged "
     "path_truncated; a failed exec's arguments are read and counted up to " PROCSQL_STR(PROCSQL_FAIL_ARGS_BOUNDED)
     ", its argc is NULL beyond)"},
    {KernelFeature::execveat_tracepoint, "syscall tracepoints (`CONFIG_FTRACE_SYSCALLS`, tracefs)", "any",
     "bpf.syscall_column", "exact (syscalls/sys_enter_execve and sys_enter_execveat attached)",
     "partial: tracefs or syscall tracepoints unavailable; execveat known only for fd-relative execs, "
     "otherwise NULL"},
    {KernelFeature::clone_tracepoints, "syscall tracepoints (`CONFIG_FTRACE_SYSCALLS`, tracefs)", "any",
     "bpf.clone_calls", "exact (clone, clone3, fork, vfork, unshare, setns tracepoints attached)",
     "partial: syscall tracepoints unavailable; process creation is seen with syscall NULL, unshare/setns "
     "and failed calls are not"},
    {KernelFeature::exec_failure_tracepoints, "syscall tracepoints (`CONFIG_FTRACE_SYSCALLS`, tracefs)", "any",
     "bpf.exec_failures", "exact (syscalls/sys_{enter,exit}_{execve,execveat} attached)",
     "unavailable: tracefs or syscall tracepoints unavailable; failed execs are not seen and exec_failures "
     "stays empty"},
    {KernelFeature::mm_at_exit, "`sched_process_exit` before `exit_mm()` (it has `group_dead`)", "6.16",
     "bpf.exit_path", "read at exit (the exit tracepoint runs before exit_mm: 6.16+)",
     "remembered at exec and fork: `process_exits.path` is the last executable the process ran "
     "(a process older than procsql gets its memo when procsql starts); one not remembered is counted "
     "in bpf.exe_memos_lost and its exit's path is NULL"},
    {KernelFeature::task_storage, "task storage (`BPF_MAP_TYPE_TASK_STORAGE`) with its recursion guard (`bpf_task_storage_busy`)", "5.13", "bpf.exit_path",
     "remembered at exec and fork (task storage)",
     "remembered at exec and fork (hash map by thread group): at most " PROCSQL_STR(PROCSQL_EXE_MEMO_HASH_MAX)
     " processes at once, more are counted in bpf.exe_memos_lost"},
};

} // namespace

const KernelFeatureDoc& kernel_feature(KernelFeature feature) {
	for (const KernelFeatureDoc& d : kFeatures) {
		if (d.feature == feature) {
			return d;
		}
	}
	return kFeatures[0]; // unreachable: every enumerator has a row
}

const char* kernel_feature_text(KernelFeature feature, bool present) {
	const KernelFeatureDoc& d = kernel_feature(feature);
	return present ? d.with : d.without;
}

std::string kernel_features_markdown() {
	std::string out = "| kernel feature | since | `procsql_stats` row | with it | without it |\n"
	                  "|---|---|---|---|---|\n";
	for (const KernelFeatureDoc& d : kFeatures) {
		out += std::string("| ") + d.what + " | " + d.since + " | `" + d.stat + "` | " + d.with + " | " +
		       d.without + " |\n";
	}
	return out;
}

} // namespace procsql
