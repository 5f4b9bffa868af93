// The one definition of every table's columns. The SQL declaration
// (declare_sql), the column enums the cursors switch on, and the README's
// table reference (procsql_gen_docs) all come from the lists below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace procsql {

// `any`: declared without a type, so SQLite applies no affinity.
// `argument`: a HIDDEN column of a table-valued function, one of its
// arguments (procsql_window('job', 'process_events')).
enum class ColumnType { integer, text, any, argument };

struct ColumnDef {
	const char* name;
	ColumnType type;
	const char* doc;
};

struct TableDef {
	const char* name;
	const char* summary;
	const ColumnDef* columns;
	size_t column_count;
};

// X(name, type, doc) for each column of process_events, in order.
#define PROCSQL_PROCESS_EVENTS_COLUMNS(X)                                                                      \
	X(eid, integer, "Event id: starts at 1 and grows by one per row of this table. `WHERE eid > N` resumes after row N and costs only the new rows.") \
	X(time, integer, "Time of the exec, Unix seconds (`time_ns / 1e9` rounded down).")                          \
	X(time_ns, integer, "Time of the exec, Unix ns: the kernel's boot-clock timestamp plus the wall-clock offset measured when the collector started.") \
	X(pid, integer, "Process id (host pid namespace).")                                                        \
	X(tid, integer, "Thread that called exec (host). Differs from `pid` when a non-leader thread execs; the process keeps `pid`.") \
	X(parent, integer, "Parent process id (real parent, host pid namespace).")                                 \
	X(start_time, integer, "Start of the process, Unix ns. `(pid, start_time)` identifies a process across pid reuse.") \
	X(parent_path, text, "Executable of the parent, as its `/proc/PID/exe` shows it. NULL for a kernel-thread parent.") \
	X(comm, text, "Command name after the exec (the kernel's 16-byte `comm`).")                                \
	X(path, text, "Absolute path of the binary that runs, as `/proc/PID/exe` shows it to the process: symlinks resolved, the interpreter for a `#!` script, `/memfd:NAME (deleted)` for a memfd, a ` (deleted)` suffix for an unlinked file, the path inside the container for a containerised process.") \
	X(filename, text, "File name as passed to exec: relative (`./ls`), `/dev/fd/N` for `fexecve`, the script for a `#!` script.") \
	X(cmdline, text, "Arguments joined by single spaces. Bytes that are not valid UTF-8 read as U+FFFD; `argv` keeps them exactly.") \
	X(argv, text, "Arguments as a JSON array of strings that round-trips every byte: a byte that is not part of valid UTF-8 is written as the lone surrogate `\\udcXX` (PEP 383 surrogateescape).") \
	X(argc, integer, "True number of arguments, even when `argv` is truncated.")                               \
	X(cmdline_truncated, integer, "1 when the arguments were longer than `PROCSQL_ARGV_BYTES` (the prefix is kept, the last argument may be cut) or could not be read.") \
	X(path_truncated, integer, "1 when `path`, `cwd` or `parent_path` could not be resolved whole; the part kept is the end of the path.") \
	X(cwd, text, "Working directory of the process, as `/proc/PID/cwd` shows it to the process.")              \
	X(mode, integer, "`st_mode` of the executed file (type and permission bits; setuid is 2048).")             \
	X(owner_uid, integer, "Owner uid of the executed file.")                                                   \
	X(owner_gid, integer, "Owner gid of the executed file.")                                                   \
	X(inode, integer, "Inode number of the executed file.")                                                    \
	X(uid, integer, "Real uid after the exec, as the initial user namespace sees it.")                         \
	X(euid, integer, "Effective uid after the exec (setuid applied).")                                         \
	X(gid, integer, "Real gid after the exec.")                                                                \
	X(egid, integer, "Effective gid after the exec (setgid applied).")                                         \
	X(auid, integer, "Audit login uid; NULL when unset.")                                                      \
	X(session, integer, "Audit session id; NULL when unset.")                                                  \
	X(tty, text, "Controlling terminal like `pts/3`; NULL when there is none.")                                \
	X(cgroup_id, integer, "Id of the process's cgroup v2 (the inode of its directory in the cgroup2 mount).")  \
	X(mnt_ns, integer, "Mount namespace inode number.")                                                        \
	X(pid_ns, integer, "Pid namespace inode number.")                                                          \
	X(ns_pid, integer, "Process id in its own pid namespace (equals `pid` on the host).")                      \
	X(syscall, text, "`execve` or `execveat` (`fexecve` is `execveat`); NULL where the kernel cannot tell (no syscall tracepoints, see the kernel floor).") \
	X(container_id, text, "Container the process ran in, resolved when the event arrived from the cgroup the kernel saw (see `container_map`), so it stays when the container is gone; NULL on the host.") \
	X(env, text, "The environment variables named in `PROCSQL_ENV` that the new image got, as a JSON object (`{\"LD_PRELOAD\":\"/tmp/x.so\"}`; `{}` when none is set), each value's bytes exactly as `argv` keeps them. Filtered in the kernel: no other variable's bytes leave it. A name set twice keeps its first value, as `getenv` does. NULL when the environment could not be read or `PROCSQL_ENV` is empty.") \
	X(env_truncated, integer, "1 when the environment was longer than `PROCSQL_ENV_BYTES` (or had more variables than procsql looks at): variables past the bound were not looked at.") \
	X(cap_effective, integer, "Effective capabilities after the exec: bit N set = capability N (`procsql_caps_text(cap_effective)` names them).") \
	X(cap_permitted, integer, "Permitted capabilities after the exec.")                                      \
	X(cap_ambient, integer, "Ambient capabilities after the exec.")                                          \
	X(cap_bounding, integer, "Capability bounding set after the exec.")                                      \
	X(no_new_privs, integer, "1 when the process runs with `no_new_privs` (`prctl(PR_SET_NO_NEW_PRIVS)`, `setpriv --no-new-privs`, Docker's `no-new-privileges`).") \
	X(seccomp, text, "Seccomp mode after the exec: `disabled`, `strict` or `filter` (a seccomp filter, such as a container runtime's default profile).") \
	X(exe_fs, text, "Filesystem type of the executed file (`ext4`, `overlay`, `tmpfs`, `xfs`, ...; `0x...` for a type procsql does not name).") \
	X(exe_upper_layer, integer, "1 when the executed file is on the writable upper layer of an overlay mount (written or copied up after the container started: not part of its image), 0 when on a lower layer or not on overlay, NULL where it cannot be known (counted in `process_events.exe_layer_unknown`). Falco's `proc.is_exe_upper_layer`.")

