"""syscall_usage on the audit backend: it records no syscalls, and says so.

Forced to PROCSQL_BACKEND=audit whatever the run's backend (registered with
the audit-using tests: the audit subsystem is one per host, tests/CMakeLists.txt).
Without PROCSQL_SYSCALLS the table is empty; with it, a query of the table
fails with one line naming the eBPF backend, and the other tables still work.
"""

import os
import sqlite3

from procsql_test import ProcsqlTestCase, python_connect_and_load, require_root, use_default_config

WANT = ("PROCSQL_SYSCALLS is set, but the audit backend records no syscalls "
        "(syscall_usage needs the eBPF backend)")


class SyscallUsageAuditTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        require_root(self)
        use_default_config(self)
        os.environ["PROCSQL_BACKEND"] = "audit"
        self.addCleanup(os.environ.pop, "PROCSQL_SYSCALLS", None)

    def test_empty_without_recording(self):
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        self.assertEqual(conn.execute("SELECT count(*) FROM syscall_usage").fetchone()[0], 0)

    def test_recording_asked_is_a_clear_error(self):
        os.environ["PROCSQL_SYSCALLS"] = "all"
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        with self.assertRaises(sqlite3.OperationalError) as e:
            conn.execute("SELECT * FROM syscall_usage").fetchall()
        self.assertIn(WANT, str(e.exception))
        self.assertNotIn("\n", str(e.exception))
        self.assertEqual(conn.execute("SELECT value FROM procsql_stats WHERE name = 'backend'").fetchone()[0],
                         "audit")


if __name__ == "__main__":
    import unittest
    unittest.main()
