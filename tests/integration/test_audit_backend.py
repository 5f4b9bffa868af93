"""The audit backend's own behaviour, on the real audit subsystem: falling
back from eBPF, coexisting with a running auditd, the rules each instance
adds and removes (also after a SIGKILL), rules that shadow procsql's, and
that it fills what /proc can tell of a process that lives long enough to be
read (the shared tests accept NULL there, one row at a time).

The shared exec, lifecycle and container tests run on this backend too
(tests/CMakeLists.txt); this file is what only the audit backend has.
Every test leaves the audit subsystem as it found it: enabled flag, rules
(none of procsql's, everyone else's intact) and daemon.
"""

import json
import os
import re
import signal
import subprocess
import time
import unittest

from containers import cgroup2_mount, ns_inode, proc_cgroup_v2
from procsql_test import (EXTENSION, ProcsqlTestCase, Script, events_with_marker,
                          marker, require_extension, require_tool, run_cmd, unavailable,
                          stats_dict, stats_query)

AUDITCTL = "/usr/sbin/auditctl"
AUDITD = "/usr/sbin/auditd"
AUDIT_LOG = "/var/log/audit/audit.log"


def audit_status():
    out = run_cmd([AUDITCTL, "-s"]).stdout.decode()
    return {l.split()[0]: l.split()[1] for l in out.splitlines() if len(l.split()) >= 2}


def audit_rules():
    out = run_cmd([AUDITCTL, "-l"]).stdout.decode()
    return [l for l in out.splitlines() if l and l != "No rules"]


def procsql_keys():
    """The procsql instance keys that have rules now."""
    keys = set()
    for rule in audit_rules():
        m = re.search(r"-F key=(procsql-\S+)|-k (procsql-\S+)", rule)
        if m:
            keys.add(m.group(1) or m.group(2))
    return keys


def wait_for(predicate, timeout_s=30.0):
    """A bounded wait for something another process does (not a speed check)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


# A python process that loads procsql on the audit backend, prints its rule
# key, and waits for a line on stdin (or its end) before it exits (normally).
HOLDER = r"""
import sqlite3, sys
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
stats = dict(conn.execute("SELECT name, value FROM procsql_stats").fetchall())
print(stats["audit.rule_key"], stats["audit.stale_rules_removed"], flush=True)
sys.stdin.readline()
conn.close()
"""

# A python process that loads procsql on the audit backend, says "ready",
# then answers one query per line of stdin (JSON [sql, params]) with one
# line of JSON rows, until stdin closes. It forks nothing: the registered
# audit daemon's own calls are never audited.
QUERIER = r"""
import json, sqlite3, sys
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
conn.row_factory = sqlite3.Row
print("ready", flush=True)
for line in sys.stdin:
    sql, params = json.loads(line)
    print(json.dumps([dict(r) for r in conn.execute(sql, params)]), flush=True)
conn.close()
"""


class AuditTestCase(ProcsqlTestCase):
    def setUp(self):
        super().setUp()
        require_extension(self)
        require_tool(self, AUDITCTL)
        status = audit_status()
        if status.get("enabled") == "2":
            unavailable(self, "audit rules are locked (auditctl -e 2): the tests cannot change them")
        self.enabled_before = status["enabled"]
        self.rules_before = audit_rules()
        self.addCleanup(self.restore_audit)

    def restore_audit(self):
        # procsql's own rules must already be gone; the tests check that. This
        # only makes sure a failing test does not leave the machine changed.
        for key in procsql_keys():
            subprocess.run([AUDITCTL, "-D", "-k", key], capture_output=True)
        subprocess.run([AUDITCTL, "-e", self.enabled_before], capture_output=True)

    def start_python(self, code):
        """Debian's python3 running `code` (argv[1]: the extension) on the
        audit backend; ended at cleanup, if not before, by closing its stdin."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
        env["PROCSQL_BACKEND"] = "audit"
        p = subprocess.Popen(["/usr/bin/python3", "-c", code, EXTENSION], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.stop_python, p)
        return p

    def stop_python(self, p):
        if p.poll() is None:
            try:
                p.stdin.close()  # HOLDER and QUERIER end at the end of their input
            except BrokenPipeError:
                pass
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()

    def start_holder(self):
        p = self.start_python(HOLDER)
        line = p.stdout.readline().split()
        if not line:
            self.fail("the holder did not start: " + p.stderr.read())
        return p, line[0], (line[1] if len(line) > 1 else "")


