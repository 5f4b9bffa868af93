#include "sources/bpf/bpf_source.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstring>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <unistd.h>
#include <vector>

#include "containers/container_map.h"
#include "event_abi.h"
#include "fd_read.h"
#include "procsql.skel.h"
#include "sources/bpf/bpf_load_error.h"
#include "sources/bpf/env_filter_setup.h"
#include "sources/bpf/exec_decoder.h"
#include "sources/bpf/exec_failure_decoder.h"
#include "sources/bpf/kernel_features.h"
#include "sources/bpf/lifecycle_decoder.h"
#include "sources/bpf/process_records.h"

namespace procsql {

namespace {

// libbpf's messages go through one process-wide callback. While we load, keep
// every warning (a refusal is explained by the verifier's log, one message of
// many kilobytes) and echo everything under PROCSQL_DEBUG=1; the host's own
// callback is restored afterwards.
thread_local std::string* t_libbpf_log = nullptr;
thread_local bool t_libbpf_debug = false;
constexpr size_t kLibbpfLogMax = 4u << 20; // a verifier log's tail is what matters

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
	va_list copy;
	va_copy(copy, args);
	const int need = vsnprintf(nullptr, 0, fmt, copy);
	va_end(copy);
	if (need <= 0) {
		return 0;
	}
	std::string line(size_t(need) + 1, '\0');
	vsnprintf(&line[0], line.size(), fmt, args);
	line.resize(size_t(need));
	if (t_libbpf_debug) {
		fputs("procsql: libbpf: ", stderr);
		fputs(line.c_str(), stderr);
	}
	if (t_libbpf_log && level <= LIBBPF_WARN) {
		if (!line.empty() && line.back() != '\n') {
			line += '\n';
		}
		*t_libbpf_log += line;
		if (t_libbpf_log->size() > kLibbpfLogMax) {
			t_libbpf_log->erase(0, t_libbpf_log->size() - kLibbpfLogMax);
		}
	}
	return 0;
}

class LibbpfLogScope {
public:
	LibbpfLogScope(std::string* log, bool debug) {
		t_libbpf_log = log;
		t_libbpf_debug = debug;
		previous_ = libbpf_set_print(libbpf_log);
	}
	~LibbpfLogScope() {
		libbpf_set_print(previous_);
		t_libbpf_log = nullptr;
	}

private:
	libbpf_print_fn_t previous_;
};

// The running kernel's BTF, parsed once for every question asked of it at
// start (each parse of /sys/kernel/btf/vmlinux costs about 13 ms here).
class VmlinuxBtf {
public:
	VmlinuxBtf() : btf_(btf__load_vmlinux_btf()) {}
	~VmlinuxBtf() { btf__free(btf_); }
	VmlinuxBtf(const VmlinuxBtf&) = delete;
	VmlinuxBtf& operator=(const VmlinuxBtf&) = delete;

	// Does it know this helper (CO-RE's view of the same question, asked
	// from user space before choosing a program variant)?
	bool has_helper(const char* enum_value) const {
		const int id = btf_ ? btf__find_by_name_kind(btf_, "bpf_func_id", BTF_KIND_ENUM) : -1;
		if (id <= 0) {
			return false;
		}
		const btf_type* t = btf__type_by_id(btf_, id);
		// `struct`: in C++ the libbpf accessor btf_enum() hides the type's name.
		const struct btf_enum* e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++) {
			if (std::strcmp(btf__name_by_offset(btf_, e[i].name_off), enum_value) == 0) {
				return true;
			}
		}
		return false;
	}

	// The number of arguments of a raw tracepoint, from its typedef
	// btf_trace_NAME (a pointer to a prototype whose first argument is the
	// context); -1 when it is not there.
	int tracepoint_arity(const char* name) const {
		const int id =
		    btf_ ? btf__find_by_name_kind(btf_, (std::string("btf_trace_") + name).c_str(), BTF_KIND_TYPEDEF) : -1;
		if (id <= 0) {
			return -1;
		}
		const btf_type* t = btf__type_by_id(btf_, btf__type_by_id(btf_, id)->type); // the pointer
		if (!t || !btf_is_ptr(t)) {
			return -1;
		}
		t = btf__type_by_id(btf_, t->type);
		return t && btf_is_func_proto(t) ? btf_vlen(t) - 1 : -1;
	}

	// Does it describe this variable (per-CPU variables are there)?
	bool has_variable(const char* name) const {
		return btf_ && btf__find_by_name_kind(btf_, name, BTF_KIND_VAR) > 0;
	}

private:
	btf* btf_;
};

constexpr char kTracefs[] = "/sys/kernel/tracing";

