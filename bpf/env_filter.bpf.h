/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * process_events.env: the variables named in PROCSQL_ENV, picked out of the
 * new image's environment in the kernel, so that no other variable's bytes
 * (environments carry secrets) ever reach the ring buffer.
 *
 * Why it is cheap: at sched_process_exec the kernel has just laid out the new
 * stack (create_elf_tables): the strings lie back to back in
 * mm->env_start..env_end and the pointer array envp[] sits above argc and
 * argv[] at mm->start_stack. Two reads bring both into a per-CPU buffer; each
 * variable's bounds are then two neighbouring pointers, so no byte is scanned
 * for its end. A variable is compared with the names only when a one-word
 * filter (its first four bytes, hashed into a 256-bit set made by user space)
 * says it may be one of them, and the exact comparison is eight masked 8-byte
 * words. A typical environment costs a few instructions per variable.
 *
 * Included by exec.bpf.h.
 */
#ifndef PROCSQL_ENV_FILTER_BPF_H
#define PROCSQL_ENV_FILTER_BPF_H

/* Set by user space before load (PROCSQL_ENV_BYTES, PROCSQL_ENV). */
const volatile __u32 env_max = 32768;  /* bytes of environment looked at */
const volatile __u32 env_mask = 32767; /* the power of two >= env_max, minus one */
const volatile __u32 env_name_count = 0;
/* A name shorter than three bytes: its first four bytes include value bytes,
 * so the filter cannot hold it and every variable is compared. */
const volatile __u32 env_filter_off = 0;
/* The filter: for each hash of a variable's first four bytes, 0 when no
 * name hashes there, 1 + the name's index when one does, 255 when several. */
const volatile __u8 env_bucket[256];
/* Each name followed by '=', as eight little-endian words, with the masks of
 * the bytes that count, and how many words count. */
const volatile __u64 env_words[PROCSQL_ENV_NAMES_MAX][8];
const volatile __u64 env_wmasks[PROCSQL_ENV_NAMES_MAX][8];
const volatile __u8 env_nwords[PROCSQL_ENV_NAMES_MAX];

#define PROCSQL_ENV_HASH_MUL 2654435761u


/* One buffer per CPU, like the exec scratch (a plain array: per-CPU values are
 * limited to 32 KiB). User space sets value_size to the state plus
 * 4 * (env_mask + 1): `out` (the matches) and `area` (the strings read), each
 * twice the mask so that an offset and a length, each proved below the mask,
 * stay inside. */
struct procsql_env_scratch {
	struct procsql_env_state st;
	char data[4 * PROCSQL_ENV_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct procsql_env_scratch));
} procsql_env_scratch SEC(".maps");

/* The strings read sit right after the state and the pointers, so that a
 * typical environment shares their pages (each page this buffer touches
 * costs a TLB miss per exec: a VM pays dearly for those); the matches go
 * after the strings, on a page touched only when a variable matches. */
static __always_inline char *procsql_env_area(struct procsql_env_scratch *s)
{
	return s->data;
}

static __always_inline char *procsql_env_out(struct procsql_env_scratch *s)
{
	return &s->data[2 * (env_mask + 1)];
}

/* Whether the variable at `v` is "NAME=..." for name j. */
static __always_inline bool procsql_env_is(const char *v, __u32 j)
{
	const __u64 *w = (const __u64 *)v;
	j &= PROCSQL_ENV_NAMES_MAX - 1;
	__u32 n = env_nwords[j];
	__u64 diff = 0;
#pragma unroll
	for (int k = 0; k < 8; k++) {
		if (k >= n)
			break;
		diff |= (w[k] ^ env_words[j][k]) & env_wmasks[j][k];
	}
	return diff == 0;
}

/* Whether the variable at `v` is "NAME=..." for one of the names, given its
 * filter bucket (see env_bucket). */
static __always_inline bool procsql_env_named(const char *v, __u8 bucket)
{
	if (bucket != 255)
		return procsql_env_is(v, bucket - 1);
	for (__u32 j = 0; j < PROCSQL_ENV_NAMES_MAX; j++) {
		if (j >= env_name_count)
			break;
		if (procsql_env_is(v, j))
			return true;
	}
	return false;
}

