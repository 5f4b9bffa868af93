#include "sources/bpf/syscall_recorder.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "containers/container_map.h"
#include "event_abi.h"
#include "syscalls/syscall_names.h"

namespace procsql {

namespace {

// A cgroup the container map still does not know this long after the kernel
// began watching it is not a container's (its mkdir record was lost).
constexpr int64_t kUnknownCgroupNs = 60'000'000'000;

} // namespace

SyscallRecorder::~SyscallRecorder() { detach(); }

bool SyscallRecorder::attach(std::string* error) {
	// mkdir and exec first: a cgroup made from here on is watched by the
	// kernel itself, so none falls between the containers entered below
	// and the recording.
	for (bpf_program* prog : {p_.mkdir, p_.exec, p_.enter}) {
		bpf_link* link = bpf_program__attach(prog);
		if (!link) {
			const int err = errno;
			detach();
			*error = std::string("cannot attach the syscall recorder (") + bpf_program__name(prog) +
			         "): " + std::strerror(err);
			return false;
		}
		links_.push_back(link);
	}
	return true;
}

void SyscallRecorder::detach() {
	for (bpf_link* link : links_) {
		bpf_link__destroy(link);
	}
	links_.clear();
}

void SyscallRecorder::detach_for_fork() {
	for (bpf_link* link : links_) {
		close(bpf_link__fd(link));
	}
	links_.clear(); // leaked on purpose: the parent's links
}

void SyscallRecorder::watch(uint64_t cgroup_id, uint32_t state, bool replace) {
	// The pre-filter's slot first: the kernel looks at the watch map only
	// where it is set.
	const uint32_t slot = uint32_t(cgroup_id) & (PROCSQL_SC_FILTER_SLOTS - 1);
	const uint8_t one = 1;
	bpf_map_update_elem(bpf_map__fd(p_.filter), &slot, &one, BPF_ANY);
	// Without replace, a cgroup the kernel already watches keeps its state
	// (WAIT_EXEC until its first exec).
	if (bpf_map_update_elem(bpf_map__fd(p_.watch), &cgroup_id, &state, replace ? BPF_ANY : BPF_NOEXIST) != 0 &&
	    errno != EEXIST) {
		watch_full_++; // the map is full: this cgroup is not recorded
	}
}

void SyscallRecorder::clear_filter() {
	// Nothing is attached now: every slot back to 0, in one call.
	const uint32_t n = bpf_map__max_entries(p_.filter);
	std::vector<uint32_t> keys(n);
	std::vector<uint8_t> zeros(n, 0);
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = i;
	}
	uint32_t count = n;
	if (bpf_map_update_batch(bpf_map__fd(p_.filter), keys.data(), zeros.data(), &count, nullptr) != 0) {
		for (uint32_t i = 0; i < n; i++) { // kernels without batch operations on arrays
			bpf_map_update_elem(bpf_map__fd(p_.filter), &keys[i], &zeros[i], BPF_ANY);
		}
	}
}

void SyscallRecorder::unwatch(uint64_t cgroup_id) { bpf_map_delete_elem(bpf_map__fd(p_.watch), &cgroup_id); }

void SyscallRecorder::forget_counts(const std::unordered_set<uint64_t>& cgroups) {
	if (cgroups.empty()) {
		return;
	}
	const int fd = bpf_map__fd(p_.usage);
	std::vector<procsql_sc_key> doomed;
	procsql_sc_key key{}, next{};
	const procsql_sc_key* prev = nullptr;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (cgroups.count(next.cgroup_id)) {
			doomed.push_back(next);
		}
		key = next;
		prev = &key;
	}
	for (const procsql_sc_key& k : doomed) {
		bpf_map_delete_elem(fd, &k);
	}
}

bool SyscallRecorder::select(const SyscallSelection& s, std::string* error) {
	std::lock_guard<std::mutex> lock(mu_);
	const int watch_fd = bpf_map__fd(p_.watch);
	if (s.empty()) {
		detach();
		// Nothing watched any more; what was recorded stays readable.
		std::vector<uint64_t> all;
		uint64_t key = 0, next = 0;
		const uint64_t* prev = nullptr;
		while (bpf_map_get_next_key(watch_fd, prev, &next) == 0) {
			all.push_back(next);
			key = next;
			prev = &key;
		}
		for (uint64_t cg : all) {
			bpf_map_delete_elem(watch_fd, &cg);
		}
		clear_filter();
		std::unordered_set<uint64_t> undecided;
		for (const auto& u : undecided_) {
			if (!chosen_.count(u.first)) {
				undecided.insert(u.first);
			}
		}
		forget_counts(undecided);
		undecided_.clear();
		selection_ = s;
		return true;
	}
	if (links_.empty() && !attach(error)) {
		return false;
	}
	const int64_t now = BootClock::now_unix_ns();
	// Containers that run already: recorded from now on.
	std::unordered_set<uint64_t> now_chosen;
	for (const ContainerEntry& e : containers_.containers(now)) {
		if (e.removed_time == 0 && s.chooses(e.container_id)) {
			watch(e.cgroup_id, PROCSQL_SC_RECORD, false);
			chosen_.insert(e.cgroup_id);
			now_chosen.insert(e.cgroup_id);
		}
	}
	// Chosen before, not any more: stop recording them (their counts stay).
	for (uint64_t cg : chosen_) {
		if (!now_chosen.count(cg) && !undecided_.count(cg)) {
			std::string id;
			bool may_change = false;
			if (!containers_.container_if_settled(cg, now, &id, &may_change) || !s.chooses(id)) {
				unwatch(cg);
			}
		}
	}
	selection_ = s;
	return true;
}

