#include "unknown_columns.h"

#include <cstring>
#include <vector>

#include "event_abi.h"
#include "schema.h"

namespace procsql {

namespace {
#define PROCSQL_STR2(x) #x
#define PROCSQL_STR(x) PROCSQL_STR2(x)

// The reasons audit shares between columns.
const char kAuditProcRead[] =
    "Read from `/proc/PID` when the process-events connector reports the fork or exec: NULL when the "
    "process had already ended (audit records carry no cgroup, namespaces or start time).";
const char kAuditCallerProcRead[] =
    "The caller's, read from `/proc/PID`: NULL when it ended before it could be read.";
const char kAuditExitProcRead[] =
    "Read from `/proc/PID` while the process lived: NULL when procsql never could (it started and "
    "ended between two reads, or before procsql loaded and was never seen alive).";
const char kAuditFileInfo[] =
    "From the executed file's `PATH` record: NULL when the event has no `PATH` item for it.";
const char kAuditPrivileges[] =
    "From `/proc/PID/status`, read when the process-events connector reports the exec (audit's records "
    "carry no capability sets, `no_new_privs` or seccomp mode): NULL when the process had already ended "
    "or exec'd again by then, or the connector lost events. The read follows the exec by microseconds to "
    "milliseconds: a process that changes its own privileges at once (`capset`, `prctl`, a seccomp filter "
    "of its own, as `setpriv` does before it execs its command) may show the changed ones.";
const char kBpfFailArgs[] =
    "Read from the caller's memory through the pointers its entry tracepoint saw: NULL when the call began "
    "before procsql attached or that tracepoint did not run (`bpf.call_marks_lost`), when the pointers could "
    "not be read, and without syscall tracepoints (no rows at all then: `bpf.exec_failures`).";
const char kAuditFailArgs[] =
    "Audit logs the arguments (an `EXECVE` record) only of an exec that succeeded (Linux 5.9 and later; "
    "before, also of one that failed once its file was open): NULL.";
const char kAuditNoRecord[] =
    "NULL for a fork no audit record claimed within 3 s (kernel threads, or records the kernel lost: "
    "`audit.forks_without_record`).";

const std::vector<UnknownColumn> kUnknownColumns = {
    {"process_events", "tid", nullptr,
     "Audit names the process, not the thread that called exec; the connector's thread reports name it "
     "unless the process had several threads when it exec'd."},
    {"process_events", "start_time", nullptr, kAuditProcRead},
    {"process_events", "parent_path", "NULL for a kernel-thread parent.",
     "The parent's executable, as procsql saw it exec or start, else read from `/proc`: NULL when the "
     "parent had ended before procsql ever saw it."},
    {"process_events", "mode", nullptr, kAuditFileInfo},
    {"process_events", "owner_uid", nullptr, kAuditFileInfo},
    {"process_events", "owner_gid", nullptr, kAuditFileInfo},
    {"process_events", "inode", nullptr, kAuditFileInfo},
    {"process_events", "cgroup_id", nullptr, kAuditProcRead},
    {"process_events", "mnt_ns", nullptr, kAuditProcRead},
    {"process_events", "pid_ns", nullptr, kAuditProcRead},
    {"process_events", "ns_pid", nullptr, kAuditProcRead},
    {"process_events", "syscall",
     "Without syscall tracepoints (see the kernel floor) only fd-relative execs read `execveat`; the "
     "others are NULL.",
     nullptr},
    {"process_events", "container_id", nullptr, "NULL when `cgroup_id` is."},
    {"process_events", "env", "NULL when `PROCSQL_ENV` is empty or the new image's stack was not laid out as an ELF loader lays it out.",
     "Always NULL: audit's `EXECVE` record holds the arguments, never the environment, and `/proc/PID/environ` read later may have changed or be gone."},
    {"process_events", "env_truncated", "NULL, as `env`.", "NULL, as `env`."},
    {"process_events", "cap_effective", nullptr, kAuditPrivileges},
    {"process_events", "cap_permitted", nullptr, kAuditPrivileges},
    {"process_events", "cap_ambient", nullptr, kAuditPrivileges},
    {"process_events", "cap_bounding", nullptr, kAuditPrivileges},
    {"process_events", "no_new_privs", nullptr, kAuditPrivileges},
    {"process_events", "seccomp", nullptr, kAuditPrivileges},
    {"process_events", "exe_fs", nullptr,
     "Always NULL: audit's `PATH` record names the file's device, not its file system type, and the file may be gone when procsql could look."},
    {"process_events", "exe_upper_layer",
     "NULL on overlay when the overlay inode could not be read (counted in `process_events.exe_layer_unknown`).",
     "Always NULL: nothing in audit's records or in `/proc` says which layer of an overlay a file came from."},
    {"clone_events", "tid", nullptr,
     "The calling thread: the connector names it for a new process (not with `CLONE_PARENT`); for "
     "`unshare`, `setns` and failed calls it is known only when the caller has one thread."},
    {"clone_events", "path", "NULL for a kernel thread.",
     "NULL for a kernel thread, and for a caller procsql never saw exec or start that ended before "
     "`/proc` was read."},
    {"clone_events", "syscall",
     "NULL for tasks the kernel makes itself (kernel threads, io workers), and for every new process "
     "without syscall tracepoints.",
     kAuditNoRecord},
    {"clone_events", "flags", nullptr,
     "`clone3` passes its flags in memory that audit does not log; also NULL for a fork without a record."},
    {"clone_events", "flags_text", nullptr, "NULL when `flags` is."},
    {"clone_events", "new_namespaces", nullptr,
     "`clone3`: the namespaces the child has and its parent had not, NULL when the child ended before "
     "`/proc` was read; `setns`: from the caller's namespaces after the call, NULL when it ended before "
     "they could be read; also NULL for a fork without a record."},
    {"clone_events", "cgroup_id", nullptr, kAuditCallerProcRead},
    {"clone_events", "mnt_ns", nullptr, kAuditCallerProcRead},
    {"clone_events", "pid_ns", nullptr, kAuditCallerProcRead},
    {"clone_events", "container_id", nullptr, "NULL when `cgroup_id` is."},
    {"process_exits", "start_time", nullptr, kAuditExitProcRead},
    {"process_exits", "path", "NULL when the kernel had already released the process's memory map.",
     "NULL when procsql never learnt the executable (see `start_time`)."},
    {"process_exits", "duration_ns", nullptr, "NULL when `start_time` is."},
    {"process_exits", "cgroup_id", nullptr, kAuditExitProcRead},
    {"process_exits", "container_id", nullptr, "NULL when `cgroup_id` is."},
    {"exec_failures", "tid", nullptr,
     "Audit names the process, not the thread, and the connector reports nothing of a failed exec: known "
     "only when the process had one thread when it called."},
    {"exec_failures", "start_time", nullptr,
     "The caller's, as procsql saw it start or read it from `/proc/PID`: NULL when it had ended before "
     "either (audit records carry no start time)."},
    {"exec_failures", "filename",
     "Read from the caller's memory through the pointer its entry tracepoint saw: NULL when the call began "
     "before procsql attached or that tracepoint did not run (`bpf.call_marks_lost`), and when the name could "
     "not be read (`EFAULT`).",
     "From the event's first `PATH` record: NULL when it has none (a name that could not be read: `EFAULT`)."},
    {"exec_failures", "argv", kBpfFailArgs, kAuditFailArgs},
    {"exec_failures", "cmdline", "NULL when `argv` is.", "NULL when `argv` is."},
    {"exec_failures", "argc",
     "NULL when `argv` is, and when the argument pointers could not be counted to their end: more than "
     PROCSQL_STR(PROCSQL_FAIL_ARGS_BOUNDED) " without `bpf_loop` (see the kernel floor), more than "
     PROCSQL_STR(PROCSQL_FAIL_ARGC_LOOP) " with it.",
     "NULL when `argv` is."},
    {"exec_failures", "cwd", nullptr,
     "From the event's `CWD` record, which audit writes when the call looked a name up: NULL when it did not "
     "(`EFAULT`)."},
    {"exec_failures", "cgroup_id", nullptr, kAuditCallerProcRead},
    {"exec_failures", "container_id", nullptr, "NULL when `cgroup_id` is."},
};

bool is_column(const char* table, const char* column) {
	for (const TableDef* t : all_tables()) {
		if (std::strcmp(t->name, table) != 0) {
			continue;
		}
		for (size_t i = 0; i < t->column_count; i++) {
			if (std::strcmp(t->columns[i].name, column) == 0) {
				return true;
			}
		}
	}
	return false;
}
} // namespace

std::string unknown_columns_markdown(std::string* error) {
	std::string md = "| table | column | eBPF | audit |\n|---|---|---|---|\n";
	for (const UnknownColumn& u : kUnknownColumns) {
		if (!is_column(u.table, u.column)) {
			*error += std::string("unknown_columns: ") + u.table + "." + u.column + " is not a column\n";
		}
		md += "| `";
		md += u.table;
		md += "` | `";
		md += u.column;
		md += "` | ";
		md += u.bpf ? u.bpf : "always known";
		md += " | ";
		md += u.audit ? u.audit : "always known";
		md += " |\n";
	}
	return md;
}

} // namespace procsql
