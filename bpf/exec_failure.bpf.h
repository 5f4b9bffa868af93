/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * exec_failures: every execve and execveat that returned an error.
 *
 * Why here: a failed exec never reaches sched_process_exec, and no later hook
 * knows it happened. The entry tracepoints (exec.bpf.h) marked the call with
 * the user pointers to its name and arguments; at sys_exit_execve and
 * sys_exit_execveat a negative return is reported from the caller, whose
 * memory, executable, cwd and credentials a failed exec left as they were. A
 * successful exec comes back here with its mark already consumed by the exec
 * handler, and costs one comparison.
 *
 * argv lies anywhere in the caller's memory: each pointer, then its string
 * into the room left of PROCSQL_ARGV_BYTES; past that the pointers are only
 * counted, for argc (event_abi.h says how many, with and without bpf_loop).
 *
 * The record is built in the exec handler's per-CPU buffer, which user space
 * sizes for both kinds: a syscall tracepoint program and sched_process_exec
 * never run at once on a CPU (both run with preemption disabled, neither in
 * an interrupt). Included by procsql.bpf.c after exec.bpf.h.
 */
#ifndef PROCSQL_EXEC_FAILURE_BPF_H
#define PROCSQL_EXEC_FAILURE_BPF_H

/* The argv reader's state. In the map value, not on the stack, for the same
 * reason as the path walk's (path_walk.bpf.h): a bpf_loop callback then
 * verifies once. */
struct procsql_argv_walk {
	__u64 next; /* user address of the next argument pointer */
	__u64 base; /* where argv starts in the record's data */
	__u64 len;  /* bytes of argv read, each argument with its NUL */
	__u32 argc; /* arguments seen */
	__u32 done; /* the NULL that ends the pointers was read */
	__u32 cut;  /* the strings stopped early: no room left, or one unreadable */
	__u32 unreadable; /* a pointer could not be read: argc unknown */
	__u64 chunk[PROCSQL_ARGV_CHUNK];
};

_Static_assert(sizeof(struct procsql_argv_walk) <= PROCSQL_ARGV_WALK_BYTES, "argv walk state outgrew its room");

struct procsql_fail_scratch {
	union {
		struct procsql_argv_walk w;
		char reserved[PROCSQL_ARGV_WALK_BYTES];
	} aw;
	struct procsql_exec_failure_event ev;
	char data[PROCSQL_FAIL_PATHS_AREA + 2 * PROCSQL_ARGV_MAX];
};

static __always_inline __u64 procsql_argv_bound(void)
{
	__u64 bound = argv_max;
	if (bound > PROCSQL_ARGV_MAX)
		bound = PROCSQL_ARGV_MAX;
	return bound;
}

/*
 * One argument: its pointer, then (while there is room and reading strings
 * is not over) its string. Returns 1 when this loop is over: the NULL that
 * ends argv, an unreadable pointer, or, with `stop_when_cut` (bpf_loop, where
 * procsql_argc_step counts the rest faster), no more strings to read.
 */
static __always_inline long procsql_argv_step(struct procsql_argv_walk *w, char *data, bool stop_when_cut)
{
	__u64 arg = 0;
	if (bpf_probe_read_user(&arg, sizeof(arg), (const void *)w->next) != 0) {
		w->unreadable = 1;
		return 1;
	}
	if (!arg) {
		w->done = 1;
		return 1;
	}
	w->argc += 1;
	w->next += sizeof(arg);
	if (w->cut)
		return stop_when_cut;
	const __u64 bound = procsql_argv_bound();
	__u64 len = w->len;
	__u64 base = w->base;
	if (len >= bound || base > PROCSQL_FAIL_PATHS_AREA) {
		w->cut = 1;
		return stop_when_cut;
	}
	/* At most bound - len bytes at base + len: the buffer holds
	 * PROCSQL_FAIL_PATHS_AREA + 2 * bound after the header. */
	long n = bpf_probe_read_user_str(&data[base + len], bound - len, (const void *)arg);
	if (n <= 0) {
		w->cut = 1;
		return stop_when_cut;
	}
	w->len = len + n;
	/* Filling the room exactly may be a cut string: the kernel's helper
	 * does not say which. */
	if ((__u64)n >= bound - len) {
		w->cut = 1;
		return stop_when_cut;
	}
	return 0;
}

/* Counts up to PROCSQL_ARGV_CHUNK argument pointers with one read (never
 * past the page the next one is on, which may be the last one mapped).
 * Returns 1 at the NULL or an unreadable chunk. */
