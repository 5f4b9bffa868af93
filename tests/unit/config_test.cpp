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

} // namespace
} // namespace procsql
