#include "config.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include <cstdlib>

#include "event_abi.h"

namespace procsql {

const char* backend_choice_name(BackendChoice choice) {
	switch (choice) {
	case BackendChoice::automatic:
		return "auto";
	case BackendChoice::bpf:
		return "bpf";
	case BackendChoice::audit:
		return "audit";
	}
	return "?";
}

const char* exe_memo_choice_name(ExeMemoChoice choice) {
	switch (choice) {
	case ExeMemoChoice::automatic: return "auto";
	case ExeMemoChoice::task_storage: return "task";
	case ExeMemoChoice::hash: return "hash";
	}
	return "?";
}

const char* mode_choice_name(ModeChoice choice) {
	switch (choice) {
	case ModeChoice::automatic: return "auto";
	case ModeChoice::attach: return "attach";
	case ModeChoice::embedded: return "embedded";
	}
	return "?";
}

bool parse_size(const std::string& text, uint64_t* out) {
	if (text.empty() || text[0] < '0' || text[0] > '9') {
		return false;
	}
	size_t i = 0;
	uint64_t value = 0;
	for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; i++) {
		const uint64_t digit = uint64_t(text[i] - '0');
		if (value > (UINT64_MAX - digit) / 10) {
			return false;
		}
		value = value * 10 + digit;
	}
	unsigned shift = 0;
	if (i < text.size()) {
		switch (text[i]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return false;
		}
		i++;
	}
	if (i != text.size() || (shift && value > (UINT64_MAX >> shift))) {
		return false;
	}
	*out = value << shift;
	return true;
}

namespace {

const char* const kNames[] = {"PROCSQL_BACKEND",     "PROCSQL_BPF_EXE_MEMO",    "PROCSQL_MODE",
                              "PROCSQL_CAPACITY",    "PROCSQL_ARGV_BYTES",      "PROCSQL_ARENA_BYTES",
                              "PROCSQL_RINGBUF_BYTES", "PROCSQL_BPF_NO_LOOP",   "PROCSQL_THREADS",
                              "PROCSQL_CONTAINER_GRACE", "PROCSQL_DEBUG",       "PROCSQL_RUNC_ROOTS",
                              "PROCSQL_STATE_DIR",   "PROCSQL_GROUP",          "PROCSQL_ENV",
                              "PROCSQL_ENV_BYTES",   "PROCSQL_DOCKER_ROOT",    "PROCSQL_SYSCALLS"};

std::mutex g_overrides_mutex;
std::map<std::string, std::string> g_overrides;
// While settings::set checks a candidate: the overrides as they would be
// (read by the same thread's from_env, under g_overrides_mutex).
thread_local const std::map<std::string, std::string>* t_candidate = nullptr;

// The value of `name` for this read, or nothing.
std::optional<std::string> value_of(const char* name) {
	std::string v;
	if (t_candidate) {
		auto it = t_candidate->find(name);
		if (it != t_candidate->end()) {
			return it->second;
		}
		const char* env = std::getenv(name);
		return env ? std::optional<std::string>(env) : std::nullopt;
	}
	if (settings::lookup(name, &v)) {
		return v;
	}
	return std::nullopt;
}

// Reads a size variable into *out when set. Range is inclusive.
bool read_size(const char* name, uint64_t min, uint64_t max, uint64_t* out, std::string* error) {
	const std::optional<std::string> raw = value_of(name);
	if (!raw) {
		return true;
	}
	uint64_t value = 0;
	if (!parse_size(*raw, &value) || value < min || value > max) {
		*error = std::string(name) + " must be a whole number from " + std::to_string(min) + " to " +
		         std::to_string(max) + " (K, M, G suffixes allowed), got '" + *raw + "'";
		return false;
	}
	*out = value;
	return true;
}

bool read_flag(const char* name, bool* out, std::string* error) {
	const std::optional<std::string> raw = value_of(name);
	if (!raw) {
		return true;
	}
	const std::string v = *raw;
	if (v == "1" || v == "true" || v == "yes") {
		*out = true;
	} else if (v == "0" || v == "false" || v == "no" || v.empty()) {
		*out = false;
	} else {
		*error = std::string(name) + " must be 1 or 0, got '" + v + "'";
		return false;
	}
	return true;
}

// A variable naming one of a few words ("" is the first, the default).
template <class T>
bool read_choice(const char* name, std::initializer_list<std::pair<const char*, T>> words, T* out,
                 std::string* error) {
	const std::optional<std::string> raw = value_of(name);
	if (!raw) {
		return true;
	}
	const std::string v = *raw;
	std::string listed;
	for (const auto& w : words) {
		if (v == w.first || (v.empty() && &w == words.begin())) {
			*out = w.second;
			return true;
		}
		listed += listed.empty() ? "" : (&w == words.end() - 1 ? " or " : ", ");
		listed += w.first;
	}
	*error = std::string(name) + " must be " + listed + ", got '" + v + "'";
	return false;
}

// PROCSQL_ENV: names of environment variables, comma-separated. Each must be
// a plain variable name the kernel filter can compare (letters, digits, '_',
// at most PROCSQL_ENV_NAME_MAX bytes), at most PROCSQL_ENV_NAMES_MAX of them.
bool read_env_names(std::vector<std::string>* out, std::string* error) {
	const std::optional<std::string> raw = value_of("PROCSQL_ENV");
	if (!raw) {
		return true;
	}
	std::vector<std::string> names;
	size_t at = 0;
	while (at <= raw->size()) {
		size_t comma = raw->find(',', at);
		if (comma == std::string::npos) {
			comma = raw->size();
		}
		std::string name = raw->substr(at, comma - at);
		while (!name.empty() && name.back() == ' ') name.pop_back();
		while (!name.empty() && name.front() == ' ') name.erase(0, 1);
		at = comma + 1;
		if (name.empty()) {
			continue;
		}
		bool plain = name.size() <= PROCSQL_ENV_NAME_MAX;
		for (char ch : name) {
			plain = plain && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
		}
		if (!plain) {
			*error = "PROCSQL_ENV must list variable names (letters, digits and '_', at most " +
			         std::to_string(PROCSQL_ENV_NAME_MAX) + " bytes each) separated by commas, got '" + name + "'";
			return false;
		}
		if (std::find(names.begin(), names.end(), name) == names.end()) {
			names.push_back(name);
		}
	}
	if (names.size() > PROCSQL_ENV_NAMES_MAX) {
		*error = "PROCSQL_ENV names " + std::to_string(names.size()) + " variables; at most " +
		         std::to_string(PROCSQL_ENV_NAMES_MAX) + " are kept";
		return false;
	}
	*out = std::move(names);
	return true;
}

} // namespace

