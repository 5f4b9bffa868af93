"""procsqld and the clients that attach to it (issue 12), on the backend
under test: a real daemon in a state directory of the test's own
(daemon_harness.py), the stock sqlite3 shell and Debian's python3.

  * both clients attach and see marked execs made after the daemon started
    and before the client did; the rows are the same in both;
  * read-your-writes across processes: an exec the shell ran with `.shell`
    (and one the test ran between two python3 queries) is in the next query;
  * an attached client starts nothing: no BPF object, no audit or
    process-events socket, no thread, no audit rule of its own; its mappings
    of the stores are read-only;
  * `processes` lists a process started just before the query, with the
    start_time of its process_events row; container_map answers, and lists a
    runc container started while the client was attached;
  * procsql_stats: the attached rows (mode, store_id, daemon.*, attach.*)
    with their values, then the daemon's own rows; embedded mode is said too;
  * refusals, each one clear line: a second procsqld on the directory,
    PROCSQL_MODE=attach with no daemon, a collector variable that differs
    from the daemon's, a daemon of another version;
  * SIGTERM and SIGINT stop it cleanly: exit 0, its BPF programs (or its
    audit rules) gone, the stores kept and marked stopped.
"""

import json
import os
import signal
import subprocess
import threading
import time
import unittest

from daemon_harness import (CB_DAEMON_VERSION, CB_STATE, CONTROL_FILE, DATA_FILES, HEADER_BYTES, LOCK_FILE,
                            Daemon, audit_rule_keys, pid_bpf_objects, pid_netlink_sockets,
                            pid_prog_ids, pid_threads, procsql_version, read_u64, store_mappings, write_at)
from procsql_test import (AUDIT, BACKEND, SQLITE3, TRUE, ProcsqlTestCase, Script, events_with_marker, marker,
                          procsql_prog_ids, sql_str, stats_dict, stats_query, strip_shell_error_prefix,
                          wait_exec_done, wait_progs_gone, write_file)

SLEEP = os.path.realpath("/usr/bin/sleep")
WRITER_STOPPED = 2


def assert_clean_load_error(tc, r, must_start):
    """The sqlite3 shell's `.load` failed with one line from the extension
    that starts with `must_start` (after "procsql: "), and a normal error
    exit (no signal). Returns the message."""
    tc.assertGreater(r.returncode, 0, "expected an error exit, got %d%s; stderr: %s" % (
        r.returncode, " (%s)" % signal.Signals(-r.returncode).name if r.returncode < 0 else "", r.stderr))
    lines = r.stderr_lines()
    tc.assertEqual(len(lines), 1, "expected one line on stderr, got:\n" + r.stderr)
    msg = strip_shell_error_prefix(lines[0])
    tc.assertTrue(msg.startswith("procsql: " + must_start), "%r does not start with %r" % (msg, must_start))
    tc.assertNotIn("@@procsql", r.output, "the script went on after the failed .load")
    return msg[len("procsql: "):]


def load_only_script():
    s = Script()
    s.load()
    s.query("SELECT 1 AS after_load")
    return s


def only(tc, rows, what):
    tc.assertEqual(len(rows), 1, "expected exactly one %s, got %r" % (what, rows))
    return rows[0]


