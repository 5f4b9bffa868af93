/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The wire format between procsql's BPF programs and user space.
 *
 * Included by the BPF programs (C, with vmlinux.h types) and by the C++
 * decoder, which static_asserts the sizes below. Fixed-width fields only; every
 * variable-length string follows the header back to back, in the order of the
 * *_len fields, without NUL terminators. Changing anything here means bumping
 * PROCSQL_ABI_VERSION.
 */
#ifndef PROCSQL_EVENT_ABI_H
#define PROCSQL_EVENT_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PROCSQL_ABI_VERSION 2

/* A path walked in the kernel is kept whole up to this many bytes (PATH_MAX). */
#define PROCSQL_PATH_MAX 4096
/* A tty_struct name is at most 64 bytes. */
#define PROCSQL_TTY_MAX 64
/* The hard ceiling of PROCSQL_ARGV_BYTES (the scratch buffer is sized by it). */
#define PROCSQL_ARGV_MAX (256 * 1024)
/* Path components walked when bpf_loop is available (kernel >= 5.17): enough
 * for any path d_path itself can return (2048 one-letter components). */
#define PROCSQL_WALK_LOOP_COMPONENTS 2048
/* Path components walked by the unrolled-loop fallback on older kernels. */
#define PROCSQL_WALK_BOUNDED_COMPONENTS 48

/* Processes whose executable the 5.10 fallback remembers at once
 * (exe_memo.bpf.h; the map allocates per entry, not up front). */
#define PROCSQL_EXE_MEMO_HASH_MAX 131072

/* The hard ceiling of PROCSQL_ENV_BYTES, the bytes of environment looked at. */
#define PROCSQL_ENV_MAX (256 * 1024)
/* Variables of PROCSQL_ENV, and the longest name (with its '=' it fills
 * the eight 8-byte words the kernel compares). */
#define PROCSQL_ENV_NAMES_MAX 32
#define PROCSQL_ENV_NAME_MAX 63
/* Environment variables looked at per exec: with bpf_loop, and with the
 * bounded loop of kernels before 5.17 (more would make the verifier's work
 * too large there). An environment with more sets env_truncated. */
#define PROCSQL_ENV_VARS_LOOP 255
#define PROCSQL_ENV_VARS_BOUNDED 128

/* The head of the environment filter's per-CPU buffer (env_filter.bpf.h):
 * not sent, but user space sizes the buffer from it. */
struct procsql_env_state {
	__u64 env_start; /* user address of the first string */
	__u64 env_total; /* env_end - env_start */
	__u32 env_len;   /* bytes read into area (at most env_max) */
	__u32 nvars;     /* pointers read */
	__u32 out_len;   /* bytes of the matches in out */
	__u32 truncated;
	__u32 nptrs;     /* pointers read: nvars, plus one when more variables follow */
	__u64 ptrs[PROCSQL_ENV_VARS_LOOP + 1];
};

/* Bytes of an exec record's strings in front of argv: four paths (each may
 * carry a " (deleted)" suffix) and the tty name. */
#define PROCSQL_PATHS_AREA (4 * (PROCSQL_PATH_MAX + 16) + PROCSQL_TTY_MAX)
/* The largest exec record for given argv and environment bounds (the
 * allowlisted variables are at most the environment looked at). */
#define PROCSQL_EXEC_RECORD_MAX(argv_bound, env_bound) \
	(sizeof(struct procsql_exec_event) + PROCSQL_PATHS_AREA + (argv_bound) + (env_bound))

enum procsql_event_kind {
	PROCSQL_EVENT_EXEC = 1,
	PROCSQL_EVENT_CLONE = 2,
	PROCSQL_EVENT_EXIT = 3,
	PROCSQL_EVENT_CGROUP = 4,
	PROCSQL_EVENT_PROCESS = 5,
	PROCSQL_EVENT_EXEC_FAILURE = 6,
};

