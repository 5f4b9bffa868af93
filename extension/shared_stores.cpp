#include "shared_stores.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "clock.h"
#include "published_rows.h"
#include "schema.h"
#include "version.h"

namespace procsql {

namespace {

const char* const kPublishedTable[kPublishedCount] = {"processes", "container_map", "procsql_stats",
                                                      "syscall_usage"};
// Each half's room. The files are sparse: a page costs memory once written.
const uint64_t kPublishedHalfBytes[kPublishedCount] = {64ull << 20, 16ull << 20, 1ull << 20, 8ull << 20};
constexpr const char* kControlTable = "procsqld";
constexpr uint64_t kControlBytes = kStoreHeaderBytes + kControlBodyBytes;

const TableDef& published_def(int i) {
	return i == 0 ? processes_table() : i == 1 ? container_map_table() : i == 2 ? procsql_stats_table()
	                                                                           : syscall_usage_table();
}

uint64_t published_hash(int i) {
	const uint64_t shape[] = {columns_hash(published_def(i)), kPublishedRowsVersion};
	return fnv1a64(shape, sizeof(shape));
}

uint64_t control_hash() {
	const uint64_t shape[] = {sizeof(ControlBlock), kControlBodyBytes, 1};
	return fnv1a64(shape, sizeof(shape));
}

StoreIdentity identity(StoreKind kind, const std::string& table, uint64_t hash, const std::string& store_id,
                       const std::string& version) {
	return StoreIdentity{kind, table, hash, store_id, version};
}

uint64_t exec_hash() { return ExecStore::schema_hash(columns_hash(process_events_table())); }
uint64_t clone_hash() { return CloneStore::schema_hash(columns_hash(clone_events_table())); }
uint64_t exit_hash() { return ExitStore::schema_hash(columns_hash(process_exits_table())); }
uint64_t failure_hash() { return ExecFailureStore::schema_hash(columns_hash(exec_failures_table())); }

std::vector<std::string> all_files() {
	std::vector<std::string> names = {kControlFileName, store_file_name("process_events"),
	                                  store_file_name("clone_events"), store_file_name("process_exits"),
	                                  store_file_name("exec_failures")};
	for (const char* t : kPublishedTable) {
		names.push_back(store_file_name(t));
	}
	return names;
}


void copy_text(char* dst, size_t cap, const std::string& s) {
	std::memset(dst, 0, cap);
	std::memcpy(dst, s.data(), std::min(s.size(), cap - 1));
}

// A text field of a region, as printable ASCII (it reaches error messages).
std::string text_of(const char* src, size_t cap) {
	std::string out(src, strnlen(src, cap));
	for (char& ch : out) {
		if (ch < 0x20 || ch > 0x7e) ch = '?';
	}
	return out;
}

// One event store of the daemon: made when its file is new, else reopened.
template <class Store>
bool open_events(const std::string& dir, gid_t gid, const std::string& table, uint64_t hash, uint64_t capacity,
                 uint64_t arena, const std::string& store_id, bool control_new, std::unique_ptr<Store>* out,
                 uint64_t* discarded, std::string* why) {
	Region region;
	bool created = false;
	const uint64_t bytes = Store::region_bytes(capacity, arena);
	if (bytes == 0) {
		*why = table + ": capacity " + std::to_string(capacity) + " with arena " + std::to_string(arena) +
		       " is not a valid store";
		return false;
	}
	if (!open_store_for_writing(dir, store_file_name(table), bytes, gid, &region, &created, why)) {
		return false;
	}
	const StoreIdentity id = identity(StoreKind::events, table, hash, store_id, PROCSQL_VERSION);
	if (created) {
		if (!control_new) {
			// Its eids would restart at 1 under the same store id.
			*why = store_file_name(table) + " was missing";
			return false;
		}
		*out = Store::create_in(std::move(region), capacity, arena, id, why);
		return *out != nullptr;
	}
	StoreIdentity expect = id;
	expect.version.clear(); // a store another version made is fine if its format and schema are
	bool discarded_now = false;
	*out = Store::reopen(std::move(region), capacity, arena, expect, why, &discarded_now);
	if (discarded_now) {
		*discarded += 1; // this start's, not the file's running total
	}
	return *out != nullptr;
}

} // namespace

uint64_t small_arena_bytes(const Config& config) { return std::max<uint64_t>(config.arena_bytes / 8, 1ull << 20); }

uint64_t failure_arena_bytes(const Config& config) { return std::max<uint64_t>(config.arena_bytes / 4, 1ull << 20); }

std::string collector_settings(const Config& config) {
	std::string s;
	auto line = [&s](const char* name, const std::string& value) { s += std::string(name) + "=" + value + "\n"; };
	line("PROCSQL_BACKEND", backend_choice_name(config.backend));
	line("PROCSQL_CAPACITY", std::to_string(config.capacity));
	line("PROCSQL_ARENA_BYTES", std::to_string(config.arena_bytes));
	line("PROCSQL_ARGV_BYTES", std::to_string(config.argv_bytes));
	line("PROCSQL_ENV", config.env_text());
	line("PROCSQL_ENV_BYTES", std::to_string(config.env_bytes));
	line("PROCSQL_RINGBUF_BYTES", std::to_string(config.ringbuf_bytes));
	line("PROCSQL_BPF_NO_LOOP", config.bpf_no_loop ? "1" : "0");
	line("PROCSQL_BPF_EXE_MEMO", exe_memo_choice_name(config.exe_memo));
	line("PROCSQL_THREADS", config.threads ? "1" : "0");
	line("PROCSQL_CONTAINER_GRACE", std::to_string(config.container_grace_s));
	line("PROCSQL_RUNC_ROOTS", config.runc_roots);
	line("PROCSQL_DOCKER_ROOT", config.docker_root);
	return s;
}

std::unique_ptr<DaemonStores> DaemonStores::open(const std::string& dir, gid_t gid, const Config& config,
                                                 std::vector<std::string>* log, std::string* error) {
	std::unique_ptr<DaemonStores> s(new DaemonStores());
	std::string why;
	if (s->open_all(dir, gid, config, &why)) {
		s->mark_starting();
		return s;
	}
	const std::string old_id = s->store_id_.empty() ? "unknown" : s->store_id_;
	std::string aside_error;
	const std::string aside = set_aside(dir, all_files(), std::to_string(BootClock::now_unix_ns() / 1000000000) + "-" + old_id,
	                                    &aside_error);
	if (aside.empty()) {
		*error = "cannot reuse the stores in " + dir + " (" + why + ") nor set them aside: " + aside_error;
		return nullptr;
	}
	s.reset(new DaemonStores());
	if (!s->open_all(dir, gid, config, error)) {
		return nullptr;
	}
	s->mark_starting();
	log->push_back("set the stores of store id " + old_id + " aside in " + aside + ": " + why +
	               "; new store id " + s->store_id_ + ", eids start at 1");
	return s;
}

bool DaemonStores::open_all(const std::string& dir, gid_t gid, const Config& config, std::string* why) {
	bool created = false;
	if (!open_store_for_writing(dir, kControlFileName, kControlBytes, gid, &control_region_, &created, why)) {
		return false;
	}
	control_was_new_ = created;
	if (created) {
		store_id_ = random_store_id();
		const uint64_t params[6] = {};
		init_store_header(control_region_.data(), kControlBytes,
		                  identity(StoreKind::control, kControlTable, control_hash(), store_id_, PROCSQL_VERSION),
		                  params);
	} else {
		const StoreIdentity expect = identity(StoreKind::control, kControlTable, control_hash(), "", "");
		if (!check_store_header(control_region_.data(), control_region_.size(), expect, why)) {
			return false;
		}
		store_id_ = store_identity_of(*reinterpret_cast<const StoreHeader*>(control_region_.data())).store_id;
		if (store_id_.size() != 32 || control_region_.size() != kControlBytes) {
			*why = std::string(kControlFileName) + " is not a control region of this format";
			return false;
		}
	}
	control_ = reinterpret_cast<ControlBlock*>(control_region_.data() + kStoreHeaderBytes);

	const uint64_t small = small_arena_bytes(config);
	if (!open_events(dir, gid, "process_events", exec_hash(), config.capacity, config.arena_bytes, store_id_,
	                 created, &exec_, &rows_discarded_, why) ||
	    !open_events(dir, gid, "clone_events", clone_hash(), config.capacity, small, store_id_, created, &clone_,
	                 &rows_discarded_, why) ||
	    !open_events(dir, gid, "process_exits", exit_hash(), config.capacity, small, store_id_, created, &exit_,
	                 &rows_discarded_, why) ||
	    !open_events(dir, gid, "exec_failures", failure_hash(), config.capacity, failure_arena_bytes(config),
	                 store_id_, created, &failure_, &rows_discarded_, why)) {
		return false;
	}
	for (int i = 0; i < kPublishedCount; i++) {
		Region region;
		bool new_file = false;
		const uint64_t bytes = SnapshotStore::region_bytes(kPublishedHalfBytes[i]);
		if (!open_store_for_writing(dir, store_file_name(kPublishedTable[i]), bytes, gid, &region, &new_file, why)) {
			return false;
		}
		const StoreIdentity id = identity(StoreKind::snapshot, kPublishedTable[i], published_hash(i), store_id_,
		                                  PROCSQL_VERSION);
		if (new_file) {
			// A snapshot carries no eids: a missing one is simply made anew.
			published_[i] = SnapshotStore::create_in(std::move(region), kPublishedHalfBytes[i], id, why);
		} else {
			StoreIdentity expect = id;
			expect.version.clear();
			published_[i] = SnapshotStore::reopen(std::move(region), expect, why);
		}
		if (!published_[i]) {
			return false;
		}
	}
	return true;
}

std::array<StoreHeader*, 9> DaemonStores::headers() {
	return {&exec_->writable_header(), &clone_->writable_header(), &exit_->writable_header(),
	        &failure_->writable_header(),
	        &published_[0]->writable_header(), &published_[1]->writable_header(), &published_[2]->writable_header(),
	        &published_[3]->writable_header(),
	        reinterpret_cast<StoreHeader*>(control_region_.data())};
}

void DaemonStores::mark_starting() {
	// What the last daemon left, for the gap, before this one says it is
	// starting: readers then wait for it to be running rather than trust a
	// killed daemon's "running".
	ControlBlock& c = *control_;
	previous_state_ = c.state.load(std::memory_order_relaxed);
	c.daemon_pid.store(getpid(), std::memory_order_relaxed);
	c.state.store(uint64_t(WriterState::none), std::memory_order_release);
}

void DaemonStores::mark_running(pid_t pid, int64_t start_ns, const std::string& backend, int drain_bound_ms,
                                const std::string& settings) {
	ControlBlock& c = *control_;
	const uint64_t starts = c.starts.load(std::memory_order_relaxed);
	if (!control_was_new_ && starts > 0) {
		const bool clean = previous_state_ == uint64_t(WriterState::stopped);
		c.previous_stop.store(uint64_t(clean ? PreviousStop::clean : PreviousStop::killed), std::memory_order_relaxed);
		// Killed: it was last known alive at its last heartbeat (or its start).
		const int64_t last = clean ? c.stop_ns.load(std::memory_order_relaxed)
		                           : std::max(c.heartbeat_ns.load(std::memory_order_relaxed),
		                                      c.daemon_start_ns.load(std::memory_order_relaxed));
		c.gap_start_ns.store(last, std::memory_order_relaxed);
		c.gap_end_ns.store(start_ns, std::memory_order_relaxed);
	} else {
		c.previous_stop.store(uint64_t(PreviousStop::none), std::memory_order_relaxed);
		c.gap_start_ns.store(0, std::memory_order_relaxed);
		c.gap_end_ns.store(0, std::memory_order_relaxed);
	}
	c.starts.store(starts + 1, std::memory_order_relaxed);
	c.daemon_pid.store(pid, std::memory_order_relaxed);
	c.daemon_start_ns.store(start_ns, std::memory_order_relaxed);
	c.heartbeat_ns.store(start_ns, std::memory_order_relaxed);
	c.stop_ns.store(0, std::memory_order_relaxed);
	c.rows_discarded.store(rows_discarded_, std::memory_order_relaxed);
	c.drain_bound_ms.store(drain_bound_ms, std::memory_order_relaxed);
	// A watermark from an earlier daemon may be from another boot (a state
	// directory on disk): readers wait for this daemon's first pass.
	c.drained_through_ns.store(0, std::memory_order_relaxed);
	c.processes_through_ns.store(0, std::memory_order_relaxed);
	copy_text(c.backend, sizeof(c.backend), backend);
	copy_text(c.daemon_version, sizeof(c.daemon_version), PROCSQL_VERSION);
	const size_t n = std::min(settings.size(), sizeof(c.settings));
	std::memcpy(c.settings, settings.data(), n);
	c.settings_len = n;
	for (StoreHeader* h : headers()) {
		h->writer_pid.store(pid, std::memory_order_relaxed);
		h->writer_start_ns.store(start_ns, std::memory_order_relaxed);
		h->writers.fetch_add(1, std::memory_order_relaxed);
		h->writer_state.store(uint64_t(WriterState::running), std::memory_order_release);
	}
	c.state.store(uint64_t(WriterState::running), std::memory_order_release);
}

void DaemonStores::heartbeat(int64_t now_ns) { control_->heartbeat_ns.store(now_ns, std::memory_order_relaxed); }

void DaemonStores::mark_stopped(int64_t now_ns) {
	for (StoreHeader* h : headers()) {
		h->writer_state.store(uint64_t(WriterState::stopped), std::memory_order_release);
	}
	control_->stop_ns.store(now_ns, std::memory_order_relaxed);
	control_->state.store(uint64_t(WriterState::stopped), std::memory_order_release);
}

std::unique_ptr<AttachedStores> AttachedStores::attach(const std::string& dir, std::string* error) {
	std::unique_ptr<AttachedStores> s(new AttachedStores());
	if (!map_store_readonly(dir, kControlFileName, kControlBytes, &s->control_region_, error)) {
		return nullptr;
	}
	const StoreIdentity control_id = identity(StoreKind::control, kControlTable, control_hash(), "", "");
	if (!check_store_header(s->control_region_.data(), s->control_region_.size(), control_id, error)) {
		return nullptr;
	}
	if (s->control_region_.size() != kControlBytes) {
		*error = std::string(kControlFileName) + ": not a control region of this format";
		return nullptr;
	}
	s->control_ = reinterpret_cast<const ControlBlock*>(s->control_region_.data() + kStoreHeaderBytes);
	s->store_id_ = store_identity_of(*reinterpret_cast<const StoreHeader*>(s->control_region_.data())).store_id;
	struct stat st{};
	if (stat((dir + "/" + kControlFileName).c_str(), &st) == 0) {
		s->control_dev_ = st.st_dev;
		s->control_ino_ = st.st_ino;
	}
	const std::string theirs = s->daemon_version();
	if (theirs != PROCSQL_VERSION) {
		*error = "procsqld runs procsql " + (theirs.empty() ? std::string("(unknown)") : theirs) +
		         " and this is procsql " + PROCSQL_VERSION + ": the versions must match to attach";
		return nullptr;
	}
	const uint64_t max_bytes = uint64_t(1) << 44;
	auto attach_events = [&](const char* table, uint64_t hash, auto* out) -> bool {
		Region region;
		if (!map_store_readonly(dir, store_file_name(table), max_bytes, &region, error)) {
			return false;
		}
		using Store = typename std::remove_const<typename std::remove_reference<decltype(**out)>::type>::type;
		*out = Store::attach(std::move(region), identity(StoreKind::events, table, hash, s->store_id_, ""), error);
		return *out != nullptr;
	};
	if (!attach_events("process_events", exec_hash(), &s->exec_) ||
	    !attach_events("clone_events", clone_hash(), &s->clone_) ||
	    !attach_events("process_exits", exit_hash(), &s->exit_) ||
	    !attach_events("exec_failures", failure_hash(), &s->failure_)) {
		return nullptr;
	}
	for (int i = 0; i < kPublishedCount; i++) {
		Region region;
		if (!map_store_readonly(dir, store_file_name(kPublishedTable[i]), max_bytes, &region, error)) {
			return nullptr;
		}
		s->published_[i] = SnapshotStore::attach(
		    std::move(region), identity(StoreKind::snapshot, kPublishedTable[i], published_hash(i), s->store_id_, ""),
		    error);
		if (!s->published_[i]) {
			return nullptr;
		}
	}
	return s;
}

bool AttachedStores::daemon_started(const std::string& dir) {
	Region region;
	std::string ignored;
	const StoreIdentity control_id = identity(StoreKind::control, kControlTable, control_hash(), "", "");
	if (!map_store_readonly(dir, kControlFileName, kControlBytes, &region, &ignored) ||
	    region.size() != kControlBytes || !check_store_header(region.data(), region.size(), control_id, &ignored)) {
		return false;
	}
	const auto* c = reinterpret_cast<const ControlBlock*>(region.data() + kStoreHeaderBytes);
	return c->state.load(std::memory_order_acquire) == uint64_t(WriterState::running);
}

std::string AttachedStores::settings() const {
	const uint64_t n = std::min<uint64_t>(control_->settings_len, sizeof(control_->settings));
	return std::string(control_->settings, n);
}

std::string AttachedStores::daemon_version() const {
	return text_of(control_->daemon_version, sizeof(control_->daemon_version));
}

std::string AttachedStores::backend() const { return text_of(control_->backend, sizeof(control_->backend)); }

bool AttachedStores::superseded(const std::string& dir) const {
	struct stat st{};
	if (stat((dir + "/" + kControlFileName).c_str(), &st) != 0) {
		return false; // gone for now (being set aside): keep reading what is mapped
	}
	return st.st_dev != control_dev_ || st.st_ino != control_ino_;
}

} // namespace procsql
