"""The queries of queries/ about namespaces, run as written against real
activity: a plain runc container start (real namespaces, real runtime) and an
`unshare -n` by an ordinary program. Each query fires on what it is about and
stays quiet on the other.
"""

import os
import subprocess
import unittest

from containers import Container
from procsql_test import ProcsqlTestCase, marker, python_connect_and_load, require_root

QUERIES = os.path.join(os.environ.get("PROCSQL_SOURCE_DIR",
                                      os.path.join(os.path.dirname(__file__), "..", "..")),
                       "queries")

# The descendants of one process, by (pid, start_time) through clone_events.
TREE = """
WITH RECURSIVE tree(pid) AS (
    SELECT ?
    UNION
    SELECT c.child_pid FROM clone_events c JOIN tree t ON c.pid = t.pid
     WHERE c.child_pid IS NOT NULL
)
SELECT pid FROM tree
"""


def run_query(conn, name):
    with open(os.path.join(QUERIES, name)) as f:
        sql = f.read()
    cur = conn.execute(sql, {"job": None})  # no job: the whole table
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


class NamespaceQueriesTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        require_root(self)
        self.conn = python_connect_and_load()
        self.addCleanup(self.conn.close)

    def test_every_query_is_headed_by_question_and_driving_table(self):
        for name in ("namespace_changes_by_non_runtimes.sql", "container_runtime_namespace_activity.sql"):
            with open(os.path.join(QUERIES, name)) as f:
                head = f.read().split("SELECT")[0]
            self.assertIn("-- Question:", head, name)
            self.assertIn("-- Driving table: clone_events.", head, name)
            self.assertIn("-- Cron", head, name)

    def test_unshare_by_a_program_is_reported_as_non_runtime(self):
        p = subprocess.Popen(["unshare", "-n", "/bin/true", marker()])
        self.assertEqual(p.wait(), 0)
        non_runtime = run_query(self.conn, "namespace_changes_by_non_runtimes.sql")
        mine = [r for r in non_runtime if r["pid"] == p.pid]
        self.assertEqual(len(mine), 1, non_runtime)
        self.assertEqual(mine[0]["syscall"], "unshare")
        self.assertEqual(mine[0]["new_namespaces"], "net")
        runtime = run_query(self.conn, "container_runtime_namespace_activity.sql")
        self.assertEqual([r for r in runtime if r["pid"] == p.pid], [])

    def test_container_start_is_runtime_activity_only(self):
        c = Container(self, ["sh", "-c", "exit 0"])
        r = c.run()
        self.assertEqual(r.returncode, 0, r)
        tree = {row[0] for row in self.conn.execute(TREE, (c.runc_pid,))}
        self.assertGreater(len(tree), 2, "runc's process tree was not seen")

        runtime = [r for r in run_query(self.conn, "container_runtime_namespace_activity.sql")
                   if r["pid"] in tree]
        made = set()
        for row in runtime:
            made.update(row["new_namespaces"].split(","))
        self.assertTrue({"mnt", "pid", "net"} <= made, runtime)

        non_runtime = [r for r in run_query(self.conn, "namespace_changes_by_non_runtimes.sql")
                       if r["pid"] in tree]
        self.assertEqual(non_runtime, [], "a plain container start was reported as a non-runtime")


if __name__ == "__main__":
    unittest.main()