/* Bits of procsql_exec_event.flags. */
enum procsql_exec_flags {
	PROCSQL_EXEC_PATH_TRUNCATED = 1u << 0,        /* exe path not resolved whole */
	PROCSQL_EXEC_CWD_TRUNCATED = 1u << 1,         /* cwd not resolved whole */
	PROCSQL_EXEC_PARENT_PATH_TRUNCATED = 1u << 2, /* parent exe path not whole */
	PROCSQL_EXEC_FILENAME_TRUNCATED = 1u << 3,    /* bprm->filename cut at PATH_MAX */
	PROCSQL_EXEC_ARGV_TRUNCATED = 1u << 4,        /* argv longer than the bound */
	PROCSQL_EXEC_ARGV_UNREADABLE = 1u << 5,       /* argv pages could not be read */
	PROCSQL_EXEC_HAS_TTY = 1u << 6,
	PROCSQL_EXEC_HAS_LOGINUID = 1u << 7,  /* kernel has audit loginuid/sessionid */
	PROCSQL_EXEC_HAS_PARENT_PATH = 1u << 8, /* parent has an mm (not a kthread) */
	PROCSQL_EXEC_VIA_EXECVEAT = 1u << 9,  /* the exec was an execveat(2) */
	PROCSQL_EXEC_HAS_CWD = 1u << 10,
	/* Failure records only (procsql_exec_failure_event): */
	PROCSQL_EXEC_HAS_PATH = 1u << 11,     /* the caller has an executable */
	PROCSQL_EXEC_HAS_FILENAME = 1u << 12, /* the name passed was read */
	PROCSQL_EXEC_HAS_ARGV = 1u << 13,     /* argv was read (maybe cut: ARGV_TRUNCATED/UNREADABLE) */
	PROCSQL_EXEC_ARGC_UNKNOWN = 1u << 14, /* the argument pointers could not be counted to their end */
	PROCSQL_EXEC_NO_MARK = 1u << 15,      /* the call's entry was not seen: no filename, no argv */
	/* Exec records only: */
	PROCSQL_EXEC_ENV_TRUNCATED = 1u << 16,  /* environment longer than the bound */
	PROCSQL_EXEC_ENV_UNREADABLE = 1u << 17, /* environment not read (or not laid out as ELF does) */
	PROCSQL_EXEC_ENV_OFF = 1u << 18,        /* PROCSQL_ENV names no variable */
	PROCSQL_EXEC_NO_SECCOMP = 1u << 19,     /* kernel without seccomp: the mode reads disabled */
};

/* procsql_exec_event.exe_upper */
enum procsql_exe_layer {
	PROCSQL_LAYER_NOT_UPPER = 0, /* not on overlay, or on one of its lower layers */
	PROCSQL_LAYER_UPPER = 1,     /* on the overlay's writable upper layer */
	PROCSQL_LAYER_UNKNOWN = 2,   /* on overlay, but its inode could not be read */
};

/* Counters kept in the kernel (a per-CPU array summed by user space). */
enum procsql_kernel_counter {
	PROCSQL_CNT_EXEC_SEEN = 0,         /* sched_process_exec hits */
	PROCSQL_CNT_EXEC_RINGBUF_FULL = 1, /* events lost: ring buffer full */
	PROCSQL_CNT_EXEC_NO_SCRATCH = 2,   /* events lost: scratch buffer missing */
	PROCSQL_CNT_CLONE_SEEN = 3,        /* clone_events rows made in the kernel */
	PROCSQL_CNT_CLONE_RINGBUF_FULL = 4,
	PROCSQL_CNT_CLONE_NO_SCRATCH = 5,
	PROCSQL_CNT_EXIT_SEEN = 6,         /* thread groups that ended */
	PROCSQL_CNT_EXIT_RINGBUF_FULL = 7,
	PROCSQL_CNT_EXIT_NO_SCRATCH = 8,
	PROCSQL_CNT_CALL_MARK_LOST = 9,    /* a syscall's mark could not be stored */
	PROCSQL_CNT_CGROUP_RINGBUF_FULL = 10,
	PROCSQL_CNT_CGROUP_NO_SCRATCH = 11,
	PROCSQL_CNT_EXE_MEMO_LOST = 12,    /* an executable could not be remembered for its exit */
	PROCSQL_CNT_EXEC_TOO_LARGE = 13,   /* events lost: the record outgrew its buffer */
	PROCSQL_CNT_CLONE_TOO_LARGE = 14,
	PROCSQL_CNT_EXIT_TOO_LARGE = 15,
	PROCSQL_CNT_PROCESS_LOST = 16,     /* processes rows the task iterator could not write */
	PROCSQL_CNT_CGROUP_PATH_CUT = 17,  /* cgroup paths at the kernel's limit (flagged on the record) */
	PROCSQL_CNT_EXIT_CLAIM_FULL = 18,  /* exits reported without a claim: may be reported twice */
	PROCSQL_CNT_FAIL_SEEN = 19,        /* execve/execveat calls that returned an error */
	PROCSQL_CNT_FAIL_RINGBUF_FULL = 20,
	PROCSQL_CNT_FAIL_NO_SCRATCH = 21,
	PROCSQL_CNT_FAIL_TOO_LARGE = 22,
	PROCSQL_CNT_SC_USAGE_FULL = 23,    /* syscall_usage: a (cgroup, arch, syscall) not counted, its map full */
	PROCSQL_CNT_SC_WATCH_FULL = 24,    /* syscall_usage: a new cgroup not watched, the watch map full */
	PROCSQL_CNT__MAX = 32,
};

