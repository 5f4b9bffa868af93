/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * clone_events and process_exits.
 *
 * Process creation is seen at tp_btf/task_newtask, the end of copy_process():
 * it carries the exact clone flags of every fork, vfork, clone and clone3, the
 * child is complete (pid attached, start time set), and it needs no tracefs.
 * What it cannot tell is which syscall asked, nor anything about calls that
 * failed before a task existed; unshare and setns create no task at all. For
 * those, and only those, per-syscall tracepoints mark the calling thread on
 * entry (the syscall, its flags, and for setns the namespaces before) and
 * report on exit (failures, unshare, setns). Exits are seen at
 * tp_btf/sched_process_exit, once per thread group (procsql_claim_group_exit).
 *
 * Thread creation (CLONE_THREAD) is skipped in the kernel unless
 * PROCSQL_THREADS=1, so a thread-heavy host costs nothing more.
 */
#ifndef PROCSQL_LIFECYCLE_BPF_H
#define PROCSQL_LIFECYCLE_BPF_H

/* PROCSQL_THREADS=1: rows for thread creation too. */
const volatile bool trace_threads = false;

#define PROCSQL_CLONE_THREAD 0x00010000ULL
#define PROCSQL_CLONE_NEW_MASK 0x7e020080ULL /* NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME */
#define PROCSQL_SIGNAL_GROUP_EXIT 0x00000004

/* A call in flight, keyed by the calling thread. */
struct procsql_call {
	__u32 syscall;  /* enum procsql_clone_syscall */
	__u32 reserved;
	__u64 flags;
	__u32 ns[PROCSQL_NS__COUNT]; /* setns: the namespaces before the call */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct procsql_call);
} procsql_calls SEC(".maps");

/* One record buffer per CPU for clone and exit records: a header, then the
 * path right after that header (each kind's header has its own size). */
struct procsql_lifecycle_buf {
	char raw[PROCSQL_LIFECYCLE_RECORD_MAX + 32];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct procsql_lifecycle_buf);
} procsql_lifecycle_scratch SEC(".maps");

/* Bits of (1 << procsql_ns_kind) for the CLONE_NEW* flags in `flags`. */
static __always_inline __u32 procsql_ns_from_flags(__u64 flags)
{
	__u32 ns = 0;
	if (flags & 0x00020000ULL) ns |= 1u << PROCSQL_NS_MNT;    /* CLONE_NEWNS */
	if (flags & 0x04000000ULL) ns |= 1u << PROCSQL_NS_UTS;    /* CLONE_NEWUTS */
	if (flags & 0x08000000ULL) ns |= 1u << PROCSQL_NS_IPC;    /* CLONE_NEWIPC */
	if (flags & 0x10000000ULL) ns |= 1u << PROCSQL_NS_USER;   /* CLONE_NEWUSER */
	if (flags & 0x20000000ULL) ns |= 1u << PROCSQL_NS_PID;    /* CLONE_NEWPID */
	if (flags & 0x40000000ULL) ns |= 1u << PROCSQL_NS_NET;    /* CLONE_NEWNET */
	if (flags & 0x02000000ULL) ns |= 1u << PROCSQL_NS_CGROUP; /* CLONE_NEWCGROUP */
	if (flags & 0x00000080ULL) ns |= 1u << PROCSQL_NS_TIME;   /* CLONE_NEWTIME */
	return ns;
}

/* The task's namespace inodes, for setns's before/after comparison. The pid
 * and time entries are the ones a setns changes: those for children. */
static __always_inline void procsql_read_ns(struct task_struct *task, __u32 *ns)
{
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);
	ns[PROCSQL_NS_MNT] = BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	ns[PROCSQL_NS_UTS] = BPF_CORE_READ(nsp, uts_ns, ns.inum);
	ns[PROCSQL_NS_IPC] = BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	ns[PROCSQL_NS_USER] = BPF_CORE_READ(task, cred, user_ns, ns.inum);
	ns[PROCSQL_NS_PID] = BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
	ns[PROCSQL_NS_NET] = BPF_CORE_READ(nsp, net_ns, ns.inum);
	ns[PROCSQL_NS_CGROUP] = BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	if (bpf_core_field_exists(nsp->time_ns_for_children))
		ns[PROCSQL_NS_TIME] = BPF_CORE_READ(nsp, time_ns_for_children, ns.inum);
	else
		ns[PROCSQL_NS_TIME] = 0;
}

