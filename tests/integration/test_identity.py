"""Who ran what, where and when: setuid files, uid/euid/gid/egid, auid and
session, tty, time/time_ns/start_time, the exec'ing thread, namespaces and
the cgroup — all through the real sqlite3 shell.
"""

import json
import os
import shutil
import stat
import unittest

from containers import cgroup2_mount

from procsql_test import (TRUE, ProcsqlTestCase, Script, events_with_marker, marker,
                          may_be_null, nullable, require_tool, sql_str, unavailable)




class IdentityTest(ProcsqlTestCase):

    def one(self, rows, what="event"):
        self.assertEqual(len(rows), 1, "expected exactly one %s: %r" % (what, rows))
        return rows[0]

    def true_events(self, s, m):
        return events_with_marker(s, m, "path = %s" % sql_str(TRUE))

    def test_setuid_binary(self):
        """A setuid+setgid copy of true owned by 12345:23456: `mode` shows the
        bits, owner ids and inode are the file's, and root running it gets
        euid 12345 / egid 23456 while uid/gid stay 0."""
        d = self.tmpdir()
        os.chmod(d, 0o755)
        binary = os.path.join(d, "suid-true")
        shutil.copy2(TRUE, binary)
        os.chown(binary, 12345, 23456)
        os.chmod(binary, 0o6755)
        st = os.stat(binary)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o6755)
        m = marker()
        s = Script()
        s.load()
        s.shell("%s %s" % (binary, m))
        q = events_with_marker(s, m, "comm = 'suid-true'")
        r = s.run()
        e = self.one(r.rows(q))
        self.assertEqual(e["path"], binary)
        self.assertEqual(e["mode"], st.st_mode)
        self.assertEqual(e["mode"] & 0o4000, 0o4000)
        self.assertEqual(e["mode"] & 0o2000, 0o2000)
        self.assertEqual(e["owner_uid"], 12345)
        self.assertEqual(e["owner_gid"], 23456)
        self.assertEqual(e["inode"], st.st_ino)
        if not os.statvfs(d).f_flag & os.ST_NOSUID:
            self.assertEqual(e["euid"], 12345)
            self.assertEqual(e["egid"], 23456)
        self.assertEqual(e["uid"], 0)
        self.assertEqual(e["gid"], 0)

    def test_uids_via_setpriv(self):
        """setpriv --reuid/--regid gives uid=euid=65534, gid=egid=65534;
        setpriv --euid/--egid gives uid 0, euid 65534, gid 0, egid 65533."""
        setpriv = require_tool(self, "setpriv")
        m1, m2 = marker(), marker()
        s = Script()
        s.load()
        s.shell("%s --reuid=65534 --regid=65534 --clear-groups %s %s" % (setpriv, TRUE, m1))
        s.shell("%s --euid=65534 --egid=65533 --clear-groups %s %s" % (setpriv, TRUE, m2))
        q1 = self.true_events(s, m1)
        q2 = self.true_events(s, m2)
        r = s.run()
        e1 = self.one(r.rows(q1))
        self.assertEqual((e1["uid"], e1["euid"], e1["gid"], e1["egid"]),
                         (65534, 65534, 65534, 65534))
        e2 = self.one(r.rows(q2))
        self.assertEqual((e2["uid"], e2["euid"], e2["gid"], e2["egid"]),
                         (0, 65534, 0, 65533))

    def test_auid_and_session(self):
        """auid/session NULL while the loginuid is unset; after a process
        sets its loginuid they are that uid and the kernel's session id."""
        with open("/proc/self/loginuid") as f:
            my_loginuid = int(f.read())
        with open("/proc/self/sessionid") as f:
            my_session = int(f.read())
        d = self.tmpdir()
        sess_file = os.path.join(d, "session")
        m1, m2 = marker(), marker()
        s = Script()
        s.load()
        s.shell("%s %s" % (TRUE, m1))
        s.sh("echo 4242 > /proc/self/loginuid || exit 1\n"
             "cat /proc/self/sessionid > %s\n"
             "exec %s %s\n" % (sess_file, TRUE, m2))
        q1 = self.true_events(s, m1)
        q2 = self.true_events(s, m2)
        r = s.run()
        e1 = self.one(r.rows(q1))
        if my_loginuid == 0xFFFFFFFF:
            self.assertIsNone(e1["auid"])
        else:
            self.assertEqual(e1["auid"], my_loginuid)
        if my_session == 0xFFFFFFFF:
            self.assertIsNone(e1["session"])
        else:
            self.assertEqual(e1["session"], my_session)
        e2 = self.one(r.rows(q2))
        self.assertEqual(e2["auid"], 4242)
        with open(sess_file) as f:
            self.assertEqual(e2["session"], int(f.read()))

    def test_tty(self):
        """Under `script` (a pty) tty reads like pts/N, the same pty `tty`
        printed; after setsid (no controlling terminal) it is NULL."""
        script_bin = require_tool(self, "script")
        setsid = require_tool(self, "setsid")
        d = self.tmpdir()
        tty_file = os.path.join(d, "tty")
        m1, m2 = marker(), marker()
        s = Script()
        s.load()
        s.sh("%s -qec \"/bin/sh -c 'tty > %s; exec %s %s'\" /dev/null </dev/null >/dev/null\n"
             % (script_bin, tty_file, TRUE, m1))
        s.shell("%s -w %s %s" % (setsid, TRUE, m2))
        q1 = self.true_events(s, m1)
        q2 = self.true_events(s, m2)
        r = s.run()
        with open(tty_file) as f:
            dev = f.read().strip()
        self.assertRegex(dev, r"^/dev/pts/\d+$")
        e1 = self.one(r.rows(q1))
        self.assertRegex(e1["tty"] or "", r"^pts/\d+$")
        self.assertEqual("/dev/" + e1["tty"], dev)
        e2 = self.one(r.rows(q2))
        self.assertIsNone(e2["tty"])

    def test_time_columns(self):
        """time == time_ns // 10**9; the test's wall-clock window contains
        start_time <= time_ns; two execs in sequence are ordered by eid and
        time."""
        m = marker()
        s = Script()
        s.load()
        s.shell("%s %s 1 ; %s %s 2" % (TRUE, m, TRUE, m))
        q = self.true_events(s, m)
        r = s.run()
        rows = r.rows(q)
        self.assertEqual(len(rows), 2, rows)
        for e in rows:
            self.assertIsInstance(e["time_ns"], int)
            self.assertEqual(e["time"], e["time_ns"] // 10**9)
            self.assertLessEqual(r.t_start_ns, e["start_time"])
            self.assertLessEqual(e["start_time"], e["time_ns"])
            self.assertLessEqual(e["time_ns"], r.t_end_ns)
        first, second = sorted(rows, key=lambda e: e["eid"])
        self.assertEqual(json.loads(first["argv"]), [TRUE, m, "1"])
        self.assertEqual(json.loads(second["argv"]), [TRUE, m, "2"])
        self.assertLessEqual(first["time_ns"], second["time_ns"])
        self.assertLessEqual(first["start_time"], second["start_time"])

    def test_non_leader_thread_exec(self):
        """A second thread calls execv: pid stays the process's pid, tid is
        the thread that called exec (and differs from pid)."""
        thread_exec = self.prog("thread_exec")
        d = self.tmpdir()
        ids = os.path.join(d, "ids")
        m = marker()
        s = Script()
        s.load()
        s.shell("%s %s %s true %s" % (thread_exec, ids, TRUE, m))
        q = events_with_marker(s, m)
        r = s.run()
        with open(ids) as f:
            pid, tid = map(int, f.read().split())
        self.assertNotEqual(pid, tid)
        rows = r.rows(q)
        helper = [e for e in rows if e["path"] == os.path.realpath(thread_exec)]
        target = [e for e in rows if e["path"] == TRUE]
        h = self.one(helper, "thread_exec event")
        t = self.one(target, "true event")
        self.assertEqual((h["pid"], h["tid"]), (pid, pid))
        self.assertEqual(t["pid"], pid)
        # Audit: the kernel may report the old leader's exit under the
        # exec'ing thread's tid, which then cannot be told (tid NULL); ns_pid
        # is NULL when true had ended before /proc was read.
        self.assertEqual(nullable(t, "process_events", "tid"), tid)
        self.assertEqual(nullable(t, "process_events", "ns_pid"), pid)
        self.assertEqual(t["start_time"], h["start_time"],
                         "the process is the same one: same start_time")

    def test_namespaces(self):
        """Host process: ns_pid == pid, pid_ns/mnt_ns are our namespaces'
        inode numbers. In a new pid+mount namespace: ns_pid 1, other ids."""
        unshare = require_tool(self, "unshare")
        host_pid_ns = os.stat("/proc/self/ns/pid").st_ino
        host_mnt_ns = os.stat("/proc/self/ns/mnt").st_ino
        m1, m2 = marker(), marker()
        s = Script()
        s.load()
        s.shell("%s %s" % (TRUE, m1))
        s.shell("%s --pid --fork --mount %s %s" % (unshare, TRUE, m2))
        q1 = self.true_events(s, m1)
        q2 = self.true_events(s, m2)
        r = s.run()
        # Audit reads these from /proc: NULL when true had already ended.
        e1 = self.one(r.rows(q1))
        self.assertEqual(nullable(e1, "process_events", "ns_pid"), e1["pid"])
        self.assertEqual(nullable(e1, "process_events", "pid_ns"), host_pid_ns)
        self.assertEqual(nullable(e1, "process_events", "mnt_ns"), host_mnt_ns)
        e2 = self.one(r.rows(q2))
        self.assertEqual(nullable(e2, "process_events", "ns_pid"), 1)
        self.assertNotEqual(e2["pid"], 1)
        if not (e2["pid_ns"] is None and may_be_null("process_events", "pid_ns")):
            self.assertIsNotNone(e2["pid_ns"])
            self.assertNotEqual(e2["pid_ns"], host_pid_ns)
            self.assertNotEqual(e2["mnt_ns"], host_mnt_ns)

    def test_cgroup_id(self):
        """A process moved into a fresh cgroup v2 directory has cgroup_id ==
        that directory's inode number."""
        root = cgroup2_mount()
        if root is None:
            unavailable(self, "no cgroup2 mount")
        m = marker()
        cg = os.path.join(root, "procsql-test-" + m)
        try:
            os.mkdir(cg)
        except OSError as e:
            unavailable(self, "cannot create a cgroup: %s" % e)
        self.addCleanup(os.rmdir, cg)
        s = Script()
        s.load()
        s.sh("echo $$ > %s/cgroup.procs || exit 1\nexec %s %s\n" % (cg, TRUE, m))
        q = self.true_events(s, m)
        r = s.run()
        e = self.one(r.rows(q))
        # Audit: NULL when true had ended before /proc was read at its exec
        # (the cgroup read before, at sh's exec, was another).
        self.assertEqual(nullable(e, "process_events", "cgroup_id"), os.stat(cg).st_ino)


if __name__ == "__main__":
    unittest.main()