/* The call a clone_events row comes from. */
enum procsql_clone_syscall {
	PROCSQL_CALL_NONE = 0, /* the kernel made the task itself (kthreads, io workers) */
	PROCSQL_CALL_CLONE = 1,
	PROCSQL_CALL_CLONE3 = 2,
	PROCSQL_CALL_FORK = 3,
	PROCSQL_CALL_VFORK = 4,
	PROCSQL_CALL_UNSHARE = 5,
	PROCSQL_CALL_SETNS = 6,
};

/* Namespace kinds, in the order new_namespaces lists them. */
enum procsql_ns_kind {
	PROCSQL_NS_MNT = 0,
	PROCSQL_NS_UTS = 1,
	PROCSQL_NS_IPC = 2,
	PROCSQL_NS_USER = 3,
	PROCSQL_NS_PID = 4,
	PROCSQL_NS_NET = 5,
	PROCSQL_NS_CGROUP = 6,
	PROCSQL_NS_TIME = 7,
	PROCSQL_NS__COUNT = 8,
};

enum procsql_lifecycle_flags {
	PROCSQL_LC_HAS_CHILD = 1u << 0,       /* child_* fields are valid */
	PROCSQL_LC_HAS_PATH = 1u << 1,        /* the caller / exiting process had an exe */
	PROCSQL_LC_PATH_TRUNCATED = 1u << 2,
};

/* One clone_events row: a process or thread made, an unshare, a setns. */
struct procsql_clone_event {
	__u32 kind; /* PROCSQL_EVENT_CLONE */
	__u32 size;
	__u64 ktime_boot_ns;
	__u64 flags;               /* clone flags, clone_args.flags, unshare flags, nstype */
	__u64 child_start_boot_ns;
	__u64 cgroup_id;
	__u32 pid, tid, uid;
	__u32 child_pid, child_tid;
	__s32 result;              /* child pid in the caller's pid namespace, 0, or -errno */
	__u32 mnt_ns, pid_ns;
	__u32 syscall;             /* enum procsql_clone_syscall */
	__u32 new_ns;              /* bit (1 << procsql_ns_kind) per namespace created/entered */
	__u32 lc_flags;            /* enum procsql_lifecycle_flags */
	__u16 path_len, reserved0;
	char comm[16];
	/* then: the caller's exe path */
};

/* One process_exits row: the last thread of a thread group ended. */
struct procsql_exit_event {
	__u32 kind; /* PROCSQL_EVENT_EXIT */
	__u32 size;
	__u64 ktime_boot_ns;
	__u64 start_boot_ns;
	__u64 cgroup_id;
	__u32 pid;
	__u32 status;   /* as wait(2) reports it: exit code << 8, signal, 0x80 core */
	__u32 lc_flags; /* enum procsql_lifecycle_flags */
	__u16 path_len, reserved0;
	char comm[16];
	/* then: the exe path */
};

enum procsql_cgroup_op {
	PROCSQL_CGROUP_MKDIR = 1,
	PROCSQL_CGROUP_RMDIR = 2,
};

/* The kernel formats the cgroup tracepoints' path into a buffer of this many
 * bytes (TRACE_CGROUP_PATH_LEN) and cuts longer ones without a word. */
#define PROCSQL_KERNEL_CGROUP_PATH_LEN 1024
#define PROCSQL_CGROUP_PATH_AT_LIMIT 1 /* the path filled that buffer: it may be cut */

/* A cgroup v2 directory made or removed: container_map follows these. */
struct procsql_cgroup_event {
	__u32 kind; /* PROCSQL_EVENT_CGROUP */
	__u32 size;
	__u64 ktime_boot_ns;
	__u64 cgroup_id; /* the id bpf_get_current_cgroup_id() gives its tasks */
	__u32 op;        /* enum procsql_cgroup_op */
	__u16 path_len, flags; /* flags: PROCSQL_CGROUP_PATH_AT_LIMIT */
	/* then: the path within the hierarchy ("/kubepods.slice/...") */
};

