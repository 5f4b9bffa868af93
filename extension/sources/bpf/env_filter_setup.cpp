#include "sources/bpf/env_filter_setup.h"

#include <cstring>

namespace procsql {

namespace {

// The first four bytes of a variable as the kernel loads them (little
// endian), hashed to one of 256 buckets as env_filter.bpf.h does.
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
		t.nwords[t.name_count] = uint8_t((pattern.size() + 7) / 8);
		if (pattern.size() < 4) {
			t.filter_off = true;
		} else {
			uint8_t& b = t.bucket[filter_bit(pattern.data())];
			b = b == 0 ? uint8_t(1 + t.name_count) : uint8_t(255);
		}
		t.name_count++;
	}
	return t;
}

bool env_filter_keeps(const EnvFilterTables& t, const std::string& variable) {
	char v[64] = {};
	std::memcpy(v, variable.data(), variable.size() < 64 ? variable.size() : 64);
	const uint8_t bucket = t.filter_off ? 255 : t.bucket[filter_bit(v)];
	if (bucket == 0) {
		return false;
	}
	uint64_t w[8];
	std::memcpy(w, v, sizeof(w));
	auto is = [&](uint32_t j) {
		uint64_t diff = 0;
		for (int k = 0; k < t.nwords[j]; k++) {
			diff |= (w[k] ^ t.words[j][k]) & t.masks[j][k];
		}
		return diff == 0;
	};
	if (bucket != 255) {
		return is(bucket - 1u);
	}
	for (uint32_t j = 0; j < t.name_count; j++) {
		if (is(j)) {
			return true;
		}
	}
	return false;
}

} // namespace procsql
