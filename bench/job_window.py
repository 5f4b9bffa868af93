#!/usr/bin/python3
"""job_window: what a job costs when procsqld holds 1,000,000 rows and only
1,000 are new since the job's last commit, against the same job on a store
of 10,000 rows (issue 13's target: ratio <= 1.2), timed as whole `procsql
query` runs, start to exit, as cron runs them.

    sudo /usr/bin/python3 bench/job_window.py --build build [--pairs 15]

Run from the repository root (BUILD/bin/procsql and
BUILD/bench/synthetic_procsqld must be built). No kernel events and no BPF:
two synthetic_procsqld's (bench/synthetic_daemon.h, the fake daemon of
attach_scan) run in fresh state directories under --dir (default /dev/shm),
one with --rows (1,000,000) synthetic exec rows, one with --small-rows
(10,000); row i has eid i, and rows with i % 100 == 37 have "needle" in
their argv.

For each side a template jobs database (under --db-dir, default --dir) is
made by one real run, `procsql query --db T --job bench -e "SELECT count(*)
FROM process_events"` (a first run: every row, then its commit makes the
job's row in procsql_jobs with that daemon's store id), after which the
position is set back to rows - --new (1,000). Then --pairs rounds; in each,
every query below runs once on each side back to back (which side goes
first alternates by round), as

    procsql query --db RUN.db --job bench --format jsonl -e QUERY

with PROCSQL_MODE=attach and PROCSQL_STATE_DIR=<that side's daemon> and no
other PROCSQL_* variable, where RUN.db is a fresh copy of the side's
template (copied, and its -wal/-shm removed, before the clock starts): every
run has exactly --new rows in its window, and commits into RUN.db only.

    a. SELECT count(*) FROM process_events          (the automatic window)
    b. SELECT p.eid, p.cmdline FROM procsql_window(@job, 'process_events') w
         JOIN process_events p ON p.eid BETWEEN w.lo AND w.hi
        WHERE p.cmdline LIKE '%needle%'

Each run is timed from just before the fork to the reap (wall), and the
child's CPU (user + system, os.wait4's rusage). Every run is checked: exit
status 0, nothing on stderr, count = --new, the needle rows exactly those of
the window (eids and cmdline as the generator wrote them), RUN.db's position
moved to the newest row, the template's did not move.

Also in each round, on the big side, without a job: the same count over the
whole table (--rows rows) to show what the window saves, `SELECT 1` (the
tool's start, attach to the daemon, the jobs database opened, no table
read), and `procsql --version` (the tool's start and exit, no SQL).

Printed per query: median (and min) wall ms and CPU ms of each side, the
medians of the per-pair ratios big/small (wall and CPU; target <= 1.2), and
the median start-to-exit time of the tool on the big side.
"""

import argparse
import json
import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procsqld_helper as h  # noqa: E402

JOB = "bench"
Q_COUNT = "SELECT count(*) FROM process_events"
Q_NEEDLE = ("SELECT p.eid, p.cmdline FROM procsql_window(@job, 'process_events') w "
            "JOIN process_events p ON p.eid BETWEEN w.lo AND w.hi WHERE p.cmdline LIKE '%needle%'")


def needle_cmdline(i):
    """bench/synthetic_daemon.cpp row_argv for a needle row, as cmdline shows it."""
    return "grep -rn --include=*.log needle /srv/data/batch-%d" % i


def has_needle(i):
    return i % 100 == 37


class FakeDaemon:
    """A synthetic_procsqld in a fresh directory under `parent`."""

    def __init__(self, binary, parent, rows):
        self.rows = rows
        self.dir = tempfile.mkdtemp(prefix="job_window.%d." % rows, dir=parent)
        self.log_path = self.dir + ".log"
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "--dir=" + self.dir, "--rows=%d" % rows], env=h.clean_env(),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()
        self.store_id = None

    def wait_ready(self, timeout=600):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("ready "):
            self.stop()
            with open(self.log_path) as f:
                sys.exit("synthetic_procsqld (%d rows) was not ready: %r\n%s" % (self.rows, line, f.read()))
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        if int(fields["rows"]) != self.rows:
            sys.exit("synthetic_procsqld said %s" % line.strip())
        self.store_id = fields["store_id"]

    def env(self):
        return h.client_env("attach", self.dir)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)  # it removes it itself; not if it died
        if os.path.exists(self.log_path):
            os.unlink(self.log_path)


def run(argv, env):
    """(stdout, stderr, exit status, wall s, child CPU s): fork to reap."""
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stdout.close()
    p.stderr.close()
    return out.decode(), err.decode(), p.returncode, wall, ru.ru_utime + ru.ru_stime


def remove_db(path):
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)


def job_row(db):
    c = sqlite3.connect(db)
    try:
        return c.execute("SELECT store_id, position, commits FROM procsql_jobs WHERE job = ? AND "
                         "table_name = 'process_events'", (JOB,)).fetchone()
    finally:
        c.close()


