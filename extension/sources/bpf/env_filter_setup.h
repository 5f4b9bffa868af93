// What the kernel's environment filter (bpf/env_filter.bpf.h) compares
// against, made from PROCSQL_ENV's names: kept apart from the loader so that
// the filter's arithmetic is unit-tested without a kernel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "event_abi.h"

namespace procsql {

struct EnvFilterTables {
	uint32_t name_count = 0;
	bool filter_off = false; // a name under 3 bytes: every variable is compared
	// Per hash of a variable's first four bytes: 0 no name, 1 + j name j,
	// 255 several names.
	uint8_t bucket[256] = {};
	uint64_t words[PROCSQL_ENV_NAMES_MAX][8] = {};
	uint64_t masks[PROCSQL_ENV_NAMES_MAX][8] = {};
	uint8_t nwords[PROCSQL_ENV_NAMES_MAX] = {}; // words of name j that count
	uint32_t env_mask = 0;   // the power of two >= env_bytes, minus one
};

// The tables for `names` (at most PROCSQL_ENV_NAMES_MAX, each at most
// PROCSQL_ENV_NAME_MAX bytes: Config checked) and `env_bytes`.
EnvFilterTables make_env_filter(const std::vector<std::string>& names, uint32_t env_bytes);

// The kernel's decision for one variable ("NAME=value"), computed the same
// way: the filter and then the exact comparison. For tests.
bool env_filter_keeps(const EnvFilterTables& t, const std::string& variable);

} // namespace procsql
