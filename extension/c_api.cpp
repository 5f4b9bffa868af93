// The C API's calls that need no SQLite (procsql.h): version, settings set
// in code, the collector's mode, and the per-thread last error. Nothing here
// throws across the C boundary.
#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "c_api.h"
#include "collector.h"
#include "config.h"
#include "procsql.h"
#include "version.h"

static_assert(PROCSQL_VERSION_NUMBER == PROCSQL_VERSION_NUM, "procsql.h and version.h disagree on the version");

namespace {

thread_local std::string t_errmsg;

int fail(int rc, const std::string& what) {
	procsql::set_last_error("procsql: " + what);
	return rc;
}

int ok() {
	t_errmsg.clear();
	return SQLITE_OK;
}

} // namespace

void procsql::set_last_error(const std::string& message) noexcept {
	try {
		t_errmsg = message;
	} catch (...) {
		t_errmsg.clear();
	}
}

extern "C" {

const char* procsql_version(void) { return PROCSQL_VERSION; }

int procsql_version_number(void) { return PROCSQL_VERSION_NUM; }

int procsql_config_set(const char* name, const char* value) {
	if (name == nullptr) {
		return fail(SQLITE_MISUSE, "procsql_config_set: no name");
	}
	try {
		std::string error;
		bool refused_by_value = false;
		const bool done = procsql::Collector::unless_running(
		    [&](std::string* why) {
			    refused_by_value = true;
			    return procsql::settings::set(name, value, why);
		    },
		    &error);
		if (!done) {
			// A refused value's message names its variable already.
			return fail(refused_by_value ? SQLITE_ERROR : SQLITE_MISUSE,
			            refused_by_value ? error : std::string(name) + " cannot change now: " + error);
		}
		return ok();
	} catch (const std::bad_alloc&) {
		return fail(SQLITE_NOMEM, "out of memory");
	} catch (const std::exception& e) {
		return fail(SQLITE_ERROR, e.what());
	}
}

int procsql_config_get(const char* name, char* buf, int size) {
	if (name == nullptr || (buf == nullptr && size > 0) || size < 0) {
		return fail(SQLITE_MISUSE, "procsql_config_get: no name or no buffer");
	}
	try {
		size_t count = 0;
		const char* const* names = procsql::settings::names(&count);
		bool known = false;
		for (size_t i = 0; i < count; i++) {
			known = known || std::strcmp(names[i], name) == 0;
		}
		if (!known) {
			return fail(SQLITE_ERROR, std::string("'") + name + "' is not a procsql setting");
		}
		std::string value;
		if (!procsql::settings::lookup(name, &value)) {
			if (size > 0) {
				buf[0] = '\0';
			}
			ok();
			return SQLITE_NOTFOUND;
		}
		if (size > 0) {
			const size_t n = std::min(value.size(), size_t(size) - 1);
			std::memcpy(buf, value.data(), n);
			buf[n] = '\0';
		}
		return ok();
	} catch (const std::bad_alloc&) {
		return fail(SQLITE_NOMEM, "out of memory");
	}
}

int procsql_mode(void) {
	try {
		procsql::Collector::Mode mode;
		if (!procsql::Collector::running_mode(&mode)) {
			return PROCSQL_MODE_NONE;
		}
		return mode == procsql::Collector::Mode::attached ? PROCSQL_MODE_ATTACHED : PROCSQL_MODE_EMBEDDED;
	} catch (...) {
		return PROCSQL_MODE_NONE;
	}
}

const char* procsql_errmsg(void) { return t_errmsg.c_str(); }

} // extern "C"
