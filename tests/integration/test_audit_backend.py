"""The audit backend's own behaviour, on the real audit subsystem: falling
back from eBPF, coexisting with a running auditd, the rules each instance
adds and removes (also after a SIGKILL), and rules that shadow procsql's.

The shared exec, lifecycle and container tests run on this backend too
(tests/CMakeLists.txt); this file is what only the audit backend has.
Every test leaves the audit subsystem as it found it: enabled flag, rules
(none of procsql's, everyone else's intact) and daemon.
"""

import os
import re
import signal
import subprocess
import time
import unittest

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
# key, and waits for a line on stdin before it exits (normally).
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

    def start_holder(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
        env["PROCSQL_BACKEND"] = "audit"
        p = subprocess.Popen(["/usr/bin/python3", "-c", HOLDER, EXTENSION], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.stop_holder, p)
        line = p.stdout.readline().split()
        if not line:
            self.fail("the holder did not start: " + p.stderr.read())
        return p, line[0], (line[1] if len(line) > 1 else "")

    def stop_holder(self, p):
        if p.poll() is None:
            try:
                p.stdin.write("\n")
                p.stdin.flush()
            except BrokenPipeError:
                pass
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()


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


class TestRules(AuditTestCase):
    def test_sigkilled_instance_rules_are_removed_by_the_next_live_ones_are_kept(self):
        a, key_a, _ = self.start_holder()
        b, key_b, stale_b = self.start_holder()
        self.assertNotEqual(key_a, key_b)
        self.assertNotIn(key_a, stale_b.split(","))
        self.assertEqual(procsql_keys(), {key_a, key_b})

        a.send_signal(signal.SIGKILL)
        a.wait()
        # A SIGKILLed instance cannot clean up: its rules stay...
        self.assertEqual(procsql_keys(), {key_a, key_b})
        # ...until the next instance starts, which removes exactly those.
        c, key_c, stale_c = self.start_holder()
        self.assertEqual(stale_c.split(","), [key_a])
        self.assertEqual(procsql_keys(), {key_b, key_c})

        self.stop_holder(b)
        self.stop_holder(c)
        self.assertEqual(procsql_keys(), set())
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
