// main() of every unit test binary (instead of gtest_main): runs the tests
// and exits 77 when none failed but some were skipped, so that ctest
// (SKIP_RETURN_CODE 77, tests/CMakeLists.txt) reports the binary as Skipped
// instead of Passed. A skip is only possible outside CI (unavailable.h).
#include <gtest/gtest.h>

#include <cstdlib>

namespace {
constexpr int kSkippedExit = 77;
}

int main(int argc, char** argv) {
	::testing::InitGoogleTest(&argc, argv);
	// The collectors these tests start are their own, even when a procsqld
	// runs on this machine (a test that wants to attach says so).
	setenv("PROCSQL_MODE", "embedded", 0);
	const int failed = RUN_ALL_TESTS();
	if (failed != 0) {
		return failed;
	}
	return ::testing::UnitTest::GetInstance()->skipped_test_count() > 0 ? kSkippedExit : 0;
}
