// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * procsql's BPF object: one ring buffer and one set of counters shared by
 * every program, so user space consumes a single stream in order. The
 * programs themselves are in exec.bpf.h (process_events), exec_failure.bpf.h
 * (exec_failures), lifecycle.bpf.h (clone_events, process_exits) and
 * cgroup.bpf.h (container_map) and syscalls.bpf.h (syscall_usage).
 *
 * exe_memo.bpf.h keeps each process's executable for its exit on kernels that
 * tear the mm down before the exit tracepoint.
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

/* Wake the consumer only when this many bytes wait (user space sets a
 * quarter of the ring). Each wakeup is an irq_work, which in a VM costs tens
 * of microseconds, far more than the record itself (measured: an exec record
 * 39 us with a wakeup each time, 5.6 us without). The consumer also drains on
 * a timer while records come, and every query drains first, so nothing waits
 * for the threshold. */
const volatile __u64 wakeup_bytes = 4 * 1024 * 1024;

/* Set by the consumer when a whole poll period brought nothing and it goes to
 * sleep for long (an idle host then costs no timer wakeups): the next record
 * wakes it at once and clears this. */
volatile __u32 consumer_idle;

/* Sends a record; a record the ring cannot take is counted in `full_counter`. */
static __always_inline void procsql_output(void *data, __u64 size, __u32 full_counter)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (consumer_idle) {
		consumer_idle = 0;
		flags = BPF_RB_FORCE_WAKEUP;
	} else if (bpf_ringbuf_query(&procsql_events, BPF_RB_AVAIL_DATA) >= wakeup_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
	}
	if (bpf_ringbuf_output(&procsql_events, data, size, flags) != 0)
		procsql_count(full_counter);
}

#include "exe_memo.bpf.h"
#include "exec.bpf.h"
#include "exec_failure.bpf.h"
#include "lifecycle.bpf.h"
#include "cgroup.bpf.h"
#include "processes.bpf.h"
#include "syscalls.bpf.h"
