// procsql_seccomp_profile(syscall, arch [, options]): an aggregate that turns
// syscall_usage rows (one container's, a pod's, an image's: whatever the
// WHERE and GROUP BY choose) into an OCI seccomp profile
// (extension/syscalls/seccomp_profile.h). NULL over no rows: a profile of
// nothing recorded would block the workload.
#include <new>
#include <string>

#include "sqlite_api.h"
#include "syscalls/seccomp_profile.h"
#include "tables.h"

namespace procsql {

namespace {

struct State {
	SeccompProfile profile;
	SeccompProfileOptions options;
	std::string options_text;
	bool has_options = false;
	bool failed = false;
};

std::string text_of(sqlite3_value* v) {
	const unsigned char* t = sqlite3_value_text(v);
	return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_value_bytes(v))) : std::string();
}

void step(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
	auto** slot = static_cast<State**>(sqlite3_aggregate_context(ctx, sizeof(State*)));
	if (!slot) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	try {
		if (!*slot) {
			*slot = new State();
		}
		State& s = **slot;
		if (s.failed) {
			return;
		}
		std::string error;
		const std::string options = argc > 2 ? text_of(argv[2]) : std::string();
		if (!s.has_options) {
			s.has_options = true;
			s.options_text = options;
			if (!parse_seccomp_profile_options(options, &s.options, &error)) {
				s.failed = true;
				sqlite3_result_error(ctx, error.c_str(), -1);
				return;
			}
		} else if (options != s.options_text) {
			s.failed = true;
			sqlite3_result_error(ctx, "procsql_seccomp_profile: options must be the same for every row", -1);
			return;
		}
		if (sqlite3_value_type(argv[1]) != SQLITE_TEXT) {
			s.failed = true;
			sqlite3_result_error(ctx,
			                     "procsql_seccomp_profile: expects (syscall, arch [, options]) from syscall_usage; "
			                     "arch must be text such as 'x86_64'",
			                     -1);
			return;
		}
		// A number libseccomp cannot name (syscall NULL) cannot be allowed by
		// name: its ABI is still listed.
		if (!s.profile.add(text_of(argv[0]), text_of(argv[1]), &error)) {
			s.failed = true;
			sqlite3_result_error(ctx, error.c_str(), -1);
		}
	} catch (const std::bad_alloc&) {
		sqlite3_result_error_nomem(ctx);
	} catch (...) {
		sqlite3_result_error(ctx, "procsql_seccomp_profile: internal error", -1);
	}
}

void final(sqlite3_context* ctx) {
	auto** slot = static_cast<State**>(sqlite3_aggregate_context(ctx, 0));
	State* s = slot ? *slot : nullptr;
	if (!s) {
		return; // no rows: NULL
	}
	try {
		if (!s->failed) {
			const std::string json = s->profile.json(s->options);
			sqlite3_result_text(ctx, json.c_str(), int(json.size()), SQLITE_TRANSIENT);
		} else {
			sqlite3_result_error(ctx, "procsql_seccomp_profile: failed (see the first error)", -1);
		}
	} catch (const std::bad_alloc&) {
		sqlite3_result_error_nomem(ctx);
	} catch (...) {
		sqlite3_result_error(ctx, "procsql_seccomp_profile: internal error", -1);
	}
	delete s;
	*slot = nullptr;
}

} // namespace

int register_seccomp_profile(sqlite3* db) {
	for (int n : {2, 3}) {
		const int rc = sqlite3_create_function_v2(db, "procsql_seccomp_profile", n, SQLITE_UTF8 | SQLITE_INNOCUOUS,
		                                          nullptr, nullptr, step, final, nullptr);
		if (rc != SQLITE_OK) {
			return rc;
		}
	}
	return SQLITE_OK;
}

} // namespace procsql