// Classic tracepoints are attached by an id read from tracefs, which a
// minimal system may not have mounted at boot. Mount it where the kernel
// expects it when it is not there (only ever tried as root); true when this
// call mounted it, so that the collector unmounts it when it stops.
bool ensure_tracefs() {
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0) {
		return false;
	}
	return mount("nodev", kTracefs, "tracefs", 0, nullptr) == 0;
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

// Names the cause of a failed load or attach (bpf_load_error.h).
std::string refusal(int err, const std::string& stage, const std::string& libbpf_log) {
	BpfLoadFacts facts;
	facts.err = err;
	facts.has_capabilities = process_has_bpf_capabilities();
	facts.lockdown = kernel_lockdown_mode();
	facts.libbpf_log = libbpf_log;
	facts.stage = stage;
	return classify_bpf_load_error(facts).message;
}

} // namespace

// syscall_usage's maps are preallocated: full size only where recording can
// happen (PROCSQL_SYSCALLS set, or procsqld, which `procsql record` may ask).
bool BpfSource::size_syscall_maps(const Config& config) {
	const bool may_record = !config.syscalls.empty() || config.syscall_control;
	return bpf_map__set_max_entries(skel_->maps.procsql_sc_filter, may_record ? PROCSQL_SC_FILTER_SLOTS : 1) == 0 &&
	       bpf_map__set_max_entries(skel_->maps.procsql_sc_watch, may_record ? PROCSQL_SC_WATCH_MAX : 1) == 0 &&
	       bpf_map__set_max_entries(skel_->maps.procsql_sc_usage, may_record ? PROCSQL_SC_USAGE_MAX : 1) == 0;
}

std::unique_ptr<BpfSource> BpfSource::start(const Config& config, const BootClock& clock, Stores stores,
                                            std::string* error) {
	std::unique_ptr<BpfSource> self(new BpfSource(config, clock, stores));
	if (!self->open_and_attach(config, error)) {
		return nullptr;
	}
	// The consumer thread must not take the host's signals (the sqlite3 shell's
	// SIGINT handler, say): block them all while it is created.
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	try {
		self->thread_ = std::thread([s = self.get()] { s->run(); });
	} catch (const std::system_error& e) {
		pthread_sigmask(SIG_SETMASK, &old, nullptr);
		*error = std::string("cannot start the collector thread: ") + e.what();
		return nullptr;
	}
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
	return self;
}

