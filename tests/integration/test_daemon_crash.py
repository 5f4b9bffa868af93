"""Crash safety of procsqld's stores for readers (issue 12), on the backend
under test, with a real daemon (daemon_harness.py).

  * A SIGKILL loop against procsqld during an exec storm while python3
    readers attached to it scan process_events the whole time. Every storm
    exec is `/bin/sh -c 'exec /bin/echo M-$$'`: the echo's row must carry
    its own pid in its argv, its path, comm and filename must be echo's, and
    the shell's row must be the shell's; a row read twice (by any reader, or
    at the end) has the same content under the same eid. No reader crashes
    (exit 0, not a signal) or gets an error; every restart continues the
    eids and reports the killed daemon's gap.
  * Damaged stores: a stopped daemon's files are copied and damaged
    (truncated, a byte flipped, another format version or schema hash with
    a valid checksum, a foreign file, a bad geometry or ring header, a
    symlink); with the lock held by the test, as a live daemon would hold
    it, `.load` with PROCSQL_MODE=attach fails with one line naming what is
    wrong, exit 1, no signal. An undamaged copy under the same conditions
    attaches and reads the rows (so each refusal is the damage's doing).
  * Damage inside the body (slots, ring positions, time index, published
    snapshots): queries answer or fail with a clear line; no signal, no
    hang.
  * A real procsqld started on a damaged directory sets the stores aside
    with a log line and begins a new store id.
  * A half-written row (odd seq at next_eid, as a daemon killed mid-append
    leaves it) is discarded by the next procsqld, logged and counted, and
    its eid goes to the next row; a later clean restart discards nothing.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from daemon_harness import (ASIDE_RE, CB_DAEMON_VERSION, CB_STATE, CONTROL_FILE, DATA_FILES, DISCARDED_RE, EXTENSION, GAP_RE,
                            HDR_FORMAT_VERSION, HDR_MAGIC, HDR_PARAMS, HDR_REGION_BYTES, HDR_SCHEMA_HASH,
                            HDR_TABLE, HEADER_BYTES, LOCK_FILE, PYTHON3, RING_CAPACITY, RING_FIRST_EID,
                            RING_HEADER_BYTES, RING_NEXT_EID, RING_SLOT_WORDS, WRITER_RUNNING, Daemon,
                            client_environment, hold_lock, new_state_dir, read_u64, rewrite_header, write_at,
                            write_u64)
from procsql_test import (DASH, TRUE, ProcsqlTestCase, Script, marker, may_be_null, require_extension, sql_str,
                          stats_dict, stats_query, strip_shell_error_prefix, write_file)

ECHO = os.path.realpath("/bin/echo")
ROUNDS = 8
# Storm rows each daemon stores before it is killed (so that kills land in a storm).
ROWS_PER_ROUND = 400

# Scans process_events for the storm's rows until STOP exists; checks each
# row against itself and against every earlier read of the same eid; writes
# a summary to OUT. Exits 0 unless something outside SQLite fails.
READER = r'''
import json, os, sqlite3, sys
ext, m, stop, out, echo, dash, tid_may_be_null = sys.argv[1:8]
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(ext)
seen, bad, errors = {}, [], []
scans = rows_read = 0
sql = ("SELECT eid, pid, tid, comm, path, filename, cmdline, argv FROM process_events "
       "WHERE argv LIKE ? ORDER BY eid")
def check(r):
    eid, pid, tid, comm, path, filename, cmdline, argv = r
    args = json.loads(argv)
    if tid is None and tid_may_be_null == "1":  # audit: the process ended before /proc was read
        tid = pid
    if args == ["/bin/echo", "%s-%d" % (m, pid)]:
        ok = (path, comm, filename, tid, cmdline) == (echo, "echo", "/bin/echo", pid, "/bin/echo %s-%d" % (m, pid))
    elif args == ["/bin/sh", "-c", "exec /bin/echo %s-$$" % m]:
        ok = (path, comm, filename, tid) == (dash, "sh", "/bin/sh", pid)
    else:
        ok = False
    if not ok:
        bad.append(list(r))
while not os.path.exists(stop):
    try:
        rows = conn.execute(sql, ("%" + m + "-%",)).fetchall()
    except sqlite3.Error as e:
        errors.append(str(e))
        continue
    scans += 1
    rows_read += len(rows)
    for r in rows:
        check(r)
        if seen.setdefault(r[0], r) != r:
            bad.append(["changed", list(seen[r[0]]), list(r)])
with open(out, "w") as f:
    json.dump({"scans": scans, "rows_read": rows_read, "bad": bad[:20], "nbad": len(bad),
               "errors": errors[:20], "nerrors": len(errors),
               "seen": {str(k): list(v) for k, v in seen.items()}}, f)
'''

STORM = r'''
while [ ! -e "$2" ]; do
  /bin/sh -c 'exec /bin/echo '"$1"'-$$' >/dev/null
done
'''


def storm_rows(client, m, above=0):
    return client.query("SELECT eid, pid, tid, comm, path, filename, cmdline, argv FROM process_events "
                        "WHERE argv LIKE ? AND eid > ? ORDER BY eid", ("%" + m + "-%", above))


def cp_sparse(src_dir, dst_dir):
    os.makedirs(dst_dir, mode=0o755)
    for name in DATA_FILES + [LOCK_FILE]:
        subprocess.run(["cp", "--sparse=always", "-p", os.path.join(src_dir, name), dst_dir], check=True)


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x5a]))


def ring_offset(path):
    return read_u64(path, HDR_PARAMS + 8 * 4)


def make_body_script(mark):
    """Queries over every table and access path."""
    s = Script()
    s.load()
    s.query("SELECT count(*) AS n FROM process_events")
    s.query("SELECT * FROM process_events ORDER BY eid DESC LIMIT 5")
    s.query("SELECT * FROM process_events WHERE eid = 2")
    s.query("SELECT * FROM process_events WHERE eid > 1 AND eid < 1000")
    s.query("SELECT count(*) AS n FROM process_events WHERE time > 0 AND time_ns < 9000000000000000000")
    s.query("SELECT count(*) AS n FROM process_events WHERE argv LIKE %s" % sql_str("%" + mark + "%"))
    s.query("SELECT * FROM processes LIMIT 5")
    s.query("SELECT * FROM container_map")
    s.query("SELECT * FROM procsql_stats")
    s.query("SELECT count(*) AS n FROM clone_events")
    s.query("SELECT count(*) AS n FROM process_exits")
    return s


class DaemonCrashTest(ProcsqlTestCase):

    # ------------------------------------------------------- SIGKILL loop

    def test_sigkill_loop_during_an_exec_storm(self):
        d = Daemon(self)
        first = d.start()
        work = tempfile.mkdtemp(prefix="procsql-crash-")
        self.addCleanup(shutil.rmtree, work, True)
        stop = os.path.join(work, "stop")
        self.addCleanup(lambda: open(stop, "w").close())
        m = marker()
        env = client_environment(d.attach_env())
        readers = []
        for i in range(2):
            out = os.path.join(work, "reader%d.json" % i)
            p = subprocess.Popen([PYTHON3, "-c", READER, EXTENSION, m, stop, out, ECHO, DASH,
                                  "1" if may_be_null("process_events", "tid") else "0"], env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.addCleanup(p.kill)
            readers.append((p, out))
        storm_sh = os.path.join(work, "storm.sh")
        with open(storm_sh, "w") as f:
            f.write(STORM)
        # The storm is plain sh and echo: no sanitizer runtime preloaded into
        # each of its execs (under the ASan pass), only the daemon and readers.
        storm_env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        storms = [subprocess.Popen(["/bin/sh", storm_sh, m, stop], env=storm_env)]
        for p in storms:
            self.addCleanup(p.kill)

        checker = d.python_client()
        kill_marks = []  # the largest storm eid read before each kill
        discarded = 0
        last = 0
        for rnd in range(ROUNDS):
            # The storm's rows reach the current daemon's stores.
            deadline = time.monotonic() + 60
            while True:
                rows = storm_rows(checker, m, last)
                if len(rows) >= ROWS_PER_ROUND:
                    break
                self.assertLess(time.monotonic(), deadline, "round %d: no storm rows after eid %d" % (rnd, last))
            last = rows[-1]["eid"]
            kill_marks.append(last)
            t0 = time.monotonic()
            d.kill()
            run = d.start()
            print("round %d: %d storm rows up to eid %d; restarted in %.1f s" % (rnd, len(rows), last,
                                                                                 time.monotonic() - t0))
            self.assertEqual(run.store_id, first.store_id)
            gap = run.find_lines(GAP_RE)
            self.assertEqual([g.group(1) for g in gap], ["was killed or crashed"], run.log())
            discarded += sum(int(x.group(1)) for x in run.find_lines(DISCARDED_RE))
        # One more batch after the last restart.
        deadline = time.monotonic() + 60
        while not storm_rows(checker, m, last):
            self.assertLess(time.monotonic(), deadline, "no storm rows after the last restart")

        open(stop, "w").close()
        for p in storms:
            self.assertEqual(p.wait(120), 0)
        summaries = []
        for p, out in readers:
            try:
                _, err = p.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
                self.fail("a reader did not stop: %s" % err.decode("utf-8", "replace"))
            self.assertEqual(p.returncode, 0, "reader exited %s%s\n%s" % (
                p.returncode, " (%s)" % signal.Signals(-p.returncode).name if p.returncode < 0 else "",
                err.decode("utf-8", "replace")))
            with open(out) as f:
                summaries.append(json.load(f))
        final = {r["eid"]: [r[k] for k in ("eid", "pid", "tid", "comm", "path", "filename", "cmdline", "argv")]
                 for r in storm_rows(checker, m)}
        # The oldest row the store still holds, read after `final`: every
        # row from it on was retained when `final` was read (rows leave the
        # ring in eid order), however long the storm ran.
        first = checker.query("SELECT min(eid) AS e FROM process_events")[0]["e"]
        for i, s in enumerate(summaries):
            print("reader %d: %d scans, %d rows read, %d distinct, %d bad, %d errors; %d discarded at restarts"
                  % (i, s["scans"], s["rows_read"], len(s["seen"]), s["nbad"], s["nerrors"], discarded))
            self.assertEqual((s["nbad"], s["bad"]), (0, []), "reader %d saw torn or changed rows" % i)
            self.assertEqual((s["nerrors"], s["errors"]), (0, []), "reader %d got errors" % i)
            self.assertGreater(s["scans"], ROUNDS)
            self.assertGreater(len(s["seen"]), ROUNDS)
            # Every row it read that the store still holds is there, the same.
            retained = {int(k): v for k, v in s["seen"].items() if int(k) >= first}
            self.assertEqual([(k, v, final.get(k)) for k, v in retained.items() if final.get(k) != v], [],
                             "rows read before a kill, missing or changed under the same eid")
        # So are the rows read just before each kill.
        for k in kill_marks:
            if k >= first:
                self.assertIn(k, final)
        stats = checker.stats()
        self.assertEqual(stats["daemon.starts"], ROUNDS + 1)
        self.assertEqual(stats["daemon.previous_stop"], "killed")
        self.assertEqual(stats["daemon.pid"], d.run.pid)
        # eids: unique and increasing with time across every restart; the
        # rows of the check (same process, one after another) too.
        self.assertEqual(kill_marks, sorted(set(kill_marks)))
        for eid, row in final.items():
            self.assertEqual(row[0], eid)

    # ------------------------------------------------------ damaged files

    @classmethod
    def setUpClass(cls):
        """One stopped daemon's stores, with three marked execs: the
        pristine copy each damage test starts from."""
        cls.tc = unittest.TestCase()
        cls.addClassCleanup(cls.tc.doCleanups)
        require_extension(cls.tc)
        d = Daemon(cls.tc)
        run = d.start()
        cls.mark = marker()
        for i in range(3):
            subprocess.run([TRUE, cls.mark, str(i)], check=True)
        c = d.python_client()
        cls.rows = c.query("SELECT * FROM process_events WHERE argv LIKE ? AND path = ? ORDER BY eid",
                           ("%" + cls.mark + "%", TRUE))
        c.close()
        d.stop()
        if len(cls.rows) != 3:
            raise AssertionError("the pristine store lacks its rows: %r" % cls.rows)
        cls.pristine = d.state_dir
        cls.store_id = run.store_id

    def copy(self, live):
        """A copy of the pristine stores; live: the lock held by this test
        and the control block saying running, as with a live daemon."""
        dst = new_state_dir(self)
        cp_sparse(self.pristine, dst)
        if live:
            write_u64(os.path.join(dst, CONTROL_FILE), HEADER_BYTES + CB_STATE, WRITER_RUNNING)
            hold_lock(self, dst)
        return dst

    def attach_script(self):
        s = Script()
        s.load()
        q = s.query("SELECT * FROM process_events WHERE argv LIKE %s AND path = %s ORDER BY eid"
                    % (sql_str("%" + self.mark + "%"), sql_str(TRUE)))
        return s, q

    DAMAGES = {
        # name: (damage(dir), what the refusal must say)
        "truncated to half": (
            lambda d: os.truncate(os.path.join(d, "process_events.store"),
                                  os.path.getsize(os.path.join(d, "process_events.store")) // 2),
            r"process_events store: header says \d+ bytes, the file has \d+ \(truncated\)"),
        "truncated to 100 bytes": (
            lambda d: os.truncate(os.path.join(d, "process_events.store"), 100),
            r"process_events.store: 100 bytes is not the size of a procsql store \(truncated\?\)"),
        "emptied": (
            lambda d: os.truncate(os.path.join(d, "process_events.store"), 0),
            r"process_events.store: 0 bytes is not the size of a procsql store"),
        "table name byte flipped": (
            lambda d: flip(os.path.join(d, "process_events.store"), HDR_TABLE + 2),
            r"process_events store: header checksum mismatch \(the file is damaged\)"),
        "region size byte flipped": (
            lambda d: flip(os.path.join(d, "clone_events.store"), HDR_REGION_BYTES + 1),
            r"clone_events store: header checksum mismatch"),
        "magic byte flipped": (
            lambda d: flip(os.path.join(d, "process_events.store"), HDR_MAGIC + 3),
            r"process_events store: not a procsql store \(bad magic\)"),
        "format version 2": (
            lambda d: rewrite_header(os.path.join(d, "process_events.store"), HDR_FORMAT_VERSION, 2),
            r"process_events store: format version 2, this procsql reads version 1"),
        "another schema hash": (
            lambda d: rewrite_header(os.path.join(d, "process_events.store"), HDR_SCHEMA_HASH,
                                     read_u64(os.path.join(d, "process_events.store"), HDR_SCHEMA_HASH) ^ 1),
            r"process_events store: schema hash \d+ differs from this procsql's \d+"),
        "processes schema hash": (
            lambda d: rewrite_header(os.path.join(d, "processes.store"), HDR_SCHEMA_HASH, 12345),
            r"processes store: schema hash 12345 differs"),
        "control region format version": (
            lambda d: rewrite_header(os.path.join(d, CONTROL_FILE), HDR_FORMAT_VERSION, 7),
            r"procsqld store: format version 7"),
        "capacity in the header": (
            lambda d: rewrite_header(os.path.join(d, "process_exits.store"), HDR_PARAMS, 1 << 20),
            r"process_exits store: its geometry does not add up"),
        "ring magic": (
            lambda d: write_u64(os.path.join(d, "process_events.store"),
                                ring_offset(os.path.join(d, "process_events.store")), 0x1234),
            r"process_events store: procsql ring: attach: bad magic"),
        "ring capacity": (
            lambda d: write_u64(os.path.join(d, "process_events.store"),
                                ring_offset(os.path.join(d, "process_events.store")) + RING_CAPACITY, 1 << 50),
            r"process_events store: procsql ring: attach: "),
        "foreign file": (
            lambda d: write_file(os.path.join(d, "process_events.store"), random.Random(7).randbytes(1 << 20)),
            r"process_events store: not a procsql store \(bad magic\)"),
        "symlink": (
            lambda d: (os.unlink(os.path.join(d, "process_events.store")),
                       os.symlink("/etc/passwd", os.path.join(d, "process_events.store"))),
            r"cannot open .*process_events.store: Too many levels of symbolic links"),
        "directory": (
            lambda d: (os.unlink(os.path.join(d, "process_events.store")),
                       os.mkdir(os.path.join(d, "process_events.store"))),
            r"process_events.store is not a regular file"),
    }

    def test_undamaged_copy_attaches(self):
        """The control: a copy with the lock held attaches and reads the
        pristine rows, as they were."""
        d = self.copy(live=True)
        s, q = self.attach_script()
        qs = stats_query(s)
        r = s.run(env={"PROCSQL_STATE_DIR": d, "PROCSQL_MODE": "attach"})
        self.assertEqual(r.rows(q), self.rows)
        self.assertEqual(stats_dict(r.rows(qs))["store_id"], self.store_id)

    def test_damaged_files_are_refused(self):
        def attempt(name):
            damage, _ = self.DAMAGES[name]
            d = self.copy(live=True)
            damage(d)
            s, _ = self.attach_script()  # a Script per thread: each has its own files
            return d, s.run(env={"PROCSQL_STATE_DIR": d, "PROCSQL_MODE": "attach"}, check=False)

        names = sorted(self.DAMAGES)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(attempt, names))
        for name, (d, r) in zip(names, results):
            with self.subTest(damage=name):
                self.assertEqual(r.returncode, 1, "exit status %d%s; stderr: %s" % (
                    r.returncode, " (%s)" % signal.Signals(-r.returncode).name if r.returncode < 0 else "",
                    r.stderr))
                lines = r.stderr_lines()
                self.assertEqual(len(lines), 1, r.stderr)
                msg = strip_shell_error_prefix(lines[0])
                prefix = "procsql: cannot attach to procsqld on %s: " % d
                self.assertTrue(msg.startswith(prefix), msg)
                self.assertRegex(msg[len(prefix):], self.DAMAGES[name][1])
                self.assertNotIn("@@procsql", r.output)

    def test_damaged_body(self):
        """Damage the header checks cannot see: every query answers or fails
        with one clear line; the reader neither dies nor hangs."""
        def slots_garbage(d):
            path = os.path.join(d, "process_events.store")
            ro = ring_offset(path)
            rng = random.Random(11)
            cap = read_u64(path, ro + RING_CAPACITY)
            words = read_u64(path, ro + RING_SLOT_WORDS)
            nxt = read_u64(path, ro + RING_NEXT_EID)
            # The retained slots: seq left as it is, everything else random.
            with open(path, "r+b") as f:
                for eid in range(1, nxt):
                    at = ro + RING_HEADER_BYTES + ((eid - 1) % cap) * words * 8
                    f.seek(at + 8)
                    f.write(rng.randbytes((words - 1) * 8))

        def lengths_huge(d):
            path = os.path.join(d, "process_events.store")
            ro = ring_offset(path)
            cap = read_u64(path, ro + RING_CAPACITY)
            words = read_u64(path, ro + RING_SLOT_WORDS)
            nxt = read_u64(path, ro + RING_NEXT_EID)
            with open(path, "r+b") as f:
                for eid in range(1, nxt):
                    at = ro + RING_HEADER_BYTES + ((eid - 1) % cap) * words * 8
                    f.seek(at + (words - 2) * 8)  # the position and length words at the slot's end
                    f.write(b"\xff" * 16)

        def positions(first, nxt):
            def damage(d):
                path = os.path.join(d, "process_events.store")
                ro = ring_offset(path)
                write_u64(path, ro + RING_FIRST_EID, first)
                write_u64(path, ro + RING_NEXT_EID, nxt)
            return damage

        def index_garbage(d):
            path = os.path.join(d, "process_events.store")
            at = read_u64(path, HDR_PARAMS + 8 * 3)
            write_at(path, at, random.Random(5).randbytes(ring_offset(path) - at))

        def snapshot_garbage(table):
            def damage(d):
                path = os.path.join(d, table + ".store")
                write_at(path, HEADER_BYTES, random.Random(3).randbytes(1 << 16))
            return damage

        def control_garbage(d):
            path = os.path.join(d, CONTROL_FILE)
            # Watermarks, the settings' length and text; the state word stays
            # running, the backend and version are left as they are.
            write_at(path, HEADER_BYTES + 64, b"\xff" * 32)
            write_at(path, HEADER_BYTES + CB_DAEMON_VERSION + 32, b"\xff" * 8 + random.Random(10).randbytes(4096))

        cases = {
            "slots garbage": slots_garbage,
            "string lengths huge": lengths_huge,
            "next eid 2^62": positions(1, 1 << 62),
            "first eid past next": positions(1 << 40, 5),
            "first eid 0, next 2^63-1": positions(0, (1 << 63) - 1),
            "time index garbage": index_garbage,
            "processes payload garbage": snapshot_garbage("processes"),
            "container_map payload garbage": snapshot_garbage("container_map"),
            "procsql_stats payload garbage": snapshot_garbage("procsql_stats"),
            "control block garbage": control_garbage,
        }
        def script():
            return make_body_script(self.mark)

        def attempt(name):
            d = self.copy(live=True)
            cases[name](d)
            return script().run(env={"PROCSQL_STATE_DIR": d, "PROCSQL_MODE": "attach"}, check=False, bail=False,
                                timeout=240)

        names = sorted(cases)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(attempt, names))
        for name, r in zip(names, results):
            with self.subTest(damage=name):
                print("%s: exit %d, stderr: %s" % (name, r.returncode, r.stderr.strip()[:600]))
                self.assertIn(r.returncode, (0, 1), "exit status %d%s; stderr: %s" % (
                    r.returncode, " (%s)" % signal.Signals(-r.returncode).name if r.returncode < 0 else "",
                    r.stderr))
                lines = r.stderr_lines()
                if lines and "error during initialization" in lines[0]:
                    # The load refused the store: one line, then the script's
                    # queries find no tables.
                    self.assertRegex(strip_shell_error_prefix(lines[0]), r"^procsql: cannot attach", r.stderr)
                    self.assertTrue(all("no such table" in l for l in lines[1:]), r.stderr)
                    continue
                for line in lines:
                    self.assertRegex(strip_shell_error_prefix(line), r"^procsql: ", r.stderr)


    def test_daemon_sets_damaged_stores_aside(self):
        for name in ("truncated to half", "table name byte flipped", "format version 2", "another schema hash",
                     "emptied", "ring magic"):
            with self.subTest(damage=name):
                damage, _ = self.DAMAGES[name]
                d = self.copy(live=False)
                damage(d)
                size = os.path.getsize(os.path.join(d, "process_events.store"))
                daemon = Daemon(self, state_dir=d)
                run = daemon.start()
                lines = run.find_lines(ASIDE_RE)
                self.assertEqual(len(lines), 1, run.log())
                old_id, where, reason, new_id = lines[0].groups()
                self.assertEqual((old_id, new_id), (self.store_id, run.store_id))
                self.assertNotEqual(new_id, old_id)
                self.assertTrue(where.startswith(os.path.join(d, "aside") + "/"), where)
                if size:  # (an empty file is sized as a new one before it is found wanting)
                    self.assertEqual(os.path.getsize(os.path.join(where, "process_events.store")), size)
                print("%s: %s" % (name, reason))
                s, q = self.attach_script()
                qs = stats_query(s)
                r = s.run(env=daemon.attach_env())
                self.assertEqual(r.rows(q), [], "the old rows are in the aside store, not the new one")
                st = stats_dict(r.rows(qs))
                self.assertEqual((st["store_id"], st["daemon.starts"], st["daemon.previous_stop"]),
                                 (new_id, 1, "none"))
                daemon.stop()

    # ---------------------------------------------------- half-written row

    def test_half_written_row_is_discarded(self):
        d = self.copy(live=False)
        path = os.path.join(d, "process_events.store")
        ro = ring_offset(path)
        cap = read_u64(path, ro + RING_CAPACITY)
        words = read_u64(path, ro + RING_SLOT_WORDS)
        nxt = read_u64(path, ro + RING_NEXT_EID)
        slot = ro + RING_HEADER_BYTES + ((nxt - 1) % cap) * words * 8
        self.assertEqual(read_u64(path, slot), 0, "the slot of next_eid is unused")
        # What an append killed after its odd seq store leaves: the slot
        # claimed for eid `nxt`, next_eid not advanced.
        write_u64(path, slot, 2 * nxt - 1)
        write_at(path, slot + 8, b"\x01" * 8 * (words - 1))

        # A reader never sees it.
        live = self.copy(live=True)
        subprocess.run(["cp", "--sparse=always", path, os.path.join(live, "process_events.store")], check=True)
        s = Script()
        s.load()
        q = s.query("SELECT eid FROM process_events WHERE eid >= %d" % (nxt - 1))
        r = s.run(env={"PROCSQL_STATE_DIR": live, "PROCSQL_MODE": "attach"})
        self.assertEqual(r.rows(q), [{"eid": nxt - 1}])

        daemon = Daemon(self, state_dir=d)
        run = daemon.start()
        self.assertEqual([int(x.group(1)) for x in run.find_lines(DISCARDED_RE)], [1], run.log())
        self.assertEqual(run.store_id, self.store_id)
        m = marker()
        s = Script()
        s.load()
        s.shell("%s %s" % (TRUE, m))
        q_next = s.query("SELECT eid FROM process_events WHERE eid = %d" % nxt)
        q_m = s.query("SELECT eid, path FROM process_events WHERE argv LIKE %s AND path = %s"
                      % (sql_str("%" + m + "%"), sql_str(TRUE)))
        qs = stats_query(s)
        r = s.run(env=daemon.attach_env())
        self.assertEqual(r.rows(q_next), [{"eid": nxt}], "the next row takes the discarded row's eid")
        self.assertGreaterEqual(r.rows(q_m)[0]["eid"], nxt)
        self.assertEqual(stats_dict(r.rows(qs))["daemon.rows_discarded"], 1)

        # Nothing was half-written this time: nothing to discard, nothing said.
        daemon.stop()
        run = daemon.start()
        r = s.run(env=daemon.attach_env())
        self.assertEqual(stats_dict(r.rows(qs))["daemon.rows_discarded"], 0,
                         "a clean restart reports the earlier discard again")
        self.assertEqual(run.find_lines(DISCARDED_RE), [], run.log())


if __name__ == "__main__":
    unittest.main()
