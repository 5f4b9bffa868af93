// Decoded clone_events and process_exits rows, the same for every source.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/event_store.h"

namespace procsql {

struct CloneRow {
	int64_t time_ns;
	int64_t child_start_time; // Unix ns; valid with kLifecycleHasChild
	uint64_t flags;
	uint64_t cgroup_id;
	int32_t pid, tid;
	uint32_t uid;
	int32_t child_pid, child_tid;
	int32_t result;
	uint32_t mnt_ns, pid_ns;
	int32_t syscall;   // CloneSyscall
	uint32_t new_ns;   // bit (1 << kind) per namespace kind, kinds as kNamespaceNames
	uint32_t row_flags; // LifecycleFlag
	uint32_t reserved;
	char comm[16];
};
static_assert(sizeof(CloneRow) % 8 == 0, "the store copies rows in 8-byte words");

struct ExitRow {
	int64_t time_ns;
	int64_t start_time;
	uint64_t cgroup_id;
	int32_t pid;
	uint32_t status;    // as wait(2) reports it
	uint32_t row_flags; // LifecycleFlag
	uint32_t reserved;
	char comm[16];
};
static_assert(sizeof(ExitRow) % 8 == 0, "the store copies rows in 8-byte words");

enum LifecycleFlag : uint32_t {
	kLifecycleHasChild = 1u << 0,
	kLifecycleHasPath = 1u << 1,
	kLifecyclePathTruncated = 1u << 2,
	// What a source could not know (the audit backend): the columns read NULL.
	kLifecycleNoTid = 1u << 3,
	kLifecycleNoFlags = 1u << 4,      // flags, flags_text
	kLifecycleNoNamespaces = 1u << 5, // new_namespaces
	kLifecycleNoProcInfo = 1u << 6,   // cgroup_id, mnt_ns, pid_ns
	kLifecycleNoStartTime = 1u << 7,  // start_time (exits), child_start_time (clones)
};

enum class CloneSyscall : int32_t { none = 0, clone, clone3, fork, vfork, unshare, setns };

inline const char* clone_syscall_name(CloneSyscall s) {
	switch (s) {
	case CloneSyscall::clone: return "clone";
	case CloneSyscall::clone3: return "clone3";
	case CloneSyscall::fork: return "fork";
	case CloneSyscall::vfork: return "vfork";
	case CloneSyscall::unshare: return "unshare";
	case CloneSyscall::setns: return "setns";
	case CloneSyscall::none: break;
	}
	return nullptr;
}

// Namespace kinds in the order new_namespaces lists them.
constexpr std::array<const char*, 8> kNamespaceNames = {"mnt", "uts", "ipc", "user", "pid", "net", "cgroup", "time"};

// "CLONE_NEWNS|CLONE_NEWPID": the clone flag names of `flags`, in bit order;
// bits without a name as one trailing hex number; '' for 0.
std::string clone_flags_text(uint64_t flags);
// "mnt,pid,net" for a new_ns mask; '' for 0.
std::string namespaces_text(uint32_t new_ns);

enum CloneString : size_t { kClonePath, kCloneContainerId, kCloneStringCount };
enum ExitString : size_t { kExitPath, kExitContainerId, kExitStringCount };

using CloneStore = EventStore<CloneRow, kCloneStringCount>;
using ExitStore = EventStore<ExitRow, kExitStringCount>;

} // namespace procsql