class TestFallbackAndStats(AuditTestCase):
    def test_auto_falls_back_to_audit_without_bpf_capabilities(self):
        """PROCSQL_BACKEND=auto in a root shell that lacks CAP_BPF,
        CAP_PERFMON and CAP_SYS_ADMIN: eBPF cannot load, audit runs, one
        line on stderr says so and procsql_stats says why."""
        require_tool(self, "/usr/bin/setpriv")
        m = marker()
        s = Script()
        s.load()
        s.shell("/bin/echo %s > /dev/null" % m)
        rows = events_with_marker(s, m)
        st = stats_query(s)
        drop = "-bpf,-perfmon,-sys_admin"
        r = s.run(env={"PROCSQL_BACKEND": "auto"},
                  prefix=["/usr/bin/setpriv", "--inh-caps=" + drop, "--bounding-set=" + drop])
        stats = stats_dict(r.rows(st))
        self.assertEqual(stats["backend"], "audit")
        self.assertIn("eBPF unavailable", stats["backend_reason"])
        notices = [l for l in r.stderr_lines() if "falling back to the audit backend" in l]
        self.assertEqual(len(notices), 1, r.stderr)
        echo = [e for e in r.rows(rows) if e["comm"] == "echo"]
        self.assertEqual(len(echo), 1, r.rows(rows))
        self.assertEqual(echo[0]["path"], "/usr/bin/echo")

    def test_stats_describe_the_audit_source(self):
        s = Script()
        s.load()
        st = stats_query(s)
        r = s.run(env={"PROCSQL_BACKEND": "audit"})
        stats = stats_dict(r.rows(st))
        self.assertEqual(stats["backend"], "audit")
        self.assertEqual(stats["audit.connector"], "listening")
        self.assertRegex(stats["audit.rule_key"], r"^procsql-%d-\d+-[0-9a-f]{8}$" % r.pid)
        self.assertGreaterEqual(stats["audit.rules_added"], 1)
        for name in ("audit.kernel_lost", "audit.reader_overruns", "audit.events_incomplete",
                     "audit.records_unparsable", "process_events.events_lost_kernel"):
            self.assertIsInstance(stats[name], int, name)
        self.assertEqual(stats["audit.shadowing_rules"], "")
        # Gone with the shell, and the enabled flag as it was.
        self.assertEqual(procsql_keys(), set())
        self.assertEqual(audit_status()["enabled"], self.enabled_before)

    def test_bpf_forced_is_refused_clearly_without_capabilities(self):
        require_tool(self, "/usr/bin/setpriv")
        s = Script()
        s.load()
        drop = "-bpf,-perfmon,-sys_admin"
        r = s.run(env={"PROCSQL_BACKEND": "bpf"}, check=False,
                  prefix=["/usr/bin/setpriv", "--inh-caps=" + drop, "--bounding-set=" + drop])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("procsql:", r.stderr)
        self.assertNotIn("audit backend", r.stderr)


def proc_start_ticks(pid):
    """Field 22 of /proc/PID/stat: the start time in clock ticks after boot."""
    with open("/proc/%d/stat" % pid) as f:
        text = f.read()
    return int(text[text.rindex(")") + 2:].split()[19])