/* One live process, written by the task iterator behind the processes table. */
struct procsql_process_record {
	__u32 kind; /* PROCSQL_EVENT_PROCESS */
	__u32 size;
	__u64 start_boot_ns;
	__u64 cgroup_id;
	__u32 pid, ppid, uid;
	__u32 flags; /* enum procsql_exec_flags: HAS_TTY, HAS_CWD, HAS_PARENT_PATH (= has an exe), *_TRUNCATED, NO_SECCOMP */
	__u16 path_len, cwd_len, tty_len, reserved0;
	__u64 cap_effective, cap_permitted, cap_ambient, cap_bounding;
	__u8 seccomp_mode, no_new_privs, reserved1[6];
	char comm[16];
	/* then: path, cwd, tty */
};

#define PROCSQL_LIFECYCLE_RECORD_MAX \
	(sizeof(struct procsql_clone_event) + PROCSQL_PATH_MAX + 16)

struct procsql_exec_event {
	__u32 kind;        /* PROCSQL_EVENT_EXEC */
	__u32 size;        /* bytes of the whole record, header included */
	__u64 ktime_boot_ns;  /* bpf_ktime_get_boot_ns() at the exec */
	__u64 start_boot_ns;  /* the process's start, CLOCK_BOOTTIME ns */
	__u64 inode;
	__u64 cgroup_id;   /* cgroup v2 id of the task */
	__u32 pid;         /* tgid, host pid namespace */
	__u32 tid;         /* the thread that called exec (old_pid) */
	__u32 ppid;        /* real parent's tgid */
	__u32 ns_pid;      /* pid in the task's own pid namespace */
	__u32 uid, euid, gid, egid; /* as the initial user namespace sees them */
	__u32 loginuid, sessionid;
	__u32 mode, owner_uid, owner_gid;
	__u32 mnt_ns, pid_ns; /* namespace inode numbers */
	__u32 argc;        /* the true argument count */
	__u32 envc;        /* the true count of environment variables */
	__u32 flags;       /* enum procsql_exec_flags */
	__u32 argv_len;
	__u16 path_len, filename_len, cwd_len, parent_path_len;
	__u16 tty_len, reserved0;
	__u32 env_len;     /* bytes of the allowlisted variables, each "NAME=value\0" */
	/* Privileges after the exec: capability sets as one 64-bit word each
	 * (kernel_cap_t was two 32-bit words before 6.3, one 64-bit word since:
	 * the same 8 bytes on a little-endian machine). */
	__u64 cap_effective, cap_permitted, cap_ambient, cap_bounding;
	__u64 exe_fs_magic; /* s_magic of the executed file's super block */
	__u8 seccomp_mode;  /* SECCOMP_MODE_DISABLED/STRICT/FILTER */
	__u8 no_new_privs;
	__u8 exe_upper;     /* enum procsql_exe_layer */
	__u8 reserved3[5];
	char comm[16];
	/* then: path, filename, cwd, parent_path, tty, argv, env */
};

/* The exec call a mark and a failure record name. */
enum procsql_exec_call_kind {
	PROCSQL_EXEC_CALL_EXECVE = 1,
	PROCSQL_EXEC_CALL_EXECVEAT = 2,
};

/* Bytes of a failure record's strings in front of argv: the caller's
 * executable and cwd (each may carry " (deleted)"), the name passed, the tty. */
#define PROCSQL_FAIL_PATHS_AREA (3 * (PROCSQL_PATH_MAX + 16) + PROCSQL_TTY_MAX)
/* The argv reader's state, kept in front of the record in the scratch buffer. */
#define PROCSQL_ARGV_WALK_BYTES 512
/* A failed exec's arguments: with bpf_loop (5.17+) up to this many are read
 * one by one (their strings up to PROCSQL_ARGV_BYTES), and the pointers after
 * those counted PROCSQL_ARGV_CHUNK at a time up to PROCSQL_FAIL_ARGC_LOOP in
 * all; without it, a bounded loop reads and counts PROCSQL_FAIL_ARGS_BOUNDED.
 * More than that leaves argc unknown. */
