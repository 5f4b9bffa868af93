"""Process lifecycle (issue 4): clone_events and process_exits against the
real kernel.

clone_events: one row per process creation (fork, vfork, clone, clone3), per
unshare and per setns, failed calls included; threads only with
PROCSQL_THREADS=1. process_exits: exactly one row per process when its last
thread has gone. Both join process_events by (pid, start_time).

Most tests load the extension in this python3 process (so they know the pids
they create); the thread tests, the join and the process tree go through the
real sqlite3 shell. Real runc containers come from containers.py.
"""

import os
import re
import signal
import subprocess
import time
import unittest

from containers import Container, cgroup2_mount, ns_inode, proc_cgroup_v2
from procsql_test import (use_default_config, TRUE, ProcsqlTestCase, Script, marker,
                          may_be_null, nullable, python_connect_and_load, require_tool,
                          sql_str, strip_shell_error_prefix, unavailable)

CLONE_EVENTS_COLUMNS = [
    "eid", "time", "time_ns", "pid", "tid", "comm", "path", "syscall", "flags",
    "flags_text", "new_namespaces", "child_pid", "child_tid", "child_start_time",
    "uid", "cgroup_id", "mnt_ns", "pid_ns", "result", "container_id",
]
PROCESS_EXITS_COLUMNS = [
    "eid", "time", "time_ns", "pid", "start_time", "comm", "path", "exit_code",
    "signal", "core_dumped", "duration_ns", "cgroup_id", "container_id",
]

CLONE_FLAGS = {
    "CLONE_NEWTIME": 0x80, "CLONE_VM": 0x100, "CLONE_FS": 0x200,
    "CLONE_FILES": 0x400, "CLONE_SIGHAND": 0x800, "CLONE_PIDFD": 0x1000,
    "CLONE_PTRACE": 0x2000, "CLONE_VFORK": 0x4000, "CLONE_PARENT": 0x8000,
    "CLONE_THREAD": 0x10000, "CLONE_NEWNS": 0x20000, "CLONE_SYSVSEM": 0x40000,
    "CLONE_SETTLS": 0x80000, "CLONE_PARENT_SETTID": 0x100000,
    "CLONE_CHILD_CLEARTID": 0x200000, "CLONE_DETACHED": 0x400000,
    "CLONE_UNTRACED": 0x800000, "CLONE_CHILD_SETTID": 0x1000000,
    "CLONE_NEWCGROUP": 0x2000000, "CLONE_NEWUTS": 0x4000000,
    "CLONE_NEWIPC": 0x8000000, "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000, "CLONE_NEWNET": 0x40000000,
    "CLONE_IO": 0x80000000, "CLONE_CLEAR_SIGHAND": 0x100000000,
    "CLONE_INTO_CGROUP": 0x200000000,
}
F = type("F", (), CLONE_FLAGS)  # F.CLONE_NEWNET etc.
NAMESPACE_ORDER = ["mnt", "uts", "ipc", "user", "pid", "net", "cgroup", "time"]
# glibc 2.36 on x86_64, as strace shows them.
GLIBC_FORK_FLAGS = F.CLONE_CHILD_CLEARTID | F.CLONE_CHILD_SETTID
POSIX_SPAWN_FLAGS = F.CLONE_VM | F.CLONE_VFORK
PTHREAD_FLAGS = (F.CLONE_VM | F.CLONE_FS | F.CLONE_FILES | F.CLONE_SIGHAND
                 | F.CLONE_THREAD | F.CLONE_SYSVSEM | F.CLONE_SETTLS
                 | F.CLONE_PARENT_SETTID | F.CLONE_CHILD_CLEARTID)
EPERM, EINVAL = 1, 22
SLEEP = os.path.realpath("/bin/sleep")


def dict_rows(conn, sql, args=()):
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def names_of(flags_text):
    return [n for n in flags_text.split("|") if n] if flags_text else []


def own_cgroup_id():
    return os.stat(os.path.join(cgroup2_mount(), proc_cgroup_v2(os.getpid()).lstrip("/"))).st_ino


