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
        received = int(a["process_events.events_received"]) - int(b["process_events.events_received"])
        msg = "captured %d of %d (kernel lost %d during the burst)" % (c["n"], N, lost)
        self.assertEqual(c["n"], N, msg)
        self.assertEqual(c["d"], N, "duplicate rows: " + msg)
        self.assertEqual(lost, 0, msg)
        self.assertGreaterEqual(received, N)
        indices = sorted(int(json.loads(row["argv"])[-1]) for row in r.rows(q_argv))
        self.assertEqual(indices, list(range(N)))
        for row in r.rows(q_argv)[:5]:
            self.assertEqual(json.loads(row["argv"])[:2], ["true", m])

    def test_full_store_overwrites_oldest_and_counts(self):
        """PROCSQL_CAPACITY=1024 and 2,500 execs: the store holds exactly
        1024 rows, the newest; rows_overwritten counts the rest."""
        burst = self.prog("burst")
        cap = 1024
        n = 2500
        m = marker()
        s = Script()
        s.load()
        s.shell("%s %d 0 %s true %s >/dev/null" % (burst, n, TRUE, m))
        st = stats_query(s)
        q = s.query("SELECT count(*) AS n, min(eid) AS lo, max(eid) AS hi,"
                    " count(DISTINCT eid) AS d FROM process_events")
        q_mine = s.query("SELECT count(*) AS n FROM process_events WHERE argv LIKE %s"
                         % sql_str("%" + m + "%"))
        r = s.run(env={"PROCSQL_CAPACITY": str(cap)}, timeout=240)
        stats = stats_dict(r.rows(st))
        self.assertEqual(int(stats["process_events.capacity"]), cap)
        self.assertGreaterEqual(int(stats["process_events.rows_overwritten"]), n - cap)
        c = r.rows(q)[0]
        self.assertEqual(c["n"], cap)
        self.assertEqual(c["d"], cap)
        # The rows kept are the newest ones: a contiguous run of eids.
        self.assertEqual(c["hi"] - c["lo"] + 1, cap)
        mine = r.rows(q_mine)[0]["n"]
        self.assertGreater(mine, 0)
        self.assertLessEqual(mine, cap)


if __name__ == "__main__":
    unittest.main()