std::vector<std::string> Config::default_env_names() {
	return {"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "LD_DEBUG", "PYTHONPATH", "PERL5LIB",
	        "NODE_OPTIONS", "BASH_ENV", "ENV", "HISTFILE", "SSH_CONNECTION", "SUDO_USER"};
}

std::string Config::env_text() const {
	std::string text;
	for (const std::string& n : env_names) {
		text += text.empty() ? "" : ",";
		text += n;
	}
	return text;
}

bool Config::from_env(Config* out, std::string* error) {
	Config c;
	if (!read_choice("PROCSQL_BACKEND",
	                 {{"auto", BackendChoice::automatic}, {"bpf", BackendChoice::bpf}, {"audit", BackendChoice::audit}},
	                 &c.backend, error) ||
	    !read_choice("PROCSQL_BPF_EXE_MEMO",
	                 {{"auto", ExeMemoChoice::automatic},
	                  {"task", ExeMemoChoice::task_storage},
	                  {"hash", ExeMemoChoice::hash}},
	                 &c.exe_memo, error) ||
	    !read_choice("PROCSQL_MODE",
	                 {{"auto", ModeChoice::automatic}, {"attach", ModeChoice::attach}, {"embedded", ModeChoice::embedded}},
	                 &c.mode, error)) {
		return false;
	}
	uint64_t argv = c.argv_bytes;
	uint64_t env_bytes = c.env_bytes;
	if (!read_size("PROCSQL_ENV_BYTES", 4096, PROCSQL_ENV_MAX, &env_bytes, error) ||
	    !read_env_names(&c.env_names, error)) {
		return false;
	}
	c.env_bytes = uint32_t(env_bytes);
	if (!read_size("PROCSQL_CAPACITY", 16, 1ull << 30, &c.capacity, error) ||
	    !read_size("PROCSQL_ARGV_BYTES", 256, PROCSQL_ARGV_MAX, &argv, error) ||
	    !read_size("PROCSQL_ARENA_BYTES", 1ull << 20, 1ull << 40, &c.arena_bytes, error) ||
	    !read_size("PROCSQL_RINGBUF_BYTES", 1ull << 20, 1ull << 30, &c.ringbuf_bytes, error) ||
	    !read_flag("PROCSQL_BPF_NO_LOOP", &c.bpf_no_loop, error) ||
	    !read_flag("PROCSQL_THREADS", &c.threads, error) ||
	    !read_size("PROCSQL_CONTAINER_GRACE", 0, 30ull * 24 * 3600, &c.container_grace_s, error) ||
	    !read_flag("PROCSQL_DEBUG", &c.debug, error)) {
		return false;
	}
	c.argv_bytes = uint32_t(argv);
	if (const std::optional<std::string> raw = value_of("PROCSQL_SYSCALLS")) {
		if (!parse_syscall_selection(*raw, &c.syscalls, error)) {
			return false;
		}
	}
	// Every table's arena is a whole number of 8-byte words, and
	// clone_events and process_exits each get an eighth of this one and
	// exec_failures a quarter (Collector::create_stores), so it must divide
	// into 64-byte units; any
	// K, M or G value does. Said here, naming the variable, rather than as a
	// store's refusal after the collector has begun to start.
	if (c.arena_bytes % 64 != 0) {
		*error = "PROCSQL_ARENA_BYTES must be a multiple of 64 (K, M and G values are), got " +
		         std::to_string(c.arena_bytes);
		return false;
	}
	if (const auto roots = value_of("PROCSQL_RUNC_ROOTS")) {
		c.runc_roots = *roots;
	}
	if (const auto root = value_of("PROCSQL_DOCKER_ROOT"); root && !root->empty()) {
		if ((*root)[0] != '/') {
			*error = "PROCSQL_DOCKER_ROOT must be an absolute path (dockerd's --data-root), got '" + *root + "'";
			return false;
		}
		c.docker_root = *root;
		while (c.docker_root.size() > 1 && c.docker_root.back() == '/') {
			c.docker_root.pop_back();
		}
	}
	if (const auto dir = value_of("PROCSQL_STATE_DIR"); dir && !dir->empty()) {
		if ((*dir)[0] != '/') {
			*error = "PROCSQL_STATE_DIR must be an absolute path, got '" + *dir + "'";
			return false;
		}
		c.state_dir = *dir;
		while (c.state_dir.size() > 1 && c.state_dir.back() == '/') {
			c.state_dir.pop_back();
		}
	}
	if (const auto group = value_of("PROCSQL_GROUP")) {
		c.group = *group;
	}
	// The kernel wants a power of two; round up rather than refuse.
	uint64_t rb = 1;
	while (rb < c.ringbuf_bytes) {
		rb <<= 1;
	}
	c.ringbuf_bytes = rb;
	// The arena must hold many of the largest rows, or a single big exec would
	// evict most of the table. Four is the floor; the store refuses any row
	// larger than half the arena.
	const uint64_t largest_row = PROCSQL_PATHS_AREA + c.argv_bytes + c.env_bytes;
	if (c.arena_bytes < 4 * largest_row) {
		*error = "PROCSQL_ARENA_BYTES (" + std::to_string(c.arena_bytes) + ") must be at least 4 times the largest row (" +
		         std::to_string(largest_row) + " bytes with PROCSQL_ARGV_BYTES=" + std::to_string(c.argv_bytes) +
		         " and PROCSQL_ENV_BYTES=" + std::to_string(c.env_bytes) + ")";
		return false;
	}
	*out = c;
	return true;
}

