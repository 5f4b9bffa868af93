// Unit tests for `procsql query --differential`'s pieces (cli/differential.h):
// rows encoded so that equal bytes mean equal names, types and values; the
// multiset difference osquery's differential results are; and the state kept
// in a real jobs database (an SQLite file), committed only by the run that
// loaded it.
#include "differential.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

using procsql::cli::decode_row;
using procsql::cli::DifferentialState;
using procsql::cli::diff_rows;
using procsql::cli::encode_row;
using procsql::cli::Value;

namespace {

Value text(const std::string& s) {
	Value v;
	v.type = Value::Type::text;
	v.bytes = s;
	return v;
}

Value integer(int64_t i) {
	Value v;
	v.type = Value::Type::integer;
	v.integer = i;
	return v;
}

std::string row(const std::string& name, const Value& v) { return encode_row({name}, {v}); }

TEST(Differential, RowsRoundTripEveryType) {
	Value real;
	real.type = Value::Type::real;
	real.real = -2.5e-300;
	Value blob;
	blob.type = Value::Type::blob;
	blob.bytes = std::string("\0\xff\x01", 3);
	const std::vector<std::string> cols = {"n", "i", "r", "t", "b"};
	const std::vector<Value> vals = {Value{}, integer(INT64_MIN), real, text(std::string("a\0b\xc3", 4)), blob};
	std::vector<std::string> c2;
	std::vector<Value> v2;
	ASSERT_TRUE(decode_row(encode_row(cols, vals), &c2, &v2));
	ASSERT_EQ(c2, cols);
	ASSERT_EQ(v2.size(), vals.size());
	for (size_t i = 0; i < vals.size(); i++) {
		EXPECT_EQ(v2[i].type, vals[i].type) << i;
		EXPECT_EQ(v2[i].integer, vals[i].integer) << i;
		EXPECT_EQ(v2[i].bytes, vals[i].bytes) << i;
	}
	EXPECT_EQ(v2[2].real, real.real);
}

TEST(Differential, EqualBytesOnlyForEqualRows) {
	// The same digits as text and as an integer, or under another column
	// name, are other rows.
	EXPECT_NE(row("pid", text("7")), row("pid", integer(7)));
	EXPECT_NE(row("pid", integer(7)), row("ppid", integer(7)));
	EXPECT_NE(row("a", text("")), row("a", Value{}));
	EXPECT_EQ(row("pid", integer(7)), row("pid", integer(7)));
}

TEST(Differential, DecodeRefusesDamagedBytes) {
	const std::string good = encode_row({"path", "pid"}, {text("/bin/sh"), integer(42)});
	std::vector<std::string> c;
	std::vector<Value> v;
	for (size_t cut = 0; cut < good.size(); cut++) {
		EXPECT_FALSE(decode_row(good.substr(0, cut), &c, &v)) << cut;
	}
	EXPECT_FALSE(decode_row(good + "x", &c, &v));
	std::string bad_type = encode_row({"x"}, {integer(1)});
	bad_type[8 + 8 + 1] = char(9); // the type byte after the count, the name's length and "x"
	EXPECT_FALSE(decode_row(bad_type, &c, &v));
}

TEST(Differential, DiffIsAMultisetDifference) {
	const std::string a = row("pid", integer(1)), b = row("pid", integer(2)), c = row("pid", integer(3));
	auto d = diff_rows({a, b, b}, {b, c, c});
	EXPECT_EQ(d.added, (std::vector<std::string>{c, c}));
	EXPECT_EQ(d.removed, (std::vector<std::string>{a, b}));
	d = diff_rows({}, {a});
	EXPECT_EQ(d.added, (std::vector<std::string>{a}));
	EXPECT_TRUE(d.removed.empty());
	d = diff_rows({a, b}, {b, a});
	EXPECT_TRUE(d.added.empty());
	EXPECT_TRUE(d.removed.empty());
}

class DifferentialStateTest : public ::testing::Test {
protected:
	void SetUp() override {
		char tmpl[] = "/tmp/procsql-diff-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir_ = tmpl;
		path_ = dir_ + "/jobs.db";
		ASSERT_EQ(sqlite3_open(path_.c_str(), &a_), SQLITE_OK);
		ASSERT_EQ(sqlite3_open(path_.c_str(), &b_), SQLITE_OK);
		sqlite3_busy_timeout(a_, 5000);
		sqlite3_busy_timeout(b_, 5000);
	}
	void TearDown() override {
		sqlite3_close(a_);
		sqlite3_close(b_);
		for (const char* f : {"/jobs.db", "/jobs.db-journal"}) {
			unlink((dir_ + f).c_str());
		}
		rmdir(dir_.c_str());
	}
	std::string dir_, path_;
	sqlite3* a_ = nullptr;
	sqlite3* b_ = nullptr;
};

TEST_F(DifferentialStateTest, CommittedRowsAndCounterAreWhatTheNextRunLoads) {
	DifferentialState s(a_);
	std::vector<std::string> before;
	uint64_t counter = 99;
	std::string error;
	ASSERT_TRUE(s.load("j", &before, &counter, &error)) << error;
	EXPECT_TRUE(before.empty());
	EXPECT_EQ(counter, 0u);
	const std::vector<std::string> rows = {row("pid", integer(1)), row("pid", integer(1)), row("pid", integer(2))};
	ASSERT_TRUE(s.commit("j", rows, &error)) << error;

	DifferentialState again(b_);
	ASSERT_TRUE(again.load("j", &before, &counter, &error)) << error;
	EXPECT_EQ(before, rows);
	EXPECT_EQ(counter, 1u);
	// Another job's state is its own.
	ASSERT_TRUE(again.load("other", &before, &counter, &error)) << error;
	EXPECT_TRUE(before.empty());
	EXPECT_EQ(counter, 0u);
}

TEST_F(DifferentialStateTest, OfTwoRunsThatLoadedTheSameStateOnlyOneCommits) {
	DifferentialState first(a_), second(b_);
	std::vector<std::string> before;
	uint64_t counter = 0;
	std::string error;
	ASSERT_TRUE(first.load("j", &before, &counter, &error)) << error;
	ASSERT_TRUE(second.load("j", &before, &counter, &error)) << error;
	ASSERT_TRUE(first.commit("j", {row("x", integer(1))}, &error)) << error;
	EXPECT_FALSE(second.commit("j", {row("x", integer(2))}, &error));
	EXPECT_NE(error.find("another run of this job committed first"), std::string::npos) << error;
	// The loser changed nothing: the winner's rows stay.
	DifferentialState check(b_);
	ASSERT_TRUE(check.load("j", &before, &counter, &error)) << error;
	EXPECT_EQ(before, (std::vector<std::string>{row("x", integer(1))}));
	EXPECT_EQ(counter, 1u);
}

} // namespace
