/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * syscall_usage: which syscalls each watched cgroup (container) makes, and
 * how often, counted in the kernel per (cgroup, arch, number).
 *
 * Why these three programs are attached only while something is recorded
 * (user space attaches and detaches them: extension/sources/bpf/
 * syscall_recorder.cpp): sys_enter runs on every syscall of the host. While
 * attached, an unwatched task pays one helper and one hash lookup.
 *
 * Why a cgroup made while recording is watched from the kernel, before user
 * space knows what it is: a container's cgroup is made by its runtime, and
 * its workload may exec and make its calls long before user space has read
 * the mkdir record. So every new cgroup starts as WAIT_EXEC and is recorded
 * from its first exec on (the runtime's own setup before it, runc init's,
 * must not end up allowed by the profile); user space then removes the
 * cgroups it does not choose (the host's, containers not asked for) with
 * whatever they recorded meanwhile. Cgroups that existed when recording
 * began are entered by user space as RECORD.
 *
 * 32-bit calls are told apart by the task's TS_COMPAT status bit (x86: set by
 * the 32-bit entry paths before the tracepoint, cleared on the way back to
 * user space); x32 calls by __X32_SYSCALL_BIT in the number. Other
 * architectures record every call as native.
 */
#ifndef PROCSQL_SYSCALLS_BPF_H
#define PROCSQL_SYSCALLS_BPF_H

/* The pre-filter in front of the watch map: slot (cgroup id mod 65536) is 1
 * when a cgroup with those low bits may be watched. An array lookup is
 * inlined by the verifier (no call), where a hash lookup is a call: the
 * unwatched task, nearly every task, pays the cgroup id and a load. Slots are
 * set before the watch entry (by user space, and by procsql_sc_mkdir) and
 * cleared only when nothing is recorded; a stale or shared slot only costs
 * the hash lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PROCSQL_SC_FILTER_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} procsql_sc_filter SEC(".maps");

/* cgroup id -> enum procsql_sc_watch. Absent: not recorded. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROCSQL_SC_WATCH_MAX);
	__type(key, __u64);
	__type(value, __u32);
} procsql_sc_watch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROCSQL_SC_USAGE_MAX);
	__type(key, struct procsql_sc_key);
	__type(value, struct procsql_sc_usage);
} procsql_sc_usage SEC(".maps");

#define PROCSQL_X32_SYSCALL_BIT 0x40000000
#define PROCSQL_TS_COMPAT 0x0002

static __always_inline __u32 procsql_sc_arch_of(long *nr)
{
#if defined(__TARGET_ARCH_x86)
	if (*nr & PROCSQL_X32_SYSCALL_BIT) {
		*nr &= ~(long)PROCSQL_X32_SYSCALL_BIT;
		return PROCSQL_SC_X32;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, thread_info.status) & PROCSQL_TS_COMPAT)
		return PROCSQL_SC_COMPAT;
#endif
	return PROCSQL_SC_NATIVE;
}

SEC("raw_tracepoint/sys_enter")
int procsql_sc_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	__u32 slot = (__u32)cgroup_id & (PROCSQL_SC_FILTER_SLOTS - 1);
	__u8 *maybe = bpf_map_lookup_elem(&procsql_sc_filter, &slot);
	if (!maybe || !*maybe)
		return 0;
	__u32 *watch = bpf_map_lookup_elem(&procsql_sc_watch, &cgroup_id);
	if (!watch || *watch != PROCSQL_SC_RECORD)
		return 0;
	long nr = (long)ctx->args[1];
	if (nr < 0)
		return 0; /* syscall(-1): no call was made */
	struct procsql_sc_key key = {};
	key.cgroup_id = cgroup_id;
	key.arch = procsql_sc_arch_of(&nr);
	key.nr = (__u32)nr;
	const __u64 now = bpf_ktime_get_boot_ns();
	struct procsql_sc_usage *u = bpf_map_lookup_elem(&procsql_sc_usage, &key);
	if (!u) {
		struct procsql_sc_usage first = {1, now, now};
		if (bpf_map_update_elem(&procsql_sc_usage, &key, &first, BPF_NOEXIST) == 0)
			return 0;
		/* Another CPU made it meanwhile (or the map is full). */
		u = bpf_map_lookup_elem(&procsql_sc_usage, &key);
		if (!u) {
			procsql_count(PROCSQL_CNT_SC_USAGE_FULL);
			return 0;
		}
	}
	__sync_fetch_and_add(&u->count, 1);
	u->last_ns = now;
	return 0;
}

/* A cgroup made while recording: watched until user space decides. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(procsql_sc_mkdir, struct cgroup *cgrp, const char *path)
{
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0; /* a v1 hierarchy: not the id tasks report */
	__u64 id = BPF_CORE_READ(cgrp, kn, id);
	__u32 slot = (__u32)id & (PROCSQL_SC_FILTER_SLOTS - 1);
	__u8 *maybe = bpf_map_lookup_elem(&procsql_sc_filter, &slot);
	if (maybe)
		*maybe = 1;
	__u32 wait = PROCSQL_SC_WAIT_EXEC;
	long err = bpf_map_update_elem(&procsql_sc_watch, &id, &wait, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST: user space entered it first */)
		procsql_count(PROCSQL_CNT_SC_WATCH_FULL);
	return 0;
}

/* A watched cgroup's first exec: its workload's calls are recorded from here. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(procsql_sc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	__u32 *watch = bpf_map_lookup_elem(&procsql_sc_watch, &cgroup_id);
	if (watch && *watch == PROCSQL_SC_WAIT_EXEC)
		*watch = PROCSQL_SC_RECORD;
	return 0;
}

#endif /* PROCSQL_SYSCALLS_BPF_H */
