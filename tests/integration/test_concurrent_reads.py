"""Reading while the collector writes: a query loop polls `WHERE eid > last`
(the incremental pattern the eid pushdown is for) while a burst of execs is
running. Every row must be whole (no torn row: argv, argc, cmdline and path
agree), no row may be returned twice, and the polls together must return
every exec of the burst exactly once: a row that becomes visible after a
higher eid was already returned would be lost to such a poller.

The reads overlap the writes by construction, not by timing: the writer runs
the burst in batches and, between two batches, waits at a gate (a `cat` of a
FIFO) that only the reader opens, once a poll has returned the gate's own
exec row. So the writer cannot finish before the reader has polled in the
middle of it, once per gate; and the poll that saw a gate must already have
returned every exec of the batch before it (their eids are lower).
"""

import json
import os
import subprocess
import time
import unittest

from procsql_test import (use_default_config, TRUE, ProcsqlTestCase, marker,
                          python_connect_and_load, write_file)

BATCHES = 5
PER_BATCH = 400
GATES = BATCHES - 1
CAT = os.path.realpath("/bin/cat")
# How long a gate may stay unseen before the test gives up instead of
# hanging (a bound on a wait, not a speed assertion).
GATE_WAIT_S = 120


class ConcurrentReadTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        use_default_config(self)

    def writer_script(self, d, m):
        """/bin/sh text: batch b is `burst PER_BATCH` of `true m b<b> <i>`;
        after each batch but the last, `cat d/m.gate<b>` blocks until the
        reader opens that FIFO."""
        lines = ["set -e"]
        for b in range(BATCHES):
            lines.append("%s %d 0 %s true %s b%d >/dev/null"
                         % (self.prog("burst"), PER_BATCH, TRUE, m, b))
            if b < GATES:
                fifo = os.path.join(d, "%s.gate%d" % (m, b))
                os.mkfifo(fifo)
                lines.append("%s %s >/dev/null" % (CAT, fifo))
        return "\n".join(lines) + "\n"

    @staticmethod
    def open_gates(d):
        for name in os.listdir(d):
            try:
                os.close(os.open(os.path.join(d, name), os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # not a FIFO, or nobody waits at it
                pass

    def test_incremental_polling_during_burst(self):
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        m = marker()
        d = self.tmpdir()
        script = write_file(os.path.join(d, "writer.sh"), self.writer_script(d, m))
        last = conn.execute("SELECT coalesce(max(eid), 0) FROM process_events").fetchone()[0]
        self.addCleanup(self.open_gates, d)  # after a failure, free a waiting cat
        proc = subprocess.Popen(["/bin/sh", script], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        seen_eids = set()
        mine = {}  # (batch, index) -> eid
        gates = {}  # gate -> {batch: number of its execs returned when the gate was}

        def poll():
            nonlocal last
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
                if path == CAT:  # a gate: the writer waits there for us
                    gate = int(args[-1].rsplit(".gate", 1)[1])
                    self.assertNotIn(gate, gates, "gate %d returned twice" % gate)
                    gates[gate] = {b: sum(1 for k in mine if k[0] == b) for b in range(BATCHES)}
                    with open(args[-1], "w"):  # opens the gate
                        pass
                    continue
                if path != TRUE:  # the writer's shell and burst helpers
                    continue
                self.assertEqual(args[:2], ["true", m], "torn row? eid %d" % eid)
                self.assertEqual(argc, 4)
                self.assertEqual(cmdline, " ".join(args))
                self.assertEqual(pid, tid)
                key = (int(args[2][1:]), int(args[3]))
                self.assertNotIn(key, mine, "exec %r returned twice" % (key,))
                mine[key] = eid
            if rows:
                last = max(last, max(r[0] for r in rows))

        deadline = time.monotonic() + GATE_WAIT_S
        while proc.poll() is None:
            poll()
            if len(gates) < GATES and time.monotonic() > deadline:
                self.fail("the polls returned only gates %s of %d" % (sorted(gates), GATES))
        _, err = proc.communicate()
        self.assertEqual(proc.returncode, 0, err)
        poll()  # the rest, after the burst is over
        full = conn.execute(
            "SELECT count(*) FROM process_events WHERE path = ? AND argv LIKE ?",
            (TRUE, "%" + m + "%")).fetchone()[0]
        self.assertEqual(full, BATCHES * PER_BATCH, "the store itself lacks execs")
        # Each gate was opened by a poll made while the writer waited in the
        # middle of its run, and that poll (or an earlier one) had returned
        # every exec of the batches before the gate and none after it.
        self.assertEqual(sorted(gates), list(range(GATES)))
        for gate, counts in gates.items():
            want = {b: PER_BATCH if b <= gate else 0 for b in range(BATCHES)}
            self.assertEqual(counts, want, "execs returned when gate %d was" % gate)
        self.assertEqual(sorted(mine), [(b, i) for b in range(BATCHES) for i in range(PER_BATCH)],
                         "incremental polls missed %d execs" % (BATCHES * PER_BATCH - len(mine)))


if __name__ == "__main__":
    unittest.main()
