#include "sources/bpf/process_records.h"

#include <cstring>

#include "event_abi.h"

namespace procsql {

bool decode_process_records(const char* data, size_t size, const BootClock& clock,
                            std::vector<LiveProcess>* out, std::string* why) {
	size_t at = 0;
	while (at < size) {
		procsql_process_record r;
		if (size - at < sizeof(r)) {
			*why = "process record shorter than its header";
			return false;
		}
		std::memcpy(&r, data + at, sizeof(r));
		const size_t strings = size_t(r.path_len) + r.cwd_len + r.tty_len;
		if (r.kind != PROCSQL_EVENT_PROCESS || r.size != sizeof(r) + strings || r.size > size - at ||
		    r.tty_len >= PROCSQL_TTY_MAX) {
			*why = "process record lengths do not add up";
			return false;
		}
		LiveProcess p;
		p.pid = int32_t(r.pid);
		p.parent = int32_t(r.ppid);
		p.uid = r.uid;
		p.start_time = clock.to_unix_ns(r.start_boot_ns);
		p.cgroup_id = r.cgroup_id;
		p.has_path = r.flags & PROCSQL_EXEC_HAS_PARENT_PATH;
		p.has_cwd = r.flags & PROCSQL_EXEC_HAS_CWD;
		p.has_tty = r.flags & PROCSQL_EXEC_HAS_TTY;
		p.path_truncated = r.flags & (PROCSQL_EXEC_PATH_TRUNCATED | PROCSQL_EXEC_CWD_TRUNCATED);
		p.has_privileges = true;
		p.cap_effective = r.cap_effective;
		p.cap_permitted = r.cap_permitted;
		p.cap_ambient = r.cap_ambient;
		p.cap_bounding = r.cap_bounding;
		// A kernel without seccomp (PROCSQL_EXEC_NO_SECCOMP) reads 0: disabled.
		p.seccomp = r.seccomp_mode;
		p.no_new_privs = r.no_new_privs;
		const char* s = data + at + sizeof(r);
		p.path.assign(s, r.path_len);
		p.cwd.assign(s + r.path_len, r.cwd_len);
		p.tty.assign(s + r.path_len + r.cwd_len, r.tty_len);
		out->push_back(std::move(p));
		at += r.size;
	}
	return true;
}

} // namespace procsql
