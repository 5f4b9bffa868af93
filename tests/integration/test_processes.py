"""The `processes` table (the live processes at query time, from the kernel's
task list) against what /proc says, and its join key (pid, start_time) with
the event tables. Read through Debian's python3 with the extension loaded
in-process; each test starts its own collector.

  * this test's own process and a child it starts (GNU sleep with a marker
    as argv[0]): path, cmdline, cwd, uid, parent, cgroup_id, no terminal
    (own session), container_id NULL; the child's start_time equals its
    process_events.start_time exactly (exec after the load) and, once
    killed, (pid, start_time) joins its process_exits row;
  * a process on a pseudo-terminal (under script(1)): tty pts/N as
    /proc/PID/stat's tty_nr says, the same as its process_events.tty;
  * a process started BEFORE the load (no exec row): listed, with a
    start_time that is /proc/PID/stat's starttime (clock ticks since boot)
    converted to Unix ns: at most one tick (10 ms) after ticks*10ms + the
    boot-to-wall offset, and within a second of btime + starttime/CLK_TCK;
  * a process in a running container (Docker layout and plain runc): its
    container_id, the container's cgroup, the path as the container sees it;
  * kernel threads: path NULL, cmdline ''.
"""

import json
import os
import signal
import subprocess
import time
import unittest

from container_layouts import clean_procsql_env, docker_container, rows
from containers import RUNC_ROOT, Container, cgroup2_mount, proc_cgroup_v2, require_runc
from procsql_test import ProcsqlTestCase, marker, python_connect_and_load, require_tool, wait_exec_done

SLEEP = os.path.realpath("/usr/bin/sleep")
CLK_TCK = os.sysconf("SC_CLK_TCK")
TICK_NS = 1_000_000_000 // CLK_TCK


def proc_stat(pid):
    """Fields of /proc/PID/stat after the comm, numbered as in proc(5)
    (field 3 is state)."""
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    rest = text[text.rindex(")") + 2:].split()
    return {n: rest[n - 3] for n in range(3, 3 + len(rest))}


def tty_name(tty_nr):
    """pts/N for a Unix98 pty (majors 136-143), None for no terminal."""
    if tty_nr == 0:
        return None
    major = (tty_nr >> 8) & 0xfff
    minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00)
    if 136 <= major <= 143:
        return "pts/%d" % ((major - 136) * 256 + minor)
    return "major %d minor %d" % (major, minor)


def proc_cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        args = f.read().split(b"\0")
    if args and args[-1] == b"":
        args.pop()
    return " ".join(a.decode("utf-8", "replace") for a in args)