// X(name, type, doc) for each column of clone_events, in order.
#define PROCSQL_CLONE_EVENTS_COLUMNS(X)                                                                        \
	X(eid, integer, "Event id of this table (see `process_events.eid`).")                                      \
	X(time, integer, "Time of the call, Unix seconds.")                                                        \
	X(time_ns, integer, "Time of the call, Unix ns (same clock as `process_events.time_ns`).")                 \
	X(pid, integer, "Caller's process id (host).")                                                             \
	X(tid, integer, "Caller's thread id (host).")                                                              \
	X(comm, text, "Caller's command name.")                                                                    \
	X(path, text, "Caller's executable, as its `/proc/PID/exe` shows it; NULL for a kernel thread.")           \
	X(syscall, text, "`clone`, `clone3`, `fork`, `vfork`, `unshare` or `setns`: the call actually made (glibc's `fork()` is `clone`, `posix_spawn` is `clone3`). NULL when the kernel made the task itself (kernel threads, io workers) or the call could not be seen.") \
	X(flags, integer, "The flag word: clone flags without the exit signal, `clone_args.flags` for clone3, unshare's flags, setns's nstype.") \
	X(flags_text, text, "`flags` as names joined by `|` (`CLONE_NEWNS|CLONE_NEWPID`); '' when 0.")           \
	X(new_namespaces, text, "Namespaces created (clone, unshare) or entered (setns: those whose inode changed), from `mnt,uts,ipc,user,pid,net,cgroup,time` in that order; '' when none or the call failed.") \
	X(child_pid, integer, "Host pid of the new process (for a thread, its process); NULL for unshare, setns and failed calls.") \
	X(child_tid, integer, "Host tid of the new task.")                                                         \
	X(child_start_time, integer, "Start of the new task, Unix ns: `(child_pid, child_start_time)` joins `process_events (pid, start_time)` and `process_exits (pid, start_time)`.") \
	X(uid, integer, "Caller's real uid.")                                                                      \
	X(cgroup_id, integer, "Caller's cgroup v2 id.")                                                            \
	X(mnt_ns, integer, "Caller's mount namespace when the call returned.")                                     \
	X(pid_ns, integer, "Caller's pid namespace when the call returned.")                                       \
	X(result, integer, "What the call returned: the child's pid in the caller's pid namespace, 0, or -errno (failed calls are rows too).") \
	X(container_id, text, "Container of the caller, resolved when the event arrived; NULL on the host.")

