#include "collector.h"
#include "sources/bpf/kernel_features.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <sys/utsname.h>
#include <unistd.h>

#include "sources/audit/audit_source.h"
#include "sources/bpf/bpf_source.h"
#include "store/store_header.h"

namespace procsql {

namespace {

std::mutex g_mutex;
std::weak_ptr<Collector> g_collector;


// fork() while a consumer thread stores a record would hand the child a copy
// of the stores with that row half-written, and of the container map's lock
// held by a thread that does not exist there. The forking thread takes the
// running collector's locks first and lets go of them on both sides.
std::shared_ptr<Collector> g_forking;

} // namespace

void collector_prepare_fork() {
	g_mutex.lock();
	std::shared_ptr<Collector> c = g_collector.lock();
	if (!c || c->owner_pid_ != getpid() || !c->containers_) {
		return;
	}
	g_forking = std::move(c);
	if (std::mutex* m = g_forking->source_ ? g_forking->source_->fork_mutex() : nullptr) {
		m->lock();
	}
	g_forking->containers_->mutex().lock();
}

void collector_after_fork() {
	if (g_forking) {
		g_forking->containers_->mutex().unlock();
		if (std::mutex* m = g_forking->source_ ? g_forking->source_->fork_mutex() : nullptr) {
			m->unlock();
		}
		g_forking.reset();
	}
	g_mutex.unlock();
}

namespace {

void register_fork_handlers() {
	static std::once_flag once;
	std::call_once(once, [] { pthread_atfork(collector_prepare_fork, collector_after_fork, collector_after_fork); });
}

} // namespace

bool Collector::running_mode(Mode* out) {
	std::lock_guard<std::mutex> lock(g_mutex);
	auto running = g_collector.lock();
	if (running) {
		*out = running->mode_;
	}
	return running != nullptr;
}

bool Collector::unless_running(const std::function<bool(std::string*)>& change, std::string* error) {
	std::lock_guard<std::mutex> lock(g_mutex);
	if (auto running = g_collector.lock()) {
		*error = std::string("the collector of this process runs (") + running->mode_name() +
		         ") and read its settings when it started: close every connection procsql is registered on "
		         "first";
		return false;
	}
	return change(error);
}

std::shared_ptr<Collector> Collector::acquire(std::string* error) {
	register_fork_handlers();
	std::lock_guard<std::mutex> lock(g_mutex);
	if (auto running = g_collector.lock()) {
		return running;
	}
	std::shared_ptr<Collector> fresh(new Collector());
	if (!fresh->start(error)) {
		return nullptr;
	}
	g_collector = fresh;
	return fresh;
}

const char* Collector::mode_name() const {
	switch (mode_) {
	case Mode::embedded: return "embedded";
	case Mode::attached: return "attached";
	case Mode::daemon: return "daemon";
	}
	return "?";
}

std::string Collector::backend_name() const {
	if (attachment_) {
		return attachment_->stores().backend();
	}
	return source_ ? source_->backend() : "none";
}

int Collector::drain_bound_ms() const {
	if (attachment_) {
		return attachment_->drain_bound_ms();
	}
	return source_ ? source_->drain_bound_ms() : 0;
}

std::shared_ptr<Collector> Collector::start_daemon(const Config& config, std::shared_ptr<DaemonStores> stores,
                                                   std::string* error) {
	std::shared_ptr<Collector> c(new Collector());
	c->mode_ = Mode::daemon;
	c->config_ = config;
	c->owner_pid_ = getpid();
	c->start_time_ns_ = BootClock::now_unix_ns();
	c->instance_id_ = random_store_id();
	c->store_id_ = stores->store_id();
	c->exec_ = &stores->exec();
	c->clone_ = &stores->clone();
	c->exit_ = &stores->exit();
	c->failure_ = &stores->failure();
	c->daemon_stores_ = std::move(stores);
	c->create_container_map();
	if (!c->start_source(error)) {
		return nullptr;
	}
	return c;
}

bool Collector::ensure_own_source(std::string* error) {
	if (owner_pid_ == getpid() || attachment_) {
		return true; // an attached process has no source to restart
	}
	std::lock_guard<std::mutex> lock(own_mutex_);
	if (owner_pid_ == getpid()) {
		return fork_error_.empty() || (*error = fork_error_, false);
	}
	if (!source_) {
		owner_pid_ = getpid(); // stores filled by the embedding program: nothing to restart
		return true;
	}
	// The parent's source: its thread did not come with the fork, and its
	// kernel objects are the parent's. Leaked on purpose (see
	// Source::abandon_after_fork), after closing this process's copies.
	const std::string backend = source_->backend();
	source_->abandon_after_fork();
	(void)source_.release();
	owner_pid_ = getpid();
	std::string why; // the child runs the backend the parent ran (a fallback stays one)
	const bool ok = backend == "bpf" ? start_bpf(&why) : start_audit(&why);
	if (!ok) {
		fork_error_ = "this process was forked from the one that started the collector, and its own could "
		              "not start: " + why;
		*error = fork_error_;
		return false;
	}
	backend_reason_ += "; restarted in this process after fork()";
	return true;
}

std::shared_ptr<Collector> Collector::without_source(const Config& config, std::string* error) {
	std::shared_ptr<Collector> c(new Collector());
	c->config_ = config;
	c->backend_reason_ = "no source: stores filled by the embedding program";
	c->owner_pid_ = getpid();
	if (!c->create_stores(error)) {
		return nullptr;
	}
	return c;
}

bool Collector::create_stores(std::string* error) {
	start_time_ns_ = BootClock::now_unix_ns();
	instance_id_ = random_store_id();
	// Embedded stores live as long as this process: their id is the instance's.
	store_id_ = instance_id_;
	auto id = [this](const char* table) { return StoreIdentity{StoreKind::events, table, 0, store_id_, ""}; };
	own_exec_ = ExecStore::create(config_.capacity, config_.arena_bytes, id("process_events"), error);
	if (!own_exec_) {
		*error = "cannot allocate the process_events store: " + *error;
		return false;
	}
	// Clone and exit rows carry one path each: an eighth of the exec arena
	// holds about as many of them (never below the ring's minimum).
	const uint64_t small_arena = small_arena_bytes(config_);
	own_clone_ = CloneStore::create(config_.capacity, small_arena, id("clone_events"), error);
	if (!own_clone_) {
		*error = "cannot allocate the clone_events store: " + *error;
		return false;
	}
	own_exit_ = ExitStore::create(config_.capacity, small_arena, id("process_exits"), error);
	if (!own_exit_) {
		*error = "cannot allocate the process_exits store: " + *error;
		return false;
	}
	// Failed execs carry argv and paths like execs: a quarter of its arena.
	own_failure_ = ExecFailureStore::create(config_.capacity, failure_arena_bytes(config_), id("exec_failures"), error);
	if (!own_failure_) {
		*error = "cannot allocate the exec_failures store: " + *error;
		return false;
	}
	exec_ = own_exec_.get();
	clone_ = own_clone_.get();
	exit_ = own_exit_.get();
	failure_ = own_failure_.get();
	create_container_map();
	return true;
}

void Collector::create_container_map() {
	ContainerMap::Options options;
	for (size_t at = 0; at <= config_.runc_roots.size();) {
		const size_t colon = std::min(config_.runc_roots.find(':', at), config_.runc_roots.size());
		if (colon > at) {
			options.runc_roots.push_back(config_.runc_roots.substr(at, colon - at));
		}
		at = colon + 1;
	}
	options.docker_root = config_.docker_root + "/containers";
	options.grace_ns = int64_t(config_.container_grace_s) * 1000000000;
	containers_ = std::make_unique<ContainerMap>(options);
}

Stores Collector::stores() {
	return Stores{exec_, clone_, exit_, failure_, containers_.get()};
}

bool Collector::start_bpf(std::string* error) {
	source_ = BpfSource::start(config_, clock_, stores(), error);
	if (!source_) {
		return false;
	}
	// After attaching, so that no cgroup made meanwhile is missed (one made
	// between the two is seen twice, which is harmless).
	containers_->scan();
	// After the scan: the containers that run already are recorded too.
	if (!config_.syscalls.empty() && !source_->select_syscalls(config_.syscalls, error)) {
		source_.reset();
		return false;
	}
	return true;
}

bool Collector::start_audit(std::string* error) {
	// Before the rules: the source's first lookups find every cgroup there is.
	containers_->scan();
	source_ = AuditSource::start(config_, clock_, instance_id_, stores(), error);
	if (source_ && !config_.syscalls.empty()) {
		// Not a reason to refuse the other tables: syscall_usage says it.
		std::string why;
		source_->select_syscalls(config_.syscalls, &why);
		syscalls_error_ = "PROCSQL_SYSCALLS is set, but " + why;
	}
	return source_ != nullptr;
}

bool Collector::start(std::string* error) {
	owner_pid_ = getpid();
	if (!Config::from_env(&config_, error)) {
		return false;
	}
	std::string attach_error;
	if (config_.mode != ModeChoice::embedded) {
		bool no_daemon = false;
		attachment_ = Attachment::open(config_, &no_daemon, &attach_error);
		if (attachment_) {
			mode_ = Mode::attached;
			start_time_ns_ = BootClock::now_unix_ns();
			instance_id_ = random_store_id();
			store_id_ = attachment_->stores().store_id();
			backend_reason_ = "attached to procsqld's stores in " + config_.state_dir;
			return true;
		}
		if (config_.mode == ModeChoice::attach) {
			*error = no_daemon ? "PROCSQL_MODE=attach, but no procsqld runs on " + config_.state_dir +
			                         ": start procsqld (systemctl start procsqld), or unset PROCSQL_MODE"
			                   : attach_error;
			return false;
		}
		if (!no_daemon) {
			// A daemon runs but cannot be used (permissions, version,
			// settings): say why rather than start a second collector.
			*error = attach_error;
			return false;
		}
	}
	if (!create_stores(error)) {
		return false;
	}
	if (!start_source(error)) {
		if (geteuid() != 0 && config_.mode == ModeChoice::automatic) {
			*error = "no procsqld runs on " + config_.state_dir + " and this process cannot collect events itself (" +
			         *error + "): run as root, or join the group of a running procsqld (PROCSQL_GROUP)";
		}
		return false;
	}
	return true;
}

bool Collector::start_source(std::string* error) {
	const std::string choice = std::string("PROCSQL_BACKEND=") + backend_choice_name(config_.backend);
	switch (config_.backend) {
	case BackendChoice::bpf:
		if (!start_bpf(error)) {
			return false;
		}
		backend_reason_ = choice + ": eBPF programs loaded and attached";
		return true;
	case BackendChoice::audit:
		if (!start_audit(error)) {
			return false;
		}
		backend_reason_ = choice + ": the audit backend was asked for";
		return true;
	case BackendChoice::automatic: break;
	}
	std::string bpf_error;
	if (start_bpf(&bpf_error)) {
		backend_reason_ = choice + ": eBPF programs loaded and attached";
		return true;
	}
	std::string audit_error;
	if (!start_audit(&audit_error)) {
		*error = "no backend could start: eBPF: " + bpf_error + "; audit: " + audit_error;
		return false;
	}
	backend_reason_ = choice + ": eBPF unavailable (" + bpf_error + "); using the audit backend";
	// The one line a user sees when the fallback happens (procsql_stats keeps it).
	std::fprintf(stderr, "procsql: eBPF unavailable (%s); falling back to the audit backend\n", bpf_error.c_str());
	return true;
}

Collector::~Collector() = default;

bool Collector::live_processes(std::vector<LiveProcess>* out, std::vector<std::string>* containers,
                               std::string* error) {
	if (attachment_) {
		return attachment_->processes(out, containers, error);
	}
	if (!ensure_own_source(error)) {
		return false;
	}
	if (!source_) {
		*error = "no source: the processes table needs a running collector";
		return false;
	}
	if (!source_->read_processes(out, error)) {
		return false;
	}
	read_cmdlines(out);
	const int64_t now = BootClock::now_unix_ns();
	containers->clear();
	for (const LiveProcess& p : *out) {
		containers->push_back(containers_->container_of(p.cgroup_id, now));
	}
	return true;
}

bool Collector::syscall_usage(std::vector<SyscallUsageRow>* out, std::string* error) {
	if (attachment_) {
		if (!config_.syscalls.empty()) {
			// Said rather than ignored: this process records nothing.
			*error = "PROCSQL_SYSCALLS is set, but this process reads procsqld's stores (" + config_.state_dir +
			         "): procsqld records what its own PROCSQL_SYSCALLS and `procsql record start|stop` (root) say";
			return false;
		}
		return attachment_->syscall_usage(out, error);
	}
	if (!ensure_own_source(error)) {
		return false;
	}
	if (!syscalls_error_.empty()) {
		*error = syscalls_error_;
		return false;
	}
	out->clear();
	return !source_ || source_->read_syscall_usage(out, error);
}

bool Collector::select_syscalls(const SyscallSelection& s, std::string* error) {
	if (attachment_ || !source_) {
		*error = "this process does not collect (attached readers are read-only): use `procsql record`";
		return false;
	}
	return source_->select_syscalls(s, error);
}

std::vector<ContainerEntry> Collector::containers() {
	std::vector<ContainerEntry> out;
	std::string ignored;
	containers(&out, &ignored);
	return out;
}

bool Collector::containers(std::vector<ContainerEntry>* out, std::string* error) {
	if (attachment_) {
		return attachment_->containers(out, error);
	}
	const int64_t now = BootClock::now_unix_ns();
	if (source_ && !source_->reports_cgroup_changes()) {
		// No rmdir records: a container removed since the source's last sweep
		// is marked now, so a query right after `docker rm` says so.
		containers_->check_removed(now);
	}
	*out = containers_->containers(now);
	return true;
}

bool Collector::drain(std::string* error) {
	if (!ensure_own_source(error)) {
		return false;
	}
	drains_.fetch_add(1, std::memory_order_relaxed);
	if (attachment_) {
		attachment_->wait_drained();
		return true;
	}
	if (source_) {
		source_->drain();
	}
	return true;
}

std::string Collector::store_id() const { return attachment_ ? attachment_->stores().store_id() : store_id_; }

bool Collector::event_eids(const std::string& table, uint64_t* first, uint64_t* next) const {
	auto bounds = [&](const auto& store) {
		// next before first: a row overwritten in between only makes the
		// range look one row longer at its old end, never skip a new row.
		*next = store.ring().next_eid();
		*first = std::min(store.ring().first_eid(), *next);
		return true;
	};
	if (table == "process_events") {
		return bounds(exec_store());
	}
	if (table == "clone_events") {
		return bounds(clone_store());
	}
	if (table == "process_exits") {
		return bounds(exit_store());
	}
	if (table == "exec_failures") {
		return bounds(failure_store());
	}
	return false;
}

std::vector<StatRow> Collector::stats() const {
	std::vector<StatRow> rows;
	if (attachment_) {
		const uint64_t skipped[4] = {exec_store().blocks_skipped(), clone_store().blocks_skipped(),
		                             exit_store().blocks_skipped(), failure_store().blocks_skipped()};
		attachment_->stats(&rows, skipped);
		return rows;
	}
	auto text = [&rows](const char* name, std::string value) { append_text_stat(&rows, name, std::move(value)); };
	auto integer = [&rows](const char* name, uint64_t value) { append_integer_stat(&rows, name, value); };
	utsname uts{};
	uname(&uts);
	// A forked child reads its source only once it has its own (every
	// query drains, and so restarts it, before it reads stats).
	const bool own = owner_pid_ == getpid();
	const SourceStats k = source_ && own ? source_->counters() : SourceStats{};

	text("mode", mode_name());
	text("store_id", store_id_);
	if (mode_ == Mode::daemon) {
		text("state_dir", config_.state_dir);
	}
	text("backend", source_ ? source_->backend() : "none");
	text("backend_reason", backend_reason_);
	text("instance_id", instance_id_);
	integer("collector_start_time", uint64_t(start_time_ns_));
	integer("collector_pid", uint64_t(owner_pid_));
	integer("drains", drains_.load(std::memory_order_relaxed));
	text("kernel_release", uts.release);
	if (source_) {
		source_->append_stats(&rows, own);
	}
	integer("argv_bytes", config_.argv_bytes);
	text("env_names", config_.env_text());
	integer("env_bytes", config_.env_bytes);
	integer("threads", config_.threads ? 1 : 0);
	text("container_map.cgroup2_root", containers_->cgroup2_root());
	integer("container_map.cgroups_known", containers_->cgroups_known());
	integer("container_map.paths_recovered", containers_->paths_recovered());
	integer("container_map.paths_truncated", containers_->paths_truncated());
	integer("container_map.grace_seconds", config_.container_grace_s);
	text("container_map.runc_roots", config_.runc_roots);
	text("container_map.docker_root", config_.docker_root);

	// The same counters for every table.
	auto table = [&](const std::string& name, const KindStats& k, const auto& store) {
		const auto& ring = store.ring();
		const RingCounters c = ring.counters();
		auto row = [&](const char* what, uint64_t v) {
			rows.push_back(StatRow{name + "." + what, false, int64_t(v), {}});
		};
		row("events_received", k.received);
		row("events_lost_kernel", k.lost_total());
		row("events_lost_ringbuf_full", k.lost_ringbuf_full);
		row("events_lost_recursion", k.lost_recursion);
		row("events_lost_no_scratch", k.lost_no_scratch);
		row("events_lost_too_large", k.lost_too_large);
		row("events_seen_kernel", k.kernel_seen);
		row("decode_errors", k.decode_errors);
		row("rows_overwritten", c.rows_overwritten);
		row("rows_evicted_by_arena", c.rows_evicted_by_arena);
		row("rows_rejected_too_large", c.rows_rejected_too_large);
		row("rows_retained", ring.next_eid() - ring.first_eid());
		row("capacity", ring.capacity());
		row("arena_bytes", ring.arena_bytes());
		row("memory_bytes", store.memory_bytes());
		row("paths_truncated", k.paths_truncated);
		row("time_blocks_skipped", store.blocks_skipped());
	};
	table("process_events", k.exec, *exec_);
	integer("process_events.argv_truncated", k.exec.argv_truncated);
	table("clone_events", k.clone, *clone_);
	table("process_exits", k.exit, *exit_);
	table("exec_failures", k.failure, *failure_);
	integer("exec_failures.argv_truncated", k.failure.argv_truncated);
	return rows;
}

} // namespace procsql
