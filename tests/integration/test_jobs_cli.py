"""The `procsql` command-line tool (issue 13, "Scheduled queries from cron")
against a real procsqld (daemon_harness.py), on the eBPF backend:

  formats    a marked exec whose argv holds bytes that are not UTF-8, a tab,
             quotes and "日本": `procsql query --format F` for jsonl, json,
             csv and osquery (each its own job, and jsonl also without a job)
             gives `argv` whose JSON decodes, byte for byte with
             surrogateescape, to exactly the bytes exec'd, and the same
             `cmdline` (args joined by spaces, U+FFFD for the invalid bytes);
             every jsonl/osquery line parses alone, json as arrays, csv with
             Python's csv module; table shows the row. osquery's lines carry
             name = the job, hostIdentifier, calendarTime (asctime layout,
             UTC), unixTime (now), epoch, counter 0 on the job's first run and
             1 on its second (which prints only the newer exec), numerics
             false, decorations, every column a string, action "added".
  follow     `--follow --interval 200` without a job prints each marked exec
             made while it runs exactly once, and SIGINT ends it with exit 0
             and removes its /tmp/procsql-follow-* directory; with a named
             job, SIGTERM ends it with exit 0 and its position is committed
             (a later one-shot run of the job prints none of those rows);
             across a procsqld restart by SIGTERM and then by SIGKILL (the
             next daemon started 1 s later), follow keeps running and the
             execs made after each restart (and before) are each printed
             exactly once.
  differential  a job over container_map for a real runc container's id
             (PROCSQL_CONTAINER_GRACE=0): nothing before the container
             exists, "added" once it runs, nothing when nothing changed,
             "removed" once it is deleted; in jsonl (an "action" column
             first) and in osquery form ("action" field, columns as strings,
             counter per run); `procsql jobs --format jsonl` lists both jobs
             with table_name "(results)" and one commit per run.
  bare env   the README's crontab lines (cron_lines.py: `procsql query
             --format osquery queries/*.sql >> results.log` and the sqlite3
             shell's `.output '|cat >> ...'` recipe), run 12 times each under
             `env -i` (PATH=/usr/bin:/bin and PROCSQL_STATE_DIR only) with
             marked execs from a /tmp directory between runs: each exit 0
             and says nothing on stderr, and in each output every marked exec
             appears exactly once (key: store_id + eid), under the daemon's
             store id.

Every query finds the test's own rows by a marker that the query's own text
does not contain (it is split in two in the LIKE pattern), so procsql's own
exec never matches.
"""

import csv
import io
import json
import os
import re
import signal
import subprocess
import time
import unittest
from collections import Counter

import cron_lines
from containers import RUNC_ROOT, Container, require_runc
from daemon_harness import Daemon, client_environment
from procsql_test import TRUE, ProcsqlTestCase, marker, sql_str, unavailable