class DaemonTest(ProcsqlTestCase):

    def daemon(self, **env):
        d = Daemon(self, env=env)
        d.start()
        return d

    # ------------------------------------------------------------ attaching

    def test_clients_see_execs_from_before_they_started(self):
        d = self.daemon()
        m = marker()
        p = subprocess.Popen([TRUE, "first", m])
        self.assertEqual(p.wait(), 0)
        # The shell.
        s = Script()
        s.load()
        q = events_with_marker(s, m)
        qs = stats_query(s)
        r = s.run(env=d.attach_env())
        self.assertEqual(r.stderr_lines(), [])
        row = only(self, r.rows(q), "exec of the marker")
        self.assertEqual((row["pid"], row["path"], row["filename"], json.loads(row["argv"])),
                         (p.pid, TRUE, TRUE, [TRUE, "first", m]))
        self.assertEqual(row["cmdline"], "%s first %s" % (TRUE, m))
        stats = stats_dict(r.rows(qs))
        self.assertEqual((stats["mode"], stats["store_id"]), ("attached", d.run.store_id))
        # python3, in a process started after the shell ended: the same row.
        c = d.python_client()
        prow = only(self, c.query("SELECT * FROM process_events WHERE argv LIKE ?", ("%" + m + "%",)),
                    "exec of the marker (python3)")
        self.assertEqual(prow, row)
        self.assertEqual(c.stats()["mode"], "attached")
        # And in auto mode (the default) the shell attaches too.
        r = s.run(env=d.attach_env(mode="auto"))
        self.assertEqual(r.rows(q), [row])
        self.assertEqual(stats_dict(r.rows(qs))["mode"], "attached")

    def test_read_your_writes_in_the_shell(self):
        """`.shell` runs an exec; the next query of the same script has it
        (the client woke the daemon and waited for its drain)."""
        d = self.daemon()
        s = Script()
        s.load()
        marks = [marker() for _ in range(5)]
        keys = []
        for m in marks:
            s.shell("%s %s" % (TRUE, m))
            keys.append(events_with_marker(s, m, "path = %s" % sql_str(TRUE)))
        qs = stats_query(s)
        r = s.run(env=d.attach_env())
        for m, k in zip(marks, keys):
            row = only(self, r.rows(k), "exec of %s read right after it" % m)
            self.assertEqual((row["path"], json.loads(row["argv"])), (TRUE, [TRUE, m]))
        stats = stats_dict(r.rows(qs))
        self.assertEqual(stats["mode"], "attached")
        self.assertGreaterEqual(stats["attach.drain_waits"], len(marks))

    def test_read_your_writes_in_python(self):
        """The test's own exec, between two queries of an attached python3
        process: the second query has it."""
        d = self.daemon()
        c = d.python_client()
        for _ in range(5):
            m = marker()
            self.assertEqual(c.query("SELECT eid FROM process_events WHERE argv LIKE ?", ("%" + m + "%",)), [])
            p = subprocess.Popen([TRUE, m])
            self.assertEqual(p.wait(), 0)
            rows = c.query("SELECT pid, path FROM process_events WHERE argv LIKE ?", ("%" + m + "%",))
            self.assertEqual(rows, [{"pid": p.pid, "path": TRUE}])
            # Its exit too.
            rows = c.query("SELECT exit_code FROM process_exits WHERE pid = ? AND time_ns >= "
                           "(SELECT time_ns FROM process_events WHERE argv LIKE ?)", (p.pid, "%" + m + "%"))
            self.assertEqual(rows, [{"exit_code": 0}])
            # And a failed exec (exec_failures), of a child of this process.
            missing = "/nonexistent-procsql/" + m
            pid = os.fork()
            if pid == 0:
                try:
                    os.execv(missing, [missing, m])
                finally:
                    os._exit(3)
            os.waitpid(pid, 0)
            rows = c.query("SELECT pid, errno, result FROM exec_failures WHERE filename = ?", (missing,))
            self.assertEqual(rows, [{"pid": pid, "errno": "ENOENT", "result": -2}])

    # ------------------------------------------------------- starts nothing

    def assert_holds_nothing(self, pid, d):
        self.assertEqual(pid_bpf_objects(pid), [], "attached client %d holds BPF objects" % pid)
        self.assertEqual(pid_prog_ids(pid), set())
        self.assertEqual(pid_netlink_sockets(pid), [], "attached client %d holds audit/connector sockets" % pid)
        self.assertEqual(pid_threads(pid), [str(pid)], "attached client %d runs threads" % pid)
        if AUDIT:
            mine = [k for k in audit_rule_keys() if k.startswith("procsql-%d-" % pid)]
            self.assertEqual(mine, [], "audit rules with the client's key")
        maps = store_mappings(pid, d.state_dir)
        mapped = {os.path.basename(path) for _, path in maps}
        self.assertTrue({CONTROL_FILE, "process_events.store"} <= mapped, maps)
        self.assertEqual([(perms, path) for perms, path in maps if "w" in perms], [],
                         "writable mappings of the stores")
        # The same checks see what the daemon holds.
        if AUDIT:
            self.assertNotEqual(pid_netlink_sockets(d.run.pid), [])
        else:
            ids = pid_prog_ids(d.run.pid)
            self.assertTrue(ids and ids <= procsql_prog_ids(), ids)

    def test_attached_client_starts_nothing(self):
        d = self.daemon()
        work = self.tmpdir()
        ready, go = os.path.join(work, "ready"), os.path.join(work, "go")
        m = marker()
        s = Script()
        s.load()
        s.shell("%s %s" % (TRUE, m))
        q = events_with_marker(s, m, "path = %s" % sql_str(TRUE))
        qs = stats_query(s)
        # Waits (bounded) for the test to look at the shell from outside.
        s.sh("echo $$ > %s.tmp && mv %s.tmp %s\ni=0\nwhile [ ! -e %s ] && [ $i -lt 3000 ]; do sleep 0.1; "
             "i=$((i+1)); done\n" % (ready, ready, ready, go))
        q2 = s.query("SELECT count(*) AS n FROM processes")
        result = {}
        t = threading.Thread(target=lambda: result.update(r=s.run(env=d.attach_env(), check=False)))
        t.start()
        try:
            deadline = time.monotonic() + 120
            while not os.path.exists(ready) and t.is_alive():
                self.assertLess(time.monotonic(), deadline, "the shell never reached its .shell")
                time.sleep(0.05)
            self.assertTrue(os.path.exists(ready), "the shell ended early: %r" % result)
            with open(ready) as f:
                pid = int(f.read())
            while os.path.realpath("/proc/%d/exe" % pid) != SQLITE3:
                with open("/proc/%d/stat" % pid) as f:
                    pid = int(f.read().rsplit(")", 1)[1].split()[1])
                self.assertGreater(pid, 1, "no sqlite3 above the .shell command")
            self.assert_holds_nothing(pid, d)
        finally:
            write_file(go, "")
            t.join(300)
        r = result["r"]
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.rows(q)), 1)
        stats = stats_dict(r.rows(qs))
        self.assertEqual((stats["mode"], stats["collector_pid"], stats["daemon.pid"]),
                         ("attached", d.run.pid, d.run.pid))
        self.assertGreater(r.rows(q2)[0]["n"], 1)

    def test_attached_python_starts_nothing(self):
        d = self.daemon()
        c = d.python_client()
        m = marker()
        subprocess.run([TRUE, m], check=True)
        self.assertEqual(len(c.query("SELECT eid FROM process_events WHERE argv LIKE ?", ("%" + m + "%",))), 1)
        c.query("SELECT count(*) FROM processes")
        c.query("SELECT count(*) FROM container_map")
        c.query("SELECT count(*) FROM clone_events")
        self.assert_holds_nothing(c.pid, d)

    # ------------------------------------------------- processes, containers

    def test_processes_lists_a_process_started_just_before(self):
        d = self.daemon()
        c = d.python_client()
        c.query("SELECT count(*) FROM processes")  # attached and warm
        for _ in range(3):
            m = marker()
            p = subprocess.Popen([m, "600"], executable=SLEEP, start_new_session=True)
            self.addCleanup(p.wait)
            self.addCleanup(p.kill)
            wait_exec_done(self, p.pid, SLEEP)
            rows = c.query("SELECT * FROM processes WHERE pid = ?", (p.pid,))
            proc = only(self, rows, "processes row of %d" % p.pid)
            self.assertEqual((proc["path"], proc["cmdline"], proc["parent"], proc["uid"]),
                             (SLEEP, "%s 600" % m, os.getpid(), 0))
            ev = only(self, c.query("SELECT pid, start_time FROM process_events WHERE argv LIKE ?",
                                    ("%" + m + "%",)), "exec row")
            self.assertEqual((ev["pid"], ev["start_time"]), (p.pid, proc["start_time"]))
            joined = c.query("SELECT e.eid FROM processes p JOIN process_events e ON e.pid = p.pid AND "
                             "e.start_time = p.start_time WHERE p.pid = ?", (p.pid,))
            self.assertEqual(len(joined), 1, joined)
            p.kill()
            p.wait()
            self.assertEqual(c.query("SELECT pid FROM processes WHERE pid = ? AND start_time = ?",
                                     (p.pid, proc["start_time"])), [])

    def test_container_map_answers(self):
        from containers import RUNC_ROOT, Container, require_runc
        require_runc(self)
        d = self.daemon(PROCSQL_RUNC_ROOTS=RUNC_ROOT)
        c = d.python_client()
        c.query("SELECT * FROM container_map")  # answers (rows or none)
        m = marker()
        ctr = Container(self, ["sh", "-c", "echo ready; read x; /bin/true %s; exit 0" % m])
        ctr.start()
        ctr.read_until(b"ready")
        cgdir = ctr.cgroup_v2_dir()
        row = only(self, c.query("SELECT * FROM container_map WHERE container_id = ?", (ctr.id,)),
                   "container_map row of %s" % ctr.id)
        self.assertEqual((row["runtime"], row["cgroup_id"]), ("runc", os.stat(cgdir).st_ino))
        self.assertIsNone(row["removed_time"])
        ctr.send(b"go\n")
        self.assertEqual(ctr.wait(), 0)
        ex = c.query("SELECT comm, container_id FROM process_events WHERE argv LIKE ? AND comm = 'sh'",
                     ("%" + m + "%",))
        self.assertEqual(ex, [{"comm": "sh", "container_id": ctr.id}])

    # ---------------------------------------------------------- procsql_stats

    def test_stats_rows(self):
        d = self.daemon()
        run = d.run
        s = Script()
        s.load()
        s.shell("%s %s" % (TRUE, marker()))
        qs = s.query("SELECT name, value FROM procsql_stats")
        r = s.run(env=d.attach_env())
        rows = r.rows(qs)
        names = [x["name"] for x in rows]
        stats = stats_dict(rows)
        self.assertEqual(len(names), len(set(names)), "a row name twice: %r" % names)
        head = ["mode", "store_id", "state_dir", "daemon.pid", "daemon.start_time", "daemon.version",
                "daemon.backend", "daemon.running", "daemon.starts", "daemon.previous_stop",
                "daemon.gap_start_time", "daemon.gap_end_time", "daemon.rows_discarded"]
        self.assertEqual(names[:len(head)], head)
        settings = ["PROCSQL_BACKEND", "PROCSQL_CAPACITY", "PROCSQL_ARENA_BYTES", "PROCSQL_ARGV_BYTES",
                    "PROCSQL_ENV", "PROCSQL_ENV_BYTES",
                    "PROCSQL_RINGBUF_BYTES", "PROCSQL_BPF_NO_LOOP", "PROCSQL_BPF_EXE_MEMO", "PROCSQL_THREADS",
                    "PROCSQL_CONTAINER_GRACE", "PROCSQL_RUNC_ROOTS", "PROCSQL_DOCKER_ROOT"]
        attach = ["attach.drain_bound_ms", "attach.drain_waits", "attach.drain_timeouts", "attach.daemon_absent",
                  "attach.stores_followed"]
        at = len(head)
        self.assertEqual(names[at:at + len(settings) + len(attach)], ["daemon." + x for x in settings] + attach)
        self.assertEqual(stats["mode"], "attached")
        self.assertEqual(stats["store_id"], run.store_id)
        self.assertEqual(stats["state_dir"], d.state_dir)
        self.assertEqual(stats["daemon.pid"], run.pid)
        self.assertLessEqual(run.t_spawn_ns - 10**9, stats["daemon.start_time"])
        self.assertLessEqual(stats["daemon.start_time"], run.t_ready_ns + 10**9)
        self.assertEqual(stats["daemon.version"], procsql_version())
        self.assertEqual(stats["daemon.version"], run.version)
        self.assertEqual(stats["daemon.backend"], BACKEND)
        self.assertEqual(stats["daemon.running"], "yes")
        self.assertEqual(stats["daemon.starts"], 1)
        self.assertEqual(stats["daemon.previous_stop"], "none")
        self.assertEqual((stats["daemon.gap_start_time"], stats["daemon.gap_end_time"]), (0, 0))
        self.assertEqual(stats["daemon.rows_discarded"], 0)
        self.assertEqual(stats["daemon.PROCSQL_BACKEND"], BACKEND)
        self.assertEqual(stats["daemon.PROCSQL_CAPACITY"], "100000")
        self.assertEqual(stats["daemon.PROCSQL_THREADS"], "0")
        self.assertEqual(stats["attach.drain_bound_ms"], 250 if AUDIT else 100)
        self.assertGreaterEqual(stats["attach.drain_waits"], 1)
        self.assertIsInstance(stats["attach.drain_timeouts"], int)
        self.assertEqual(stats["attach.daemon_absent"], 0)
        self.assertEqual(stats["attach.stores_followed"], 0)
        # Then the daemon's own rows.
        theirs = names[at + len(settings) + len(attach):]
        self.assertEqual(theirs[:2], ["backend", "backend_reason"])
        self.assertEqual(stats["backend"], BACKEND)
        self.assertEqual(stats["collector_pid"], run.pid)
        self.assertEqual(stats["process_events.capacity"], 100000)
        self.assertGreaterEqual(stats["process_events.rows_retained"], 1)
        if AUDIT:
            self.assertTrue(stats["audit.rule_key"].startswith("procsql-%d-" % run.pid), stats["audit.rule_key"])
        # The daemon's settings as it was given them.
        d2 = self.daemon(PROCSQL_CAPACITY="20000", PROCSQL_THREADS="1")
        r = s.run(env=d2.attach_env())
        stats = stats_dict(r.rows(qs))
        self.assertEqual((stats["daemon.PROCSQL_CAPACITY"], stats["daemon.PROCSQL_THREADS"]), ("20000", "1"))
        self.assertEqual(stats["process_events.capacity"], 20000)
        self.assertEqual(stats["store_id"], d2.run.store_id)
        self.assertNotEqual(d2.run.store_id, run.store_id)

    def test_embedded_stats(self):
        """PROCSQL_MODE=embedded with a daemon running: a collector of its
        own, said first in procsql_stats."""
        d = self.daemon()
        s = Script()
        s.load()
        qs = s.query("SELECT name, value FROM procsql_stats")
        r = s.run(env=d.attach_env(mode="embedded"))
        rows = r.rows(qs)
        self.assertEqual([x["name"] for x in rows[:2]], ["mode", "store_id"])
        stats = stats_dict(rows)
        self.assertEqual(stats["mode"], "embedded")
        self.assertNotEqual(stats["store_id"], d.run.store_id)
        self.assertEqual(stats["collector_pid"], r.pid)
        self.assertNotIn("daemon.pid", stats)

    # --------------------------------------------------------------- refusals

    def test_second_daemon_refuses(self):
        d = self.daemon()
        rc, lines = d.run_to_exit()
        self.assertEqual((rc, lines), (1, ["procsqld: another procsqld (pid %d) already runs on %s"
                                            % (d.run.pid, d.state_dir)]))
        self.assertTrue(d.run.alive())
        # The first one still serves.
        m = marker()
        s = Script()
        s.load()
        s.shell("%s %s" % (TRUE, m))
        q = events_with_marker(s, m, "path = %s" % sql_str(TRUE))
        r = s.run(env=d.attach_env())
        self.assertEqual(len(r.rows(q)), 1)

    def test_attach_without_a_daemon(self):
        d = Daemon(self)
        s = load_only_script()
        want = ("PROCSQL_MODE=attach, but no procsqld runs on %s: start procsqld (systemctl start procsqld), "
                "or unset PROCSQL_MODE" % d.state_dir)
        # No directory at all.
        msg = assert_clean_load_error(self, s.run(env=d.attach_env(), check=False), "PROCSQL_MODE=attach")
        self.assertEqual(msg, want)
        # Stores a stopped daemon left: still no daemon.
        d.start()
        d.stop()
        msg = assert_clean_load_error(self, s.run(env=d.attach_env(), check=False), "PROCSQL_MODE=attach")
        self.assertEqual(msg, want)
        # python3 says the same.
        c = d.python_client(check=False)
        self.assertEqual(strip_shell_error_prefix(c.load_error), "procsql: " + want)
        self.assertEqual(c.close(), 1)
        # auto (root): a collector of its own.
        qs = stats_query(s)
        r = s.run(env=d.attach_env(mode="auto"))
        self.assertEqual(stats_dict(r.rows(qs))["mode"], "embedded")

    def test_differing_collector_variable(self):
        d = self.daemon()
        s = load_only_script()
        for var, value, theirs in (("PROCSQL_CAPACITY", "5000", "100000"), ("PROCSQL_THREADS", "1", "0"),
                                   ("PROCSQL_ARGV_BYTES", "4096", "16384")):
            for mode in ("attach", "auto"):
                with self.subTest(var=var, mode=mode):
                    r = s.run(env=d.attach_env(mode=mode, **{var: value}), check=False)
                    msg = assert_clean_load_error(self, r, var)
                    self.assertEqual(msg, "%s=%s here, but the running procsqld has %s=%s: unset it to use "
                                          "procsqld's stores, or set PROCSQL_MODE=embedded for a collector of "
                                          "this process's own" % (var, value, var, theirs))
        # The backend: a choice the daemon's backend meets is no conflict.
        other = "bpf" if AUDIT else "audit"
        for mode in ("attach", "auto"):
            with self.subTest(var="PROCSQL_BACKEND", mode=mode):
                r = s.run(env=d.attach_env(mode=mode, PROCSQL_BACKEND=other), check=False)
                msg = assert_clean_load_error(self, r, "PROCSQL_BACKEND")
                self.assertEqual(msg, "PROCSQL_BACKEND=%s here, but the running procsqld collects with %s: unset it "
                                      "to use procsqld's stores, or set PROCSQL_MODE=embedded for a collector of "
                                      "this process's own" % (other, BACKEND))
        qs = stats_query(s)
        for backend in ("auto", BACKEND):
            r = s.run(env=d.attach_env(PROCSQL_BACKEND=backend))
            self.assertEqual(stats_dict(r.rows(qs))["mode"], "attached", backend)
        # The daemon's own value is no conflict.
        qs = stats_query(s)
        r = s.run(env=d.attach_env(PROCSQL_CAPACITY="100000"))
        self.assertEqual(stats_dict(r.rows(qs))["mode"], "attached")
        # Embedded, as the message says: a collector of its own with that value.
        r = s.run(env=d.attach_env(mode="embedded", PROCSQL_CAPACITY="5000"))
        stats = stats_dict(r.rows(qs))
        self.assertEqual((stats["mode"], stats["process_events.capacity"]), ("embedded", 5000))

    def test_version_mismatch(self):
        d = self.daemon()
        state = d.path(CONTROL_FILE)
        ours = procsql_version()
        at = HEADER_BYTES + CB_DAEMON_VERSION
        with open(state, "rb") as f:
            f.seek(at)
            self.assertEqual(f.read(32), ours.encode() + b"\0" * (32 - len(ours)),
                             "ControlBlock.daemon_version is not where control_block.h puts it")
        write_at(state, at, b"0.11.9".ljust(32, b"\0"))
        s = load_only_script()
        want = "procsqld runs procsql 0.11.9 and this is procsql %s: the versions must match to attach" % ours
        for mode in ("attach", "auto"):
            with self.subTest(mode=mode):
                msg = assert_clean_load_error(self, s.run(env=d.attach_env(mode=mode), check=False), "")
                self.assertIn(want, msg)
        c = d.python_client(check=False)
        self.assertIn(want, c.load_error)
        self.assertEqual(c.close(), 1)
        write_at(state, at, ours.encode().ljust(32, b"\0"))
        qs = stats_query(s)
        self.assertEqual(stats_dict(s.run(env=d.attach_env()).rows(qs))["mode"], "attached")

    # ------------------------------------------------------------------ stop

    def check_clean_stop(self, sig):
        d = self.daemon()
        c = d.python_client()
        stats = c.stats()
        c.close()
        if AUDIT:
            key = stats["audit.rule_key"]
            self.assertTrue(key.startswith("procsql-%d-" % d.run.pid), key)
            self.assertIn(key, audit_rule_keys(), "the daemon's audit rules are not loaded")
        else:
            ids = pid_prog_ids(d.run.pid)
            self.assertTrue(ids and ids <= procsql_prog_ids(), ids)
        d.stop(sig)
        if AUDIT:
            self.assertNotIn(key, audit_rule_keys(), "the daemon's audit rules are left after a stop")
        else:
            self.assertEqual(wait_progs_gone(ids), set(), "the daemon's procsql_ programs are left after a stop")
        # The stores stay, marked stopped; the lock is free.
        for name in DATA_FILES + [LOCK_FILE]:
            self.assertTrue(os.path.isfile(d.path(name)), name)
        self.assertEqual(read_u64(d.path(CONTROL_FILE), HEADER_BYTES + CB_STATE), WRITER_STOPPED)
        s = load_only_script()
        assert_clean_load_error(self, s.run(env=d.attach_env(), check=False), "PROCSQL_MODE=attach, but no")

    def test_sigterm_stops_cleanly(self):
        self.check_clean_stop(signal.SIGTERM)

    def test_sigint_stops_cleanly(self):
        self.check_clean_stop(signal.SIGINT)


if __name__ == "__main__":
    unittest.main()
