"""A process that forks after loading procsql (issue 11).

Tried as a new user would: a Python parent made an exec, forked, the child
queried and saw it, and the parent's own query then missed it: the child had
consumed the parent's kernel ring buffer. Now the child's first query starts
its own collector: rows stored before the fork stay readable in the child,
the child never reads the parent's ring buffer, and the parent loses nothing.
Run on both backends (the shared list).
"""

import os
import subprocess
import textwrap

from procsql_test import BACKEND, EXTENSION, ProcsqlTestCase, marker, require_extension, wait_progs_gone

PY = "/usr/bin/python3"

CHILD_AND_PARENT = textwrap.dedent("""
    import os, sqlite3, subprocess, sys
    ext, m = sys.argv[1], sys.argv[2]
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(ext)

    def prog_ids():
        ids = set()
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink("/proc/self/fd/" + fd) in ("anon_inode:bpf-prog", "anon_inode:bpf_link"):
                    with open("/proc/self/fdinfo/" + fd) as f:
                        ids |= {int(l.split()[1]) for l in f if l.startswith("prog_id:")}
            except OSError:
                pass
        return ids

    def marked(c, tag):
        return [r[0] for r in c.execute(
            "SELECT cmdline FROM process_events WHERE argv LIKE ? ORDER BY eid", ("%" + m + "-" + tag + "%",))]

    subprocess.run(["/bin/true", m + "-stored"], check=True)
    assert marked(conn, "stored") == ["/bin/true " + m + "-stored"]   # drained into the store
    subprocess.run(["/bin/true", m + "-pending"], check=True)         # still in the kernel's ring
    parent_progs = prog_ids()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        out = []
        try:
            # The first query starts the child's own collector; what it
            # execs from then on is its to see.
            out.append("stored=%d" % len(marked(conn, "stored")))
            subprocess.run(["/bin/true", m + "-child"], check=True)
            out.append("child=%d" % len(marked(conn, "child")))
            out.append("backend=" + conn.execute(
                "SELECT value FROM procsql_stats WHERE name = 'backend'").fetchone()[0])
            out.append("collector_pid_is_mine=%d" % (conn.execute(
                "SELECT value FROM procsql_stats WHERE name = 'collector_pid'").fetchone()[0] == os.getpid()))
            mine = prog_ids()
            out.append("holds_parent_progs=%d" % len(mine & parent_progs))
            out.append("child_progs=" + ",".join(map(str, sorted(mine))))
        except Exception as e:
            out.append("error=%r" % e)
        os.write(w, (" ".join(out) + "\\n").encode())
        conn.close()
        os._exit(0)
    os.close(w)
    child_said = os.read(r, 4096).decode().strip()
    os.waitpid(pid, 0)
    print("CHILD", child_said)
    print("PARENT pending=%d child=%d stored=%d" % (
        len(marked(conn, "pending")), len(marked(conn, "child")), len(marked(conn, "stored"))))
""")


class ForkTest(ProcsqlTestCase):

    def test_child_gets_its_own_collector_and_the_parent_loses_nothing(self):
        require_extension(self)
        m = marker()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
        env["PROCSQL_BACKEND"] = BACKEND
        p = subprocess.run([PY, "-c", CHILD_AND_PARENT, EXTENSION, m], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = dict(line.split(" ", 1) for line in p.stdout.splitlines())
        child = dict(kv.split("=") for kv in lines["CHILD"].split())
        self.assertNotIn("error", child, lines["CHILD"])
        self.assertEqual(child["stored"], "1", "rows stored before the fork are readable in the child")
        self.assertEqual(child["child"], "1", "the child's own collector sees its exec")
        self.assertEqual(child["backend"], BACKEND)
        self.assertEqual(child["collector_pid_is_mine"], "1")
        parent = dict(kv.split("=") for kv in lines["PARENT"].split())
        self.assertEqual(parent["pending"], "1", "the child consumed the parent's pending exec")
        self.assertEqual(parent["child"], "1", "the parent sees the child's exec too")
        self.assertEqual(parent["stored"], "1")
        self.assertEqual(child["holds_parent_progs"], "0", "the child kept the parent's programs")
        if BACKEND == "bpf":
            child_progs = {int(i) for i in child["child_progs"].split(",") if i}
            self.assertTrue(child_progs, "the child has no programs of its own")
            self.assertEqual(wait_progs_gone(child_progs), set(), "the child's programs outlived it")
