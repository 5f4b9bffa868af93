#include "bpf_source.h"

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

#include "event_abi.h"
#include "exec.skel.h"
#include "exec_decoder.h"

namespace procsql {

namespace {

// libbpf's messages go through one process-wide callback. While we load, keep
// the last warning (it usually explains a refusal) and echo everything under
// PROCSQL_DEBUG=1; the host's own callback is restored afterwards.
thread_local std::string* t_libbpf_last = nullptr;
thread_local bool t_libbpf_debug = false;

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
	char line[512];
	vsnprintf(line, sizeof(line), fmt, args);
	if (t_libbpf_debug) {
		fprintf(stderr, "procsql: libbpf: %s", line);
	}
	if (t_libbpf_last && level <= LIBBPF_WARN) {
		std::string s = line;
		while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
			s.pop_back();
		}
		if (!s.empty()) {
			*t_libbpf_last = s;
		}
	}
	return 0;
}

class LibbpfLogScope {
public:
	LibbpfLogScope(std::string* last, bool debug) {
		t_libbpf_last = last;
		t_libbpf_debug = debug;
		previous_ = libbpf_set_print(libbpf_log);
	}
	~LibbpfLogScope() {
		libbpf_set_print(previous_);
		t_libbpf_last = nullptr;
	}

private:
	libbpf_print_fn_t previous_;
};

// Does the running kernel's BTF know this helper? (CO-RE's view of the same
// question, asked from user space before choosing a program variant.)
bool kernel_has_helper(const char* enum_value) {
	btf* vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		return false;
	}
	bool found = false;
	const int id = btf__find_by_name_kind(vmlinux, "bpf_func_id", BTF_KIND_ENUM);
	if (id > 0) {
		const btf_type* t = btf__type_by_id(vmlinux, id);
		// `struct`: in C++ the libbpf accessor btf_enum() hides the type's name.
		const struct btf_enum* e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t) && !found; i++) {
			found = std::strcmp(btf__name_by_offset(vmlinux, e[i].name_off), enum_value) == 0;
		}
	}
	btf__free(vmlinux);
	return found;
}

// Classic tracepoints are attached by an id read from tracefs, which a
// minimal system may not have mounted at boot. Mount it where the kernel
// expects it; harmless when it is already there, and only ever tried as root.
void ensure_tracefs() {
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0) {
		return;
	}
	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr);
}

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

std::string privilege_error(int err) {
	return "loading the eBPF collector needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN): " +
	       errno_text(err);
}

} // namespace

