"""Host activity against the detection queries of queries/ that read the
environment and privilege columns, run AS WRITTEN (@job NULL: every row
held) in Debian's python3 sqlite3 module. On both backends (the shared list
of tests/CMakeLists.txt): the audit backend has no env, so there
ld_preload_exec.sql must report nothing of ours (its header says it needs
eBPF), while setuid_escalation.sql reads only what audit's records carry.
Their container side (a plain `docker run` reports nothing, LD_PRELOAD and
setuid inside a container, drift, seccomp, capabilities) is
test_container_confinement's, against a real Docker engine.

  headers           each file is headed by its question, its driving table
                    and its crontab line, and reads procsql_window(@job, ...).
  ld_preload_exec   `/usr/bin/true MARKER` with LD_PRELOAD=/tmp/MARKER.so
                    (ld.so says it cannot preload it, and the program runs):
                    reported with ld_preload; LD_AUDIT likewise; several
                    libraries where one is not allowed (colon- or
                    space-separated after an allowed one), an allowed name in
                    /tmp, a path escaping /usr/lib by `..`: reported. An
                    allowed library (/usr/lib/x86_64-linux-gnu/libeatmydata.so,
                    /lib/.../libjemalloc.so.2, libfakeroot-sysv.so, none of
                    which needs to exist), an empty value, no variable: not.
  setuid_escalation a copy of /usr/bin/id, owned by root, mode 4755, in a
                    fresh directory on a file system mounted without nosuid,
                    run by nobody (setpriv --reuid=65534): reported with
                    uid 65534, euid 0, perms 4755; the same copy without the
                    bit, the setuid copy run by root, the setuid copy on a
                    nosuid tmpfs (a private mount namespace: the bit is
                    ignored, euid stays 65534), and /usr/bin/passwd (setuid
                    root, in the query's list of expected programs) run by
                    nobody, whose exec does make euid 0: not reported.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from container_layouts import query_text, rows, run_query
from procsql_test import (AUDIT, ProcsqlTestCase, marker, nullable, python_connect_and_load,
                          require_tool, unavailable, use_default_config)

NOBODY = 65534
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
QUERY_FILES = ("ld_preload_exec.sql", "container_drift.sql", "containers_without_seccomp.sql",
               "privileged_container_processes.sql", "setuid_escalation.sql", "exec_probing.sql")

# One process (this script's) that tries to exec each name in turn from a
# directory that does not exist: every attempt is a failed execve (ENOENT)
# of the same process; the last one runs /usr/bin/true with the marker.
PROBE = """
import os, sys
marker = sys.argv[1]
for name in sys.argv[2:]:
    try:
        os.execv("/nonexistent-%s/" % marker + name, [name, marker])
    except OSError:
        pass
