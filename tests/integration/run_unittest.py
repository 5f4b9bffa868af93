"""Runs test modules as `python3 -m unittest -v MODULE...` does, but exits 77
when every test passed and some were skipped, so that ctest
(SKIP_RETURN_CODE 77, tests/CMakeLists.txt) reports the module as Skipped,
not Passed. Any failure or error exits 1. (A skip happens only outside CI:
under CI=true procsql_test.unavailable() fails instead.)

    /usr/bin/python3 run_unittest.py test_burst [test_argv ...]
"""

import sys
import unittest

SKIPPED_EXIT = 77


def main(argv):
    program = unittest.main(module=None, argv=[argv[0], "-v"] + argv[1:], exit=False)
    result = program.result
    if not result.wasSuccessful():
        return 1
    return SKIPPED_EXIT if result.skipped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