class Side:
    def __init__(self, name, daemon, procsql, db_dir, new):
        self.name = name
        self.d = daemon
        self.procsql = procsql
        self.new = new
        self.template = os.path.join(db_dir, "template.db")
        self.run_db = os.path.join(db_dir, "run.db")
        self.lo = daemon.rows - new + 1
        self.needles = [i for i in range(self.lo, daemon.rows + 1) if has_needle(i)]

    def make_template(self):
        remove_db(self.template)
        out, err, rc, _, _ = run([self.procsql, "query", "--db", self.template, "--job", JOB, "--format", "jsonl",
                                  "-e", Q_COUNT], self.d.env())
        if rc != 0 or json.loads(out) != {"count(*)": self.d.rows}:
            sys.exit("%s: the template's first run failed (exit %d): %r %s" % (self.name, rc, out, err))
        c = sqlite3.connect(self.template)
        row = c.execute("SELECT store_id, position FROM procsql_jobs WHERE job = ? AND table_name = "
                        "'process_events'", (JOB,)).fetchone()
        if row != (self.d.store_id, self.d.rows):
            sys.exit("%s: the first commit wrote %r, expected (%s, %d)" % (self.name, row, self.d.store_id,
                                                                           self.d.rows))
        c.execute("UPDATE procsql_jobs SET position = ? WHERE job = ? AND table_name = 'process_events'",
                  (self.lo - 1, JOB))
        c.commit()
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.close()
        for suffix in ("-wal", "-shm"):
            if os.path.exists(self.template + suffix):
                os.unlink(self.template + suffix)
        self.check_template()

    def check_template(self):
        row = job_row(self.template)
        if row != (self.d.store_id, self.lo - 1, 1):
            sys.exit("%s: the template's job row moved: %r" % (self.name, row))

    def fresh_run_db(self):
        remove_db(self.run_db)
        shutil.copyfile(self.template, self.run_db)

    def job_run(self, query):
        """One timed job run on a fresh copy of the template, checked."""
        self.fresh_run_db()
        sql = Q_COUNT if query == "a" else Q_NEEDLE
        out, err, rc, wall, cpu = run([self.procsql, "query", "--db", self.run_db, "--job", JOB, "--format",
                                       "jsonl", "-e", sql], self.d.env())
        if rc != 0 or err:
            sys.exit("%s %s: exit %d, stderr %r" % (self.name, query, rc, err))
        rows = [json.loads(line) for line in out.splitlines()]
        if query == "a":
            want = [{"count(*)": self.new}]
        else:
            want = [{"eid": i, "cmdline": needle_cmdline(i)} for i in self.needles]
        if rows != want:
            sys.exit("%s %s: output %r, expected %r" % (self.name, query, rows[:5], want[:5]))
        row = job_row(self.run_db)
        if row != (self.d.store_id, self.d.rows, 2):
            sys.exit("%s %s: RUN.db's job row is %r after the run, expected (%s, %d, 2)" %
                     (self.name, query, row, self.d.store_id, self.d.rows))
        self.check_template()
        return wall, cpu

    def no_job(self, sql, want):
        """One run without a job (the whole table, nothing committed)."""
        remove_db(self.run_db)
        out, err, rc, wall, cpu = run([self.procsql, "query", "--db", self.run_db, "--format", "jsonl", "-e", sql],
                                      self.d.env())
        if rc != 0 or err or json.loads(out) != want:
            sys.exit("%s %r without a job: exit %d, %r %r" % (self.name, sql, rc, out, err))
        return wall, cpu

    def whole_table(self):
        """The count without a job: every row of the store."""
        return self.no_job(Q_COUNT, {"count(*)": self.d.rows})

    def select_one(self):
        """`SELECT 1` without a job: the tool's start, attach and jobs database, no table read."""
        return self.no_job("SELECT 1", {"1": 1})

    def version(self):
        out, err, rc, wall, cpu = run([self.procsql, "--version"], self.d.env())
        if rc != 0 or not out.startswith("procsql "):
            sys.exit("procsql --version: exit %d %r %r" % (rc, out, err))
        return wall, cpu


