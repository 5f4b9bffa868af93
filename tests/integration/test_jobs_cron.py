"""The real Debian cron daemon runs the README's crontab lines (issue 13,
"Scheduled queries from cron"), normal pass only (at most 70 s of waiting
for cron's next minute; ctest label not_sanitized).

The lines of the README's "Crontab" block that start with "*/5 * * * * root"
(cron_lines.py), rewritten to run every minute from the build tree against
the test's own procsqld, go into /etc/cron.d/procsql-test-<random> (root's,
0644, removed after the test, also when it fails) with the block's
PROCSQL_STATE_DIR line pointing at the test daemon. A copy of /bin/true in a
/tmp directory is run with a marker argument (what
queries/exec_from_writable_dirs.sql reports). Then `/usr/sbin/cron -f` is
started (with /etc/crontab masked by an empty file in a mount namespace of
its own, so that the system's daily jobs never run because of the test), or
the cron daemon that already runs is used, and the test waits
until both lines' output files hold the marker:

  * `procsql query --format osquery queries/*.sql >> results.log`: every
    line of the log is JSON, and one has name "exec_from_writable_dirs",
    action "added", and the marked exec's cmdline in its columns, with the
    daemon's store id;
  * the sqlite3 shell's `.output '|cat >> exec_from_writable_dirs.txt'`
    line: the file holds the marked exec's row, keyed by the daemon's store
    id and an eid.

This proves the lines run in cron's own environment (its PATH, its /bin/sh,
no terminal, the crontab's variables only), not just in a test's.
"""

import os
import signal
import subprocess
import time
import unittest
import uuid

import cron_lines
from daemon_harness import Daemon
from procsql_test import ProcsqlTestCase, marker, unavailable

CRON = "/usr/sbin/cron"
CRON_PID_FILE = "/run/crond.pid"
CRON_D = "/etc/cron.d"
WAIT_S = 70


def running_cron():
    """The pid of a cron daemon that runs now (from its pid file), or None."""
    try:
        with open(CRON_PID_FILE) as f:
            pid = int(f.read().split()[0])
        exe = os.readlink("/proc/%d/exe" % pid)
    except (OSError, ValueError, IndexError):
        return None
    return pid if os.path.basename(exe) == "cron" else None


class CronTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        if not os.access(cron_lines.PROCSQL_TOOL, os.X_OK):
            unavailable(self, "procsql tool not built: " + cron_lines.PROCSQL_TOOL)
        if not os.access(CRON, os.X_OK):
            unavailable(self, CRON + " not installed (Debian package cron)")
        if not os.path.isdir(CRON_D):
            unavailable(self, CRON_D + " does not exist")

    def ensure_cron(self):
        """A cron daemon that runs: the one already there, or one started
        here (`cron -f`, stopped at cleanup). The one started here runs in a
        mount namespace of its own where /etc/crontab is an empty file, so
        that the system's run-parts lines (cron.daily's apt and dpkg jobs at
        6:25, ...) never run because of a test; /etc/cron.d is the real one."""
        pid = running_cron()
        if pid is not None:
            return "already running (pid %d)" % pid
        work = self.tmpdir()
        empty = os.path.join(work, "crontab")
        open(empty, "w").close()
        log_path = os.path.join(work, "cron.log")
        with open(log_path, "wb") as log:
            p = subprocess.Popen(["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                                  'mount --bind "$1" /etc/crontab && exec "$2" -f', "sh", empty, CRON],
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

        def cron_log():
            with open(log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")

        def stop():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.addCleanup(stop)
        deadline = time.monotonic() + 10
        while running_cron() != p.pid:
            if p.poll() is not None:
                # Another cron got there first: use it.
                other = running_cron()
                if other is not None:
                    return "started elsewhere meanwhile (pid %d)" % other
                self.fail("cron -f exited %d: %s" % (p.returncode, cron_log()))
            if time.monotonic() > deadline:
                self.fail("cron -f (pid %d) wrote no %s within 10 s: %s" % (p.pid, CRON_PID_FILE, cron_log()))
            time.sleep(0.1)
        return "started here (pid %d)" % p.pid

    def test_cron_runs_the_readme_lines(self):
        d = Daemon(self)
        d.start()
        tmp = self.tmpdir()
        self.assertTrue(tmp.startswith("/tmp/"), tmp)
        os.chmod(tmp, 0o755)
        os.makedirs(os.path.join(tmp, "log"))
        env_lines, lines = cron_lines.lines_for_test(tmp, d.state_dir)
        m = marker()
        true_copy = cron_lines.writable_dir_true(tmp)
        self.assertEqual(subprocess.run([true_copy, m]).returncode, 0)

        # cron.d file names must be letters, digits, '-' and '_' only.
        cron_file = os.path.join(CRON_D, "procsql-test-" + uuid.uuid4().hex[:16])
        text = "\n".join(["# procsql's integration test (tests/integration/test_jobs_cron.py); "
                          "removed when it ends"] + env_lines + [l.entry for l in lines]) + "\n"
        with open(cron_file + ".tmp", "w") as f:  # cron skips names with a dot
            f.write(text)
        os.chmod(cron_file + ".tmp", 0o644)
        self.addCleanup(lambda: [os.unlink(p) for p in (cron_file, cron_file + ".tmp") if os.path.exists(p)])
        os.rename(cron_file + ".tmp", cron_file)
        st = os.stat(cron_file)
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o644))
        how = self.ensure_cron()
        print("cron %s; %s:\n%s" % (how, cron_file, text))

        outputs = {l.kind: cron_lines.redirect_target(l) for l in lines}
        t0 = time.monotonic()
        deadline = t0 + WAIT_S

        def has_marker(path):
            try:
                with open(path, "rb") as f:
                    return m.encode() in f.read()
            except FileNotFoundError:
                return False
        while not all(has_marker(p) for p in outputs.values()):
            if time.monotonic() > deadline:
                got = {}
                for k, p in outputs.items():
                    try:
                        with open(p, "rb") as f:
                            got[k] = f.read()[-2000:]
                    except FileNotFoundError:
                        got[k] = None
                self.fail("cron did not run the README's lines within %d s (marker %s); outputs: %r"
                          % (WAIT_S, m, got))
            time.sleep(0.5)
        print("both outputs held the marker after %.1f s" % (time.monotonic() - t0))

        store = d.run.store_id
        log = cron_lines.osquery_log(outputs["procsql"])
        mine = [o for o in log if o.get("name") == "exec_from_writable_dirs"
                and m in o.get("columns", {}).get("cmdline", "")]
        self.assertEqual(len(mine), 1, mine)
        cols = mine[0]["columns"]
        self.assertEqual(mine[0]["action"], "added")
        self.assertEqual((cols["store_id"], cols["path"], cols["cmdline"]), (store, true_copy, true_copy + " " + m))
        self.assertRegex(cols["eid"], r"^[1-9]\d*$")

        with open(outputs["sqlite3"], "rb") as f:
            shell = [l.decode("utf-8", "surrogateescape") for l in f if m.encode() in l]
        self.assertEqual(len(shell), 1, shell)
        fields = shell[0].rstrip("\n").split("|")
        self.assertEqual(fields[0], store, shell[0])
        self.assertRegex(fields[1], r"^[1-9]\d*$")
        self.assertEqual(fields[1], cols["eid"], "both lines report the same row")
        self.assertIn(true_copy + " " + m, fields)


if __name__ == "__main__":
    unittest.main()
