// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * procsql's BPF object: one ring buffer and one set of counters shared by
 * every program, so user space consumes a single stream in order. The
 * programs themselves are in exec.bpf.h (process_events) and lifecycle.bpf.h
 * (clone_events, process_exits).
 *
 * Programs that walk paths come in two variants, NAME (bpf_loop, kernel
 * >= 5.17) and NAME_nl (a bounded loop); user space loads one of each pair.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "event_abi.h"
#include "path_walk.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);
} procsql_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROCSQL_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} procsql_counters SEC(".maps");

static __always_inline void procsql_count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&procsql_counters, &which);
	if (c)
		*c += 1;
}

#include "exec.bpf.h"
#include "lifecycle.bpf.h"