// X(name, type, doc) for each column of process_exits, in order.
#define PROCSQL_PROCESS_EXITS_COLUMNS(X)                                                                      \
	X(eid, integer, "Event id of this table (see `process_events.eid`).")                                      \
	X(time, integer, "Time the last thread exited, Unix seconds.")                                             \
	X(time_ns, integer, "Time the last thread exited, Unix ns.")                                               \
	X(pid, integer, "Process id (host).")                                                                      \
	X(start_time, integer, "Start of the process, Unix ns: with `pid`, the key shared with `process_events`.") \
	X(comm, text, "Command name of the process (its main thread's).")                                         \
	X(path, text, "Executable of the process; NULL when the kernel had already released it.")                 \
	X(exit_code, integer, "Exit status 0-255; NULL when a signal ended the process.")                         \
	X(signal, integer, "Signal that ended the process; NULL when it exited.")                                  \
	X(core_dumped, integer, "1 when the process dumped core.")                                                 \
	X(duration_ns, integer, "`time_ns - start_time`.")                                                        \
	X(cgroup_id, integer, "cgroup v2 id of the process when it exited.")                                     \
	X(container_id, text, "Container the process ran in, resolved when the event arrived; NULL on the host.")

// X(name, type, doc) for each column of exec_failures, in order. (`errno` is
// a macro of <cerrno>: its enumerators are pasted, `errno_`, see below.)
#define PROCSQL_EXEC_FAILURES_COLUMNS(X)                                                                      \
	X(eid, integer, "Event id of this table (see `process_events.eid`).")                                      \
	X(time, integer, "Time the call returned its error, Unix seconds.")                                        \
	X(time_ns, integer, "Time the call returned its error, Unix ns (same clock as `process_events.time_ns`).") \
	X(pid, integer, "Caller's process id (host).")                                                             \
	X(tid, integer, "Thread that called exec (host).")                                                         \
	X(start_time, integer, "Start of the caller's process, Unix ns: `(pid, start_time)` joins its rows in the other tables.") \
	X(parent, integer, "Caller's parent process id (real parent, host).")                                     \
	X(comm, text, "Caller's command name (a failed exec changes nothing: the name it had and keeps).")      \
	X(path, text, "Caller's executable, as its `/proc/PID/exe` shows it (the file it tried to run is `filename`).") \
	X(filename, text, "File name as passed to exec, relative as given (a PATH search by `execvp` or a shell is a row per directory that failed); for an `execveat` relative to a descriptor, `/dev/fd/N/NAME` (`/dev/fd/N` for `fexecve`), as in `process_events`. NULL when it could not be read (`EFAULT`).") \
	X(argv, text, "Arguments as passed, a JSON array that round-trips every byte, as `process_events.argv`; NULL when they could not be read.") \
	X(cmdline, text, "Arguments joined by single spaces, as `process_events.cmdline` (lossy); NULL with `argv`.") \
	X(argc, integer, "Number of arguments passed, even when `argv` is cut; NULL when they could not be counted to their end.") \
	X(cmdline_truncated, integer, "1 when `argv` is not every argument: longer than `PROCSQL_ARGV_BYTES` (the prefix is kept, the last argument may be cut), partly unreadable, or NULL.") \
	X(cwd, text, "Caller's working directory, as `/proc/PID/cwd` shows it (where a relative `filename` was looked up).") \
	X(syscall, text, "`execve` or `execveat` (`fexecve` is `execveat`).")                                   \
	X(errno, text, "The error by name: `ENOENT` (no such file, or a `#!` interpreter missing), `EACCES` (no execute permission, a `noexec` mount, a directory), `ENOEXEC` (a format the kernel does not run), `ETXTBSY` (open for writing), `E2BIG` (arguments too long)...; NULL for a number without a name.") \
	X(result, integer, "What the call returned: `-errno` (-2 for `ENOENT`).")                                 \
	X(uid, integer, "Caller's real uid, as the initial user namespace sees it.")                               \
	X(euid, integer, "Caller's effective uid.")                                                                \
	X(auid, integer, "Caller's audit login uid; NULL when unset.")                                             \
	X(tty, text, "Caller's controlling terminal like `pts/3`; NULL when there is none.")                       \
	X(cgroup_id, integer, "Caller's cgroup v2 id.")                                                            \
	X(container_id, text, "Container of the caller, resolved when the event arrived; NULL on the host.")