#define PROCSQL_FAIL_ARGS_LOOP 65536
#define PROCSQL_ARGV_CHUNK 32
#define PROCSQL_FAIL_ARGC_LOOP 1048576
#define PROCSQL_FAIL_ARGS_BOUNDED 64

/* One exec_failures row: an execve or execveat that returned an error. Made
 * at the syscall's exit, from the caller (whose memory is still its own: a
 * failed exec changed nothing). */
struct procsql_exec_failure_event {
	__u32 kind; /* PROCSQL_EVENT_EXEC_FAILURE */
	__u32 size;
	__u64 ktime_boot_ns;
	__u64 start_boot_ns; /* the caller's process start */
	__u64 cgroup_id;
	__u32 pid, tid, ppid;
	__u32 uid, euid, loginuid;
	__s32 result;  /* what the call returned: -errno */
	__s32 dirfd;   /* execveat's descriptor; AT_FDCWD (-100) for execve */
	__u32 syscall; /* enum procsql_exec_call_kind */
	__u32 argc;    /* arguments counted, unless PROCSQL_EXEC_ARGC_UNKNOWN */
	__u32 flags;   /* enum procsql_exec_flags */
	__u32 argv_len;
	__u16 path_len, filename_len, cwd_len, tty_len;
	char comm[16];
	/* then: path (the caller's executable), filename (as passed), cwd, tty, argv */
};

/* The largest failure record, and the scratch buffer that builds it (argv is
 * read one argument at a time, each into the room left: the verifier proves
 * every such read against twice the bound). */
#define PROCSQL_EXEC_FAILURE_RECORD_MAX(argv_bound) \
	(sizeof(struct procsql_exec_failure_event) + PROCSQL_FAIL_PATHS_AREA + (argv_bound))
#define PROCSQL_MAX_OF(a, b) ((a) > (b) ? (a) : (b))
#define PROCSQL_EXEC_FAILURE_SCRATCH(argv_bound)                            \
	(PROCSQL_ARGV_WALK_BYTES + sizeof(struct procsql_exec_failure_event) + \
	 PROCSQL_MAX_OF(PROCSQL_FAIL_PATHS_AREA + 2 * (argv_bound), PROCSQL_PATHS_AREA))
/* The exec handler's per-CPU buffer builds both kinds of record. (The path
 * walk's writes are proven against PROCSQL_PATHS_AREA, hence the floor.) */
#define PROCSQL_EXEC_SCRATCH_BYTES(argv_bound, env_room) \
	PROCSQL_MAX_OF(PROCSQL_EXEC_RECORD_MAX(argv_bound, env_room), PROCSQL_EXEC_FAILURE_SCRATCH(argv_bound))

/* syscall_usage (syscalls.bpf.h): what a watched cgroup is in the kernel's
 * watch map. A cgroup made while recording is WAIT_EXEC until a process of it
 * execs (a container's first exec is its workload's: the runtime's own setup
 * before it is not recorded); user space removes those it does not choose. */
enum procsql_sc_watch {
	PROCSQL_SC_WAIT_EXEC = 1,
	PROCSQL_SC_RECORD = 2,
};

/* The ABI a call was made through (syscall numbers differ between them). */
enum procsql_sc_arch {
	PROCSQL_SC_NATIVE = 0, /* x86_64, aarch64, ...: the kernel's own */
	PROCSQL_SC_COMPAT = 1, /* 32-bit x86 (int 0x80, sysenter, 32-bit syscall) on x86_64 */
	PROCSQL_SC_X32 = 2,    /* x32 (__X32_SYSCALL_BIT set) on x86_64 */
};

struct procsql_sc_key {
	__u64 cgroup_id;
	__u32 nr;   /* the number as made, without __X32_SYSCALL_BIT */
	__u32 arch; /* enum procsql_sc_arch */
};

struct procsql_sc_usage {
	__u64 count;    /* added atomically */
	__u64 first_ns; /* bpf_ktime_get_boot_ns() of the first call */
	__u64 last_ns;  /* of a recent call (racing CPUs may leave either's) */
};

/* The maps' sizes when recording is possible (PROCSQL_SYSCALLS set, or
 * procsqld, whose `procsql record` may start it later); 1 otherwise. */
#define PROCSQL_SC_WATCH_MAX 16384
#define PROCSQL_SC_USAGE_MAX 65536
/* Slots of the watch map's pre-filter: a cgroup id's low bits index it. */
#define PROCSQL_SC_FILTER_SLOTS 65536

#endif /* PROCSQL_EVENT_ABI_H */
