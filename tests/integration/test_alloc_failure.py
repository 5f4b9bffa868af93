"""No exception reaches SQLite (issue 11): a scan that cannot allocate a
row's strings fails the query with an error, and the process lives on (a
bad_alloc in xNext used to end the host with std::terminate).

The address space is capped with RLIMIT_AS, which AddressSanitizer's own
allocator cannot live under (it aborts instead of throwing): this test runs
in the normal pass only (label not_sanitized, scripts/test.sh).
"""

import os
import subprocess
import textwrap

from procsql_test import EXTENSION, ProcsqlTestCase, marker, require_extension

PY = "/usr/bin/python3"


class NoExceptionIntoSqliteTest(ProcsqlTestCase):

    def test_allocation_failure_in_a_scan_is_an_error(self):
        """A 200 KB argv is read while the address space is capped just above
        what the process uses: the query fails with an error (no abort)."""
        require_extension(self)
        m = marker()
        child = textwrap.dedent("""
            import ctypes, os, resource, sqlite3, subprocess, sys
            conn = sqlite3.connect(":memory:")
            conn.enable_load_extension(True)
            conn.load_extension(sys.argv[1])
            m = sys.argv[2]
            subprocess.run(["/bin/true", m, "small"], check=True)
            subprocess.run(["/bin/true", m] + ["y" * 50000] * 4, check=True)
            conn.execute("SELECT count(*) FROM process_events").fetchall()  # stored now
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # no free heap left to serve 200 KB from
            with open("/proc/self/status") as f:
                vm = [int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize:")][0]
            resource.setrlimit(resource.RLIMIT_AS, (vm + (64 << 10), resource.RLIM_INFINITY))
            try:
                rows = conn.execute("SELECT argv FROM process_events WHERE argv LIKE ? ORDER BY eid",
                                    ("%" + m + "%",)).fetchall()
                print("ROWS", len(rows))
            except (sqlite3.Error, MemoryError) as e:
                print("ERROR", type(e).__name__, e)
            resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            print("ALIVE", conn.execute("SELECT 1").fetchone()[0])
        """)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
        env["PROCSQL_ARGV_BYTES"] = "262144"
        p = subprocess.run([PY, "-c", child, EXTENSION, m], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, "the process died: rc=%d stderr=%s" % (p.returncode, p.stderr))
        self.assertIn("ERROR", p.stdout, "the capped read did not fail, so it tested nothing: " + p.stdout)
        self.assertIn("memory", p.stdout.lower())
        self.assertIn("ALIVE 1", p.stdout)
