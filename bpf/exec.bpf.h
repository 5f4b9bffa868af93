/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exec capture at tp_btf/sched_process_exec.
 *
 * Why this hook: it fires once per successful exec, after the new image is in
 * place (so mm->arg_start..arg_end hold the new argv and bprm->file is the file
 * that really runs: the interpreter for a #! script), before the process can
 * run a single instruction of its own, so a process that lives a microsecond is
 * still seen. It needs neither kprobes nor fentry (absent on some kernels) nor
 * tracefs (a tp_btf program attaches by BTF id).
 *
 * One record per exec goes to the ring buffer: a fixed header and then the
 * strings. A record that does not fit is counted, never dropped silently.
 * Included by procsql.bpf.c, which holds the shared maps.
 */
#ifndef PROCSQL_EXEC_BPF_H
#define PROCSQL_EXEC_BPF_H

/* Set by user space before load (PROCSQL_ARGV_BYTES). The verifier sees the
 * frozen value, which bounds the argv copy. */
const volatile __u32 argv_max = 16384;

#include "env_filter.bpf.h"

#define PROCSQL_DELETED_SUFFIX " (deleted)"
#define PROCSQL_DELETED_LEN 10

struct procsql_exec_scratch {
	struct procsql_exec_event ev;
	char data[PROCSQL_PATHS_AREA + PROCSQL_ARGV_MAX + 2 * PROCSQL_ENV_MAX];
};

/* One assembly buffer per CPU. A plain array indexed by CPU, because a per-CPU
 * array's values are limited to 32 KiB. User space sets max_entries to the
 * number of possible CPUs and value_size to PROCSQL_EXEC_SCRATCH_BYTES(argv_max,
 * 2 * (env_mask + 1)) (room for an exec record with its environment, and for
 * a failure record with its argv reader: exec_failure.bpf.h), so memory
 * follows the configured bounds (no BTF value type, so the size can
 * change). The verifier proves every access against that size, knowing
 * argv_max. Sharing a buffer per CPU is safe: raw tracepoints run with
 * preemption disabled and the kernel refuses to re-enter a running program on
 * the same CPU (such a miss is counted in the program's recursion_misses). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct procsql_exec_scratch));
} procsql_exec_scratch SEC(".maps");

/*
 * Appends the walked path in the path buffer to data[off], plus " (deleted)"
 * when the leaf is unlinked. Returns the bytes written.
 */
static __always_inline __u32 procsql_put_path(char *data, __u32 off, struct procsql_path_buf *pb)
{
	char *pbuf = pb->data;
	__u32 pos = pb->w.pos & (PROCSQL_PATH_MAX - 1);
	__u32 len = PROCSQL_PATH_MAX - pos;
	if (off > PROCSQL_PATHS_AREA - PROCSQL_PATH_MAX - 16)
		return 0;
	bpf_probe_read_kernel(&data[off], len & (PROCSQL_PATH_MAX - 1), &pbuf[pos]);
	if (pb->w.pseudo || pb->w.unlinked) {
		__u32 at = off + (len & (PROCSQL_PATH_MAX - 1));
		if (at <= PROCSQL_PATHS_AREA - 16) {
			__builtin_memcpy(&data[at], PROCSQL_DELETED_SUFFIX, PROCSQL_DELETED_LEN);
			len += PROCSQL_DELETED_LEN;
		}
	}
	return len;
}

/* Walks `target` relative to `root` into data[off]; sets `trunc_flag` on the
 * event when it cannot be resolved whole (a resolved path is never empty, so
 * nothing written means cut too). `iter`: the task iterator's own scratch;
 * `btf`: target and root are BTF pointers (procsql_walk_path). */
static __always_inline __u32 procsql_put_walk(__u32 *flags, char *data, __u32 off,
					       const struct path *target, const struct path *root,
					       __u32 trunc_flag, bool use_loop, bool iter, bool btf)
{
	struct procsql_path_buf *pb = procsql_walk_path(target, root, use_loop, iter, btf);
	if (!pb) {
		*flags |= trunc_flag;
		return 0;
	}
	if (pb->w.truncated)
		*flags |= trunc_flag;
	__u32 n = procsql_put_path(data, off, pb);
	if (n == 0)
		*flags |= trunc_flag;
	return n;
}

/* The syscall tracepoints' context: common fields, the syscall number, then
 * the arguments (sys_enter_*) or the return value (sys_exit_*). */
struct procsql_sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct procsql_sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

#define PROCSQL_AT_FDCWD (-100)

/*
 * Each exec in flight, keyed by the calling thread, marked at the classic
 * tracepoints sys_enter_execve and sys_enter_execveat. Two readers:
 *  - the exec handler below consumes the mark of a successful exec: execve or
 *    execveat? Neither the tracepoint nor pt_regs says (on 6.18 the saved
 *    syscall number reads as execve for both);
 *  - a failed exec returns to sys_exit_* with its mark still there, and
 *    exec_failure.bpf.h reports it with the name and arguments the mark
 *    points at (in the caller's memory, which a failed exec leaves alone).
 * A successful exec costs a map update and a delete. The LRU bounds what a
 * thread killed between entry and exit could leave behind (its exit deletes
 * its mark too: lifecycle.bpf.h).
 */
struct procsql_exec_call {
	__u64 filename; /* user pointer: the name as passed */
	__u64 argv;     /* user pointer: the argument pointers */
	__u64 mm;       /* the caller's mm at entry: another at exit means the image was replaced */
	__s32 dirfd;    /* execveat's descriptor; AT_FDCWD for execve */
	__u32 syscall;  /* enum procsql_exec_call_kind */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct procsql_exec_call);
} procsql_exec_calls SEC(".maps");

