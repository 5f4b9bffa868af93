// Configuration read from the environment when the collector starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "syscalls/syscall_selection.h"

namespace procsql {

enum class BackendChoice { automatic, bpf, audit };

// Where process_exits.path comes from (PROCSQL_BPF_EXE_MEMO). automatic: read
// at exit where the kernel still has the mm there (6.16+), else remembered at
// exec and fork in task storage (5.13+) or a hash by thread group (5.10).
// task_storage / hash force remembering, as an older kernel would, to test it.
enum class ExeMemoChoice { automatic, task_storage, hash };

// Where a process's tables come from (PROCSQL_MODE). automatic: a running
// procsqld's stores when there is one, else a collector of its own.
enum class ModeChoice { automatic, attach, embedded };

const char* backend_choice_name(BackendChoice choice);
const char* exe_memo_choice_name(ExeMemoChoice choice);
const char* mode_choice_name(ModeChoice choice);

struct Config {
	BackendChoice backend = BackendChoice::automatic; // PROCSQL_BACKEND
	uint64_t capacity = 100000;                       // PROCSQL_CAPACITY, rows per table
	uint64_t arena_bytes = 32ull << 20;               // PROCSQL_ARENA_BYTES, per table
	uint32_t argv_bytes = 16384;                      // PROCSQL_ARGV_BYTES
	// PROCSQL_ENV: the environment variables process_events.env keeps, by name
	// (comma-separated in the variable; empty: none, env is NULL).
	std::vector<std::string> env_names = default_env_names();
	uint32_t env_bytes = 32768;                       // PROCSQL_ENV_BYTES: environment looked at
	uint64_t ringbuf_bytes = 16ull << 20;             // PROCSQL_RINGBUF_BYTES
	bool bpf_no_loop = false;                         // PROCSQL_BPF_NO_LOOP=1
	ExeMemoChoice exe_memo = ExeMemoChoice::automatic; // PROCSQL_BPF_EXE_MEMO
	bool threads = false;                             // PROCSQL_THREADS=1: thread rows in clone_events
	uint64_t container_grace_s = 3600;                // PROCSQL_CONTAINER_GRACE: removed containers kept
	// PROCSQL_RUNC_ROOTS: runc --root dirs, ':'-separated: runc's own, and those
	// containerd (per namespace) and Docker run runc with.
	std::string runc_roots =
	    "/run/runc:/run/containerd/runc/k8s.io:/run/containerd/runc/default:/run/docker/runtime-runc/moby";
	// PROCSQL_DOCKER_ROOT: dockerd's --data-root, whose containers/<id>/
	// config.v2.json give container_map its names and images.
	std::string docker_root = "/var/lib/docker";
	bool debug = false;                               // PROCSQL_DEBUG=1
	ModeChoice mode = ModeChoice::automatic;          // PROCSQL_MODE
	std::string state_dir = "/run/procsql";           // PROCSQL_STATE_DIR: procsqld's stores
	std::string group;                                // PROCSQL_GROUP: procsqld's files readable to it
	SyscallSelection syscalls;                        // PROCSQL_SYSCALLS: what syscall_usage records
	// Not a variable: procsqld's collector, whose selection `procsql record`
	// changes at run time (its kernel maps are sized for it from the start).
	bool syscall_control = false;

	// The names PROCSQL_ENV has when unset: variables that inject code or
	// redirect a program (loader, interpreters, shells) and say where a
	// session came from.
	static std::vector<std::string> default_env_names();
	// env_names joined by commas, as PROCSQL_ENV spells them.
	std::string env_text() const;

	// Reads every PROCSQL_* setting (settings::lookup: code, then the
	// environment). On a bad value returns false with a one-line message
	// that names the variable and the accepted range.
	static bool from_env(Config* out, std::string* error);
};

// Parses "123", "64K", "16M", "1G" (binary multiples). Exposed for tests.
bool parse_size(const std::string& text, uint64_t* out);

// Settings a host made in code (procsql_config_set): each overrides the
// environment variable of the same name. Process-wide and thread-safe.
// Whether one may change now (not while a collector runs) is the caller's
// to decide; these only keep them.
namespace settings {
// The value of PROCSQL_X: the one set in code, else the environment's;
// false when neither has one.
bool lookup(const std::string& name, std::string* value);
// Sets (value non-null) or clears (null) the override of `name` after
// checking it as Config::from_env would, with the others as they are now;
// false with the same one-line message when `name` is no PROCSQL_*
// variable or the value is refused (nothing changes then).
bool set(const std::string& name, const char* value, std::string* error);
// Every PROCSQL_* name the configuration reads.
const char* const* names(size_t* count);
} // namespace settings

} // namespace procsql
