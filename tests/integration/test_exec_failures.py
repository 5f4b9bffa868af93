"""exec_failures (issue 15): every execve and execveat that returned an error,
against the real kernel, through the real sqlite3 shell and python3's sqlite3
module, on both backends (tests/CMakeLists.txt runs this module again with
PROCSQL_TEST_BACKEND=audit).

Each test makes real failed execs (a missing file, a PATH search by dash, a
file without the x bit, a noexec mount, garbage with the x bit, a script whose
interpreter is missing, a file open for writing, arguments too long, execveat
relative to a descriptor, fexecve of garbage, a non-leader thread) and finds
its rows by a marker in the file name (audit logs no arguments of a failed
exec) or by its own pids, checking each row's errno, result, filename, argv,
cwd, pid, comm, the caller's path and uid. A successful exec is never a row.

Columns audit cannot know are NULL there exactly where the README's table of
unknown columns says (nullable(), may_be_null()); eBPF gives every value.
"""

import errno
import json
import os
import shutil
import subprocess
import sys
import unittest

from procsql_test import (AUDIT, TRUE, ProcsqlTestCase, Script, marker, may_be_null,
                          nullable, python_connect_and_load, sql_str, stats_dict,
                          stats_query, unavailable, use_default_config, write_file)

EXEC_FAILURES_COLUMNS = [
    "eid", "time", "time_ns", "pid", "tid", "start_time", "parent", "comm", "path",
    "filename", "argv", "cmdline", "argc", "cmdline_truncated", "cwd", "syscall",
    "errno", "result", "uid", "euid", "auid", "tty", "cgroup_id", "container_id",
]
PYTHON = os.path.realpath("/usr/bin/python3")
PYCOMM = os.path.basename(PYTHON)[:15]  # what comm reads once PYTHON runs
DASH = os.path.realpath("/bin/sh")
T = "exec_failures"
# A child of the shell that records its pid and parent, then becomes python3,
# which execs argv[1] with argv[1:] as its arguments (os.execv: the call
# itself, no PATH search, no shell fallback for ENOEXEC).
EXECV = "import os, sys; os.execv(sys.argv[1], sys.argv[1:])"


def dict_rows(conn, sql, args=()):
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def brief(row):
    """A row for a message, its long strings cut (an E2BIG argv is 16 KiB)."""
    return repr({k: v[:100] + "..." if isinstance(v, str) and len(v) > 100 else v for k, v in row.items()})


