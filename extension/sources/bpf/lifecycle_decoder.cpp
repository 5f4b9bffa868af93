#include "sources/bpf/lifecycle_decoder.h"

#include <cstdio>
#include <cstring>

#include "event_abi.h"

namespace procsql {

static_assert(sizeof(procsql_clone_event) % 8 == 0, "kernel ABI header must stay 8-byte aligned");
static_assert(sizeof(procsql_exit_event) % 8 == 0, "kernel ABI header must stay 8-byte aligned");

namespace {

struct FlagName {
	uint64_t bit;
	const char* name;
};
// <linux/sched.h>; CLONE_NEWTIME shares the exit-signal byte, which clone3,
// unshare and task_newtask's flags never hold.
const FlagName kCloneFlags[] = {
    {0x00000080ULL, "CLONE_NEWTIME"},        {0x00000100ULL, "CLONE_VM"},
    {0x00000200ULL, "CLONE_FS"},             {0x00000400ULL, "CLONE_FILES"},
    {0x00000800ULL, "CLONE_SIGHAND"},        {0x00001000ULL, "CLONE_PIDFD"},
    {0x00002000ULL, "CLONE_PTRACE"},         {0x00004000ULL, "CLONE_VFORK"},
    {0x00008000ULL, "CLONE_PARENT"},         {0x00010000ULL, "CLONE_THREAD"},
    {0x00020000ULL, "CLONE_NEWNS"},          {0x00040000ULL, "CLONE_SYSVSEM"},
    {0x00080000ULL, "CLONE_SETTLS"},         {0x00100000ULL, "CLONE_PARENT_SETTID"},
    {0x00200000ULL, "CLONE_CHILD_CLEARTID"}, {0x00400000ULL, "CLONE_DETACHED"},
    {0x00800000ULL, "CLONE_UNTRACED"},       {0x01000000ULL, "CLONE_CHILD_SETTID"},
    {0x02000000ULL, "CLONE_NEWCGROUP"},      {0x04000000ULL, "CLONE_NEWUTS"},
    {0x08000000ULL, "CLONE_NEWIPC"},         {0x10000000ULL, "CLONE_NEWUSER"},
    {0x20000000ULL, "CLONE_NEWPID"},         {0x40000000ULL, "CLONE_NEWNET"},
    {0x80000000ULL, "CLONE_IO"},             {0x100000000ULL, "CLONE_CLEAR_SIGHAND"},
    {0x200000000ULL, "CLONE_INTO_CGROUP"},
};

} // namespace

std::string clone_flags_text(uint64_t flags) {
	std::string out;
	uint64_t rest = flags;
	for (const FlagName& f : kCloneFlags) {
		if (flags & f.bit) {
			if (!out.empty()) out += "|";
			out += f.name;
			rest &= ~f.bit;
		}
	}
	if (rest) {
		char hex[24];
		std::snprintf(hex, sizeof(hex), "0x%llx", static_cast<unsigned long long>(rest));
		if (!out.empty()) out += "|";
		out += hex;
	}
	return out;
}

std::string namespaces_text(uint32_t new_ns) {
	std::string out;
	for (size_t i = 0; i < kNamespaceNames.size(); i++) {
		if (new_ns & (1u << i)) {
			if (!out.empty()) out += ",";
			out += kNamespaceNames[i];
		}
	}
	return out;
}

namespace {

uint32_t lifecycle_flags(uint32_t lc) {
	uint32_t f = 0;
	if (lc & PROCSQL_LC_HAS_CHILD) f |= kLifecycleHasChild;
	if (lc & PROCSQL_LC_HAS_PATH) f |= kLifecycleHasPath;
	if (lc & PROCSQL_LC_PATH_TRUNCATED) f |= kLifecyclePathTruncated;
	return f;
}

} // namespace

bool decode_clone_record(const void* data, size_t size, const BootClock& clock, CloneDecodeResult* out,
                         std::string* why) {
	procsql_clone_event ev;
	if (size < sizeof(ev)) {
		*why = "clone record shorter than its header";
		return false;
	}
	std::memcpy(&ev, data, sizeof(ev));
	if (ev.kind != PROCSQL_EVENT_CLONE || ev.size != size || sizeof(ev) + ev.path_len != size ||
	    ev.path_len > PROCSQL_PATH_MAX + 16) {
		*why = "clone record lengths do not add up";
		return false;
	}
	if (ev.syscall > PROCSQL_CALL_SETNS) {
		*why = "clone record names an unknown syscall";
		return false;
	}
	CloneRow& r = out->row;
	r = CloneRow{};
	r.time_ns = clock.to_unix_ns(ev.ktime_boot_ns);
	r.flags = ev.flags;
	r.cgroup_id = ev.cgroup_id;
	r.pid = int32_t(ev.pid);
	r.tid = int32_t(ev.tid);
	r.uid = ev.uid;
	r.result = ev.result;
	r.mnt_ns = ev.mnt_ns;
	r.pid_ns = ev.pid_ns;
	r.syscall = int32_t(ev.syscall);
	r.new_ns = ev.new_ns & 0xff;
	r.row_flags = lifecycle_flags(ev.lc_flags);
	if (r.row_flags & kLifecycleHasChild) {
		r.child_pid = int32_t(ev.child_pid);
		r.child_tid = int32_t(ev.child_tid);
		r.child_start_time = clock.to_unix_ns(ev.child_start_boot_ns);
	}
	std::memcpy(r.comm, ev.comm, sizeof(r.comm));
	r.comm[sizeof(r.comm) - 1] = '\0';
	out->strings[kClonePath] = std::string_view(static_cast<const char*>(data) + sizeof(ev), ev.path_len);
	return true;
}

bool decode_exit_record(const void* data, size_t size, const BootClock& clock, ExitDecodeResult* out,
                        std::string* why) {
	procsql_exit_event ev;
	if (size < sizeof(ev)) {
		*why = "exit record shorter than its header";
		return false;
	}
	std::memcpy(&ev, data, sizeof(ev));
	if (ev.kind != PROCSQL_EVENT_EXIT || ev.size != size || sizeof(ev) + ev.path_len != size ||
	    ev.path_len > PROCSQL_PATH_MAX + 16) {
		*why = "exit record lengths do not add up";
		return false;
	}
	ExitRow& r = out->row;
	r = ExitRow{};
	r.time_ns = clock.to_unix_ns(ev.ktime_boot_ns);
	r.start_time = clock.to_unix_ns(ev.start_boot_ns);
	r.cgroup_id = ev.cgroup_id;
	r.pid = int32_t(ev.pid);
	r.status = ev.status;
	r.row_flags = lifecycle_flags(ev.lc_flags);
	std::memcpy(r.comm, ev.comm, sizeof(r.comm));
	r.comm[sizeof(r.comm) - 1] = '\0';
	out->strings[kExitPath] = std::string_view(static_cast<const char*>(data) + sizeof(ev), ev.path_len);
	return true;
}

} // namespace procsql
