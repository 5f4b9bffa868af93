"""process_events for processes in REAL runc containers (Debian's runc, a
busybox-static rootfs built per test by containers.py), read through
Debian's python3 with the extension loaded in-process.

Covers: the path and cwd as the container sees them (busybox applets are
symlinks to /bin/busybox), ns_pid vs host pid, the container's pid/mnt
namespaces, cgroup_id == inode of the container's cgroup v2 directory, a
`#!` script and a relative symlink chain inside the container, `runc exec`
joining a running container, the controlling terminal of a terminal
container, and runc's own execs (`runc init` through /proc/self/exe, then
its cloned binary, whose path must be what /proc/PID/exe shows).
"""

import json
import os
import re
import unittest

from containers import Container, ns_inode, require_runc, runc_path
from procsql_test import (use_default_config, ProcsqlTestCase, marker, may_be_null, nullable,
                          python_connect_and_load)


def rows(conn, sql, args=()):
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def events_like(conn, m, extra=""):
    return rows(conn, "SELECT * FROM process_events WHERE argv LIKE ? %s ORDER BY eid"
                % (("AND " + extra) if extra else ""), ("%" + m + "%",))


class ContainerExecTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        require_runc(self)
        use_default_config(self)
        self.conn = python_connect_and_load()
        self.addCleanup(self.conn.close)
        self.host_mnt = ns_inode(os.getpid(), "mnt")
        self.host_pidns = ns_inode(os.getpid(), "pid")

    def one(self, rs, what):
        self.assertEqual(len(rs), 1, "expected exactly one %s: %r" % (what, rs))
        return rs[0]

    def test_command_in_container(self):
        """A command run by the container's shell: path /bin/busybox (the
        applet symlink is in filename), cwd inside the container, ns_pid a
        small number != pid, the container's pid/mnt namespaces (not the
        host's), cgroup_id == inode of the container's v2 cgroup directory;
        the shell itself is ns_pid 1 and the command's parent."""
        m = marker()
        c = Container(self, ["sh", "-c", "echo ready; read x; cd /work && /bin/true %s; exit 0" % m])
        c.start()
        c.read_until(b"ready")
        init = c.pid()
        cgdir = c.cgroup_v2_dir()
        cg_ino = os.stat(cgdir).st_ino
        mnt, pidns = ns_inode(init, "mnt"), ns_inode(init, "pid")
        c.send(b"go\n")
        self.assertEqual(c.wait(), 0, c.errors)
        self.assertNotEqual(mnt, self.host_mnt)
        self.assertNotEqual(pidns, self.host_pidns)

        evs = events_like(self.conn, m)
        sh = self.one([e for e in evs if e["comm"] == "sh"], "container shell exec")
        tr = self.one([e for e in evs if e["comm"] == "true"], "container true exec")
        print("container %s: cgroup %s (inode %d)" % (c.id, cgdir, cg_ino))
        print("shell row: %r" % {k: sh[k] for k in ("pid", "ns_pid", "path", "filename",
                                                     "cwd", "parent_path", "cgroup_id")})
        # The shell: runc resolved "sh" in the container's PATH.
        self.assertEqual(sh["pid"], init)
        self.assertEqual(sh["ns_pid"], 1)
        self.assertEqual(sh["path"], "/bin/busybox")
        self.assertEqual(sh["filename"], "/bin/sh")
        self.assertEqual(sh["cwd"], "/")
        self.assertEqual(sh["cgroup_id"], cg_ino)
        self.assertEqual(sh["mnt_ns"], mnt)
        self.assertEqual(sh["pid_ns"], pidns)
        # The command. (Audit reads ns_pid, the namespaces and the cgroup
        # from /proc: NULL when true had ended before they could be read.)
        self.assertEqual(tr["path"], "/bin/busybox")
        self.assertEqual(tr["filename"], "/bin/true")
        self.assertEqual(json.loads(tr["argv"]), ["/bin/true", m])
        self.assertEqual(tr["cwd"], "/work")
        if not (tr["ns_pid"] is None and may_be_null("process_events", "ns_pid")):
            self.assertNotEqual(tr["ns_pid"], tr["pid"])
            self.assertGreater(tr["ns_pid"], 1)
            self.assertLess(tr["ns_pid"], 50, "a fresh pid namespace numbers from 1")
        self.assertEqual(tr["parent"], init)
        self.assertEqual(tr["parent_path"], "/bin/busybox")
        self.assertEqual(nullable(tr, "process_events", "mnt_ns"), mnt)
        self.assertEqual(nullable(tr, "process_events", "pid_ns"), pidns)
        self.assertEqual(nullable(tr, "process_events", "cgroup_id"), cg_ino)
        self.assertEqual(tr["uid"], 0)
        self.assertEqual(tr["path_truncated"], 0)
        self.assertIsNone(tr["tty"])

    def test_script_and_symlink_chain_in_container(self):
        """process.cwd from config.json; a relative exec through a chain of
        relative symlinks resolves to /bin/busybox; a `#!/bin/sh` script has
        the interpreter's path and the script in filename/argv; all paths as
        seen inside the container (the host's rootfs prefix never shows)."""
        m1, m2 = marker(), marker()
        c = Container(self, ["sh", "-c", "./tool %s; ./script.sh %s; exit 0" % (m1, m2)],
                      cwd="/work/sub", files={"work/sub/script.sh": "#!/bin/sh\nexit 0\n"})
        os.chmod(os.path.join(c.rootfs, "work/sub/script.sh"), 0o755)
        tools = os.path.join(c.rootfs, "opt/tools")
        os.makedirs(tools)
        os.symlink("../../bin/true", os.path.join(tools, "link2"))  # -> /bin/true -> busybox
        os.symlink("../../opt/tools/link2", os.path.join(c.rootfs, "work/sub/tool"))
        r = c.run()
        self.assertEqual(r.returncode, 0, r)

        tool = self.one(events_like(self.conn, m1, "filename = './tool'"), "./tool exec")
        self.assertEqual(tool["path"], "/bin/busybox")
        self.assertEqual(tool["cwd"], "/work/sub")
        self.assertEqual(tool["comm"], "tool")
        self.assertNotIn(c.bundle, tool["path"])
        script = self.one(events_like(self.conn, m2, "filename = './script.sh'"),
                          "script exec")
        self.assertEqual(script["path"], "/bin/busybox")
        self.assertEqual(json.loads(script["argv"]), ["/bin/sh", "./script.sh", m2])
        self.assertEqual(script["cwd"], "/work/sub")
        self.assertEqual(script["comm"], "script.sh")

    def test_runc_exec_joins_running_container(self):
        """`runc exec` runs a process in the container's namespaces and
        cgroup: same pid_ns/mnt_ns/cgroup_id as the container's init."""
        m0, m = marker(), marker()
        c = Container(self, ["sh", "-c", ": %s; echo ready; read x; exit 0" % m0])
        c.start()
        c.read_until(b"ready")
        init = c.pid()
        cg_ino = os.stat(c.cgroup_v2_dir()).st_ino
        c.exec(["/bin/true", m])
        c.send(b"go\n")
        self.assertEqual(c.wait(), 0, c.errors)
        e = self.one(events_like(self.conn, m, "comm = 'true'"), "runc exec'd true")
        self.assertEqual(e["path"], "/bin/busybox")
        self.assertEqual(e["filename"], "/bin/true")
        init_row = self.one(events_like(self.conn, m0, "pid = %d" % init),
                            "container init exec")
        # Audit reads these from /proc: NULL when true had ended before they
        # could be read (runc moved it into the container's cgroup after its
        # fork, so what was read then does not hold).
        self.assertNotEqual(nullable(e, "process_events", "pid_ns"), ns_inode(os.getpid(), "pid"))
        self.assertEqual(nullable(e, "process_events", "pid_ns"), init_row["pid_ns"])
        self.assertEqual(nullable(e, "process_events", "mnt_ns"), init_row["mnt_ns"])
        self.assertEqual(nullable(e, "process_events", "cgroup_id"), cg_ino)
        self.assertNotEqual(e["pid"], init)
        if not (e["ns_pid"] is None and may_be_null("process_events", "ns_pid")):
            self.assertGreater(e["ns_pid"], 1)
            self.assertLess(e["ns_pid"], 50)
        self.assertEqual(e["cwd"], "/")

    def test_terminal_container_tty(self):
        """A terminal container (runc run on a pty made by the harness): its
        processes have the container's console as controlling terminal, the
        name `tty` prints inside the container."""
        m = marker()
        c = Container(self, ["sh"], terminal=True)
        c.start()
        c.send(b"tty; /bin/true %s; echo do''ne\n" % m.encode())
        out = c.read_until(b"done")
        c.send(b"exit 4\n")
        self.assertEqual(c.wait(), 4)
        found = re.search(rb"\n(/dev/pts/\d+)\r?\n", out)
        self.assertTrue(found, out)
        e = self.one(events_like(self.conn, m, "comm = 'true'"), "true on the console")
        self.assertEqual("/dev/" + e["tty"], found.group(1).decode())
        self.assertEqual(e["path"], "/bin/busybox")

    def test_runc_own_execs(self):
        """runc's own execs: `runc run` (path the host's runc), then its child
        `runc init`, first through /proc/self/exe (path the host's runc, comm
        `exe`), then the cloned binary through an fd (/dev/fd/N), whose path
        is printed (runc 1.1.5 here: a detached read-only bind mount, "/";
        memfd-based runc versions: /memfd:runc_cloned:/proc/self/exe (deleted))."""
        m = marker()
        c = Container(self, ["sh", "-c", "exit 0; echo %s" % m])
        r = c.run()
        self.assertEqual(r.returncode, 0, r)
        runc_pid = c.proc.pid
        runc_real = os.path.realpath(runc_path())
        run = self.one(rows(self.conn, "SELECT * FROM process_events WHERE pid = ? "
                            "AND argv LIKE ?", (runc_pid, "%" + c.id + "%")), "runc run exec")
        self.assertEqual(run["path"], runc_real)
        init = rows(self.conn, "SELECT * FROM process_events WHERE parent = ? "
                    "AND json_extract(argv, '$[1]') = 'init' ORDER BY eid", (runc_pid,))
        for e in init:
            print("runc init exec: pid %d comm %r filename %r path %r" % (
                e["pid"], e["comm"], e["filename"], e["path"]))
        self.assertGreaterEqual(len(init), 2, init)
        self.assertEqual(init[0]["filename"], "/proc/self/exe")
        self.assertEqual(init[0]["path"], runc_real)
        self.assertEqual(init[0]["comm"], "exe")
        cloned = [e for e in init if e["filename"].startswith("/dev/fd/")
                  or e["path"].startswith("/memfd:")]
        self.assertTrue(cloned, "no exec of runc's cloned binary: %r" % init)
        self.assertTrue(cloned[0]["path"] in ("/", runc_real)
                        or cloned[0]["path"].startswith("/memfd:runc"), cloned[0])

    def test_runc_cloned_binary_path_is_proc_exe(self):
        """While a created container waits in `runc:[2:INIT]` (still runc's
        cloned binary), the path procsql recorded for the exec of that binary
        is exactly what /proc/PID/exe shows ("/" with runc 1.1.5's read-only
        bind mount); after `runc start` the init pid execs the container's
        shell (ns_pid 1) and its exit status comes back."""
        m = marker()
        c = Container(self, ["sh", "-c", "exit 6; echo %s" % m])
        pid = c.create()
        exe = os.readlink("/proc/%d/exe" % pid)
        with open("/proc/%d/comm" % pid) as f:
            comm = f.read().strip()
        print("created init %d: /proc/PID/exe -> %r, comm %r" % (pid, exe, comm))
        # The init is a clone (runc:[0:PARENT] -> [1:CHILD] -> [2:INIT], each
        # made with CLONE_PARENT) of the `runc init` that `runc create`
        # started, with no exec between: same executable.
        evs = rows(self.conn, "SELECT * FROM process_events WHERE parent = ? "
                   "AND json_extract(argv, '$[1]') = 'init' ORDER BY eid", (c.runc_pid,))
        self.assertTrue(evs, "no `runc init` exec row")
        self.assertEqual(evs[-1]["path"], exe)
        self.assertNotEqual(evs[-1]["pid"], pid)
        c.start_created()
        self.assertEqual(c.wait_created(), 6)
        sh = self.one(events_like(self.conn, m, "pid = %d" % pid), "container shell exec")
        # Audit: NULL when the shell (exit 6) had ended before /proc was read.
        self.assertEqual(nullable(sh, "process_events", "ns_pid"), 1)
        self.assertEqual(sh["path"], "/bin/busybox")


if __name__ == "__main__":
    unittest.main()
