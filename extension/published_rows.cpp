#include "published_rows.h"

#include <algorithm>

#include "store/row_codec.h"

namespace procsql {

namespace {

// Rows announced by a header are reserved only up to what the payload could
// hold (every row has at least one 8-byte field): no wild allocation.
template <class T>
void reserve_for(std::vector<T>* v, uint64_t rows, const std::string& payload) {
	v->reserve(size_t(std::min<uint64_t>(rows, payload.size() / 8)));
}

bool damaged(const char* what, std::string* error) {
	*error = std::string("the published ") + what + " snapshot does not decode (damaged)";
	return false;
}

uint64_t flags(const LiveProcess& p) {
	return (p.has_path ? 1 : 0) | (p.has_cwd ? 2 : 0) | (p.has_tty ? 4 : 0) | (p.path_truncated ? 8 : 0) |
	       (p.has_privileges ? 16 : 0);
}

} // namespace

std::string encode_processes(const std::vector<LiveProcess>& processes, const std::vector<std::string>& containers) {
	RowWriter w;
	for (size_t i = 0; i < processes.size(); i++) {
		const LiveProcess& p = processes[i];
		w.i64(p.pid);
		w.i64(p.parent);
		w.u64(p.uid);
		w.i64(p.start_time);
		w.u64(p.cgroup_id);
		w.u64(flags(p));
		w.u64(p.cap_effective);
		w.u64(p.cap_permitted);
		w.u64(p.cap_ambient);
		w.u64(p.cap_bounding);
		w.u64(uint64_t(p.seccomp) | uint64_t(p.no_new_privs) << 8);
		w.str(p.path);
		w.str(p.cwd);
		w.str(p.tty);
		w.str(p.argv);
		w.str(i < containers.size() ? containers[i] : std::string());
	}
	return w.bytes();
}

bool decode_processes(const std::string& payload, uint64_t rows, std::vector<LiveProcess>* processes,
                      std::vector<std::string>* containers, std::string* error) {
	RowReader r(payload);
	processes->clear();
	containers->clear();
	reserve_for(processes, rows, payload);
	for (uint64_t i = 0; i < rows; i++) {
		LiveProcess p;
		int64_t pid = 0, parent = 0;
		uint64_t uid = 0, f = 0, modes = 0;
		std::string container;
		if (!r.i64(&pid) || !r.i64(&parent) || !r.u64(&uid) || !r.i64(&p.start_time) || !r.u64(&p.cgroup_id) ||
		    !r.u64(&f) || !r.u64(&p.cap_effective) || !r.u64(&p.cap_permitted) || !r.u64(&p.cap_ambient) ||
		    !r.u64(&p.cap_bounding) || !r.u64(&modes) || !r.str(&p.path) || !r.str(&p.cwd) || !r.str(&p.tty) || !r.str(&p.argv) ||
		    !r.str(&container)) {
			return damaged("processes", error);
		}
		p.pid = int32_t(pid);
		p.parent = int32_t(parent);
		p.uid = uint32_t(uid);
		p.has_path = f & 1;
		p.has_cwd = f & 2;
		p.has_tty = f & 4;
		p.path_truncated = f & 8;
		p.has_privileges = f & 16;
		p.seccomp = uint8_t(modes);
		p.no_new_privs = uint8_t(modes >> 8);
		processes->push_back(std::move(p));
		containers->push_back(std::move(container));
	}
	return r.left() == 0 || damaged("processes", error);
}

std::string encode_containers(const std::vector<ContainerEntry>& entries) {
	RowWriter w;
	for (const ContainerEntry& e : entries) {
		w.u64(e.cgroup_id);
		w.str(e.cgroup_path);
		w.str(e.container_id);
		w.str(e.runtime);
		w.str(e.container_name);
		w.str(e.image);
		w.str(e.pod_uid);
		w.str(e.pod_name);
		w.str(e.pod_namespace);
		w.i64(e.created_time);
		w.i64(e.removed_time);
		w.u64(e.path_truncated ? 1 : 0);
	}
	return w.bytes();
}

bool decode_containers(const std::string& payload, uint64_t rows, std::vector<ContainerEntry>* out,
                       std::string* error) {
	RowReader r(payload);
	out->clear();
	reserve_for(out, rows, payload);
	for (uint64_t i = 0; i < rows; i++) {
		ContainerEntry e;
		uint64_t cut = 0;
		if (!r.u64(&e.cgroup_id) || !r.str(&e.cgroup_path) || !r.str(&e.container_id) || !r.str(&e.runtime) ||
		    !r.str(&e.container_name) || !r.str(&e.image) || !r.str(&e.pod_uid) || !r.str(&e.pod_name) ||
		    !r.str(&e.pod_namespace) || !r.i64(&e.created_time) || !r.i64(&e.removed_time) || !r.u64(&cut)) {
			return damaged("container_map", error);
		}
		e.path_truncated = cut != 0;
		out->push_back(std::move(e));
	}
	return r.left() == 0 || damaged("container_map", error);
}

std::string encode_stats(const std::vector<StatRow>& rows) {
	RowWriter w;
	for (const StatRow& s : rows) {
		w.str(s.name);
		w.u64(s.is_text ? 1 : 0);
		w.i64(s.integer);
		w.str(s.text);
	}
	return w.bytes();
}

bool decode_stats(const std::string& payload, uint64_t rows, std::vector<StatRow>* out, std::string* error) {
	RowReader r(payload);
	out->clear();
	reserve_for(out, rows, payload);
	for (uint64_t i = 0; i < rows; i++) {
		StatRow s;
		uint64_t is_text = 0;
		if (!r.str(&s.name) || !r.u64(&is_text) || !r.i64(&s.integer) || !r.str(&s.text)) {
			return damaged("procsql_stats", error);
		}
		s.is_text = is_text != 0;
		out->push_back(std::move(s));
	}
	return r.left() == 0 || damaged("procsql_stats", error);
}

std::string encode_syscall_usage(const std::vector<SyscallUsageRow>& rows) {
	RowWriter w;
	for (const SyscallUsageRow& r : rows) {
		w.u64(r.cgroup_id);
		w.str(r.container_id);
		w.str(r.syscall);
		w.str(r.arch);
		w.u64(r.nr);
		w.u64(r.count);
		w.i64(r.first_time);
		w.i64(r.last_time);
	}
	return w.bytes();
}

bool decode_syscall_usage(const std::string& payload, uint64_t rows, std::vector<SyscallUsageRow>* out,
                          std::string* error) {
	RowReader r(payload);
	out->clear();
	reserve_for(out, rows, payload);
	for (uint64_t i = 0; i < rows; i++) {
		SyscallUsageRow row;
		uint64_t nr = 0;
		if (!r.u64(&row.cgroup_id) || !r.str(&row.container_id) || !r.str(&row.syscall) || !r.str(&row.arch) ||
		    !r.u64(&nr) || !r.u64(&row.count) || !r.i64(&row.first_time) || !r.i64(&row.last_time)) {
			return damaged("syscall_usage", error);
		}
		row.nr = uint32_t(nr);
		out->push_back(std::move(row));
	}
	return true;
}

} // namespace procsql