static __always_inline struct procsql_lifecycle_buf *procsql_lifecycle_buf(__u32 no_scratch_counter)
{
	__u32 zero = 0;
	struct procsql_lifecycle_buf *b = bpf_map_lookup_elem(&procsql_lifecycle_scratch, &zero);
	if (!b)
		procsql_count(no_scratch_counter);
	return b;
}

/* The exe path of `task` into data[0..], relative to its own root; its
 * length (0 when the task has no exe: a kernel thread, an exiting mm). */
static __always_inline __u16 procsql_task_exe(struct task_struct *task, char *data, __u32 *lc_flags,
					      bool use_loop)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	if (!exe || !fs)
		return 0;
	*lc_flags |= PROCSQL_LC_HAS_PATH;
	return procsql_put_walk(lc_flags, data, 0, &exe->f_path, &fs->root, PROCSQL_LC_PATH_TRUNCATED,
				use_loop, false, false);
}

/* Fills the caller part of a clone record from the current task and sends it. */
static __always_inline void procsql_send_clone(struct procsql_lifecycle_buf *b, bool use_loop)
{
	struct procsql_clone_event *ev = (struct procsql_clone_event *)b->raw;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	ev->kind = PROCSQL_EVENT_CLONE;
	ev->ktime_boot_ns = bpf_ktime_get_boot_ns();
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	struct pid *tpid = BPF_CORE_READ(task, thread_pid);
	__u32 level = BPF_CORE_READ(tpid, level);
	struct upid up;
	bpf_probe_read_kernel(&up, sizeof(up), &tpid->numbers[level & 63]);
	ev->pid_ns = BPF_CORE_READ(up.ns, ns.inum);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	__u16 len = procsql_task_exe(task, b->raw + sizeof(*ev), &ev->lc_flags, use_loop);
	ev->path_len = len;
	__u32 size = sizeof(*ev) + (len & 0x1fff);
	if (size > sizeof(*b)) {
		procsql_count(PROCSQL_CNT_CLONE_TOO_LARGE);
		return;
	}
	ev->size = size;
	procsql_count(PROCSQL_CNT_CLONE_SEEN);
	procsql_output(b, size, PROCSQL_CNT_CLONE_RINGBUF_FULL);
}

/* --- process and thread creation -------------------------------------- */