// X(name, type, doc) for each column of processes, in order.
#define PROCSQL_PROCESSES_COLUMNS(X)                                                                          \
	X(pid, integer, "Process id (host).")                                                                      \
	X(parent, integer, "Parent process id (host).")                                                            \
	X(start_time, integer, "Start of the process, Unix ns: exactly `process_events.start_time`, so `(pid, start_time)` joins the event tables.") \
	X(path, text, "Executable, as `process_events.path` (NULL for kernel threads).")                          \
	X(cmdline, text, "Arguments joined by spaces, as `process_events.cmdline` (from `/proc/PID/cmdline`; '' for kernel threads and for a process caught in the middle of its exec, whose new arguments are not in place yet).") \
	X(cwd, text, "Working directory, as `process_events.cwd`.")                                               \
	X(uid, integer, "Real uid.")                                                                               \
	X(tty, text, "Controlling terminal like `pts/3`; NULL when there is none.")                                \
	X(cgroup_id, integer, "cgroup v2 id.")                                                                     \
	X(container_id, text, "Container the process runs in (see `container_map`); NULL on the host.") \
	X(cap_effective, integer, "Effective capabilities now, as `process_events.cap_effective`.")             \
	X(cap_permitted, integer, "Permitted capabilities now.")                                                   \
	X(cap_ambient, integer, "Ambient capabilities now.")                                                       \
	X(cap_bounding, integer, "Capability bounding set now.")                                                   \
	X(no_new_privs, integer, "1 when the process runs with `no_new_privs`.")                                 \
	X(seccomp, text, "Seccomp mode now: `disabled`, `strict` or `filter`.")