def proc_ns_pid(pid):
    """The last NSpid entry of /proc/PID/status: the pid in its own namespace."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    raise AssertionError("no NSpid in /proc/%d/status" % pid)


class TestFillsWhatProcTells(AuditTestCase):
    """Audit records carry no cgroup, namespaces, start time or thread: the
    backend reads /proc when the connector reports the fork and the exec. The
    shared tests accept NULL for those columns (the README's table: NULL when
    the process had already ended); here a process lives for a second, so
    NULL is a failure, and every value is /proc's."""

    TARGET = ["/usr/bin/python3", "-c", "import sys; sys.stdin.readline()"]

    def setUp(self):
        super().setUp()
        self.root = cgroup2_mount()
        if self.root is None:
            unavailable(self, "no cgroup2 mount")
        # A cgroup of the test's own (the root one's id is 1 on every host).
        self.cgroup = os.path.join(self.root, proc_cgroup_v2(os.getpid()).lstrip("/"),
                                   "procsql-fills-" + marker()[-12:])
        os.mkdir(self.cgroup)
        self.addCleanup(os.rmdir, self.cgroup)
        self.querier = self.start_querier()

    def start_querier(self):
        p = self.start_python(QUERIER)
        if p.stdout.readline().strip() != "ready":
            self.fail("the querier did not start: " + p.stderr.read())
        return p

    def query(self, sql, *params):
        self.querier.stdin.write(json.dumps([sql, list(params)]) + "\n")
        self.querier.stdin.flush()
        line = self.querier.stdout.readline()
        if not line:
            self.fail("the querier ended: " + self.querier.stderr.read())
        return json.loads(line)

    def start_target(self, prefix, m):
        """TARGET with marker m in argv, started by this process (audited,
        unlike the querier) in the test's cgroup, after `prefix`."""
        procs = os.path.join(self.cgroup, "cgroup.procs")

        def enter_cgroup():  # in the child, before its exec
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        p = subprocess.Popen(prefix + self.TARGET + [m], stdin=subprocess.PIPE,
                             preexec_fn=enter_cgroup)

        def stop():
            p.stdin.close()
            p.wait(timeout=30)
        self.addCleanup(stop)
        return p

    def check_filled(self, prefix, new_namespaces):
        m = marker()
        self.start_target(prefix, m)
        time.sleep(1.0)  # the process lives a second: long enough to be read
        python = os.path.realpath(self.TARGET[0])
        rows = self.query("SELECT * FROM process_events WHERE argv LIKE ? AND path = ?",
                          "%" + m + "%", python)
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        pid = row["pid"]
        # /proc of that process, while it lives (it waits for its stdin).
        self.assertEqual(os.listdir("/proc/%d/task" % pid), [str(pid)], "one thread")
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            self.assertIn(m.encode(), f.read(), "pid %d is not the target" % pid)
        self.assertEqual(os.path.join(self.root, proc_cgroup_v2(pid).lstrip("/")), self.cgroup)

        self.assertEqual(row["tid"], pid)
        self.assertEqual(row["cgroup_id"], os.stat(self.cgroup).st_ino)
        self.assertEqual(row["mnt_ns"], ns_inode(pid, "mnt"))
        self.assertEqual(row["pid_ns"], ns_inode(pid, "pid"))
        self.assertEqual(row["ns_pid"], proc_ns_pid(pid))
        if new_namespaces:
            self.assertNotEqual(row["mnt_ns"], ns_inode(os.getpid(), "mnt"))
            self.assertNotEqual(row["pid_ns"], ns_inode(os.getpid(), "pid"))
            self.assertNotEqual(row["ns_pid"], pid)
        # The start time is the connector's fork, to the ns; /proc's is in
        # clock ticks (10 ms at USER_HZ 100), taken a moment earlier in the
        # same fork: the two agree to the tick.
        self.assertIsNotNone(row["start_time"])
        tick_ns = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
        boot_ns = time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        proc_start = proc_start_ticks(pid) * tick_ns + boot_ns
        self.assertLessEqual(abs(row["start_time"] - proc_start), tick_ns,
                             "start_time %d, /proc's %d" % (row["start_time"], proc_start))
        # And it is the process's key: the same in processes and in the
        # clone_events row of the fork that made it.
        self.assertEqual(self.query("SELECT start_time FROM processes WHERE pid = ?", pid),
                         [{"start_time": row["start_time"]}])
        forks = self.query("SELECT child_start_time FROM clone_events WHERE child_pid = ? "
                           "AND child_start_time = ?", pid, row["start_time"])
        self.assertEqual(len(forks), 1, forks)
        backend = self.query("SELECT value FROM procsql_stats WHERE name = 'backend'")
        self.assertEqual(backend, [{"value": "audit"}])

    def test_a_process_in_the_host_namespaces(self):
        self.check_filled([], new_namespaces=False)

    def test_a_process_in_new_pid_and_mount_namespaces(self):
        unshare = require_tool(self, "unshare")
        self.check_filled([unshare, "--pid", "--fork", "--mount"], new_namespaces=True)