def boot_to_wall_ns():
    """Unix ns minus boot-clock ns, from the tightest of a few samples."""
    best = None
    for _ in range(20):
        a = time.time_ns()
        b = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        c = time.time_ns()
        if best is None or c - a < best[0]:
            best = (c - a, (a + c) // 2 - b)
    return best[1]


def cgroup_inode(pid):
    rel = proc_cgroup_v2(pid)
    return os.stat(os.path.join(cgroup2_mount(), rel.lstrip("/"))).st_ino


class ProcessesTest(ProcsqlTestCase):

    def load(self, **env):
        clean_procsql_env(self, PROCSQL_RUNC_ROOTS=RUNC_ROOT, **env)
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        return conn

    def sleeper(self, m, cwd=None):
        """GNU sleep with argv[0] = M (sleep itself rejects extra words), in
        its own session (so without a controlling terminal)."""
        p = subprocess.Popen([m, "60"], executable=SLEEP, cwd=cwd, start_new_session=True)
        self.addCleanup(self._reap, p)
        return p

    @staticmethod
    def _reap(p):
        if p.poll() is None:
            p.kill()
        p.wait()

    def one(self, rs, what):
        self.assertEqual(len(rs), 1, "expected exactly one %s: %r" % (what, rs))
        return rs[0]

    def proc_row(self, conn, pid):
        return self.one(rows(conn, "SELECT * FROM processes WHERE pid = ?", (pid,)),
                        "processes row of %d" % pid)

    def test_own_process_and_child(self):
        conn = self.load()
        m = marker()
        cwd = self.tmpdir()
        child = self.sleeper(m, cwd=cwd)
        # The exec is in process_events once the child runs sleep.
        wait_exec_done(self, child.pid, SLEEP)
        own = self.proc_row(conn, os.getpid())
        ch = self.proc_row(conn, child.pid)
        print(json.dumps([own, ch], indent=1))

        self.assertEqual(sorted(own), sorted(["pid", "parent", "start_time", "path", "cmdline",
                                              "cwd", "uid", "tty", "cgroup_id", "container_id",
                                              "cap_effective", "cap_permitted", "cap_ambient",
                                              "cap_bounding", "no_new_privs", "seccomp"]))
        self.assertEqual(own["path"], os.path.realpath("/proc/self/exe"))
        self.assertEqual(own["cmdline"], proc_cmdline(os.getpid()))
        self.assertEqual(own["cwd"], os.getcwd())
        self.assertEqual((own["uid"], own["parent"]), (os.getuid(), os.getppid()))
        self.assertEqual(own["tty"], tty_name(int(proc_stat(os.getpid())[7])))
        self.assertEqual(own["cgroup_id"], cgroup_inode(os.getpid()))
        self.assertIsNone(own["container_id"])

        self.assertEqual(ch["path"], SLEEP)
        self.assertEqual(ch["cmdline"], "%s 60" % m)
        self.assertEqual(ch["cwd"], cwd)
        self.assertEqual((ch["uid"], ch["parent"]), (os.getuid(), os.getpid()))
        self.assertIsNone(ch["tty"])
        self.assertEqual(ch["cgroup_id"], own["cgroup_id"])
        self.assertIsNone(ch["container_id"])

        ev = self.one(rows(conn, "SELECT pid, start_time, path, cmdline, cwd, tty FROM "
                                 "process_events WHERE argv LIKE ?", ("%" + m + "%",)),
                      "exec row of the child")
        self.assertEqual((ev["pid"], ev["start_time"]), (ch["pid"], ch["start_time"]))
        self.assertEqual((ev["path"], ev["cmdline"], ev["cwd"], ev["tty"]),
                         (ch["path"], ch["cmdline"], ch["cwd"], ch["tty"]))
        # Joined in SQL too.
        j = rows(conn, "SELECT e.eid FROM processes p JOIN process_events e "
                       "ON e.pid = p.pid AND e.start_time = p.start_time WHERE p.pid = ?",
                 (child.pid,))
        self.assertEqual(len(j), 1, j)

        child.kill()
        child.wait()
        self.assertEqual(rows(conn, "SELECT pid FROM processes WHERE pid = ? AND start_time = ?",
                              (ch["pid"], ch["start_time"])), [])
        ex = self.one(rows(conn, "SELECT signal, exit_code, path FROM process_exits "
                                 "WHERE pid = ? AND start_time = ?",
                           (ch["pid"], ch["start_time"])), "exit row")
        self.assertEqual((ex["signal"], ex["exit_code"], ex["path"]),
                         (signal.SIGKILL, None, SLEEP))

    def test_tty_under_script(self):
        conn = self.load()
        m = marker()
        script = require_tool(self, "script")
        p = subprocess.Popen([script, "-qec", "exec -a %s %s 60" % (m, SLEEP), "/dev/null"],
                             env=dict(os.environ, SHELL="/bin/bash"),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             start_new_session=True)
        self.addCleanup(self._reap, p)
        deadline = time.monotonic() + 30
        while True:
            r = rows(conn, "SELECT * FROM processes WHERE cmdline = ?", ("%s 60" % m,))
            if r:
                break
            self.assertLess(time.monotonic(), deadline, "sleep under script never ran")
            time.sleep(0.05)
        r = self.one(r, "processes row under script")
        print(json.dumps(r, indent=1))
        self.assertRegex(r["tty"] or "", r"^pts/\d+$")
        self.assertEqual(r["tty"], tty_name(int(proc_stat(r["pid"])[7])))
        ev = self.one(rows(conn, "SELECT tty, start_time FROM process_events WHERE pid = ? "
                                 "AND path = ?", (r["pid"], SLEEP)), "exec row")
        self.assertEqual((ev["tty"], ev["start_time"]), (r["tty"], r["start_time"]))
        os.killpg(p.pid, signal.SIGKILL)

    def test_process_started_before_load(self):
        m = marker()
        early = self.sleeper(m)
        wait_exec_done(self, early.pid, SLEEP)
        conn = self.load()
        r = self.proc_row(conn, early.pid)
        print(json.dumps(r, indent=1))
        self.assertEqual((r["path"], r["cmdline"], r["parent"]), (SLEEP, "%s 60" % m, os.getpid()))
        self.assertEqual(rows(conn, "SELECT eid FROM process_events WHERE pid = ?", (early.pid,)),
                         [], "an exec from before the load")

        ticks = int(proc_stat(early.pid)[22])
        offset = boot_to_wall_ns()
        low = offset + ticks * TICK_NS
        delta = r["start_time"] - low
        # The kernel's starttime is start_boottime in whole ticks, rounded
        # down: the exact start is up to one tick later. 1 ms of slack for
        # the two offsets (the collector's, measured at its start, and ours).
        self.assertTrue(-1_000_000 <= delta < TICK_NS + 1_000_000,
                        "start_time %d is %d ns from ticks %d (offset %d)"
                        % (r["start_time"], delta, ticks, offset))
        with open("/proc/stat") as f:
            btime = int([l.split()[1] for l in f if l.startswith("btime ")][0])
        self.assertLess(abs(r["start_time"] / 1e9 - (btime + ticks / CLK_TCK)), 1.01)

        early.kill()
        early.wait()
        ex = self.one(rows(conn, "SELECT signal FROM process_exits WHERE pid = ? AND "
                                 "start_time = ?", (r["pid"], r["start_time"])), "exit row")
        self.assertEqual(ex["signal"], signal.SIGKILL)

    def test_process_in_running_container(self):
        require_runc(self)
        conn = self.load()
        m = marker()
        args = ["sh", "-c", "echo ready; read x; exit 0 %s" % m]
        d, did = docker_container(self, args, cwd="/work")
        plain = Container(self, args)
        for c, cid in ((d, did), (plain, plain.id)):
            with self.subTest(container=cid):
                c.start()
                c.read_until(b"ready")
                init = c.pid()
                r = self.proc_row(conn, init)
                print(json.dumps(r, indent=1))
                self.assertEqual(r["container_id"], cid)
                self.assertEqual(r["cgroup_id"], os.stat(c.cgroup_v2_dir()).st_ino)
                self.assertEqual(r["path"], "/bin/busybox")  # as the container sees it
                self.assertEqual(r["cmdline"], " ".join(args))
                self.assertEqual(r["cwd"], "/work" if c is d else "/")
                self.assertEqual(r["parent"], c.runc_pid)
                ev = self.one(rows(conn, "SELECT start_time FROM process_events WHERE pid = ? "
                                         "AND argv LIKE ?", (init, "%" + m + "%")), "exec row")
                self.assertEqual(ev["start_time"], r["start_time"])
                c.send(b"go\n")
                self.assertEqual(c.wait(), 0)

    def test_kernel_threads(self):
        conn = self.load()
        r = self.proc_row(conn, 2)  # kthreadd
        self.assertEqual((r["path"], r["cmdline"], r["parent"]), (None, "", 0))


if __name__ == "__main__":
    unittest.main()
