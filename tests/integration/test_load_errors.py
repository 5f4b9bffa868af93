"""`.load` failures: as non-root, and with a bad configuration value. Each
must be one clear line from the extension and a normal error exit (no
signal, no crash), and must leave nothing attached.
"""

import os
import shutil
import signal
import unittest

from procsql_test import (EXTENSION, EXTENSION_SO, ProcsqlTestCase, Script,
                          own_bpf_objects, python_connect_and_load, require_root, require_tool,
                          strip_shell_error_prefix, stats_dict, stats_query)


class LoadErrorTest(ProcsqlTestCase):

    def assert_clean_error(self, r, must_contain):
        self.assertGreater(r.returncode, 0,
                           "expected an error exit, got %d%s; stderr: %s" % (
                               r.returncode,
                               " (%s)" % signal.Signals(-r.returncode).name
                               if r.returncode < 0 else "", r.stderr))
        lines = r.stderr_lines()
        self.assertEqual(len(lines), 1, "expected one line on stderr, got:\n" + r.stderr)
        msg = strip_shell_error_prefix(lines[0])
        self.assertTrue(msg.startswith("procsql: "), msg)
        for word in must_contain:
            self.assertIn(word, msg)
        self.assertNotIn("@@procsql", r.output, "the script went on after the failed .load")
        return msg

    def test_non_root_load(self):
        """As uid 65534 without capabilities: one line naming root."""
        setpriv = require_tool(self, "setpriv")
        d = self.tmpdir()
        os.chmod(d, 0o755)
        so = os.path.join(d, "procsql.so")
        shutil.copy(EXTENSION_SO, so)
        os.chmod(so, 0o755)
        s = Script()
        s.load(os.path.join(d, "procsql"))
        s.query("SELECT 1 AS after_load")
        r = s.run(check=False, cwd=d, prefix=[
            setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        self.assert_clean_error(r, ["root"])

    def test_root_without_capabilities(self):
        """uid 0 with an empty capability bounding set: eBPF says it needs
        CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN (the one case where "root" is
        the right advice), and nothing about the verifier."""
        require_root(self)
        setpriv = require_tool(self, "setpriv")
        s = Script()
        s.load()
        s.query("SELECT 1 AS after_load")
        r = s.run(check=False, env={"PROCSQL_BACKEND": "bpf"},
                  prefix=[setpriv, "--bounding-set=-all", "--inh-caps=-all"])
        msg = self.assert_clean_error(r, ["needs root", "CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN"])
        self.assertNotIn("verifier", msg)

    def test_bad_environment_values(self):
        """Each bad value makes .load fail with one line naming the variable."""
        cases = [
            ("PROCSQL_CAPACITY", "abc"),
            ("PROCSQL_CAPACITY", "0"),
            ("PROCSQL_CAPACITY", "-5"),
            ("PROCSQL_CAPACITY", "12abc"),
            ("PROCSQL_CAPACITY", "99999999999999999999999"),
            ("PROCSQL_ARENA_BYTES", "lots"),
            ("PROCSQL_ARENA_BYTES", "-1"),
            ("PROCSQL_ARGV_BYTES", "255"),
            ("PROCSQL_ARGV_BYTES", "262145"),
            ("PROCSQL_ARGV_BYTES", "0"),
            ("PROCSQL_ARGV_BYTES", "4x"),
            ("PROCSQL_RINGBUF_BYTES", "big"),
            ("PROCSQL_RINGBUF_BYTES", "-4096"),
            ("PROCSQL_BACKEND", "bogus"),
            ("PROCSQL_BPF_EXE_MEMO", "always"),
        ]
        for var, value in cases:
            with self.subTest(var=var, value=value):
                s = Script()
                s.load()
                s.query("SELECT 1 AS after_load")
                r = s.run(env={var: value}, check=False)
                self.assert_clean_error(r, [var])

    def test_failed_load_leaves_nothing_behind(self):
        """A load that fails leaves this process holding no BPF object (what
        any leak would be: nothing of ours is pinned), and a later good load
        in the same process works. Checked in-process, so other procsql users
        on the machine cannot disturb it."""
        import sqlite3
        require_root(self)
        for var, value in (("PROCSQL_CAPACITY", "abc"), ("PROCSQL_BACKEND", "ebpf")):
            with self.subTest(var=var):
                os.environ[var] = value
                try:
                    conn = sqlite3.connect(":memory:")
                    conn.enable_load_extension(True)
                    with self.assertRaises(sqlite3.OperationalError) as caught:
                        conn.load_extension(EXTENSION)
                    self.assertIn(var, str(caught.exception))
                    conn.close()
                finally:
                    del os.environ[var]
                self.assertEqual(own_bpf_objects(), [])
        conn = python_connect_and_load()
        self.assertEqual(conn.execute("SELECT value FROM procsql_stats WHERE name = 'backend'").fetchone()[0], "bpf")
        conn.close()
        self.assertEqual(own_bpf_objects(), [])

    def test_good_values_load(self):
        """The documented values load: backend auto/bpf/audit, argv bound at
        both ends of 256..262144, a custom capacity shows in procsql_stats."""
        for env in ({"PROCSQL_BACKEND": "auto"}, {"PROCSQL_BACKEND": "bpf"},
                    {"PROCSQL_BACKEND": "audit"},
                    {"PROCSQL_ARGV_BYTES": "256"}, {"PROCSQL_ARGV_BYTES": "262144"},
                    {"PROCSQL_CAPACITY": "5000"}):
            with self.subTest(env=env):
                s = Script()
                s.load()
                q = stats_query(s)
                r = s.run(env=env)
                self.assertEqual(r.stderr_lines(), [])
                stats = stats_dict(r.rows(q))
                self.assertEqual(stats["backend"],
                                 "audit" if env.get("PROCSQL_BACKEND") == "audit" else "bpf")
                if "PROCSQL_CAPACITY" in env:
                    self.assertEqual(int(stats["process_events.capacity"]), 5000)


if __name__ == "__main__":
    unittest.main()