namespace settings {

bool lookup(const std::string& name, std::string* value) {
	{
		std::lock_guard<std::mutex> lock(g_overrides_mutex);
		auto it = g_overrides.find(name);
		if (it != g_overrides.end()) {
			*value = it->second;
			return true;
		}
	}
	const char* env = std::getenv(name.c_str());
	if (!env) {
		return false;
	}
	*value = env;
	return true;
}

bool set(const std::string& name, const char* value, std::string* error) {
	bool known = false;
	for (const char* n : kNames) {
		known = known || name == n;
	}
	if (!known) {
		*error = "'" + name + "' is not a procsql setting (PROCSQL_BACKEND, PROCSQL_CAPACITY, ... as in the README)";
		return false;
	}
	std::lock_guard<std::mutex> lock(g_overrides_mutex);
	std::map<std::string, std::string> candidate = g_overrides;
	if (value) {
		candidate[name] = value;
	} else {
		candidate.erase(name);
	}
	// The same checks as the environment's, on the settings as they would be.
	t_candidate = &candidate;
	Config ignored;
	const bool ok = Config::from_env(&ignored, error);
	t_candidate = nullptr;
	if (ok) {
		g_overrides.swap(candidate);
	}
	return ok;
}

const char* const* names(size_t* count) {
	*count = sizeof kNames / sizeof kNames[0];
	return kNames;
}

} // namespace settings

} // namespace procsql
