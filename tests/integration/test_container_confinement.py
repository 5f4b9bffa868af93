"""How confined container processes are, seen by procsql in a REAL Docker
engine (docker_engine.py: a dockerd of the class's own, overlay2, cgroupfs):
the privilege columns (cap_effective, cap_permitted, cap_ambient,
cap_bounding, no_new_privs, seccomp), the executed file's exe_fs and
exe_upper_layer, env, and the queries that read them, each against the
activity it is about and against a plain `docker run` (which must give no
row for its container id). eBPF only (the audit backend has no exe_fs, no
exe_upper_layer and no env), normal pass only, as test_docker_engine.

  seccomp         Docker's default profile: 'filter' on every exec of the
                  container; `--security-opt seccomp=unconfined`: 'disabled';
                  containers_without_seccomp.sql reports the unconfined
                  container once, with its first exec and the count of its
                  execs (a `docker exec` counted too), not the default one.
  capabilities    the default set is Docker's 14 capabilities in all of
                  effective, permitted and bounding (ambient empty), named
                  by procsql_caps_text; `--cap-add SYS_ADMIN` adds bit 21;
                  privileged_container_processes.sql reports every exec of
                  that container and of a privileged one, not the default.
  privileged      `--privileged`: every capability, seccomp 'disabled'.
                  Where this test's bounding set lacks a capability Docker
                  grants (this machine has no CAP_SYS_RESOURCE), runc cannot
                  start a privileged container ("unable to apply caps"), and
                  the container gets what --privileged gives that procsql
                  sees: `--cap-add ALL --cap-drop <missing>
                  --security-opt seccomp=unconfined` (said on stdout).
  no_new_privs    `--security-opt no-new-privileges`: 1, default 0; a setuid
                  copy of busybox run by uid 1000 escalates (euid 0) in a
                  default container, and setuid_escalation.sql reports it
                  with the container id; under no-new-privileges it does not
                  (euid 1000) and nothing is reported.
  drift           in one running container: a busybox `docker cp`-ed in
                  (exe_fs 'overlay', exe_upper_layer 1), the image's own
                  /bin/busybox ('overlay', 0), a copy written into a
                  `--tmpfs /scratch:exec` ('tmpfs', 0) and one on a
                  bind-mounted host directory (`-v DIR:/vol`: the host's file
                  system, 0); an image binary changed after the start
                  (`chmod`, copied up) is upper too; a host binary has the
                  root file system's type and 0. container_drift.sql: 'upper
                  layer', 'tmpfs', 'volume', and nothing for the image's own
                  binaries, a plain start or a `docker run --init` start
                  (the host's docker-init as pid 1).
  processes       a running container's init in `processes` has the
                  privileges of its exec row and of /proc/PID/status.
  LD_PRELOAD      `docker run -e LD_PRELOAD=/tmp/X.so`: env carries it on
                  every exec of the container, and ld_preload_exec.sql
                  reports them with the container id; an allowed library
                  (-e LD_PRELOAD=/usr/lib/.../libjemalloc.so.2) is not.
  plain start     `docker run IMG /bin/true` and a `docker exec` into a
                  default container: no row in any of the five queries.

Busybox picks its applet by argv[0]'s name: every copy is named busybox
and run as `busybox true MARKER`. `docker cp` into the container's tmpfs
mount exits 0, but the container does not see the file there (Docker 20.10
copies into the container's root file system, not its tmpfs mounts), so the
tmpfs copy is written by `cat` inside the container (`docker exec -i`).
"""

import json
import os
import shutil
import subprocess
import unittest

from docker_engine import IMAGE_REF, DockerEngine, ShellSession
from procsql_test import ProcsqlTestCase, marker

CAP_SYS_ADMIN = 21
# Docker 20.10's default capabilities (moby oci/caps/defaults.go).
DOCKER_DEFAULT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                       "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                       "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE",
                       "CAP_SETFCAP"]
CAP_BITS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_FSETID": 4, "CAP_KILL": 5,
            "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_NET_BIND_SERVICE": 10,
            "CAP_NET_RAW": 13, "CAP_SYS_CHROOT": 18, "CAP_MKNOD": 27, "CAP_AUDIT_WRITE": 29,
            "CAP_SETFCAP": 31}