/* Variables looked at per call of the step: fewer calls, each a
 * BPF-to-BPF call with its register saves. */
#define PROCSQL_ENV_PER_STEP 4

/* Keeps variable i, "NAME=value\0" from `off` in the area, if it is named
 * (`bucket` said it may be). Returns 1 when nothing more can be kept. */
static __always_inline long procsql_env_keep(struct procsql_env_scratch *s, __u32 i, __u64 off,
					     __u8 bucket)
{
	struct procsql_env_state *st = &s->st;
	char *v = &procsql_env_area(s)[off & env_mask];
	if (!procsql_env_named(v, bucket))
		return 0;
	/* Its end is where the next one starts (or the environment's end). */
	__u64 next = i + 1 < st->nptrs ? st->ptrs[(i + 1) & PROCSQL_ENV_VARS_LOOP]
				       : st->env_start + st->env_total;
	__u64 end = next - st->env_start;
	if (next <= st->env_start + off)
		return 1; /* not the kernel's layout: stop rather than guess */
	if (end > st->env_len) {
		st->truncated = 1; /* beyond the bytes looked at */
		return 1;
	}
	__u32 n = end - off; /* with its NUL */
	__u32 at = st->out_len;
	if (n > env_mask || at + n > env_max) {
		st->truncated = 1; /* the matches outgrew the bound: the rest are not kept */
		return 1;
	}
	bpf_probe_read_kernel(&procsql_env_out(s)[at & env_mask], n & env_mask, v);
	st->out_len = at + n;
	return 0;
}

/* Looks at variables i .. i + PROCSQL_ENV_PER_STEP - 1. Returns 1 when there
 * is nothing more to look at (bpf_loop's "stop"). The common case, a
 * variable whose first word no name has, costs a pointer, a word and a bucket. */
static __always_inline long procsql_env_step(struct procsql_env_scratch *s, __u32 i)
{
	struct procsql_env_state *st = &s->st;
	__u64 env_start = st->env_start;
	__u32 nvars = st->nvars;
	__u32 env_len = st->env_len;
#pragma unroll
	for (int k = 0; k < PROCSQL_ENV_PER_STEP; k++, i++) {
		if (i >= nvars || i >= PROCSQL_ENV_VARS_LOOP)
			return 1;
		/* (The mask changes nothing after the test above, but the compiler
		 * may test one copy of i and index with another; the barrier keeps
		 * it from dropping the mask as redundant.) */
		__u32 at = i;
		barrier_var(at);
		__u64 off = st->ptrs[at & PROCSQL_ENV_VARS_LOOP] - env_start;
		if (off >= env_len) {
			/* Past the bytes read (or not the kernel's layout, below the
			 * start): the rest is not looked at. */
			if (off < st->env_total)
				st->truncated = 1;
			return 1;
		}
		__u32 key = *(__u32 *)&procsql_env_area(s)[off & env_mask];
		__u8 bucket = env_filter_off ? 255 : env_bucket[((key * PROCSQL_ENV_HASH_MUL) >> 24) & 255];
		if (bucket && procsql_env_keep(s, i, off, bucket))
			return 1;
	}
	return 0;
}

/* The bounded loop's step, as a global function: the verifier checks a
 * global function once, on its own, rather than once per iteration inlined
 * (which made the loop too large to verify). Kernels without bpf_loop have
 * global functions (5.6+), which may take only scalars: the CPU, not the
 * buffer. Returns 1 to stop. */
__noinline int procsql_env_step_on(__u32 cpu, __u32 i)
{
	struct procsql_env_scratch *s = bpf_map_lookup_elem(&procsql_env_scratch, &cpu);
	if (!s)
		return 1;
	return procsql_env_step(s, i);
}

/* bpf_loop's context: the buffer, found once by the caller. */
struct procsql_env_loop_ctx {
	struct procsql_env_scratch *s;
};

