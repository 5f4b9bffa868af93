"""daemon/procsqld.service: systemd accepts it (`systemd-analyze verify`,
which reports unknown keys and bad values on stderr naming the file, and
fails when ExecStart's binary does not exist), and it keeps what the daemon's
restart story depends on: Type=notify (procsqld says READY=1), the state
directory /run/procsql kept across restarts (RuntimeDirectoryPreserve=yes,
or every store goes with each stop), and no hardening option that would
stop a backend (netlink outside the initial network namespace, a read-only
/sys for tracefs, a capability or syscall filter).

No root or BPF needed: this reads and verifies a file.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from procsql_test import BUILD_DIR, SOURCE_DIR, require_tool

UNIT = os.path.join(SOURCE_DIR, "daemon", "procsqld.service")
UNIT_NAME = os.path.basename(UNIT)
PROCSQLD = os.path.join(BUILD_DIR, "procsqld")

# Options that would break the eBPF or audit backend, or could (the unit's
# comments say why each is left out).
FORBIDDEN = {
    "PrivateNetwork", "RestrictAddressFamilies", "PrivateUsers",
    "ProtectKernelTunables", "ProtectKernelLogs", "ProtectControlGroups",
    "CapabilityBoundingSet", "AmbientCapabilities", "NoNewPrivileges",
    "SystemCallFilter", "User", "DynamicUser",
}


def parse_unit(text):
    """[(section, key, value)] of a unit file: comments and blank lines
    dropped, backslash continuations joined. Keys may repeat."""
    out = []
    section = None
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        m = re.fullmatch(r"\[([^\]]+)\]", line)
        if m:
            section = m.group(1)
            continue
        key, sep, value = line.partition("=")
        if not sep or section is None:
            raise ValueError("%s: not a unit file line: %r" % (UNIT, raw))
        out.append((section, key.strip(), value.strip()))
    return out


class DaemonUnitTest(unittest.TestCase):

    def setUp(self):
        with open(UNIT, encoding="utf-8") as f:
            self.text = f.read()
        self.entries = parse_unit(self.text)

    def values(self, section, key):
        return [v for s, k, v in self.entries if s == section and k == key]

    def value(self, section, key):
        vs = self.values(section, key)
        self.assertEqual(len(vs), 1, "%s=: want exactly one in [%s], got %r" % (key, section, vs))
        return vs[0]

    def test_systemd_analyze_verify(self):
        analyze = require_tool(self, "systemd-analyze")
        # verify fails unless ExecStart's binary exists, so the copy runs the
        # one in the build directory (CMake always builds it).
        self.assertTrue(os.access(PROCSQLD, os.X_OK), PROCSQLD + " was not built")
        exe = PROCSQLD
        rewritten, n = re.subn(r"(?m)^ExecStart=\S+", "ExecStart=" + exe, self.text)
        self.assertEqual(n, 1, "one ExecStart= line expected")
        d = self.tmpdir()
        path = os.path.join(d, UNIT_NAME)
        with open(path, "w", encoding="utf-8") as f:
            f.write(rewritten)
        # --man=no: Documentation= would otherwise be looked up with man(1).
        r = subprocess.run([analyze, "verify", "--man=no", path], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        about_unit = [l for l in r.stderr.splitlines() if UNIT_NAME in l]
        self.assertEqual(about_unit, [], r.stderr)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_verify_reports_a_broken_copy(self):
        """The check above can fail: verify names the file for an unknown key,
        and exits non-zero for a missing binary."""
        analyze = require_tool(self, "systemd-analyze")
        d = self.tmpdir()
        path = os.path.join(d, UNIT_NAME)
        broken = re.sub(r"(?m)^ExecStart=\S+", "ExecStart=" + os.path.join(d, "missing"), self.text)
        broken = re.sub(r"(?m)^Type=", "Typ=", broken)
        with open(path, "w", encoding="utf-8") as f:
            f.write(broken)
        r = subprocess.run([analyze, "verify", "--man=no", path], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        self.assertIn("Unknown key 'Typ'", r.stderr)

    def test_notify_and_restart(self):
        self.assertEqual(self.value("Service", "Type"), "notify")
        self.assertEqual(self.value("Service", "Restart"), "on-failure")
        self.assertRegex(self.value("Service", "ExecStart"), r"^/\S*/procsqld$")
        self.assertEqual(self.value("Service", "KillSignal"), "SIGTERM")
        self.assertEqual(self.value("Install", "WantedBy"), "multi-user.target")

    def test_state_directory_survives_a_restart(self):
        # /run/procsql, the default PROCSQL_STATE_DIR, is systemd's
        # RuntimeDirectory; without Preserve=yes it is removed, stores and
        # all, every time the unit stops.
        self.assertEqual(self.value("Service", "RuntimeDirectory"), "procsql")
        self.assertEqual(self.value("Service", "RuntimeDirectoryPreserve"), "yes")
        self.assertIn("#Environment=PROCSQL_STATE_DIR=/run/procsql", self.text)

    def test_memlock_unlimited(self):
        # BPF memory is charged to RLIMIT_MEMLOCK before Linux 5.11.
        self.assertEqual(self.value("Service", "LimitMEMLOCK"), "infinity")

    def test_no_hardening_that_breaks_a_backend(self):
        present = sorted({k for s, k, _ in self.entries if k in FORBIDDEN})
        self.assertEqual(present, [], "see the unit's comment on what is left out and why")

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="procsql-test-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


if __name__ == "__main__":
    unittest.main()
