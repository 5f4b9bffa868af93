// What /proc tells about one process, for the audit backend: audit records
// carry no cgroup, no namespaces and no start time, so the source reads them
// here as soon as the process-events connector names a new process or exec.
// A process that ended first leaves the fields unknown (never guessed).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clock.h"

namespace procsql {

// Namespace kinds in kNamespaceNames order (lifecycle_event.h).
constexpr std::array<const char*, 8> kProcNamespaceFiles = {"mnt", "uts", "ipc", "user", "pid", "net", "cgroup", "time"};

// A process's namespaces: its own (kProcNamespaceFiles order, inode
// numbers, 0 where unreadable) and, for pid and time, those its children are
// born in, which are what setns and unshare change for those two kinds.
struct Namespaces {
	bool known = false;
	std::array<uint32_t, 8> ns{};
	uint32_t pid_for_children = 0, time_for_children = 0;
	uint32_t for_children(size_t kind) const {
		return kind == 4 ? pid_for_children : kind == 7 ? time_for_children : ns[kind];
	}
};

// What /proc/PID/status says of a process's privileges: its capability sets
// (bit N = capability N), no_new_privs and seccomp mode (0 disabled, 1
// strict, 2 filter). known only when every one of the six lines is there and
// well formed: a part never stands for the whole.
struct ProcPrivileges {
	bool known = false;
	uint64_t cap_effective = 0, cap_permitted = 0, cap_ambient = 0, cap_bounding = 0;
	uint8_t no_new_privs = 0, seccomp = 0;
};

struct ProcInfo {
	// Each part is known on its own (a process may end while it is read).
	bool alive = false;          // a part could be read (stat, when it was asked for)
	uint64_t start_ticks = 0;    // field 22 of /proc/PID/stat: clock ticks after boot
	int32_t parent = 0;
	uint32_t tty_nr = 0;         // field 7: the controlling terminal's device number, 0 none
	bool has_cgroup = false;
	uint64_t cgroup_id = 0;      // inode of the cgroup v2 directory
	std::string cgroup_path;     // below the cgroup v2 root ("/system.slice/...")
	bool has_namespaces = false;
	std::array<uint32_t, 8> ns{}; // namespace inode numbers, 0 where unreadable
	// pid_for_children and time_for_children (0 unreadable): what setns and
	// unshare of CLONE_NEWPID / CLONE_NEWTIME change, the caller's own pid and
	// time namespaces staying as they were.
	uint32_t pid_for_children = 0, time_for_children = 0;
	int32_t ns_pid = 0;          // the last NSpid entry (0 unknown)
	uint32_t uid = 0;            // real uid (status "Uid:")
	bool has_uid = false;
	ProcPrivileges privileges;   // status "CapEff:" ... "Seccomp:"

	Namespaces namespaces() const {
		Namespaces n;
		n.known = alive && has_namespaces;
		n.ns = ns;
		n.pid_for_children = pid_for_children;
		n.time_for_children = time_for_children;
		return n;
	}
};

class ProcReader {
public:
	// `cgroup2_root`: the cgroup v2 mount (empty: no cgroup ids).
	explicit ProcReader(std::string cgroup2_root, std::string proc_root = "/proc");

	// The parts of a process read() reads (each a file or, for the
	// namespaces, a directory of links), all by default. A part left out
	// stays unknown; `alive` says stat could be read, or without stat, any part.
	enum Part : unsigned {
		kCgroup = 1u << 0,     // cgroup_path, cgroup_id
		kStatus = 1u << 1,     // ns_pid, uid, privileges
		kStat = 1u << 2,       // parent, tty_nr, start_ticks
		kNamespaces = 1u << 3, // ns, pid_for_children, time_for_children
		kAllParts = kCgroup | kStatus | kStat | kNamespaces,
	};
	ProcInfo read(int32_t pid, unsigned parts = kAllParts) const;
	// The namespaces alone (known false when the process is gone); of one
	// of its threads when tid is not 0 (namespaces are per thread).
	Namespaces namespaces(int32_t pid, int32_t tid = 0) const;
	// /proc/PID/stat's start time alone (false when the process is gone).
	bool start_ticks(int32_t pid, uint64_t* out) const;
	// Unix ns of a start time in clock ticks (exact to the tick: 10 ms at USER_HZ 100).
	int64_t ticks_to_unix_ns(uint64_t ticks, const BootClock& clock) const;
	// readlink of /proc/PID/{exe,cwd}; false when unreadable (gone, kernel thread).
	bool link(int32_t pid, const char* which, std::string* out) const;
	bool comm(int32_t pid, std::string* out) const;
	// The pids in /proc now.
	std::vector<int32_t> pids() const;
	// The threads (tids) of one process in /proc/PID/task now; empty when gone.
	std::vector<int32_t> tasks(int32_t pid) const;

private:
	std::string cgroup2_root_;
	std::string proc_root_;
	long ticks_per_second_;
};

// The fields of a /proc/PID/status text procsql reads, into *info: ns_pid
// (the last "NSpid:" entry), uid and has_uid ("Uid:", the real uid), and
// privileges ("CapEff:", "CapPrm:", "CapAmb:", "CapBnd:" in hex,
// "NoNewPrivs:" 0/1, "Seccomp:" 0/1/2). A missing or malformed line leaves
// its field unknown.
void parse_proc_status(std::string_view text, ProcInfo* info);

// The kernel's name of a tty_nr ("pts3", "tty1", "ttyS0"), as the eBPF source
// stores it; "" for 0 or a device without a
// well-known name (Documentation/admin-guide/devices.txt majors).
std::string tty_from_device(uint32_t tty_nr);

} // namespace procsql
