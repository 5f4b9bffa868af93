"""What the README's Configuration section promises of a value: a bad one
makes `.load` fail with one line naming its variable, said when the
configuration is read, not later by another part in other words (an arena
size that is not a multiple of 64 was refused by the clone_events store,
naming no variable); and the audit backend runs only as euid 0, whatever the
capabilities.
"""

import os
import shutil
import unittest

import test_load_errors
from procsql_test import (EXTENSION_SO, ProcsqlTestCase, Script, require_tool,
                          stats_dict, stats_query)

NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"]
AUDIT_CAPS = "+audit_control,+audit_read"


class ConfigErrorTest(ProcsqlTestCase):

    # One line from the extension, naming what it must (test_load_errors').
    assert_clean_error = test_load_errors.LoadErrorTest.assert_clean_error

    def load(self, env, check=True, prefix=(), path=None, cwd=None):
        s = Script()
        s.load(path)
        q = stats_query(s)
        r = s.run(env=env, check=check, prefix=prefix, cwd=cwd)
        return r, q

    def test_arena_bytes_not_a_multiple_of_64(self):
        # 8 MiB + 8: a multiple of 8, but its eighth (clone_events' and
        # process_exits' arena) is not; 1 MiB + 4 is not even a multiple of 8.
        for value in ("8388616", "1048580", "33554440", "67108896"):
            with self.subTest(value=value):
                r, _ = self.load({"PROCSQL_ARENA_BYTES": value}, check=False)
                msg = self.assert_clean_error(r, ["PROCSQL_ARENA_BYTES", "multiple of 64", value])
                self.assertNotIn("store", msg)

    def test_arena_bytes_multiples_of_64_load(self):
        for value in ("8388672", "1048576", "8M", "33554496"):
            with self.subTest(value=value):
                r, q = self.load({"PROCSQL_ARENA_BYTES": value})
                self.assertEqual(r.stderr_lines(), [])
                want = int(value[:-1]) << 20 if value.endswith("M") else int(value)
                self.assertEqual(stats_dict(r.rows(q))["process_events.arena_bytes"], want)

    def test_audit_backend_needs_euid_0(self):
        """uid 65534 holding CAP_AUDIT_CONTROL and CAP_AUDIT_READ (ambient,
        so the sqlite3 shell has them): the audit backend still refuses, and
        says it needs root."""
        setpriv = require_tool(self, "setpriv")
        d = self.tmpdir()  # where uid 65534 can read the extension
        os.chmod(d, 0o755)
        extension = shutil.copy(EXTENSION_SO, d)[:-len(".so")]
        caps = [setpriv] + NOBODY + ["--inh-caps=" + AUDIT_CAPS, "--ambient-caps=" + AUDIT_CAPS]
        probe = Script()
        q = probe.query("SELECT 1 AS ok")
        r = probe.run(prefix=caps + ["/bin/sh", "-c", 'grep CapEff /proc/self/status >&2; exec "$@"', "sh"],
                      cwd=d)
        self.assertEqual(r.rows(q), [{"ok": 1}])
        # CAP_AUDIT_CONTROL is bit 30, CAP_AUDIT_READ bit 37.
        self.assertEqual(int(r.stderr.split()[-1], 16), (1 << 30) | (1 << 37), r.stderr)
        r, _ = self.load({"PROCSQL_BACKEND": "audit"}, check=False, prefix=caps,
                         path=extension, cwd=d)
        self.assert_clean_error(r, ["audit", "needs root"])


if __name__ == "__main__":
    unittest.main()
