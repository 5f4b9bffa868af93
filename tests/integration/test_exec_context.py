"""What an exec ran with, as process_events (and processes) tell it: the
allowlisted environment (env, env_truncated), the privileges after the exec
(cap_effective, cap_permitted, cap_ambient, cap_bounding, no_new_privs,
seccomp, procsql_caps_text()), and where the executed file lives (exe_fs,
exe_upper_layer). Through the real sqlite3 shell and Debian's python3
sqlite3 module, each exec found by a unique marker in its argv.

  * env: LD_PRELOAD and LD_AUDIT (files that need not exist: ld.so says so
    and the program runs) are in env, exactly, and nothing else of the
    environment is; a variable off the allowlist never reaches procsqld's
    state directory (every byte of every file read), while the allowlisted
    one does (so the search finds what is there); an environment longer than
    PROCSQL_ENV_BYTES sets env_truncated and the counter; PROCSQL_ENV=FOO,BAR
    keeps those two; PROCSQL_ENV='' makes env NULL; a bad PROCSQL_ENV or
    PROCSQL_ENV_BYTES fails .load with one line;
  * privileges: setpriv --no-new-privs, a bounding set without
    CAP_SYS_ADMIN, a non-root exec (no capabilities), a root exec (its
    capabilities, CAP_SYS_ADMIN among them), a seccomp filter
    (tests/progs/seccomp_exec.c) and a plain exec (disabled);
  * processes: long-lived processes under no_new_privs, a seccomp filter and
    a smaller bounding set, against /proc/PID/status; through procsqld too;
  * exe_fs and exe_upper_layer: a binary on the root file system, on an
    overlay's lower layer, written into the overlay (upper layer), copied up
    by a chmod, and on a tmpfs.

On the audit backend (PROCSQL_TEST_BACKEND=audit) env, env_truncated, exe_fs
and exe_upper_layer are NULL, and the privileges are what /proc/PID/status
said when the connector reported the exec: for a process that lives on
(`sh -c 'sleep 0.5; :'`) they must be there and right; for one that exits at
once they may be NULL, never wrong. The exec of a program that changes its
own privileges and then execs (setpriv, seccomp_exec) is not checked on
audit: its /proc may be read after the change (the README says so).
"""

import json
import os
import shlex
import shutil
import signal
import subprocess
import time
import unittest

import test_load_errors
from daemon_harness import Daemon, PythonClient
from procsql_test import (AUDIT, TRUE, DASH, ProcsqlTestCase, Script, marker, nullable,
                          python_connect_and_load, require_tool, sql_str, stats_dict,
                          stats_query, unavailable, use_default_config)

SLEEP = os.path.realpath("/usr/bin/sleep")
CAP_SYS_ADMIN = 21
SECCOMP_MODES = {0: "disabled", 1: "strict", 2: "filter"}
PRIVILEGE_COLUMNS = ("cap_effective", "cap_permitted", "cap_ambient", "cap_bounding",
                     "no_new_privs", "seccomp")
EBPF_ONLY_COLUMNS = ("env", "env_truncated", "exe_fs", "exe_upper_layer")
# A command that outlives the read the audit backend makes at its exec.
LIVES_ON = ["/bin/sh", "-c", "sleep 0.5; :"]
# The names fs_type_name gives (extension/privileges.cpp) to the file systems
# these tests meet; any other is "0x" and its magic number in hex.
FS_NAMES = {0xef53: "ext4", 0x58465342: "xfs", 0x9123683e: "btrfs", 0x794c7630: "overlay",
            0x01021994: "tmpfs", 0x2fc12fc1: "zfs", 0xf2f52010: "f2fs"}


def proc_status(pid="self"):
    """The privileges /proc/PID/status shows, as process_events holds them."""
    fields = {}
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return {
        "cap_effective": int(fields["CapEff"], 16),
        "cap_permitted": int(fields["CapPrm"], 16),
        "cap_ambient": int(fields["CapAmb"], 16),
        "cap_bounding": int(fields["CapBnd"], 16),
        "no_new_privs": int(fields["NoNewPrivs"]),
        "seccomp": SECCOMP_MODES[int(fields["Seccomp"])],
    }