bool BpfSource::open_and_attach(const Config& config, std::string* error) {
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		*error = "this kernel has no BTF (/sys/kernel/btf/vmlinux): the eBPF collector needs a kernel "
		         "built with CONFIG_DEBUG_INFO_BTF, 5.8 or later";
		return false;
	}
	load_log_.clear();
	LibbpfLogScope log_scope(&load_log_, config.debug);
	auto with_detail = [this](std::string msg) {
		const std::string last = last_libbpf_message(load_log_);
		return last.empty() ? msg : msg + " (libbpf: " + last + ")";
	};

	skel_ = procsql_bpf__open();
	if (!skel_) {
		*error = with_detail("cannot open the eBPF exec program: " + errno_text(errno));
		return false;
	}
	skel_->rodata->argv_max = config.argv_bytes;
	const EnvFilterTables env = make_env_filter(config.env_names, config.env_bytes);
	skel_->rodata->env_max = config.env_bytes;
	skel_->rodata->env_mask = env.env_mask;
	skel_->rodata->env_name_count = env.name_count;
	skel_->rodata->env_filter_off = env.filter_off ? 1 : 0;
	static_assert(sizeof(skel_->rodata->env_bucket) == sizeof(env.bucket), "");
	static_assert(sizeof(skel_->rodata->env_nwords) == sizeof(env.nwords), "");
	static_assert(sizeof(skel_->rodata->env_words) == sizeof(env.words), "");
	static_assert(sizeof(skel_->rodata->env_wmasks) == sizeof(env.masks), "");
	std::memcpy((void*)skel_->rodata->env_bucket, env.bucket, sizeof(env.bucket));
	std::memcpy((void*)skel_->rodata->env_nwords, env.nwords, sizeof(env.nwords));
	std::memcpy((void*)skel_->rodata->env_words, env.words, sizeof(env.words));
	std::memcpy((void*)skel_->rodata->env_wmasks, env.masks, sizeof(env.masks));
	skel_->rodata->trace_threads = config.threads;
	skel_->rodata->wakeup_bytes = config.ringbuf_bytes / 4;

	const int ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		*error = "cannot count the possible CPUs: " + errno_text(ncpus);
		return false;
	}
	// One buffer per CPU builds exec and failed-exec records (exec_failure.bpf.h).
	// The env copy's offset and length are each proved below env_mask + 1, so
	// the exec record and the environment buffer leave twice that room
	// (env_filter.bpf.h).
	const uint64_t env_room = 2 * (uint64_t(env.env_mask) + 1);
	const uint32_t record_max =
	    uint32_t((PROCSQL_EXEC_SCRATCH_BYTES(config.argv_bytes, env_room) + 7) & ~size_t(7));
	const uint32_t env_scratch = uint32_t(sizeof(procsql_env_state) + 2 * env_room);
	if (bpf_map__set_max_entries(skel_->maps.procsql_exec_scratch, uint32_t(ncpus)) != 0 ||
	    bpf_map__set_value_size(skel_->maps.procsql_exec_scratch, record_max) != 0 ||
	    bpf_map__set_max_entries(skel_->maps.procsql_env_scratch, uint32_t(ncpus)) != 0 ||
	    bpf_map__set_value_size(skel_->maps.procsql_env_scratch, env_scratch) != 0 ||
	    bpf_map__set_max_entries(skel_->maps.procsql_events, uint32_t(config.ringbuf_bytes)) != 0 ||
	    !size_syscall_maps(config)) {
		*error = with_detail("cannot size the eBPF maps: " + errno_text(errno));
		return false;
	}

	// bpf_loop (5.17+) lets the path walk take every component of any path;
	// older kernels get the bounded variant (paths deeper than
	// PROCSQL_WALK_BOUNDED_COMPONENTS are flagged truncated).
	const VmlinuxBtf vmlinux;
	use_loop_ = !config.bpf_no_loop && vmlinux.has_helper("BPF_FUNC_loop");
	// 6.16 moved sched_process_exit before exit_mm() and gave it group_dead
	// in the same change: one argument more means the exit program can still
	// read the process's executable itself. Tracing programs could use task
	// storage from 5.11, but a program that re-entered it could deadlock until
	// 5.13 added a per-CPU guard: take task storage only where that guard is.
	choose_exit_path(config, vmlinux.tracepoint_arity("sched_process_exit") >= 2,
	                 libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr) == 1 &&
	                     vmlinux.has_helper("BPF_FUNC_task_storage_get") &&
	                     vmlinux.has_variable("bpf_task_storage_busy"));
	// Programs that walk paths come as NAME and NAME_nl: load one of each pair.
	bpf_program* prog;
	bpf_object__for_each_program(prog, skel_->obj) {
		const std::string name = bpf_program__name(prog);
		if (name.size() > 3 && name.compare(name.size() - 3, 3, "_nl") == 0) {
			bpf_program__set_autoload(prog, !use_loop_);
		} else if (bpf_object__find_program_by_name(skel_->obj, (name + "_nl").c_str())) {
			bpf_program__set_autoload(prog, use_loop_);
		}
	}

	if (procsql_bpf__load(skel_) != 0) {
		*error = refusal(errno, "load", load_log_);
		return false;
	}
	if (!attach_all(error)) {
		return false;
	}
	// Attached only while something is recorded (select_syscalls).
	recorder_ = std::make_unique<SyscallRecorder>(
	    SyscallRecorder::Programs{skel_->progs.procsql_sc_enter, skel_->progs.procsql_sc_mkdir,
	                              skel_->progs.procsql_sc_exec, skel_->maps.procsql_sc_filter,
	                              skel_->maps.procsql_sc_watch, skel_->maps.procsql_sc_usage},
	    *stores_.containers, clock_, int64_t(config.container_grace_s) * 1000000000);
	seed_exe_memos();
	const int ring_fd = bpf_map__fd(skel_->maps.procsql_events);
	if (!ring_.open(ring_fd, bpf_map__max_entries(skel_->maps.procsql_events), error)) {
		return false;
	}
	// CLOEXEC everywhere: a child the host forks and execs must not keep our
	// programs attached after we release them.
	stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
	if (stop_fd_ < 0 || epoll_fd_ < 0) {
		*error = "cannot create the collector's wake-up descriptors: " + errno_text(errno);
		return false;
	}
	epoll_event ev{};
	ev.events = EPOLLIN;
	ev.data.fd = stop_fd_;
	epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
	ev.data.fd = ring_fd; // readable when the kernel wakes consumers
	if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ev.data.fd, &ev) != 0) {
		*error = "cannot watch the eBPF ring buffer: " + errno_text(errno);
		return false;
	}
	std::string().swap(load_log_); // a verifier log can be megabytes
	return true;
}

