// PROCSQL_UNAVAILABLE(): what a unit test does instead of GTEST_SKIP() when a
// precondition (root, the machine, the kernel) is missing, the way the Python
// tests' unavailable() does: it skips, except under CI=true, where it fails
// (CI must run everything). Streams like GTEST_SKIP():
//
//   if (geteuid() != 0) {
//           PROCSQL_UNAVAILABLE() << "needs root";
//   }
//
// A skipped test makes the binary exit 77 (unit_main.cpp), which ctest
// reports as Skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt), not Passed.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace procsql_test {

inline bool in_ci() {
	const char* ci = std::getenv("CI");
	return ci != nullptr && std::strcmp(ci, "true") == 0;
}

inline ::testing::TestPartResult::Type unavailable_result() {
	return in_ci() ? ::testing::TestPartResult::kFatalFailure : ::testing::TestPartResult::kSkip;
}

inline const char* unavailable_prefix() {
	return in_ci() ? "cannot run (CI=true, so this is a failure, not a skip)" : "";
}

} // namespace procsql_test

// GTEST_SKIP() is `return GTEST_MESSAGE_(message, kSkip)`; this is the same
// with the result type chosen at run time.
#define PROCSQL_UNAVAILABLE()                                                                          \
	return GTEST_MESSAGE_AT_(__FILE__, __LINE__, ::procsql_test::unavailable_prefix(),               \
	                         ::procsql_test::unavailable_result())