class LifecycleCase(ProcsqlTestCase):
    """In-process collector (defaults), plus row checks shared by the tests.

    nullable(row, table, column): the columns the audit backend reads from
    /proc (cgroup_id, mnt_ns, pid_ns, ns_pid) are NULL there when the
    process had ended before they could be read, as most processes of these
    tests do at once; their values are checked whenever there are some."""

    def setUp(self):
        super().setUp()
        use_default_config(self)
        self.conn = python_connect_and_load()
        self.addCleanup(self.conn.close)
        self.host_mnt = ns_inode(os.getpid(), "mnt")
        self.host_pidns = ns_inode(os.getpid(), "pid")
        self.host_netns = ns_inode(os.getpid(), "net")
        self.lifecycle = self.prog("lifecycle")

    # ---- queries

    def q(self, sql, args=()):
        return dict_rows(self.conn, sql, args)

    def clones_by(self, pid, syscall=None):
        if syscall:
            return self.q("SELECT * FROM clone_events WHERE pid = ? AND syscall = ? ORDER BY eid",
                          (pid, syscall))
        return self.q("SELECT * FROM clone_events WHERE pid = ? ORDER BY eid", (pid,))

    def exits_of(self, pid):
        return self.q("SELECT * FROM process_exits WHERE pid = ? ORDER BY eid", (pid,))

    def execs_of(self, pid, m=None):
        if m:
            return self.q("SELECT * FROM process_events WHERE pid = ? AND argv LIKE ? ORDER BY eid",
                          (pid, "%" + m + "%"))
        return self.q("SELECT * FROM process_events WHERE pid = ? ORDER BY eid", (pid,))

    def one(self, rows, what):
        self.assertEqual(len(rows), 1, "expected exactly one %s: %r" % (what, rows))
        return rows[0]

    # ---- row checks

    def check_clone_row(self, row):
        """What holds for every clone_events row."""
        self.assertEqual(row["time"], row["time_ns"] // 10**9, row)
        if row["flags"] is None:
            # Audit: clone3's flags are in memory audit does not log (and a
            # fork no audit record claimed has no syscall either).
            self.assertTrue(may_be_null("clone_events", "flags"), row)
            self.assertIsNone(row["flags_text"], row)
            self.assertIn(row["syscall"], ("clone3", None), row)
        names = names_of(row["flags_text"])
        for n in names:
            self.assertIn(n, CLONE_FLAGS, row)
        if row["flags"] is not None and all(n in CLONE_FLAGS for n in names):
            want = 0
            for n in names:
                want |= CLONE_FLAGS[n]
            self.assertEqual(want, row["flags"], "flags_text does not spell flags: %r" % row)
        if row["flags"] == 0:
            self.assertEqual(row["flags_text"], "", row)
        if row["new_namespaces"] is None:
            self.assertTrue(may_be_null("clone_events", "new_namespaces"), row)
            self.assertGreaterEqual(row["result"], 0, "a failed call creates nothing: %r" % row)
        else:
            ns = [n for n in row["new_namespaces"].split(",") if n]
            self.assertEqual(ns, [n for n in NAMESPACE_ORDER if n in ns],
                             "new_namespaces not in order / unknown: %r" % row)
        if row["result"] < 0:
            self.assertEqual(row["new_namespaces"], "", row)
            self.assertIsNone(row["child_pid"], row)
            self.assertIsNone(row["child_tid"], row)
            self.assertIsNone(row["child_start_time"], row)
        if row["syscall"] in ("unshare", "setns"):
            self.assertIsNone(row["child_pid"], row)
            self.assertIsNone(row["child_tid"], row)
            self.assertIsNone(row["child_start_time"], row)

    def check_exit_row(self, row):
        self.assertEqual(row["time"], row["time_ns"] // 10**9, row)
        self.assertEqual(row["duration_ns"], row["time_ns"] - row["start_time"], row)
        self.assertGreater(row["duration_ns"], 0, row)
        self.assertIn(row["core_dumped"], (0, 1), row)
        if row["signal"] is None:
            self.assertIsNotNone(row["exit_code"], row)
            self.assertTrue(0 <= row["exit_code"] <= 255, row)
        else:
            self.assertIsNone(row["exit_code"], row)

    def run_ok(self, args, **kw):
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
        out, err = p.communicate(timeout=120)
        return p.pid, p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


class SchemaTest(LifecycleCase):

    def test_columns(self):
        """Issue 4's columns, in its order, come first (later issues append
        columns, e.g. container_id)."""
        for table, want in (("clone_events", CLONE_EVENTS_COLUMNS),
                            ("process_exits", PROCESS_EXITS_COLUMNS)):
            with self.subTest(table):
                cur = self.conn.execute("SELECT * FROM %s LIMIT 0" % table)
                self.assertEqual([d[0] for d in cur.description][:len(want)], want)

    def test_pushdown_and_directonly_in_shell(self):
        """EXPLAIN QUERY PLAN shows eid/time/pid pushed as for process_events;
        a view over either table is refused (DIRECTONLY)."""
        cases = [("WHERE eid > 5", "2:eid>"), ("WHERE eid = 7 LIMIT 1", "33:eid=,limit"),
                 ("WHERE pid = 1", "512:pid="), ("WHERE time_ns >= 5", "128:time_ns>=")]
        # Direct use works: the one fork that made the process that ran our
        # marked true, and its one exit.
        own = {"clone_events": "child_pid", "process_exits": "pid"}
        for table in ("clone_events", "process_exits"):
            with self.subTest(table):
                m = marker()
                s = Script()
                s.load()
                keys = [s.query("EXPLAIN QUERY PLAN SELECT * FROM %s %s" % (table, c))
                        for c, _ in cases]
                s.shell("%s %s" % (TRUE, m))
                q = s.query("SELECT count(*) AS n FROM %s WHERE %s IN (SELECT pid FROM"
                            " process_events WHERE path = %s AND argv LIKE %s)"
                            % (table, own[table], sql_str(TRUE), sql_str("%" + m + "%")))
                s.raw("CREATE VIEW v AS SELECT * FROM %s;" % table)
                s.raw("SELECT count(*) FROM v;")
                r = s.run(check=False)
                for (clause, want), key in zip(cases, keys):
                    text = r.text(key)
                    m = re.search(r"SCAN %s VIRTUAL TABLE INDEX (\S*)" % table, text)
                    self.assertIsNotNone(m, text)
                    self.assertTrue(m.group(1).startswith(want), (clause, text))
                self.assertEqual(r.rows(q)[0]["n"], 1)
                self.assertNotEqual(r.returncode, 0)
                lines = r.stderr_lines()
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertIn('unsafe use of virtual table "%s"' % table,
                              strip_shell_error_prefix(lines[0]))


class ContainerLifecycleTest(LifecycleCase):

    def test_runc_run_namespaces_and_exit_code(self):
        """`runc run` of a container (pid, net, ipc, uts, mount and cgroup
        namespaces) that runs one command and `exit 7`:
          * the runtime's clone_events rows (the tree of calls from the
            `runc run` pid) create mnt, pid and net (and uts, ipc, cgroup),
            with CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET among the flags, and
            come from runc (comm runc:[...] / runc);
          * the row that created the container's init: child_pid/
            child_start_time = its process_events (pid, start_time); result
            the host pid (the caller is still in the host pid namespace);
          * the shell's fork inside the container: result = the child's
            ns_pid, pid_ns/mnt_ns the container's;
          * the container's init has one process_exits row, exit_code 7."""
        m1, m2 = marker(), marker()
        c = Container(self, ["sh", "-c", "/bin/true %s; exit 7; : %s" % (m2, m1)],
                      namespaces=["pid", "network", "ipc", "uts", "mount", "cgroup"])
        r = c.run()
        self.assertEqual(r.returncode, 7, r)
        runc_pid = c.runc_pid
        runc_run = self.one(self.q("SELECT * FROM process_events WHERE pid = ? AND argv LIKE ?",
                                   (runc_pid, "%" + c.id + "%")), "runc run exec")
        tree = self.q("""
            WITH RECURSIVE t(pid) AS (
              SELECT ?
              UNION
              SELECT c.child_pid FROM clone_events c JOIN t ON c.pid = t.pid
               WHERE c.child_pid IS NOT NULL AND c.time_ns >= ?)
            SELECT c.* FROM clone_events c WHERE c.pid IN (SELECT pid FROM t)
               AND c.time_ns >= ? ORDER BY c.eid""",
                      (runc_pid, runc_run["start_time"], runc_run["start_time"]))
        for row in tree:
            print("runtime row: pid %d comm %r path %r %s flags %s -> ns %r child %r result %r" % (
                row["pid"], row["comm"], row["path"], row["syscall"], row["flags_text"],
                row["new_namespaces"], row["child_pid"], row["result"]))
            self.check_clone_row(row)
        ns_rows = [row for row in tree if row["new_namespaces"]]
        self.assertTrue(ns_rows, "no namespace-creating row from the runtime: %r" % tree)
        created = set()
        flag_names = set()
        for row in ns_rows:
            created |= set(row["new_namespaces"].split(","))
            flag_names |= set(names_of(row["flags_text"]))
            self.assertTrue(row["comm"].startswith("runc"), row)
            self.assertEqual(row["result"], 0 if row["syscall"] in ("unshare", "setns")
                             else row["child_pid"], row)
        self.assertTrue({"mnt", "uts", "ipc", "pid", "net", "cgroup"} <= created, created)
        self.assertTrue({"CLONE_NEWNS", "CLONE_NEWPID", "CLONE_NEWNET"} <= flag_names,
                        flag_names)

        # The shell exits right after true: audit may have found it ended
        # before /proc was read (ns_pid and the namespaces NULL).
        sh = self.one([e for e in self.q("SELECT * FROM process_events WHERE argv LIKE ?",
                                         ("%" + m1 + "%",))
                       if nullable(e, "process_events", "ns_pid") == 1],
                      "container shell exec")
        maker = self.one([row for row in tree if row["child_pid"] == sh["pid"]],
                         "clone row creating the container's init")
        self.assertEqual(maker["child_start_time"], sh["start_time"])
        self.assertEqual(maker["child_tid"], sh["pid"])
        self.assertEqual(maker["result"], sh["pid"])
        self.assertEqual(nullable(maker, "clone_events", "pid_ns"), self.host_pidns)
        # unshared before the clone
        self.assertEqual(nullable(maker, "clone_events", "mnt_ns"),
                         nullable(sh, "process_events", "mnt_ns"))
        self.assertTrue(maker["comm"].startswith("runc"), maker)

        tr = self.one(self.q("SELECT * FROM process_events WHERE argv LIKE ? AND comm = 'true'",
                             ("%" + m2 + "%",)), "true in the container")
        fork = self.one(self.q("SELECT * FROM clone_events WHERE child_pid = ? AND "
                               "child_start_time = ?", (tr["pid"], tr["start_time"])),
                        "the container shell's fork")
        self.check_clone_row(fork)
        self.assertEqual(fork["pid"], sh["pid"])
        # Audit reads ns_pid from /proc: NULL when true had already ended.
        self.assertEqual(fork["result"], nullable(tr, "process_events", "ns_pid"))
        self.assertNotEqual(fork["result"], fork["child_pid"])
        self.assertEqual(nullable(fork, "clone_events", "pid_ns"),
                         nullable(sh, "process_events", "pid_ns"))
        self.assertEqual(nullable(fork, "clone_events", "mnt_ns"),
                         nullable(sh, "process_events", "mnt_ns"))
        self.assertEqual(fork["new_namespaces"], "")
        self.assertEqual(fork["path"], "/bin/busybox")

        ex = self.one(self.exits_of(sh["pid"]), "exit of the container's init")
        self.check_exit_row(ex)
        self.assertEqual(ex["start_time"], sh["start_time"])
        self.assertEqual(ex["exit_code"], 7)
        self.assertIsNone(ex["signal"])
        self.assertEqual(ex["core_dumped"], 0)
        self.assertEqual(nullable(ex, "process_exits", "cgroup_id"),
                         nullable(sh, "process_events", "cgroup_id"))


class NamespaceCallsTest(LifecycleCase):

    def unshare_row(self, pid):
        rows = self.clones_by(pid, "unshare")
        row = self.one(rows, "unshare row of pid %d" % pid)
        self.check_clone_row(row)
        return row

    def test_unshare_net(self):
        """`unshare -n true`: unshare(CLONE_NEWNET) = 0, new_namespaces 'net',
        the caller's identity and namespaces, no child columns."""
        unshare = require_tool(self, "unshare")
        pid, rc, out, err = self.run_ok([unshare, "-n", TRUE, marker()])
        self.assertEqual(rc, 0, err)
        row = self.unshare_row(pid)
        self.assertEqual(row["flags"], F.CLONE_NEWNET)
        self.assertEqual(row["flags_text"], "CLONE_NEWNET")
        self.assertEqual(row["new_namespaces"], "net")
        self.assertEqual(row["result"], 0)
        self.assertEqual(row["tid"], pid)
        self.assertEqual(row["comm"], "unshare")
        self.assertEqual(row["path"], os.path.realpath(unshare))
        self.assertEqual(row["uid"], 0)
        self.assertEqual(nullable(row, "clone_events", "mnt_ns"), self.host_mnt)
        self.assertEqual(nullable(row, "clone_events", "pid_ns"), self.host_pidns)
        self.assertEqual(nullable(row, "clone_events", "cgroup_id"), own_cgroup_id())

    def test_unshare_user_map_root(self):
        """`unshare -U -r true`: unshare(CLONE_NEWUSER) = 0, 'user'."""
        unshare = require_tool(self, "unshare")
        pid, rc, out, err = self.run_ok([unshare, "-U", "-r", TRUE, marker()])
        self.assertEqual(rc, 0, err)
        row = self.unshare_row(pid)
        self.assertEqual(row["flags"], F.CLONE_NEWUSER)
        self.assertEqual(row["flags_text"], "CLONE_NEWUSER")
        self.assertEqual(row["new_namespaces"], "user")
        self.assertEqual(row["result"], 0)

    def test_unshare_mount_ns_reported_after_the_call(self):
        """`unshare -m true`: mnt_ns is the caller's namespace when the call
        returned, i.e. the new one (the same the exec'd true reports)."""
        unshare = require_tool(self, "unshare")
        m = marker()
        pid, rc, out, err = self.run_ok([unshare, "-m", TRUE, m])
        self.assertEqual(rc, 0, err)
        row = self.unshare_row(pid)
        self.assertEqual(row["flags"], F.CLONE_NEWNS)
        self.assertEqual(row["new_namespaces"], "mnt")
        ex = self.one([e for e in self.execs_of(pid, m) if e["path"] == TRUE], "true exec")
        self.assertNotEqual(nullable(row, "clone_events", "mnt_ns"), self.host_mnt)
        self.assertEqual(nullable(row, "clone_events", "mnt_ns"),
                         nullable(ex, "process_events", "mnt_ns"))

    def test_unshare_pid_then_fork(self):
        """`unshare -p -f true`: unshare(CLONE_NEWPID) makes 'pid' but the
        caller stays in its pid namespace (pid_ns = host's); the fork that
        follows returns the child's host pid (result = child_pid), while the
        child itself is ns_pid 1 in the new namespace."""
        unshare = require_tool(self, "unshare")
        m = marker()
        pid, rc, out, err = self.run_ok([unshare, "-p", "-f", TRUE, m])
        self.assertEqual(rc, 0, err)
        row = self.unshare_row(pid)
        self.assertEqual(row["flags"], F.CLONE_NEWPID)
        self.assertEqual(row["new_namespaces"], "pid")
        self.assertEqual(nullable(row, "clone_events", "pid_ns"), self.host_pidns)
        forks = [r for r in self.clones_by(pid) if r["syscall"] != "unshare"]
        fork = self.one(forks, "fork after unshare")
        self.check_clone_row(fork)
        self.assertEqual(fork["syscall"], "clone")
        child = self.one(self.execs_of(fork["child_pid"], m), "true in the new pid ns")
        self.assertEqual(nullable(child, "process_events", "ns_pid"), 1)
        self.assertNotEqual(nullable(child, "process_events", "pid_ns"), self.host_pidns)
        self.assertEqual(fork["child_start_time"], child["start_time"])
        self.assertEqual(fork["result"], fork["child_pid"])
        self.assertEqual(fork["new_namespaces"], "")

    def test_setns_other_and_same_namespace(self):
        """nsenter: setns into another net namespace -> 'net'; into the
        mount namespace of another process -> 'mnt' with mnt_ns the target's
        after the call; setns into the net namespace the caller is already in
        -> flags CLONE_NEWNET, result 0, new_namespaces ''."""
        nsenter = require_tool(self, "nsenter")
        holder = self.holder("-m", "-n")
        other_net = ns_inode(holder, "net")
        other_mnt = ns_inode(holder, "mnt")
        self.assertNotEqual(other_net, self.host_netns)

        pid1, rc, _, err = self.run_ok([nsenter, "--net=/proc/%d/ns/net" % holder,
                                        "--mount=/proc/%d/ns/mnt" % holder, TRUE, marker()])
        self.assertEqual(rc, 0, err)
        # Audit reads the namespaces after each call from /proc (at nsenter's
        # exec of true, or later): new_namespaces and the mnt row's mnt_ns
        # are NULL there when true had already ended.
        rows = self.clones_by(pid1, "setns")
        for r in rows:
            self.check_clone_row(r)
        self.assertEqual(sorted(r["flags"] for r in rows), [F.CLONE_NEWNS, F.CLONE_NEWNET], rows)
        net = [r for r in rows if r["flags"] == F.CLONE_NEWNET][0]
        mnt = [r for r in rows if r["flags"] == F.CLONE_NEWNS][0]
        self.assertEqual((net["flags_text"], nullable(net, "clone_events", "new_namespaces"),
                          net["result"]), ("CLONE_NEWNET", "net", 0))
        self.assertEqual((mnt["flags_text"], nullable(mnt, "clone_events", "new_namespaces"),
                          mnt["result"]), ("CLONE_NEWNS", "mnt", 0))
        self.assertEqual(nullable(mnt, "clone_events", "mnt_ns"), other_mnt)
        self.assertEqual(net["comm"], "nsenter")

        pid2, rc, _, err = self.run_ok([nsenter, "--net=/proc/%d/ns/net" % os.getpid(),
                                        TRUE, marker()])
        self.assertEqual(rc, 0, err)
        same = self.one(self.clones_by(pid2, "setns"), "setns into the same namespace")
        self.check_clone_row(same)
        self.assertEqual(same["flags"], F.CLONE_NEWNET)
        self.assertEqual(same["result"], 0)
        self.assertEqual(nullable(same, "clone_events", "new_namespaces"), "")
        self.assertEqual(nullable(same, "clone_events", "mnt_ns"), self.host_mnt)

    def holder(self, *unshare_flags):
        """A sleeping process in new namespaces (unshare FLAGS); its pid. It
        has its own process group, killed whole at cleanup (with -f the
        sleeper is a child of unshare, and pid 1 of a pid namespace)."""
        unshare = require_tool(self, "unshare")
        h = subprocess.Popen([unshare] + list(unshare_flags) +
                             ["/bin/sh", "-c", "echo ready; exec sleep 1000"],
                             stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)

        def stop():
            try:
                os.killpg(h.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            h.wait()
        self.addCleanup(stop)
        self.assertEqual(h.stdout.readline(), b"ready\n")
        h.stdout.close()
        return h.pid

    def setns_row(self, target, nstype):
        pid, rc, out, err = self.run_ok([self.lifecycle, "setns", str(target), nstype, marker()])
        self.assertEqual(rc, 0, err)
        row = self.one(self.clones_by(pid, "setns"), "setns row (%s)" % out.strip())
        self.check_clone_row(row)
        return row, out

    def test_setns_nstype_zero_pidfd_and_refused(self):
        """setns(fd, 0) on a net namespace file: flags 0, flags_text '',
        new_namespaces 'net'. setns(pidfd, NEWUTS|NEWIPC|NEWNET) into a
        process with new uts and net namespaces but our ipc namespace: only
        what changed, in order: 'uts,net'. setns with the wrong nstype for
        the file (EINVAL): result -22, new_namespaces ''."""
        h = self.holder("-n", "-u")
        # The helper exits right after setns: audit, which reads the
        # namespaces after the call from /proc, may have found it gone.
        row, out = self.setns_row("/proc/%d/ns/net" % h, "0")
        self.assertIn("setns 0 0", out)
        self.assertEqual((row["flags"], row["flags_text"],
                          nullable(row, "clone_events", "new_namespaces"), row["result"]),
                         (0, "", "net", 0))
        want = F.CLONE_NEWUTS | F.CLONE_NEWIPC | F.CLONE_NEWNET
        row, out = self.setns_row(h, hex(want))
        self.assertIn("setns 0 0", out)
        self.assertEqual(row["flags"], want)
        self.assertEqual(sorted(names_of(row["flags_text"])),
                         ["CLONE_NEWIPC", "CLONE_NEWNET", "CLONE_NEWUTS"])
        self.assertEqual(nullable(row, "clone_events", "new_namespaces"), "uts,net")
        self.assertEqual(row["result"], 0)
        row, out = self.setns_row("/proc/%d/ns/net" % h, hex(F.CLONE_NEWUTS))
        self.assertIn("setns -1 22", out)
        self.assertEqual((row["flags"], row["result"], row["new_namespaces"]),
                         (F.CLONE_NEWUTS, -EINVAL, ""))

    def test_setns_pid_namespace_then_fork(self):
        """nsenter --pid into another pid namespace: the setns row says 'pid'
        (the namespace for children changed) while the caller's own pid_ns
        stays the host's; the fork that follows returns the child's host pid
        (result = child_pid), and the child lives in the target namespace.
        nsenter --pid into our own pid namespace: new_namespaces ''."""
        nsenter = require_tool(self, "nsenter")
        h = self.holder("-p", "-f")
        with open("/proc/%d/task/%d/children" % (h, h)) as f:
            inner = int(f.read().split()[0])  # pid 1 of the new namespace
        target = ns_inode(inner, "pid")
        self.assertNotEqual(target, self.host_pidns)
        m = marker()
        pid, rc, _, err = self.run_ok([nsenter, "--pid=/proc/%d/ns/pid" % inner, TRUE, m])
        self.assertEqual(rc, 0, err)
        # Audit reads nsenter's namespaces after setns from /proc when
        # nsenter forks (or later): NULL when it had already ended.
        row = self.one(self.clones_by(pid, "setns"), "setns into the pid namespace")
        self.check_clone_row(row)
        self.assertEqual((row["flags"], nullable(row, "clone_events", "new_namespaces"),
                          row["result"]), (F.CLONE_NEWPID, "pid", 0))
        self.assertEqual(nullable(row, "clone_events", "pid_ns"), self.host_pidns)
        fork = self.one([r for r in self.clones_by(pid) if r["syscall"] != "setns"],
                        "nsenter's fork")
        self.check_clone_row(fork)
        child = self.one([e for e in self.execs_of(fork["child_pid"], m) if e["path"] == TRUE],
                         "true in the target pid namespace")
        self.assertEqual(nullable(child, "process_events", "pid_ns"), target)
        if not (child["ns_pid"] is None and may_be_null("process_events", "ns_pid")):
            self.assertGreater(child["ns_pid"], 1)
        self.assertEqual(fork["result"], fork["child_pid"])
        self.assertEqual(fork["child_start_time"], child["start_time"])

        pid2, rc, _, err = self.run_ok([nsenter, "--pid=/proc/%d/ns/pid" % os.getpid(),
                                        TRUE, marker()])
        self.assertEqual(rc, 0, err)
        same = self.one(self.clones_by(pid2, "setns"), "setns into our own pid namespace")
        self.assertEqual((same["flags"], nullable(same, "clone_events", "new_namespaces"),
                          same["result"]), (F.CLONE_NEWPID, "", 0))

    def test_unshare_several_at_once_as_non_root(self):
        """uid 65534 running `unshare -U -r -m -u -n true`: one unshare call
        with all four flags, result 0, new_namespaces in the documented
        order 'mnt,uts,user,net', uid 65534, mnt_ns the new one."""
        setpriv = require_tool(self, "setpriv")
        unshare = require_tool(self, "unshare")
        m = marker()
        pid, rc, out, err = self.run_ok([setpriv, "--reuid=65534", "--regid=65534",
                                         "--clear-groups", unshare, "-U", "-r", "-m", "-u",
                                         "-n", TRUE, m])
        if rc != 0 and "Operation not permitted" in err:
            unavailable(self, "unprivileged user namespaces are disabled here: " + err)
        self.assertEqual(rc, 0, err)
        row = self.unshare_row(pid)
        self.assertEqual(row["flags"], F.CLONE_NEWNS | F.CLONE_NEWUTS | F.CLONE_NEWUSER
                         | F.CLONE_NEWNET)
        self.assertEqual(row["new_namespaces"], "mnt,uts,user,net")
        self.assertEqual(row["result"], 0)
        self.assertEqual(row["uid"], 65534)
        self.assertNotEqual(nullable(row, "clone_events", "mnt_ns"), self.host_mnt)

    def test_unshare_time(self):
        """`unshare -T true`: CLONE_NEWTIME is 0x80 for unshare (the exit
        signal byte only exists for clone): flags_text 'CLONE_NEWTIME',
        new_namespaces 'time'."""
        if not os.path.exists("/proc/self/ns/time"):
            unavailable(self, "kernel without time namespaces")
        unshare = require_tool(self, "unshare")
        pid, rc, out, err = self.run_ok([unshare, "-T", TRUE, marker()])
        self.assertEqual(rc, 0, err)
        row = self.unshare_row(pid)
        self.assertEqual((row["flags"], row["flags_text"], row["new_namespaces"], row["result"]),
                         (F.CLONE_NEWTIME, "CLONE_NEWTIME", "time", 0))

    def test_unshare_refused_for_non_root(self):
        """`setpriv --reuid 65534 ... unshare -n true`: the call fails with
        EPERM and is a row: result -1, new_namespaces '', uid 65534, flags as
        asked, child columns NULL."""
        setpriv = require_tool(self, "setpriv")
        unshare = require_tool(self, "unshare")
        pid, rc, out, err = self.run_ok([setpriv, "--reuid=65534", "--regid=65534",
                                         "--clear-groups", unshare, "-n", TRUE, marker()])
        self.assertNotEqual(rc, 0, "unshare -n as uid 65534 should fail")
        self.assertIn("Operation not permitted", err)
        row = self.unshare_row(pid)
        self.assertEqual(row["result"], -EPERM)
        self.assertEqual(row["new_namespaces"], "")
        self.assertEqual(row["flags"], F.CLONE_NEWNET)
        self.assertEqual(row["flags_text"], "CLONE_NEWNET")
        self.assertEqual(row["uid"], 65534)
        self.assertIsNone(row["child_pid"])


class ProcessCreationTest(LifecycleCase):

    def spawn_and_rows(self, mode, *extra):
        """Run `lifecycle MODE [EXTRA...] MARKER`; return (caller pid, clone
        row, child's exec row), checking the row against the child."""
        m = marker()
        pid, rc, out, err = self.run_ok([self.lifecycle, mode] + list(extra) + [m])
        self.assertEqual(rc, 0, err)
        child_pid = int(re.search(r"^child (\d+)$", out, re.M).group(1))
        child = self.one(self.execs_of(child_pid, m), "%s child's exec" % mode)
        self.assertEqual(child["path"], TRUE)
        row = self.one(self.q("SELECT * FROM clone_events WHERE child_pid = ?", (child_pid,)),
                       "%s row" % mode)
        self.check_clone_row(row)
        self.assertEqual(row["pid"], pid)
        self.assertEqual(row["tid"], int(re.search(r"^tid (\d+)$", out, re.M).group(1))
                         if mode == "threadfork" else pid)
        self.assertEqual(row["comm"], "lifecycle")
        self.assertEqual(row["path"], os.path.realpath(self.lifecycle))
        self.assertEqual(row["child_tid"], child_pid)
        self.assertEqual(row["child_start_time"], child["start_time"])
        self.assertEqual(row["result"], child_pid)
        # (On audit a clone3 child's namespaces come from /proc: NULL when
        # the child, which only execs true, had ended before it was read.)
        self.assertEqual(nullable(row, "clone_events", "new_namespaces"), "")
        self.assertEqual(nullable(row, "clone_events", "mnt_ns"), self.host_mnt)
        self.assertEqual(nullable(row, "clone_events", "pid_ns"), self.host_pidns)
        self.assertEqual(row["uid"], 0)
        self.assertEqual(nullable(row, "clone_events", "cgroup_id"), own_cgroup_id())
        self.assertEqual(child["parent"], pid)
        # The caller made no other process and, by default, no thread row.
        self.assertEqual(len(self.clones_by(pid)), 1, self.clones_by(pid))
        return pid, row, child

    def test_raw_fork_syscall(self):
        pid, row, child = self.spawn_and_rows("fork")
        self.assertEqual(row["syscall"], "fork")
        self.assertEqual(row["flags"] & (F.CLONE_VM | F.CLONE_VFORK | F.CLONE_THREAD), 0, row)

    def test_vfork(self):
        pid, row, child = self.spawn_and_rows("vfork")
        self.assertEqual(row["syscall"], "vfork")
        self.assertEqual(row["flags"] & (F.CLONE_VM | F.CLONE_VFORK), F.CLONE_VM | F.CLONE_VFORK,
                         row)

    def test_glibc_fork_is_clone(self):
        pid, row, child = self.spawn_and_rows("glibcfork")
        self.assertEqual(row["syscall"], "clone")
        self.assertEqual(row["flags"], GLIBC_FORK_FLAGS)
        self.assertEqual(row["flags_text"], "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID")

    def test_posix_spawn_is_clone3(self):
        pid, row, child = self.spawn_and_rows("spawn")
        self.assertEqual(row["syscall"], "clone3")
        self.assertEqual(nullable(row, "clone_events", "flags"), POSIX_SPAWN_FLAGS)
        self.assertEqual(nullable(row, "clone_events", "flags_text"), "CLONE_VM|CLONE_VFORK")

    def test_fork_from_a_second_thread(self):
        """glibc fork() called by a non-main thread: pid is the process, tid
        the calling thread; the thread itself is no row by default."""
        pid, row, child = self.spawn_and_rows("threadfork")
        self.assertEqual(row["syscall"], "clone")
        self.assertNotEqual(row["tid"], pid)

    def test_clone3_into_cgroup(self):
        """clone3 with CLONE_INTO_CGROUP (bit 33: flags wider than 32 bits):
        flags and flags_text say so; the caller's cgroup_id is its own, the
        child's exec reports the target cgroup."""
        own_rel = proc_cgroup_v2(os.getpid())
        d = os.path.join(cgroup2_mount(), own_rel.lstrip("/"), "procsql-" + marker())
        try:
            os.mkdir(d)
        except OSError as e:
            unavailable(self, "cannot create a cgroup v2 directory: %s" % e)
        self.addCleanup(os.rmdir, d)
        pid, row, child = self.spawn_and_rows("intocgroup", d)
        self.assertEqual(row["syscall"], "clone3")
        self.assertEqual(nullable(row, "clone_events", "flags"), F.CLONE_INTO_CGROUP)
        self.assertEqual(nullable(row, "clone_events", "flags_text"), "CLONE_INTO_CGROUP")
        self.assertEqual(nullable(child, "process_events", "cgroup_id"), os.stat(d).st_ino)

    def test_failed_clone_and_clone3(self):
        """clone and clone3 refused with EINVAL are rows: result -22, the
        flags as passed (clone's exit signal removed), no child,
        new_namespaces '' even though clone3 asked for CLONE_NEWNET."""
        pid, rc, out, err = self.run_ok([self.lifecycle, "failclone", marker()])
        self.assertEqual(rc, 0, err)
        self.assertIn("clone -1 22", out)
        self.assertIn("clone3 -1 22", out)
        rows = self.clones_by(pid)
        for r in rows:
            self.check_clone_row(r)
        self.assertEqual([(r["syscall"], nullable(r, "clone_events", "flags"), r["result"])
                          for r in rows],
                         [("clone", F.CLONE_SIGHAND, -EINVAL),
                          ("clone3", F.CLONE_SIGHAND | F.CLONE_NEWNET, -EINVAL)], rows)
        self.assertIsNotNone(rows[0]["flags"], "clone's flags are its first argument")
        self.assertEqual(nullable(rows[1], "clone_events", "flags_text"),
                         "CLONE_SIGHAND|CLONE_NEWNET")


class ThreadRowsTest(ProcsqlTestCase):
    """Through the sqlite3 shell: PROCSQL_THREADS decides whether pthread
    creation is a row."""

    def run_threads(self, env):
        prog = self.prog("lifecycle")
        m = marker()
        s = Script()
        s.load()
        s.shell("%s threads 3 %s join" % (prog, m))
        where = ("pid IN (SELECT pid FROM process_events WHERE argv LIKE %s AND path = %s)"
                 % (sql_str("%" + m + "%"), sql_str(os.path.realpath(prog))))
        q_clone = s.query("SELECT * FROM clone_events WHERE %s ORDER BY eid" % where)
        q_exit = s.query("SELECT * FROM process_exits WHERE %s ORDER BY eid" % where)
        r = s.run(env=env)
        out = r.stdout.decode()
        pid = int(re.search(r"^pid (\d+)$", out, re.M).group(1))
        tids = [int(t) for t in re.findall(r"^tid (\d+)$", out, re.M)]
        self.assertEqual(len(tids), 3, out)
        exits = r.rows(q_exit)
        self.assertEqual(len(exits), 1, "one exit for the whole process: %r" % exits)
        self.assertEqual((exits[0]["pid"], exits[0]["exit_code"]), (pid, 0))
        return pid, tids, r.rows(q_clone)

    def test_no_thread_rows_by_default(self):
        pid, tids, rows = self.run_threads({})
        self.assertEqual(rows, [])

    def test_thread_rows_with_procsql_threads(self):
        pid, tids, rows = self.run_threads({"PROCSQL_THREADS": "1"})
        self.assertEqual(sorted(r["child_tid"] for r in rows), sorted(tids), rows)
        for r in rows:
            self.assertEqual(r["pid"], pid)
            self.assertEqual(r["child_pid"], pid)
            self.assertEqual(r["syscall"], "clone3")
            if not (r["flags"] is None and may_be_null("clone_events", "flags")):
                self.assertEqual(r["flags"] & F.CLONE_THREAD, F.CLONE_THREAD)
                self.assertEqual(r["flags"], PTHREAD_FLAGS)
                self.assertIn("CLONE_THREAD", names_of(r["flags_text"]))
            self.assertEqual(r["result"], r["child_tid"])
            # Audit reads a new thread's namespaces from /proc: NULL when it
            # had already ended.
            self.assertEqual(nullable(r, "clone_events", "new_namespaces"), "")


class ExitTest(LifecycleCase):

    def wait_exec(self, pid, path):
        """The process_events row of PID's exec of PATH. Popen returns when
        the exec closed its CLOEXEC pipe, which the kernel does before the
        exec tracepoint fires: so wait for the row (a bound on a hang, not a
        timing assertion)."""
        deadline = time.monotonic() + 60
        while True:
            rows = self.q("SELECT * FROM process_events WHERE pid = ? AND path = ?", (pid, path))
            if rows or time.monotonic() > deadline:
                return self.one(rows, "exec of %s by %d" % (path, pid))
            time.sleep(0.02)

    def exit_row(self, pid, start_time=None):
        row = self.one(self.exits_of(pid), "exit row of %d" % pid)
        self.check_exit_row(row)
        if start_time is not None:
            self.assertEqual(row["start_time"], start_time)
        return row

    def test_sigkill(self):
        p = subprocess.Popen([SLEEP, "1000"], stdout=subprocess.DEVNULL)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        ex = self.wait_exec(p.pid, SLEEP)
        p.kill()
        self.assertEqual(p.wait(), -9)
        row = self.exit_row(p.pid, ex["start_time"])
        self.assertEqual(row["signal"], 9)
        self.assertIsNone(row["exit_code"])
        self.assertEqual(row["core_dumped"], 0)
        self.assertEqual(row["comm"], "sleep")
        self.assertIn(row["path"], (SLEEP, None))
        self.assertEqual(row["cgroup_id"], own_cgroup_id())

    def test_exit_3(self):
        p = subprocess.Popen(["/bin/sh", "-c", "exit 3", marker()])
        self.assertEqual(p.wait(), 3)
        ex = self.one(self.execs_of(p.pid), "sh exec")
        row = self.exit_row(p.pid, ex["start_time"])
        self.assertEqual(row["exit_code"], 3)
        self.assertIsNone(row["signal"])
        self.assertEqual(row["core_dumped"], 0)
        self.assertEqual(row["comm"], "sh")

    def test_exit_codes_above_128_are_not_signals(self):
        """`exit 143` is exit_code 143 (not SIGTERM), `exit 255` is 255, and
        a shell that kills itself with SIGTERM is signal 15, exit_code NULL."""
        for script, want in (("exit 143", (143, None)), ("exit 255", (255, None)),
                             ("kill -TERM $$", (None, 15))):
            with self.subTest(script):
                p = subprocess.Popen(["/bin/sh", "-c", script, marker()])
                p.wait()
                ex = self.one(self.execs_of(p.pid), "sh exec")
                row = self.exit_row(p.pid, ex["start_time"])
                self.assertEqual((row["exit_code"], row["signal"]), want)
                self.assertEqual(row["core_dumped"], 0)

    def test_exec_from_a_non_leader_thread(self):
        """A second thread execs `sh -c 'exit 4'`: the kernel makes it the
        leader (same pid); the process still has exactly one exit row, with
        the process's original start_time and the new program's comm."""
        thread_exec = self.prog("thread_exec")
        out = os.path.join(self.tmpdir(), "ids")
        p = subprocess.Popen([thread_exec, out, "/bin/sh", "sh", "-c", "exit 4", marker()])
        self.assertEqual(p.wait(), 4)
        with open(out) as f:
            pid, tid = map(int, f.read().split())
        self.assertEqual(pid, p.pid)
        execs = self.execs_of(pid)
        self.assertEqual(len(execs), 2, execs)  # thread_exec, then sh
        self.assertEqual(execs[0]["start_time"], execs[1]["start_time"])
        row = self.exit_row(pid, execs[0]["start_time"])
        self.assertEqual(row["exit_code"], 4)
        self.assertEqual(row["comm"], "sh")
        self.assertEqual(self.exits_of(tid), [])

    def core_pattern_in_cwd(self):
        """Make sure a core lands in the process's cwd (a relative, non-pipe
        core_pattern); change /proc/sys/kernel/core_pattern only if needed,
        restoring it afterwards."""
        path = "/proc/sys/kernel/core_pattern"
        with open(path) as f:
            old = f.read().rstrip("\n")
        if old.startswith("|") or "/" in old:
            with open(path, "w") as f:
                f.write("core")

            def restore():
                with open(path, "w") as f:
                    f.write(old)
            self.addCleanup(restore)

    def test_core_dump(self):
        """SIGQUIT with RLIMIT_CORE unlimited: signal 3, core_dumped 1 (the
        kernel's wait status says a core was dumped)."""
        self.core_pattern_in_cwd()
        d = self.tmpdir()
        # Not under a preloaded sanitizer runtime (the ASan phase of
        # scripts/test.sh): ASan turns core dumps off in the process.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        p = subprocess.Popen(["/bin/sh", "-c", "ulimit -c unlimited && exec %s 1000" % SLEEP],
                             cwd=d, stdout=subprocess.DEVNULL, env=env)
        pid = p.pid
        self.addCleanup(lambda: p.returncode is None and (p.kill(), p.wait()))
        ex = self.wait_exec(pid, SLEEP)
        os.kill(pid, signal.SIGQUIT)
        _, status = os.waitpid(pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        self.assertTrue(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGQUIT)
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read()
        self.assertTrue(os.WCOREDUMP(status), "the kernel dumped no core (core_pattern %r)"
                        % pattern)
        row = self.exit_row(pid, ex["start_time"])
        self.assertEqual(row["signal"], signal.SIGQUIT)
        self.assertIsNone(row["exit_code"])
        self.assertEqual(row["core_dumped"], 1)

    def threaded(self, mode, *extra):
        m = marker()
        p = subprocess.Popen([self.lifecycle, "threads", "4", m, mode] + list(extra),
                             stdout=subprocess.PIPE)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        return p, m

    def check_one_exit_for_threads(self, p, out):
        tids = [int(t) for t in re.findall(rb"^tid (\d+)$", out, re.M)]
        self.assertEqual(len(tids), 4, out)
        ex = self.one(self.execs_of(p.pid), "lifecycle exec")
        row = self.exit_row(p.pid, ex["start_time"])
        placeholders = ",".join("?" * len(tids))
        self.assertEqual(self.q("SELECT * FROM process_exits WHERE pid IN (%s)" % placeholders,
                                tids), [], "thread exits must not be rows")
        self.assertEqual(row["comm"], "lifecycle")
        return row

    def test_multithreaded_exit_group(self):
        """exit(5) with four threads alive: exactly one row, exit_code 5."""
        p, m = self.threaded("exit", "5")
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 5)
        row = self.check_one_exit_for_threads(p, out)
        self.assertEqual(row["exit_code"], 5)
        self.assertIsNone(row["signal"])

    def test_multithreaded_sigkill(self):
        """SIGKILL to a process with five threads: exactly one row, signal 9."""
        p, m = self.threaded("block")
        out = b""
        while b"ready\n" not in out:
            line = p.stdout.readline()
            self.assertTrue(line, "helper ended early: %r" % out)
            out += line
        p.kill()
        rest, _ = p.communicate(timeout=60)
        row = self.check_one_exit_for_threads(p, out + rest)
        self.assertEqual(row["signal"], 9)
        self.assertIsNone(row["exit_code"])

    def test_multithreaded_leader_exits_first(self):
        """The main thread calls pthread_exit first, the last of the other
        threads ends the process: one row, when the LAST thread goes (exit 0)."""
        p, m = self.threaded("leaderfirst")
        out, _ = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0)
        row = self.check_one_exit_for_threads(p, out)
        self.assertEqual(row["exit_code"], 0)
        self.assertIsNone(row["signal"])


class JoinAndTreeTest(ProcsqlTestCase):
    """Through the sqlite3 shell: (pid, start_time) joins the three tables."""

    def test_exec_row_with_its_clone_and_exit(self):
        """A process created by glibc fork() that execs true: its
        process_events row joins its clone_events row (child_pid,
        child_start_time) and its process_exits row (pid, start_time)."""
        prog = self.prog("lifecycle")
        m = marker()
        s = Script()
        s.load()
        s.shell("%s glibcfork %s" % (prog, m))
        q = s.query("""
            SELECT p.pid, p.start_time, p.comm, c.pid AS creator, c.syscall, c.result,
                   c.child_tid, x.exit_code, x.signal, x.duration_ns, x.time_ns AS exit_ns,
                   x.comm AS exit_comm
              FROM process_events p
              JOIN clone_events c ON c.child_pid = p.pid AND c.child_start_time = p.start_time
              JOIN process_exits x ON x.pid = p.pid AND x.start_time = p.start_time
             WHERE p.argv LIKE %s AND p.path = %s""" % (sql_str("%" + m + "%"), sql_str(TRUE)))
        q_prog = s.query("SELECT pid FROM process_events WHERE argv LIKE %s AND path = %s"
                         % (sql_str("%" + m + "%"), sql_str(os.path.realpath(prog))))
        r = s.run()
        rows = r.rows(q)
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        child = int(re.search(rb"^child (\d+)$", r.stdout, re.M).group(1))
        prog_pid = r.rows(q_prog)[0]["pid"]
        self.assertEqual(row["pid"], child)
        self.assertEqual(row["creator"], prog_pid)
        self.assertEqual(row["syscall"], "clone")
        self.assertEqual(row["result"], child)
        self.assertEqual(row["child_tid"], child)
        self.assertEqual(row["exit_code"], 0)
        self.assertIsNone(row["signal"])
        self.assertEqual(row["exit_comm"], "true")
        self.assertEqual(row["duration_ns"], row["exit_ns"] - row["start_time"])

    def test_process_tree_by_recursive_cte(self):
        """root -> child -> two grandchildren (fork, no exec below the root):
        a recursive CTE over clone_events from the root's process_events row
        gives exactly that tree, and each node's process_exits row."""
        prog = self.prog("lifecycle")
        m = marker()
        s = Script()
        s.load()
        s.shell("%s tree %s" % (prog, m))
        q = s.query("""
            WITH RECURSIVE
              root(pid, start_time) AS (
                SELECT pid, start_time FROM process_events
                 WHERE argv LIKE %s AND path = %s),
              tree(pid, start_time, depth, parent) AS (
                SELECT pid, start_time, 0, NULL FROM root
                UNION ALL
                SELECT c.child_pid, c.child_start_time, t.depth + 1, t.pid
                  FROM clone_events c JOIN tree t ON c.pid = t.pid
                 WHERE c.child_pid IS NOT NULL AND c.child_pid <> c.pid
                   AND c.time_ns >= (SELECT start_time FROM root))
            SELECT t.pid, t.depth, t.parent, x.exit_code
              FROM tree t LEFT JOIN process_exits x
                ON x.pid = t.pid AND x.start_time = t.start_time
             ORDER BY t.depth, t.pid""" % (sql_str("%" + m + "%"),
                                           sql_str(os.path.realpath(prog))))
        r = s.run()
        nodes = [tuple(int(x) for x in l.split()[1:])
                 for l in r.stdout.decode().splitlines() if l.startswith("node ")]
        self.assertEqual(len(nodes), 4, r.stdout)
        depth_of = {pid: depth for depth, pid, ppid in nodes}
        want = sorted(((depth, pid, None if depth == 0 else ppid) for depth, pid, ppid in nodes),
                      key=lambda n: (n[0], n[1]))
        got = [(row["depth"], row["pid"], row["parent"]) for row in r.rows(q)]
        self.assertEqual(got, want)
        self.assertEqual([row["exit_code"] for row in r.rows(q)], [0, 0, 0, 0])
        self.assertEqual(sorted(depth_of.values()), [0, 1, 2, 2])


if __name__ == "__main__":
    unittest.main()
