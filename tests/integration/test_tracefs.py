"""tracefs (issue 11): procsql mounts it when the host has not (the syscall
tracepoints attach through it) and unmounts what it mounted when its
collector stops, leaving the host as it found it. A tracefs the host had
mounted stays mounted.
"""

import subprocess

from procsql_test import ProcsqlTestCase, Script, require_extension, stats_dict, stats_query

TRACEFS = "/sys/kernel/tracing"


def tracefs_mounted():
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == TRACEFS and " - tracefs " in line for line in f)


class TracefsTest(ProcsqlTestCase):

    def session(self):
        """A shell session that reports whether tracefs was mounted while
        the collector ran, and what procsql_stats said of the tracepoints."""
        s = Script()
        s.load()
        s.shell("grep -c ' %s .* - tracefs ' /proc/self/mountinfo" % TRACEFS)
        q_stats = stats_query(s)
        r = s.run()
        return r, stats_dict(r.rows(q_stats))

    def test_mounts_and_unmounts_what_it_mounted(self):
        require_extension(self)
        was_mounted = tracefs_mounted()
        if was_mounted:
            subprocess.run(["umount", TRACEFS], check=True)
        try:
            self.assertFalse(tracefs_mounted())
            r, stats = self.session()
            self.assertTrue(stats["bpf.clone_calls"].startswith("exact"), stats["bpf.clone_calls"])
            self.assertIn("1", r.stdout.decode().split(), "tracefs was not mounted during the session")
            self.assertFalse(tracefs_mounted(), "procsql left its tracefs mount behind")
        finally:
            if was_mounted and not tracefs_mounted():
                subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=True)

    def test_keeps_the_hosts_mount(self):
        require_extension(self)
        if not tracefs_mounted():
            subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=True)
            self.addCleanup(subprocess.run, ["umount", TRACEFS])
        r, stats = self.session()
        self.assertTrue(stats["bpf.clone_calls"].startswith("exact"))
        self.assertTrue(tracefs_mounted(), "procsql unmounted a tracefs it had not mounted")
