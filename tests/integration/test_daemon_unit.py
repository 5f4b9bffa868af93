"""procsqld.service (daemon/procsqld.service, as CMake writes it into the
build directory with the installed path of procsqld): systemd accepts it
(`systemd-analyze verify`, which reports unknown keys and bad values on
stderr naming the file, and fails when ExecStart's binary does not exist),
and it keeps what the daemon's restart story depends on: Type=notify
(procsqld says READY=1), the state directory /run/procsql kept across
restarts (RuntimeDirectoryPreserve=yes, or every store goes with each stop),
and no hardening option that would stop a backend (netlink outside the
initial network namespace, a read-only /sys for tracefs, a syscall filter).

Its capability bounding set is enough: procsqld runs under exactly that set
(setpriv, with no new privileges), on each backend, and serves an attached
query a marked exec, then stops cleanly (this part needs root, BPF and
audit).
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import signal
import time

from procsql_test import BUILD_DIR, EXTENSION, SQLITE3, TRUE, marker, require_root, require_tool

UNIT = os.path.join(BUILD_DIR, "procsqld.service")
UNIT_NAME = os.path.basename(UNIT)
PROCSQLD = os.path.join(BUILD_DIR, "procsqld")

# Options that would break the eBPF or audit backend, or could (the unit's
# comments say why each is left out).
FORBIDDEN = {
    "PrivateNetwork", "RestrictAddressFamilies", "PrivateUsers",
    "ProtectKernelTunables", "ProtectKernelLogs", "ProtectControlGroups",
    "AmbientCapabilities", "SystemCallFilter", "User", "DynamicUser",
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
        # The package's group (made by its postinst) may read the stores.
        self.assertIn("PROCSQL_GROUP=procsql", self.values("Service", "Environment"))

    def test_memlock_unlimited(self):
        # BPF memory is charged to RLIMIT_MEMLOCK before Linux 5.11.
        self.assertEqual(self.value("Service", "LimitMEMLOCK"), "infinity")

    def test_no_hardening_that_breaks_a_backend(self):
        present = sorted({k for s, k, _ in self.entries if k in FORBIDDEN})
        self.assertEqual(present, [], "see the unit's comment on what is left out and why")

    def test_capability_bounding_set_is_enough(self):
        require_root(self)
        setpriv = require_tool(self, "setpriv")
        caps = self.value("Service", "CapabilityBoundingSet").split()
        self.assertTrue(caps and all(c.startswith("CAP_") for c in caps), caps)
        self.assertEqual(self.value("Service", "NoNewPrivileges"), "yes")
        bounding = "-all," + ",".join("+" + c[4:].lower() for c in caps)
        for backend in ("bpf", "audit"):
            with self.subTest(backend=backend):
                self.run_with_caps(setpriv, bounding, backend)

    def run_with_caps(self, setpriv, bounding, backend):
        base = self.tmpdir()
        os.chmod(base, 0o755)
        state = os.path.join(base, "state")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
        env.update(PROCSQL_STATE_DIR=state, PROCSQL_BACKEND=backend)
        log = open(os.path.join(base, "procsqld.log"), "w+")
        self.addCleanup(log.close)
        p = subprocess.Popen([setpriv, "--bounding-set=" + bounding, "--inh-caps=-all", "--no-new-privs", "--",
                              PROCSQLD], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.addCleanup(lambda: p.poll() is None and (p.kill(), p.wait()))
        deadline = time.monotonic() + 60
        text = ""
        while time.monotonic() < deadline and p.poll() is None:
            log.seek(0)
            text = log.read()
            if "procsqld: ready" in text:
                break
            time.sleep(0.1)
        self.assertIn("procsqld: ready: backend=" + backend, text)
        with open("/proc/%d/status" % p.pid) as f:
            bnd = [l for l in f if l.startswith("CapBnd:")][0].split()[1]
        self.assertNotEqual(bnd, "000001ffffffffff", "setpriv did not narrow the bounding set")
        m = marker()
        subprocess.run([TRUE, m], check=True)
        r = subprocess.run([SQLITE3, ":memory:", ".load " + EXTENSION,
                            "SELECT path FROM process_events WHERE argv LIKE '%%%s%%' AND path = '%s'" % (m, TRUE)],
                           env=dict(env, PROCSQL_MODE="attach"), capture_output=True, text=True, timeout=120)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, TRUE), r.stderr)
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(timeout=60), 0)
        log.seek(0)
        self.assertIn("procsqld: stopped", log.read())

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="procsql-test-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


if __name__ == "__main__":
    unittest.main()