DEFAULT_MASK = sum(1 << CAP_BITS[c] for c in DOCKER_DEFAULT_CAPS)  # 0xa80425fb
# The capabilities Docker 20.10 knows (its capability library stops at
# CAP_AUDIT_READ, 37): what --privileged and --cap-add ALL ask runc for.
DOCKER_LAST_CAP = 37
CAP_NAMES = {24: "SYS_RESOURCE"}

QUERIES = ("ld_preload_exec", "container_drift", "containers_without_seccomp",
           "privileged_container_processes", "setuid_escalation")
PRIV_COLUMNS = ("cap_effective", "cap_permitted", "cap_ambient", "cap_bounding", "no_new_privs",
                "seccomp")

# The file system types procsql names (extension/privileges.cpp), by
# `stat -f -c %t` magic, for the few a root file system is likely on.
FS_BY_MAGIC = {0xef53: "ext4", 0x58465342: "xfs", 0x9123683e: "btrfs", 0x794c7630: "overlay",
               0x01021994: "tmpfs", 0x2fc12fc1: "zfs", 0xf2f52010: "f2fs"}


def fs_type(path):
    """What procsql should call the file system of PATH (`stat -f`)."""
    magic = int(subprocess.run(["/usr/bin/stat", "-f", "-c", "%t", path], check=True,
                               capture_output=True, text=True).stdout.strip(), 16)
    return FS_BY_MAGIC.get(magic, "0x%x" % magic)


def own_bounding_set():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    raise AssertionError("no CapBnd in /proc/self/status")