def fs_name(path):
    """exe_fs for a file on `path`'s file system: the kernel's magic number
    (statfs f_type, as `stat -f` shows it) by the name procsql gives it."""
    out = subprocess.run(["stat", "-f", "-c", "%t", path], capture_output=True, check=True)
    magic = int(out.stdout.decode().strip(), 16)
    return FS_NAMES.get(magic, "0x%x" % magic)


def only(tc, rows, what):
    tc.assertEqual(len(rows), 1, "expected exactly one %s, got %r" % (what, rows))
    return rows[0]


def rows_query(script, m, path):
    """A query for the process_events rows of marker m whose executable is
    `path`, with the capability sets named by procsql_caps_text()."""
    return script.query(
        "SELECT *, procsql_caps_text(cap_effective) AS effective_text,"
        " procsql_caps_text(cap_bounding) AS bounding_text FROM process_events"
        " WHERE argv LIKE %s AND path = %s ORDER BY eid" % (sql_str("%" + m + "%"), sql_str(path)))


def wait_exec(tc, pid, path, timeout_s=30.0):
    """Waits until process pid runs `path` (it has exec'd)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if os.path.realpath("/proc/%d/exe" % pid) == path:
                return
        except OSError:
            pass
        tc.assertLess(time.monotonic(), deadline, "pid %d never exec'd %s" % (pid, path))
        time.sleep(0.01)


class ExecContextCase(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        self.setpriv = require_tool(self, "setpriv")
        self.own = proc_status()
        if not self.own["cap_effective"] & (1 << CAP_SYS_ADMIN):
            unavailable(self, "this process lacks CAP_SYS_ADMIN (the tests compare root's execs with it)")
        with open("/proc/self/status") as f:
            inheritable = int(next(l for l in f if l.startswith("CapInh:")).split()[1], 16)
        # What a root exec of a file without capabilities gets (capabilities(7)):
        # permitted and effective = bounding set | inheritable set.
        root = self.own["cap_bounding"] | inheritable
        self.root_exec = dict(self.own, cap_effective=root, cap_permitted=root)

    def assert_no_ebpf_only_columns(self, row):
        """On audit: env, env_truncated, exe_fs and exe_upper_layer are NULL."""
        for column in EBPF_ONLY_COLUMNS:
            self.assertIsNone(row[column], column)

    def assert_privileges(self, row, want, lives_on):
        """The row's privileges are `want` (a dict of some of the columns).
        On audit a process that exited at once may have NULLs, never another
        value; one that lives on must have them."""
        for column, value in want.items():
            got = row[column] if (lives_on or not AUDIT) else nullable(row, "process_events", column)
            self.assertEqual(got, value, "%s of %s" % (column, row["argv"]))


class EnvTest(ExecContextCase):
    """process_events.env: the allowlisted variables, filtered in the kernel."""

    def test_ld_preload_and_ld_audit(self):
        """env -i with LD_PRELOAD, LD_AUDIT and variables off the allowlist:
        env holds exactly the two, in the environment's order."""
        m1, m2, m3, secret = marker(), marker(), marker(), marker()
        s = Script()
        s.load()
        s.shell("env -i LD_PRELOAD=/tmp/%s.so /bin/true %s 2>/dev/null" % (m1, m1))
        s.shell("env -i LD_AUDIT=/tmp/%s.so /bin/true %s 2>/dev/null" % (m2, m2))
        s.shell("env -i FOO=bar LD_PRELOAD=/tmp/%s-p.so PROCSQL_TEST_SECRET=%s LD_AUDIT=/tmp/%s-a.so"
                " PATHX=/x /bin/true %s 2>/dev/null" % (m3, secret, m3, m3))
        qs = [rows_query(s, m, TRUE) for m in (m1, m2, m3)]
        r = s.run()
        rows = [only(self, r.rows(q), "true of %s" % m) for q, m in zip(qs, (m1, m2, m3))]
        for row in rows:
            self.assertNotIn(secret, json.dumps(row))
        if AUDIT:
            for row in rows:
                self.assert_no_ebpf_only_columns(row)
            return
        self.assertEqual(rows[0]["env"], '{"LD_PRELOAD":"/tmp/%s.so"}' % m1)
        self.assertEqual(rows[1]["env"], '{"LD_AUDIT":"/tmp/%s.so"}' % m2)
        self.assertEqual(rows[2]["env"], '{"LD_PRELOAD":"/tmp/%s-p.so","LD_AUDIT":"/tmp/%s-a.so"}' % (m3, m3))
        for row in rows:
            self.assertEqual(row["env_truncated"], 0)

    def test_ld_preload_python(self):
        """The same through python3's sqlite3, the collector in this process,
        and json_extract on the column."""
        use_default_config(self)
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        m, secret = marker(), marker()
        subprocess.run(["env", "-i", "PROCSQL_TEST_SECRET=" + secret, "LD_PRELOAD=/tmp/%s.so" % m, TRUE, m],
                       check=True, stderr=subprocess.DEVNULL)
        rows = conn.execute(
            "SELECT env, env_truncated, json_extract(env, '$.LD_PRELOAD') AS preload,"
            " json_extract(env, '$.PROCSQL_TEST_SECRET') AS secret FROM process_events"
            " WHERE argv LIKE ? AND path = ?", ("%" + m + "%", TRUE)).fetchall()
        self.assertEqual(len(rows), 1, rows)
        env, truncated, preload, leaked = rows[0]
        self.assertIsNone(leaked)
        self.assertNotIn(secret, str(env))
        if AUDIT:
            self.assertEqual((env, truncated, preload), (None, None, None))
        else:
            self.assertEqual(json.loads(env), {"LD_PRELOAD": "/tmp/%s.so" % m})
            self.assertEqual((truncated, preload), (0, "/tmp/%s.so" % m))

    def test_secret_never_reaches_procsqlds_files(self):
        """procsqld in a state directory of its own: an exec whose
        environment holds a secret (off the allowlist) and LD_PRELOAD, and a
        long-lived process with the same environment (processes is published
        whole). Every byte of every file in the state directory holds the
        argv marker and (eBPF) the LD_PRELOAD value, never the secret: while
        procsqld runs and after it stopped. The long-lived process's
        privileges come through the published processes snapshot."""
        d = Daemon(self)
        d.start()
        m, allowed, secret = marker(), marker(), marker()
        env = {"PATH": "/usr/bin:/bin", "PROCSQL_TEST_SECRET": secret, "LD_PRELOAD": "/tmp/%s.so" % allowed}
        link = os.path.join(self.tmpdir(), m)
        os.symlink(SLEEP, link)
        sleeper = subprocess.Popen([self.setpriv, "--no-new-privs", link, "60"], env=env,
                                   stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (sleeper.kill(), sleeper.wait()))
        subprocess.run([TRUE, m], env=env, check=True, stderr=subprocess.DEVNULL)
        wait_exec(self, sleeper.pid, SLEEP)

        c = d.python_client()
        rows = c.query("SELECT env, env_truncated FROM process_events WHERE argv LIKE ? AND path = ?",
                       ["%" + m + "%", TRUE])
        self.assertEqual(len(rows), 1, rows)
        if AUDIT:
            self.assertEqual(rows[0], {"env": None, "env_truncated": None})
        else:
            self.assertEqual(json.loads(rows[0]["env"]), {"LD_PRELOAD": "/tmp/%s.so" % allowed})
        procs = c.query("SELECT * FROM processes WHERE pid = ?", [sleeper.pid])
        self.assertEqual(len(procs), 1, procs)
        status = proc_status(sleeper.pid)
        self.assertEqual(status["no_new_privs"], 1)
        self.assertEqual({k: procs[0][k] for k in PRIVILEGE_COLUMNS}, status)
        c.close()

        def scan():
            found = {"argv": False, "allowed": False}
            files = 0
            for top, _, names in os.walk(d.state_dir):
                for name in names:
                    with open(os.path.join(top, name), "rb") as f:
                        data = f.read()
                    files += 1
                    self.assertNotIn(secret.encode(), data, "the secret is in " + name)
                    found["argv"] |= m.encode() in data
                    found["allowed"] |= allowed.encode() in data
            self.assertGreaterEqual(files, 7)  # the control region and six stores
            self.assertTrue(found["argv"], "the argv marker is in no file: the search does not see rows")
            self.assertEqual(found["allowed"], not AUDIT)

        scan()
        d.stop()
        scan()

    def test_environment_longer_than_the_bound(self):
        """PROCSQL_ENV_BYTES=4096 and an 8 KiB variable: LD_PRELOAD after it
        is past the bound (env {}), before it is kept; both set
        env_truncated, and process_events.env_truncated counts them; a short
        environment is not truncated."""
        m1, m2, m3 = marker(), marker(), marker()
        big = "BIG=$(head -c 8192 /dev/zero | tr '\\0' x)"
        s = Script()
        s.load()
        q0 = stats_query(s)
        s.sh("env -i %s LD_PRELOAD=/tmp/%s.so /bin/true %s 2>/dev/null\n"
             "env -i LD_PRELOAD=/tmp/%s.so %s /bin/true %s 2>/dev/null\n"
             "env -i LD_PRELOAD=/tmp/%s.so /bin/true %s 2>/dev/null\n"
             % (big, m1, m1, m2, big, m2, m3, m3))
        qs = [rows_query(s, m, TRUE) for m in (m1, m2, m3)]
        q1 = stats_query(s)
        r = s.run(env={"PROCSQL_ENV_BYTES": "4096"})
        rows = [only(self, r.rows(q), "true of %s" % m) for q, m in zip(qs, (m1, m2, m3))]
        before, after = stats_dict(r.rows(q0)), stats_dict(r.rows(q1))
        self.assertEqual(after["env_bytes"], 4096)
        if AUDIT:
            for row in rows:
                self.assert_no_ebpf_only_columns(row)
            return
        self.assertEqual((json.loads(rows[0]["env"]), rows[0]["env_truncated"]), ({}, 1))
        self.assertEqual((json.loads(rows[1]["env"]), rows[1]["env_truncated"]),
                         ({"LD_PRELOAD": "/tmp/%s.so" % m2}, 1))
        self.assertEqual((json.loads(rows[2]["env"]), rows[2]["env_truncated"]),
                         ({"LD_PRELOAD": "/tmp/%s.so" % m3}, 0))
        self.assertGreaterEqual(after["process_events.env_truncated"] - before["process_events.env_truncated"], 2)

    def test_custom_list(self):
        """PROCSQL_ENV=FOO,BAR: those two, not the default list's LD_PRELOAD;
        through the shell and through python3."""
        def run(m):
            return "env -i FOO=%s-foo LD_PRELOAD=/tmp/x.so BAZ=1 BAR=%s-bar /bin/true %s 2>/dev/null" % (m, m, m)
        m1, m2 = marker(), marker()
        s = Script()
        s.load()
        s.shell(run(m1))
        q = rows_query(s, m1, TRUE)
        qs = stats_query(s)
        r = s.run(env={"PROCSQL_ENV": "FOO,BAR"})
        row = only(self, r.rows(q), "true")
        self.assertEqual(stats_dict(r.rows(qs))["env_names"], "FOO,BAR")

        c = PythonClient(self, {"PROCSQL_MODE": "embedded", "PROCSQL_ENV": " FOO , BAR "})
        subprocess.run(["/bin/sh", "-c", run(m2)], check=True)
        rows = c.query("SELECT env, env_truncated FROM process_events WHERE argv LIKE ? AND path = ?",
                       ["%" + m2 + "%", TRUE])
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(c.stats()["env_names"], "FOO,BAR")
        if AUDIT:
            self.assert_no_ebpf_only_columns(row)
            self.assertEqual(rows[0], {"env": None, "env_truncated": None})
            return
        self.assertEqual(row["env"], '{"FOO":"%s-foo","BAR":"%s-bar"}' % (m1, m1))
        self.assertEqual(json.loads(rows[0]["env"]), {"FOO": m2 + "-foo", "BAR": m2 + "-bar"})
        self.assertEqual(rows[0]["env_truncated"], 0)

    def test_empty_list(self):
        """PROCSQL_ENV='': no variable is looked at; env and env_truncated are
        NULL, and no exec counts as unreadable."""
        m = marker()
        s = Script()
        s.load()
        s.shell("env -i LD_PRELOAD=/tmp/%s.so /bin/true %s 2>/dev/null" % (m, m))
        q = rows_query(s, m, TRUE)
        qs = stats_query(s)
        r = s.run(env={"PROCSQL_ENV": ""})
        row = only(self, r.rows(q), "true")
        self.assertIsNone(row["env"])
        self.assertIsNone(row["env_truncated"])
        stats = stats_dict(r.rows(qs))
        self.assertEqual(stats["env_names"], "")
        if not AUDIT:
            self.assertEqual(stats["process_events.env_unreadable"], 0)
            self.assertEqual(row["exe_fs"], fs_name(TRUE), "the rest of the row is there")

    def test_bad_values_fail_the_load_with_one_line(self):
        """A bad PROCSQL_ENV or PROCSQL_ENV_BYTES: .load fails with one line
        naming it (the shell), load_extension raises it (python3); neither
        crashes."""
        names33 = ",".join("V%d" % i for i in range(33))
        cases = [
            ("PROCSQL_ENV", "LD-PRELOAD", ["PROCSQL_ENV must list variable names", "'LD-PRELOAD'"]),
            ("PROCSQL_ENV", "LD_PRELOAD,FOO=1", ["PROCSQL_ENV", "'FOO=1'"]),
            ("PROCSQL_ENV", "N" * 64, ["PROCSQL_ENV", "at most 63 bytes"]),
            ("PROCSQL_ENV", names33, ["PROCSQL_ENV names 33 variables; at most 32"]),
            ("PROCSQL_ENV_BYTES", "1024", ["PROCSQL_ENV_BYTES", "4096", "262144", "'1024'"]),
            ("PROCSQL_ENV_BYTES", "1M", ["PROCSQL_ENV_BYTES", "'1M'"]),
        ]
        for name, value, words in cases:
            with self.subTest(name=name, value=value):
                s = Script()
                s.load()
                s.query("SELECT 1 AS after_load")
                r = s.run(env={name: value}, check=False)
                test_load_errors.LoadErrorTest.assert_clean_error(self, r, words)
                c = PythonClient(self, {"PROCSQL_MODE": "embedded", name: value}, check=False)
                self.assertIsNotNone(c.load_error)
                for word in words:
                    self.assertIn(word, c.load_error)
                self.assertEqual(c.close(), 1, "the client exits 1 after a failed load, not on a signal")


