#include "sources/bpf/env_filter_setup.h"

#include <cstring>

namespace procsql {

namespace {

// The first four bytes of a variable as the kernel loads them (little
// endian), hashed to one of 256 bits as env_filter.bpf.h does.
uint32_t filter_bit(const char first4[4]) {
	uint32_t key = 0;
	std::memcpy(&key, first4, 4);
	return uint32_t(key * 2654435761u) >> 24;
}

} // namespace

EnvFilterTables make_env_filter(const std::vector<std::string>& names, uint32_t env_bytes) {
	EnvFilterTables t;
	uint32_t pow2 = 1;
	while (pow2 < env_bytes) {
		pow2 <<= 1;
	}
	t.env_mask = pow2 - 1;
	for (const std::string& name : names) {
		if (t.name_count == PROCSQL_ENV_NAMES_MAX || name.empty() || name.size() > PROCSQL_ENV_NAME_MAX) {
			continue;
		}
		const std::string pattern = name + "="; // at most 64 bytes: eight words
		unsigned char bytes[64] = {};
		unsigned char keep[64] = {};
		std::memcpy(bytes, pattern.data(), pattern.size());
		std::memset(keep, 0xff, pattern.size());
		std::memcpy(t.words[t.name_count], bytes, sizeof(bytes));
		std::memcpy(t.masks[t.name_count], keep, sizeof(keep));
		if (pattern.size() < 4) {
			t.filter_off = true;
		} else {
			const uint32_t bit = filter_bit(pattern.data());
			t.filter[bit >> 6] |= uint64_t(1) << (bit & 63);
		}
		t.name_count++;
	}
	return t;
}

bool env_filter_keeps(const EnvFilterTables& t, const std::string& variable) {
	char v[64] = {};
	std::memcpy(v, variable.data(), variable.size() < 64 ? variable.size() : 64);
	const uint32_t bit = filter_bit(v);
	if (!t.filter_off && !(t.filter[bit >> 6] & (uint64_t(1) << (bit & 63)))) {
		return false;
	}
	uint64_t w[8];
	std::memcpy(w, v, sizeof(w));
	for (uint32_t j = 0; j < t.name_count; j++) {
		uint64_t diff = 0;
		for (int k = 0; k < 8; k++) {
			diff |= (w[k] ^ t.words[j][k]) & t.masks[j][k];
		}
		if (diff == 0) {
			return true;
		}
	}
	return false;
}

} // namespace procsql
