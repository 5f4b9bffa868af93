"""Exits exactly once under pressure (issue 11).

An exit storm of 20,000 marked processes (more than twice the 8,192 entries
the exit claim map once had, when it was an LRU that could forget a claim
while a thread of its group was still exiting), then 400 processes of four
threads each ending in exit_group with every thread alive (so several threads
of one group reach the exit tracepoint after the group's live count hit zero):
every process has exactly one process_exits row, with the status wait(2)
gave. Run twice: as this kernel does it (group_dead, 6.16+) and as kernels
before 6.16 must (PROCSQL_BPF_EXE_MEMO=hash: no group_dead, claims in a map
freed by sched_process_free). Heavy: the normal pass only.
"""

import unittest

from procsql_test import TRUE, ProcsqlTestCase, Script, marker, require_extension, sql_str, stats_dict, stats_query

SINGLE = 20000
THREADED = 400


class ExitStormTest(ProcsqlTestCase):

    def storm(self, mode):
        require_extension(self)
        burst = self.prog("burst")
        lifecycle = self.prog("lifecycle")
        m = marker()
        like = sql_str("%" + m + "%")
        s = Script()
        s.load()
        s.shell("%s %d 0 %s true %s-single >/dev/null" % (burst, SINGLE, TRUE, m))
        s.shell("%s %d 0 %s lifecycle threads 3 %s-threaded exit 0 >/dev/null"
                % (burst, THREADED, lifecycle, m))
        # Per marked exec: how many exit rows it has, and their statuses.
        q = s.query(
            "SELECT e.path = %s AS threaded, count(x.eid) AS exits, "
            "       sum(x.exit_code = 0) AS zero "
            "FROM process_events e LEFT JOIN process_exits x "
            "  ON x.pid = e.pid AND x.start_time = e.start_time "
            "WHERE e.argv LIKE %s AND e.path IN (%s, %s) GROUP BY e.eid"
            % (sql_str(lifecycle), like, sql_str(TRUE), sql_str(lifecycle)))
        q_stats = stats_query(s)
        r = s.run(env={"PROCSQL_BPF_EXE_MEMO": mode, "PROCSQL_CAPACITY": "200000"}, timeout=600)
        stats = stats_dict(r.rows(q_stats))
        for table in ("process_events", "process_exits"):
            self.assertEqual(stats[table + ".events_lost_kernel"], 0,
                             "%s lost events in the kernel: the storm cannot be judged" % table)
            self.assertEqual(stats[table + ".rows_overwritten"], 0)
        self.assertEqual(stats["bpf.exit_claims_full"], 0)
        rows = r.rows(q)
        single = [x for x in rows if not x["threaded"]]
        threaded = [x for x in rows if x["threaded"]]
        self.assertEqual(len(single), SINGLE)
        self.assertEqual(len(threaded), THREADED)
        by_count = {}
        for x in rows:
            by_count[x["exits"]] = by_count.get(x["exits"], 0) + 1
        self.assertEqual(by_count, {1: SINGLE + THREADED}, "processes by number of exit rows")
        self.assertTrue(all(x["zero"] == 1 for x in rows), "every exit status is 0")

    def test_group_dead(self):
        self.storm("auto")

    def test_claims_before_6_16(self):
        self.storm("hash")


if __name__ == "__main__":
    unittest.main()
