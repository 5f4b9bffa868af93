// The eBPF source: loads and attaches the programs of bpf/, consumes their
// ring buffer on a thread of its own and appends decoded rows to the stores.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "clock.h"
#include "config.h"
#include "exec_event.h"
#include "lifecycle_event.h"
#include "process_snapshot.h"
#include "sources/bpf/bpf_ring_reader.h"
#include "sources/bpf/syscall_recorder.h"
#include "sources/source.h"

struct procsql_bpf;
struct bpf_link;

namespace procsql {

struct BpfSourceStats {
	KindStats exec, clone, exit, failure;
	uint64_t call_marks_lost = 0; // syscall entries whose mark could not be stored
	uint64_t unknown_records = 0; // records of no known kind
	uint64_t cgroup_records = 0;  // cgroup mkdir/rmdir seen
	uint64_t cgroup_decode_errors = 0;
	uint64_t cgroup_lost = 0; // cgroup records dropped in the kernel
	uint64_t exe_memos_lost = 0; // executables not remembered: those exits have path NULL
	uint64_t process_records_lost = 0; // processes rows the task iterator could not write
	uint64_t cgroup_paths_cut = 0;     // cgroup paths the kernel gave cut (flagged)
	uint64_t exit_claims_full = 0;     // exits reported without a claim (could repeat)
	uint64_t syscall_usage_full = 0;   // syscall counts not kept: the usage map was full
	uint64_t syscall_watch_full = 0;   // new cgroups not watched: the watch map was full
};

class BpfSource : public Source {
public:
	// Loads, attaches and starts consuming. On failure returns nullptr and a
	// one-line reason (e.g. not root, no BTF, verifier refusal).
	static std::unique_ptr<BpfSource> start(const Config& config, const BootClock& clock, Stores stores,
	                                        std::string* error);
	~BpfSource() override;
	BpfSource(const BpfSource&) = delete;
	BpfSource& operator=(const BpfSource&) = delete;

	const char* backend() const override { return "bpf"; }
	// Moves everything the kernel has already delivered into the store, so a
	// query sees every exec that finished before it began. Thread-safe.
	void drain() override;
	// A drain never waits for the kernel (it takes what the ring holds when
	// it begins), so this bounds only its own work.
	int drain_bound_ms() const override { return 100; }

	BpfSourceStats stats() const;
	SourceStats counters() const override;
	// The kernel features chosen at load, bpf.* counters and settings.
	void append_stats(std::vector<StatRow>* rows, bool read_counters) const override;

	// The live processes as the kernel's task iterator reports them now
	// (without argv: see process_snapshot.h). Thread-safe.
	bool read_processes(std::vector<LiveProcess>* out, std::string* error) override;
	bool select_syscalls(const SyscallSelection& s, std::string* error) override;
	bool read_syscall_usage(std::vector<SyscallUsageRow>* out, std::string* error) override;
	bool uses_bpf_loop() const { return use_loop_; }
	// sys_enter_execveat is watched: `syscall` is exact, not only for fd-relative execs.
	bool execveat_hooked() const { return execveat_hooked_; }
	// The clone/clone3/fork/vfork/unshare/setns tracepoints are attached.
	bool calls_hooked() const { return calls_hooked_; }
	// The execve/execveat entry and exit tracepoints are attached: exec_failures fills.
	bool exec_failures_hooked() const { return failures_hooked_; }
	// Where process_exits.path comes from on this kernel, for procsql_stats.
	std::string exit_path_text() const;

	// In a child forked from the process that started this source: closes
	// this process's copies of its descriptors and mappings without touching
	// the kernel objects the parent still uses (no detach, no unmount), so
	// the child never consumes the parent's ring buffer. The consumer thread
	// did not come with the fork; the object must then be leaked, never
	// destroyed (its std::thread would terminate the process).
	void abandon_after_fork() override;
	// Held across fork() (pthread_atfork, collector.cpp) so that no record is
	// half-stored in the child's copy of the stores.
	std::mutex* fork_mutex() override { return &consume_mutex_; }

private:
	BpfSource(const Config& config, const BootClock& clock, Stores stores)
	    : clock_(clock), stores_(stores), ringbuf_bytes_(config.ringbuf_bytes) {}
	bool open_and_attach(const Config& config, std::string* error);
	bool attach_all(std::string* error);
	bool size_syscall_maps(const Config& config);
	// mm_at_exit: the exit tracepoint still sees the process's memory (6.16+);
	// task_storage: the kernel has task storage with its recursion guard.
	void choose_exit_path(const Config& config, bool mm_at_exit, bool task_storage);
	void seed_exe_memos();
	// One pass of the task iterator: its records (processes.bpf.h).
	bool run_task_iterator(std::string* records, std::string* error) const;
	void run();
	// drain(), and the records it took.
	size_t drain_counted();
	// Tells the BPF programs whether the consumer sleeps for long.
	void set_consumer_idle(bool idle);
	static void on_record(void* ctx, const void* data, size_t size);
	void ingest(const void* data, size_t size);
	void ingest_exec(const void* data, size_t size);
	void ingest_clone(const void* data, size_t size);
	void ingest_exit(const void* data, size_t size);
	void ingest_exec_failure(const void* data, size_t size);
	void ingest_cgroup(const void* data, size_t size);

	const BootClock& clock_;
	Stores stores_;
	uint64_t ringbuf_bytes_; // as configured, for procsql_stats
	procsql_bpf* skel_ = nullptr;
	std::vector<bpf_link*> links_;
	bpf_link* tasks_iter_ = nullptr; // one of links_: the processes iterator
	BpfRingReader ring_;
	int stop_fd_ = -1;
	int epoll_fd_ = -1;
	bool use_loop_ = false;
	bool execveat_hooked_ = false;
	bool calls_hooked_ = false;
	bool failures_hooked_ = false;
	bool mounted_tracefs_ = false; // this collector mounted tracefs: it unmounts it
	enum class ExitPath { read_at_exit, task_storage, hash };
	ExitPath exit_path_ = ExitPath::read_at_exit;
	std::unique_ptr<SyscallRecorder> recorder_; // syscall_usage
	std::thread thread_;
	std::string load_log_; // libbpf's warnings while loading and attaching
	// One consumer at a time: the ring has one consumer position,
	// and the store has a single writer. Held only while consuming.
	std::mutex consume_mutex_;

	// Counted by the consumer, read by stats(): one set per table.
	struct Counters {
		std::atomic<uint64_t> received{0};
		std::atomic<uint64_t> decode_errors{0};
		std::atomic<uint64_t> paths_truncated{0};
		std::atomic<uint64_t> argv_truncated{0};
	};
	Counters exec_counts_, clone_counts_, exit_counts_, failure_counts_;
	std::atomic<uint64_t> unknown_records_{0};
	std::atomic<uint64_t> cgroup_records_{0};
	std::atomic<uint64_t> cgroup_decode_errors_{0};
	std::atomic<uint64_t> env_truncated_{0};     // rows with env_truncated = 1
	std::atomic<uint64_t> env_unreadable_{0};    // rows with env NULL though PROCSQL_ENV names variables
	std::atomic<uint64_t> exe_layer_unknown_{0}; // rows with exe_upper_layer NULL
};

} // namespace procsql