def proc_status(pid):
    """The privilege fields of /proc/PID/status as procsql's columns."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            value = value.strip()
            if key in ("CapEff", "CapPrm", "CapAmb", "CapBnd"):
                out[{"CapEff": "cap_effective", "CapPrm": "cap_permitted", "CapAmb": "cap_ambient",
                     "CapBnd": "cap_bounding"}[key]] = int(value, 16)
            elif key == "NoNewPrivs":
                out["no_new_privs"] = int(value)
            elif key == "Seccomp":
                out["seccomp"] = {"0": "disabled", "1": "strict", "2": "filter"}[value]
    return out


EXEC_ROWS = ("SELECT eid, pid, ns_pid, path, filename, cmdline, uid, euid, container_id, "
             "cap_effective, cap_permitted, cap_ambient, cap_bounding, "
             "procsql_caps_text(cap_effective) AS caps, no_new_privs, seccomp, exe_fs, "
             "exe_upper_layer, env, mode, owner_uid FROM process_events ")


class ContainerConfinementTest(ProcsqlTestCase):

    @classmethod
    def setUpClass(cls):
        cls.engine = DockerEngine.for_class(cls)
        print("dockerd %s up with its image in %.2f s (%s)"
              % (cls.engine.server_version, cls.engine.startup_s, cls.engine.base))

    def session(self):
        return ShellSession(self, prefix=self.engine.metadata_prefix())

    def running(self, args=("sleep", "3600"), options=()):
        """A detached container, removed at cleanup; its id."""
        cid = self.engine.run_detached(list(args), options=list(options))
        self.addCleanup(self.engine.rm, cid)
        return cid

    def run_ok(self, args, options=()):
        r = self.engine.run(list(args), options=list(options))
        self.assertEqual(r.returncode, 0, r)
        self.assertRegex(r.container_id or "", "^[0-9a-f]{64}$", r)
        return r.container_id

    def container_execs(self, s, cid):
        """The container's exec rows, without runc's own setup stage (as the
        queries leave it out: path '/' or a runc_cloned memfd)."""
        return s.query(EXEC_ROWS + "WHERE container_id = ? AND path != '/' "
                       "AND path NOT GLOB '/memfd:runc_cloned:*' ORDER BY eid", (cid,))

    def marked(self, s, m):
        return s.query(EXEC_ROWS + "WHERE argv LIKE ? ORDER BY eid", ("%" + m + "%",))

    def one(self, rs, what):
        self.assertEqual(len(rs), 1, "expected exactly one %s: %s" % (what, json.dumps(rs, indent=1)))
        return rs[0]

    def of(self, result, cid):
        return [r for r in result if r["container_id"] == cid]

    def two_trues(self, m, tag):
        """A container command of three execs, each carrying marker M+TAG."""
        return ["sh", "-c", "/bin/true %s%s1; /bin/true %s%s2" % (m, tag, m, tag)]

    def check_three_execs(self, rows, m, tag):
        self.assertEqual([r["cmdline"] for r in rows],
                         ["sh -c /bin/true %s%s1; /bin/true %s%s2" % (m, tag, m, tag),
                          "/bin/true %s%s1" % (m, tag), "/bin/true %s%s2" % (m, tag)],
                         json.dumps(rows, indent=1))

    def privileged_options(self):
        """`--privileged`, or where runc cannot grant every capability Docker
        asks for (missing from this process's bounding set), what it gives
        that procsql sees: every capability there is, and no seccomp."""
        bounding = own_bounding_set()
        missing = [b for b in range(DOCKER_LAST_CAP + 1) if not bounding >> b & 1]
        if not missing:
            return ["--privileged"], True
        names = [CAP_NAMES.get(b, str(b)) for b in missing]
        print("this bounding set lacks capabilities %s: runc cannot start a --privileged "
              "container; using --cap-add ALL --cap-drop %s --security-opt seccomp=unconfined"
              % (missing, ",".join(names)))
        opts = ["--cap-add", "ALL", "--security-opt", "seccomp=unconfined"]
        for n in names:
            opts += ["--cap-drop", n]
        return opts, False

    # ---------------------------------------------------------- seccomp

    def test_seccomp(self):
        e = self.engine
        s = self.session()
        m = marker()
        default = self.run_ok(self.two_trues(m, "d"))
        unconfined = self.run_ok(self.two_trues(m, "u"), ["--security-opt", "seccomp=unconfined"])
        later = self.running(["sh", "-c", "sleep 3600 # %sl" % m], ["--security-opt", "seccomp=unconfined"])
        e.exec(later, ["/bin/true", m + "x"])

        rows = {cid: self.container_execs(s, cid) for cid in (default, unconfined, later)}
        print(json.dumps(rows, indent=1))
        self.check_three_execs(rows[default], m, "d")
        self.check_three_execs(rows[unconfined], m, "u")
        self.assertEqual([r["seccomp"] for r in rows[default]], ["filter"] * 3)
        self.assertEqual([r["seccomp"] for r in rows[unconfined]], ["disabled"] * 3)
        self.assertEqual([(r["cmdline"], r["seccomp"]) for r in rows[later]],
                         [("sh -c sleep 3600 # %sl" % m, "disabled"), ("sleep 3600", "disabled"),
                          ("/bin/true %sx" % m, "disabled")])
        # The docker client is the host's: not confined by the container's profile.
        client = [r for r in self.marked(s, m) if r["container_id"] is None]
        self.assertEqual(len(client), 4, client)  # run, run, run -d, exec
        self.assertEqual({r["path"] for r in client}, {"/usr/bin/docker"})

        result = s.read("queries/containers_without_seccomp.sql")
        print(json.dumps([r for r in result if r["container_id"] in rows], indent=1))
        self.assertEqual(self.of(result, default), [])
        # (busybox sh execs the last command of -c in its own process: sleep.)
        for cid, first, execs in ((unconfined, rows[unconfined][0], 3), (later, rows[later][0], 3)):
            r = self.one(self.of(result, cid), "containers_without_seccomp row of %s" % cid)
            self.assertEqual(
                {k: r[k] for k in ("first_eid", "execs", "runtime", "image", "pid", "uid",
                                   "no_new_privs", "caps", "path", "cmdline")},
                {"first_eid": first["eid"], "execs": execs, "runtime": "docker", "image": IMAGE_REF,
                 "pid": first["pid"], "uid": 0, "no_new_privs": 0, "caps": "|".join(DOCKER_DEFAULT_CAPS),
                 "path": "/bin/busybox", "cmdline": first["cmdline"]})
        self.assertTrue(all(r["container_id"] for r in result), "a host row")

    # ----------------------------------------------------- capabilities

    def test_capabilities(self):
        s = self.session()
        m = marker()
        priv_opts, _ = self.privileged_options()
        default = self.run_ok(self.two_trues(m, "d"))
        sys_admin = self.run_ok(self.two_trues(m, "a"), ["--cap-add", "SYS_ADMIN"])
        privileged = self.run_ok(self.two_trues(m, "p"), priv_opts)

        rows = {cid: self.container_execs(s, cid) for cid in (default, sys_admin, privileged)}
        print(json.dumps(rows, indent=1))
        self.check_three_execs(rows[default], m, "d")
        self.check_three_execs(rows[sys_admin], m, "a")
        self.check_three_execs(rows[privileged], m, "p")
        caps_text = "|".join(DOCKER_DEFAULT_CAPS)
        for r in rows[default]:
            self.assertEqual(
                {k: r[k] for k in ("cap_effective", "cap_permitted", "cap_ambient", "cap_bounding", "caps")},
                {"cap_effective": DEFAULT_MASK, "cap_permitted": DEFAULT_MASK, "cap_ambient": 0,
                 "cap_bounding": DEFAULT_MASK, "caps": caps_text})
            self.assertFalse(r["cap_effective"] >> CAP_SYS_ADMIN & 1)
        with_admin = DEFAULT_MASK | 1 << CAP_SYS_ADMIN
        for r in rows[sys_admin]:
            self.assertEqual(
                {k: r[k] for k in ("cap_effective", "cap_permitted", "cap_ambient", "cap_bounding")},
                {"cap_effective": with_admin, "cap_permitted": with_admin, "cap_ambient": 0,
                 "cap_bounding": with_admin})
            self.assertIn("|CAP_SYS_ADMIN|", "|" + r["caps"] + "|")
            self.assertEqual(r["seccomp"], "filter")
        # Privileged: all of Docker's capabilities this machine has, no seccomp.
        every = sum(1 << b for b in range(DOCKER_LAST_CAP + 1)) & own_bounding_set()
        for r in rows[privileged]:
            self.assertEqual(r["cap_effective"] & every, every, r)
            self.assertEqual((r["cap_permitted"], r["cap_bounding"], r["seccomp"]),
                             (r["cap_effective"], r["cap_effective"], "disabled"))
            self.assertIn("|CAP_SYS_ADMIN|", "|" + r["caps"] + "|")

        result = s.read("queries/privileged_container_processes.sql")
        print(json.dumps([r for r in result if r["container_id"] in rows], indent=1))
        self.assertEqual(self.of(result, default), [])
        for cid in (sys_admin, privileged):
            got = self.of(result, cid)
            self.assertEqual([r["eid"] for r in got], [r["eid"] for r in rows[cid]])
            for r, ev in zip(got, rows[cid]):
                self.assertEqual(
                    {k: r[k] for k in ("caps", "seccomp", "no_new_privs", "pid", "uid", "path",
                                       "cmdline", "runtime", "image")},
                    {"caps": ev["caps"], "seccomp": ev["seccomp"], "no_new_privs": 0, "pid": ev["pid"],
                     "uid": 0, "path": "/bin/busybox", "cmdline": ev["cmdline"], "runtime": "docker",
                     "image": IMAGE_REF})
        self.assertTrue(all(r["container_id"] for r in result), "a host row")
        # The privileged container runs without seccomp: reported there too.
        unconf = s.read("queries/containers_without_seccomp.sql")
        self.assertEqual([r["execs"] for r in self.of(unconf, privileged)], [3])
        self.assertEqual(self.of(unconf, sys_admin) + self.of(unconf, default), [])

    # ------------------------------------------------------ no_new_privs

    def test_no_new_privs_and_setuid(self):
        e = self.engine
        s = self.session()
        m = marker()
        default = self.running(["sh", "-c", "sleep 3600 # %sd" % m])
        nnp = self.running(["sh", "-c", "sleep 3600 # %sn" % m], ["--security-opt", "no-new-privileges"])
        for cid, tag in ((default, "d"), (nnp, "n")):
            e.exec(cid, ["sh", "-c", "cp /bin/busybox /tmp/busybox && chmod 4755 /tmp/busybox"])
            e.exec(cid, ["/tmp/busybox", "true", m + tag + "s"], options=["-u", "1000:1000"])

        rows = {cid: self.container_execs(s, cid) for cid in (default, nnp)}
        print(json.dumps(rows, indent=1))
        for cid, tag, nnp_bit, euid in ((default, "d", 0, 0), (nnp, "n", 1, 1000)):
            self.assertEqual({r["no_new_privs"] for r in rows[cid]}, {nnp_bit}, rows[cid])
            first = rows[cid][0]
            self.assertEqual((first["cmdline"], first["uid"], first["euid"]),
                             ("sh -c sleep 3600 # %s%s" % (m, tag), 0, 0))
            suid = self.one([r for r in rows[cid] if r["cmdline"] == "/tmp/busybox true %s%ss" % (m, tag)],
                            "setuid exec")
            self.assertEqual((suid["uid"], suid["euid"], suid["mode"] & 0o7777, suid["owner_uid"]),
                             (1000, euid, 0o4755, 0), suid)
            # The setuid exec leaves uid 1000 with root's file capabilities
            # only when it escalated (and within the container's bounding set).
            self.assertEqual(suid["cap_bounding"], DEFAULT_MASK)
            self.assertEqual(suid["cap_effective"], DEFAULT_MASK if euid == 0 else 0, suid)

        result = s.read("queries/setuid_escalation.sql")
        print(json.dumps([r for r in result if r["container_id"] in rows], indent=1))
        r = self.one(self.of(result, default), "setuid_escalation row")
        self.assertEqual(
            {k: r[k] for k in ("uid", "euid", "owner_uid", "perms", "path", "cmdline")},
            {"uid": 1000, "euid": 0, "owner_uid": 0, "perms": "4755", "path": "/tmp/busybox",
             "cmdline": "/tmp/busybox true %sds" % m})
        self.assertEqual(self.of(result, nnp), [])

    # ------------------------------------------------------------ drift

    def test_drift(self):
        e = self.engine
        s = self.session()
        m = marker()
        vol = self.tmpdir()
        os.chmod(vol, 0o755)
        shutil.copy("/bin/busybox", os.path.join(vol, "busybox"))
        cid = self.running(["sh", "-c", "sleep 3600 # %s" % m],
                           ["--tmpfs", "/scratch:exec", "-v", vol + ":/vol"])
        e.cp("/bin/busybox", cid + ":/tmp/busybox")
        with open("/bin/busybox", "rb") as f:
            e.docker("exec", "-i", cid, "sh", "-c",
                     "mkdir /scratch/d && cat > /scratch/d/busybox && chmod 755 /scratch/d/busybox",
                     input=f.read())
        for path, tag in (("/tmp/busybox", "cp"), ("/bin/busybox", "img"), ("/scratch/d/busybox", "tmpfs"),
                          ("/vol/busybox", "vol")):
            e.exec(cid, [path, "true", m + tag])
        # An image file changed after the start: copied up to the upper layer.
        changed = self.running(["sh", "-c", "sleep 3600 # %sc" % m])
        e.exec(changed, ["/bin/busybox", "true", m + "before"])
        e.exec(changed, ["chmod", "0755", "/bin/busybox"])
        e.exec(changed, ["/bin/busybox", "true", m + "after"])
        # A plain start, and one with the engine's init (the host's docker-init).
        plain = self.run_ok(["/bin/true", m + "plain"])
        init = self.run_ok(self.two_trues(m, "i"), ["--init"])
        subprocess.run(["/usr/bin/true", m + "host"], check=True)

        rows = {r["cmdline"]: r for r in self.marked(s, m) if r["path"] != "/usr/bin/docker"}
        print(json.dumps(rows, indent=1))
        root_fs = fs_type("/usr/bin/true")
        vol_fs = fs_type(vol)

        def cols(cmdline):
            r = rows[cmdline]
            return (r["path"], r["exe_fs"], r["exe_upper_layer"])
        self.assertEqual(cols("/tmp/busybox true %scp" % m), ("/tmp/busybox", "overlay", 1))
        self.assertEqual(cols("/bin/busybox true %simg" % m), ("/bin/busybox", "overlay", 0))
        self.assertEqual(cols("/scratch/d/busybox true %stmpfs" % m), ("/scratch/d/busybox", "tmpfs", 0))
        self.assertEqual(cols("/vol/busybox true %svol" % m), ("/vol/busybox", vol_fs, 0))
        self.assertEqual(cols("sh -c sleep 3600 # %s" % m), ("/bin/busybox", "overlay", 0))
        self.assertEqual(cols("/bin/busybox true %sbefore" % m), ("/bin/busybox", "overlay", 0))
        self.assertEqual(cols("/bin/busybox true %safter" % m), ("/bin/busybox", "overlay", 1))
        self.assertEqual(cols("/bin/true %splain" % m), ("/bin/busybox", "overlay", 0))
        init_row = rows["/sbin/docker-init -- " + " ".join(self.two_trues(m, "i"))]
        self.assertEqual((init_row["ns_pid"], init_row["exe_fs"], init_row["exe_upper_layer"]),
                         (1, fs_type(os.path.realpath("/usr/bin/docker-init")), 0))
        host = rows["/usr/bin/true %shost" % m]
        self.assertEqual((host["path"], host["container_id"], host["exe_fs"]),
                         (os.path.realpath("/usr/bin/true"), None, root_fs))
        if root_fs != "overlay":
            self.assertEqual(host["exe_upper_layer"], 0)
        for r in rows.values():
            self.assertEqual(r["container_id"] is None, r is host, r)

        result = s.read("queries/container_drift.sql")
        mine = self.of(result, cid)
        print(json.dumps([r for r in result if r["container_id"] in (cid, changed, plain, init)], indent=1))
        self.assertEqual([(r["why"], r["path"], r["cmdline"], r["exe_fs"], r["exe_upper_layer"]) for r in mine],
                         [("upper layer", "/tmp/busybox", "/tmp/busybox true %scp" % m, "overlay", 1),
                          ("tmpfs", "/scratch/d/busybox", "/scratch/d/busybox true %stmpfs" % m, "tmpfs", 0),
                          ("volume", "/vol/busybox", "/vol/busybox true %svol" % m, vol_fs, 0)])
        for r in mine:
            self.assertEqual((r["runtime"], r["image"], r["uid"]), ("docker", IMAGE_REF, 0))
        self.assertEqual([(r["why"], r["cmdline"]) for r in self.of(result, changed)],
                         [("upper layer", "/bin/busybox true %safter" % m)])
        self.assertEqual(self.of(result, plain), [])
        self.assertEqual(self.of(result, init), [])
        self.assertTrue(all(r["container_id"] for r in result), "a host row")

    # -------------------------------------------------------- processes

    def test_processes_table(self):
        e = self.engine
        s = self.session()
        m = marker()
        priv_opts, _ = self.privileged_options()
        want = {}
        for tag, opts, seccomp, nnp in (
                ("d", [], "filter", 0),
                ("u", ["--security-opt", "seccomp=unconfined"], "disabled", 0),
                ("a", ["--cap-add", "SYS_ADMIN"], "filter", 0),
                ("n", ["--security-opt", "no-new-privileges"], "filter", 1),
                ("p", priv_opts, "disabled", 0)):
            cid = self.running(["sleep", "3600"], opts)
            want[cid] = (tag, seccomp, nnp)
        for cid, (tag, seccomp, nnp) in want.items():
            pid = e.pid(cid)
            p = self.one(s.query("SELECT pid, start_time, container_id, cmdline, %s FROM processes "
                                 "WHERE pid = ?" % ", ".join(PRIV_COLUMNS), (pid,)), "processes row")
            ev = self.one(s.query("SELECT %s FROM process_events WHERE pid = ? AND start_time = ? "
                                  "AND cmdline = 'sleep 3600'" % ", ".join(PRIV_COLUMNS),
                                  (pid, p["start_time"])), "exec row of the container's init")
            status = proc_status(pid)
            print(tag, json.dumps(p), json.dumps(status))
            self.assertEqual((p["container_id"], p["seccomp"], p["no_new_privs"]), (cid, seccomp, nnp))
            self.assertEqual({k: p[k] for k in PRIV_COLUMNS}, ev)
            self.assertEqual({k: p[k] for k in PRIV_COLUMNS}, status)
            self.assertEqual(bool(p["cap_effective"] >> CAP_SYS_ADMIN & 1), tag in ("a", "p"))
            if tag in ("d", "u", "n"):
                self.assertEqual(p["cap_effective"], DEFAULT_MASK)

    # ------------------------------------------------------- LD_PRELOAD

    def test_ld_preload_in_container(self):
        s = self.session()
        m = marker()
        lib = "/tmp/%s.so" % m
        injected = self.run_ok(self.two_trues(m, "e"), ["-e", "LD_PRELOAD=" + lib])
        allowed = self.run_ok(self.two_trues(m, "j"),
                              ["-e", "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"])
        rows = {cid: self.container_execs(s, cid) for cid in (injected, allowed)}
        print(json.dumps(rows, indent=1))
        self.check_three_execs(rows[injected], m, "e")
        self.check_three_execs(rows[allowed], m, "j")
        self.assertEqual([json.loads(r["env"]) for r in rows[injected]], [{"LD_PRELOAD": lib}] * 3)
        self.assertEqual([json.loads(r["env"]) for r in rows[allowed]],
                         [{"LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"}] * 3)
        # The docker client had no LD_PRELOAD: it passed the value on.
        for r in self.marked(s, m):
            if r["container_id"] is None:
                self.assertEqual(json.loads(r["env"]), {}, r)

        result = s.read("queries/ld_preload_exec.sql")
        got = self.of(result, injected)
        print(json.dumps(got, indent=1))
        self.assertEqual([(r["eid"], r["ld_preload"], r["ld_audit"], r["cmdline"]) for r in got],
                         [(ev["eid"], lib, None, ev["cmdline"]) for ev in rows[injected]])
        self.assertEqual(self.of(result, allowed), [])

    # ------------------------------------------------------ plain start

    def test_plain_start_reports_nothing(self):
        """A container started with Docker's defaults, and a `docker exec`
        into one: present in process_events, in none of the queries."""
        e = self.engine
        s = self.session()
        m = marker()
        plain = self.run_ok(["/bin/true", m + "p"])
        other = self.running(["sh", "-c", "sleep 3600 # %sr" % m])
        e.exec(other, ["sh", "-c", "/bin/true %sx; exit 0" % m])
        rows = {cid: self.container_execs(s, cid) for cid in (plain, other)}
        print(json.dumps(rows, indent=1))
        self.assertEqual([r["cmdline"] for r in rows[plain]], ["/bin/true %sp" % m])
        self.assertEqual([r["cmdline"] for r in rows[other]],
                         ["sh -c sleep 3600 # %sr" % m, "sleep 3600", "sh -c /bin/true %sx; exit 0" % m,
                          "/bin/true %sx" % m])
        for r in rows[plain] + rows[other]:
            self.assertEqual(
                {k: r[k] for k in ("uid", "euid", "cap_effective", "cap_permitted", "cap_ambient",
                                   "cap_bounding", "no_new_privs", "seccomp", "exe_fs",
                                   "exe_upper_layer", "env", "path")},
                {"uid": 0, "euid": 0, "cap_effective": DEFAULT_MASK, "cap_permitted": DEFAULT_MASK,
                 "cap_ambient": 0, "cap_bounding": DEFAULT_MASK, "no_new_privs": 0, "seccomp": "filter",
                 "exe_fs": "overlay", "exe_upper_layer": 0, "env": "{}", "path": "/bin/busybox"})
        for q in QUERIES:
            result = s.read("queries/%s.sql" % q)
            self.assertEqual([r for r in result if r["container_id"] in (plain, other)], [], q)


if __name__ == "__main__":
    unittest.main()
