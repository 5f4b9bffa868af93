// The environment filter's tables (sources/bpf/env_filter_setup.h), made
// from PROCSQL_ENV's names, and the kernel's decision computed the same way
// (bpf/env_filter.bpf.h): the named variables are kept, nothing else is,
// however close its name.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "config.h"
#include "sources/bpf/env_filter_setup.h"

namespace procsql {
namespace {

// The reference: "NAME=..." for one of the names the tables hold (the first
// PROCSQL_ENV_NAMES_MAX usable ones).
bool named(const std::vector<std::string>& names, const std::string& variable) {
	size_t used = 0;
	for (const std::string& n : names) {
		if (n.empty() || n.size() > PROCSQL_ENV_NAME_MAX || used == PROCSQL_ENV_NAMES_MAX) {
			continue;
		}
		used++;
		if (variable.compare(0, n.size() + 1, n + "=") == 0) {
			return true;
		}
	}
	return false;
}

TEST(EnvFilter, DefaultNamesAreKept) {
	const std::vector<std::string> names = Config::default_env_names();
	const EnvFilterTables t = make_env_filter(names, 32768);
	EXPECT_EQ(t.name_count, names.size());
	EXPECT_FALSE(t.filter_off) << "every default name has three bytes or more";
	for (const std::string& n : names) {
		EXPECT_TRUE(env_filter_keeps(t, n + "=/tmp/x.so")) << n;
		EXPECT_TRUE(env_filter_keeps(t, n + "=")) << n << " with an empty value";
		EXPECT_TRUE(env_filter_keeps(t, n + "==" + std::string(200, 'v'))) << n << " with a long value";
	}
}

TEST(EnvFilter, NearMissesAreRefused) {
	const EnvFilterTables t = make_env_filter(Config::default_env_names(), 32768);
	for (const std::string v : {"LD_PRELOADX=/tmp/x.so", "LD_PRELOA=/tmp/x.so", "LD_PRELOAD", "LD_PRELOAD_=1",
	                            "ld_preload=/tmp/x.so", " LD_PRELOAD=1", "XLD_PRELOAD=1", "LD_PRELOAD\t=1",
	                            "LD_AUDITX=1", "LD_AUDI=1", "ENVX=1", "EN=1", "XENV=1", "ENV", "E=1",
	                            "PATH=/usr/bin:/bin", "HOME=/root", "FOO=LD_PRELOAD=/tmp/x.so",
	                            "SUDO_USERS=root", "PYTHONPATH2=/x", "", "=", "=LD_PRELOAD"}) {
		EXPECT_FALSE(env_filter_keeps(t, v)) << v;
	}
}

// A name of one or two bytes: its first four bytes ("XY=" and a value byte)
// cannot go in the filter, which is then off (every variable is compared
// exactly). From three bytes on the filter holds it.
TEST(EnvFilter, ShortNamesTurnTheFilterOff) {
	for (const std::string n : {"A", "XY"}) {
		const EnvFilterTables t = make_env_filter({"LD_PRELOAD", n}, 32768);
		EXPECT_TRUE(t.filter_off) << n;
		EXPECT_EQ(t.name_count, 2u);
		EXPECT_TRUE(env_filter_keeps(t, n + "=1")) << n;
		EXPECT_TRUE(env_filter_keeps(t, n + "=")) << n;
		EXPECT_FALSE(env_filter_keeps(t, n + "Z=1")) << n;
		EXPECT_FALSE(env_filter_keeps(t, n)) << n;
		EXPECT_FALSE(env_filter_keeps(t, "Z" + n + "=1")) << n;
		EXPECT_TRUE(env_filter_keeps(t, "LD_PRELOAD=/x.so"));
		EXPECT_FALSE(env_filter_keeps(t, "LD_PRELOADX=/x.so"));
	}
	const EnvFilterTables three = make_env_filter({"ABC"}, 32768);
	EXPECT_FALSE(three.filter_off);
	EXPECT_TRUE(env_filter_keeps(three, "ABC=1"));
	EXPECT_FALSE(env_filter_keeps(three, "ABCD=1"));
	EXPECT_FALSE(env_filter_keeps(three, "AB=1"));
}

// The kernel compares eight words: a name of 63 bytes with its '=' fills them.
TEST(EnvFilter, LongestName) {
	const std::string n63(63, 'N');
	const std::string n64(64, 'N');
	const EnvFilterTables t = make_env_filter({n63, n64}, 32768);
	EXPECT_EQ(t.name_count, 1u) << "a name over 63 bytes is left out (Config refuses it)";
	EXPECT_TRUE(env_filter_keeps(t, n63 + "=v"));
	EXPECT_FALSE(env_filter_keeps(t, n63 + "N=v")) << "byte 64 is the '='";
	EXPECT_FALSE(env_filter_keeps(t, n64 + "=v"));
	EXPECT_FALSE(env_filter_keeps(t, std::string(62, 'N') + "=v"));
	std::string one_off = n63 + "=v";
	one_off[40] = 'M';
	EXPECT_FALSE(env_filter_keeps(t, one_off)) << "a byte of the last words differs";
}

TEST(EnvFilter, AtMost32Names) {
	std::vector<std::string> names;
	for (int i = 0; i < 40; i++) {
		names.push_back("VAR_" + std::to_string(i));
	}
	const EnvFilterTables t = make_env_filter(names, 32768);
	EXPECT_EQ(t.name_count, uint32_t(PROCSQL_ENV_NAMES_MAX));
	for (int i = 0; i < 40; i++) {
		EXPECT_EQ(env_filter_keeps(t, names[i] + "=1"), i < PROCSQL_ENV_NAMES_MAX) << names[i];
	}
	// Empty names take no place.
	names.insert(names.begin(), "");
	EXPECT_TRUE(env_filter_keeps(make_env_filter(names, 32768), "VAR_31=1"));
}

TEST(EnvFilter, NoNames) {
	const EnvFilterTables t = make_env_filter({}, 32768);
	EXPECT_EQ(t.name_count, 0u);
	EXPECT_FALSE(t.filter_off);
	EXPECT_FALSE(env_filter_keeps(t, "LD_PRELOAD=/x.so"));
}

// env_mask: the power of two at or above PROCSQL_ENV_BYTES, less one (the
// kernel proves offsets below it).
TEST(EnvFilter, EnvMask) {
	EXPECT_EQ(make_env_filter({}, 4096).env_mask, 4095u);
	EXPECT_EQ(make_env_filter({}, 4097).env_mask, 8191u);
	EXPECT_EQ(make_env_filter({}, 32768).env_mask, 32767u);
	EXPECT_EQ(make_env_filter({}, 100000).env_mask, 131071u);
	EXPECT_EQ(make_env_filter({}, PROCSQL_ENV_MAX).env_mask, uint32_t(PROCSQL_ENV_MAX - 1));
}

// Random names from a small alphabet (so that near-misses and shared
// prefixes are common), and variables made from them: the filter and the
// exact comparison decide as the plain string comparison does.
TEST(EnvFilter, AgreesWithTheReference) {
	std::mt19937 rng(20261207);
	const std::string alphabet = "AB_1";
	auto word = [&](size_t len) {
		std::string s;
		for (size_t i = 0; i < len; i++) s += alphabet[rng() % alphabet.size()];
		return s;
	};
	for (int round = 0; round < 300; round++) {
		std::vector<std::string> names;
		const int count = 1 + rng() % 40;
		for (int i = 0; i < count; i++) {
			names.push_back(word(1 + rng() % (rng() % 4 == 0 ? 70 : 8)));
		}
		const EnvFilterTables t = make_env_filter(names, 32768);
		for (int v = 0; v < 200; v++) {
			std::string var;
			switch (rng() % 4) {
			case 0: var = names[rng() % names.size()] + "=" + word(rng() % 5); break; // a name
			case 1: {                                                                // a name, one byte changed
				var = names[rng() % names.size()] + "=" + word(rng() % 5);
				var[rng() % var.size()] = alphabet[rng() % alphabet.size()];
				break;
			}
			case 2: var = names[rng() % names.size()] + word(1 + rng() % 2) + "=x"; break; // longer
			default: var = word(rng() % 10) + (rng() % 2 ? "=" : "") + word(rng() % 3); break;
			}
			ASSERT_EQ(env_filter_keeps(t, var), named(names, var)) << "variable '" << var << "'";
		}
	}
}

} // namespace
} // namespace procsql
