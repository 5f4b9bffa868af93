/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A bounded dentry walk that builds the path d_path() would give, inside BPF.
 *
 * Why not bpf_d_path(): the kernel refuses it at sched_process_exec (it is only
 * allowed in a list of sleepable-safe hooks). So we walk dentry->d_parent and
 * cross mounts through struct mount, as prepend_path() in fs/d_path.c does,
 * stopping at the task's own root: the result is what /proc/PID/exe shows to
 * the process itself (inside a container, the path inside the container).
 *
 * Components are written from the end of a PROCSQL_PATH_MAX window backwards.
 * The window lives in a per-CPU buffer twice its size so that every write the
 * verifier has to prove safe (offset masked to the window, length <= NAME_MAX)
 * stays inside the buffer. A path that does not fit, or that needs more
 * components than the walk may take, is flagged as truncated: never cut
 * silently.
 */
#ifndef PROCSQL_PATH_WALK_BPF_H
#define PROCSQL_PATH_WALK_BPF_H

#include "event_abi.h"

#define PROCSQL_NAME_MAX 255
#define PROCSQL_WALK_BUF (2 * PROCSQL_PATH_MAX)

struct procsql_walk {
	/* Scalars only (pointers as read from kernel memory). The state lives in
	 * the per-CPU map value, not on the stack: the verifier treats what it
	 * loads from a map as unknown, so every bpf_loop iteration looks alike
	 * and the callback verifies once instead of once per possible position. */
	__u64 dentry;
	__u64 vfsmnt;
	__u64 mnt;
	__u64 root_dentry;
	__u64 root_vfsmnt;
	__u32 pos;       /* the path is buf[pos, PROCSQL_PATH_MAX) */
	__u32 done;      /* reached the root (or the top of an unreachable mount) */
	__u32 truncated; /* a component did not fit */
	__u32 pseudo;    /* ended at a pseudo dentry: d_path adds " (deleted)" */
	__u32 unlinked;  /* the target itself is unlinked: d_path adds " (deleted)" */
	__u32 taken;     /* components procsql_walk_fast took: they count against the bound */
};

struct procsql_path_buf {
	struct procsql_walk w;
	char data[PROCSQL_WALK_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct procsql_path_buf);
} procsql_path_scratch SEC(".maps");

/* The task iterator's own: an iterator program can be preempted, and an exec
 * on the same CPU would otherwise rewrite a walk in progress. (Tracepoint
 * programs cannot preempt each other on a CPU.) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct procsql_path_buf);
} procsql_iter_path_scratch SEC(".maps");

static __always_inline struct mount *procsql_real_mount(__u64 vfsmnt)
{
	/* container_of(vfsmnt, struct mount, mnt), with a CO-RE relocated offset. */
	return (struct mount *)(vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

/* d_unlinked(): the dentry was removed from the dcache hash and is not a root,
 * which is when d_path() appends " (deleted)". */
static __always_inline bool procsql_dentry_unlinked(__u64 dentry)
{
	struct dentry *d = (struct dentry *)dentry;
	if (!d)
		return false;
	return BPF_CORE_READ(d, d_hash.pprev) == NULL && BPF_CORE_READ(d, d_parent) != d;
}

static __always_inline void procsql_walk_init(struct procsql_walk *w,
					       const struct path *target,
					       const struct path *root)
{
	w->dentry = (__u64)BPF_CORE_READ(target, dentry);
	w->unlinked = procsql_dentry_unlinked(w->dentry);
	w->vfsmnt = (__u64)BPF_CORE_READ(target, mnt);
	w->mnt = (__u64)procsql_real_mount(w->vfsmnt);
	w->root_dentry = (__u64)BPF_CORE_READ(root, dentry);
	w->root_vfsmnt = (__u64)BPF_CORE_READ(root, mnt);
	w->pos = PROCSQL_PATH_MAX;
	w->done = 0;
	w->truncated = 0;
	w->pseudo = 0;
	w->taken = 0;
}

/* One step up the tree. Returns 1 when the walk is over (bpf_loop's "stop"). */
static __always_inline long procsql_walk_step(struct procsql_walk *w, char *buf)
{
	struct dentry *d = (struct dentry *)w->dentry;
	struct vfsmount *vfsmnt = (struct vfsmount *)w->vfsmnt;

	if (!d || (w->dentry == w->root_dentry && w->vfsmnt == w->root_vfsmnt)) {
		w->done = 1;
		return 1;
	}
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root) {
		struct mount *mnt = (struct mount *)w->mnt;
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		/* The top of a mount that is not attached anywhere (the global root or
		 * a detached tree): d_path stops here too. */
		if (mnt_parent == mnt) {
			w->done = 1;
			return 1;
		}
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)mnt_parent;
		w->vfsmnt = (__u64)mnt_parent + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}

	struct qstr name = BPF_CORE_READ(d, d_name);
	__u32 len = name.len;
	__u32 pos = w->pos;
	/* Keep pos >= 1 so that a whole path is at most PATH_MAX - 1 bytes, as in
	 * the kernel, and its length always fits the window mask below. */
	if (len == 0 || len > PROCSQL_NAME_MAX || len + 1 >= pos) {
		w->truncated = 1;
		return 1;
	}
	pos -= len + 1;
	bpf_probe_read_kernel(&buf[(pos + 1) & (PROCSQL_PATH_MAX - 1)], len & PROCSQL_NAME_MAX,
			      name.name);
	buf[pos & (PROCSQL_PATH_MAX - 1)] = '/';
	w->pos = pos;
	if (d == parent) {
		/* Its own parent without being a mount's root: a pseudo dentry, such as
		 * a memfd's. d_path names those through d_dname (simple_dname), as
		 * "/NAME (deleted)". */
		w->pseudo = 1;
		w->done = 1;
		return 1;
	}
	w->dentry = (__u64)parent;
	return 0;
}