PROCSQL = cron_lines.PROCSQL_TOOL
CALENDAR_RE = re.compile(r"^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                         r"[ 123]\d \d\d:\d\d:\d\d \d{4} UTC$")


def like_marker(m):
    """An SQL pattern matching text that holds marker m, written so that the
    SQL text itself does not hold m."""
    half = len(m) // 2
    return "'%%' || %s || %s" % (sql_str(m[:half]), sql_str(m[half:] + "%"))


def jsonl_rows(out):
    """stdout of --format jsonl/osquery: one object per line, every line."""
    rows = []
    for n, line in enumerate(out.splitlines(), 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise AssertionError("output line %d is not JSON (%s): %r" % (n, e, line))
        if not isinstance(obj, dict):
            raise AssertionError("output line %d is not an object: %r" % (n, line))
        rows.append(obj)
    return rows


class JobsCliTestBase(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        if not os.access(PROCSQL, os.X_OK):
            unavailable(self, "procsql tool not built: " + PROCSQL)

    def start_daemon(self, **env):
        d = Daemon(self, env=env)
        d.start()
        self.daemon = d
        self.jobs_db = os.path.join(self.tmpdir(), "jobs.db")
        return d

    def env(self):
        return client_environment(self.daemon.attach_env())

    def tool(self, *args, check=True, timeout=120):
        """Runs build/bin/procsql ARGS attached to the test's daemon; the
        CompletedProcess (stdout as bytes). check: exit 0 is required."""
        p = subprocess.run([PROCSQL] + list(args), env=self.env(), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout, cwd="/")
        if check and p.returncode != 0:
            self.fail("procsql %r exited %d; stderr:\n%s" % (args, p.returncode,
                                                             p.stderr.decode("utf-8", "replace")))
        return p

    def query(self, sql, *opts, db=None):
        """procsql query --db DB OPTS -e SQL; stdout as str (surrogateescape)."""
        p = self.tool("query", "--db", db or self.jobs_db, *opts, "-e", sql)
        return p.stdout.decode("utf-8", "surrogateescape")

    def wait_for(self, what, sql, pred, timeout=30.0):
        """Runs SQL (no job: positions untouched) until pred(rows) holds; the
        rows. The timeout bounds a hang (what procsqld stores is read back
        within its read-your-writes bound), it is no assertion on speed."""
        deadline = time.monotonic() + timeout
        while True:
            rows = jsonl_rows(self.query(sql, "--format", "jsonl"))
            if pred(rows):
                return rows
            if time.monotonic() > deadline:
                self.fail("%s: not seen within %ss; last rows: %r" % (what, timeout, rows))
            time.sleep(0.2)


class FormatsTest(JobsCliTestBase):

    ARGS = [b"\xff\xfe", b"a\tb", b'say "hi"', "日本".encode("utf-8"), b"it's", b"x,y", b"\\n"]

    def exec_marked(self, m, *extra):
        argv = [TRUE.encode(), m.encode()] + self.ARGS + [e.encode() for e in extra]
        self.assertEqual(subprocess.run(argv).returncode, 0)
        return argv

    def check_row(self, row, argv, what):
        got = [a.encode("utf-8", "surrogateescape") for a in json.loads(row["argv"])]
        self.assertEqual(got, argv, what + ": argv bytes")
        want_cmdline = " ".join(a.decode("utf-8", "replace") for a in argv)
        self.assertEqual(row["cmdline"], want_cmdline, what + ": cmdline")

    def test_formats_keep_argv_bytes(self):
        self.start_daemon()
        m = marker()
        argv = self.exec_marked(m)
        sql = ("SELECT eid, argv, cmdline FROM process_events WHERE argv LIKE %s ORDER BY eid"
               % like_marker(m))
        seen = self.wait_for("the marked exec", sql, lambda rows: len(rows) == 1)
        eid = seen[0]["eid"]
        self.check_row(seen[0], argv, "jsonl without a job")

        # jsonl, with a job of its own
        out = self.query(sql, "--job", "fmt_jsonl", "--format", "jsonl")
        rows = jsonl_rows(out)
        self.assertEqual([r["eid"] for r in rows], [eid], out)
        self.assertEqual(list(rows[0]), ["eid", "argv", "cmdline"])
        self.check_row(rows[0], argv, "jsonl")

        # json: arrays of objects
        out = self.query(sql, "--job", "fmt_json", "--format", "json")
        rows = json.loads(out)
        self.assertIsInstance(rows, list, out)
        self.assertEqual([r["eid"] for r in rows], [eid], out)
        self.check_row(rows[0], argv, "json")

        # csv: a header line, then the row; text bytes as they are
        out = self.query(sql, "--job", "fmt_csv", "--format", "csv")
        table = list(csv.reader(io.StringIO(out, newline="")))
        self.assertEqual(table[0], ["eid", "argv", "cmdline"], out)
        self.assertEqual(len(table), 2, out)
        row = dict(zip(table[0], table[1]))
        self.assertEqual(int(row["eid"]), eid)
        self.check_row(row, argv, "csv")

        # table: for reading; it shows the row
        out = self.query(sql, "--job", "fmt_table", "--format", "table")
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["eid", "argv", "cmdline"], out)
        self.assertEqual(len(lines), 3, out)
        self.assertIn(m, lines[2])
        self.assertEqual(lines[2].split()[0], str(eid))

        # osquery, twice: counter 0, then 1 with only the newer exec
        osq = ["--job", "fmt_osquery", "--format", "osquery", "--host-identifier", "test-host-" + m[-6:],
               "--epoch", "42", "--decoration", "team=procsql", "--decoration", "run=" + m[:12]]
        t0 = int(time.time())
        first = jsonl_rows(self.query(sql, *osq))
        t1 = int(time.time())
        self.assertEqual(len(first), 1, first)
        self.check_osquery(first[0], "fmt_osquery", "test-host-" + m[-6:], 42, 0, m, t0, t1)
        self.assertEqual(first[0]["columns"]["eid"], str(eid))
        self.check_row(first[0]["columns"], argv, "osquery")

        argv2 = self.exec_marked(m, "second")
        self.wait_for("the second marked exec", sql, lambda rows: len(rows) == 2)
        t0 = int(time.time())
        second = jsonl_rows(self.query(sql, *osq))
        t1 = int(time.time())
        self.assertEqual(len(second), 1, "the second run prints only the newer exec: %r" % second)
        self.check_osquery(second[0], "fmt_osquery", "test-host-" + m[-6:], 42, 1, m, t0, t1)
        self.assertGreater(int(second[0]["columns"]["eid"]), eid)
        self.check_row(second[0]["columns"], argv2, "osquery, second run")

        # the other jobs' second runs see only the second exec
        rows = jsonl_rows(self.query(sql, "--job", "fmt_jsonl", "--format", "jsonl"))
        self.assertEqual(len(rows), 1, rows)
        self.check_row(rows[0], argv2, "jsonl, second run")
        table = list(csv.reader(io.StringIO(self.query(sql, "--job", "fmt_csv", "--format", "csv"), newline="")))
        self.assertEqual(len(table), 2, table)
        self.check_row(dict(zip(table[0], table[1])), argv2, "csv, second run")

    def check_osquery(self, line, name, host, epoch, counter, m, t0, t1):
        self.assertEqual(list(line), ["name", "hostIdentifier", "calendarTime", "unixTime", "epoch",
                                      "counter", "numerics", "decorations", "columns", "action"], line)
        self.assertEqual(line["name"], name)
        self.assertEqual(line["hostIdentifier"], host)
        self.assertRegex(line["calendarTime"], CALENDAR_RE)
        self.assertIsInstance(line["unixTime"], int)
        self.assertTrue(t0 <= line["unixTime"] <= t1, (t0, line["unixTime"], t1))
        self.assertEqual(line["calendarTime"],
                         time.strftime("%a %b %e %H:%M:%S %Y UTC", time.gmtime(line["unixTime"])))
        self.assertEqual(line["epoch"], epoch)
        self.assertEqual(line["counter"], counter)
        self.assertIs(line["numerics"], False)
        self.assertEqual(line["decorations"], {"team": "procsql", "run": m[:12]})
        self.assertEqual(list(line["columns"]), ["eid", "argv", "cmdline"])
        for k, v in line["columns"].items():
            self.assertIsInstance(v, str, "osquery column %s (numerics false)" % k)
        self.assertEqual(line["action"], "added")


class Follow:
    """`procsql query --follow ...` running, its stdout in a file."""

    def __init__(self, tc, args):
        self.tc = tc
        d = tc.tmpdir()
        self.out_path = os.path.join(d, "follow.out")
        self.err_path = os.path.join(d, "follow.err")
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([PROCSQL] + list(args), env=tc.env(), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, cwd="/")
        tc.addCleanup(self.cleanup)

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def rows(self):
        with open(self.out_path, "rb") as f:
            text = f.read().decode("utf-8", "surrogateescape")
        # A line being written may be incomplete: only whole lines.
        return jsonl_rows(text[:text.rfind("\n") + 1])

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def temp_dirs(self):
        """The /tmp/procsql-follow-* directories this process has open files in."""
        dirs = set()
        fd_dir = "/proc/%d/fd" % self.proc.pid
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            mt = re.match(r"^(/tmp/procsql-follow-[^/]+)/", target)
            if mt:
                dirs.add(mt.group(1))
        return dirs

    def stop(self, sig):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.tc.fail("procsql --follow did not end within 60 s of %s; stderr:\n%s"
                         % (sig.name, self.stderr()))


class FollowTest(JobsCliTestBase):

    def sql(self, m):
        return "SELECT eid, cmdline FROM process_events WHERE cmdline LIKE %s" % like_marker(m)

    def tokens(self, rows, m):
        """The exec tokens (m-<tag>) of the printed rows, in order."""
        out = []
        for r in rows:
            out += re.findall(re.escape(m) + r"-\w+", r["cmdline"])
        return out

    def warm_up(self, f, m):
        """Marked execs ("m-warmN") every 0.3 s until follow prints one: it
        is running and past its first batch."""
        deadline = time.monotonic() + 30
        n = 0
        while True:
            subprocess.run([TRUE, "%s-warm%d" % (m, n)], check=True)
            n += 1
            time.sleep(0.3)
            if any(t.startswith(m + "-warm") for t in self.tokens(f.rows(), m)):
                return n
            if f.proc.poll() is not None:
                self.fail("procsql --follow exited %s; stderr:\n%s" % (f.proc.returncode, f.stderr()))
            if time.monotonic() > deadline:
                self.fail("procsql --follow printed none of %d marked execs in 30 s; stderr:\n%s"
                          % (n, f.stderr()))

    def exec_and_see(self, f, m, tags):
        """One marked exec per tag, 0.3 s apart; waits until follow printed
        each (deadline 20 s)."""
        for t in tags:
            subprocess.run([TRUE, "%s-%s" % (m, t)], check=True)
            time.sleep(0.3)
        want = {"%s-%s" % (m, t) for t in tags}
        deadline = time.monotonic() + 20
        while not want <= set(self.tokens(f.rows(), m)):
            if f.proc.poll() is not None:
                self.fail("procsql --follow exited %s; stderr:\n%s" % (f.proc.returncode, f.stderr()))
            if time.monotonic() > deadline:
                self.fail("procsql --follow did not print %r within 20 s; it printed %r; stderr:\n%s"
                          % (sorted(want - set(self.tokens(f.rows(), m))), self.tokens(f.rows(), m),
                             f.stderr()))
            time.sleep(0.1)

    def assert_once(self, f, m, tags, grace=1.0):
        """After `grace` s more (several intervals), each tag's exec was
        printed exactly once, and no exec at all twice."""
        time.sleep(grace)
        counts = Counter(self.tokens(f.rows(), m))
        self.assertEqual({"%s-%s" % (m, t): counts["%s-%s" % (m, t)] for t in tags},
                         {"%s-%s" % (m, t): 1 for t in tags}, "printed %r" % counts)
        self.assertEqual([t for t, n in counts.items() if n != 1], [], "printed twice: %r" % counts)
        eids = Counter(r["eid"] for r in f.rows())
        self.assertEqual([e for e, n in eids.items() if n != 1], [], "eids printed twice")

    def test_follow_prints_each_new_row_once_and_ends_on_sigint(self):
        self.start_daemon()
        m = marker()
        f = Follow(self, ["query", "--follow", "--interval", "200", "--format", "jsonl", "-e", self.sql(m)])
        self.warm_up(f, m)
        dirs = f.temp_dirs()
        self.assertEqual(len(dirs), 1, "follow without a job keeps its position in /tmp/procsql-follow-*: %r"
                         % dirs)
        tags = ["a%d" % i for i in range(6)]
        self.exec_and_see(f, m, tags)
        self.assert_once(f, m, tags)
        self.assertEqual(f.stop(signal.SIGINT), 0, f.stderr())
        self.assertEqual(f.stderr(), "")
        for d in dirs:
            self.assertFalse(os.path.exists(d), d + " left behind")
        self.assert_once(f, m, tags, grace=0)

    def test_follow_with_a_job_commits_on_sigterm(self):
        self.start_daemon()
        m = marker()
        f = Follow(self, ["query", "--follow", "--interval", "200", "--db", self.jobs_db, "--job", "live",
                          "--format", "jsonl", "-e", self.sql(m)])
        n_warm = self.warm_up(f, m)
        tags = ["b%d" % i for i in range(4)]
        self.exec_and_see(f, m, tags)
        self.assert_once(f, m, tags)
        self.assertEqual(f.stop(signal.SIGTERM), 0, f.stderr())
        self.assertEqual(f.stderr(), "")
        printed = f.rows()
        # Every warm-up exec too, exactly once: a named job starts at the oldest row.
        warm = [t for t in self.tokens(printed, m) if "-warm" in t]
        self.assertEqual(sorted(warm), sorted(set(warm)))
        self.assertEqual(sorted(warm, key=lambda t: int(t.rsplit("warm", 1)[1])),
                         ["%s-warm%d" % (m, i) for i in range(n_warm)])
        again = jsonl_rows(self.query(self.sql(m), "--job", "live", "--format", "jsonl"))
        self.assertEqual(again, [], "the job's position was not committed at SIGTERM: rows again")
        # ... and the job goes on from there.
        subprocess.run([TRUE, m + "-after"], check=True)
        self.wait_for("the exec after follow", self.sql(m) + " AND cmdline LIKE '%-after'",
                      lambda rows: len(rows) == 1)
        after = jsonl_rows(self.query(self.sql(m), "--job", "live", "--format", "jsonl"))
        self.assertEqual(self.tokens(after, m), [m + "-after"])

    def test_follow_survives_procsqld_restarts(self):
        d = self.start_daemon()
        m = marker()
        f = Follow(self, ["query", "--follow", "--interval", "200", "--format", "jsonl", "-e", self.sql(m)])
        self.warm_up(f, m)
        store = d.run.store_id
        tags = ["c0", "c1"]
        self.exec_and_see(f, m, tags)
        d.restart()  # SIGTERM
        self.assertEqual(d.run.store_id, store)
        after_term = ["t0", "t1", "t2"]
        self.exec_and_see(f, m, after_term)
        self.assertIsNone(f.proc.poll(), "follow ended at the restart: " + f.stderr())
        # SIGKILL, and no daemon at all for 1 s (5 intervals) before the next.
        d.kill()
        time.sleep(1.0)
        self.assertIsNone(f.proc.poll(), "follow ended while no procsqld ran: " + f.stderr())
        d.start()
        self.assertEqual(d.run.store_id, store)
        after_kill = ["k0", "k1", "k2"]
        self.exec_and_see(f, m, after_kill)
        self.assertIsNone(f.proc.poll(), "follow ended at the restart: " + f.stderr())
        self.assert_once(f, m, tags + after_term + after_kill)
        self.assertEqual(f.stop(signal.SIGINT), 0, f.stderr())
        print("follow's stderr across the restarts:\n" + f.stderr())


class DifferentialTest(JobsCliTestBase):

    def setUp(self):
        super().setUp()
        require_runc(self)

    def test_container_added_and_removed(self):
        self.start_daemon(PROCSQL_CONTAINER_GRACE="0", PROCSQL_RUNC_ROOTS=RUNC_ROOT)
        c = Container(self, ["sh", "-c", "echo ready; read x; exit 0"])
        sql = "SELECT container_id, runtime FROM container_map WHERE container_id = %s" % sql_str(c.id)
        want = {"container_id": c.id, "runtime": "runc"}

        def diff(job, fmt):
            out = self.query(sql, "--job", job, "--differential", "--format", fmt,
                             "--host-identifier", "h1")
            return jsonl_rows(out)

        def both():
            return diff("containers_jsonl", "jsonl"), diff("containers_osquery", "osquery")

        def check_osquery(lines, action, counter):
            self.assertEqual(len(lines), 1, lines)
            line = lines[0]
            self.assertEqual((line["name"], line["hostIdentifier"], line["counter"], line["numerics"]),
                             ("containers_osquery", "h1", counter, False), line)
            self.assertRegex(line["calendarTime"], CALENDAR_RE)
            self.assertEqual(line["columns"], want)
            self.assertEqual(line["action"], action)

        self.assertEqual(both(), ([], []), "before the container exists")

        c.start()
        c.read_until(b"ready")
        self.wait_for("the running container", sql, lambda rows: rows == [want])
        jl, oq = both()
        self.assertEqual(jl, [dict(action="added", **want)])
        self.assertEqual(list(jl[0]), ["action", "container_id", "runtime"], "action is the first column")
        check_osquery(oq, "added", 1)

        self.assertEqual(both(), ([], []), "nothing changed")

        c.send(b"go\n")
        self.assertEqual(c.wait(), 0)
        c.cleanup()  # runc delete: the cgroup goes, and with grace 0 the row
        self.wait_for("the removed container gone", sql, lambda rows: rows == [])
        jl, oq = both()
        self.assertEqual(jl, [dict(action="removed", **want)])
        check_osquery(oq, "removed", 3)

        self.assertEqual(both(), ([], []), "nothing changed after the removal")

        jobs = jsonl_rows(self.tool("jobs", "--db", self.jobs_db, "--format", "jsonl").stdout.decode())
        by_job = {j["job"]: j for j in jobs if j["job"].startswith("containers_")}
        self.assertEqual(sorted(by_job), ["containers_jsonl", "containers_osquery"], jobs)
        for j in by_job.values():
            self.assertEqual(j["table_name"], "(results)", j)
            self.assertEqual(j["commits"], 5, j)


class BareEnvironmentTest(JobsCliTestBase):
    """The README's crontab command lines under env -i, many runs in a row."""

    RUNS = 12

    def test_readme_lines_under_env_i(self):
        d = self.start_daemon()
        tmp = self.tmpdir()
        self.assertTrue(tmp.startswith("/tmp/"), tmp)
        os.makedirs(os.path.join(tmp, "log"))
        env_lines, lines = cron_lines.lines_for_test(tmp, d.state_dir)
        self.assertEqual(env_lines, ["PROCSQL_STATE_DIR=" + d.state_dir])
        true_copy = cron_lines.writable_dir_true(tmp)
        m = marker()
        tokens = []

        def exec_marked(tag):
            tok = "%s-%s" % (m, tag)
            self.assertEqual(subprocess.run([true_copy, tok]).returncode, 0)
            tokens.append(tok)

        def run(line):
            p = cron_lines.run_bare(line, d.state_dir)
            self.assertEqual((p.returncode, p.stderr.decode("utf-8", "replace")), (0, ""),
                             "%s line exited %d: %s" % (line.kind, p.returncode, line.command))
            self.assertEqual(p.stdout, b"", "the line sends its output to its file")

        for i in range(self.RUNS):
            for line in lines:
                exec_marked("%s%02d" % (line.kind, i))
                run(line)
        # The last execs: once stored, one more run of each reports them.
        sql = "SELECT cmdline FROM process_events WHERE cmdline LIKE %s" % like_marker(m)
        self.wait_for("every marked exec", sql, lambda rows: len(rows) == len(tokens))
        for line in lines:
            run(line)

        tok_re = re.compile(re.escape(m) + r"-\w+")
        store = d.run.store_id
        for line in lines:
            path = cron_lines.redirect_target(line)
            keys = []
            if line.kind == "procsql":
                for obj in cron_lines.osquery_log(path):
                    self.assertEqual(obj.get("hostIdentifier"), os.uname().nodename, obj)
                    if obj.get("name") != "exec_from_writable_dirs":
                        continue
                    cols = obj["columns"]
                    found = tok_re.findall(cols.get("cmdline", ""))
                    if found:
                        keys.append(((cols["store_id"], int(cols["eid"])), found))
            else:
                with open(path, "rb") as f:
                    for raw in f:
                        text = raw.decode("utf-8", "surrogateescape")
                        found = tok_re.findall(text)
                        if found:
                            fields = text.split("|")
                            keys.append(((fields[0], int(fields[1])), found))
            self.assertEqual([k for k, n in Counter(k for k, _ in keys).items() if n != 1], [],
                             "%s: a row reported twice in %s" % (line.kind, path))
            self.assertEqual({k[0] for k, _ in keys}, {store}, line.kind)
            printed = Counter(t for _, found in keys for t in found)
            self.assertEqual(dict(printed), {t: 1 for t in tokens},
                             "%s: every marked exec once in %s" % (line.kind, path))


if __name__ == "__main__":
    unittest.main()