// X(name, type, doc) for each column of container_map, in order.
#define PROCSQL_CONTAINER_MAP_COLUMNS(X)                                                                      \
	X(cgroup_id, integer, "cgroup v2 id: `cgroup_id` in the other tables.")                                    \
	X(cgroup_path, text, "Path of the cgroup below the cgroup v2 root.")                                       \
	X(container_id, text, "Container id as its runtime names it; NULL for a pod's own cgroup.")                \
	X(runtime, text, "`docker`, `containerd`, `cri-o`, `podman`, `runc`, or `kubernetes` for a pod's cgroup.") \
	X(container_name, text, "Name from the runtime's state on disk; NULL when it has none.")                   \
	X(image, text, "Image from the runtime's state on disk; NULL when it has none.")                          \
	X(pod_uid, text, "Kubernetes pod uid (from the cgroup path or the runtime's annotations).")                 \
	X(pod_name, text, "Kubernetes pod name (annotations); NULL when unknown.")                                 \
	X(pod_namespace, text, "Kubernetes namespace (annotations); NULL when unknown.")                           \
	X(created_time, integer, "When the cgroup (or, from runc's state, the container) was created, Unix ns; for cgroups older than the collector, their directory's ctime.") \
	X(removed_time, integer, "When the cgroup was removed, Unix ns; NULL while it exists. Removed containers stay for `PROCSQL_CONTAINER_GRACE` seconds.") \
	X(cgroup_path_truncated, integer, "1 when `cgroup_path` is not whole: the kernel cuts the paths of its cgroup events at 1023 bytes, and the cgroup was gone before procsql could read its whole path by id (counted in `container_map.paths_truncated`); else 0.")

#define PROCSQL_PROCSQL_STATS_COLUMNS(X)                                                   \
	X(name, text, "Counter or setting, e.g. `process_events.events_lost_kernel`.")          \
	X(value, any, "Its value: an integer, or text for names such as `backend`.")

// X(name, type, doc) for each column of syscall_usage, in order.
#define PROCSQL_SYSCALL_USAGE_COLUMNS(X)                                                                      \
	X(cgroup_id, integer, "cgroup v2 id of the processes that made the calls (a container's cgroup, or one under it).") \
	X(container_id, text, "Container of that cgroup (see `container_map`).")                                  \
	X(syscall, text, "The call's name as libseccomp gives it (`scmp_sys_resolver -a ARCH NR`), the name runc, Docker and Podman take in a profile; NULL for a number libseccomp does not name (`nr` has it).") \
	X(arch, text, "The ABI the call was made through, as libseccomp names it: `x86_64`, `x86` (32-bit calls: `int 0x80`, a 32-bit program), `x32`. The same number means another call on each.") \
	X(nr, integer, "The call's number on that ABI.")                                                          \
	X(count, integer, "Calls made since recording of this cgroup began (exact: counted in the kernel).")    \
	X(first_time, integer, "Time of the first such call, Unix ns.")                                           \
	X(last_time, integer, "Time of a recent such call, Unix ns (calls racing on other CPUs may leave either's time).")

// procsql_window(job, table_name [, start]): a job's window on an event table.
#define PROCSQL_PROCSQL_WINDOW_COLUMNS(X)                                                                     \
	X(lo, integer, "First eid of the window: just after the job's committed position (the oldest row held for a new job).") \
	X(hi, integer, "Last eid of the window: the newest row of the table when the run opened the window (after read-your-writes). `hi < lo`: nothing new.") \
	X(store_id, text, "The store the eids belong to (`procsql_stats.store_id`): with `eid`, the key a consumer of at-least-once output dedupes on.") \
	X(rows, integer, "Rows in the window still readable: `hi - lo + 1 - missed`.")                          \
	X(missed, integer, "Rows in the window no longer readable when it opened (overwritten, or evicted for the arena): lost to this job, said on stderr and counted in `procsql_jobs.rows_missed` at commit.") \
	X(store_changed, integer, "1 when the job's position was in another store (procsqld's state was made anew): the window starts at the new store's first row.") \
	X(first_run, integer, "1 when the job had no position for this table yet.")                                \
	X(job, argument, "Argument 1: the job's name; NULL for no job (the whole table, nothing kept).")          \
	X(table_name, argument, "Argument 2: `process_events`, `clone_events`, `process_exits` or `exec_failures`.") \
	X(start, argument, "Argument 3 (optional): where a new job starts: `oldest` (default: the oldest row held) or `newest` (only rows stored after this run).")

