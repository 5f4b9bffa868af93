#include "sources/audit/proc_reader.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace procsql {

namespace {

// Reads and closes fd.
bool read_small_fd(int fd, std::string* out) {
	out->clear();
	char buf[4096];
	for (;;) {
		const ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			close(fd);
			return n == 0;
		}
		out->append(buf, size_t(n));
		if (out->size() > (1u << 20)) { // nothing here is that large
			close(fd);
			return false;
		}
	}
}

// Reads a small /proc file whole (they are generated at read: one read is
// not always enough).
bool read_small(const std::string& path, std::string* out) {
	const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read_small_fd(fd, out);
}

// The same, of `name` in a process's directory (one path walk for them all).
bool read_small_at(int dirfd, const char* name, std::string* out) {
	const int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read_small_fd(fd, out);
}

bool parse_int64(const std::string& s, int64_t* out) {
	if (s.empty()) {
		return false;
	}
	errno = 0;
	char* end = nullptr;
	const long long v = std::strtoll(s.c_str(), &end, 10);
	if (errno != 0 || end == s.c_str() || *end != '\0') {
		return false;
	}
	*out = v;
	return true;
}

// Fields of /proc/PID/stat after the comm, which may itself hold spaces and
// parentheses: everything after the last ')' is space-separated.
bool stat_fields(const std::string& text, std::vector<std::string>* fields) {
	const size_t close = text.rfind(')');
	if (close == std::string::npos) {
		return false;
	}
	fields->clear();
	size_t at = close + 1;
	while (at < text.size()) {
		while (at < text.size() && (text[at] == ' ' || text[at] == '\n')) {
			at++;
		}
		const size_t end = text.find_first_of(" \n", at);
		const size_t stop = end == std::string::npos ? text.size() : end;
		if (stop > at) {
			fields->push_back(text.substr(at, stop - at));
		}
		at = stop;
	}
	return true;
}

// A status value without the tabs and spaces around it.
std::string_view trimmed(std::string_view v) {
	while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
		v.remove_prefix(1);
	}
	while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) {
		v.remove_suffix(1);
	}
	return v;
}

// A capability set as status shows it: 16 hex digits (fewer accepted), no
// sign, no prefix, nothing else.
bool parse_caps(std::string_view v, uint64_t* out) {
	if (v.empty() || v.size() > 16) {
		return false;
	}
	uint64_t value = 0;
	for (char ch : v) {
		int digit;
		if (ch >= '0' && ch <= '9') {
			digit = ch - '0';
		} else if (ch >= 'a' && ch <= 'f') {
			digit = ch - 'a' + 10;
		} else if (ch >= 'A' && ch <= 'F') {
			digit = ch - 'A' + 10;
		} else {
			return false;
		}
		value = value << 4 | uint64_t(digit);
	}
	*out = value;
	return true;
}

// One decimal digit from 0 to `max` ("NoNewPrivs:", "Seccomp:").
bool parse_small(std::string_view v, unsigned max, uint8_t* out) {
	if (v.size() != 1 || v[0] < '0' || unsigned(v[0] - '0') > max) {
		return false;
	}
	*out = uint8_t(v[0] - '0');
	return true;
}

// A decimal number that fits 32 bits unsigned (the first of "Uid:"'s four).
bool parse_u32(std::string_view v, uint32_t* out) {
	if (v.empty() || v.size() > 10) {
		return false;
	}
	uint64_t value = 0;
	for (char ch : v) {
		if (ch < '0' || ch > '9') {
			return false;
		}
		value = value * 10 + uint64_t(ch - '0');
	}
	if (value > UINT32_MAX) {
		return false;
	}
	*out = uint32_t(value);
	return true;
}

} // namespace

ProcReader::ProcReader(std::string cgroup2_root, std::string proc_root)
    : cgroup2_root_(std::move(cgroup2_root)), proc_root_(std::move(proc_root)),
      ticks_per_second_(sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100) {}

// The inode number of a namespace link as readlink shows it ("net:[4026531840]"):
// the same number stat gives, without making the kernel open the namespace
// (stat follows the link to an nsfs inode, several times slower, and the
// process read may be ending).
static uint32_t ns_inode_at(int dirfd, const char* name) {
	char buf[64];
	const ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
	if (n <= 0) {
		return 0;
	}
	buf[n] = '\0';
	const char* open = std::strchr(buf, '[');
	if (!open) {
		return 0;
	}
	char* end = nullptr;
	errno = 0;
	const unsigned long long v = std::strtoull(open + 1, &end, 10);
	if (errno != 0 || end == open + 1 || *end != ']' || v > 0xffffffffULL) {
		return 0;
	}
	return uint32_t(v);
}

