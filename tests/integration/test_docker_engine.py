"""procsql against a REAL Docker engine (Debian's docker.io 20.10: dockerd,
its containerd, containerd-shim-runc-v2, runc) and a real Podman (Debian's
podman 4.3 with conmon and runc), each of the test class's own
(docker_engine.py). No layout is imitated here: the cgroups, the runtime's
state and the processes are the engines' own. The extension runs in the
stock sqlite3 shell (a live session, or a Script as the other tests run it)
and once in Debian's python3 sqlite3 module.

Docker (cgroupfs driver, so each container is the cgroup /docker/<id>):
  container_map   a container started before the collector (the start-up
                  scan) and one started after it: runtime docker, the full
                  64-hex id, the --name, the image as docker reports it
                  (Config.Image), cgroup path and id, processes' view; a
                  removed container keeps its row with removed_time.
  short-lived     `docker run --rm IMG /bin/true MARKER` lives milliseconds:
                  its exec row carries the id and joins container_map; the
                  docker client's own exec (same marker) is the host's.
  exec -it        `docker exec -it CID sh` on a pty: shell_with_tty_in_
                  container.sql reports that shell and the command typed
                  into it, not a `docker exec` without a terminal.
  container_starts.sql   each container once, with its first command (not
                  runc's stage, not a later `docker exec`), also a
                  short-lived one and a restarted one.
  restart         `docker restart`: the same id in a new cgroup (two map
                  rows, one removed), both starts' execs attributed.
  python3         exec, clone and exit rows of `docker exec` through
                  python3's sqlite3 module, and processes.
  host view       procsql reads Docker's names and images only from
                  /var/lib/docker/containers: for this engine's data root
                  they are NULL, never guessed (the other tests run the
                  shell where the engine's directory is at that path:
                  DockerEngine.metadata_prefix()).
Podman (cgroupfs manager, /libpod_parent/libpod-<id>): container_map,
  attribution of a short-lived `podman run --rm`, of `podman exec`, and
  `podman exec -it` in shell_with_tty_in_container.sql.

Every test finds its rows by its own container ids, names and markers.
"""

import json
import os
import re
import subprocess
import time
import unittest

from daemon_harness import PythonClient
from docker_engine import IMAGE_REF, PODMAN_IMAGE_REF, DockerEngine, PodmanEngine, ShellSession
from procsql_test import BUILD_DIR, ProcsqlTestCase, Script, marker, may_be_null, nullable, sql_str

MAP_COLUMNS = ["cgroup_id", "cgroup_path", "container_id", "runtime", "container_name",
               "image", "pod_uid", "pod_name", "pod_namespace", "created_time",
               "removed_time", "cgroup_path_truncated"]
HEX64 = re.compile(r"^[0-9a-f]{64}$")
TTY_QUERY = "queries/shell_with_tty_in_container.sql"
STARTS_QUERY = "queries/container_starts.sql"


class EngineTestCase(ProcsqlTestCase):
    engine = None

    def one(self, rs, what):
        self.assertEqual(len(rs), 1, "expected exactly one %s: %s" % (what, json.dumps(rs, indent=1)))
        return rs[0]

    def map_row(self, session, cid):
        return self.one(session.query("SELECT * FROM container_map WHERE container_id = ?", (cid,)),
                        "container_map row of %s" % cid)

    def typed_shell(self, cid, m):
        """`<engine> exec -it CID sh`: types a command with marker M+'a' and
        exits; returns the shell's pid in the container's pid namespace."""
        t = self.engine.exec_tty(self, cid, ["sh"])
        t.send(b"echo pid-$$-$((2+3))\n")
        out = t.read_until(b"-5\r\n").decode(errors="replace")
        ns_pid = int(re.search(r"pid-(\d+)-5\r\n", out).group(1))
        t.send(("/bin/ls -d /bin /%sa; echo ok-$((1+1))\n" % m).encode())
        t.read_until(b"ok-2")
        t.send(b"exit 0\n")
        self.assertEqual(t.wait(), 0, t.output)
        return ns_pid

    def check_typed_shell(self, s, cid, m, ns_pid, runtime, name, image):
        """What shell_with_tty_in_container.sql says of typed_shell()."""
        result = s.read(TTY_QUERY)
        ours = [r for r in result if r["container_id"] == cid]
        print(json.dumps(ours, indent=1))
        shell = self.one([r for r in ours if r["event"] == "shell"], "shell row")
        self.assertEqual(
            {k: shell[k] for k in ("shell", "cmdline", "path", "uid", "runtime", "container_name",
                                   "image", "pod_uid")},
            {"shell": "busybox sh", "cmdline": "sh", "path": "/bin/busybox", "uid": 0,
             "runtime": runtime, "container_name": name, "image": image, "pod_uid": None})
        self.assertRegex(shell["tty"] or "", r"^pts/\d+$")
        self.assertEqual(shell["shell_pid"], shell["pid"])
        # The shell row is the exec of the shell we typed into: its pid in the
        # container's namespace is the $$ it printed.
        ev = self.one(s.query("SELECT ns_pid, tty FROM process_events WHERE eid = ?", (shell["eid"],)),
                      "the shell's exec row")
        self.assertEqual(nullable(ev, "process_events", "ns_pid"), ns_pid)
        cmd = self.one([r for r in ours if r["event"] == "command"], "command row")
        self.assertEqual(
            {k: cmd[k] for k in ("cmdline", "path", "shell_pid", "shell", "tty", "uid", "runtime",
                                 "container_name", "image")},
            {"cmdline": "/bin/ls -d /bin /%sa" % m, "path": "/bin/busybox",
             "shell_pid": shell["pid"], "shell": "busybox sh", "tty": shell["tty"], "uid": 0,
             "runtime": runtime, "container_name": name, "image": image})
        self.assertEqual([r for r in result if m + "b" in (r["cmdline"] or "")], [],
                         "a command run without a terminal was reported")
        return result