static __always_inline long procsql_argc_step(struct procsql_argv_walk *w)
{
	const __u64 at = w->next;
	__u32 n = (4096 - (at & 4095)) >> 3;
	if (n > PROCSQL_ARGV_CHUNK)
		n = PROCSQL_ARGV_CHUNK;
	if (n == 0)
		n = 1;
	if (bpf_probe_read_user(w->chunk, n * sizeof(__u64), (const void *)at) != 0) {
		w->unreadable = 1;
		return 1;
	}
	for (__u32 i = 0; i < PROCSQL_ARGV_CHUNK; i++) {
		if (i >= n)
			break;
		if (w->chunk[i] == 0) {
			w->argc += i;
			w->done = 1;
			return 1;
		}
	}
	w->argc += n;
	w->next = at + n * sizeof(__u64);
	return 0;
}

/* The bounded loop of kernels without bpf_loop, as a global function: the
 * verifier checks it once, on its own, rather than the rest of the handler
 * once per way out of each of its iterations. (5.6+: global functions.) */
__noinline int procsql_argv_bounded(int unused)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct procsql_fail_scratch *s = bpf_map_lookup_elem(&procsql_exec_scratch, &cpu);
	if (!s)
		return 0;
	for (int i = 0; i < PROCSQL_FAIL_ARGS_BOUNDED; i++) {
		if (procsql_argv_step(&s->aw.w, s->data, false))
			break;
	}
	return 0;
}

static long procsql_argv_loop_cb(__u32 index, void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct procsql_fail_scratch *s = bpf_map_lookup_elem(&procsql_exec_scratch, &cpu);
	if (!s)
		return 1;
	return procsql_argv_step(&s->aw.w, s->data, true);
}

static long procsql_argc_loop_cb(__u32 index, void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct procsql_fail_scratch *s = bpf_map_lookup_elem(&procsql_exec_scratch, &cpu);
	if (!s)
		return 1;
	return procsql_argc_step(&s->aw.w);
}

