"""Jobs (issue 13): positions committed in the caller's database, against a
real procsqld (daemon_harness.py) on the backend under test, through the
`procsql` tool and the stock sqlite3 shell.

  * refusals, one clear line each: a job without procsqld (embedded), on
    :memory:, on a table without eids, with its table missing;
  * a run killed after printing part of its output and before its commit:
    those rows come again at the next run, none is lost;
  * results written to a table of the jobs database with the commit in one
    transaction: every marked exec exactly once, across at least 50 runs
    killed at random points;
  * a ring that wraps between two runs (PROCSQL_CAPACITY=64): the window's
    `missed`, the stderr line and procsql_jobs.rows_missed equal the rows no
    longer readable inside the window, exactly;
  * procsqld restarted between runs (SIGTERM, SIGKILL): nothing reported
    twice, nothing stored skipped; its state wiped: the store change is said
    on stderr and counted, and the new store's rows are reported;
  * two jobs at once each see every marked exec once; one job run twice at
    once: at most one run commits each window (the other fails clearly) and
    no marked exec is missing from the union of their outputs;
  * the shell recipe (README, "Crontab"): the commit cannot happen before the
    output is flushed: while the reader of `.output` holds it back, the
    position has not moved.
"""

import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time
import unittest

from daemon_harness import Daemon, client_environment
from procsql_test import BUILD_DIR, EXTENSION, SQLITE3, TRUE, ProcsqlTestCase, marker, unavailable

PROCSQL = os.path.join(BUILD_DIR, "bin", "procsql")

# The marked execs of a job's window, in eid order, with the key to dedupe on.
MARKED = ("SELECT w.store_id, p.eid, p.cmdline FROM procsql_window(@job, 'process_events') AS w "
          "JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi "
          "WHERE p.path = '%s' AND p.cmdline LIKE '%%%s%%' ORDER BY p.eid")


def run_marked(m, n, start=0):
    """n execs of `true M-i`; their tokens."""
    tokens = []
    for i in range(start, start + n):
        token = "%s-%d" % (m, i)
        subprocess.run([TRUE, token], check=True)
        tokens.append(token)
    return tokens


def tokens_of(rows, m):
    return [r["cmdline"].split()[-1] for r in rows if m in r["cmdline"]]


class JobsTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        if not os.access(PROCSQL, os.X_OK):
            unavailable(self, "procsql not built: " + PROCSQL)
        self.tmp = tempfile.mkdtemp(prefix="procsql-jobs-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.tmp]))
        self.db = os.path.join(self.tmp, "jobs.db")

    def daemon(self, **env):
        d = Daemon(self, env=env)
        d.start()
        return d

    def env(self, d, **extra):
        return client_environment(d.attach_env(**extra))

    def procsql(self, d, args, check=True, **kw):
        p = subprocess.run([PROCSQL] + args, env=self.env(d), capture_output=True, text=True, timeout=120, **kw)
        if check and p.returncode != 0:
            self.fail("procsql %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr))
        return p

    def jsonl(self, text):
        return [json.loads(l) for l in text.splitlines() if l.strip()]

    def job_row(self, job, table="process_events"):
        with sqlite3.connect(self.db) as c:
            c.row_factory = sqlite3.Row
            r = c.execute("SELECT * FROM procsql_jobs WHERE job = ? AND table_name = ?", (job, table)).fetchone()
            return dict(r) if r else None

    # ------------------------------------------------------------ refusals

    def test_refusals_are_one_clear_line(self):
        d = self.daemon()
        shell = lambda db, sql, **env: subprocess.run(
            [SQLITE3, db, ".load " + EXTENSION, sql], env=client_environment(dict(d.attach_env(), **env)),
            capture_output=True, text=True, timeout=120)
        p = shell(self.db, "SELECT * FROM procsql_window('j', 'process_events')", PROCSQL_MODE="embedded")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("job 'j' needs procsqld", p.stderr)
        p = shell(":memory:", "SELECT * FROM procsql_window('j', 'process_events')")
        self.assertIn("job 'j': a job keeps its position in the connection's main database, and this one is in "
                      "memory or temporary", p.stderr)
        p = shell(self.db, "SELECT * FROM procsql_window('j', 'processes')")
        self.assertIn("'processes' is not an event table", p.stderr)
        p = shell(self.db, "SELECT * FROM procsql_window('j')")
        self.assertIn("procsql_window: the table is missing", p.stderr)
        p = shell(self.db, "SELECT * FROM procsql_window('j', 'process_events', 'sideways')")
        self.assertIn("start 'sideways' is neither 'oldest' nor 'newest'", p.stderr)
        # No job: the whole table, in any mode, and nothing is kept.
        p = shell(self.db, "SELECT lo >= 1, missed, store_changed FROM procsql_window(NULL, 'process_events')",
                  PROCSQL_MODE="embedded")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "1|0|0"), p.stderr)
        self.assertIsNone(self.job_row_safe("j"))
        # The tool: a job with no procsqld there.
        p = subprocess.run([PROCSQL, "query", "--db", self.db, "--job", "j", "-e", "SELECT * FROM process_events"],
                           env=client_environment({"PROCSQL_STATE_DIR": os.path.join(self.tmp, "none"),
                                                   "PROCSQL_MODE": "attach"}),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"^procsql: .*no procsqld runs on .*none.*\n$")

    # ------------------------------------------- killed before the commit

    def test_rows_printed_by_a_killed_run_come_again(self):
        d = self.daemon()
        m = marker()
        first = run_marked(m, 3)
        # Each row carries 256 KiB of padding: the first row fills the pipe,
        # so the run is stopped in the middle of its output, before its commit.
        sql = ("SELECT p.eid, p.cmdline, printf('%%.*c', 262144, 'x') AS pad "
               "FROM procsql_window(@job, 'process_events') AS w "
               "JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi "
               "WHERE p.path = '%s' AND p.cmdline LIKE '%%%s%%' ORDER BY p.eid" % (TRUE, m))
        args = [PROCSQL, "query", "--db", self.db, "--job", "k", "--format", "jsonl", "-e", sql]
        for attempt in range(3):
            p = subprocess.Popen(args, env=self.env(d), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            line = p.stdout.readline()
            p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()
            self.assertEqual(json.loads(line)["cmdline"], "%s %s" % (TRUE, first[0]), "attempt %d" % attempt)
            # Never committed: the job has no row yet.
            self.assertIsNone(self.job_row_safe("k"))
        later = run_marked(m, 2, start=3)
        p = self.procsql(d, ["query", "--db", self.db, "--job", "k", "--format", "jsonl", "-e", sql])
        self.assertEqual(tokens_of(self.jsonl(p.stdout), m), first + later)
        self.assertEqual(self.job_row("k")["commits"], 1)
        p = self.procsql(d, ["query", "--db", self.db, "--job", "k", "--format", "jsonl", "-e", sql])
        self.assertEqual(tokens_of(self.jsonl(p.stdout), m), [])

    # ------------------------------------ exactly once into a table, killed

    def test_results_table_exactly_once_across_kills(self):
        d = self.daemon()
        m = marker()
        job_sql = os.path.join(self.tmp, "to_table.sql")
        # A pause inside the transaction (a recursive count), so that kills
        # land before, inside and after it.
        with open(job_sql, "w") as f:
            f.write("CREATE TABLE IF NOT EXISTS results (store_id TEXT, eid INTEGER, token TEXT);\n"
                    "BEGIN IMMEDIATE;\n"
                    "INSERT INTO results SELECT store_id, eid, substr(cmdline, instr(cmdline, ' ') + 1) "
                    "FROM (%s);\n"
                    "SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                    "WHERE x < 200000) SELECT x FROM c);\n"
                    "SELECT procsql_commit(@job);\n"
                    "COMMIT;\n" % (MARKED % (TRUE, m)))
        args = [PROCSQL, "query", "--db", self.db, "--format", "csv", job_sql]
        # How long a run takes here: kills are spread over that.
        spans = []
        for _ in range(3):
            t0 = time.monotonic()
            subprocess.run(args, env=self.env(d), check=True, capture_output=True, timeout=120)
            spans.append(time.monotonic() - t0)
        span = sorted(spans)[1]
        made = []
        kills = attempts = 0
        rng = random.Random(m)
        while kills < 50 and attempts < 200:
            made += run_marked(m, 1, start=attempts)
            attempts += 1
            p = subprocess.Popen(args, env=self.env(d), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                p.wait(timeout=rng.uniform(0, span))
            except subprocess.TimeoutExpired:
                p.kill()
                kills += 1
            p.wait()
            err = p.stderr.read().decode()
            p.stderr.close()
            self.assertNotIn("another run", err)
        made += run_marked(m, 1, start=attempts)
        subprocess.run(args, env=self.env(d), check=True, capture_output=True, timeout=120)
        with sqlite3.connect(self.db) as c:
            got = [r[0] for r in c.execute("SELECT token FROM results ORDER BY eid")]
            keys = c.execute("SELECT count(*), count(DISTINCT store_id || '/' || eid) FROM results").fetchone()
        self.assertGreaterEqual(kills, 50, "kills landed: %d of %d (run span %.3f s)" % (kills, attempts, span))
        self.assertEqual(got, made)
        self.assertEqual(keys[0], keys[1])

    # ------------------------------------------------------- a ring that wraps

    def test_missed_rows_of_a_wrapped_ring_are_counted_exactly(self):
        d = self.daemon(PROCSQL_CAPACITY="64")
        m = marker()
        sql = ("SELECT lo, hi, missed, rows, "
               "(SELECT min(eid) FROM process_events WHERE eid BETWEEN lo AND hi) AS first_read, "
               "(SELECT count(*) FROM process_events WHERE eid BETWEEN lo AND hi) AS readable "
               "FROM procsql_window(@job, 'process_events')")
        args = ["query", "--db", self.db, "--job", "wrap", "--format", "jsonl", "-e", sql]
        first = self.jsonl(self.procsql(d, args).stdout)[0]
        self.assertEqual(first["missed"], 0)
        for attempt in range(5):
            run_marked(m, 300, start=attempt * 300)
            p = self.procsql(d, args)
            w = self.jsonl(p.stdout)[0]
            if "while this run read them" in p.stderr:
                continue  # the ring moved again while this run read it: try again
            self.assertGreater(w["missed"], 0, w)
            # What was no longer readable when the run read the window, exactly.
            self.assertEqual(w["lo"] + w["missed"], w["first_read"], w)
            self.assertEqual(w["readable"], w["hi"] - w["lo"] + 1 - w["missed"], w)
            self.assertEqual(w["rows"], w["readable"], w)
            self.assertIn("procsql: job 'wrap': %d rows of process_events (eids %d..%d) were overwritten before "
                          "this run could read them" % (w["missed"], w["lo"], w["first_read"] - 1), p.stderr)
            before = first_missed = self.job_row("wrap")["rows_missed"]
            break
        else:
            self.fail("the ring kept moving under every run")
        # Counted once, at the commit; the next run misses nothing.
        self.assertEqual(before, w["missed"])
        again = self.jsonl(self.procsql(d, args).stdout)[0]
        self.assertEqual(again["missed"], 0, again)
        self.assertEqual(self.job_row("wrap")["rows_missed"], first_missed)

    # ------------------------------------------------------- procsqld restarts

    def test_restarts_between_runs_skip_nothing_and_repeat_nothing(self):
        d = self.daemon()
        m = marker()
        args = ["query", "--db", self.db, "--job", "r", "--format", "jsonl", "-e", MARKED % (TRUE, m)]
        seen = []
        store = None
        made = run_marked(m, 2)
        for i, how in enumerate(("term", "kill", "term")):
            rows = self.jsonl(self.procsql(d, args).stdout)
            seen += rows
            made += run_marked(m, 2, start=10 * (i + 1))
            if how == "kill":
                # What SIGKILL finds stored (a query drains first) is kept;
                # SIGTERM stores what happened before it by itself.
                self.procsql(d, ["query", "--db", self.db, "-e", "SELECT count(*) FROM process_events"])
            d.restart(kill=(how == "kill"))
            made += run_marked(m, 2, start=10 * (i + 1) + 5)
        seen += self.jsonl(self.procsql(d, args).stdout)
        self.assertEqual(tokens_of(seen, m), made)
        keys = [(r["store_id"], r["eid"]) for r in seen]
        self.assertEqual(len(keys), len(set(keys)))
        self.assertEqual(len({r["store_id"] for r in seen}), 1)
        store = seen[0]["store_id"]

        # The state wiped: a new store id, said and counted; its rows reported.
        d.stop()
        for name in os.listdir(d.state_dir):
            path = os.path.join(d.state_dir, name)
            subprocess.run(["rm", "-rf", path], check=True)
        run = d.start()
        self.assertNotEqual(run.store_id, store)
        fresh = run_marked(m, 2, start=100)
        p = self.procsql(d, args)
        self.assertIn("procsql: job 'r': process_events is in a new store (%s; the job's position was in %s): "
                      "procsqld's state was made anew, so this run starts at the new store's first row"
                      % (run.store_id, store), p.stderr)
        rows = self.jsonl(p.stdout)
        self.assertEqual(tokens_of(rows, m), fresh)
        self.assertEqual({r["store_id"] for r in rows}, {run.store_id})
        row = self.job_row("r")
        self.assertEqual((row["store_changes"], row["store_id"]), (1, run.store_id))
        self.assertEqual(tokens_of(self.jsonl(self.procsql(d, args).stdout), m), [])

    # ------------------------------------------------------------ concurrency

    def test_two_jobs_at_once_and_one_job_twice_at_once(self):
        d = self.daemon()
        m = marker()
        outputs = {"a": [], "b": [], "c1": [], "c2": []}
        failures = {"a": [], "b": [], "c1": [], "c2": []}
        job_of = {"a": "a", "b": "b", "c1": "c", "c2": "c"}
        stop = threading.Event()

        def loop(who):
            while not stop.is_set():
                p = subprocess.run([PROCSQL, "query", "--db", self.db, "--job", job_of[who], "--format", "jsonl",
                                    "-e", MARKED % (TRUE, m)], env=self.env(d), capture_output=True, text=True,
                                   timeout=120)
                outputs[who] += self.jsonl(p.stdout)
                if p.returncode != 0:
                    failures[who].append(p.stderr)

        threads = [threading.Thread(target=loop, args=(w,)) for w in outputs]
        for t in threads:
            t.start()
        try:
            made = []
            for i in range(40):
                made += run_marked(m, 1, start=i)
                time.sleep(0.02)
        finally:
            time.sleep(0.5)
            stop.set()
            for t in threads:
                t.join()
        # One last run of each, after everything: all caught up.
        for who in ("a", "b", "c1"):
            outputs[who] += self.jsonl(self.procsql(d, ["query", "--db", self.db, "--job", job_of[who],
                                                        "--format", "jsonl", "-e", MARKED % (TRUE, m)]).stdout)
        for who in ("a", "b"):
            self.assertEqual(failures[who], [], who)
            self.assertEqual(tokens_of(outputs[who], m), made, who)
        union = tokens_of(outputs["c1"] + outputs["c2"], m)
        self.assertEqual(sorted(set(union)), sorted(made))
        for err in failures["c1"] + failures["c2"]:
            self.assertRegex(err, r"^procsql: job 'c': (another run of this job committed process_events first "
                                  r".*this run commits nothing; its rows were output at least once, none is "
                                  r"skipped|.*database is locked.*)\n$")
        # Each window was committed once: commits never reported a row twice
        # within one job's committed history.
        row = self.job_row("c")
        self.assertEqual(row["rows_missed"], 0)
        with sqlite3.connect(self.db) as c:
            pos = c.execute("SELECT position FROM procsql_jobs WHERE job = 'c'").fetchone()[0]
        self.assertGreaterEqual(pos, max(r["eid"] for r in outputs["c1"] + outputs["c2"]))

    # ----------------------------------------------------- the shell's recipe

    def test_shell_recipe_commits_only_after_its_output_is_flushed(self):
        d = self.daemon()
        m = marker()
        made = run_marked(m, 2)
        fifo = os.path.join(self.tmp, "out.fifo")
        os.mkfifo(fifo)
        query = os.path.join(self.tmp, "q.sql")
        with open(query, "w") as f:
            f.write("SELECT w.store_id, p.eid, p.cmdline, printf('%%.*c', 262144, 'x') AS pad "
                    "FROM procsql_window(@job, 'process_events') AS w "
                    "JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi "
                    "WHERE p.path = '%s' AND p.cmdline LIKE '%%%s%%' ORDER BY p.eid;\n" % (TRUE, m))
        # The README's line, with this test's paths.
        shell = subprocess.Popen(
            [SQLITE3, "-bail", self.db, ".timeout 10000", ".load " + EXTENSION, ".parameter set @job shelljob",
             ".output '|cat > %s'" % fifo, ".read " + query, ".output stdout", "SELECT procsql_commit(@job)"],
            env=self.env(d), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        reader = open(fifo, "rb")
        try:
            # The first row arrives; the shell is then blocked writing the
            # second (each is 256 KiB), with its output not yet flushed: the
            # job has not committed (a job's row is made by its first commit).
            first = reader.readline()
            self.assertIn(made[0].encode(), first)
            time.sleep(1.0)
            self.assertIsNone(shell.poll())
            self.assertIsNone(self.job_row_safe("shelljob"))
            data = first + reader.read()
        finally:
            reader.close()
        out, err = shell.communicate(timeout=60)
        self.assertEqual(shell.returncode, 0, err)
        lines = data.decode().splitlines()
        self.assertEqual([l.split("|")[2].split()[-1] for l in lines], made)
        self.assertEqual(self.job_row("shelljob")["commits"], 1)

    def job_row_safe(self, job):
        try:
            with sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=0.1) as c:
                c.row_factory = sqlite3.Row
                r = c.execute("SELECT * FROM procsql_jobs WHERE job = ?", (job,)).fetchone()
                return dict(r) if r else None
        except sqlite3.OperationalError:
            return None


if __name__ == "__main__":
    unittest.main()
