/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Each process's executable, remembered for process_exits.path.
 *
 * Why: until 6.16 the kernel calls exit_mm() before the sched_process_exit
 * tracepoint, so the exit program finds task->mm NULL and cannot walk
 * mm->exe_file. On those kernels (user space sets remember_exe when the
 * tracepoint lacks its group_dead argument, which came with the move) the path
 * walked at exec, and the parent's path at fork, is kept per process and read
 * back at exit. Where the kernel has task storage (5.13+, with the guard that
 * keeps a re-entered program from deadlocking on it) the memo hangs off
 * the task and is freed with it; on 5.10 it lives in a hash keyed by the
 * thread group, checked against the start time and deleted at exit. A memo
 * that cannot be stored is counted (PROCSQL_CNT_EXE_MEMO_LOST): that exit's
 * path is then NULL, never another process's.
 *
 * Only the maps of the way in use are created (user space turns autocreate off
 * for the others); the branches that use the others are dead code the
 * verifier prunes, since both switches are read-only data frozen at load.
 */
#ifndef PROCSQL_EXE_MEMO_BPF_H
#define PROCSQL_EXE_MEMO_BPF_H

const volatile bool remember_exe = false;
const volatile bool memo_in_task_storage = false;

#define PROCSQL_MEMO_PATH_MAX (PROCSQL_PATH_MAX + 16)

struct procsql_exe_memo {
	__u64 start_boot_ns; /* the thread group's start: a reused pid never matches */
	__u32 len;
	__u32 truncated;
	char path[PROCSQL_MEMO_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct procsql_exe_memo);
} procsql_exe_by_task SEC(".maps");

/* No preallocation: an entry costs memory only while its process lives. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PROCSQL_EXE_MEMO_HASH_MAX);
	__type(key, __u32);
	__type(value, struct procsql_exe_memo);
} procsql_exe_by_tgid SEC(".maps");

/* The hash variant builds its value here first (a map update copies from
 * memory, and 4 KiB does not fit on the stack): one for the tracepoints, one
 * for the task iterator, which can be preempted by them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct procsql_exe_memo);
} procsql_exe_memo_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct procsql_exe_memo);
} procsql_iter_memo_scratch SEC(".maps");

/*
 * Remembers `len` bytes at `src` (a map value) as the executable of the thread
 * group led by `leader`. from_iterator (a constant): the task iterator's
 * seeding, which keeps an existing memo (an exec's is newer) and has its own
 * scratch.
 */
static __always_inline void procsql_remember_exe(struct task_struct *leader, __u32 tgid, __u64 start,
						 const char *src, __u32 len, bool truncated,
						 bool from_iterator)
{
	if (!remember_exe)
		return;
	struct procsql_exe_memo *m;
	if (memo_in_task_storage) {
		if (from_iterator && bpf_task_storage_get(&procsql_exe_by_task, leader, 0, 0))
			return;
		m = bpf_task_storage_get(&procsql_exe_by_task, leader, 0,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
	} else {
		__u32 zero = 0;
		m = bpf_map_lookup_elem(from_iterator ? (void *)&procsql_iter_memo_scratch
						      : (void *)&procsql_exe_memo_scratch, &zero);
	}
	if (!m) {
		procsql_count(PROCSQL_CNT_EXE_MEMO_LOST);
		return;
	}
	if (len > PROCSQL_MEMO_PATH_MAX)
		len = PROCSQL_MEMO_PATH_MAX;
	m->start_boot_ns = start;
	m->len = len;
	m->truncated = truncated;
	bpf_probe_read_kernel(m->path, len, src);
	if (!memo_in_task_storage &&
	    bpf_map_update_elem(&procsql_exe_by_tgid, &tgid, m, from_iterator ? BPF_NOEXIST : BPF_ANY) != 0 &&
	    !from_iterator)
		procsql_count(PROCSQL_CNT_EXE_MEMO_LOST);
}

/* The memo of the thread group led by `leader`, or NULL. */
static __always_inline struct procsql_exe_memo *procsql_recall_exe(struct task_struct *leader, __u32 tgid,
								   __u64 start)
{
	if (!remember_exe)
		return NULL;
	struct procsql_exe_memo *m;
	if (memo_in_task_storage)
		m = bpf_task_storage_get(&procsql_exe_by_task, leader, 0, 0);
	else
		m = bpf_map_lookup_elem(&procsql_exe_by_tgid, &tgid);
	if (m && m->start_boot_ns != start)
		return NULL;
	return m;
}

/* Frees the memo once the exit is reported. */
static __always_inline void procsql_forget_exe(struct task_struct *leader, __u32 tgid)
{
	if (!remember_exe)
		return;
	if (memo_in_task_storage)
		bpf_task_storage_delete(&procsql_exe_by_task, leader);
	else
		bpf_map_delete_elem(&procsql_exe_by_tgid, &tgid);
}

#endif /* PROCSQL_EXE_MEMO_BPF_H */