os.execv("/usr/bin/true", ["true", marker])
"""


def nosuid(path):
    return bool(os.statvfs(path).f_flag & os.ST_NOSUID)


class DetectionQueriesTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        use_default_config(self)
        self.conn = python_connect_and_load()
        self.addCleanup(self.conn.close)

    def marked(self, m, extra=""):
        return rows(self.conn, "SELECT eid, pid, uid, euid, mode, owner_uid, path, cmdline, env, "
                    "exe_fs FROM process_events WHERE argv LIKE ? %s ORDER BY eid" % extra,
                    ("%" + m + "%",))

    # ------------------------------------------------------------ headers

    def test_queries_are_headed(self):
        for name in QUERY_FILES:
            sql = query_text(name)
            head = []
            for line in sql.splitlines():
                if not line.startswith("--"):
                    break
                head.append(line)
            head = "\n".join(head)
            self.assertIn("-- Question:", head, name)
            table = "exec_failures" if name == "exec_probing.sql" else "process_events"
            self.assertIn("-- Driving table: " + table, head, name)
            self.assertIn("-- Cron", head, name)
            self.assertIn("procsql query --format jsonl /usr/share/procsql/queries/" + name, head, name)
            self.assertIn("procsql_window(@job, '%s')" % table, sql, name)

    # ---------------------------------------------------------- LD_PRELOAD

    def test_ld_preload_exec(self):
        m = marker()
        true = os.path.realpath("/usr/bin/true")
        eat = "/usr/lib/x86_64-linux-gnu/libeatmydata.so"
        cases = [  # tag, environment, reported
            ("pre", {"LD_PRELOAD": "/tmp/%s.so" % m}, True),
            ("aud", {"LD_AUDIT": "/tmp/%sa.so" % m}, True),
            ("colon", {"LD_PRELOAD": "%s:/tmp/%sc.so" % (eat, m)}, True),
            ("space", {"LD_PRELOAD": "/tmp/%ss.so %s" % (m, eat)}, True),
            ("both", {"LD_PRELOAD": eat, "LD_AUDIT": "/tmp/%sb.so" % m}, True),
            ("named", {"LD_PRELOAD": "/tmp/%s/libjemalloc.so.2" % m}, True),
            ("dotdot", {"LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/../../../tmp/%s/libjemalloc.so.2" % m}, True),
            ("eat", {"LD_PRELOAD": eat}, False),
            ("jemalloc", {"LD_PRELOAD": "/lib/x86_64-linux-gnu/libjemalloc.so.2"}, False),
            ("fakeroot", {"LD_PRELOAD": "libfakeroot-sysv.so"}, False),
            ("two", {"LD_PRELOAD": eat + ":/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"}, False),
            ("empty", {"LD_PRELOAD": ""}, False),
            ("none", {}, False),
        ]
        for tag, env, _ in cases:
            p = subprocess.run([true, m + tag], env=dict(CLEAN_ENV, **env), capture_output=True)
            # ld.so cannot load what is not there, says so and runs the program.
            self.assertEqual(p.returncode, 0, (tag, p))
            if tag in ("pre", "aud", "colon", "space", "both", "named", "dotdot", "eat", "jemalloc"):
                self.assertIn(b"ld.so", p.stderr, (tag, p))

        ev = {r["cmdline"].split()[-1][len(m):]: r for r in self.marked(m)}
        print(json.dumps(ev, indent=1))
        self.assertEqual(sorted(ev), sorted(tag for tag, _, _ in cases))
        for tag, env, _ in cases:
            r = ev[tag]
            self.assertEqual(r["path"], true)
            got = nullable(r, "process_events", "env")
            want = {k: v for k, v in env.items()}
            self.assertEqual(json.loads(got) if isinstance(got, str) else got, want, tag)

        result = run_query(self.conn, "ld_preload_exec.sql")
        mine = {r["cmdline"].split()[-1][len(m):]: r for r in result if m in (r["cmdline"] or "")}
        print(json.dumps(mine, indent=1))
        if AUDIT:
            # No environment on audit: nothing can be reported.
            self.assertEqual(mine, {})
            return
        self.assertEqual(sorted(mine), sorted(tag for tag, _, reported in cases if reported))
        for tag, env, reported in cases:
            if reported:
                r = mine[tag]
                self.assertEqual(
                    {k: r[k] for k in ("eid", "ld_preload", "ld_audit", "pid", "uid", "euid", "path",
                                       "container_id")},
                    {"eid": ev[tag]["eid"], "ld_preload": env.get("LD_PRELOAD"),
                     "ld_audit": env.get("LD_AUDIT"), "pid": ev[tag]["pid"], "uid": 0, "euid": 0,
                     "path": true, "container_id": None})

    # ---------------------------------------------------------- setuid

    def suid_dir(self):
        """A fresh directory nobody can enter, on a file system that honours
        the setuid bit."""
        for base in ("/var/tmp", "/tmp"):
            if os.path.isdir(base) and not nosuid(base):
                d = os.path.realpath(tempfile.mkdtemp(prefix="procsql-suid-", dir=base))
                self.addCleanup(shutil.rmtree, d, True)
                os.chmod(d, 0o755)
                return d
        unavailable(self, "/var/tmp and /tmp are mounted nosuid")

    def test_setuid_escalation(self):
        setpriv = require_tool(self, "setpriv")
        unshare = require_tool(self, "unshare")
        m = marker()
        d = self.suid_dir()
        suid = os.path.join(d, "id")
        plain = os.path.join(d, "id-plain")
        for path, mode in ((suid, 0o4755), (plain, 0o755)):
            shutil.copy("/usr/bin/id", path)
            os.chown(path, 0, 0)
            os.chmod(path, mode)
        as_nobody = [setpriv, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"]

        def run(argv):
            return subprocess.run(argv, env=CLEAN_ENV, capture_output=True, cwd="/")

        # The file system honours the bit: the copy runs with euid 0.
        p = run(as_nobody + [suid, "-u"])
        self.assertEqual((p.returncode, p.stdout), (0, b"0\n"), p)
        # `id NAME` fails (no such user): the exec is what counts.
        run(as_nobody + [suid, m + "s"])
        run(as_nobody + [plain, m + "p"])
        run([suid, m + "r"])
        p = run(as_nobody + ["/usr/bin/passwd", "--help", m + "w"])
        self.assertEqual(p.returncode, 0, p)
        # A nosuid mount of a private mount namespace: the bit is ignored.
        mnt = self.suid_dir()
        p = run([unshare, "--mount", "--propagation", "private", "/bin/sh", "-ec",
                 'mount -t tmpfs -o nosuid,mode=0755 procsql-nosuid "$1"; cp /usr/bin/id "$1/id"; '
                 'chmod 4755 "$1/id"; shift; "$@"', "sh", mnt] + as_nobody + [mnt + "/id", m + "n"])
        self.assertEqual(p.returncode, 1, p)  # id: no such user

        # The execs of setpriv, unshare and sh carry the marker too.
        helpers = [os.path.realpath(x) for x in (setpriv, unshare, "/bin/sh")]
        ev = {r["cmdline"].split()[-1][len(m):]: r for r in self.marked(m) if r["path"] not in helpers}
        print(json.dumps(ev, indent=1))
        self.assertEqual(sorted(ev), ["n", "p", "r", "s", "w"])
        want = {"s": (suid, NOBODY, 0, 0o104755), "p": (plain, NOBODY, NOBODY, 0o100755),
                "r": (suid, 0, 0, 0o104755), "w": ("/usr/bin/passwd", NOBODY, 0, 0o104755),
                "n": (mnt + "/id", NOBODY, NOBODY, 0o104755)}
        for tag, (path, uid, euid, mode) in want.items():
            r = ev[tag]
            self.assertEqual((r["path"], r["uid"], r["euid"], nullable(r, "process_events", "mode"),
                              nullable(r, "process_events", "owner_uid")),
                             (path, uid, euid, mode, 0), tag)
        self.assertEqual(nullable(ev["n"], "process_events", "exe_fs"), "tmpfs")

        result = run_query(self.conn, "setuid_escalation.sql")
        mine = [r for r in result if m in (r["cmdline"] or "")]
        print(json.dumps(mine, indent=1))
        self.assertEqual(len(mine), 1, mine)
        r = mine[0]
        self.assertEqual(
            {k: r[k] for k in ("eid", "uid", "euid", "owner_uid", "perms", "pid", "path", "filename",
                               "cmdline", "container_id")},
            {"eid": ev["s"]["eid"], "uid": NOBODY, "euid": 0, "owner_uid": 0, "perms": "4755",
             "pid": ev["s"]["pid"], "path": suid, "filename": suid, "cmdline": "%s %ss" % (suid, m),
             "container_id": None})
        self.assertIsNone(r["tty"])


    # ------------------------------------------------------------ exec_probing

    def probe(self, names):
        """Runs PROBE: one process failing to exec each of NAMES; its pid."""
        m = marker()
        p = subprocess.run(["/usr/bin/python3", "-c", PROBE, m] + list(names), env=CLEAN_ENV, timeout=60)
        self.assertEqual(p.returncode, 0)
        return m

    def probing_rows(self, pid_of_marker):
        pids = {r["pid"] for r in rows(self.conn, "SELECT pid FROM exec_failures WHERE filename LIKE ?",
                                       ("/nonexistent-" + pid_of_marker + "/%",))}
        return pids, [r for r in run_query(self.conn, "exec_probing.sql") if r["pid"] in pids]

    def test_exec_probing_many_programs(self):
        m = self.probe(["alpha", "bravo", "charlie", "delta", "echo-x", "foxtrot"])
        pids, found = self.probing_rows(m)
        self.assertEqual(len(pids), 1, "one process made the failures")
        self.assertEqual(len(found), 1, found)
        r = found[0]
        print(json.dumps(r, indent=1))
        self.assertEqual(r["why"], "many programs")
        self.assertEqual(r["failures"], 6)
        self.assertEqual(r["distinct_names"], 6)
        self.assertEqual(sorted(r["names"].split(",")), ["alpha", "bravo", "charlie", "delta", "echo-x", "foxtrot"])
        self.assertEqual(r["errnos"], "ENOENT")
        self.assertEqual(r["comm"], "python3")
        self.assertIsNotNone(r["store_id"])

    def test_exec_probing_recon_tool(self):
        m = self.probe(["nc"])
        pids, found = self.probing_rows(m)
        self.assertEqual(len(found), 1, found)
        self.assertEqual((found[0]["why"], found[0]["names"], found[0]["failures"]), ("recon tool", "nc", 1))

    def test_exec_probing_ignores_a_few_names_and_path_searches(self):
        # Four names (under the threshold of five), none a recon tool.
        m = self.probe(["alpha", "bravo", "charlie", "delta"])
        pids, found = self.probing_rows(m)
        self.assertEqual(len(pids), 1)
        self.assertEqual(found, [])
        # A missing command exec'd by a shell (dash's `exec` tries each PATH
        # directory in turn): one failed exec per directory, all of one name.
        m2 = marker()
        p = subprocess.run(["/bin/sh", "-c", "exec %s-missing 2>/dev/null" % m2],
                           env=dict(CLEAN_ENV, PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
                           stderr=subprocess.DEVNULL, timeout=60)
        self.assertEqual(p.returncode, 127)
        fails = rows(self.conn, "SELECT pid, filename FROM exec_failures WHERE filename LIKE ?",
                     ("%" + m2 + "-missing",))
        self.assertGreaterEqual(len(fails), 2, "the shell searched PATH with failed execs: %r" % fails)
        shell_pids = {f["pid"] for f in fails}
        self.assertEqual([r for r in run_query(self.conn, "exec_probing.sql") if r["pid"] in shell_pids], [])

    def test_exec_probing_plain_container_start(self):
        from containers import Container
        c = Container(self, ["sh", "-c", "/bin/true; exit 0"])
        r = c.run()
        self.assertEqual(r.returncode, 0, r)
        found = [x for x in run_query(self.conn, "exec_probing.sql") if x["container_id"] == c.id]
        self.assertEqual(found, [])


if __name__ == "__main__":
    unittest.main()