static __always_inline int procsql_handle_exec_failure(struct procsql_sys_exit_ctx *ctx, __u32 syscall,
							bool use_loop)
{
	const __s64 ret = ctx->ret;
	if (ret >= 0)
		return 0; /* the exec handler made the row and took the mark */
	procsql_count(PROCSQL_CNT_FAIL_SEEN);

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const __u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct procsql_exec_call call = {};
	bool marked = false;
	struct procsql_exec_call *mark = bpf_map_lookup_elem(&procsql_exec_calls, &tid);
	if (mark) {
		call = *mark;
		marked = true;
		bpf_map_delete_elem(&procsql_exec_calls, &tid);
	}

	__u32 cpu = bpf_get_smp_processor_id();
	struct procsql_fail_scratch *s = bpf_map_lookup_elem(&procsql_exec_scratch, &cpu);
	if (!s) {
		procsql_count(PROCSQL_CNT_FAIL_NO_SCRATCH);
		return 0;
	}
	struct procsql_exec_failure_event *ev = &s->ev;
	char *data = s->data;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = PROCSQL_EVENT_EXEC_FAILURE;
	ev->ktime_boot_ns = bpf_ktime_get_boot_ns();
	ev->start_boot_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	ev->pid = id >> 32;
	ev->tid = tid;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->result = (__s32)ret;
	ev->syscall = syscall;
	ev->dirfd = marked ? call.dirfd : PROCSQL_AT_FDCWD;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	const struct cred *cred = BPF_CORE_READ(task, cred);
	ev->uid = BPF_CORE_READ(cred, uid.val);
	ev->euid = BPF_CORE_READ(cred, euid.val);
	if (bpf_core_field_exists(task->loginuid)) {
		ev->loginuid = BPF_CORE_READ(task, loginuid.val);
		ev->flags |= PROCSQL_EXEC_HAS_LOGINUID;
	}
	/* The caller's memory is where the mark's pointers point, unless the
	 * exec failed past its point of no return (the new image's mm is in
	 * place and the process is about to be killed). */
	const bool own_memory = marked && call.mm == (__u64)BPF_CORE_READ(task, mm);
	if (!marked)
		ev->flags |= PROCSQL_EXEC_NO_MARK;

	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	__u32 off = 0;
	__u32 len = 0;
	if (exe && fs) {
		ev->flags |= PROCSQL_EXEC_HAS_PATH;
		len = procsql_put_walk(&ev->flags, data, off, &exe->f_path, &fs->root,
				       PROCSQL_EXEC_PATH_TRUNCATED, use_loop, false, false);
	}
	ev->path_len = len;
	off += len & 0x1fff;

	len = 0;
	if (own_memory && off <= PROCSQL_FAIL_PATHS_AREA - PROCSQL_PATH_MAX) {
		long n = bpf_probe_read_user_str(&data[off], PROCSQL_PATH_MAX, (const void *)call.filename);
		if (n > 0) {
			ev->flags |= PROCSQL_EXEC_HAS_FILENAME;
			if (n == PROCSQL_PATH_MAX)
				ev->flags |= PROCSQL_EXEC_FILENAME_TRUNCATED;
			len = n - 1;
		}
	}
	ev->filename_len = len;
	off += len & 0x1fff;

	len = 0;
	if (fs) {
		ev->flags |= PROCSQL_EXEC_HAS_CWD;
		len = procsql_put_walk(&ev->flags, data, off, &fs->pwd, &fs->root, PROCSQL_EXEC_CWD_TRUNCATED,
				       use_loop, false, false);
	}
	ev->cwd_len = len;
	off += len & 0x1fff;

	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	len = 0;
	if (tty && off <= PROCSQL_FAIL_PATHS_AREA - PROCSQL_TTY_MAX) {
		long n = bpf_probe_read_kernel_str(&data[off], PROCSQL_TTY_MAX, &tty->name);
		if (n > 1) {
			ev->flags |= PROCSQL_EXEC_HAS_TTY;
			len = n - 1;
		}
	}
	ev->tty_len = len;
	off += len & (PROCSQL_TTY_MAX - 1);
	if (off > PROCSQL_FAIL_PATHS_AREA) {
		procsql_count(PROCSQL_CNT_FAIL_TOO_LARGE);
		return 0;
	}

	struct procsql_argv_walk *w = &s->aw.w;
	w->next = call.argv;
	w->base = off;
	w->len = 0;
	w->argc = 0;
	w->done = 0;
	w->cut = 0;
	w->unreadable = 0;
	if (own_memory) {
		if (!call.argv) {
			w->done = 1; /* execve(path, NULL, ...): no arguments */
		} else if (use_loop) {
			bpf_loop(PROCSQL_FAIL_ARGS_LOOP, procsql_argv_loop_cb, NULL, 0);
			if (w->cut && !w->done && !w->unreadable)
				bpf_loop(PROCSQL_FAIL_ARGC_LOOP / PROCSQL_ARGV_CHUNK, procsql_argc_loop_cb, NULL, 0);
		} else {
			procsql_argv_bounded(0);
		}
		if (w->argc || w->done)
			ev->flags |= PROCSQL_EXEC_HAS_ARGV;
		if (w->cut)
			ev->flags |= PROCSQL_EXEC_ARGV_TRUNCATED;
		if (w->unreadable)
			ev->flags |= PROCSQL_EXEC_ARGV_UNREADABLE;
	}
	if (!w->done)
		ev->flags |= PROCSQL_EXEC_ARGC_UNKNOWN;
	ev->argc = w->argc;
	const __u64 bound = procsql_argv_bound();
	__u64 argv_len = w->len;
	if (argv_len > bound)
		argv_len = bound;
	ev->argv_len = argv_len;

	__u64 size = sizeof(*ev) + off + argv_len;
	if (size > PROCSQL_EXEC_FAILURE_RECORD_MAX(bound)) {
		procsql_count(PROCSQL_CNT_FAIL_TOO_LARGE);
		return 0;
	}
	ev->size = size;
	procsql_output(ev, size, PROCSQL_CNT_FAIL_RINGBUF_FULL);
	return 0;
}

#define PROCSQL_EXEC_EXIT(name, tracepoint, call)                                \
	SEC("tp/syscalls/" tracepoint)                                           \
	int name(struct procsql_sys_exit_ctx *ctx)                               \
	{                                                                        \
		return procsql_handle_exec_failure(ctx, call, true);             \
	}                                                                        \
	SEC("tp/syscalls/" tracepoint)                                           \
	int name##_nl(struct procsql_sys_exit_ctx *ctx)                          \
	{                                                                        \
		return procsql_handle_exec_failure(ctx, call, false);            \
	}

PROCSQL_EXEC_EXIT(procsql_xve_out, "sys_exit_execve", PROCSQL_EXEC_CALL_EXECVE)
PROCSQL_EXEC_EXIT(procsql_xat_out, "sys_exit_execveat", PROCSQL_EXEC_CALL_EXECVEAT)

#endif /* PROCSQL_EXEC_FAILURE_BPF_H */
