"""Exec paths through the real sqlite3 shell: `.load build/procsql`, run
commands with `.shell`, then SELECT them back from process_events.

Covers: relative exec (`cd /bin && ./ls`), symlinked binaries, `#!` scripts,
a binary 40 directories deep, cwd, parent/parent_path, and read-your-writes.
"""

import json
import os
import shutil
import unittest

from procsql_test import (DASH, SQLITE3, TRUE, ProcsqlTestCase, Script,
                          events_with_marker, marker, nullable, sql_str, write_file)


def only(tc, rows, what):
    tc.assertEqual(len(rows), 1, "expected exactly one %s, got %r" % (what, rows))
    return rows[0]


class ShellExecTest(ProcsqlTestCase):

    def assert_file_fields(self, row, path):
        st = os.stat(path)
        self.assertEqual(row["inode"], st.st_ino)
        self.assertEqual(row["mode"], st.st_mode)
        self.assertEqual(row["owner_uid"], st.st_uid)
        self.assertEqual(row["owner_gid"], st.st_gid)

    def test_relative_exec_in_bin(self):
        """`cd /bin && ./ls`: path is /usr/bin/ls (merged /usr), cwd /usr/bin,
        filename as passed, argv/cmdline/argc, read in the same shell session."""
        m = marker()
        s = Script()
        s.load()
        s.shell("cd /bin && ./ls -d --hide=%s / >/dev/null" % m)
        q = events_with_marker(s, m, "comm = 'ls'")
        r = s.run()
        row = only(self, r.rows(q), "ls event")
        ls = os.path.realpath("/bin/ls")
        self.assertEqual(row["path"], ls)
        self.assertEqual(row["filename"], "./ls")
        self.assertEqual(row["cwd"], os.path.realpath("/bin"))
        self.assertEqual(json.loads(row["argv"]), ["./ls", "-d", "--hide=" + m, "/"])
        self.assertEqual(row["argc"], 4)
        self.assertEqual(row["cmdline"], "./ls -d --hide=%s /" % m)
        self.assertEqual(row["cmdline_truncated"], 0)
        self.assertEqual(row["path_truncated"], 0)
        self.assertEqual(row["syscall"], "execve")
        self.assertEqual(row["pid"], row["tid"])
        # Audit reads ns_pid from /proc: NULL when ls had already ended.
        self.assertEqual(nullable(row, "process_events", "ns_pid"), row["pid"])
        self.assertEqual(row["parent_path"], DASH)
        self.assert_file_fields(row, ls)

    def test_symlinked_binary(self):
        """A symlink to a copy of true (and a symlink to that symlink, run by a
        relative name): path is the target's real path, filename and comm the
        name as executed."""
        d = self.tmpdir()
        real = os.path.join(d, "realtrue")
        shutil.copy2(TRUE, real)
        os.symlink(real, os.path.join(d, "link1"))
        os.symlink("link1", os.path.join(d, "link2"))  # relative target
        m1, m2, m3 = marker(), marker(), marker()
        s = Script()
        s.load()
        s.shell("%s/link1 %s" % (d, m1))
        s.shell("cd %s && ./link2 %s" % (d, m2))
        s.shell("/bin/true %s" % m3)  # /bin is itself a symlink (merged /usr)
        q1 = events_with_marker(s, m1, "comm = 'link1'")
        q2 = events_with_marker(s, m2, "comm = 'link2'")
        q3 = events_with_marker(s, m3, "comm = 'true'")
        r = s.run()
        e1 = only(self, r.rows(q1), "link1 event")
        self.assertEqual(e1["path"], real)
        self.assertEqual(e1["filename"], d + "/link1")
        self.assertEqual(json.loads(e1["argv"]), [d + "/link1", m1])
        self.assert_file_fields(e1, real)
        e2 = only(self, r.rows(q2), "link2 event")
        self.assertEqual(e2["path"], real)
        self.assertEqual(e2["filename"], "./link2")
        self.assertEqual(e2["cwd"], d)
        self.assert_file_fields(e2, real)
        e3 = only(self, r.rows(q3), "/bin/true event")
        self.assertEqual(e3["path"], TRUE)
        self.assertEqual(e3["filename"], "/bin/true")
        self.assert_file_fields(e3, TRUE)

    def test_shebang_script(self):
        """A `#!` script: path is the interpreter's real path, filename the
        script as passed, argv [interp-as-written, (interp arg,) script, args],
        comm the script's name."""
        d = self.tmpdir()
        write_file(os.path.join(d, "plain.sh"), "#!/bin/sh\nexit 0\n", 0o755)
        write_file(os.path.join(d, "witharg.sh"), "#!/bin/sh -e\nexit 0\n", 0o755)
        m1, m2 = marker(), marker()
        s = Script()
        s.load()
        s.shell("cd %s && ./plain.sh first %s" % (d, m1))
        s.shell("%s/witharg.sh %s" % (d, m2))
        q1 = events_with_marker(s, m1, "filename = './plain.sh'")
        q2 = events_with_marker(s, m2, "filename = %s" % sql_str(d + "/witharg.sh"))
        r = s.run()
        e1 = only(self, r.rows(q1), "plain.sh event")
        self.assertEqual(e1["path"], DASH)
        self.assertEqual(json.loads(e1["argv"]), ["/bin/sh", "./plain.sh", "first", m1])
        self.assertEqual(e1["argc"], 4)
        self.assertEqual(e1["cmdline"], "/bin/sh ./plain.sh first %s" % m1)
        self.assertEqual(e1["comm"], "plain.sh")
        self.assertEqual(e1["cwd"], d)
        self.assertEqual(e1["path_truncated"], 0)
        # mode/inode/owner describe the executed file, i.e. `path`.
        self.assert_file_fields(e1, DASH)
        e2 = only(self, r.rows(q2), "witharg.sh event")
        self.assertEqual(e2["path"], DASH)
        self.assertEqual(json.loads(e2["argv"]), ["/bin/sh", "-e", d + "/witharg.sh", m2])
        self.assertEqual(e2["argc"], 4)

    def test_binary_40_directories_deep(self):
        """A copy of true 40 directories deep (over 1,000 bytes of path), run by
        absolute path and relatively: full path, not truncated, right cwd."""
        d = self.tmpdir()
        deep = d
        for i in range(40):
            deep = os.path.join(deep, "level-%02d-%s" % (i, marker()[3:19]))
        os.makedirs(deep)
        binary = os.path.join(deep, "deeptrue")
        shutil.copy2(TRUE, binary)
        self.assertGreater(len(binary), 1000)
        m1, m2 = marker(), marker()
        s = Script()
        s.load()
        s.shell("%s %s" % (binary, m1))
        s.shell("cd %s && ./deeptrue %s" % (deep, m2))
        q1 = events_with_marker(s, m1, "comm = 'deeptrue'")
        q2 = events_with_marker(s, m2, "comm = 'deeptrue'")
        r = s.run()
        e1 = only(self, r.rows(q1), "absolute deep exec")
        self.assertEqual(e1["path"], binary)
        self.assertEqual(e1["filename"], binary)
        self.assertEqual(e1["path_truncated"], 0)
        self.assert_file_fields(e1, binary)
        e2 = only(self, r.rows(q2), "relative deep exec")
        self.assertEqual(e2["path"], binary)
        self.assertEqual(e2["filename"], "./deeptrue")
        self.assertEqual(e2["cwd"], deep)
        self.assertEqual(e2["path_truncated"], 0)

    def test_cwd(self):
        """cwd is the real working directory, also with spaces and UTF-8."""
        d = self.tmpdir()
        odd = os.path.join(d, "dir with space \u00e9\u2713")
        os.mkdir(odd)
        os.symlink(odd, os.path.join(d, "cwdlink"))
        m1, m2, m3 = marker(), marker(), marker()
        s = Script()
        s.load()
        s.shell("cd %s && /bin/true %s" % (d, m1))
        # The shell wraps a word holding spaces in double quotes.
        s.shell('cd "%s" && /bin/true %s' % (odd, m2))
        s.shell("cd %s/cwdlink && /bin/true %s" % (d, m3))
        q1 = events_with_marker(s, m1, "path = %s" % sql_str(TRUE))
        q2 = events_with_marker(s, m2, "path = %s" % sql_str(TRUE))
        q3 = events_with_marker(s, m3, "path = %s" % sql_str(TRUE))
        r = s.run()
        self.assertEqual(only(self, r.rows(q1), "event")["cwd"], d)
        self.assertEqual(only(self, r.rows(q2), "event")["cwd"], odd)
        self.assertEqual(only(self, r.rows(q3), "event")["cwd"], odd)

    def test_parent(self):
        """A `.shell` command: its parent is the /bin/sh that sqlite3 spawned,
        whose own event has the sqlite3 process as parent."""
        m = marker()
        s = Script()
        s.load()
        s.shell("/bin/true %s ; true" % m)  # two commands: sh must fork
        q = events_with_marker(s, m)
        r = s.run()
        rows = r.rows(q)
        shells = [e for e in rows if e["path"] == DASH]
        trues = [e for e in rows if e["path"] == TRUE]
        sh = only(self, shells, "sh -c event")
        tr = only(self, trues, "true event")
        self.assertEqual(json.loads(sh["argv"]), ["sh", "-c", "/bin/true %s ; true" % m])
        self.assertEqual(sh["filename"], "/bin/sh")
        self.assertEqual(sh["parent"], r.pid)
        self.assertEqual(sh["parent_path"], os.path.realpath(SQLITE3))
        self.assertEqual(tr["parent"], sh["pid"])
        self.assertEqual(tr["parent_path"], DASH)
        self.assertNotEqual(tr["pid"], sh["pid"])
        self.assertLess(sh["eid"], tr["eid"])
        self.assertLessEqual(sh["start_time"], tr["start_time"])

    def test_read_your_writes_repeated(self):
        """Each SELECT sees the exec that finished just before it, 25 times
        in a row (one exec, then one query, alternating)."""
        m = marker()
        s = Script()
        s.load()
        keys = []
        for i in range(25):
            token = "%sn%02dz" % (m, i)
            s.shell("/bin/true " + token)
            keys.append(s.query(
                "SELECT count(*) AS n FROM process_events WHERE argv LIKE %s"
                " AND path = %s" % (sql_str("%" + token + "%"), sql_str(TRUE))))
        r = s.run()
        counts = [r.rows(k)[0]["n"] for k in keys]
        self.assertEqual(counts, [1] * 25)


if __name__ == "__main__":
    unittest.main()