std::unique_ptr<BpfSource> BpfSource::start(const Config& config, const BootClock& clock, ExecStore& store,
                                            std::string* error) {
	std::unique_ptr<BpfSource> self(new BpfSource(clock, store));
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
	std::string libbpf_last;
	LibbpfLogScope log_scope(&libbpf_last, config.debug);
	auto with_detail = [&libbpf_last](std::string msg) {
		if (!libbpf_last.empty()) {
			msg += " (libbpf: " + libbpf_last + ")";
		}
		return msg;
	};

	skel_ = procsql_exec_bpf__open();
	if (!skel_) {
		*error = with_detail("cannot open the eBPF exec program: " + errno_text(errno));
		return false;
	}
	skel_->rodata->argv_max = config.argv_bytes;

	const int ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		*error = "cannot count the possible CPUs: " + errno_text(ncpus);
		return false;
	}
	const uint32_t record_max = uint32_t((PROCSQL_EXEC_RECORD_MAX(config.argv_bytes) + 7) & ~size_t(7));
	if (bpf_map__set_max_entries(skel_->maps.procsql_exec_scratch, uint32_t(ncpus)) != 0 ||
	    bpf_map__set_value_size(skel_->maps.procsql_exec_scratch, record_max) != 0 ||
	    bpf_map__set_max_entries(skel_->maps.procsql_events, uint32_t(config.ringbuf_bytes)) != 0) {
		*error = with_detail("cannot size the eBPF maps: " + errno_text(errno));
		return false;
	}

	// bpf_loop (5.17+) lets the path walk take every component of any path;
	// older kernels get the bounded variant (paths deeper than
	// PROCSQL_WALK_BOUNDED_COMPONENTS are flagged truncated).
	use_loop_ = !config.bpf_no_loop && kernel_has_helper("BPF_FUNC_loop");
	bpf_program__set_autoload(skel_->progs.procsql_exec, use_loop_);
	bpf_program__set_autoload(skel_->progs.procsql_exec_nl, !use_loop_);

	if (procsql_exec_bpf__load(skel_) != 0) {
		const int err = errno;
		if (err == EPERM || err == EACCES) {
			*error = privilege_error(err);
		} else {
			*error = with_detail("the kernel refused the eBPF exec program: " + errno_text(err));
		}
		return false;
	}
	bpf_program* exec_prog = use_loop_ ? skel_->progs.procsql_exec : skel_->progs.procsql_exec_nl;
	bpf_link** exec_link = use_loop_ ? &skel_->links.procsql_exec : &skel_->links.procsql_exec_nl;
	*exec_link = bpf_program__attach(exec_prog);
	if (!*exec_link) {
		const int err = errno;
		*error = (err == EPERM || err == EACCES)
		             ? privilege_error(err)
		             : with_detail("cannot attach to tp_btf/sched_process_exec: " + errno_text(err));
		return false;
	}
	// Optional: without it `syscall` is NULL unless the exec was fd-relative.
	// The links live in the skeleton, which detaches them on destroy.
	ensure_tracefs();
	skel_->links.procsql_xat_in = bpf_program__attach(skel_->progs.procsql_xat_in);
	skel_->links.procsql_xat_out = bpf_program__attach(skel_->progs.procsql_xat_out);
	execveat_hooked_ = skel_->links.procsql_xat_in && skel_->links.procsql_xat_out;
	if (!execveat_hooked_) {
		bpf_link__destroy(skel_->links.procsql_xat_in);
		bpf_link__destroy(skel_->links.procsql_xat_out);
		skel_->links.procsql_xat_in = skel_->links.procsql_xat_out = nullptr;
	}
	rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.procsql_events), &BpfSource::on_record, this, nullptr);
	if (!rb_) {
		*error = with_detail("cannot map the eBPF ring buffer: " + errno_text(errno));
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
	ev.data.fd = ring_buffer__epoll_fd(rb_);
	if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ev.data.fd, &ev) != 0) {
		*error = "cannot watch the eBPF ring buffer: " + errno_text(errno);
		return false;
	}
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
	// Detach before freeing the ring buffer so no record arrives half-way.
	if (skel_) {
		procsql_exec_bpf__destroy(skel_);
	}
	if (rb_) {
		ring_buffer__free(rb_);
	}
	if (epoll_fd_ >= 0) {
		close(epoll_fd_);
	}
	if (stop_fd_ >= 0) {
		close(stop_fd_);
	}
}

void BpfSource::run() {
	for (;;) {
		epoll_event events[2];
		const int n = epoll_wait(epoll_fd_, events, 2, -1);
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
		drain();
	}
}

void BpfSource::drain() {
	std::lock_guard<std::mutex> lock(consume_mutex_);
	ring_buffer__consume(rb_);
}

int BpfSource::on_record(void* ctx, void* data, size_t size) {
	// A libbpf callback: nothing may throw through it.
	try {
		static_cast<BpfSource*>(ctx)->ingest(data, size);
	} catch (...) {
		static_cast<BpfSource*>(ctx)->decode_errors_.fetch_add(1, std::memory_order_relaxed);
	}
	return 0;
}

void BpfSource::ingest(const void* data, size_t size) {
	ExecDecodeResult decoded;
	std::string why;
	if (!decode_exec_record(data, size, clock_, execveat_hooked_, &decoded, &why)) {
		decode_errors_.fetch_add(1, std::memory_order_relaxed);
		return;
	}
	store_.append(decoded.row, decoded.strings);
	received_.fetch_add(1, std::memory_order_relaxed);
	if (decoded.path_incomplete) {
		paths_truncated_.fetch_add(1, std::memory_order_relaxed);
	}
	if (decoded.argv_truncated) {
		argv_truncated_.fetch_add(1, std::memory_order_relaxed);
	}
}

BpfSourceStats BpfSource::stats() const {
	BpfSourceStats s;
	s.received = received_.load(std::memory_order_relaxed);
	s.decode_errors = decode_errors_.load(std::memory_order_relaxed);
	s.paths_truncated = paths_truncated_.load(std::memory_order_relaxed);
	s.argv_truncated = argv_truncated_.load(std::memory_order_relaxed);

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
		s.kernel_seen = sum(PROCSQL_CNT_EXEC_SEEN);
		s.lost_ringbuf_full = sum(PROCSQL_CNT_EXEC_RINGBUF_FULL);
		s.lost_no_scratch = sum(PROCSQL_CNT_EXEC_NO_SCRATCH);
	}
	// The kernel counts, per program, the runs it skipped because the program
	// was already running on that CPU: those execs were never seen.
	bpf_program* prog = use_loop_ ? skel_->progs.procsql_exec : skel_->progs.procsql_exec_nl;
	bpf_prog_info info{};
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0) {
		s.lost_recursion = info.recursion_misses;
	}
	return s;
}

} // namespace procsql
