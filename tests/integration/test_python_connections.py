"""Debian's python3 sqlite3 module loading the same .so: connections in one
process share one collector, which lives until the last one closes and
leaves no procsql_ BPF program behind.

Our programs are told apart from those of other processes on the machine by
the prog ids in this process's own BPF descriptors (/proc/self/fdinfo).

On the audit backend the same holds of what it puts in the kernel instead:
its audit rules (told apart by the instance's key, `audit.rule_key`), its
audit and process-events sockets, and the audit daemon registration.
"""

import os
import sqlite3
import subprocess
import threading
import unittest

from procsql_test import (AUDIT, AUDITCTL, use_default_config, EXTENSION, TRUE,
                          ProcsqlTestCase, audit_daemon_pid, audit_rules_with_key, marker,
                          own_audit_sockets, own_bpf_objects, own_prog_ids, procsql_prog_ids,
                          python_connect_and_load, require_tool, wait_progs_gone)


def stats(conn):
    return dict(conn.execute("SELECT name, value FROM procsql_stats").fetchall())


def count_marker(conn, m):
    return conn.execute(
        "SELECT count(*) FROM process_events WHERE path = ? AND argv LIKE ?",
        (TRUE, "%" + m + "%")).fetchone()[0]


class PythonConnectionsTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        use_default_config(self)
        if AUDIT:
            require_tool(self, AUDITCTL)
        self.assertEqual(self.held(), [], "collector objects held before any load")

    def connect(self):
        conn = python_connect_and_load()
        self.addCleanup(conn.close)  # closing twice is harmless
        return conn

    # What the collector holds in this process, and what it put in the
    # kernel: BPF objects and programs on eBPF; netlink sockets and the
    # instance's audit rules on audit.

    def held(self):
        return own_audit_sockets() if AUDIT else own_bpf_objects()

    def installed(self, conn):
        if AUDIT:
            return audit_rules_with_key(stats(conn)["audit.rule_key"])
        return own_prog_ids()

    def assert_ours_are_procsql(self, ids):
        if AUDIT:
            self.assertTrue(ids, "no audit rule with the instance's key after load")
            for rule in ids:
                self.assertIn(" key=procsql-", rule)
            return
        self.assertTrue(ids, "no BPF program held after load")
        self.assertTrue(ids <= procsql_prog_ids(),
                        "our programs are not all named procsql_*")

    def assert_released(self, ids):
        self.assertEqual(self.held(), [], "collector objects still held after the last close")
        if AUDIT:
            key = next(iter(ids)).rsplit(" key=", 1)[1]
            self.assertEqual(audit_rules_with_key(key), set(),
                             "our audit rules are still installed")
            self.assertNotEqual(audit_daemon_pid(), os.getpid(),
                                "still registered as the audit daemon")
            return
        self.assertEqual(wait_progs_gone(ids), set(), "our procsql_ programs are still loaded")

    def test_two_connections_share_one_collector(self):
        c1 = self.connect()
        mine = self.installed(c1)
        self.assert_ours_are_procsql(mine)
        held = self.held()
        c2 = self.connect()
        self.assertEqual(self.installed(c2), mine,
                         "the second connection attached programs (rules) of its own")
        self.assertEqual(len(self.held()), len(held),
                         "the second connection opened objects of its own")
        s1, s2 = stats(c1), stats(c2)
        self.assertEqual(s1["instance_id"], s2["instance_id"])
        self.assertEqual(s1["collector_start_time"], s2["collector_start_time"])

        m = marker()
        subprocess.run([TRUE, m], check=True)
        self.assertEqual(count_marker(c1, m), 1)
        self.assertEqual(count_marker(c2, m), 1)

        # Closing one keeps the collector for the other.
        c1.close()
        self.assertEqual(self.installed(c2), mine, "programs (rules) went with the first close")
        self.assertEqual(len(self.held()), len(held))
        m2 = marker()
        subprocess.run([TRUE, m2], check=True)
        self.assertEqual(count_marker(c2, m2), 1)
        self.assertEqual(stats(c2)["instance_id"], s1["instance_id"])

        # Closing the last releases everything of ours: at once in this
        # process, and in the kernel once it has freed the programs.
        c2.close()
        self.assert_released(mine)

    def test_reload_after_release(self):
        """After the last close, a new connection starts a new collector
        (new instance id, new programs) that works and is released again."""
        c1 = self.connect()
        first = stats(c1)["instance_id"]
        first_progs = self.installed(c1)
        self.assert_ours_are_procsql(first_progs)
        c1.close()
        self.assert_released(first_progs)
        c2 = self.connect()
        self.assertNotEqual(stats(c2)["instance_id"], first)
        second_progs = self.installed(c2)
        self.assert_ours_are_procsql(second_progs)
        self.assertEqual(second_progs & first_progs, set())
        m = marker()
        subprocess.run([TRUE, m], check=True)
        self.assertEqual(count_marker(c2, m), 1)
        c2.close()
        self.assert_released(second_progs)

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
