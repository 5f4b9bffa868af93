"""The container-era queries of queries/, run AS WRITTEN (Debian's python3
sqlite3 module, the extension loaded in-process) against real activity: real
runc containers (containers.py, laid out as Docker / containerd / CRI-O would
by container_layouts.py), a real pseudo-terminal, real memfd, deleted-file
and detached-mount execs, setuid binaries in /dev/shm.

Each query must fire on what it is about and stay quiet on a plain container
start and on ordinary host activity. Other things run on this machine, so
every assertion is about this test's own pids, markers or container ids.

  shell_with_tty_in_container.sql  an interactive busybox sh on a pty in a
      container (uid 1000, containerd/Kubernetes layout): the shell and the
      commands typed into it, a nested shell, a binary exec'd as /bin/ls but
      running busybox's sh (argv[0] 'sh') and one exec'd as /bin/sh running
      ls; a shell that was running BEFORE the collector started; quiet on a
      container without a terminal and on a host shell with a terminal.
  container_starts.sql  Docker- and containerd-layout containers with their
      runtime, name, image, pod and first command (not runc's own stage);
      pods' own cgroups and host activity are not containers; the
      documented resumption.
  exec_from_writable_dirs.sql  a copy run from /tmp, a setuid copy in
      /dev/shm run by nobody (escalated), a setgid copy in /var/tmp, a #!
      script in /tmp run by a relative name, a binary copied into a
      container's /tmp; quiet on /usr/bin and on a plain container start.
  fileless_exec.sql  a memfd, a deleted binary, a detached mount exec'd the
      way runc 1.1 does it, and a memfd NAMED runc_cloned:/proc/self/exe run
      by a non-runtime: all reported; runc's own self-exec on `runc run` and
      `runc exec` is not.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from container_layouts import (clean_procsql_env, containerd_container,
                               docker_container, query_text, rows, run_query, window_after)
from containers import DEFAULT_APPLETS, RUNC_ROOT, require_runc, runc_path
from procsql_test import ProcsqlTestCase, marker, nullable, python_connect_and_load, require_tool

QUERY_FILES = ("shell_with_tty_in_container.sql", "container_starts.sql",
               "exec_from_writable_dirs.sql", "fileless_exec.sql")

# The descendants of one process through clone_events (runc's tree).
TREE = """
WITH RECURSIVE tree(pid) AS (
    SELECT ?
    UNION
    SELECT c.child_pid FROM clone_events c JOIN tree t ON c.pid = t.pid
     WHERE c.child_pid IS NOT NULL
)
SELECT pid FROM tree
"""

# Runs a binary from a detached mount as runc 1.1 runs its cloned self:
# open_tree(OPEN_TREE_CLONE) of the file, then fexecve (execveat(fd, "",
# AT_EMPTY_PATH)): /proc/PID/exe reads "/", filename /dev/fd/N.
DETACHED_EXEC = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_open_tree, OPEN_TREE_CLONE, AT_FDCWD = 428, 1, -100
fd = libc.syscall(SYS_open_tree, AT_FDCWD, sys.argv[1].encode(), OPEN_TREE_CLONE)
if fd < 0:
    sys.exit("open_tree: " + os.strerror(ctypes.get_errno()))
os.execve(fd, sys.argv[2:], {})
"""

# Copies a binary, opens it, unlinks it, then runs it through the fd:
# /proc/PID/exe reads "<path> (deleted)".
DELETED_EXEC = r"""
import os, shutil, sys
path = sys.argv[1]
shutil.copy(sys.argv[2], path)
os.chmod(path, 0o755)
fd = os.open(path, os.O_RDONLY)
os.unlink(path)
os.execve(fd, sys.argv[3:], {})
"""


def mine(rs, m):
    """Rows whose cmdline holds marker m."""
    return [r for r in rs if m in (r.get("cmdline") or "")]


class ContainerQueriesTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        require_runc(self)
        # runc's state (names, pod) is read from RUNC_ROOT, where containers.py
        # keeps ours; the rest at the defaults.
        clean_procsql_env(self, PROCSQL_RUNC_ROOTS=RUNC_ROOT)
        self.conn = None

    def load(self):
        self.conn = python_connect_and_load()
        self.addCleanup(self.conn.close)
        return self.conn

    # ------------------------------------------------------------ headers

    def test_queries_are_headed_and_resume_by_eid(self):
        for name in QUERY_FILES:
            sql = query_text(name)
            head = []
            for line in sql.splitlines():
                if not line.startswith("--"):
                    break
                head.append(line)
            head = "\n".join(head)
            self.assertIn("-- Question:", head, name)
            self.assertIn("-- Driving table: process_events", head, name)
            self.assertIn("-- Cron", head, name)
            self.assertIn("procsql_window(@job, 'process_events')", sql, name)

    # ------------------------------------------------- shell with a terminal

    def test_shell_with_tty_in_container(self):
        conn = self.load()
        m = marker()

        def as_uid_1000(config):
            config["process"]["user"] = {"uid": 1000, "gid": 1000}

        c, k8s = containerd_container(self, ["sh"], terminal=True, edit=as_uid_1000)
        c.start()
        c.send(b"echo st-$((2+3))\n")
        c.read_until(b"st-5")
        shell_pid = c.pid()
        # An external command typed into the shell (full path: busybox's sh
        # would run a bare applet name without exec).
        c.send(("/bin/ls -d /bin /%sa; echo ok-$((1+1))\n" % m).encode())
        c.read_until(b"ok-2")
        # A nested shell (argv busybox sh), and a command typed into it.
        c.send(("/bin/busybox sh -c '/bin/ls -d /%sb; exit 0'; echo ok-$((2+2))\n" % m).encode())
        c.read_until(b"ok-4")
        # What runs decides, not the file name: /bin/ls exec'd with argv[0]
        # 'sh' IS busybox's shell; /bin/sh exec'd with argv[0] 'ls' is ls.
        c.send(("/bin/sh -c \"exec -a sh /bin/ls -c '/bin/ls -d /%ss; exit 0'\"; "
                "echo ok-$((3+3))\n" % m).encode())
        c.read_until(b"ok-6")
        c.send(("/bin/sh -c 'exec -a ls /bin/sh -d /%sn'; echo ok-$((4+4))\n" % m).encode())
        c.read_until(b"ok-8")
        c.send(b"exit 0\n")
        self.assertEqual(c.wait(), 0, c.output)

        # Quiet: the same commands from a container without a terminal, and
        # from a host shell that has one.
        plain, plain_id = docker_container(
            self, ["sh", "-c", "/bin/ls -d /bin /%sp; exit 0" % m])
        self.assertEqual(plain.run().returncode, 0)
        script = require_tool(self, "script")
        subprocess.run([script, "-qec", "/bin/sh -c '/usr/bin/true %sh; exit 0'" % m,
                        "/dev/null"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       check=True)
        host = rows(conn, "SELECT tty FROM process_events WHERE argv LIKE ? AND path = ?",
                    ("%" + m + "h%", os.path.realpath("/usr/bin/true")))
        self.assertEqual(len(host), 1, host)
        self.assertIsNotNone(host[0]["tty"], "the host command had no terminal")

        result = run_query(conn, "shell_with_tty_in_container.sql")
        ours = [r for r in result if r["container_id"] == k8s["id"]]
        print(json.dumps(ours, indent=1))
        self.assertEqual([r for r in result if r["container_id"] == plain_id], [],
                         "a container without a terminal was reported")
        self.assertEqual([r for r in result if m + "h" in (r["cmdline"] or "")], [],
                         "a host shell was reported")
        self.assertEqual([r for r in result if r["container_id"] is None], [])

        shells = [r for r in ours if r["event"] == "shell"]
        cmds = [r for r in ours if r["event"] == "command"]
        # The interactive shell itself: the container's init, uid 1000, a pty.
        outer = [s for s in shells if s["pid"] == shell_pid]
        self.assertEqual(len(outer), 1, shells)
        outer = outer[0]
        self.assertEqual(outer["shell"], "busybox sh")
        self.assertEqual(outer["uid"], 1000)
        self.assertRegex(outer["tty"] or "", r"^pts/\d+$")
        self.assertEqual(outer["cmdline"], "sh")

        def command(suffix):
            found = [r for r in cmds if (m + suffix) in (r["cmdline"] or "")]
            return found

        # The typed command: its shell, user, command line, container.
        a = command("a")
        self.assertEqual(len(a), 1, cmds)
        a = a[0]
        self.assertEqual(a["shell_pid"], shell_pid)
        self.assertEqual(a["shell"], "busybox sh")
        self.assertEqual(a["cmdline"], "/bin/ls -d /bin /%sa" % m)
        self.assertEqual(a["path"], "/bin/busybox")
        self.assertEqual(a["uid"], 1000)
        self.assertEqual(a["tty"], outer["tty"])
        self.assertEqual(a["pod_uid"], k8s["pod_uid"])

        # The nested shell is a command of the outer one and a shell itself;
        # the command typed into it belongs to it.
        nested = [r for r in cmds if r["cmdline"].startswith("/bin/busybox sh -c")
                  and (m + "b") in r["cmdline"]]
        self.assertEqual(len(nested), 1, cmds)
        self.assertEqual(nested[0]["shell_pid"], shell_pid)
        nested_shell = [s for s in shells if s["pid"] == nested[0]["pid"]]
        self.assertEqual(len(nested_shell), 1, shells)
        self.assertEqual(nested_shell[0]["shell"], "busybox sh")
        b = command("b")
        b = [r for r in b if not r["cmdline"].startswith("/bin/busybox")]
        self.assertEqual(len(b), 1, cmds)
        self.assertEqual(b[0]["shell_pid"], nested[0]["pid"])

        # /bin/ls run with argv[0] 'sh' is a shell; its child is its command.
        s_cmd = [r for r in command("s") if r["cmdline"] == "/bin/ls -d /%ss" % m]
        self.assertEqual(len(s_cmd), 1, cmds)
        fake_ls_pid = s_cmd[0]["shell_pid"]
        ev = rows(conn, "SELECT eid, filename, argv FROM process_events WHERE pid = ? "
                        "AND filename = '/bin/ls' AND argv LIKE ?", (fake_ls_pid, "%" + m + "s%"))
        self.assertEqual(len(ev), 1, ev)
        self.assertEqual(json.loads(ev[0]["argv"])[0], "sh")
        self.assertIn(ev[0]["eid"], [s["eid"] for s in shells])
        # /bin/sh run with argv[0] 'ls' is not a shell (it is a command).
        not_shell = [r for r in ours if (m + "n") in r["cmdline"] and r["cmdline"].startswith("ls ")]
        self.assertEqual([r["event"] for r in not_shell], ["command"], ours)

        # Pod, namespace, name and runtime come from container_map, which
        # takes them from runc's state / config.json annotations.
        self.assertEqual(
            {k: a[k] for k in ("runtime", "pod_name", "pod_namespace", "container_name", "image")},
            {"runtime": "containerd", "pod_name": k8s["pod_name"],
             "pod_namespace": k8s["namespace"], "container_name": k8s["name"],
             "image": k8s["image"]},
            "container_map metadata of a containerd (CRI) container")

    def test_shell_started_before_the_collector(self):
        """A shell already running when procsql loads has no exec row: its
        commands are still attributed to it (through `processes`)."""
        m = marker()
        c, cid = docker_container(self, ["sh"], terminal=True)
        c.start()
        c.send(b"echo st-$((2+3))\n")
        c.read_until(b"st-5")
        shell_pid = c.pid()
        conn = self.load()  # the collector starts now
        c.send(("/bin/ls -d /%sL; echo ok-$((1+1))\n" % m).encode())
        c.read_until(b"ok-2")
        result = run_query(conn, "shell_with_tty_in_container.sql")
        ours = [r for r in result if r["container_id"] == cid]
        c.send(b"exit 0\n")
        self.assertEqual(c.wait(), 0)
        print(json.dumps(ours, indent=1))
        cmd = [r for r in ours if r["cmdline"] == "/bin/ls -d /%sL" % m]
        self.assertEqual(len(cmd), 1, ours)
        self.assertEqual(cmd[0]["event"], "command")
        self.assertEqual(cmd[0]["shell_pid"], shell_pid)
        self.assertEqual(cmd[0]["shell"], "busybox sh")
        self.assertEqual(cmd[0]["runtime"], "docker")
        self.assertEqual([r for r in ours if r["event"] == "shell"], [])

    # ------------------------------------------------------ container starts

    def test_container_starts(self):
        conn = self.load()
        m = marker()
        d, did = docker_container(self, ["sh", "-c", "/bin/true %sd; exit 0" % m])
        self.assertEqual(d.run().returncode, 0)
        s, sid = docker_container(self, ["sh", "-c", "echo ready; read x; exit 0"], scope=True)
        s.start()
        s.read_until(b"ready")
        k, k8s = containerd_container(self, ["sh", "-c", "echo ready; read x; exit 0"])
        k.start()
        k.read_until(b"ready")
        subprocess.run(["/usr/bin/true", m + "host"], check=True)

        result = run_query(conn, "container_starts.sql")
        by_id = {r["container_id"]: r for r in result}
        for x in (s, k):
            x.send(b"go\n")
            self.assertEqual(x.wait(), 0)
        print(json.dumps([by_id.get(i) for i in (did, sid, k8s["id"])], indent=1))

        # Quiet: every row is a container (no host row, no pod's own cgroup).
        self.assertTrue(all(r["container_id"] for r in result), result)
        self.assertEqual([r for r in result if m + "host" in (r["first_cmdline"] or "")], [])

        # The short-lived Docker container (already gone): its first command
        # is its entrypoint, not runc's own stage.
        self.assertIn(did, by_id)
        r = by_id[did]
        self.assertEqual(r["runtime"], "docker")
        self.assertEqual(r["first_cmdline"], "sh -c /bin/true %sd; exit 0" % m)
        self.assertEqual(r["first_path"], "/bin/busybox")
        self.assertIsNotNone(r["removed_time"])
        self.assertIsNotNone(r["created_time"])
        self.assertEqual(r["cgroup_path"], "/docker/" + did)
        # The systemd-style scope name.
        self.assertIn(sid, by_id)
        self.assertEqual(by_id[sid]["runtime"], "docker")
        self.assertEqual(by_id[sid]["cgroup_path"], "/system.slice/docker-%s.scope" % sid)
        self.assertEqual(by_id[sid]["first_cmdline"], "sh -c echo ready; read x; exit 0")
        self.assertIsNone(by_id[sid]["removed_time"])

        # Resumption: a job whose window starts past the largest first_eid
        # does not report the same containers again.
        last = max(r["first_eid"] or 0 for r in result)
        again = run_query(conn, "container_starts.sql", replace=window_after(last))
        self.assertEqual([r for r in again if r["container_id"] in (did, sid, k8s["id"])], [])

        # The containerd (Kubernetes) container: runtime, name, image, pod.
        self.assertIn(k8s["id"], by_id)
        r = by_id[k8s["id"]]
        self.assertEqual(r["pod_uid"], k8s["pod_uid"])
        self.assertEqual(r["first_cmdline"], "sh -c echo ready; read x; exit 0")
        self.assertEqual(
            {f: r[f] for f in ("runtime", "container_name", "image", "pod_name", "pod_namespace")},
            {"runtime": "containerd", "container_name": k8s["name"], "image": k8s["image"],
             "pod_name": k8s["pod_name"], "pod_namespace": k8s["namespace"]},
            "metadata of a running containerd (CRI) container")

    # ------------------------------------------------ writable directories

    def test_exec_from_writable_dirs(self):
        conn = self.load()
        m = marker()
        true = os.path.realpath("/usr/bin/true")
        tmp = self.tmpdir()  # under /tmp
        shm = tempfile.mkdtemp(prefix="procsql-test-", dir="/dev/shm")
        self.addCleanup(shutil.rmtree, shm, True)
        os.chmod(shm, 0o755)
        vartmp = tempfile.mkdtemp(prefix="procsql-test-", dir="/var/tmp")
        self.addCleanup(shutil.rmtree, vartmp, True)
        os.chmod(vartmp, 0o755)

        plain = os.path.join(tmp, "tool")
        shutil.copy(true, plain)
        os.chmod(plain, 0o755)
        suid = os.path.join(shm, "suid")
        shutil.copy(true, suid)
        os.chmod(suid, 0o4755)
        sgid = os.path.join(vartmp, "sgid")
        shutil.copy(true, sgid)
        os.chmod(sgid, 0o2755)
        script = os.path.join(tmp, "run.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(script, 0o755)

        subprocess.run([plain, m + "tmp"], check=True)
        setpriv = require_tool(self, "setpriv")
        subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                        suid, m + "shm"], check=True)
        subprocess.run([sgid, m + "var"], check=True)
        subprocess.run(["./run.sh", m + "script"], cwd=tmp, check=True)
        # Quiet on ordinary host activity.
        subprocess.run(["/usr/bin/true", m + "usr"], check=True)
        # A container that copies its busybox into its own /tmp and runs it.
        c, cid = docker_container(
            self, ["sh", "-c", "cat /bin/busybox > /tmp/busybox && "
                               "chmod 755 /tmp/busybox && /tmp/busybox true %sct; exit 0" % m],
            readonly=False, applets=DEFAULT_APPLETS + ("chmod",))
        self.assertEqual(c.run().returncode, 0, c.errors)
        # Quiet on a plain container start.
        p, pid_ = docker_container(self, ["sh", "-c", "/bin/true %spl; exit 0" % m])
        self.assertEqual(p.run().returncode, 0)

        result = run_query(conn, "exec_from_writable_dirs.sql")
        ours = mine(result, m)
        print(json.dumps(ours, indent=1))
        got = {r["cmdline"].split()[-1][len(m):]: r for r in ours}
        self.assertEqual(sorted(got), sorted(["tmp", "shm", "var", "script", "ct"]), ours)
        self.assertEqual([r for r in result if r["container_id"] == pid_], [])

        r = got["tmp"]
        self.assertEqual((r["path"], r["what"], r["setuid"], r["setgid"], r["escalated"]),
                         (plain, "binary", 0, 0, 0))
        r = got["shm"]
        self.assertEqual((r["path"], r["what"], r["setuid"], r["setgid"]),
                         (suid, "binary", 1, 0))
        self.assertEqual((r["uid"], r["euid"], r["escalated"], r["perms"]), (65534, 0, 1, "4755"))
        r = got["var"]
        self.assertEqual((r["path"], r["setuid"], r["setgid"], r["perms"]), (sgid, 0, 1, "2755"))
        r = got["script"]
        self.assertEqual((r["what"], r["filename"], r["cwd"]), ("script or link", "./run.sh", tmp))
        r = got["ct"]
        # (On audit a process that ended before /proc was read at its exec
        # has no cgroup, hence no container: the busybox copy ends at once.)
        self.assertEqual((r["path"], r["what"], nullable(r, "process_events", "container_id")),
                         ("/tmp/busybox", "binary", cid))

        # Resumption: after the largest eid reported, nothing of ours again.
        last = max(r["eid"] for r in result)
        again = run_query(conn, "exec_from_writable_dirs.sql", replace=window_after(last))
        self.assertEqual(mine(again, m), [])
        subprocess.run([plain, m + "later"], check=True)
        again = run_query(conn, "exec_from_writable_dirs.sql", replace=window_after(last))
        self.assertEqual([r["cmdline"] for r in mine(again, m)], ["%s %slater" % (plain, m)])

    # ------------------------------------------------------------- fileless

    def test_fileless_exec(self):
        conn = self.load()
        m = marker()
        memfd_exec = self.prog("memfd_exec")
        true = os.path.realpath("/usr/bin/true")
        tmp = self.tmpdir()

        # A memfd; an attacker's memfd named like runc's clone, with runc's
        # argv; a deleted binary; a detached mount used exactly as runc does.
        subprocess.run([memfd_exec, "payload-" + m, true, "x", m + "memfd"], check=True)
        subprocess.run([memfd_exec, "runc_cloned:/proc/self/exe", true,
                        "/usr/sbin/runc", "init", m + "fake"], check=True)
        gone = os.path.join(tmp, "gone")
        subprocess.run([sys.executable, "-c", DELETED_EXEC, gone, true, "gone", m + "deleted"],
                       check=True)
        subprocess.run([sys.executable, "-c", DETACHED_EXEC, true, "runc", "init", m + "detached"],
                       check=True)
        subprocess.run(["/usr/bin/true", m + "host"], check=True)

        # A plain container start and a `runc exec`: runc's own self-exec.
        c, cid = docker_container(self, ["sh", "-c", "echo ready; read x; exit 0"])
        c.start()
        c.read_until(b"ready")
        c.exec(["/bin/true", m + "exec"])
        c.send(b"go\n")
        self.assertEqual(c.wait(), 0)
        tree = {r[0] for r in conn.execute(TREE, (c.runc_pid,))}
        runc_self = rows(conn, "SELECT eid, pid, path, filename FROM process_events "
                               "WHERE path = '/' AND comm = 'runc' AND filename GLOB '/dev/fd/*'")
        runc_self = [r for r in runc_self if r["pid"] in tree]
        self.assertGreaterEqual(len(runc_self), 1,
                                "runc's self-exec of the container start was not seen")

        result = run_query(conn, "fileless_exec.sql")
        ours = mine(result, m)
        print(json.dumps(ours, indent=1))
        got = {r["cmdline"].split()[-1][len(m):]: r for r in ours}
        self.assertEqual(sorted(got), ["deleted", "detached", "fake", "memfd"], ours)
        self.assertEqual((got["memfd"]["kind"], got["memfd"]["path"]),
                         ("memfd", "/memfd:payload-%s (deleted)" % m))
        self.assertEqual((got["fake"]["kind"], got["fake"]["path"]),
                         ("memfd", "/memfd:runc_cloned:/proc/self/exe (deleted)"))
        self.assertEqual((got["deleted"]["kind"], got["deleted"]["path"]),
                         ("deleted", gone + " (deleted)"))
        self.assertEqual((got["detached"]["kind"], got["detached"]["path"]),
                         ("detached mount", "/"))
        self.assertRegex(got["detached"]["filename"], r"^/dev/fd/\d+$")

        # Quiet on runc's own self-exec (container start and runc exec), on
        # the container's processes and on host activity.
        self.assertEqual([r for r in result if r["pid"] in tree], [],
                         "runc's self-exec on a container start was reported")
        self.assertEqual([r for r in result if r["container_id"] == cid], [])
        runc_exec = rows(conn, "SELECT pid FROM process_events WHERE path = ? AND argv LIKE ?",
                         (runc_path(), "%" + m + "exec%"))
        self.assertEqual(len(runc_exec), 1, runc_exec)
        exec_tree = {r[0] for r in conn.execute(TREE, (runc_exec[0]["pid"],))}
        exec_self = rows(conn, "SELECT pid FROM process_events WHERE path = '/' AND "
                               "filename GLOB '/dev/fd/*'")
        self.assertTrue([r for r in exec_self if r["pid"] in exec_tree],
                        "runc exec's self-exec was not seen")
        self.assertEqual([r for r in result if r["pid"] in exec_tree], [],
                         "runc exec's self-exec was reported")


if __name__ == "__main__":
    unittest.main()