# ==========================================================================
# Docker

class DockerEngineTest(EngineTestCase):

    @classmethod
    def setUpClass(cls):
        cls.engine = DockerEngine.for_class(cls)
        print("dockerd %s up with its image in %.2f s (%s)"
              % (cls.engine.server_version, cls.engine.startup_s, cls.engine.base))

    def session(self, names=True):
        """The sqlite3 shell with procsql loaded; with NAMES, where the
        engine's containers directory is /var/lib/docker/containers."""
        return ShellSession(self, prefix=self.engine.metadata_prefix() if names else ())

    def running(self, args=("sleep", "3600"), **kw):
        """A detached container, removed at cleanup; (id, name)."""
        name = self.engine.unique_name()
        cid = self.engine.run_detached(list(args), name=name, **kw)
        self.addCleanup(self.engine.rm, cid)
        return cid, name

    # ------------------------------------------------------ container_map

    def check_map_row(self, row, cid, name):
        e = self.engine
        info = e.inspect(cid)
        self.assertRegex(cid, HEX64)
        self.assertEqual(sorted(row), sorted(MAP_COLUMNS))
        self.assertEqual(
            {k: row[k] for k in ("container_id", "runtime", "container_name", "image", "cgroup_path",
                                 "pod_uid", "pod_name", "pod_namespace", "removed_time",
                                 "cgroup_path_truncated")},
            {"container_id": info["Id"], "runtime": "docker", "container_name": info["Name"].lstrip("/"),
             "image": info["Config"]["Image"], "cgroup_path": "/docker/" + cid,
             "pod_uid": None, "pod_name": None, "pod_namespace": None, "removed_time": None,
             "cgroup_path_truncated": 0})
        self.assertEqual((row["container_name"], row["image"]), (name, IMAGE_REF))
        cgdir = e.cgroup_v2_dir(cid)
        self.assertTrue(cgdir.endswith("/docker/" + cid), cgdir)
        self.assertEqual(row["cgroup_id"], os.stat(cgdir).st_ino)

    def test_container_map(self):
        e = self.engine
        t0 = time.time_ns()
        before, before_name = self.running()
        t1 = time.time_ns()
        s = self.session()
        t2 = time.time_ns()
        after, after_name = self.running()
        t3 = time.time_ns()

        rows = {cid: self.map_row(s, cid) for cid in (before, after)}
        print(json.dumps(rows, indent=1))
        self.check_map_row(rows[before], before, before_name)
        self.check_map_row(rows[after], after, after_name)
        # Older than the collector: the cgroup directory's ctime; newer: the
        # kernel's mkdir event.
        self.assertTrue(t0 <= rows[before]["created_time"] <= t1, (t0, t1, rows[before]))
        self.assertTrue(t2 <= rows[after]["created_time"] <= t3, (t2, t3, rows[after]))
        for cid in (before, after):
            p = self.one(s.query("SELECT container_id, cgroup_id FROM processes WHERE pid = ?",
                                 (e.pid(cid),)), "processes row")
            self.assertEqual((p["container_id"], p["cgroup_id"]), (cid, rows[cid]["cgroup_id"]))

        # Removed: the row stays (PROCSQL_CONTAINER_GRACE), with its removal.
        e.rm(after)
        t4 = time.time_ns()
        gone = self.map_row(s, after)
        self.assertEqual({k: v for k, v in gone.items() if k != "removed_time"},
                         {k: v for k, v in rows[after].items() if k != "removed_time"})
        self.assertIsNotNone(gone["removed_time"], gone)
        self.assertTrue(t3 <= gone["removed_time"] <= t4, (t3, t4, gone))
        self.assertIsNone(self.map_row(s, before)["removed_time"])

    # ------------------------------------------------- short-lived container

    def test_short_lived_container(self):
        """`docker run --rm IMG /bin/true MARKER`, run by the shell's .shell
        after .load (as the other tests drive the shell), queried after the
        container is gone."""
        e = self.engine
        m = marker()
        name = e.unique_name()
        cidfile = os.path.join(self.tmpdir(), "cid")
        s = Script()
        s.load()
        s.sh(e.shell_command("run", "--rm", "--network", "none", "--cidfile", cidfile, "--name", name,
                             IMAGE_REF, "/bin/true", m) + "\n")
        q = s.query("SELECT e.eid, e.pid, e.ns_pid, e.path, e.filename, e.cmdline, e.time_ns, "
                    "e.cgroup_id, e.container_id, m.container_id AS map_id, m.runtime, "
                    "m.container_name, m.image, m.cgroup_path, m.created_time, m.removed_time "
                    "FROM process_events e LEFT JOIN container_map m ON m.cgroup_id = e.cgroup_id "
                    "WHERE e.argv LIKE %s ORDER BY e.eid" % sql_str("%" + m + "%"))
        r = s.run(prefix=e.metadata_prefix())
        with open(cidfile) as f:
            cid = f.read().strip()
        self.assertRegex(cid, HEX64)
        rows = r.rows(q)
        print(json.dumps(rows, indent=1))
        # The docker client (a host process) and the container's /bin/true.
        client = self.one([x for x in rows if x["path"] == "/usr/bin/docker"], "client exec")
        self.assertEqual((client["container_id"], client["runtime"]), (None, None))
        true = self.one([x for x in rows if x["path"] != "/usr/bin/docker"], "exec in the container")
        self.assertEqual(len(rows), 2, rows)
        self.assertEqual((true["path"], true["filename"], true["cmdline"]),
                         ("/bin/busybox", "/bin/true", "/bin/true " + m))
        self.assertEqual(nullable(true, "process_events", "ns_pid"), 1)  # the container's init
        if true["cgroup_id"] is None and may_be_null("process_events", "cgroup_id"):
            # Audit: true was gone before /proc showed its cgroup; the
            # removed container is still listed.
            self.assertIsNone(true["container_id"])
            return
        self.assertEqual(true["container_id"], cid)
        self.assertEqual(
            {k: true[k] for k in ("map_id", "runtime", "container_name", "image", "cgroup_path")},
            {"map_id": cid, "runtime": "docker", "container_name": name, "image": IMAGE_REF,
             "cgroup_path": "/docker/" + cid})
        # `docker run --rm` returns once the container is removed (its cgroup too).
        self.assertIsNotNone(true["removed_time"], true)
        self.assertTrue(true["created_time"] <= true["time_ns"] <= true["removed_time"], true)

    # ------------------------------------------------------- exec -it shell

    def test_exec_tty_shell(self):
        e = self.engine
        s = self.session()
        m = marker()
        cid, name = self.running()
        ns_pid = self.typed_shell(cid, m)
        # Quiet: the same without a terminal, and a container without one.
        e.exec(cid, ["sh", "-c", "/bin/ls -d /%sb; exit 0" % m], check=False)
        other = e.run(["sh", "-c", "/bin/ls -d /bin /%sb; exit 0" % m], check=True)
        result = self.check_typed_shell(s, cid, m, ns_pid, "docker", name, IMAGE_REF)
        self.assertEqual([r for r in result if r["container_id"] == other.container_id], [])
        self.assertEqual([r for r in result if r["container_id"] is None], [])

    # ----------------------------------------------------- container starts

    def test_container_starts(self):
        e = self.engine
        s = self.session()
        m = marker()
        long_id, long_name = self.running(["sh", "-c", "sleep 3600 # %sl" % m])
        e.exec(long_id, ["/bin/true", m + "x"])  # a later exec: not a start
        short = e.run(["/bin/true", m + "s"], check=True)
        restarted, restarted_name = self.running(["sh", "-c", "sleep 3600 # %sr" % m])
        e.docker("restart", "-t", "0", restarted)
        e.docker("exec", restarted, "/bin/true", m + "y")

        result = s.read(STARTS_QUERY)
        ours = {cid: [r for r in result if r["container_id"] == cid]
                for cid in (long_id, short.container_id, restarted)}
        print(json.dumps(ours, indent=1))
        self.assertTrue(all(r["container_id"] for r in result), "a row without a container")
        for cid, name, first, removed in (
                (long_id, long_name, "sh -c sleep 3600 # %sl" % m, False),
                (short.container_id, short.name, "/bin/true %ss" % m, True),
                (restarted, restarted_name, "sh -c sleep 3600 # %sr" % m, None)):
            r = self.one(ours[cid], "container_starts row of %s" % name)
            self.assertEqual(
                {k: r[k] for k in ("runtime", "container_name", "image", "pod_uid", "cgroup_path",
                                   "first_path", "first_cmdline", "first_uid")},
                {"runtime": "docker", "container_name": name, "image": IMAGE_REF, "pod_uid": None,
                 "cgroup_path": "/docker/" + cid, "first_path": "/bin/busybox",
                 "first_cmdline": first, "first_uid": 0})
            if removed is not None:
                self.assertEqual(r["removed_time"] is not None, removed, r)
        # (The restarted container's removed_time is its first or its second
        # cgroup's: container_starts.sql picks one of the two map rows of
        # the id; see test_restart.)

    # ------------------------------------------------------------ restart

    def test_restart(self):
        """`docker restart`: the same id in a new cgroup of the same path."""
        e = self.engine
        s = self.session()
        m = marker()
        cid, name = self.running(["sh", "-c", "sleep 3600 # %s1" % m])
        first_pid = e.pid(cid)
        e.docker("restart", "-t", "0", cid)
        e.exec(cid, ["sh", "-c", "/bin/true %s2; exit 0" % m])
        rows = s.query("SELECT * FROM container_map WHERE container_id = ? ORDER BY created_time", (cid,))
        print(json.dumps(rows, indent=1))
        self.assertEqual(len(rows), 2, rows)
        old, new = rows
        self.assertNotEqual(old["cgroup_id"], new["cgroup_id"])
        self.assertEqual([r["cgroup_path"] for r in rows], ["/docker/" + cid] * 2)
        self.assertEqual([(r["runtime"], r["container_name"], r["image"]) for r in rows],
                         [("docker", name, IMAGE_REF)] * 2)
        self.assertIsNotNone(old["removed_time"])
        self.assertIsNone(new["removed_time"])
        self.assertTrue(old["removed_time"] <= new["created_time"], rows)
        self.assertEqual(new["cgroup_id"], os.stat(e.cgroup_v2_dir(cid)).st_ino)
        ex = s.query("SELECT pid, cgroup_id, container_id, cmdline FROM process_events "
                     "WHERE argv LIKE ? AND container_id IS NOT NULL ORDER BY eid", ("%" + m + "%",))
        print(json.dumps(ex, indent=1))
        self.assertEqual([(r["cmdline"], r["cgroup_id"], r["container_id"]) for r in ex],
                         [("sh -c sleep 3600 # %s1" % m, old["cgroup_id"], cid),
                          ("sh -c sleep 3600 # %s1" % m, new["cgroup_id"], cid),
                          ("sh -c /bin/true %s2; exit 0" % m, new["cgroup_id"], cid),
                          ("/bin/true %s2" % m, new["cgroup_id"], cid)])
        self.assertEqual(ex[0]["pid"], first_pid)
        p = self.one(s.query("SELECT cgroup_id, container_id FROM processes WHERE pid = ?", (e.pid(cid),)),
                     "processes row")
        self.assertEqual((p["cgroup_id"], p["container_id"]), (new["cgroup_id"], cid))

    # ------------------------------------------------------------ python3

    def test_python_sqlite3(self):
        """Through Debian's python3 sqlite3 module: `docker exec` as root and
        as uid 1000; the exec, clone and exit rows of what a shell in the
        container forks carry the id."""
        e = self.engine
        c = PythonClient(self, {"PROCSQL_MODE": "embedded"}, prefix=e.metadata_prefix())
        m = marker()
        cid, name = self.running()
        init = e.pid(cid)
        e.exec(cid, ["sh", "-c", "/bin/true %sr; exit 0" % m])
        e.exec(cid, ["sh", "-c", "/bin/true %su; exit 0" % m], options=["-u", "1000:1000"])
        rows = c.query("SELECT e.eid, e.pid, e.start_time, e.uid, e.comm, e.cmdline, e.container_id, "
                       "m.runtime, m.container_name, m.image FROM process_events e "
                       "LEFT JOIN container_map m ON m.cgroup_id = e.cgroup_id "
                       "WHERE e.argv LIKE ? AND e.comm = 'true' ORDER BY e.eid", ["%" + m + "%"])
        print(json.dumps(rows, indent=1))
        self.assertEqual([(r["cmdline"], r["uid"]) for r in rows],
                         [("/bin/true %sr" % m, 0), ("/bin/true %su" % m, 1000)])
        for r in rows:
            self.assertEqual(nullable(r, "process_events", "container_id"), cid)
            if r["container_id"] is None:
                continue
            self.assertEqual((r["runtime"], r["container_name"], r["image"]), ("docker", name, IMAGE_REF))
            if r["start_time"] is None:
                continue  # audit
            clone = self.one(c.query("SELECT container_id, comm FROM clone_events WHERE child_pid = ? "
                                     "AND child_start_time = ?", [r["pid"], r["start_time"]]), "clone row")
            self.assertEqual((nullable(clone, "clone_events", "container_id"), clone["comm"]), (cid, "sh"))
            exit_ = self.one(c.query("SELECT container_id, exit_code FROM process_exits WHERE pid = ? "
                                     "AND start_time = ?", [r["pid"], r["start_time"]]), "exit row")
            self.assertEqual((nullable(exit_, "process_exits", "container_id"), exit_["exit_code"]), (cid, 0))
        p = self.one(c.query("SELECT container_id, cmdline FROM processes WHERE pid = ?", [init]),
                     "processes row")
        self.assertEqual((p["container_id"], p["cmdline"]), (cid, "sleep 3600"))
        # dockerd itself is the host's.
        d = self.one(c.query("SELECT container_id FROM processes WHERE pid = ?", [e.proc.pid]), "dockerd")
        self.assertIsNone(d["container_id"])

    # ---------------------------------------------------------- host view

    def test_names_not_guessed_outside_var_lib_docker(self):
        """procsql reads Docker's names and images from
        /var/lib/docker/containers/<id>/config.v2.json only: a dockerd with
        another --data-root (this one) gets the id and runtime from the
        cgroup path, and NULL, not a guess, for name and image."""
        s = self.session(names=False)
        self.assertFalse(os.path.exists("/var/lib/docker/containers/" + "0" * 64))
        cid, name = self.running()
        row = self.map_row(s, cid)
        print(json.dumps(row, indent=1))
        self.assertTrue(os.path.exists(os.path.join(self.engine.containers_dir, cid, "config.v2.json")))
        self.assertEqual(
            {k: row[k] for k in ("runtime", "cgroup_path", "container_name", "image")},
            {"runtime": "docker", "cgroup_path": "/docker/" + cid, "container_name": None, "image": None})

    def test_names_with_docker_root_setting(self):
        """PROCSQL_DOCKER_ROOT names dockerd's --data-root: names and images
        come from there, without any mount trick, and procsql_stats says
        which root it read."""
        s = ShellSession(self, env={"PROCSQL_DOCKER_ROOT": self.engine.data_root + "/"})
        cid, name = self.running()
        row = self.map_row(s, cid)
        self.check_map_row(row, cid, name)
        stat = self.one(s.query("SELECT value FROM procsql_stats WHERE name = 'container_map.docker_root'"),
                        "the docker_root row")
        self.assertEqual(stat["value"], self.engine.data_root)

    def test_docker_root_must_be_absolute(self):
        out = subprocess.run(["sqlite3", ":memory:", ".load %s" % os.path.join(BUILD_DIR, "procsql")],
                             env=dict(os.environ, PROCSQL_DOCKER_ROOT="var/lib/docker"),
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("PROCSQL_DOCKER_ROOT must be an absolute path", out.stderr)
        self.assertEqual(out.stderr.count("\n"), 1, out.stderr)


# ==========================================================================
# Podman

class PodmanEngineTest(EngineTestCase):

    @classmethod
    def setUpClass(cls):
        cls.engine = PodmanEngine.for_class(cls)
        print("podman ready with its image in %.2f s (%s)" % (cls.engine.startup_s, cls.engine.base))

    def running(self, args=("sleep", "3600")):
        name = self.engine.unique_name()
        cid = self.engine.run_detached(list(args), name=name)
        self.addCleanup(self.engine.rm, cid)
        return cid, name

    def test_container_map_and_attribution(self):
        e = self.engine
        s = ShellSession(self)
        m = marker()
        t0 = time.time_ns()
        cid, name = self.running()
        t1 = time.time_ns()
        row = self.map_row(s, cid)
        print(json.dumps(row, indent=1))
        info = e.inspect(cid)
        self.assertRegex(cid, HEX64)
        self.assertEqual((info["Id"], info["Name"], info["ImageName"]), (cid, name, PODMAN_IMAGE_REF))
        cgdir = e.cgroup_v2_dir(cid)
        self.assertTrue(cgdir.endswith("/libpod_parent/libpod-" + cid), cgdir)
        # Podman keeps names and images in its own database and
        # containers-storage's containers.json, not in the OCI annotations
        # procsql reads (runc's state.json in /run/runc): NULL.
        self.assertEqual(
            {k: row[k] for k in ("container_id", "runtime", "cgroup_path", "cgroup_id", "container_name",
                                 "image", "pod_uid", "removed_time", "cgroup_path_truncated")},
            {"container_id": cid, "runtime": "podman", "cgroup_path": "/libpod_parent/libpod-" + cid,
             "cgroup_id": os.stat(cgdir).st_ino, "container_name": None, "image": None, "pod_uid": None,
             "removed_time": None, "cgroup_path_truncated": 0})
        self.assertTrue(t0 <= row["created_time"] <= t1, (t0, t1, row))
        p = self.one(s.query("SELECT container_id FROM processes WHERE pid = ?", (e.pid(cid),)),
                     "processes row")
        self.assertEqual(p["container_id"], cid)
        # conmon, the container's monitor, runs outside it.
        conmon = int(e.inspect(cid, "{{.State.ConmonPid}}"))
        p = self.one(s.query("SELECT container_id FROM processes WHERE pid = ?", (conmon,)), "conmon")
        self.assertIsNone(p["container_id"])

        # `podman exec`, and a short-lived `podman run --rm`.
        e.exec(cid, ["sh", "-c", "/bin/true %se; exit 0" % m])
        short = e.run(["/bin/true", m + "s"], check=True)
        self.assertRegex(short.container_id or "", HEX64)
        ex = s.query("SELECT e.path, e.cmdline, e.ns_pid, e.time_ns, e.container_id, m.runtime, "
                     "m.cgroup_path, m.created_time, m.removed_time FROM process_events e "
                     "LEFT JOIN container_map m ON m.cgroup_id = e.cgroup_id "
                     "WHERE e.argv LIKE ? AND e.path = '/bin/busybox' ORDER BY e.eid", ("%" + m + "%",))
        print(json.dumps(ex, indent=1))
        self.assertEqual([r["cmdline"] for r in ex],
                         ["sh -c /bin/true %se; exit 0" % m, "/bin/true %se" % m, "/bin/true %ss" % m])
        for r, want in zip(ex, (cid, cid, short.container_id)):
            self.assertEqual(nullable(r, "process_events", "container_id"), want)
            if r["container_id"] is not None:
                self.assertEqual((r["runtime"], r["cgroup_path"]), ("podman", "/libpod_parent/libpod-" + want))
        r = ex[2]
        self.assertEqual(nullable(r, "process_events", "ns_pid"), 1)
        if r["container_id"] is not None and r["removed_time"] is not None:
            self.assertTrue(r["created_time"] <= r["time_ns"] <= r["removed_time"], r)

        starts = [x for x in s.read(STARTS_QUERY) if x["container_id"] in (cid, short.container_id)]
        print(json.dumps(starts, indent=1))
        self.assertEqual(sorted((x["container_id"], x["runtime"], x["first_cmdline"]) for x in starts),
                         sorted([(cid, "podman", "sleep 3600"),
                                 (short.container_id, "podman", "/bin/true %ss" % m)]))

    def test_exec_tty_shell(self):
        s = ShellSession(self)
        m = marker()
        cid, name = self.running()
        ns_pid = self.typed_shell(cid, m)
        self.engine.exec(cid, ["sh", "-c", "/bin/ls -d /%sb; exit 0" % m], check=False)
        self.check_typed_shell(s, cid, m, ns_pid, "podman", None, None)


if __name__ == "__main__":
    unittest.main()