static __always_inline void procsql_mark_exec(__u32 syscall, __s32 dirfd, __u64 filename, __u64 argv)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct procsql_exec_call call = {
		.filename = filename,
		.argv = argv,
		.mm = (__u64)BPF_CORE_READ(task, mm),
		.dirfd = dirfd,
		.syscall = syscall,
	};
	if (bpf_map_update_elem(&procsql_exec_calls, &tid, &call, BPF_ANY) != 0)
		procsql_count(PROCSQL_CNT_CALL_MARK_LOST);
}

SEC("tp/syscalls/sys_enter_execve")
int procsql_xve_in(struct procsql_sys_enter_ctx *ctx)
{
	procsql_mark_exec(PROCSQL_EXEC_CALL_EXECVE, PROCSQL_AT_FDCWD, ctx->args[0], ctx->args[1]);
	return 0;
}

SEC("tp/syscalls/sys_enter_execveat")
int procsql_xat_in(struct procsql_sys_enter_ctx *ctx)
{
	procsql_mark_exec(PROCSQL_EXEC_CALL_EXECVEAT, (__s32)ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

/* Consumes the calling thread's mark; true for an execveat. */
static __always_inline bool procsql_was_execveat(__u32 tid, struct linux_binprm *bprm)
{
	struct procsql_exec_call *call = bpf_map_lookup_elem(&procsql_exec_calls, &tid);
	if (call) {
		bool execveat = call->syscall == PROCSQL_EXEC_CALL_EXECVEAT;
		bpf_map_delete_elem(&procsql_exec_calls, &tid);
		return execveat;
	}
	/* Without the tracepoints (no tracefs), the kernel's generated
	 * "/dev/fd/N/..." name still proves an fd-relative execveat. */
	if (bpf_core_field_exists(bprm->fdpath))
		return BPF_CORE_READ(bprm, fdpath) != NULL;
	return false;
}

#define PROCSQL_OVERLAYFS_MAGIC 0x794c7630

/*
 * Whether the executed file is on an overlay's writable upper layer. An
 * overlay inode is the vfs_inode member of struct ovl_inode, immediately
 * followed by __upperdentry (the same from 4.19 to 6.18; Falco relies on it
 * too). The size of struct inode comes from the kernel's BTF, so nothing here
 * needs the overlay module's BTF, which is absent until the module loads.
 */
static __always_inline void procsql_exe_layer(struct procsql_exec_event *ev, struct inode *inode)
{
	ev->exe_fs_magic = inode->i_sb->s_magic; /* direct loads: inode is a BTF pointer */
	ev->exe_upper = PROCSQL_LAYER_NOT_UPPER;
	if (ev->exe_fs_magic != PROCSQL_OVERLAYFS_MAGIC)
		return;
	__u64 upper = 0;
	if (bpf_probe_read_kernel(&upper, sizeof(upper),
				  (char *)inode + bpf_core_type_size(struct inode)) != 0)
		ev->exe_upper = PROCSQL_LAYER_UNKNOWN;
	else if (upper)
		ev->exe_upper = PROCSQL_LAYER_UPPER;
}

/* Capabilities, no_new_privs and seccomp as the exec left them. */
static __always_inline void procsql_privileges(struct task_struct *task, const struct cred *cred,
					       __u64 *caps /* effective, permitted, ambient, bounding */,
					       __u8 *seccomp_mode, __u8 *no_new_privs, __u32 *flags)
{
	/* struct cred keeps the five sets back to back (inheritable, permitted,
	 * effective, bset, ambient), 8 bytes each on every kernel: one read. */
	__u64 set[5] = {};
	if (bpf_core_field_offset(struct cred, cap_ambient) -
		    bpf_core_field_offset(struct cred, cap_inheritable) == 32) {
		bpf_probe_read_kernel(set, sizeof(set), &cred->cap_inheritable);
	} else {
		bpf_core_read(&set[1], 8, &cred->cap_permitted);
		bpf_core_read(&set[2], 8, &cred->cap_effective);
		bpf_core_read(&set[3], 8, &cred->cap_bset);
		bpf_core_read(&set[4], 8, &cred->cap_ambient);
	}
	caps[0] = set[2];
	caps[1] = set[1];
	caps[2] = set[4];
	caps[3] = set[3];
	/* PFA_NO_NEW_PRIVS is bit 0 of task->atomic_flags. Direct loads: task is
	 * a BTF pointer (a tp_btf argument, the iterator's task). */
	*no_new_privs = task->atomic_flags & 1;
	if (bpf_core_field_exists(task->seccomp))
		*seccomp_mode = task->seccomp.mode;
	else
		*flags |= PROCSQL_EXEC_NO_SECCOMP;
}

static __always_inline int procsql_handle_exec(struct task_struct *task, pid_t old_pid,
						struct linux_binprm *bprm, bool use_loop)
{
	procsql_count(PROCSQL_CNT_EXEC_SEEN);

	__u32 cpu = bpf_get_smp_processor_id();
	struct procsql_exec_scratch *s = bpf_map_lookup_elem(&procsql_exec_scratch, &cpu);
	if (!s) {
		procsql_count(PROCSQL_CNT_EXEC_NO_SCRATCH);
		return 0;
	}
	struct procsql_exec_event *ev = &s->ev;
	char *data = s->data;

	ev->kind = PROCSQL_EVENT_EXEC;
	ev->flags = 0;
	ev->ktime_boot_ns = bpf_ktime_get_boot_ns();
	ev->start_boot_ns = task->group_leader->start_boottime;
	ev->pid = task->tgid;
	ev->tid = old_pid;
	ev->ppid = task->real_parent->tgid;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->argc = bprm->argc;
	if (procsql_was_execveat((__u32)old_pid, bprm))
		ev->flags |= PROCSQL_EXEC_VIA_EXECVEAT;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));

	/* Credentials committed by this exec (setuid applied). kuid values are the
	 * ids of the initial user namespace. */
	const struct cred *cred = task->cred;
	ev->uid = cred->uid.val;
	ev->euid = cred->euid.val;
	ev->gid = cred->gid.val;
	ev->egid = cred->egid.val;
	ev->seccomp_mode = 0;
	procsql_privileges(task, cred, &ev->cap_effective, &ev->seccomp_mode, &ev->no_new_privs,
			   &ev->flags);
	if (bpf_core_field_exists(task->loginuid)) {
		ev->loginuid = task->loginuid.val;
		ev->sessionid = task->sessionid;
		ev->flags |= PROCSQL_EXEC_HAS_LOGINUID;
	}

	/* Namespaces: the pid as the task's own pid namespace sees it. */
	/* tpid is read as a number: it is indexed below, which a BTF pointer may
	 * not be. */
	struct pid *tpid = BPF_CORE_READ(task, thread_pid);
	__u32 level = task->thread_pid->level;
	struct upid up;
	bpf_probe_read_kernel(&up, sizeof(up), &tpid->numbers[level & 63]);
	ev->ns_pid = up.nr;
	ev->pid_ns = BPF_CORE_READ(up.ns, ns.inum);
	ev->mnt_ns = task->nsproxy->mnt_ns->ns.inum;

	/* The file that runs (the interpreter for a script), as /proc/PID/exe. */
	struct file *file = bprm->file;
	struct inode *inode = file->f_inode;
	ev->mode = inode->i_mode;
	ev->owner_uid = inode->i_uid.val;
	ev->owner_gid = inode->i_gid.val;
	ev->inode = inode->i_ino;
	procsql_exe_layer(ev, inode);

	struct fs_struct *fs = task->fs;
	__u32 off = 0;
	__u32 len;

	len = procsql_put_walk(&ev->flags, data, off, &file->f_path, &fs->root,
			       PROCSQL_EXEC_PATH_TRUNCATED, use_loop, false, true);
	ev->path_len = len;
	off += len & 0x1fff;
	/* After de_thread() the exec'ing task leads its thread group. */
	procsql_remember_exe(task, ev->pid, ev->start_boot_ns, data, len,
			     ev->flags & PROCSQL_EXEC_PATH_TRUNCATED, false);

	/* The name as passed to exec ("./ls", "/dev/fd/3", the script). */
	const char *filename = bprm->filename;
	long n = 0;
	if (off <= PROCSQL_PATHS_AREA - PROCSQL_PATH_MAX - 16)
		n = bpf_probe_read_kernel_str(&data[off], PROCSQL_PATH_MAX, filename);
	else
		ev->flags |= PROCSQL_EXEC_FILENAME_TRUNCATED; /* no room: cannot happen, but never silent */
	if (n > 0) {
		if (n == PROCSQL_PATH_MAX)
			ev->flags |= PROCSQL_EXEC_FILENAME_TRUNCATED;
		len = n - 1;
	} else {
		len = 0;
	}
	ev->filename_len = len;
	off += len & 0x1fff;

	len = 0;
	if (fs) {
		ev->flags |= PROCSQL_EXEC_HAS_CWD;
		len = procsql_put_walk(&ev->flags, data, off, &fs->pwd, &fs->root,
				       PROCSQL_EXEC_CWD_TRUNCATED, use_loop, false, true);
	}
	ev->cwd_len = len;
	off += len & 0x1fff;

	/* The parent's executable, relative to the parent's own root. A kernel
	 * thread parent (no mm) has none. */
	struct task_struct *parent = task->real_parent;
	struct mm_struct *parent_mm = parent->mm;
	struct file *parent_exe = parent_mm ? parent_mm->exe_file : NULL;
	struct fs_struct *parent_fs = parent->fs;
	len = 0;
	if (parent_exe && parent_fs) {
		ev->flags |= PROCSQL_EXEC_HAS_PARENT_PATH;
		len = procsql_put_walk(&ev->flags, data, off, &parent_exe->f_path, &parent_fs->root,
				       PROCSQL_EXEC_PARENT_PATH_TRUNCATED, use_loop, false, true);
	}
	ev->parent_path_len = len;
	off += len & 0x1fff;

	/* The controlling terminal, by its kernel name ("pts3"). */
	struct tty_struct *tty = task->signal->tty;
	len = 0;
	if (tty && off <= PROCSQL_PATHS_AREA - PROCSQL_TTY_MAX) {
		n = bpf_probe_read_kernel_str(&data[off], PROCSQL_TTY_MAX, &tty->name);
		if (n > 1) {
			ev->flags |= PROCSQL_EXEC_HAS_TTY;
			len = n - 1;
		}
	}
	ev->tty_len = len;
	off += len & (PROCSQL_TTY_MAX - 1);

	/* argv from the new image's stack, up to the configured bound. */
	struct mm_struct *mm = task->mm;
	unsigned long arg_start = mm->arg_start;
	unsigned long arg_end = mm->arg_end;
	__u64 argv_len = arg_end > arg_start ? arg_end - arg_start : 0;
	__u32 bound = argv_max;
	if (bound > PROCSQL_ARGV_MAX)
		bound = PROCSQL_ARGV_MAX;
	if (argv_len > bound) {
		argv_len = bound;
		ev->flags |= PROCSQL_EXEC_ARGV_TRUNCATED;
	}
	if (off > PROCSQL_PATHS_AREA) {
		procsql_count(PROCSQL_CNT_EXEC_TOO_LARGE);
		return 0;
	}
	/* No second clamp to PROCSQL_ARGV_MAX here: argv_len <= bound already,
	 * and verifiers before 6.2 explore the impossible branch such a clamp
	 * compiles to (umin > umax) and refuse the program on it. */
	if (argv_len &&
	    bpf_probe_read_user(&data[off], argv_len, (const void *)arg_start) != 0) {
		ev->flags |= PROCSQL_EXEC_ARGV_UNREADABLE;
		argv_len = 0;
	}
	ev->argv_len = argv_len;
	off += argv_len;

	/* The allowlisted environment variables (env_filter.bpf.h). */
	__u32 envc = 0;
	__u32 env_len = 0;
	struct procsql_env_scratch *es = procsql_env_capture(mm, bprm, cpu, &ev->flags, &envc, use_loop);
	ev->envc = envc;
	if (es) {
		env_len = es->st.out_len;
		if (env_len > env_max || env_len > env_mask) {
			env_len = 0; /* cannot happen: the filter keeps within the bound */
			ev->flags |= PROCSQL_EXEC_ENV_TRUNCATED;
		}
		if (env_len)
			bpf_probe_read_kernel(&data[off], env_len & env_mask, procsql_env_out(es));
	}
	ev->env_len = env_len;
	off += env_len;

	__u64 size = sizeof(*ev) + off;
	if (size > PROCSQL_EXEC_RECORD_MAX(bound, env_max)) {
		procsql_count(PROCSQL_CNT_EXEC_TOO_LARGE);
		return 0;
	}
	ev->size = size;
	procsql_output(s, size, PROCSQL_CNT_EXEC_RINGBUF_FULL);
	return 0;
}

/* Two variants of one handler; user space loads exactly one of them, the
 * bpf_loop one where the kernel has bpf_loop (5.17+). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(procsql_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	return procsql_handle_exec(task, old_pid, bprm, true);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(procsql_exec_nl, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	return procsql_handle_exec(task, old_pid, bprm, false);
}

#endif /* PROCSQL_EXEC_BPF_H */