/* Components the direct-load prologue below takes before the general walk
 * goes on: most executables and working directories have fewer. */
#define PROCSQL_WALK_FAST_COMPONENTS 8

/*
 * The walk's start by direct loads, for callers whose pointers the verifier
 * knows as BTF pointers (a tp_btf program's arguments and what is reached
 * from them). There a field load is one instruction, where each
 * BPF_CORE_READ is a helper call; the general step must use those because it
 * keeps its state in the map, as plain numbers. It takes the ordinary
 * components of the target's own mount and stops at anything else (a mount's
 * root, a pseudo dentry, a name that does not fit) without consuming it, so
 * the general step goes on from exactly there and the path is the same.
 */
static __always_inline void procsql_walk_fast(struct procsql_walk *w, char *buf,
					       const struct path *target, const struct path *root)
{
	struct dentry *d = target->dentry;
	struct vfsmount *vfsmnt = target->mnt;
	struct dentry *root_dentry = root->dentry;
	struct vfsmount *root_vfsmnt = root->mnt;
	struct dentry *mnt_root = vfsmnt->mnt_root;
	__u32 pos = PROCSQL_PATH_MAX;

	w->unlinked = d && !d->d_hash.pprev && d->d_parent != d;
	w->done = 0;
	w->truncated = 0;
	w->pseudo = 0;
	__u32 taken = 0;
	for (int i = 0; i < PROCSQL_WALK_FAST_COMPONENTS; i++) {
		if (!d || (d == root_dentry && vfsmnt == root_vfsmnt)) {
			w->done = 1;
			break;
		}
		struct dentry *parent = d->d_parent;
		if (d == mnt_root || d == parent)
			break;
		__u32 len = d->d_name.len;
		if (len == 0 || len > PROCSQL_NAME_MAX || len + 1 >= pos)
			break;
		pos -= len + 1;
		bpf_probe_read_kernel(&buf[(pos + 1) & (PROCSQL_PATH_MAX - 1)], len & PROCSQL_NAME_MAX,
				      d->d_name.name);
		buf[pos & (PROCSQL_PATH_MAX - 1)] = '/';
		d = parent;
		taken++;
	}
	w->taken = taken;
	w->pos = pos;
	w->dentry = (__u64)d;
	w->root_dentry = (__u64)root_dentry;
	w->root_vfsmnt = (__u64)root_vfsmnt;
	w->vfsmnt = (__u64)vfsmnt;
	/* Read back as a number: arithmetic on a BTF pointer is refused. */
	w->mnt = (__u64)procsql_real_mount(*(volatile __u64 *)&w->vfsmnt);
}

static long procsql_walk_loop_cb(__u32 index, void *ctx)
{
	__u32 zero = 0;
	struct procsql_path_buf *pb = bpf_map_lookup_elem(&procsql_path_scratch, &zero);
	if (!pb)
		return 1;
	return procsql_walk_step(&pb->w, pb->data);
}

static long procsql_iter_walk_loop_cb(__u32 index, void *ctx)
{
	__u32 zero = 0;
	struct procsql_path_buf *pb = bpf_map_lookup_elem(&procsql_iter_path_scratch, &zero);
	if (!pb)
		return 1;
	return procsql_walk_step(&pb->w, pb->data);
}

/*
 * Walks `target` up to `root`, leaving the path and the walk's outcome in the
 * per-CPU path buffer, which it returns (NULL if unavailable).
 * use_loop: bpf_loop (kernel >= 5.17), else a bounded loop with fewer
 * components. iter: the task iterator's scratch (a constant at each call).
 * btf: target and root are BTF pointers, so the walk starts with
 * procsql_walk_fast (a constant at each call).
 */
static __always_inline struct procsql_path_buf *
procsql_walk_path(const struct path *target, const struct path *root, bool use_loop, bool iter,
		  bool btf)
{
	__u32 zero = 0;
	struct procsql_path_buf *pb = bpf_map_lookup_elem(iter ? (void *)&procsql_iter_path_scratch
							       : (void *)&procsql_path_scratch, &zero);
	if (!pb)
		return NULL;
	struct procsql_walk *w = &pb->w;
	if (btf)
		procsql_walk_fast(w, pb->data, target, root);
	else
		procsql_walk_init(w, target, root);
	if (w->done) {
		/* the fast start reached the root */
	} else if (use_loop) {
		__u32 left = PROCSQL_WALK_LOOP_COMPONENTS -
			     (*(volatile __u32 *)&w->taken & (PROCSQL_WALK_FAST_COMPONENTS * 2 - 1));
		if (iter)
			bpf_loop(left, procsql_iter_walk_loop_cb, NULL, 0);
		else
			bpf_loop(left, procsql_walk_loop_cb, NULL, 0);
	} else {
		/* Read back from the map, an unknown number to the verifier: a
		 * constant per way out of the fast start would multiply the
		 * states it explores by as many. */
		__u32 taken = *(volatile __u32 *)&w->taken;
		for (int i = 0; i < PROCSQL_WALK_BOUNDED_COMPONENTS; i++) {
			if (i + taken >= PROCSQL_WALK_BOUNDED_COMPONENTS || procsql_walk_step(w, pb->data))
				break;
		}
	}
	if (!w->done)
		w->truncated = 1;
	if (w->pos == PROCSQL_PATH_MAX) {
		/* Nothing above the root: the path is "/". */
		pb->data[PROCSQL_PATH_MAX - 1] = '/';
		w->pos = PROCSQL_PATH_MAX - 1;
	}
	return pb;
}

#endif /* PROCSQL_PATH_WALK_BPF_H */
