/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup v2 directories as they are made and removed, for container_map.
 *
 * Container runtimes make a cgroup for each container before any of its
 * processes run in it, so a mkdir record reaches user space (through the same
 * ring buffer, in order) before the container's first exec: its rows can be
 * attributed at ingest even if the container lives a second. Only the default
 * (v2) hierarchy is followed, the one bpf_get_current_cgroup_id() reports; on
 * a hybrid host the v1 hierarchies' events are skipped in the kernel.
 */
#ifndef PROCSQL_CGROUP_BPF_H
#define PROCSQL_CGROUP_BPF_H

struct procsql_cgroup_buf {
	struct procsql_cgroup_event ev;
	char path[PROCSQL_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct procsql_cgroup_buf);
} procsql_cgroup_scratch SEC(".maps");

static __always_inline int procsql_handle_cgroup(struct cgroup *cgrp, const char *path, __u32 op)
{
	/* The default hierarchy is hierarchy 0. */
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	__u32 zero = 0;
	struct procsql_cgroup_buf *b = bpf_map_lookup_elem(&procsql_cgroup_scratch, &zero);
	if (!b) {
		procsql_count(PROCSQL_CNT_CGROUP_NO_SCRATCH);
		return 0;
	}
	b->ev.kind = PROCSQL_EVENT_CGROUP;
	b->ev.ktime_boot_ns = bpf_ktime_get_boot_ns();
	b->ev.cgroup_id = BPF_CORE_READ(cgrp, kn, id);
	b->ev.op = op;
	b->ev.flags = 0;
	long n = bpf_probe_read_kernel_str(b->path, sizeof(b->path), path);
	__u32 len = n > 0 ? (__u32)(n - 1) : 0;
	b->ev.path_len = len;
	/* The kernel already cut the path at its buffer: say so, and user space
	 * reads the whole path by the cgroup's id. */
	if (len >= PROCSQL_KERNEL_CGROUP_PATH_LEN - 1 || n <= 0) {
		b->ev.flags |= PROCSQL_CGROUP_PATH_AT_LIMIT;
		procsql_count(PROCSQL_CNT_CGROUP_PATH_CUT);
	}
	__u32 size = sizeof(b->ev) + (len & (PROCSQL_PATH_MAX - 1));
	b->ev.size = size;
	procsql_output(b, size, PROCSQL_CNT_CGROUP_RINGBUF_FULL);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(procsql_cg_mkdir, struct cgroup *cgrp, const char *path)
{
	return procsql_handle_cgroup(cgrp, path, PROCSQL_CGROUP_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(procsql_cg_rmdir, struct cgroup *cgrp, const char *path)
{
	return procsql_handle_cgroup(cgrp, path, PROCSQL_CGROUP_RMDIR);
}

#endif /* PROCSQL_CGROUP_BPF_H */