void BpfSource::choose_exit_path(const Config& config, bool mm_at_exit, bool task_storage) {
	switch (config.exe_memo) {
	case ExeMemoChoice::automatic:
		exit_path_ = mm_at_exit ? ExitPath::read_at_exit
		                        : task_storage ? ExitPath::task_storage : ExitPath::hash;
		break;
	case ExeMemoChoice::task_storage: exit_path_ = ExitPath::task_storage; break;
	case ExeMemoChoice::hash: exit_path_ = ExitPath::hash; break;
	}
	skel_->rodata->remember_exe = exit_path_ != ExitPath::read_at_exit;
	// With group_dead (same kernels) the kernel names the last thread of a
	// group; without it exits are claimed in a map whose entries
	// sched_process_free deletes. A forced memo emulates the older kernels
	// in this too.
	const bool group_dead = exit_path_ == ExitPath::read_at_exit;
	skel_->rodata->exit_has_group_dead = group_dead;
	bpf_map__set_autocreate(skel_->maps.procsql_exited_groups, !group_dead);
	bpf_program__set_autoload(skel_->progs.procsql_group_freed, !group_dead);
	skel_->rodata->memo_in_task_storage = exit_path_ == ExitPath::task_storage;
	// Only the memo map in use is created; the programs' references to the
	// others are in branches the verifier prunes.
	bpf_map__set_autocreate(skel_->maps.procsql_exe_by_task, exit_path_ == ExitPath::task_storage);
	bpf_map__set_autocreate(skel_->maps.procsql_exe_by_tgid, exit_path_ == ExitPath::hash);
	bpf_map__set_autocreate(skel_->maps.procsql_exe_memo_scratch, exit_path_ == ExitPath::hash);
	bpf_map__set_autocreate(skel_->maps.procsql_iter_memo_scratch, exit_path_ == ExitPath::hash);
}

std::string BpfSource::exit_path_text() const {
	switch (exit_path_) {
	case ExitPath::read_at_exit: return kernel_feature_text(KernelFeature::mm_at_exit, true);
	case ExitPath::task_storage: return kernel_feature_text(KernelFeature::task_storage, true);
	case ExitPath::hash: return kernel_feature_text(KernelFeature::task_storage, false);
	}
	return "";
}

// Processes that started before procsql have no memo yet: one pass of the task
// iterator writes theirs (processes.bpf.h), so their exits have a path too.
void BpfSource::seed_exe_memos() {
	if (exit_path_ == ExitPath::read_at_exit || !tasks_iter_) {
		return;
	}
	std::string records, error;
	run_task_iterator(&records, &error); // failing, their exits' paths stay NULL, as the README says
}

bool BpfSource::run_task_iterator(std::string* records, std::string* error) const {
	const int fd = bpf_iter_create(bpf_link__fd(tasks_iter_));
	if (fd < 0) {
		*error = "cannot start the task iterator: " + errno_text(errno);
		return false;
	}
	const int err = read_to_end(fd, records);
	close(fd);
	if (err != 0) {
		*error = "cannot read the task iterator: " + errno_text(err);
		return false;
	}
	return true;
}

bool BpfSource::attach_all(std::string* error) {
	// tp_btf programs attach by BTF id and are required. The syscall
	// tracepoints need tracefs and CONFIG_FTRACE_SYSCALLS; without them the
	// tables still fill, with the gaps procsql_stats and the README describe.
	mounted_tracefs_ = ensure_tracefs();
	int calls_missing = 0, calls = 0;
	bool exec_in = false, execveat_in = false, exec_out = false, execveat_out = false;
	bpf_program* prog;
	bpf_object__for_each_program(prog, skel_->obj) {
		if (!bpf_program__autoload(prog)) {
			continue;
		}
		const std::string section = bpf_program__section_name(prog);
		const std::string name = bpf_program__name(prog);
		if (name.compare(0, 11, "procsql_sc_") == 0) {
			continue; // syscall_usage's: attached while recording (SyscallRecorder)
		}
		const bool optional = section.compare(0, 12, "tp/syscalls/") == 0;
		bpf_link* link = bpf_program__attach(prog);
		if (!link) {
			const int err = errno;
			if (!optional) {
				*error = refusal(err, "attach " + name + " to " + section, load_log_);
				return false;
			}
		} else {
			links_.push_back(link);
			if (section.compare(0, 5, "iter/") == 0) {
				tasks_iter_ = link;
			}
		}
		// exec.bpf.h and exec_failure.bpf.h: procsql_xve_* (execve),
		// procsql_xat_* (execveat), *_in at entry, *_out at exit.
		if (name.compare(0, 12, "procsql_xve_") == 0 || name.compare(0, 12, "procsql_xat_") == 0) {
			const bool at = name[9] == 'a';
			const bool in = name.compare(12, 2, "in") == 0;
			(in ? (at ? execveat_in : exec_in) : (at ? execveat_out : exec_out)) = link != nullptr;
		} else if (optional) {
			calls++;
			calls_missing += link ? 0 : 1;
		}
	}
	// Both entries mark every exec, so a mark a failed call left is replaced
	// by the next exec's own: the mark the exec handler reads is its call's.
	execveat_hooked_ = exec_in && execveat_in;
	failures_hooked_ = exec_in && execveat_in && exec_out && execveat_out;
	calls_hooked_ = calls > 0 && calls_missing == 0;
	return true;
}