// procsql_jobs: an ordinary table in the connection's main database, where
// jobs keep their positions (made by a job's first commit).
#define PROCSQL_PROCSQL_JOBS_COLUMNS(X)                                                                       \
	X(job, text, "The job's name.")                                                                           \
	X(table_name, text, "The table whose rows the job reports; `(results)` for a differential job's result set (`procsql query --differential`).") \
	X(store_id, text, "The store of `position`.")                                                             \
	X(position, integer, "The last eid reported and committed (the next window starts after it); a differential job's run counter.") \
	X(created, text, "When the job first ran, UTC `YYYY-MM-DD HH:MM:SS`.")                                   \
	X(last_run, text, "When the last committed run began (opened its window). A run that fails or is killed changes nothing here: opening a window writes nothing, so that runs of different jobs never wait for each other.") \
	X(last_commit, text, "When a run last committed; NULL before the first commit.")                        \
	X(commits, integer, "Runs committed (osquery's `counter` of the next run).")                              \
	X(rows_reported, integer, "Rows inside committed windows that were readable: what the job's queries saw.") \
	X(rows_missed, integer, "Rows inside committed windows that were no longer readable (see `procsql_window.missed`).") \
	X(store_changes, integer, "Commits that moved the job to a new store (procsqld's state made anew).")

#define PROCSQL_COLUMN_ENUM(name, type, doc) name,
namespace process_events_col {
enum Column : int { PROCSQL_PROCESS_EVENTS_COLUMNS(PROCSQL_COLUMN_ENUM) kCount };
}
namespace clone_events_col {
enum Column : int { PROCSQL_CLONE_EVENTS_COLUMNS(PROCSQL_COLUMN_ENUM) kCount };
}
namespace process_exits_col {
enum Column : int { PROCSQL_PROCESS_EXITS_COLUMNS(PROCSQL_COLUMN_ENUM) kCount };
}
// exec_failures_col::eid_, ...: pasted, so that `errno` is not expanded.
#define PROCSQL_COLUMN_ENUM_PASTED(name, type, doc) name##_,
namespace exec_failures_col {
enum Column : int { PROCSQL_EXEC_FAILURES_COLUMNS(PROCSQL_COLUMN_ENUM_PASTED) kCount };
}
#undef PROCSQL_COLUMN_ENUM_PASTED
namespace processes_col {
enum Column : int { PROCSQL_PROCESSES_COLUMNS(PROCSQL_COLUMN_ENUM) kCount };
}
namespace container_map_col {
enum Column : int { PROCSQL_CONTAINER_MAP_COLUMNS(PROCSQL_COLUMN_ENUM) kCount };
}
namespace procsql_stats_col {
enum Column : int { PROCSQL_PROCSQL_STATS_COLUMNS(PROCSQL_COLUMN_ENUM) kCount };
}
namespace syscall_usage_col {
enum Column : int { PROCSQL_SYSCALL_USAGE_COLUMNS(PROCSQL_COLUMN_ENUM) kCount };
}
namespace procsql_window_col {
enum Column : int { PROCSQL_PROCSQL_WINDOW_COLUMNS(PROCSQL_COLUMN_ENUM) kCount };
}
namespace procsql_jobs_col {
enum Column : int { PROCSQL_PROCSQL_JOBS_COLUMNS(PROCSQL_COLUMN_ENUM) kCount };
}
#undef PROCSQL_COLUMN_ENUM

const TableDef& process_events_table();
const TableDef& clone_events_table();
const TableDef& process_exits_table();
const TableDef& exec_failures_table();
const TableDef& processes_table();
const TableDef& container_map_table();
const TableDef& procsql_stats_table();
const TableDef& syscall_usage_table();
const TableDef& procsql_window_table();
const TableDef& procsql_jobs_table();
const std::vector<const TableDef*>& all_tables();

// A hash of the table's column names and types, for the stores' schema hash.
uint64_t columns_hash(const TableDef& table);

// "CREATE TABLE x(col TYPE, ...)" for sqlite3_declare_vtab.
std::string declare_sql(const TableDef& table);
// The README's table reference: a Markdown section per table.
std::string tables_markdown();

} // namespace procsql