static __always_inline int procsql_handle_newtask(struct task_struct *child, __u64 clone_flags,
						  bool use_loop)
{
	if ((clone_flags & PROCSQL_CLONE_THREAD) && !trace_threads)
		return 0;
	struct procsql_lifecycle_buf *b = procsql_lifecycle_buf(PROCSQL_CNT_CLONE_NO_SCRATCH);
	if (!b)
		return 0;
	struct procsql_clone_event *ev = (struct procsql_clone_event *)b->raw;
	__builtin_memset(ev, 0, sizeof(*ev));

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct procsql_call *call = bpf_map_lookup_elem(&procsql_calls, &tid);
	/* Without a mark (a kernel thread, or the syscall tracepoints are not
	 * attached) syscall stays PROCSQL_CALL_NONE: NULL in the table. */
	if (call && call->syscall >= PROCSQL_CALL_CLONE && call->syscall <= PROCSQL_CALL_VFORK)
		ev->syscall = call->syscall;
	ev->flags = clone_flags;
	ev->new_ns = procsql_ns_from_flags(clone_flags);
	ev->lc_flags |= PROCSQL_LC_HAS_CHILD;
	ev->child_pid = BPF_CORE_READ(child, tgid);
	ev->child_tid = BPF_CORE_READ(child, pid);
	ev->child_start_boot_ns = BPF_CORE_READ(child, start_boottime);

	/* What the caller gets back: the child's pid in the caller's namespace. */
	struct pid *caller_pid = BPF_CORE_READ(task, thread_pid);
	__u32 caller_level = BPF_CORE_READ(caller_pid, level);
	struct pid *child_pid = BPF_CORE_READ(child, thread_pid);
	struct upid up;
	bpf_probe_read_kernel(&up, sizeof(up), &child_pid->numbers[caller_level & 63]);
	ev->result = up.nr;

	procsql_send_clone(b, use_loop);
	/* A new process runs its parent's executable until it execs: the path the
	 * record carries (the caller's) is the child's too. A new thread shares
	 * its group's memo. */
	if (!(clone_flags & PROCSQL_CLONE_THREAD) && (ev->lc_flags & PROCSQL_LC_HAS_PATH))
		procsql_remember_exe(child, ev->child_pid, ev->child_start_boot_ns, b->raw + sizeof(*ev),
				     ev->path_len, ev->lc_flags & PROCSQL_LC_PATH_TRUNCATED, false);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(procsql_newtask, struct task_struct *child, __u64 clone_flags)
{
	return procsql_handle_newtask(child, clone_flags, true);
}

SEC("tp_btf/task_newtask")
int BPF_PROG(procsql_newtask_nl, struct task_struct *child, __u64 clone_flags)
{
	return procsql_handle_newtask(child, clone_flags, false);
}

/* --- syscall entries: mark the calling thread --------------------------- */

static __always_inline void procsql_mark(__u32 syscall, __u64 flags)
{
	if ((flags & PROCSQL_CLONE_THREAD) && !trace_threads &&
	    (syscall == PROCSQL_CALL_CLONE || syscall == PROCSQL_CALL_CLONE3))
		return;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct procsql_call call = {};
	call.syscall = syscall;
	call.flags = flags;
	if (syscall == PROCSQL_CALL_SETNS)
		procsql_read_ns((struct task_struct *)bpf_get_current_task(), call.ns);
	if (bpf_map_update_elem(&procsql_calls, &tid, &call, BPF_ANY) != 0)
		procsql_count(PROCSQL_CNT_CALL_MARK_LOST);
}

SEC("tp/syscalls/sys_enter_clone")
int procsql_clone_in(struct procsql_sys_enter_ctx *ctx)
{
	/* The low byte is the exit signal, not a flag. */
	procsql_mark(PROCSQL_CALL_CLONE, ctx->args[0] & ~0xffULL);
	return 0;
}

SEC("tp/syscalls/sys_enter_clone3")
int procsql_clone3_in(struct procsql_sys_enter_ctx *ctx)
{
	__u64 flags = 0;
	bpf_probe_read_user(&flags, sizeof(flags), (const void *)ctx->args[0]); /* clone_args.flags */
	procsql_mark(PROCSQL_CALL_CLONE3, flags);
	return 0;
}

SEC("tp/syscalls/sys_enter_fork")
int procsql_fork_in(struct procsql_sys_enter_ctx *ctx)
{
	procsql_mark(PROCSQL_CALL_FORK, 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_vfork")
int procsql_vfork_in(struct procsql_sys_enter_ctx *ctx)
{
	procsql_mark(PROCSQL_CALL_VFORK, 0x00004000ULL | 0x00000100ULL); /* CLONE_VFORK|CLONE_VM */
	return 0;
}

SEC("tp/syscalls/sys_enter_unshare")
int procsql_unshare_in(struct procsql_sys_enter_ctx *ctx)
{
	procsql_mark(PROCSQL_CALL_UNSHARE, ctx->args[0]);
	return 0;
}

SEC("tp/syscalls/sys_enter_setns")
int procsql_setns_in(struct procsql_sys_enter_ctx *ctx)
{
	procsql_mark(PROCSQL_CALL_SETNS, ctx->args[1]);
	return 0;
}

/* --- syscall exits: failures, unshare, setns ---------------------------- */

static __always_inline int procsql_handle_call_exit(struct procsql_sys_exit_ctx *ctx, bool use_loop)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct procsql_call *call = bpf_map_lookup_elem(&procsql_calls, &tid);
	if (!call)
		return 0; /* the child's return from fork, or a call we do not watch */
	struct procsql_call c = *call;
	bpf_map_delete_elem(&procsql_calls, &tid);
	__s64 ret = ctx->ret;
	bool creates_task = c.syscall >= PROCSQL_CALL_CLONE && c.syscall <= PROCSQL_CALL_VFORK;
	if (creates_task && ret >= 0)
		return 0; /* task_newtask has made the row, with the child */

	struct procsql_lifecycle_buf *b = procsql_lifecycle_buf(PROCSQL_CNT_CLONE_NO_SCRATCH);
	if (!b)
		return 0;
	struct procsql_clone_event *ev = (struct procsql_clone_event *)b->raw;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->syscall = c.syscall;
	ev->flags = c.flags;
	ev->result = (__s32)ret;
	if (ret == 0 && c.syscall == PROCSQL_CALL_UNSHARE) {
		ev->new_ns = procsql_ns_from_flags(c.flags);
	} else if (ret == 0 && c.syscall == PROCSQL_CALL_SETNS) {
		__u32 after[PROCSQL_NS__COUNT];
		procsql_read_ns((struct task_struct *)bpf_get_current_task(), after);
		for (int i = 0; i < PROCSQL_NS__COUNT; i++) {
			if (after[i] != c.ns[i])
				ev->new_ns |= 1u << i;
		}
	}
	procsql_send_clone(b, use_loop);
	return 0;
}

#define PROCSQL_CALL_EXIT(name, tracepoint)                                      \
	SEC("tp/syscalls/" tracepoint)                                           \
	int name(struct procsql_sys_exit_ctx *ctx)                               \
	{                                                                        \
		return procsql_handle_call_exit(ctx, true);                      \
	}                                                                        \
	SEC("tp/syscalls/" tracepoint)                                           \
	int name##_nl(struct procsql_sys_exit_ctx *ctx)                          \
	{                                                                        \
		return procsql_handle_call_exit(ctx, false);                     \
	}

PROCSQL_CALL_EXIT(procsql_clone_out, "sys_exit_clone")
PROCSQL_CALL_EXIT(procsql_clone3_out, "sys_exit_clone3")
PROCSQL_CALL_EXIT(procsql_fork_out, "sys_exit_fork")
PROCSQL_CALL_EXIT(procsql_vfork_out, "sys_exit_vfork")
PROCSQL_CALL_EXIT(procsql_unsh_out, "sys_exit_unshare")
PROCSQL_CALL_EXIT(procsql_setns_out, "sys_exit_setns")

/* --- process exits ------------------------------------------------------ */

/* 6.16+ passes group_dead to the exit tracepoint: set by user space from the
 * tracepoint's BTF. */
const volatile bool exit_has_group_dead = false;

/* Thread groups whose exit was reported, keyed by (tgid, start), on kernels
 * without group_dead: see procsql_claim_group_exit. */
struct procsql_group_key {
	__u64 start_boot_ns;
	__u32 tgid;
	__u32 reserved;
};

/* Not an LRU: a claim evicted while a thread of its group can still reach the
 * exit tracepoint would let that thread report the group again. Claims are
 * deleted when the group leader is freed (procsql_group_freed), after every
 * thread of the group has left do_exit(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct procsql_group_key);
	__type(value, __u8);
} procsql_exited_groups SEC(".maps");

/*
 * Is this the group's last thread? With group_dead the kernel says so: its
 * atomic_dec_and_test(&signal->live) is true for exactly one thread. Without
 * it, do_exit() decrements signal->live before the tracepoint, so the last
 * thread reads 0; a thread that decremented earlier may reach the tracepoint
 * after that and read 0 too, so the first to claim the group reports it. A
 * claim the full map cannot take is reported anyway (a loss is worse than a
 * possible duplicate) and counted.
 */
static __always_inline bool procsql_claim_group_exit(struct task_struct *task, __u64 start, bool group_dead)
{
	if (exit_has_group_dead)
		return group_dead;
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return false;
	struct procsql_group_key key = {.start_boot_ns = start, .tgid = BPF_CORE_READ(task, tgid)};
	__u8 one = 1;
	long err = bpf_map_update_elem(&procsql_exited_groups, &key, &one, BPF_NOEXIST);
	if (err == 0)
		return true;
	if (err == -17 /* EEXIST: another thread reported it */)
		return false;
	procsql_count(PROCSQL_CNT_EXIT_CLAIM_FULL);
	return true;
}

/* A thread killed inside execve, execveat, clone, unshare or setns never reaches the
 * syscall's exit: its marks go with it, so a later thread reusing its tid
 * cannot inherit them. */
static __always_inline void procsql_forget_thread_marks(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_delete_elem(&procsql_exec_calls, &tid);
	bpf_map_delete_elem(&procsql_calls, &tid);
}

static __always_inline int procsql_handle_exit(struct task_struct *task, bool group_dead, bool use_loop)
{
	procsql_forget_thread_marks();
	const __u64 start = BPF_CORE_READ(task, group_leader, start_boottime);
	if (!procsql_claim_group_exit(task, start, group_dead))
		return 0;
	struct procsql_lifecycle_buf *b = procsql_lifecycle_buf(PROCSQL_CNT_EXIT_NO_SCRATCH);
	if (!b)
		return 0;
	struct procsql_exit_event *ev = (struct procsql_exit_event *)b->raw;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->kind = PROCSQL_EVENT_EXIT;
	ev->ktime_boot_ns = bpf_ktime_get_boot_ns();
	ev->pid = BPF_CORE_READ(task, tgid);
	ev->start_boot_ns = start;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	/* The status wait(2) reports (wait_task_zombie): a group exit (exit_group,
	 * a fatal signal; from 5.19 also the last thread's plain exit, which
	 * synchronize_group_exit() makes one before this tracepoint) records it
	 * for the whole group; otherwise it is the leader's, which may have
	 * exited long before this last thread. */
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	struct task_struct *leader = task->group_leader;
	if (BPF_CORE_READ(sig, flags) & PROCSQL_SIGNAL_GROUP_EXIT)
		ev->status = BPF_CORE_READ(sig, group_exit_code);
	else
		ev->status = BPF_CORE_READ(leader, exit_code);
	bpf_probe_read_kernel_str(ev->comm, sizeof(ev->comm), &leader->comm);
	__u16 len = 0;
	if (!remember_exe) {
		len = procsql_task_exe(task, b->raw + sizeof(*ev), &ev->lc_flags, use_loop);
	} else {
		/* Before 6.16 the mm is gone by now: what exec or fork left. */
		struct procsql_exe_memo *m = procsql_recall_exe(leader, ev->pid, start);
		if (m) {
			__u32 n = m->len;
			if (n > PROCSQL_MEMO_PATH_MAX)
				n = PROCSQL_MEMO_PATH_MAX;
			bpf_probe_read_kernel(b->raw + sizeof(*ev), n, m->path);
			len = n;
			ev->lc_flags |= PROCSQL_LC_HAS_PATH;
			if (m->truncated)
				ev->lc_flags |= PROCSQL_LC_PATH_TRUNCATED;
		}
	}
	procsql_forget_exe(leader, ev->pid);
	ev->path_len = len;
	__u32 size = sizeof(*ev) + (len & 0x1fff);
	if (size > sizeof(*b)) {
		procsql_count(PROCSQL_CNT_EXIT_TOO_LARGE);
		return 0;
	}
	ev->size = size;
	procsql_count(PROCSQL_CNT_EXIT_SEEN);
	procsql_output(b, size, PROCSQL_CNT_EXIT_RINGBUF_FULL);
	return 0;
}

/* The arguments by hand, not BPF_PROG: group_dead exists only on 6.16+, and
 * the verifier refuses a read past a tracepoint's arguments unless the branch
 * is pruned (exit_has_group_dead is read-only data). */
SEC("tp_btf/sched_process_exit")
int procsql_exit(__u64 *ctx)
{
	bool group_dead = exit_has_group_dead ? (bool)ctx[1] : false;
	return procsql_handle_exit((struct task_struct *)ctx[0], group_dead, true);
}

SEC("tp_btf/sched_process_exit")
int procsql_exit_nl(__u64 *ctx)
{
	bool group_dead = exit_has_group_dead ? (bool)ctx[1] : false;
	return procsql_handle_exit((struct task_struct *)ctx[0], group_dead, false);
}

/* The group leader is freed once every thread of its group is gone (an RCU
 * grace period after the last release_task): its claim cannot be needed any
 * more. Loaded only on kernels without group_dead. */
SEC("tp_btf/sched_process_free")
int BPF_PROG(procsql_group_freed, struct task_struct *task)
{
	if (task->pid != task->tgid)
		return 0;
	struct procsql_group_key key = {.start_boot_ns = task->start_boottime, .tgid = task->tgid};
	bpf_map_delete_elem(&procsql_exited_groups, &key);
	return 0;
}

#endif /* PROCSQL_LIFECYCLE_BPF_H */