void SyscallRecorder::on_mkdir(uint64_t cgroup_id) {
	std::lock_guard<std::mutex> lock(mu_);
	if (!links_.empty()) {
		undecided_.emplace(cgroup_id, BootClock::now_unix_ns());
	}
}

void SyscallRecorder::on_rmdir(uint64_t cgroup_id, int64_t time_ns) {
	std::lock_guard<std::mutex> lock(mu_);
	unwatch(cgroup_id); // no task can run in it any more
	if (chosen_.count(cgroup_id)) {
		removed_[cgroup_id] = time_ns;
	}
}

void SyscallRecorder::tick() {
	std::lock_guard<std::mutex> lock(mu_);
	if (undecided_.empty() && removed_.empty()) {
		return;
	}
	const int64_t now = BootClock::now_unix_ns();
	std::unordered_set<uint64_t> drop;
	for (auto it = undecided_.begin(); it != undecided_.end();) {
		const uint64_t cg = it->first;
		std::string id;
		bool may_change = false;
		if (!containers_.container_if_settled(cg, now, &id, &may_change)) {
			may_change = now - it->second < kUnknownCgroupNs;
		}
		if (selection_.chooses(id)) {
			watch(cg, PROCSQL_SC_RECORD, false); // made just before recording began: not watched yet
			chosen_.insert(cg);
		} else if (may_change && !removed_.count(cg)) {
			++it;
			continue;
		} else {
			// The host's, or a container not asked for: neither watched nor shown.
			unwatch(cg);
			drop.insert(cg);
			rejected_++;
		}
		it = undecided_.erase(it);
	}
	for (auto it = removed_.begin(); it != removed_.end();) {
		if (now - it->second >= grace_ns_) {
			drop.insert(it->first);
			chosen_.erase(it->first);
			forgotten_++;
			it = removed_.erase(it);
		} else {
			++it;
		}
	}
	forget_counts(drop);
}

bool SyscallRecorder::read(std::vector<SyscallUsageRow>* out, std::string* error) {
	std::lock_guard<std::mutex> lock(mu_);
	out->clear();
	if (chosen_.empty()) {
		return true;
	}
	const int fd = bpf_map__fd(p_.usage);
	const int64_t now = BootClock::now_unix_ns();
	std::unordered_map<uint64_t, std::string> ids;
	procsql_sc_key key{}, next{};
	const procsql_sc_key* prev = nullptr;
	int err = 0;
	while ((err = bpf_map_get_next_key(fd, prev, &next)) == 0) {
		key = next;
		prev = &key;
		if (!chosen_.count(key.cgroup_id)) {
			continue;
		}
		procsql_sc_usage u{};
		if (bpf_map_lookup_elem(fd, &key, &u) != 0) {
			continue; // deleted meanwhile
		}
		auto id = ids.find(key.cgroup_id);
		if (id == ids.end()) {
			id = ids.emplace(key.cgroup_id, containers_.container_of(key.cgroup_id, now)).first;
		}
		SyscallUsageRow row;
		row.cgroup_id = key.cgroup_id;
		row.container_id = id->second;
		row.nr = key.nr;
		const char* arch = syscall_abi_name(key.arch);
		row.arch = arch ? arch : "";
		row.syscall = syscall_name(key.arch, key.nr);
		row.count = u.count;
		row.first_time = clock_.to_unix_ns(u.first_ns);
		row.last_time = clock_.to_unix_ns(u.last_ns);
		out->push_back(std::move(row));
	}
	if (err != -ENOENT) {
		*error = std::string("cannot read the syscall counts: ") + std::strerror(-err);
		return false;
	}
	return true;
}

void SyscallRecorder::append_stats(std::vector<StatRow>* rows) const {
	std::lock_guard<std::mutex> lock(mu_);
	append_text_stat(rows, "syscall_usage.recording", selection_.text());
	append_integer_stat(rows, "syscall_usage.attached", links_.empty() ? 0 : 1);
	append_integer_stat(rows, "syscall_usage.cgroups_chosen", chosen_.size());
	append_integer_stat(rows, "syscall_usage.cgroups_undecided", undecided_.size());
	append_integer_stat(rows, "syscall_usage.cgroups_rejected", rejected_);
	append_integer_stat(rows, "syscall_usage.cgroups_expired", forgotten_);
}

} // namespace procsql