// The links of an ns directory (closes fd; -1: unknown).
static Namespaces namespaces_at(int fd) {
	Namespaces n;
	if (fd < 0) {
		return n;
	}
	for (size_t i = 0; i < kProcNamespaceFiles.size(); i++) {
		n.ns[i] = ns_inode_at(fd, kProcNamespaceFiles[i]);
		if (i == 0 && n.ns[0] == 0) {
			// Every kernel has mnt: a process that ended meanwhile (its
			// namespaces go first) has none of the others either.
			close(fd);
			return Namespaces{};
		}
		n.known = n.known || n.ns[i] != 0;
	}
	n.pid_for_children = ns_inode_at(fd, "pid_for_children");
	n.time_for_children = ns_inode_at(fd, "time_for_children");
	close(fd);
	return n;
}

// The parts are read in the order the audit source needs them most from a
// process that may be ending as it is read (cgroup for container
// attribution, then NSpid, then stat, then the namespaces, which an exiting
// process loses first); each is known on its own.
ProcInfo ProcReader::read(int32_t pid, unsigned parts) const {
	ProcInfo info;
	// Most processes the audit source reads are short-lived, and many are
	// gone by now: one failed open says so for every part.
	const int dir = open((proc_root_ + "/" + std::to_string(pid)).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		return info;
	}
	std::string text;
	int64_t v = 0;

	// alive: stat could be read when it was asked for, else any part could.
	bool read_any = false, read_stat = false;
	// cgroup v2: the "0::" line.
	if ((parts & kCgroup) && !cgroup2_root_.empty() && read_small_at(dir, "cgroup", &text)) {
		read_any = true;
		size_t at = 0;
		while (at < text.size()) {
			const size_t nl = text.find('\n', at);
			const std::string line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
			if (line.rfind("0::", 0) == 0) {
				info.cgroup_path = line.substr(3);
				struct stat st {};
				// A cgroup removed meanwhile reads "/path (deleted)": no id then.
				if (stat((cgroup2_root_ + info.cgroup_path).c_str(), &st) == 0) {
					info.cgroup_id = st.st_ino;
					info.has_cgroup = true;
				}
				break;
			}
			if (nl == std::string::npos) {
				break;
			}
			at = nl + 1;
		}
	}

	if ((parts & kStatus) && read_small_at(dir, "status", &text)) {
		read_any = true;
		parse_proc_status(text, &info);
	}

	std::vector<std::string> f;
	// Field numbers are those of proc(5); f[0] is field 3 (state).
	if ((parts & kStat) && read_small_at(dir, "stat", &text) && stat_fields(text, &f) && f.size() >= 20) {
		if (parse_int64(f[1], &v)) {
			info.parent = int32_t(v);
		}
		if (parse_int64(f[4], &v)) {
			info.tty_nr = uint32_t(v);
		}
		if (parse_int64(f[19], &v)) {
			info.start_ticks = uint64_t(v);
		}
		read_stat = true;
	}

	if (parts & kNamespaces) {
		const Namespaces n = namespaces_at(openat(dir, "ns", O_PATH | O_DIRECTORY | O_CLOEXEC));
		read_any = read_any || n.known;
		info.ns = n.ns;
		info.pid_for_children = n.pid_for_children;
		info.time_for_children = n.time_for_children;
		info.has_namespaces = n.known;
	}
	close(dir);
	info.alive = (parts & kStat) ? read_stat : read_any;
	return info;
}

