"""Reading while the collector writes: a query loop polls `WHERE eid > last`
(the incremental pattern the eid pushdown is for) while a burst of execs is
running. Every row must be whole (no torn row: argv, argc, cmdline and path
agree), no row may be returned twice, and the polls together must return
every exec of the burst exactly once — a row that becomes visible after a
higher eid was already returned would be lost to such a poller.
"""

import json
import os
import subprocess
import unittest

from procsql_test import (use_default_config, TRUE, ProcsqlTestCase, marker,
                          python_connect_and_load)

N = 2000


class ConcurrentReadTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        use_default_config(self)

    def test_incremental_polling_during_burst(self):
        burst = self.prog("burst")
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        m = marker()
        last = conn.execute("SELECT coalesce(max(eid), 0) FROM process_events").fetchone()[0]
        proc = subprocess.Popen([burst, str(N), "0", TRUE, "true", m],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        seen_eids = set()
        mine = {}
        polls = 0

        def poll():
            nonlocal last, polls
            polls += 1
            rows = conn.execute(
                "SELECT eid, path, argv, argc, cmdline, cmdline_truncated, pid, tid"
                " FROM process_events WHERE eid > ?", (last,)).fetchall()
            for eid, path, argv, argc, cmdline, trunc, pid, tid in rows:
                self.assertGreater(eid, last)
                self.assertNotIn(eid, seen_eids, "row returned twice")
                seen_eids.add(eid)
                args = json.loads(argv)
                if trunc == 0:
                    self.assertEqual(argc, len(args), "torn row? eid %d" % eid)
                if m not in argv:
                    continue
                if path != TRUE:  # the burst helper's own exec
                    continue
                self.assertEqual(args[:2], ["true", m], "torn row? eid %d" % eid)
                self.assertEqual(argc, 3)
                self.assertEqual(cmdline, " ".join(args))
                self.assertEqual(pid, tid)
                idx = int(args[2])
                self.assertNotIn(idx, mine, "exec %d returned twice" % idx)
                mine[idx] = eid
            if rows:
                last = max(last, max(r[0] for r in rows))

        while proc.poll() is None:
            poll()
        _, err = proc.communicate()
        self.assertEqual(proc.returncode, 0, err)
        poll()  # the rest, after the burst is over
        full = conn.execute(
            "SELECT count(*) FROM process_events WHERE path = ? AND argv LIKE ?",
            (TRUE, "%" + m + "%")).fetchone()[0]
        self.assertEqual(full, N, "the store itself lacks execs")
        self.assertGreater(polls, 2, "the reads did not overlap the burst")
        self.assertEqual(sorted(mine), list(range(N)),
                         "incremental polls missed %d execs" % (N - len(mine)))


if __name__ == "__main__":
    unittest.main()
