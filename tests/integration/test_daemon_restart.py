"""procsqld restarts (issue 12, "Nothing is lost on restart"), on the backend
under test, with a real daemon (daemon_harness.py):

  * SIGTERM and SIGKILL: every row a reader returned before (process_events,
    clone_events, process_exits of the test's own execs) is returned
    afterwards with the same eid and the same content; the store id stays;
    new rows get larger eids than any before; the gap is reported in the log
    (stopped / was killed or crashed, its bounds and length) and in
    procsql_stats (daemon.starts, previous_stop clean / killed, gap times);
  * a python3 connection attached across the restart keeps working: while
    no daemon runs it still reads the rows it had (and counts the absent
    daemon), and its next query after the restart sees the new daemon's rows;
  * several restarts in a row, alternating SIGTERM and SIGKILL: eids keep
    increasing, nothing written before is lost;
  * PROCSQL_CAPACITY / PROCSQL_ARENA_BYTES changed between runs: the stores
    are set aside (log line naming the old and new store ids, aside/<tag>/
    holds the old files), eids start at 1 under a new store id, and an
    attached reader follows to the new stores (attach.stores_followed); the
    same settings again reuse the stores.
"""

import os
import re
import subprocess
import time
import unittest

from daemon_harness import ASIDE_RE, DATA_FILES, GAP_RE, Daemon
from procsql_test import TRUE, ProcsqlTestCase, Script, marker, sql_str, stats_dict, stats_query


def run_marked(m, n=3):
    """n execs of `true M i`; their pids."""
    pids = []
    for i in range(n):
        p = subprocess.Popen([TRUE, m, str(i)])
        if p.wait() != 0:
            raise AssertionError("true exited %d" % p.returncode)
        pids.append(p.pid)
    return pids


def unix_text(ns):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // 10**9))


class Snapshot:
    """What one reader returned for a set of marked execs: their rows in the
    three event tables, and each table's largest eid at that moment."""

    def __init__(self, client, m, pids):
        pid_list = ",".join(str(p) for p in pids)
        self.events = client.query("SELECT * FROM process_events WHERE argv LIKE ? AND path = ? ORDER BY eid",
                                   ("%" + m + "%", TRUE))
        self.clones = client.query("SELECT * FROM clone_events WHERE child_pid IN (%s) ORDER BY eid" % pid_list)
        self.exits = client.query("SELECT * FROM process_exits WHERE pid IN (%s) ORDER BY eid" % pid_list)
        self.max_eid = {t: client.query("SELECT max(eid) AS e FROM %s" % t)[0]["e"]
                        for t in ("process_events", "clone_events", "process_exits")}

    def rows(self):
        return {"process_events": self.events, "clone_events": self.clones, "process_exits": self.exits}


