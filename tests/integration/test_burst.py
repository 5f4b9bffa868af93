"""Bursts of short-lived execs: every one captured, and a full store
overwrites its oldest rows and counts them.

tests/progs/burst posix_spawns `/usr/bin/true true <marker> <i>` N times on
all cores (one worker thread per CPU) and waits for each child.
"""

import json
import unittest

from procsql_test import (TRUE, ProcsqlTestCase, Script, marker, sql_str,
                          stats_dict, stats_query)

N = 5000


class BurstTest(ProcsqlTestCase):

    def test_5000_short_lived_execs_all_captured(self):
        burst = self.prog("burst")
        m = marker()
        s = Script()
        s.load()
        before = stats_query(s)
        s.shell("%s %d 0 %s true %s >/dev/null" % (burst, N, TRUE, m))
        after = stats_query(s)
        where = "path = %s AND argv LIKE %s" % (sql_str(TRUE), sql_str("%" + m + "%"))
        q_count = s.query("SELECT count(*) AS n, count(DISTINCT argv) AS d,"
                          " count(DISTINCT pid) AS pids FROM process_events WHERE " + where)
        q_argv = s.query("SELECT argv FROM process_events WHERE " + where)
        r = s.run(timeout=240)
        c = r.rows(q_count)[0]
        b, a = stats_dict(r.rows(before)), stats_dict(r.rows(after))
        lost = int(a["process_events.events_lost_kernel"]) - int(b["process_events.events_lost_kernel"])
        msg = "captured %d of %d (kernel lost %d during the burst)" % (c["n"], N, lost)
        self.assertEqual(c["n"], N, msg)
        self.assertEqual(c["d"], N, "duplicate rows: " + msg)
        self.assertEqual(lost, 0, msg)
        indices = sorted(int(json.loads(row["argv"])[-1]) for row in r.rows(q_argv))
        self.assertEqual(indices, list(range(N)))
        for row in r.rows(q_argv)[:5]:
            self.assertEqual(json.loads(row["argv"])[:2], ["true", m])

    def test_full_store_overwrites_oldest_and_counts(self):
        """PROCSQL_CAPACITY=1024 and 2,500 execs one after another: the store
        holds exactly 1024 rows; of ours it kept the newest (consecutive
        indices up to the last one, in eid order); and rows_overwritten is
        the number of eids below the oldest row kept."""
        burst = self.prog("burst")
        cap = 1024
        n = 2500
        m = marker()
        s = Script()
        s.load()
        # One worker: each exec is over before the next starts, so eids
        # follow the index.
        s.shell("%s %d 1 %s true %s >/dev/null" % (burst, n, TRUE, m))
        st_before = stats_query(s)
        q = s.query("SELECT count(*) AS n, min(eid) AS lo, count(DISTINCT eid) AS d"
                    " FROM process_events")
        st_after = stats_query(s)
        q_mine = s.query("SELECT argv FROM process_events WHERE path = %s AND argv LIKE %s"
                         " ORDER BY eid" % (sql_str(TRUE), sql_str("%" + m + "%")))
        r = s.run(env={"PROCSQL_CAPACITY": str(cap)}, timeout=240)
        before, after = stats_dict(r.rows(st_before)), stats_dict(r.rows(st_after))
        self.assertEqual(int(after["process_events.capacity"]), cap)
        c = r.rows(q)[0]
        self.assertEqual((c["n"], c["d"]), (cap, cap))
        # Every eid below the oldest row kept left by overwriting (the arena,
        # 32 MiB, evicts nothing here). Rows of other processes may arrive
        # between the statements, so the scan's oldest eid lies between what
        # the counter said just before and just after it.
        for st in (before, after):
            self.assertEqual(int(st["process_events.rows_evicted_by_arena"]), 0)
        self.assertLessEqual(int(before["process_events.rows_overwritten"]), c["lo"] - 1)
        self.assertGreaterEqual(int(after["process_events.rows_overwritten"]), c["lo"] - 1)
        kept = [int(json.loads(row["argv"])[-1]) for row in r.rows(q_mine)]
        self.assertTrue(0 < len(kept) <= cap, len(kept))
        self.assertEqual(kept, list(range(n - len(kept), n)),
                         "the rows kept of ours are not the newest ones")


if __name__ == "__main__":
    unittest.main()