BpfSource::~BpfSource() {
	if (thread_.joinable()) {
		const uint64_t one = 1;
		if (write(stop_fd_, &one, sizeof(one)) < 0) {
			// The eventfd cannot be full with a single writer; nothing to do.
		}
		thread_.join();
	}
	recorder_.reset(); // its programs detached before the object goes
	// Detach before freeing the ring buffer so no record arrives half-way.
	for (bpf_link* link : links_) {
		bpf_link__destroy(link);
	}
	// Leave the host as we found it. An attached tracepoint does not need the
	// mount (another collector that started meanwhile keeps working), and a
	// lazy unmount waits for anyone still inside it.
	if (mounted_tracefs_) {
		umount2(kTracefs, MNT_DETACH);
	}
	if (skel_) {
		procsql_bpf__destroy(skel_);
	}
	ring_.close();
	if (epoll_fd_ >= 0) {
		close(epoll_fd_);
	}
	if (stop_fd_ >= 0) {
		close(stop_fd_);
	}
}

namespace {
// While records come: the stores stay this fresh (a row is attributed to its
// container when it is stored, and a container may be gone a moment later).
constexpr int kPollMs = 100;
// While syscall_usage has cgroups to decide, sooner: a plain runc container
// is named only by runc's state, which goes with it.
constexpr int kDecidingPollMs = 10;
// After a period with no record: the next record wakes the consumer at once
// (consumer_idle, procsql.bpf.c). The timeout only bounds the wait of a
// record whose program read the flag just before the consumer set it.
constexpr int kIdlePollMs = 1000;
} // namespace

void BpfSource::abandon_after_fork() {
	if (recorder_) {
		recorder_->detach_for_fork();
		(void)recorder_.release(); // the parent's links and maps
	}
	for (bpf_link* link : links_) {
		close(bpf_link__fd(link));
	}
	bpf_program* prog;
	bpf_object__for_each_program(prog, skel_->obj) {
		if (bpf_program__fd(prog) >= 0) {
			close(bpf_program__fd(prog));
		}
	}
	bpf_map* map;
	bpf_object__for_each_map(map, skel_->obj) {
		if (bpf_map__fd(map) >= 0) {
			close(bpf_map__fd(map));
		}
	}
	ring_.close();
	close(epoll_fd_);
	close(stop_fd_);
	mounted_tracefs_ = false; // the parent's to unmount
}

void BpfSource::run() {
	// The kernel wakes this thread when a quarter of the ring waits, or for
	// the first record after it went idle; otherwise it drains on a timer.
	bool idle = false;
	for (;;) {
		epoll_event events[2];
		const bool deciding = recorder_ && recorder_->deciding();
		const int timeout = deciding ? kDecidingPollMs : idle ? kIdlePollMs : kPollMs;
		const int n = epoll_wait(epoll_fd_, events, 2, timeout);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return; // cannot happen with valid descriptors; queries still drain
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.fd == stop_fd_) {
				return;
			}
		}
		const bool took = drain_counted() > 0;
		if (took || deciding) {
			if (idle) {
				set_consumer_idle(false);
				idle = false;
			}
		} else {
			// A whole period with nothing: ask the next record to wake us (again:
			// a query's drain may have taken the record that cleared the flag).
			// One output before the flag was seen is taken at the next turn.
			set_consumer_idle(true);
			idle = ring_.empty();
			if (!idle) {
				set_consumer_idle(false);
			}
		}
	}
}

void BpfSource::set_consumer_idle(bool idle) {
	if (skel_->bss) {
		__atomic_store_n(&skel_->bss->consumer_idle, idle ? 1u : 0u, __ATOMIC_SEQ_CST);
	}
}

void BpfSource::drain() { (void)drain_counted(); }

size_t BpfSource::drain_counted() {
	// Bounded: only what the kernel had produced when the drain began, so a
	// drain ends however fast producers write (the rest is the next one's).
	std::lock_guard<std::mutex> lock(consume_mutex_);
	const size_t took = ring_.consume_until(ring_.producer_pos(), &BpfSource::on_record, this);
	if (recorder_) {
		recorder_->tick(); // cgroups made meanwhile are decided, expired counts forgotten
	}
	return took;
}

bool BpfSource::select_syscalls(const SyscallSelection& s, std::string* error) {
	return recorder_->select(s, error);
}

bool BpfSource::read_syscall_usage(std::vector<SyscallUsageRow>* out, std::string* error) {
	return recorder_->read(out, error);
}