class DaemonRestartTest(ProcsqlTestCase):

    def take(self, client, m, pids):
        snap = Snapshot(client, m, pids)
        self.assertEqual([r["pid"] for r in snap.events], pids, "exec rows of " + m)
        self.assertEqual(sorted(r["child_pid"] for r in snap.clones), sorted(pids), "clone rows of " + m)
        self.assertEqual(sorted(r["pid"] for r in snap.exits), sorted(pids), "exit rows of " + m)
        return snap

    def check_restart(self, kill):
        d = Daemon(self)
        run1 = d.start()
        c = d.python_client()  # attached across the restart
        m1 = marker()
        pids1 = run_marked(m1)
        before = self.take(c, m1, pids1)
        stats1 = c.stats()
        self.assertEqual((stats1["daemon.pid"], stats1["daemon.starts"]), (run1.pid, 1))

        if kill:
            d.kill()
        else:
            d.stop()
        # No daemon: the reader still reads what the stores hold, and says
        # that no daemon answered.
        down = self.take(c, m1, pids1)
        self.assertEqual(down.rows(), before.rows())
        stats = c.stats()
        self.assertGreaterEqual(stats["attach.daemon_absent"], 1)
        self.assertEqual(stats["daemon.running"], "no",
                         "procsql_stats says the daemon runs while none holds the lock (after %s)"
                         % ("SIGKILL" if kill else "SIGTERM"))
        # A fresh client cannot attach.
        s = Script()
        s.load()
        r = s.run(env=d.attach_env(), check=False)
        self.assertIn("no procsqld runs on", r.stderr)

        run2 = d.start()
        self.assertEqual(run2.store_id, run1.store_id)
        m2 = marker()
        pids2 = run_marked(m2)
        # The reader attached across the restart: same rows, then the new ones.
        after = self.take(c, m1, pids1)
        self.assertEqual(after.rows(), before.rows())
        new = self.take(c, m2, pids2)
        for table, rows in new.rows().items():
            self.assertTrue(all(r["eid"] > before.max_eid[table] for r in rows),
                            "%s: eids after the restart %r, before it up to %d"
                            % (table, [r["eid"] for r in rows], before.max_eid[table]))
        stats = c.stats()
        self.assertEqual((stats["daemon.pid"], stats["daemon.running"], stats["store_id"]),
                         (run2.pid, "yes", run1.store_id))
        self.assertEqual(stats["attach.stores_followed"], 0)

        # A new client: the same rows, and the gap.
        s = Script()
        s.load()
        q1 = s.query("SELECT * FROM process_events WHERE argv LIKE %s AND path = %s ORDER BY eid"
                     % (sql_str("%" + m1 + "%"), sql_str(TRUE)))
        qs = stats_query(s)
        r = s.run(env=d.attach_env())
        self.assertEqual(r.rows(q1), before.events)
        st = stats_dict(r.rows(qs))
        self.assertEqual(st["daemon.starts"], 2)
        self.assertEqual(st["daemon.previous_stop"], "killed" if kill else "clean")
        gap_start, gap_end = st["daemon.gap_start_time"], st["daemon.gap_end_time"]
        self.assertEqual(gap_end, st["daemon.start_time"])
        self.assertLessEqual(run2.t_spawn_ns - 10**9, gap_end)
        self.assertLessEqual(gap_end, run2.t_ready_ns + 10**9)
        if kill:
            # The last sign of life: its start or a heartbeat, before the kill.
            self.assertLessEqual(stats1["daemon.start_time"], gap_start)
            self.assertLessEqual(gap_start, run1.t_stop_sent_ns + 10**9)
        else:
            self.assertLessEqual(run1.t_stop_sent_ns - 10**9, gap_start)
            self.assertLessEqual(gap_start, run1.t_exited_ns + 10**9)
        self.assertLess(gap_start, gap_end)
        gap = run2.find_lines(GAP_RE)
        self.assertEqual(len(gap), 1, run2.log())
        self.assertEqual(gap[0].groups(), ("was killed or crashed" if kill else "stopped", unix_text(gap_start),
                                           unix_text(gap_end), str((gap_end - gap_start) // 10**6)))
        self.assertEqual(run1.find_lines(GAP_RE), [], "a first start reports no gap")
        c.close()
        self.assertEqual(c.proc.returncode, 0, c.stderr)

    def test_sigterm_restart(self):
        self.check_restart(kill=False)

    def test_sigkill_restart(self):
        self.check_restart(kill=True)

    def test_restarts_in_a_row(self):
        d = Daemon(self)
        run = d.start()
        store_id = run.store_id
        c = d.python_client()
        seen = []  # (marker, snapshot) per round
        ways = ["term", "kill", "kill", "term", "kill"]
        for way in ways + [None]:
            m = marker()
            snap = self.take(c, m, run_marked(m, 2))
            if seen:
                for table, rows in snap.rows().items():
                    self.assertGreater(min(r["eid"] for r in rows), seen[-1][1].max_eid[table], table)
            seen.append((m, snap))
            for old_m, old in seen:
                pids = [r["pid"] for r in old.events]
                self.assertEqual(Snapshot(c, old_m, pids).rows(), old.rows(), "rows of " + old_m)
            if way is not None:
                d.restart(kill=(way == "kill"))
                self.assertEqual(d.run.store_id, store_id)
        stats = c.stats()
        self.assertEqual((stats["daemon.starts"], stats["daemon.previous_stop"], stats["store_id"]),
                         (len(ways) + 1, "killed", store_id))

    def test_changed_capacity_sets_the_stores_aside(self):
        d = Daemon(self)
        run1 = d.start()
        c = d.python_client()  # no PROCSQL_CAPACITY of its own: follows the daemon
        m1 = marker()
        self.take(c, m1, run_marked(m1))
        d.stop()

        steps = [({"PROCSQL_CAPACITY": "30000"}, True, "made with capacity 100000"),
                 ({"PROCSQL_CAPACITY": "30000"}, False, None),
                 ({"PROCSQL_CAPACITY": "30000", "PROCSQL_ARENA_BYTES": str(16 << 20)}, True,
                  "arena %d bytes" % (32 << 20))]
        old = run1
        followed = 0
        for env, aside, why in steps:
            with self.subTest(env=env):
                run = d.start(env=env)
                lines = run.find_lines(ASIDE_RE)
                m = marker()
                pids = run_marked(m)
                if not aside:
                    self.assertEqual(lines, [], run.log())
                    self.assertEqual(run.store_id, old.store_id)
                    self.assertEqual(c.stats()["attach.stores_followed"], followed)
                    self.take(c, m, pids)
                    d.stop()
                    continue
                followed += 1
                self.assertEqual(len(lines), 1, run.log())
                old_id, where, reason, new_id = lines[0].groups()
                self.assertEqual((old_id, new_id), (old.store_id, run.store_id))
                self.assertNotEqual(new_id, old_id)
                self.assertIn(why, reason)
                self.assertTrue(re.fullmatch(re.escape(d.path("aside")) + r"/\d+-" + old_id, where), where)
                self.assertEqual(sorted(os.listdir(where)), sorted(DATA_FILES))
                self.assertEqual(run.find_lines(GAP_RE), [], "a new store id reports no gap")
                # The reader attached to the old stores follows to the new ones.
                rows = c.query("SELECT eid, pid FROM process_events WHERE argv LIKE ? AND path = ? ORDER BY eid",
                               ("%" + m + "%", TRUE))
                self.assertEqual([r["pid"] for r in rows], pids)
                self.assertEqual(c.query("SELECT count(*) AS n FROM process_events WHERE argv LIKE ?",
                                         ("%" + m1 + "%",)), [{"n": 0}], "the old store's rows")
                self.assertEqual(c.query("SELECT min(eid) AS e FROM process_events"), [{"e": 1}])
                stats = c.stats()
                self.assertEqual((stats["store_id"], stats["attach.stores_followed"], stats["daemon.starts"],
                                  stats["daemon.previous_stop"], stats["daemon.PROCSQL_CAPACITY"]),
                                 (new_id, followed, 1, "none", env["PROCSQL_CAPACITY"]))
                self.assertEqual(stats["process_events.capacity"], int(env["PROCSQL_CAPACITY"]))
                old = run
                d.stop()


if __name__ == "__main__":
    unittest.main()