def ms(x):
    return "%.2f" % (x * 1e3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--pairs", type=int, default=15)
    ap.add_argument("--rows", type=int, default=1000000, help="rows of the big store")
    ap.add_argument("--small-rows", type=int, default=10000, help="rows of the small store")
    ap.add_argument("--new", type=int, default=1000, help="rows in each run's window")
    ap.add_argument("--dir", default="/dev/shm", help="where the state directories go")
    ap.add_argument("--db-dir", default=None, help="where the jobs databases go (default: --dir)")
    args = ap.parse_args()
    procsql = os.path.abspath(os.path.join(args.build, "bin", "procsql"))
    fake = os.path.abspath(os.path.join(args.build, "bench", "synthetic_procsqld"))
    for b in (procsql, fake):
        if not os.access(b, os.X_OK):
            sys.exit("%s is not built (cmake --build %s --target procsql_tool synthetic_procsqld)" % (b, args.build))
    if args.new > args.small_rows:
        sys.exit("--new must not exceed --small-rows")

    daemons = []
    db_dirs = []
    try:
        t0 = time.perf_counter()
        big = FakeDaemon(fake, args.dir, args.rows)
        daemons.append(big)
        small = FakeDaemon(fake, args.dir, args.small_rows)
        daemons.append(small)
        for d in daemons:
            d.wait_ready()
        print("job_window: two synthetic_procsqld ready in %.1f s: %d rows (%s), %d rows (%s)" %
              (time.perf_counter() - t0, big.rows, big.dir, small.rows, small.dir), flush=True)
        sides = []
        for name, d in (("big", big), ("small", small)):
            db_dir = tempfile.mkdtemp(prefix="job_window.db.", dir=args.db_dir or args.dir)
            db_dirs.append(db_dir)
            s = Side(name, d, procsql, db_dir, args.new)
            s.make_template()
            sides.append(s)
        B, S = sides
        print("job_window: templates made: job %r at position rows - %d; %d needle rows in each window" %
              (JOB, args.new, len(B.needles)), flush=True)

        # Warm-up, not counted: page cache, the mapped stores' pages in the kernel.
        for s in sides:
            s.job_run("a")
            s.job_run("b")
        B.whole_table()
        B.select_one()
        B.version()

        t = {k: {"wall": [], "cpu": []} for k in ("a/big", "a/small", "b/big", "b/small", "whole/big", "one", "version")}

        def add(key, wc):
            t[key]["wall"].append(wc[0])
            t[key]["cpu"].append(wc[1])

        for p in range(args.pairs):
            order = sides if p % 2 == 0 else sides[::-1]
            for q in ("a", "b"):
                for s in order:
                    add("%s/%s" % (q, s.name), s.job_run(q))
            add("whole/big", B.whole_table())
            add("one", B.select_one())
            add("version", B.version())
        for s in sides:
            s.check_template()
    finally:
        for d in daemons:
            d.stop()
        for db_dir in db_dirs:
            shutil.rmtree(db_dir, ignore_errors=True)

    med = h.median
    print()
    print("job_window: %d pairs; big = %d rows, small = %d rows, %d new rows in every job run's window; "
          "every run checked" % (args.pairs, args.rows, args.small_rows, args.new))
    print("  ms per `procsql query` run, fork to reap: wall min / median, the child's CPU (user+sys) median; "
          "ratio = big / small, median of per-pair ratios")
    hdr = "  %-44s %20s %12s %20s %12s %12s %12s"
    print(hdr % ("query", "big wall min/med", "big cpu", "small wall min/med", "small cpu", "ratio wall",
                 "ratio cpu"))
    names = {"a": "a. count(*), automatic window", "b": "b. procsql_window JOIN, cmdline LIKE"}
    for q in ("a", "b"):
        bw, bc = t[q + "/big"]["wall"], t[q + "/big"]["cpu"]
        sw, sc = t[q + "/small"]["wall"], t[q + "/small"]["cpu"]
        rw = med([x / y for x, y in zip(bw, sw)])
        rc = med([x / y for x, y in zip(bc, sc) if y > 0])
        print(hdr % (names[q], "%s / %s" % (ms(min(bw)), ms(med(bw))), ms(med(bc)),
                     "%s / %s" % (ms(min(sw)), ms(med(sw))), ms(med(sc)), "%.3f" % rw, "%.3f" % rc))
    ww, wc = t["whole/big"]["wall"], t["whole/big"]["cpu"]
    aw = t["a/big"]["wall"]
    print(hdr % ("count(*) without a job, whole table (big)", "%s / %s" % (ms(min(ww)), ms(med(ww))), ms(med(wc)),
                 "", "", "", ""))
    ow, oc = t["one"]["wall"], t["one"]["cpu"]
    print(hdr % ("SELECT 1 without a job (attach, jobs db)", "%s / %s" % (ms(min(ow)), ms(med(ow))), ms(med(oc)),
                 "", "", "", ""))
    vw, vc = t["version"]["wall"], t["version"]["cpu"]
    print(hdr % ("procsql --version (start and exit, no SQL)", "%s / %s" % (ms(min(vw)), ms(med(vw))),
                 ms(med(vc)), "", "", "", ""))
    print("  (target: ratio <= 1.2)")
    print("  procsql start-to-exit, job over %d rows with %d new: a %s ms, b %s ms (median wall); whole-table "
          "count without a job %s ms (%.1fx the job's a)" %
          (args.rows, args.new, ms(med(aw)), ms(med(t["b/big"]["wall"])), ms(med(ww)),
           med([x / y for x, y in zip(ww, aw)])))


if __name__ == "__main__":
    main()
