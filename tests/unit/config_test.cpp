// Config::from_env: a value it accepts is one the collector can use (the
// stores made from it accept it too), and a value it refuses is refused
// with a message naming the variable.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "collector.h"
#include "config.h"

namespace procsql {
namespace {

// Sets an environment variable for one scope.
class ScopedEnv {
public:
	ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
	~ScopedEnv() { unsetenv(name_); }
	ScopedEnv(const ScopedEnv&) = delete;
	ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
	const char* name_;
};

// Around 1 MiB (the smallest arena, where clone_events' and process_exits'
// share is held at its floor) and around 8 and 32 MiB (where the share is a
// fraction of it), byte by byte: every accepted value makes the stores, and
// the accepted ones are exactly the multiples of 64.
TEST(Config, EveryArenaSizeAcceptedMakesTheStores) {
	std::vector<uint64_t> accepted;
	for (const uint64_t base : {1ull << 20, 8ull << 20, 32ull << 20}) {
		for (uint64_t value = base; value < base + 256; value++) {
			ScopedEnv arena("PROCSQL_ARENA_BYTES", std::to_string(value));
			ScopedEnv capacity("PROCSQL_CAPACITY", "16");
			Config config;
			std::string error;
			if (!Config::from_env(&config, &error)) {
				EXPECT_NE(error.find("PROCSQL_ARENA_BYTES"), std::string::npos) << error;
				EXPECT_NE(error.find(std::to_string(value)), std::string::npos) << error;
				continue;
			}
			accepted.push_back(value);
			EXPECT_TRUE(Collector::without_source(config, &error))
			    << "PROCSQL_ARENA_BYTES=" << value << " was accepted, then: " << error;
		}
	}
	const std::vector<uint64_t> multiples_of_64 = {
	    (1 << 20),       (1 << 20) + 64,  (1 << 20) + 128,  (1 << 20) + 192,  (8 << 20),        (8 << 20) + 64,
	    (8 << 20) + 128, (8 << 20) + 192, (32 << 20),       (32 << 20) + 64,  (32 << 20) + 128, (32 << 20) + 192};
	EXPECT_EQ(accepted, multiples_of_64);
}

TEST(ConfigSettings, CodeOverridesTheEnvironmentWithTheSameChecks) {
	ScopedEnv env("PROCSQL_CAPACITY", "5000");
	Config c;
	std::string error;
	ASSERT_TRUE(Config::from_env(&c, &error)) << error;
	EXPECT_EQ(c.capacity, 5000u);

	ASSERT_TRUE(settings::set("PROCSQL_CAPACITY", "7000", &error)) << error;
	ASSERT_TRUE(Config::from_env(&c, &error)) << error;
	EXPECT_EQ(c.capacity, 7000u);
	std::string value;
	ASSERT_TRUE(settings::lookup("PROCSQL_CAPACITY", &value));
	EXPECT_EQ(value, "7000");

	// Refused as the variable would be, and nothing changes.
	EXPECT_FALSE(settings::set("PROCSQL_CAPACITY", "3", &error));
	EXPECT_NE(error.find("PROCSQL_CAPACITY must be a whole number from 16"), std::string::npos) << error;
	ASSERT_TRUE(Config::from_env(&c, &error)) << error;
	EXPECT_EQ(c.capacity, 7000u);
	// Every refusal names the variable; an unknown name is refused too.
	EXPECT_FALSE(settings::set("PROCSQL_ARGV_BYTES", "not-a-size", &error));
	EXPECT_NE(error.find("PROCSQL_ARGV_BYTES"), std::string::npos) << error;
	EXPECT_FALSE(settings::set("PROCSQL_NOT_A_SETTING", "1", &error));
	EXPECT_NE(error.find("is not a procsql setting"), std::string::npos) << error;

	// Removed: the environment's applies again.
	ASSERT_TRUE(settings::set("PROCSQL_CAPACITY", nullptr, &error)) << error;
	ASSERT_TRUE(Config::from_env(&c, &error)) << error;
	EXPECT_EQ(c.capacity, 5000u);
}

TEST(ConfigSettings, EveryNameIsReadByTheConfiguration) {
	// A name set to a bad value is refused by from_env: so each listed name
	// is one the configuration really reads (PROCSQL_RUNC_ROOTS and
	// PROCSQL_GROUP take any text; PROCSQL_STATE_DIR must be absolute).
	size_t count = 0;
	const char* const* names = settings::names(&count);
	ASSERT_GT(count, 10u);
	for (size_t i = 0; i < count; i++) {
		const std::string name = names[i];
		if (name == "PROCSQL_RUNC_ROOTS" || name == "PROCSQL_GROUP") {
			continue;
		}
		std::string error;
		EXPECT_FALSE(settings::set(name, "x?!", &error)) << name;
		EXPECT_NE(error.find(name), std::string::npos) << name << ": " << error;
	}
}

// ---- PROCSQL_ENV and PROCSQL_ENV_BYTES ----------------------------------------

// from_env with the environment as given: the config, or the error.
bool read_config(Config* c, std::string* error) {
	error->clear();
	return Config::from_env(c, error);
}

TEST(ConfigEnv, DefaultNames) {
	Config c;
	std::string error;
	ASSERT_TRUE(read_config(&c, &error)) << error;
	const std::vector<std::string> expected = {"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "LD_DEBUG",
	                                           "PYTHONPATH", "PERL5LIB", "NODE_OPTIONS", "BASH_ENV",
	                                           "ENV", "HISTFILE", "SSH_CONNECTION", "SUDO_USER"};
	EXPECT_EQ(c.env_names, expected);
	EXPECT_EQ(c.env_text(), "LD_PRELOAD,LD_LIBRARY_PATH,LD_AUDIT,LD_DEBUG,PYTHONPATH,PERL5LIB,NODE_OPTIONS,"
	                        "BASH_ENV,ENV,HISTFILE,SSH_CONNECTION,SUDO_USER");
	EXPECT_EQ(c.env_bytes, 32768u);
}

TEST(ConfigEnv, ListsAreTrimmedAndDeduplicated) {
	const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
	    {"FOO,BAR", {"FOO", "BAR"}},
	    {" FOO , BAR ,, ", {"FOO", "BAR"}},
	    {"FOO,FOO,BAR,FOO", {"FOO", "BAR"}},
	    {"A", {"A"}},
	    {"lower_case9,_X", {"lower_case9", "_X"}},
	    {"", {}},
	    {",", {}},
	    {" , ,", {}},
	};
	for (const auto& [value, names] : cases) {
		ScopedEnv env("PROCSQL_ENV", value);
		Config c;
		std::string error;
		ASSERT_TRUE(read_config(&c, &error)) << "'" << value << "': " << error;
		EXPECT_EQ(c.env_names, names) << "'" << value << "'";
	}
	ScopedEnv env("PROCSQL_ENV", "");
	Config c;
	std::string error;
	ASSERT_TRUE(read_config(&c, &error));
	EXPECT_EQ(c.env_text(), "") << "empty: no variable kept, env NULL";
}

TEST(ConfigEnv, BadNamesAreRefusedNamingThem) {
	for (const std::string bad : {"LD-PRELOAD", "FOO=1", "FOO BAR", "F\xC3\x96O", "FOO;BAR", "FOO\tBAR", "A,B,C.D",
	                              "$HOME", "*"}) {
		ScopedEnv env("PROCSQL_ENV", bad);
		Config c;
		std::string error;
		EXPECT_FALSE(read_config(&c, &error)) << bad;
		EXPECT_EQ(error.rfind("PROCSQL_ENV must list variable names", 0), 0u) << error;
		EXPECT_EQ(error.find('\n'), std::string::npos) << "one line: " << error;
	}
	ScopedEnv env("PROCSQL_ENV", "GOOD,BAD-ONE");
	Config c;
	std::string error;
	EXPECT_FALSE(read_config(&c, &error));
	EXPECT_NE(error.find("got 'BAD-ONE'"), std::string::npos) << error;
}

TEST(ConfigEnv, NamesUpTo63Bytes) {
	std::string error;
	Config c;
	{
		ScopedEnv env("PROCSQL_ENV", "X," + std::string(63, 'N'));
		ASSERT_TRUE(read_config(&c, &error)) << error;
		EXPECT_EQ(c.env_names.size(), 2u);
	}
	{
		ScopedEnv env("PROCSQL_ENV", "X," + std::string(64, 'N'));
		EXPECT_FALSE(read_config(&c, &error));
		EXPECT_NE(error.find("at most 63 bytes"), std::string::npos) << error;
	}
}

TEST(ConfigEnv, AtMost32Names) {
	std::string list;
	for (int i = 0; i < 33; i++) {
		list += (i ? "," : "") + std::string("V") + std::to_string(i);
	}
	std::string error;
	Config c;
	{
		ScopedEnv env("PROCSQL_ENV", list);
		EXPECT_FALSE(read_config(&c, &error));
		EXPECT_EQ(error, "PROCSQL_ENV names 33 variables; at most 32 are kept");
	}
	{
		ScopedEnv env("PROCSQL_ENV", list.substr(0, list.rfind(',')) + ",V0,V1");
		ASSERT_TRUE(read_config(&c, &error)) << "32 distinct names, two repeated: " << error;
		EXPECT_EQ(c.env_names.size(), 32u);
	}
}

TEST(ConfigEnv, EnvBytesRange) {
	const std::vector<std::pair<std::string, uint32_t>> good = {
	    {"4096", 4096}, {"4K", 4096}, {"32768", 32768}, {"100000", 100000}, {"256K", 262144}, {"262144", 262144}};
	for (const auto& [value, bytes] : good) {
		ScopedEnv env("PROCSQL_ENV_BYTES", value);
		Config c;
		std::string error;
		ASSERT_TRUE(read_config(&c, &error)) << value << ": " << error;
		EXPECT_EQ(c.env_bytes, bytes) << value;
	}
	for (const std::string bad : {"4095", "0", "262145", "1M", "-1", "x", "", "4096 "}) {
		ScopedEnv env("PROCSQL_ENV_BYTES", bad);
		Config c;
		std::string error;
		EXPECT_FALSE(read_config(&c, &error)) << "'" << bad << "'";
		EXPECT_EQ(error.rfind("PROCSQL_ENV_BYTES must be a whole number from 4096 to 262144", 0), 0u) << error;
	}
}

// The arena must hold four of the largest rows, the environment included.
TEST(ConfigEnv, ArenaHoldsTheLargestRowWithItsEnvironment) {
	ScopedEnv arena("PROCSQL_ARENA_BYTES", "1M");
	Config c;
	std::string error;
	{
		ScopedEnv env("PROCSQL_ENV_BYTES", "4096");
		ASSERT_TRUE(read_config(&c, &error)) << error;
	}
	{
		ScopedEnv env("PROCSQL_ENV_BYTES", "256K");
		EXPECT_FALSE(read_config(&c, &error));
		EXPECT_NE(error.find("PROCSQL_ENV_BYTES=262144"), std::string::npos) << error;
	}
}

// Set in code: the same checks.
TEST(ConfigEnv, SettingsInCode) {
	std::string error;
	EXPECT_FALSE(settings::set("PROCSQL_ENV", "NOT-A-NAME", &error));
	EXPECT_NE(error.find("PROCSQL_ENV"), std::string::npos) << error;
	EXPECT_FALSE(settings::set("PROCSQL_ENV_BYTES", "100", &error));
	EXPECT_NE(error.find("PROCSQL_ENV_BYTES"), std::string::npos) << error;
	ASSERT_TRUE(settings::set("PROCSQL_ENV", "FOO,BAR", &error)) << error;
	Config c;
	ASSERT_TRUE(read_config(&c, &error)) << error;
	EXPECT_EQ(c.env_names, (std::vector<std::string>{"FOO", "BAR"}));
	std::string value;
	ASSERT_TRUE(settings::lookup("PROCSQL_ENV", &value));
	EXPECT_EQ(value, "FOO,BAR");
	ASSERT_TRUE(settings::set("PROCSQL_ENV", nullptr, &error)) << error;
	ASSERT_TRUE(read_config(&c, &error)) << error;
	EXPECT_EQ(c.env_names, Config::default_env_names());
}

// ---- PROCSQL_SYSCALLS ------------------------------------------------------------

TEST(Config, SyscallsSelectsNothingAllOrPrefixes) {
	Config config;
	std::string error;
	ASSERT_TRUE(Config::from_env(&config, &error)) << error;
	EXPECT_TRUE(config.syscalls.empty()) << "off by default";
	{
		ScopedEnv sc("PROCSQL_SYSCALLS", "all");
		ASSERT_TRUE(Config::from_env(&config, &error)) << error;
		EXPECT_TRUE(config.syscalls.all);
	}
	{
		ScopedEnv sc("PROCSQL_SYSCALLS", "3f2a, web-");
		ASSERT_TRUE(Config::from_env(&config, &error)) << error;
		EXPECT_EQ(config.syscalls.prefixes, (std::vector<std::string>{"3f2a", "web-"}));
	}
	{
		ScopedEnv sc("PROCSQL_SYSCALLS", "web/1");
		EXPECT_FALSE(Config::from_env(&config, &error));
		EXPECT_EQ(error.rfind("PROCSQL_SYSCALLS takes 'all' or container id prefixes", 0), 0u) << error;
	}
}

} // namespace
} // namespace procsql