static long procsql_env_loop_cb(__u32 index, void *ctx)
{
	struct procsql_env_scratch *s = ((struct procsql_env_loop_ctx *)ctx)->s;
	if (!s)
		return 1;
	return procsql_env_step(s, index * PROCSQL_ENV_PER_STEP);
}

/*
 * Picks the named variables out of the new image's environment. Returns the
 * scratch whose procsql_env_out() holds them in [0, st.out_len)
 * ("NAME=value\0" each), or NULL
 * when nothing was read; sets the exec flags.
 */
static __always_inline struct procsql_env_scratch *
procsql_env_capture(struct mm_struct *mm, struct linux_binprm *bprm, __u32 cpu, __u32 *flags,
		    __u32 *envc_out, bool use_loop)
{
	/* Direct loads (BTF pointers of a tp_btf program), not probe reads: the
	 * exec path pays for every helper call. */
	__u32 envc = bprm->envc;
	*envc_out = envc;
	if (!env_name_count) {
		*flags |= PROCSQL_EXEC_ENV_OFF;
		return NULL;
	}
	struct procsql_env_scratch *s = bpf_map_lookup_elem(&procsql_env_scratch, &cpu);
	if (!s) {
		*flags |= PROCSQL_EXEC_ENV_UNREADABLE;
		return NULL;
	}
	struct procsql_env_state *st = &s->st;
	__u64 env_start = mm->env_start;
	__u64 env_end = mm->env_end;
	__u64 start_stack = mm->start_stack;
	__u32 argc = bprm->argc;
	st->env_start = env_start;
	st->env_total = env_end > env_start ? env_end - env_start : 0;
	st->out_len = 0;
	st->truncated = 0;
	st->nvars = 0;
	st->nptrs = 0;
	st->env_len = 0;
	if (envc == 0)
		return s;

	__u64 len = st->env_total;
	if (len > env_max) {
		len = env_max;
		st->truncated = 1;
	}
	__u32 most = use_loop ? PROCSQL_ENV_VARS_LOOP : PROCSQL_ENV_VARS_BOUNDED;
	__u32 nvars = envc;
	if (nvars > most) {
		nvars = most;
		st->truncated = 1;
	}
	/* The stack holds argc, argv[argc], NULL, then envp[]: one word each. The
	 * pointer after the last one read is wanted too (the end of the last
	 * variable read), unless it is the terminating NULL. */
	__u64 envp = start_stack + 8 * ((__u64)argc + 2);
	__u32 nread = nvars < envc ? nvars + 1 : nvars;
	/* (The masks change nothing, len <= env_max <= env_mask + 1, a power of
	 * two, and nread <= PROCSQL_ENV_VARS_LOOP + 1, but the compiler may test
	 * one copy and pass another, which 5.10's verifier does not know
	 * bounded: these bound the ones used.) */
	if (len == 0 || nread > PROCSQL_ENV_VARS_LOOP + 1 ||
	    bpf_probe_read_user(procsql_env_area(s), len & (2 * env_mask + 1), (const void *)env_start) != 0 ||
	    bpf_probe_read_user(st->ptrs, (nread & 2047) * 8, (const void *)envp) != 0 ||
	    st->ptrs[0] != env_start) {
		*flags |= PROCSQL_EXEC_ENV_UNREADABLE;
		return NULL;
	}
	st->env_len = len;
	st->nvars = nvars;
	st->nptrs = nread;
	if (use_loop) {
		struct procsql_env_loop_ctx lc = {.s = s};
		bpf_loop(nvars / PROCSQL_ENV_PER_STEP + 1, procsql_env_loop_cb, &lc, 0);
	} else {
		for (int k = 0; k < PROCSQL_ENV_VARS_BOUNDED / PROCSQL_ENV_PER_STEP; k++) {
			if (procsql_env_step_on(cpu, k * PROCSQL_ENV_PER_STEP))
				break;
		}
	}
	if (st->truncated)
		*flags |= PROCSQL_EXEC_ENV_TRUNCATED;
	return s;
}

#endif /* PROCSQL_ENV_FILTER_BPF_H */