class TestRules(AuditTestCase):
    def test_sigkilled_instance_rules_are_removed_by_the_next_live_ones_are_kept(self):
        # Keys of other instances (another procsql on the host, a run killed
        # earlier) are not this test's: it speaks of its own.
        base = procsql_keys()
        mine = lambda: procsql_keys() - base
        a, key_a, _ = self.start_holder()
        b, key_b, stale_b = self.start_holder()
        self.assertNotEqual(key_a, key_b)
        self.assertNotIn(key_a, stale_b.split(","))
        self.assertEqual(mine(), {key_a, key_b})

        a.send_signal(signal.SIGKILL)
        a.wait()
        # A SIGKILLed instance cannot clean up: its rules stay...
        self.assertEqual(mine(), {key_a, key_b})
        # ...until the next instance starts, which removes exactly those (and
        # those of any other dead instance that was there before).
        c, key_c, stale_c = self.start_holder()
        self.assertIn(key_a, stale_c.split(","))
        self.assertEqual(set(stale_c.split(",")) - {key_a} - base, set())
        self.assertEqual(mine(), {key_b, key_c})

        self.stop_python(b)
        self.stop_python(c)
        self.assertEqual(mine(), set())
        if not base:
            self.assertEqual(audit_rules(), self.rules_before)

    def test_others_rules_are_untouched_and_a_shadowing_never_rule_is_reported(self):
        m = marker()
        mine = "othertest-" + m[-12:]
        run_cmd([AUDITCTL, "-a", "always,exit", "-F", "arch=b64", "-S", "chmod", "-k", mine])
        self.addCleanup(subprocess.run, [AUDITCTL, "-D", "-k", mine], capture_output=True)
        shadow = "shadowtest-" + m[-12:]
        run_cmd([AUDITCTL, "-A", "never,exit", "-F", "arch=b64", "-S", "execve",
                 "-F", "uid=65534", "-k", shadow])
        self.addCleanup(subprocess.run, [AUDITCTL, "-D", "-k", shadow], capture_output=True)
        before = audit_rules()

        s = Script()
        s.load()
        st = stats_query(s)
        r = s.run(env={"PROCSQL_BACKEND": "audit"})
        stats = stats_dict(r.rows(st))
        self.assertIn("execve", stats["audit.shadowing_rules"])
        self.assertIn(shadow, stats["audit.shadowing_rules"])
        self.assertEqual(audit_rules(), before)


class TestWithAuditd(AuditTestCase):
    """Debian's auditd running with a rule of its own: procsql reads the
    multicast group, auditd keeps its socket, its rules and its log."""

    def setUp(self):
        super().setUp()
        require_tool(self, AUDITD)
        if audit_status().get("pid", "0") != "0":
            unavailable(self, "another audit daemon already holds the audit socket")
        self.m = marker()
        self.key = "auditdtest-" + self.m[-12:]
        run_cmd([AUDITCTL, "-a", "always,exit", "-F", "arch=b64", "-S", "execve", "-k", self.key])
        self.addCleanup(subprocess.run, [AUDITCTL, "-D", "-k", self.key], capture_output=True)
        run_cmd([AUDITD])  # daemonizes once it holds the audit socket
        self.addCleanup(self.stop_auditd)
        self.auditd_pid = int(wait_for(lambda: audit_status().get("pid", "0") != "0" and audit_status()["pid"]))
        self.assertNotEqual(self.auditd_pid, 0)

    def stop_auditd(self):
        pid = int(audit_status().get("pid", "0"))
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: audit_status().get("pid") == "0")

    def test_procsql_reads_multicast_and_leaves_auditd_intact(self):
        rules_before = audit_rules()
        s = Script()
        s.load()
        s.shell("/bin/echo %s > /dev/null" % self.m)
        rows = events_with_marker(s, self.m)
        st = stats_query(s)
        r = s.run(env={"PROCSQL_BACKEND": "audit"})
        stats = stats_dict(r.rows(st))
        self.assertTrue(stats["audit.mode"].startswith("multicast"), stats["audit.mode"])
        echo = [e for e in r.rows(rows) if e["comm"] == "echo"]
        self.assertEqual(len(echo), 1, r.rows(rows))

        # auditd still holds the socket, its rule is there, procsql's are not.
        self.assertEqual(int(audit_status()["pid"]), self.auditd_pid)
        self.assertEqual(audit_rules(), rules_before)
        self.assertEqual(procsql_keys(), set())
        # And it kept logging: the marker's exec is in its log (written
        # asynchronously: a bounded wait).
        def logged():
            with open(AUDIT_LOG, errors="replace") as f:
                return any(self.m.encode().hex().upper() in l or self.m in l for l in f)
        self.assertTrue(wait_for(logged), "auditd did not log the marker's exec")


if __name__ == "__main__":
    unittest.main()