class PrivilegeTest(ExecContextCase):
    """cap_*, no_new_privs and seccomp after the exec, and procsql_caps_text()."""

    def run_cases(self, cases):
        """cases: (marker, command words, path of the row, want, lives_on).
        Runs each through the sqlite3 shell (from a script file, so that no
        shell's own argv holds the marker); returns {marker: row}."""
        s = Script()
        s.load()
        queries = []
        for m, words, path, want, lives_on in cases:
            s.sh(shlex.join(words + [m]) + "\n")
            queries.append(rows_query(s, m, path))
        r = s.run()
        out = {}
        for (m, words, path, want, lives_on), q in zip(cases, queries):
            row = only(self, r.rows(q), "%s row of %s" % (path, " ".join(words)))
            self.assert_privileges(row, want, lives_on)
            if AUDIT:
                self.assert_no_ebpf_only_columns(row)
            out[m] = row
        return out

    def test_no_new_privs(self):
        """setpriv --no-new-privs: the command's row has no_new_privs 1, the
        rest as this (root) process has them; setpriv's own exec, and the
        shell's that ran it, have 0."""
        root = dict(self.root_exec, no_new_privs=1)
        m1, m2 = marker(), marker()
        rows = self.run_cases([
            (m1, [self.setpriv, "--no-new-privs", "/bin/true"], TRUE, root, False),
            (m2, [self.setpriv, "--no-new-privs"] + LIVES_ON, DASH, root, True),
        ])
        s = Script()
        s.load()
        m3 = marker()
        s.shell("%s --no-new-privs /bin/true %s" % (self.setpriv, m3))
        q_setpriv = rows_query(s, m3, os.path.realpath(self.setpriv))
        q_sh = rows_query(s, m3, DASH)
        r = s.run()
        sh = only(self, r.rows(q_sh), "sh -c row")
        self.assertEqual(nullable(sh, "process_events", "no_new_privs"), 0)
        if not AUDIT:  # setpriv sets it right after its exec: audit may read it then
            self.assertEqual(only(self, r.rows(q_setpriv), "setpriv row")["no_new_privs"], 0)
        self.assertEqual(rows[m2]["no_new_privs"], 1)

    def test_bounding_set_without_sys_admin(self):
        """setpriv --inh-caps=-all --bounding-set=-sys_admin: bit 21 is out of
        cap_bounding (and so of the effective set root gets at exec), and
        procsql_caps_text names every capability but CAP_SYS_ADMIN."""
        bit = 1 << CAP_SYS_ADMIN
        want = {"cap_bounding": self.own["cap_bounding"] & ~bit,
                "cap_effective": self.own["cap_bounding"] & ~bit,  # no inheritable set left
                "cap_permitted": self.own["cap_bounding"] & ~bit,
                "no_new_privs": self.own["no_new_privs"], "seccomp": self.own["seccomp"]}
        m1, m2 = marker(), marker()
        prefix = [self.setpriv, "--inh-caps=-all", "--bounding-set=-sys_admin"]
        rows = self.run_cases([
            (m1, prefix + ["/bin/true"], TRUE, want, False),
            (m2, prefix + LIVES_ON, DASH, want, True),
        ])
        for row in rows.values():
            if row["cap_bounding"] is None:
                continue  # audit, a process already gone
            self.assertFalse(row["cap_bounding"] & bit)
            self.assertNotIn("CAP_SYS_ADMIN", row["bounding_text"])
            self.assertEqual(len(row["bounding_text"].split("|")), bin(row["cap_bounding"]).count("1"))
            self.assertNotIn("CAP_SYS_ADMIN", row["effective_text"])

    def test_non_root_exec_has_no_capabilities(self):
        """uid 65534 (setpriv --reuid): every set but the bounding set is
        empty after the exec."""
        want = {"cap_effective": 0, "cap_permitted": 0, "cap_ambient": 0,
                "cap_bounding": self.own["cap_bounding"], "no_new_privs": self.own["no_new_privs"],
                "seccomp": self.own["seccomp"]}
        prefix = [self.setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        m1, m2 = marker(), marker()
        rows = self.run_cases([
            (m1, prefix + ["/bin/true"], TRUE, want, False),
            (m2, prefix + LIVES_ON, DASH, want, True),
        ])
        self.assertEqual(rows[m1]["uid"], 65534)
        self.assertEqual(rows[m2]["effective_text"], "")

    def test_root_exec(self):
        """A plain root exec: the capabilities this process has (CAP_SYS_ADMIN
        among them, named by procsql_caps_text), no no_new_privs, seccomp as
        this process's; also through python3."""
        m1, m2, m3, m4 = marker(), marker(), marker(), marker()
        rows = self.run_cases([
            (m1, ["/bin/true"], TRUE, self.root_exec, False),
            (m2, LIVES_ON, DASH, self.root_exec, True),
        ])
        self.assertIn("CAP_SYS_ADMIN", rows[m2]["effective_text"])
        if rows[m1]["cap_effective"] is not None:
            self.assertTrue(rows[m1]["cap_effective"] & (1 << CAP_SYS_ADMIN))
            self.assertIn("CAP_SYS_ADMIN", rows[m1]["effective_text"])

        use_default_config(self)
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        subprocess.run([TRUE, m3], check=True)
        subprocess.run([self.setpriv, "--no-new-privs"] + LIVES_ON + [m4], check=True)
        conn.row_factory = lambda cur, r: {d[0]: v for d, v in zip(cur.description, r)}
        got = {}
        for m, path in ((m3, TRUE), (m4, DASH)):
            got[m] = conn.execute(
                "SELECT *, procsql_caps_text(cap_effective) AS effective_text FROM process_events"
                " WHERE argv LIKE ? AND path = ?", ("%" + m + "%", path)).fetchall()
            self.assertEqual(len(got[m]), 1, got[m])
        self.assert_privileges(got[m3][0], self.root_exec, False)
        self.assert_privileges(got[m4][0], dict(self.root_exec, no_new_privs=1), True)
        self.assertIn("CAP_SYS_ADMIN", got[m4][0]["effective_text"])

    def test_seccomp_filter(self):
        """tests/progs/seccomp_exec: an allow-all filter and no_new_privs,
        then the exec: seccomp 'filter', no_new_privs 1; a plain exec beside
        it reads as this process does ('disabled' here)."""
        prog = self.prog("seccomp_exec")
        if self.own["seccomp"] != "disabled":
            unavailable(self, "this process already runs under seccomp (%s)" % self.own["seccomp"])
        filtered = dict(self.root_exec, seccomp="filter", no_new_privs=1)
        m1, m2, m3 = marker(), marker(), marker()
        rows = self.run_cases([
            (m1, [prog, "/bin/true"], TRUE, filtered, False),
            (m2, [prog] + LIVES_ON, DASH, filtered, True),
            (m3, ["/bin/true"], TRUE, self.root_exec, False),
        ])
        self.assertEqual(rows[m2]["seccomp"], "filter")

    def test_caps_text_function(self):
        """procsql_caps_text: NULL for NULL, names by bit, '' for 0, CAP_N
        for a bit without a name; an SQL error for what is not an integer."""
        s = Script()
        s.load()
        q = s.query("SELECT procsql_caps_text(NULL) IS NULL AS null_in, procsql_caps_text(2097152) AS admin,"
                    " procsql_caps_text(0) AS none, procsql_caps_text(3) AS two,"
                    " procsql_caps_text(1 << 62) AS unnamed, typeof(procsql_caps_text(0)) AS type")
        r = s.run()
        self.assertEqual(r.rows(q), [{"null_in": 1, "admin": "CAP_SYS_ADMIN", "none": "",
                                      "two": "CAP_CHOWN|CAP_DAC_OVERRIDE", "unnamed": "CAP_62", "type": "text"}])
        s = Script()
        s.load()
        s.query("SELECT procsql_caps_text('x') AS bad")
        r = s.run(check=False)
        self.assertNotEqual(r.returncode, 0)
        lines = r.stderr_lines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("procsql_caps_text: expects an integer capability set", lines[0])

        use_default_config(self)
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        self.assertEqual(conn.execute("SELECT procsql_caps_text(?), procsql_caps_text(?)",
                                      (None, 2097152)).fetchall(), [(None, "CAP_SYS_ADMIN")])
        import sqlite3
        for bad in ("x", 1.5, b"\x01"):
            with self.subTest(bad=bad):
                with self.assertRaises(sqlite3.OperationalError) as cm:
                    conn.execute("SELECT procsql_caps_text(?)", (bad,)).fetchall()
                self.assertIn("procsql_caps_text: expects an integer", str(cm.exception))
        with self.assertRaises(sqlite3.OperationalError):
            conn.execute("SELECT procsql_caps_text(1, 2)").fetchall()


class ProcessesPrivilegeTest(ExecContextCase):
    """processes: the privileges of live processes, as /proc/PID/status
    shows them (both backends), through the shell and python3."""

    def start(self, prefix, m):
        """GNU sleep 60 run by a link named m (its argv[0]), after `prefix`."""
        d = self.tmpdir()
        os.chmod(d, 0o755)  # uid 65534 runs one of them
        link = os.path.join(d, m)
        os.symlink(SLEEP, link)
        p = subprocess.Popen(prefix + [link, "60"], stderr=subprocess.DEVNULL, start_new_session=True)

        def reap():
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
            p.wait()
        self.addCleanup(reap)
        wait_exec(self, p.pid, SLEEP)
        return p

    def test_processes_privileges(self):
        prog = self.prog("seccomp_exec")
        plain = self.start([], marker())
        nnp = self.start([self.setpriv, "--no-new-privs"], marker())
        filtered = self.start([prog], marker())
        bounded = self.start([self.setpriv, "--inh-caps=-all", "--bounding-set=-sys_admin"], marker())
        nobody = self.start([self.setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"], marker())
        procs = [plain, nnp, filtered, bounded, nobody]
        pids = ",".join(str(p.pid) for p in procs)
        sql = ("SELECT pid, %s, procsql_caps_text(cap_bounding) AS bounding_text FROM processes"
               " WHERE pid IN (%s) ORDER BY pid" % (", ".join(PRIVILEGE_COLUMNS), pids))
        s = Script()
        s.load()
        q = s.query(sql)
        shell_rows = {row["pid"]: row for row in s.run().rows(q)}
        use_default_config(self)
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        python_rows = {row[0]: dict(zip(names, row)) for row in cur.fetchall()}
        for rows in (shell_rows, python_rows):
            self.assertEqual(sorted(rows), sorted(p.pid for p in procs))
            for p in procs:
                want = proc_status(p.pid)
                self.assertEqual({k: rows[p.pid][k] for k in PRIVILEGE_COLUMNS}, want, p.args)
        self.assertEqual(python_rows[nnp.pid]["no_new_privs"], 1)
        self.assertEqual(python_rows[filtered.pid]["seccomp"], "filter")
        self.assertNotIn("CAP_SYS_ADMIN", python_rows[bounded.pid]["bounding_text"])
        self.assertIn("CAP_SYS_ADMIN", python_rows[plain.pid]["bounding_text"])
        self.assertEqual(python_rows[nobody.pid]["cap_effective"], 0)


class ExeFsTest(ExecContextCase):
    """exe_fs and exe_upper_layer: the executed file's file system, and
    whether it is on an overlay's upper layer."""

    def mount(self, args, target):
        p = subprocess.run(["mount"] + args + [target], capture_output=True)
        if p.returncode != 0:
            unavailable(self, "cannot mount %s: %s" % (" ".join(args), p.stderr.decode().strip()))
        self.addCleanup(subprocess.run, ["umount", "-l", target], capture_output=True)

    def test_file_systems_and_layers(self):
        require_tool(self, "mount")
        base = os.path.join(self.tmpdir(), "t")
        os.mkdir(base)
        # A tmpfs of its own under the overlay's directories: the root file
        # system may itself be one that an upper layer cannot be on.
        self.mount(["-t", "tmpfs", "-o", "mode=0755", "procsql-test"], base)
        lower, upper, work, merged = (os.path.join(base, n) for n in ("lower", "upper", "work", "merged"))
        for path in (lower, upper, work, merged):
            os.mkdir(path)
        shutil.copy2(TRUE, os.path.join(lower, "lowertrue"))
        shutil.copy2(TRUE, os.path.join(lower, "chmodtrue"))
        tmpfs_true = shutil.copy2(TRUE, os.path.join(base, "tmpfstrue"))
        self.mount(["-t", "overlay", "-o", "lowerdir=%s,upperdir=%s,workdir=%s" % (lower, upper, work),
                    "procsql-test-overlay"], merged)
        shutil.copy2(TRUE, os.path.join(merged, "uppertrue"))  # written after the mount: upper layer
        os.chmod(os.path.join(merged, "chmodtrue"), 0o750)      # copied up
        self.assertTrue(os.path.exists(os.path.join(upper, "chmodtrue")), "chmod did not copy the file up")
        self.assertFalse(os.path.exists(os.path.join(upper, "lowertrue")))

        cases = [  # (marker, file, exe_fs, exe_upper_layer)
            (marker(), "/bin/true", fs_name(TRUE), 0),
            (marker(), os.path.join(merged, "lowertrue"), "overlay", 0),
            (marker(), os.path.join(merged, "uppertrue"), "overlay", 1),
            (marker(), os.path.join(merged, "chmodtrue"), "overlay", 1),
            (marker(), tmpfs_true, "tmpfs", 0),
        ]
        s = Script()
        s.load()
        queries = []
        for m, path, _, _ in cases:
            s.shell("%s %s" % (path, m))
            queries.append(s.query("SELECT path, exe_fs, exe_upper_layer FROM process_events"
                                   " WHERE argv LIKE %s AND filename = %s" % (sql_str("%" + m + "%"), sql_str(path))))
        qs = stats_query(s)
        r = s.run()
        for (m, path, fs, layer), q in zip(cases, queries):
            row = only(self, r.rows(q), path)
            if AUDIT:
                self.assertEqual((row["exe_fs"], row["exe_upper_layer"]), (None, None), path)
            else:
                self.assertEqual((row["exe_fs"], row["exe_upper_layer"]), (fs, layer), path)
        if not AUDIT:
            self.assertEqual(stats_dict(r.rows(qs))["process_events.exe_layer_unknown"], 0)


if __name__ == "__main__":
    unittest.main()