class ExecFailuresCase(ProcsqlTestCase):

    def one(self, rows, what):
        self.assertEqual(len(rows), 1, "expected exactly one %s: %r" % (what, rows))
        return rows[0]

    def check_row(self, row, *, filename, err, argv, cwd, pid, comm, path, syscall="execve",
                  uid=0, tid=None, truncated=0, argc=None):
        """What a failed exec's row must hold (argv: the list passed)."""
        self.assertEqual(list(row.keys()), EXEC_FAILURES_COLUMNS)
        self.assertEqual(row["filename"], filename, brief(row))
        self.assertEqual(row["errno"], errno.errorcode[err], brief(row))
        self.assertEqual(row["result"], -err, brief(row))
        self.assertEqual(row["syscall"], syscall, brief(row))
        self.assertEqual(row["pid"], pid, brief(row))
        self.assertEqual(nullable(row, T, "tid"), pid if tid is None else tid, brief(row))
        self.assertEqual(row["comm"], comm, brief(row))
        self.assertEqual(row["path"], path, brief(row))
        self.assertEqual(nullable(row, T, "cwd"), cwd, brief(row))
        self.assertEqual(row["uid"], uid, brief(row))
        self.assertEqual(row["euid"], uid, brief(row))
        self.assertEqual(row["time"], row["time_ns"] // 10**9, brief(row))
        self.assertIsNotNone(nullable(row, T, "start_time"), brief(row))
        self.assertIsNotNone(nullable(row, T, "cgroup_id"), brief(row))
        self.assertIsNone(row["container_id"], brief(row))
        if row["argv"] is None:
            self.assertTrue(may_be_null(T, "argv"), "argv NULL on %s: %r" % ("audit" if AUDIT else "eBPF", brief(row)))
            self.assertIsNone(row["cmdline"], brief(row))
            self.assertIsNone(row["argc"], brief(row))
            self.assertEqual(row["cmdline_truncated"], 1, brief(row))
        else:
            want = argv if not truncated else None
            if want is not None:
                self.assertEqual(json.loads(row["argv"]), want, brief(row))
                self.assertEqual(row["cmdline"], " ".join(argv), brief(row))
            self.assertEqual(row["argc"], len(argv) if argc is None else argc, brief(row))
            self.assertEqual(row["cmdline_truncated"], truncated, brief(row))

    def shell_failure(self, script_text, filename_like, cwd=None, extra_queries=(), env=None):
        """Runs SCRIPT_TEXT with sh from the sqlite3 shell (its first line
        writes the caller's pid into $PIDFILE); returns the rows whose
        filename is LIKE filename_like, the pid, the shell result and the
        extra queries' keys."""
        d = self.tmpdir()
        pidfile = os.path.join(d, "pid")
        s = Script()
        s.load()
        s.sh("PIDFILE=%s\n%s" % (pidfile, script_text))
        q = s.query("SELECT * FROM exec_failures WHERE filename LIKE %s ORDER BY eid"
                    % sql_str(filename_like))
        keys = [s.query(x) for x in extra_queries]
        r = s.run(env=env, cwd=cwd)
        with open(pidfile) as f:
            pid, parent = (int(x) for x in f.read().split())
        return r.rows(q), pid, parent, r, keys


class ShellFailuresTest(ExecFailuresCase):
    """Failed execs made from the sqlite3 shell (.shell)."""

    def test_columns_and_docs(self):
        """The issue's columns in its order; each table of the README lists it."""
        s = Script()
        s.load()
        q = s.query("SELECT * FROM exec_failures LIMIT 0")
        cols = s.query("SELECT name FROM pragma_table_info('exec_failures')")
        r = s.run()
        self.assertEqual(r.rows(q), [])
        self.assertEqual([c["name"] for c in r.rows(cols)], EXEC_FAILURES_COLUMNS)

    def test_missing_file(self):
        """ENOENT: python3 execs a file that does not exist, with a marker in
        its name and arguments; the successful exec of python3 before it is a
        process_events row only, and joins the failure by (pid, start_time)."""
        d = self.tmpdir()
        m = marker()
        missing = os.path.join(d, "missing-" + m)
        rows, pid, parent, r, (q_exec, q_join) = self.shell_failure(
            'echo $$ $PPID > $PIDFILE\ncd %s\nexec %s -c "%s" %s %s two\n' % (d, PYTHON, EXECV, missing, m),
            "%missing-" + m,
            extra_queries=[
                "SELECT * FROM process_events WHERE argv LIKE %s ORDER BY eid" % sql_str("%" + m + "%"),
                "SELECT count(*) AS n FROM exec_failures f JOIN process_events e"
                " ON e.pid = f.pid AND e.start_time = f.start_time WHERE f.filename LIKE %s"
                " AND e.path = %s" % (sql_str("%missing-" + m), sql_str(PYTHON))])
        row = self.one(rows, "failed exec")
        self.check_row(row, filename=missing, err=errno.ENOENT, argv=[missing, m, "two"], cwd=d,
                       pid=pid, comm=PYCOMM, path=PYTHON)
        self.assertEqual(row["parent"], parent)
        # The exec that worked (sh -> python3) is in process_events, not here.
        execs = r.rows(q_exec)
        self.assertEqual([e["path"] for e in execs], [PYTHON], execs)
        self.assertEqual(execs[0]["pid"], pid)
        if row["start_time"] is not None and execs[0]["start_time"] is not None:
            self.assertEqual(r.rows(q_join), [{"n": 1}])

    def test_successful_exec_is_not_a_row(self):
        """A marked true that runs: a process_events row, no exec_failures one
        (neither by its name nor by its arguments)."""
        m = marker()
        d = self.tmpdir()
        mine = os.path.join(d, "true-" + m)
        shutil.copy2(TRUE, mine)
        s = Script()
        s.load()
        s.shell("%s %s" % (mine, m))
        q_ok = s.query("SELECT count(*) AS n FROM process_events WHERE filename = %s" % sql_str(mine))
        q_fail = s.query("SELECT count(*) AS n FROM exec_failures WHERE filename LIKE %s OR argv LIKE %s"
                         % (sql_str("%" + m + "%"), sql_str("%" + m + "%")))
        r = s.run()
        self.assertEqual(r.rows(q_ok), [{"n": 1}])
        self.assertEqual(r.rows(q_fail), [{"n": 0}])

    def test_path_search_by_the_shell(self):
        """dash's `exec NAME` tries every directory of PATH with execve: a row
        per directory, in PATH order, with that directory's error (ENOENT
        where there is no such file, EACCES for one without the x bit), all
        from the shell's pid, then `not found`."""
        d = self.tmpdir()
        m = marker()
        name = "cmd-" + m
        dirs = [os.path.join(d, x) for x in ("a", "b", "c")]
        for x in dirs:
            os.mkdir(x)
        write_file(os.path.join(dirs[1], name), "#!/bin/sh\n", 0o644)  # b: there, not executable
        rows, pid, parent, r, _ = self.shell_failure(
            "echo $$ $PPID > $PIDFILE\ncd %s\nPATH=%s exec %s one\n" % (d, ":".join(dirs), name),
            "%/" + name)
        self.assertEqual([x["filename"] for x in rows], [os.path.join(x, name) for x in dirs], rows)
        want_err = [errno.ENOENT, errno.EACCES, errno.ENOENT]
        for row, x, err in zip(rows, dirs, want_err):
            self.check_row(row, filename=os.path.join(x, name), err=err, argv=[name, "one"], cwd=d,
                           pid=pid, comm="sh", path=DASH)
            self.assertEqual(row["parent"], parent)

    def test_no_execute_permission_and_noexec_mount(self):
        """EACCES: a script without the x bit, and a copy of true (mode 0755)
        on a tmpfs mounted noexec."""
        d = self.tmpdir()
        m = marker()
        nox = write_file(os.path.join(d, "nox-" + m), "#!/bin/sh\nexit 0\n", 0o644)
        mnt = os.path.join(d, "noexec")
        os.mkdir(mnt)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "noexec,size=4m", "procsql-test", mnt],
                           capture_output=True)
        if p.returncode != 0:
            unavailable(self, "cannot mount a noexec tmpfs: %s" % p.stderr.decode(errors="replace"))
        self.addCleanup(subprocess.run, ["umount", "-l", mnt])
        onmnt = os.path.join(mnt, "true-" + m)
        shutil.copy2(TRUE, onmnt)
        os.chmod(onmnt, 0o755)
        rows, pid, parent, r, _ = self.shell_failure(
            'echo $$ $PPID > $PIDFILE\ncd %s\n%s -c "%s" %s %s\nexec %s -c "%s" %s %s\n'
            % (d, PYTHON, EXECV, nox, m, PYTHON, EXECV, onmnt, m),
            "%" + m)
        self.assertEqual([x["filename"] for x in rows], [nox, onmnt], rows)
        # The first python3 is a child of the shell (its pid is not recorded).
        self.check_row(rows[0], filename=nox, err=errno.EACCES, argv=[nox, m], cwd=d,
                       pid=rows[0]["pid"], comm=PYCOMM, path=PYTHON)
        self.assertEqual(rows[0]["parent"], pid)
        self.check_row(rows[1], filename=onmnt, err=errno.EACCES, argv=[onmnt, m], cwd=d,
                       pid=pid, comm=PYCOMM, path=PYTHON)

    def test_garbage_missing_interpreter_and_busy_file(self):
        """ENOEXEC: garbage with the x bit (execve itself: a shell would run
        it as a script); ENOENT: a `#!` script whose interpreter does not
        exist (the script is the filename); ETXTBSY: a copy of true open for
        writing."""
        d = self.tmpdir()
        m = marker()
        garbage = write_file(os.path.join(d, "garbage-" + m), b"\x7fELX\x00\x01garbage\xff" * 8, 0o755)
        script = write_file(os.path.join(d, "interp-" + m), "#!/nonexistent/interp-%s\necho no\n" % m, 0o755)
        busy = os.path.join(d, "busy-" + m)
        shutil.copy2(TRUE, busy)
        os.chmod(busy, 0o755)
        # The writer holds the file open while python3 tries to run it.
        rows, pid, parent, r, _ = self.shell_failure(
            'echo $$ $PPID > $PIDFILE\ncd %s\n'
            '%s -c "%s" %s g\n'
            '%s -c "%s" %s i\n'
            'exec 7>>%s\n'
            'exec %s -c "%s" %s b\n' % (d, PYTHON, EXECV, garbage, PYTHON, EXECV, script, busy, PYTHON, EXECV, busy),
            "%" + m)
        self.assertEqual([x["filename"] for x in rows], [garbage, script, busy], rows)
        self.check_row(rows[0], filename=garbage, err=errno.ENOEXEC, argv=[garbage, "g"], cwd=d,
                       pid=rows[0]["pid"], comm=PYCOMM, path=PYTHON)
        self.check_row(rows[1], filename=script, err=errno.ENOENT, argv=[script, "i"], cwd=d,
                       pid=rows[1]["pid"], comm=PYCOMM, path=PYTHON)
        self.check_row(rows[2], filename=busy, err=errno.ETXTBSY, argv=[busy, "b"], cwd=d,
                       pid=pid, comm=PYCOMM, path=PYTHON)
        for row in rows[:2]:
            self.assertEqual(row["parent"], pid)
        self.assertEqual(len({row["pid"] for row in rows}), 3, rows)

    def test_arguments_too_long(self):
        """E2BIG: one argument longer than MAX_ARG_STRLEN (128 KiB). argv is
        cut at PROCSQL_ARGV_BYTES (its prefix kept, cmdline_truncated 1);
        argc is still the true count."""
        d = self.tmpdir()
        m = marker()
        mine = os.path.join(d, "true-" + m)
        shutil.copy2(TRUE, mine)
        rows, pid, parent, r, _ = self.shell_failure(
            'echo $$ $PPID > $PIDFILE\ncd %s\nexec %s -c "%s" %s %s\n'
            % (d, PYTHON, "import os, sys; os.execv(sys.argv[1], sys.argv[1:] + ['x' * 200000, 'last'])",
               mine, m),
            mine)
        row = self.one(rows, "E2BIG")
        self.check_row(row, filename=mine, err=errno.E2BIG, argv=None, cwd=d, pid=pid, comm=PYCOMM,
                       path=PYTHON, truncated=1, argc=4)
        if row["argv"] is not None:
            argv = json.loads(row["argv"])
            self.assertEqual(argv[:2], [mine, m])
            self.assertEqual(argv[2], "x" * len(argv[2]))
            self.assertEqual(len(argv), 3, "the bound cuts the long argument: nothing after it")
            self.assertEqual(sum(len(a) + 1 for a in argv), 16384, "PROCSQL_ARGV_BYTES, NULs included")

    def test_execveat_relative_and_fexecve(self):
        """execveat(dirfd, NAME) of a missing NAME (ENOENT) and fexecve
        (execveat with AT_EMPTY_PATH) of garbage (ENOEXEC): syscall execveat,
        filename named as the kernel names it (/dev/fd/9/NAME, /dev/fd/9)."""
        execat = self.prog("execat")
        d = self.tmpdir()
        m = marker()
        garbage = write_file(os.path.join(d, "garbage-" + m), b"\x00\x01\x02 not a program", 0o755)
        rows, pid, parent, r, (q_fd,) = self.shell_failure(
            "echo $$ $PPID > $PIDFILE\ncd %s\n%s %s missing-%s a1 %s\nexec %s --fd %s g1 %s\n"
            % (d, execat, d, m, m, execat, garbage, m),
            "/dev/fd/9/missing-" + m,
            extra_queries=["SELECT * FROM exec_failures WHERE filename = '/dev/fd/9' ORDER BY eid"])
        row = self.one(rows, "execveat")
        self.check_row(row, filename="/dev/fd/9/missing-" + m, err=errno.ENOENT, argv=["a1", m], cwd=d,
                       pid=row["pid"], comm="execat", path=os.path.realpath(execat), syscall="execveat")
        self.assertEqual(row["parent"], pid)
        fd_row = self.one([x for x in r.rows(q_fd) if x["pid"] == pid], "fexecve")
        self.check_row(fd_row, filename="/dev/fd/9", err=errno.ENOEXEC, argv=["g1", m], cwd=d, pid=pid,
                       comm="execat", path=os.path.realpath(execat), syscall="execveat")

    def test_procsql_window_and_stats(self):
        """procsql_window takes exec_failures (its eids hold our row), and
        procsql_stats has the exec_failures counters: nothing lost or
        refused, events_received bounding the rows held (read before and
        after), and on eBPF the tracepoints attached (bpf.exec_failures)."""
        d = self.tmpdir()
        m = marker()
        missing = os.path.join(d, "missing-" + m)
        s = Script()
        s.load()
        s.sh("%s -c \"import os; os.execv('%s', ['x'])\"\n" % (PYTHON, missing))
        q1 = stats_query(s)
        q_all = s.query("SELECT count(*) AS n FROM exec_failures")
        q2 = stats_query(s)
        q_win = s.query("SELECT w.lo, w.hi, f.eid FROM procsql_window(NULL, 'exec_failures') AS w,"
                        " exec_failures AS f WHERE f.filename = %s" % sql_str(missing))
        r = s.run()
        st1, st2 = stats_dict(r.rows(q1)), stats_dict(r.rows(q2))
        for name in ("events_received", "events_lost_kernel", "events_lost_ringbuf_full",
                     "events_lost_recursion", "events_lost_no_scratch", "events_lost_too_large",
                     "events_seen_kernel", "decode_errors", "rows_overwritten", "rows_evicted_by_arena",
                     "rows_rejected_too_large", "rows_retained", "capacity", "arena_bytes",
                     "memory_bytes", "paths_truncated", "time_blocks_skipped", "argv_truncated"):
            self.assertIn("exec_failures." + name, st1)
        for st in (st1, st2):
            self.assertEqual(st["exec_failures.events_lost_kernel"], 0)
            self.assertEqual(st["exec_failures.decode_errors"], 0)
            self.assertEqual(st["exec_failures.rows_rejected_too_large"], 0)
            self.assertEqual(st["exec_failures.capacity"], 100000)
            self.assertEqual(st["exec_failures.arena_bytes"], 8 << 20)
        n = r.rows(q_all)[0]["n"]
        self.assertLessEqual(st1["exec_failures.events_received"], n)
        self.assertGreaterEqual(st2["exec_failures.events_received"], n)
        if AUDIT:
            self.assertNotIn("bpf.exec_failures", st1)
        else:
            self.assertTrue(st1["bpf.exec_failures"].startswith("exact"), st1["bpf.exec_failures"])
            self.assertLessEqual(st1["exec_failures.events_received"], st1["exec_failures.events_seen_kernel"])
        win = self.one(r.rows(q_win), "window row")
        self.assertLessEqual(win["lo"], win["eid"])
        self.assertLessEqual(win["eid"], win["hi"])