Namespaces ProcReader::namespaces(int32_t pid, int32_t tid) const {
	const std::string dir = proc_root_ + "/" + std::to_string(pid) +
	                        (tid != 0 ? "/task/" + std::to_string(tid) : std::string()) + "/ns";
	return namespaces_at(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
}

bool ProcReader::start_ticks(int32_t pid, uint64_t* out) const {
	std::string text;
	std::vector<std::string> f;
	int64_t v = 0;
	if (!read_small(proc_root_ + "/" + std::to_string(pid) + "/stat", &text) || !stat_fields(text, &f) ||
	    f.size() < 20 || !parse_int64(f[19], &v)) {
		return false;
	}
	*out = uint64_t(v);
	return true;
}

int64_t ProcReader::ticks_to_unix_ns(uint64_t ticks, const BootClock& clock) const {
	const uint64_t per = uint64_t(ticks_per_second_);
	const uint64_t boot_ns = ticks / per * 1000000000ull + ticks % per * (1000000000ull / per);
	return clock.to_unix_ns(boot_ns);
}

bool ProcReader::link(int32_t pid, const char* which, std::string* out) const {
	char buf[4097];
	const std::string path = proc_root_ + "/" + std::to_string(pid) + "/" + which;
	const ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
	if (n <= 0 || size_t(n) >= sizeof(buf)) {
		return false;
	}
	out->assign(buf, size_t(n));
	return true;
}

bool ProcReader::comm(int32_t pid, std::string* out) const {
	if (!read_small(proc_root_ + "/" + std::to_string(pid) + "/comm", out)) {
		return false;
	}
	if (!out->empty() && out->back() == '\n') {
		out->pop_back();
	}
	return true;
}

namespace {
// The positive numbers among a directory's entries (pids in /proc, tids in
// /proc/PID/task); none when it cannot be opened.
std::vector<int32_t> numeric_entries(const std::string& dir) {
	std::vector<int32_t> out;
	DIR* d = opendir(dir.c_str());
	if (!d) {
		return out;
	}
	while (dirent* e = readdir(d)) {
		int64_t v = 0;
		if (parse_int64(e->d_name, &v) && v > 0 && v <= INT32_MAX) {
			out.push_back(int32_t(v));
		}
	}
	closedir(d);
	return out;
}
} // namespace

std::vector<int32_t> ProcReader::pids() const { return numeric_entries(proc_root_); }

std::vector<int32_t> ProcReader::tasks(int32_t pid) const {
	return numeric_entries(proc_root_ + "/" + std::to_string(pid) + "/task");
}

void parse_proc_status(std::string_view text, ProcInfo* info) {
	// Each line "Key:\tvalue"; the first line of a key counts. The six lines
	// of the privileges count only together.
	enum : unsigned { kEff = 1, kPrm = 2, kAmb = 4, kBnd = 8, kNnp = 16, kSeccomp = 32, kAll = 63 };
	unsigned seen = 0, good = 0;
	bool ns_pid_seen = false, uid_seen = false;
	ProcPrivileges p;
	auto caps = [&](unsigned bit, std::string_view v, uint64_t* out) {
		if (!(seen & bit)) {
			seen |= bit;
			good |= parse_caps(v, out) ? bit : 0;
		}
	};
	auto small = [&](unsigned bit, std::string_view v, unsigned max, uint8_t* out) {
		if (!(seen & bit)) {
			seen |= bit;
			good |= parse_small(v, max, out) ? bit : 0;
		}
	};
	size_t at = 0;
	while (at < text.size()) {
		size_t nl = text.find('\n', at);
		if (nl == std::string_view::npos) {
			nl = text.size();
		}
		const std::string_view line = text.substr(at, nl - at);
		at = nl + 1;
		const size_t colon = line.find(':');
		if (colon == std::string_view::npos) {
			continue;
		}
		const std::string_view key = line.substr(0, colon);
		const std::string_view value = trimmed(line.substr(colon + 1));
		if (key == "CapEff") {
			caps(kEff, value, &p.cap_effective);
		} else if (key == "CapPrm") {
			caps(kPrm, value, &p.cap_permitted);
		} else if (key == "CapAmb") {
			caps(kAmb, value, &p.cap_ambient);
		} else if (key == "CapBnd") {
			caps(kBnd, value, &p.cap_bounding);
		} else if (key == "NoNewPrivs") {
			small(kNnp, value, 1, &p.no_new_privs);
		} else if (key == "Seccomp") {
			small(kSeccomp, value, 2, &p.seccomp);
		} else if (key == "NSpid" && !ns_pid_seen) {
			ns_pid_seen = true;
			// The last entry: the pid in the process's own namespace.
			const size_t last = value.find_last_of(" \t");
			int64_t v = 0;
			if (parse_int64(std::string(value.substr(last == std::string_view::npos ? 0 : last + 1)), &v) && v > 0 &&
			    v <= INT32_MAX) {
				info->ns_pid = int32_t(v);
			}
		} else if (key == "Uid" && !uid_seen) {
			uid_seen = true;
			const size_t end = value.find_first_of(" \t");
			if (parse_u32(value.substr(0, end), &info->uid)) {
				info->has_uid = true;
			}
		}
	}
	p.known = good == kAll;
	if (!p.known) {
		p = ProcPrivileges{};
	}
	info->privileges = p;
}

std::string tty_from_device(uint32_t tty_nr) {
	if (tty_nr == 0) {
		return "";
	}
	const unsigned ma = major(tty_nr), mi = minor(tty_nr);
	if (ma >= 136 && ma <= 143) { // Unix98 pty slaves
		return "pts" + std::to_string((ma - 136) * 256 + mi);
	}
	if (ma == 4 && mi < 64) {
		return "tty" + std::to_string(mi);
	}
	if (ma == 4 && mi >= 64) {
		return "ttyS" + std::to_string(mi - 64);
	}
	if (ma == 5 && mi == 1) {
		return "console";
	}
	return "";
}

} // namespace procsql