void BpfSource::on_record(void* ctx, const void* data, size_t size) {
	// Called inside a drain, maybe inside a query: nothing may throw out.
	auto* self = static_cast<BpfSource*>(ctx);
	try {
		self->ingest(data, size);
	} catch (...) {
		self->unknown_records_.fetch_add(1, std::memory_order_relaxed);
	}
}

void BpfSource::ingest(const void* data, size_t size) {
	uint32_t kind = 0;
	if (size >= sizeof(kind)) {
		std::memcpy(&kind, data, sizeof(kind));
	}
	switch (kind) {
	case PROCSQL_EVENT_EXEC: ingest_exec(data, size); break;
	case PROCSQL_EVENT_CLONE: ingest_clone(data, size); break;
	case PROCSQL_EVENT_EXIT: ingest_exit(data, size); break;
	case PROCSQL_EVENT_EXEC_FAILURE: ingest_exec_failure(data, size); break;
	case PROCSQL_EVENT_CGROUP: ingest_cgroup(data, size); break;
	default: unknown_records_.fetch_add(1, std::memory_order_relaxed); break;
	}
}

namespace {

// Attributes a decoded row to the container of its cgroup, now, while that
// container is known (it may be gone by the time anyone asks), and appends it.
// False when the store refused the row (counted there as rows_rejected_too_large).
template <class Decoded, class Store>
bool attribute_and_append(Decoded& decoded, size_t container_slot, ContainerMap& containers, Store& store) {
	const std::string container = containers.container_of(decoded.row.cgroup_id, decoded.row.time_ns);
	decoded.strings[container_slot] = container;
	return store.append(decoded.row, decoded.strings) != 0;
}

} // namespace

