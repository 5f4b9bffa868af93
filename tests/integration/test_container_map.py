"""container_map and the container_id of process_events, clone_events and
process_exits, against REAL runc containers whose cgroups and state are laid
out as Docker, containerd (Kubernetes CRI) and CRI-O lay them out
(container_layouts.py), and plain runc. Read through Debian's python3 with
the extension loaded in-process; each test starts its own collector (so
PROCSQL_* can differ per test) and finds its rows by its own container ids,
pids and markers.

  Docker     docker/<64hex> and system.slice/docker-<64hex>.scope: row with
             the id, runtime docker, cgroup_id = inode of the v2 directory,
             cgroup_path, created/removed times; the container's exec,
             clone and exit rows carry the id, the host's do not.
  containerd kubepods/burstable/pod<uid>/<64hex> + io.kubernetes.cri.*
             annotations: runtime containerd, pod uid/name/namespace,
             container name, image; the pod's own cgroup is a row with no
             container id (runtime kubernetes). Started after the collector,
             and (separately) before it (the start-up scan).
  CRI-O      kubepods/besteffort/pod<uid>/crio-<64hex> + CRI-O annotations.
  runc       a plain runc container (relative cgroupsPath, its own name):
             runtime runc, id = runc's container id, from runc's state.
  short      a container that runs one command and is deleted at once: its
             exec row keeps the id and joins container_map (removed_time).
  grace 0    PROCSQL_CONTAINER_GRACE=0: a removed container leaves the map;
             its rows keep their container_id.
"""

import json
import os
import subprocess
import time
import unittest

from container_layouts import (clean_procsql_env, containerd_container, crio_container,
                               docker_container, rows)
from containers import RUNC_ROOT, Container, require_runc
from procsql_test import AUDIT, ProcsqlTestCase, marker, may_be_null, nullable, python_connect_and_load

MAP_COLUMNS = ["cgroup_id", "cgroup_path", "container_id", "runtime", "container_name",
               "image", "pod_uid", "pod_name", "pod_namespace", "created_time",
               "removed_time", "cgroup_path_truncated"]


class ContainerMapTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        require_runc(self)

    def load(self, **env):
        """A collector of our own with the defaults, runc's state read from
        RUNC_ROOT (where containers.py keeps ours), plus ENV."""
        clean_procsql_env(self, PROCSQL_RUNC_ROOTS=RUNC_ROOT, **env)
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        return conn

    def map_rows(self, conn, cid):
        return rows(conn, "SELECT * FROM container_map WHERE container_id = ?", (cid,))

    def one(self, rs, what):
        self.assertEqual(len(rs), 1, "expected exactly one %s: %r" % (what, rs))
        return rs[0]

    def start_waiting(self, c):
        """Start C (whose args echo 'ready' and read a line); return its
        init pid and its cgroup v2 directory."""
        c.start()
        c.read_until(b"ready")
        return c.pid(), c.cgroup_v2_dir()

    def check_attribution(self, conn, cid, m):
        """The container's exec of `/bin/true M`, the shell's clone of it and
        its exit carry CID; a host exec / clone / exit of the same marker do
        not."""
        host = subprocess.Popen(["/usr/bin/true", m + "host"])
        self.assertEqual(host.wait(), 0)
        ex = rows(conn, "SELECT pid, start_time, comm, container_id FROM process_events "
                        "WHERE argv LIKE ? ORDER BY eid", ("%" + m + "%",))
        inside = [e for e in ex if e["pid"] != host.pid]
        true_row = self.one([e for e in inside if e["comm"] == "true"], "exec in the container")
        # Audit: true's container_id is NULL when it ended before /proc
        # showed its cgroup (the shell, still running, must be attributed).
        self.assertTrue(all(nullable(e, "process_events", "container_id") == cid
                            for e in inside), ex)
        self.assertTrue([e for e in inside if e["container_id"] == cid], ex)
        host_row = self.one([e for e in ex if e["pid"] == host.pid], "host exec")
        self.assertIsNone(host_row["container_id"])
        # The clone that made the command's process (the shell forking it),
        # and the command's exit.
        clone = self.one(rows(conn, "SELECT container_id FROM clone_events WHERE child_pid = ? "
                                    "AND child_start_time = ?",
                              (true_row["pid"], true_row["start_time"])), "clone row")
        # (Audit: the caller's cgroup is read from /proc, NULL when the shell
        # ended first, as it may under a sanitizer's slowness.)
        self.assertEqual(nullable(clone, "clone_events", "container_id"), cid)
        exit_ = self.one(rows(conn, "SELECT container_id, exit_code FROM process_exits "
                                    "WHERE pid = ? AND start_time = ?",
                              (true_row["pid"], true_row["start_time"])), "exit row")
        self.assertEqual((nullable(exit_, "process_exits", "container_id"), exit_["exit_code"]),
                         (cid, 0))
        host_clone = self.one(rows(conn, "SELECT container_id FROM clone_events WHERE "
                                         "child_pid = ?", (host.pid,)), "host clone")
        self.assertIsNone(host_clone["container_id"])
        host_exit = self.one(rows(conn, "SELECT container_id FROM process_exits WHERE pid = ? "
                                        "AND time_ns >= ?", (host.pid, true_row["start_time"])),
                             "host exit")
        self.assertIsNone(host_exit["container_id"])
        return true_row

    # ---------------------------------------------------------------- Docker

    def test_docker_layouts(self):
        conn = self.load()
        for scope in (False, True):
            with self.subTest(scope=scope):
                m = marker()
                t0 = time.time_ns()
                c, cid = docker_container(
                    self, ["sh", "-c", "echo ready; read x; /bin/true %s; exit 0" % m],
                    scope=scope)
                init, cgdir = self.start_waiting(c)
                row = self.one(self.map_rows(conn, cid), "container_map row")
                print(json.dumps(row, indent=1))
                self.assertEqual(sorted(row), sorted(MAP_COLUMNS))
                self.assertEqual(row["cgroup_id"], os.stat(cgdir).st_ino)
                self.assertEqual(row["cgroup_path"],
                                 "/system.slice/docker-%s.scope" % cid if scope
                                 else "/docker/" + cid)
                self.assertEqual(row["runtime"], "docker")
                for k in ("container_name", "image", "pod_uid", "pod_name", "pod_namespace",
                          "removed_time"):
                    self.assertIsNone(row[k], k)
                self.assertTrue(t0 <= row["created_time"] <= time.time_ns(), row)
                # The container's init, live: processes says the same.
                p = self.one(rows(conn, "SELECT container_id, cgroup_id FROM processes "
                                        "WHERE pid = ?", (init,)), "processes row")
                self.assertEqual((p["container_id"], p["cgroup_id"]), (cid, row["cgroup_id"]))
                c.send(b"go\n")
                self.assertEqual(c.wait(), 0, c.errors)
                t1 = time.time_ns()
                self.check_attribution(conn, cid, m)
                gone = self.one(self.map_rows(conn, cid), "row after exit")
                self.assertIsNotNone(gone["removed_time"], gone)
                # eBPF: the rmdir's time; audit has no rmdir record, and says
                # when it found the directory gone (at the latest this query).
                self.assertTrue(row["created_time"] < gone["removed_time"] <= (time.time_ns() if AUDIT else t1),
                                gone)
                self.assertEqual(gone["cgroup_id"], row["cgroup_id"])

    # ------------------------------------------------------------ containerd

    def check_k8s(self, conn, c, facts):
        init, cgdir = self.start_waiting(c)
        rs = self.map_rows(conn, facts["id"])
        print(json.dumps(rs, indent=1))
        row = self.one(rs, "container_map row")
        self.assertEqual(row["cgroup_id"], os.stat(cgdir).st_ino)
        self.assertEqual(row["pod_uid"], facts["pod_uid"])
        self.assertIsNone(row["removed_time"])
        # The pod's own cgroup: a row without a container id.
        pod = self.one(rows(conn, "SELECT * FROM container_map WHERE pod_uid = ? AND "
                                  "container_id IS NULL", (facts["pod_uid"],)), "pod row")
        self.assertEqual(pod["runtime"], "kubernetes")
        self.assertEqual(pod["cgroup_id"], os.stat(os.path.dirname(cgdir)).st_ino)
        self.assertEqual(pod["cgroup_path"], os.path.dirname(row["cgroup_path"]))
        p = self.one(rows(conn, "SELECT container_id FROM processes WHERE pid = ?", (init,)),
                     "processes row")
        self.assertEqual(p["container_id"], facts["id"])
        c.send(b"go\n")
        self.assertEqual(c.wait(), 0, c.errors)
        # The metadata, from runc's state (annotations as labels) or the
        # bundle's config.json, as the runtime wrote them.
        self.assertEqual(
            {k: row[k] for k in ("runtime", "container_name", "image", "pod_name",
                                 "pod_namespace")},
            {"runtime": facts["runtime"], "container_name": facts["name"],
             "image": facts["image"], "pod_name": facts["pod_name"],
             "pod_namespace": facts["namespace"]},
            "metadata of a running %s container (state.json: %s)"
            % (facts["runtime"], "annotations in config.labels"))
        return row

    def test_containerd_layout(self):
        conn = self.load()
        m = marker()
        c, facts = containerd_container(
            self, ["sh", "-c", "echo ready; read x; /bin/true %s; exit 0" % m])
        try:
            self.check_k8s(conn, c, facts)
        finally:
            if c.proc and c.proc.poll() is None:
                c.send(b"go\n")
                c.wait()
            self.check_attribution(conn, facts["id"], m)

    def test_containerd_container_running_before_load(self):
        """The start-up scan: a containerd container that was already running
        when the collector started is a row with all its metadata, and a
        `runc exec` into it afterwards is attributed."""
        m = marker()
        c, facts = containerd_container(self, ["sh", "-c", "echo ready; read x; exit 0"])
        init, cgdir = self.start_waiting(c)
        conn = self.load()
        c.exec(["/bin/true", m])
        row = self.one(self.map_rows(conn, facts["id"]), "container_map row")
        print(json.dumps(row, indent=1))
        self.assertEqual(row["cgroup_id"], os.stat(cgdir).st_ino)
        self.assertEqual(
            {k: row[k] for k in ("runtime", "container_name", "image", "pod_uid", "pod_name",
                                 "pod_namespace", "removed_time")},
            {"runtime": "containerd", "container_name": facts["name"], "image": facts["image"],
             "pod_uid": facts["pod_uid"], "pod_name": facts["pod_name"],
             "pod_namespace": facts["namespace"], "removed_time": None})
        ex = self.one(rows(conn, "SELECT container_id FROM process_events WHERE argv LIKE ? "
                                 "AND path = '/bin/busybox'", ("%" + m + "%",)), "exec row")
        # Audit: NULL when true had ended before /proc showed its cgroup.
        self.assertEqual(nullable(ex, "process_events", "container_id"), facts["id"])
        c.send(b"go\n")
        self.assertEqual(c.wait(), 0)

    # ----------------------------------------------------------------- CRI-O

    def test_crio_layout(self):
        conn = self.load()
        m = marker()
        c, facts = crio_container(
            self, ["sh", "-c", "echo ready; read x; /bin/true %s; exit 0" % m])
        try:
            row = self.check_k8s(conn, c, facts)
            self.assertTrue(row["cgroup_path"].endswith("/crio-" + facts["id"]), row)
        finally:
            if c.proc and c.proc.poll() is None:
                c.send(b"go\n")
                c.wait()
            self.check_attribution(conn, facts["id"], m)

    # ------------------------------------------------------------ plain runc

    def test_plain_runc_container(self):
        """runc names containers freely: the id is runc's, from its state.
        The container's first process (its entrypoint) is attributed too."""
        conn = self.load()
        m = marker()
        c = Container(self, ["sh", "-c", "echo ready; read x; /bin/true %s; exit 0" % m])
        init, cgdir = self.start_waiting(c)
        row = self.one(self.map_rows(conn, c.id), "container_map row")
        self.assertEqual((row["runtime"], row["cgroup_id"]), ("runc", os.stat(cgdir).st_ino))
        c.send(b"go\n")
        self.assertEqual(c.wait(), 0)
        ex = rows(conn, "SELECT pid, comm, container_id FROM process_events WHERE argv LIKE ? "
                        "ORDER BY eid", ("%" + m + "%",))
        print(json.dumps(ex, indent=1))
        # Audit: true's is NULL when it ended before /proc showed its cgroup.
        self.assertEqual([(e["comm"], e["container_id"] if e["comm"] == "sh"
                           else nullable(e, "process_events", "container_id")) for e in ex],
                         [("sh", c.id), ("true", c.id)],
                         "execs of a plain runc container (the entrypoint sh is pid %d)" % init)

    # ----------------------------------------------------- short-lived, grace

    def test_short_lived_container(self):
        """One command, then the container is deleted at once: the exec row
        keeps its container id and still joins container_map."""
        conn = self.load()
        m = marker()
        c, cid = docker_container(self, ["/bin/true", m])
        self.assertEqual(c.run().returncode, 0, c.errors)
        c.cleanup()  # runc delete, right after
        ex = self.one(rows(conn, "SELECT cgroup_id FROM process_events WHERE argv LIKE ?",
                           ("%" + m + "%",)), "exec row")
        if ex["cgroup_id"] is None and may_be_null("process_events", "cgroup_id"):
            # Audit: true ended before /proc showed its cgroup; the removed
            # container is still listed.
            gone = self.one(self.map_rows(conn, cid), "container_map row")
            self.assertEqual(gone["runtime"], "docker")
            self.assertIsNotNone(gone["removed_time"])
            return
        joined = rows(conn, "SELECT e.pid, e.container_id, m.runtime, m.removed_time, "
                            "m.created_time, e.time_ns FROM process_events e "
                            "JOIN container_map m ON m.cgroup_id = e.cgroup_id "
                            "WHERE e.argv LIKE ?", ("%" + m + "%",))
        r = self.one(joined, "joined exec row")
        self.assertEqual((r["container_id"], r["runtime"]), (cid, "docker"))
        self.assertIsNotNone(r["removed_time"])
        self.assertTrue(r["created_time"] <= r["time_ns"] <= r["removed_time"], r)

    def test_grace_zero_drops_removed_containers(self):
        conn = self.load(PROCSQL_CONTAINER_GRACE="0")
        m = marker()
        c, cid = docker_container(self, ["sh", "-c", "echo ready; read x; /bin/true %s" % m])
        self.start_waiting(c)
        self.assertEqual(len(self.map_rows(conn, cid)), 1, "a running container is a row")
        c.send(b"go\n")
        self.assertEqual(c.wait(), 0)
        c.cleanup()
        self.assertEqual(self.map_rows(conn, cid), [], "removed container kept with grace 0")
        ex = rows(conn, "SELECT container_id FROM process_events WHERE argv LIKE ? "
                        "AND comm = 'true'", ("%" + m + "%",))
        # Audit: NULL when true ended before /proc showed its cgroup.
        self.assertEqual([nullable(e, "process_events", "container_id") for e in ex], [cid])


if __name__ == "__main__":
    unittest.main()
