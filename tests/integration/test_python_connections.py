"""Debian's python3 sqlite3 module loading the same .so: connections in one
process share one collector, which lives until the last one closes and
leaves no procsql_ BPF program behind.
"""

import os
import sqlite3
import subprocess
import threading
import unittest

from procsql_test import (EXTENSION, TRUE, ProcsqlTestCase, marker,
                          procsql_prog_ids, python_connect_and_load)


def stats(conn):
    return dict(conn.execute("SELECT name, value FROM procsql_stats").fetchall())


def count_marker(conn, m):
    return conn.execute(
        "SELECT count(*) FROM process_events WHERE path = ? AND argv LIKE ?",
        (TRUE, "%" + m + "%")).fetchone()[0]


class PythonConnectionsTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        # The extension reads PROCSQL_* when it loads; keep the defaults.
        saved = {k: v for k, v in os.environ.items() if k.startswith("PROCSQL_")}
        for k in saved:
            del os.environ[k]
        self.addCleanup(os.environ.update, saved)

    def connect(self):
        conn = python_connect_and_load()
        self.addCleanup(conn.close)  # closing twice is harmless
        return conn

    def test_two_connections_share_one_collector(self):
        before = procsql_prog_ids()
        c1 = self.connect()
        mine = procsql_prog_ids() - before
        self.assertTrue(mine, "no procsql_ BPF program appeared after load")
        c2 = self.connect()
        self.assertEqual(procsql_prog_ids() - before, mine,
                         "the second connection attached programs of its own")
        s1, s2 = stats(c1), stats(c2)
        self.assertEqual(s1["instance_id"], s2["instance_id"])
        self.assertEqual(s1["collector_start_time"], s2["collector_start_time"])

        m = marker()
        subprocess.run([TRUE, m], check=True)
        self.assertEqual(count_marker(c1, m), 1)
        self.assertEqual(count_marker(c2, m), 1)

        # Closing one keeps the collector for the other.
        c1.close()
        self.assertTrue(mine <= procsql_prog_ids(), "programs went with the first close")
        m2 = marker()
        subprocess.run([TRUE, m2], check=True)
        self.assertEqual(count_marker(c2, m2), 1)
        self.assertEqual(stats(c2)["instance_id"], s1["instance_id"])

        # Closing the last releases everything of ours.
        c2.close()
        left = procsql_prog_ids()
        self.assertEqual(left & mine, set(), "procsql_ programs still attached")
        self.assertEqual(left - before, set())

    def test_reload_after_release(self):
        """After the last close, a new connection starts a new collector
        (new instance id) that works and is released again."""
        before = procsql_prog_ids()
        c1 = self.connect()
        first = stats(c1)["instance_id"]
        c1.close()
        self.assertEqual(procsql_prog_ids() - before, set())
        c2 = self.connect()
        self.assertNotEqual(stats(c2)["instance_id"], first)
        self.assertTrue(procsql_prog_ids() - before)
        m = marker()
        subprocess.run([TRUE, m], check=True)
        self.assertEqual(count_marker(c2, m), 1)
        c2.close()
        self.assertEqual(procsql_prog_ids() - before, set())

    def test_connection_used_from_another_thread(self):
        """A connection queried from another thread (check_same_thread=False)
        sees the same collector and the same events."""
        c1 = self.connect()
        c2 = sqlite3.connect(":memory:", check_same_thread=False)
        self.addCleanup(c2.close)
        c2.enable_load_extension(True)
        c2.load_extension(EXTENSION)
        m = marker()
        subprocess.run([TRUE, m], check=True)
        out = {}

        def worker():
            out["n"] = count_marker(c2, m)
            out["id"] = stats(c2)["instance_id"]

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        self.assertEqual(out["n"], 1)
        self.assertEqual(out["id"], stats(c1)["instance_id"])


if __name__ == "__main__":
    unittest.main()