void BpfSource::ingest_exec(const void* data, size_t size) {
	ExecDecodeResult decoded;
	std::string why;
	if (!decode_exec_record(data, size, clock_, execveat_hooked_, &decoded, &why)) {
		exec_counts_.decode_errors.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	if (!attribute_and_append(decoded, kExecContainerId, *stores_.containers, *stores_.exec)) {
		return;
	}
	exec_counts_.received.fetch_add(1, std::memory_order_relaxed);
	if (decoded.path_incomplete) {
		exec_counts_.paths_truncated.fetch_add(1, std::memory_order_relaxed);
	}
	if (decoded.argv_truncated) {
		exec_counts_.argv_truncated.fetch_add(1, std::memory_order_relaxed);
	}
	if (decoded.row.flags & kExecEnvTruncated) {
		env_truncated_.fetch_add(1, std::memory_order_relaxed);
	}
	if (decoded.row.flags & kExecNoEnv && !(decoded.row.flags & kExecEnvOff)) {
		env_unreadable_.fetch_add(1, std::memory_order_relaxed);
	}
	if (decoded.row.exe_upper == uint8_t(ExecLayer::unknown)) {
		exe_layer_unknown_.fetch_add(1, std::memory_order_relaxed);
	}
}

void BpfSource::ingest_clone(const void* data, size_t size) {
	CloneDecodeResult decoded;
	std::string why;
	if (!decode_clone_record(data, size, clock_, &decoded, &why)) {
		clone_counts_.decode_errors.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	if (!attribute_and_append(decoded, kCloneContainerId, *stores_.containers, *stores_.clone)) {
		return;
	}
	clone_counts_.received.fetch_add(1, std::memory_order_relaxed);
	if (decoded.row.row_flags & kLifecyclePathTruncated) {
		clone_counts_.paths_truncated.fetch_add(1, std::memory_order_relaxed);
	}
}

void BpfSource::ingest_exit(const void* data, size_t size) {
	ExitDecodeResult decoded;
	std::string why;
	if (!decode_exit_record(data, size, clock_, &decoded, &why)) {
		exit_counts_.decode_errors.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	if (!attribute_and_append(decoded, kExitContainerId, *stores_.containers, *stores_.exit)) {
		return;
	}
	exit_counts_.received.fetch_add(1, std::memory_order_relaxed);
	if (decoded.row.row_flags & kLifecyclePathTruncated) {
		exit_counts_.paths_truncated.fetch_add(1, std::memory_order_relaxed);
	}
}

void BpfSource::ingest_exec_failure(const void* data, size_t size) {
	ExecFailureDecodeResult decoded;
	std::string why;
	if (!decode_exec_failure_record(data, size, clock_, &decoded, &why)) {
		failure_counts_.decode_errors.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	if (!attribute_and_append(decoded, kFailContainerId, *stores_.containers, *stores_.failure)) {
		return;
	}
	failure_counts_.received.fetch_add(1, std::memory_order_relaxed);
	if (decoded.path_incomplete) {
		failure_counts_.paths_truncated.fetch_add(1, std::memory_order_relaxed);
	}
	if (decoded.argv_truncated) {
		failure_counts_.argv_truncated.fetch_add(1, std::memory_order_relaxed);
	}
}

void BpfSource::ingest_cgroup(const void* data, size_t size) {
	procsql_cgroup_event ev;
	if (size < sizeof(ev)) {
		cgroup_decode_errors_.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	std::memcpy(&ev, data, sizeof(ev));
	if (ev.size != size || sizeof(ev) + ev.path_len != size ||
	    (ev.op != PROCSQL_CGROUP_MKDIR && ev.op != PROCSQL_CGROUP_RMDIR)) {
		cgroup_decode_errors_.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	cgroup_records_.fetch_add(1, std::memory_order_relaxed);
	const int64_t when = clock_.to_unix_ns(ev.ktime_boot_ns);
	if (ev.op == PROCSQL_CGROUP_MKDIR) {
		const std::string path(static_cast<const char*>(data) + sizeof(ev), ev.path_len);
		stores_.containers->on_mkdir(ev.cgroup_id, path, when, (ev.flags & PROCSQL_CGROUP_PATH_AT_LIMIT) != 0);
		recorder_->on_mkdir(ev.cgroup_id);
	} else {
		stores_.containers->on_rmdir(ev.cgroup_id, when);
		recorder_->on_rmdir(ev.cgroup_id, when);
	}
}

bool BpfSource::read_processes(std::vector<LiveProcess>* out, std::string* error) {
	std::string records;
	return run_task_iterator(&records, error) &&
	       decode_process_records(records.data(), records.size(), clock_, out, error);
}

BpfSourceStats BpfSource::stats() const {
	BpfSourceStats s;
	auto copy = [](const Counters& from, KindStats* to) {
		to->received = from.received.load(std::memory_order_relaxed);
		to->decode_errors = from.decode_errors.load(std::memory_order_relaxed);
		to->paths_truncated = from.paths_truncated.load(std::memory_order_relaxed);
		to->argv_truncated = from.argv_truncated.load(std::memory_order_relaxed);
	};
	copy(exec_counts_, &s.exec);
	copy(clone_counts_, &s.clone);
	copy(exit_counts_, &s.exit);
	copy(failure_counts_, &s.failure);
	s.unknown_records = unknown_records_.load(std::memory_order_relaxed);
	s.cgroup_records = cgroup_records_.load(std::memory_order_relaxed);
	s.cgroup_decode_errors = cgroup_decode_errors_.load(std::memory_order_relaxed);

	// Per-CPU counters: one u64 per possible CPU for each key.
	const int ncpus = libbpf_num_possible_cpus();
	if (ncpus > 0) {
		std::vector<uint64_t> values(static_cast<size_t>(ncpus));
		const int fd = bpf_map__fd(skel_->maps.procsql_counters);
		auto sum = [&](uint32_t key) {
			uint64_t total = 0;
			if (bpf_map_lookup_elem(fd, &key, values.data()) == 0) {
				for (uint64_t v : values) {
					total += v;
				}
			}
			return total;
		};
		s.exec.kernel_seen = sum(PROCSQL_CNT_EXEC_SEEN);
		s.exec.lost_ringbuf_full = sum(PROCSQL_CNT_EXEC_RINGBUF_FULL);
		s.exec.lost_no_scratch = sum(PROCSQL_CNT_EXEC_NO_SCRATCH);
		s.clone.kernel_seen = sum(PROCSQL_CNT_CLONE_SEEN);
		s.clone.lost_ringbuf_full = sum(PROCSQL_CNT_CLONE_RINGBUF_FULL);
		s.clone.lost_no_scratch = sum(PROCSQL_CNT_CLONE_NO_SCRATCH);
		s.exit.kernel_seen = sum(PROCSQL_CNT_EXIT_SEEN);
		s.exit.lost_ringbuf_full = sum(PROCSQL_CNT_EXIT_RINGBUF_FULL);
		s.exit.lost_no_scratch = sum(PROCSQL_CNT_EXIT_NO_SCRATCH);
		s.call_marks_lost = sum(PROCSQL_CNT_CALL_MARK_LOST);
		s.cgroup_lost = sum(PROCSQL_CNT_CGROUP_RINGBUF_FULL) + sum(PROCSQL_CNT_CGROUP_NO_SCRATCH);
		s.exe_memos_lost = sum(PROCSQL_CNT_EXE_MEMO_LOST);
		s.exec.lost_too_large = sum(PROCSQL_CNT_EXEC_TOO_LARGE);
		s.clone.lost_too_large = sum(PROCSQL_CNT_CLONE_TOO_LARGE);
		s.exit.lost_too_large = sum(PROCSQL_CNT_EXIT_TOO_LARGE);
		s.process_records_lost = sum(PROCSQL_CNT_PROCESS_LOST);
		s.cgroup_paths_cut = sum(PROCSQL_CNT_CGROUP_PATH_CUT);
		s.exit_claims_full = sum(PROCSQL_CNT_EXIT_CLAIM_FULL);
		s.failure.kernel_seen = sum(PROCSQL_CNT_FAIL_SEEN);
		s.failure.lost_ringbuf_full = sum(PROCSQL_CNT_FAIL_RINGBUF_FULL);
		s.failure.lost_no_scratch = sum(PROCSQL_CNT_FAIL_NO_SCRATCH);
		s.failure.lost_too_large = sum(PROCSQL_CNT_FAIL_TOO_LARGE);
		s.syscall_usage_full = sum(PROCSQL_CNT_SC_USAGE_FULL);
		s.syscall_watch_full = sum(PROCSQL_CNT_SC_WATCH_FULL);
	}
	// The kernel counts, per program, the runs it skipped because the program
	// was already running on that CPU: those events were never seen.
	auto misses = [this](bpf_program* loop, bpf_program* bounded) {
		bpf_prog_info info{};
		uint32_t len = sizeof(info);
		if (bpf_obj_get_info_by_fd(bpf_program__fd(use_loop_ ? loop : bounded), &info, &len) == 0) {
			return uint64_t(info.recursion_misses);
		}
		return uint64_t(0);
	};
	s.exec.lost_recursion = misses(skel_->progs.procsql_exec, skel_->progs.procsql_exec_nl);
	s.clone.lost_recursion = misses(skel_->progs.procsql_newtask, skel_->progs.procsql_newtask_nl);
	s.exit.lost_recursion = misses(skel_->progs.procsql_exit, skel_->progs.procsql_exit_nl);
	// A failed exec missed at its exit is lost; one missed at its entry is
	// still a row, without its name and arguments.
	s.failure.lost_recursion = misses(skel_->progs.procsql_xve_out, skel_->progs.procsql_xve_out_nl) +
	                           misses(skel_->progs.procsql_xat_out, skel_->progs.procsql_xat_out_nl);
	return s;
}

SourceStats BpfSource::counters() const {
	const BpfSourceStats b = stats();
	return SourceStats{b.exec, b.clone, b.exit, b.failure};
}

void BpfSource::append_stats(std::vector<StatRow>* rows, bool read_counters) const {
	const BpfSourceStats b = read_counters ? stats() : BpfSourceStats{};
	auto text = [rows](const char* name, std::string value) { append_text_stat(rows, name, std::move(value)); };
	auto integer = [rows](const char* name, uint64_t value) { append_integer_stat(rows, name, value); };
	// Each feature row's name and wording come from kernel_features.cpp,
	// which also writes the README's table.
	auto feature = [&text](KernelFeature f, bool present) {
		text(kernel_feature(f).stat, kernel_feature_text(f, present));
	};
	feature(KernelFeature::bpf_loop, uses_bpf_loop());
	feature(KernelFeature::execveat_tracepoint, execveat_hooked());
	feature(KernelFeature::clone_tracepoints, calls_hooked());
	feature(KernelFeature::exec_failure_tracepoints, exec_failures_hooked());
	text("bpf.exit_path", exit_path_text());
	integer("bpf.exe_memos_lost", b.exe_memos_lost);
	integer("bpf.ringbuf_bytes", ringbuf_bytes_);
	integer("bpf.call_marks_lost", b.call_marks_lost);
	integer("bpf.process_records_lost", b.process_records_lost);
	integer("bpf.exit_claims_full", b.exit_claims_full);
	integer("bpf.cgroup_records", b.cgroup_records);
	integer("bpf.cgroup_records_lost", b.cgroup_lost + b.cgroup_decode_errors);
	integer("bpf.cgroup_paths_at_kernel_limit", b.cgroup_paths_cut);
	integer("bpf.unknown_records", b.unknown_records);
	integer("process_events.env_truncated", env_truncated_.load(std::memory_order_relaxed));
	integer("process_events.env_unreadable", env_unreadable_.load(std::memory_order_relaxed));
	integer("process_events.exe_layer_unknown", exe_layer_unknown_.load(std::memory_order_relaxed));
	recorder_->append_stats(rows);
	// Losses: a count not kept (the usage map full: that call is missing
	// from its container's profile), a new cgroup not watched.
	integer("syscall_usage.lost_usage_map_full", b.syscall_usage_full);
	integer("syscall_usage.lost_watch_map_full", b.syscall_watch_full + recorder_->watch_full());
}

} // namespace procsql