class PythonFailuresTest(ExecFailuresCase):
    """Failed execs of children this python3 process forks, read through its
    own sqlite3 connection (an in-process collector)."""

    def setUp(self):
        super().setUp()
        use_default_config(self)
        self.conn = python_connect_and_load()
        self.addCleanup(self.conn.close)
        with open("/proc/self/comm") as f:
            self.comm = f.read().strip()  # a forked child's, until it execs

    def q(self, sql, args=()):
        return dict_rows(self.conn, sql, args)

    def fork_failing(self, attempts, cwd):
        """A child that tries each (path, argv) with os.execv, then exits
        0; its pid."""
        pid = os.fork()
        if pid == 0:
            try:
                os.chdir(cwd)
                for path, argv in attempts:
                    try:
                        os.execv(path, argv)
                    except OSError:
                        pass
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(status, 0)
        return pid

    def test_children_failures_with_their_clone_and_exit(self):
        """Three failures in one forked child: rows of its pid, in order, its
        comm and executable (python3's), start_time its clone_events
        child_start_time; its exit is one process_exits row."""
        d = self.tmpdir()
        m = marker()
        attempts = [(os.path.join(d, "a-" + m), ["a", m]),
                    (os.path.join(d, "b-" + m), ["b"]),
                    (os.path.join(d, "c-" + m), ["c", m, "3"])]
        pid = self.fork_failing(attempts, d)
        rows = self.q("SELECT * FROM exec_failures WHERE pid = ? ORDER BY eid", (pid,))
        self.assertEqual([r["filename"] for r in rows], [a[0] for a in attempts], rows)
        for row, (path, argv) in zip(rows, attempts):
            self.check_row(row, filename=path, err=errno.ENOENT, argv=argv, cwd=d, pid=pid,
                           comm=self.comm, path=os.path.realpath(sys.executable))
            self.assertEqual(row["parent"], os.getpid())
        clone = self.one(self.q("SELECT * FROM clone_events WHERE child_pid = ?", (pid,)), "clone")
        for row in rows:
            self.assertEqual(nullable(row, T, "start_time"), clone["child_start_time"])
        self.one(self.q("SELECT * FROM process_exits WHERE pid = ?", (pid,)), "exit")
        self.assertEqual(self.q("SELECT * FROM process_events WHERE pid = ?", (pid,)), [])

    def test_exec_from_a_second_thread(self):
        """A non-leader thread's failed exec: tid is that thread (the process
        had two then, so audit cannot tell)."""
        prog = self.prog("thread_exec")
        d = self.tmpdir()
        m = marker()
        out = os.path.join(d, "ids")
        missing = os.path.join(d, "missing-" + m)
        p = subprocess.run([prog, out, missing, "t", m], capture_output=True, cwd=d)
        self.assertEqual(p.returncode, 1, p.stderr)
        with open(out) as f:
            pid, tid = (int(x) for x in f.read().split())
        self.assertNotEqual(pid, tid)
        row = self.one(self.q("SELECT * FROM exec_failures WHERE filename = ?", (missing,)), "failure")
        self.check_row(row, filename=missing, err=errno.ENOENT, argv=["t", m], cwd=d, pid=pid, tid=tid,
                       comm="thread_exec", path=os.path.realpath(prog))

    def test_many_arguments(self):
        """300 arguments: all read and counted with bpf_loop; on a kernel
        without it (PROCSQL_BPF_NO_LOOP=1 here) the first 64 are read and argc
        is NULL, cmdline_truncated 1. (Audit logs no arguments of a failed
        exec: there, argv and argc are NULL, as check_row accepts.)"""
        d = self.tmpdir()
        m = marker()
        missing = os.path.join(d, "many-" + m)
        argv = [missing] + ["a%d" % i for i in range(299)]
        pid = self.fork_failing([(missing, argv)], d)
        row = self.one(self.q("SELECT * FROM exec_failures WHERE pid = ?", (pid,)), "failure")
        self.check_row(row, filename=missing, err=errno.ENOENT, argv=argv, cwd=d, pid=pid,
                       comm=self.comm, path=os.path.realpath(sys.executable))
        if AUDIT:
            return  # PROCSQL_BPF_NO_LOOP is eBPF's
        # The bounded variant, in a shell of its own (settings are read when a
        # collector starts).
        s = Script()
        s.load()
        missing2 = os.path.join(d, "many2-" + m)
        s.sh("%s -c \"import os; os.execv('%s', ['%s'] + ['a%%d' %% i for i in range(299)])\"\n"
             % (PYTHON, missing2, missing2))
        q = s.query("SELECT * FROM exec_failures WHERE filename = %s" % sql_str(missing2))
        qs = s.query("SELECT value FROM procsql_stats WHERE name = 'bpf.path_walk'")
        r = s.run(env={"PROCSQL_BPF_NO_LOOP": "1"})
        self.assertTrue(r.rows(qs)[0]["value"].startswith("bounded loop"))
        row = self.one(r.rows(q), "failure without bpf_loop")
        self.assertEqual(json.loads(row["argv"]), [missing2] + ["a%d" % i for i in range(63)])
        self.assertIsNone(row["argc"])
        self.assertEqual(row["cmdline_truncated"], 1)
        self.assertEqual(row["errno"], "ENOENT")


if __name__ == "__main__":
    unittest.main()
