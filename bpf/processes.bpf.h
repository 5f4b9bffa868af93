/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The processes table: a task iterator (iter/task) writes one record per live
 * process when a query reads it. Why not /proc alone: /proc/PID/stat gives a
 * start time in clock ticks, and (pid, start_time) must equal the exact
 * nanoseconds the event tables carry for joins to work; the iterator reads
 * the same start_boottime and resolves exe and cwd with the same walk as
 * exec capture. (argv is read by user space from /proc/PID/cmdline: the same
 * bytes, and reading another process's memory from BPF needs 5.18.)
 * Each pass also seeds exe_memo.bpf.h's memo of processes that have none.
 */
#ifndef PROCSQL_PROCESSES_BPF_H
#define PROCSQL_PROCESSES_BPF_H

struct procsql_process_buf {
	struct procsql_process_record rec;
	char data[2 * (PROCSQL_PATH_MAX + 16) + PROCSQL_TTY_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct procsql_process_buf);
} procsql_process_scratch SEC(".maps");

static __always_inline int procsql_handle_task(struct bpf_iter__task *ctx, bool use_loop)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	if (!task || task->pid != task->tgid)
		return 0; /* one record per process: its leader */
	__u32 zero = 0;
	struct procsql_process_buf *b = bpf_map_lookup_elem(&procsql_process_scratch, &zero);
	if (!b) {
		procsql_count(PROCSQL_CNT_PROCESS_LOST);
		return 0;
	}
	struct procsql_process_record *r = &b->rec;
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = PROCSQL_EVENT_PROCESS;
	r->pid = task->tgid;
	r->ppid = BPF_CORE_READ(task, real_parent, tgid);
	r->start_boot_ns = task->start_boottime;
	const struct cred *cred = BPF_CORE_READ(task, cred);
	r->uid = BPF_CORE_READ(cred, uid.val);
	procsql_privileges(task, cred, &r->cap_effective, &r->seccomp_mode, &r->no_new_privs, &r->flags);
	r->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), task->comm);

	char *data = b->data;
	__u32 off = 0;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	__u32 len = 0;
	if (exe && fs) {
		r->flags |= PROCSQL_EXEC_HAS_PARENT_PATH;
		len = procsql_put_walk(&r->flags, data, 0, &exe->f_path, &fs->root, PROCSQL_EXEC_PATH_TRUNCATED,
				       use_loop, true, false);
	}
	r->path_len = len;
	/* Seeds the exit memo of a process that started before procsql (user
	 * space runs this iterator once at start); a memo an exec or fork wrote
	 * is newer and kept. */
	if (exe && fs)
		procsql_remember_exe(task, r->pid, r->start_boot_ns, data, len,
				     r->flags & PROCSQL_EXEC_PATH_TRUNCATED, true);
	off += len & 0x1fff;
	len = 0;
	if (fs) {
		r->flags |= PROCSQL_EXEC_HAS_CWD;
		len = procsql_put_walk(&r->flags, data, off, &fs->pwd, &fs->root, PROCSQL_EXEC_CWD_TRUNCATED,
				       use_loop, true, false);
	}
	r->cwd_len = len;
	off += len & 0x1fff;
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	len = 0;
	if (tty && off <= sizeof(b->data) - PROCSQL_TTY_MAX) {
		long n = bpf_probe_read_kernel_str(&data[off], PROCSQL_TTY_MAX, &tty->name);
		if (n > 1) {
			r->flags |= PROCSQL_EXEC_HAS_TTY;
			len = n - 1;
		}
	}
	r->tty_len = len;
	off += len & (PROCSQL_TTY_MAX - 1);
	__u32 size = sizeof(*r) + off;
	if (size > sizeof(*b)) {
		procsql_count(PROCSQL_CNT_PROCESS_LOST);
		return 0;
	}
	r->size = size;
	bpf_seq_write(seq, b, size);
	return 0;
}

SEC("iter/task")
int procsql_tasks(struct bpf_iter__task *ctx)
{
	return procsql_handle_task(ctx, true);
}

SEC("iter/task")
int procsql_tasks_nl(struct bpf_iter__task *ctx)
{
	return procsql_handle_task(ctx, false);
}

#endif /* PROCSQL_PROCESSES_BPF_H */
