"""Execs that do not go through a path name: fexecve (execveat with
AT_EMPTY_PATH), a memfd, and an unlinked file. The helpers are in tests/progs.
"""

import json
import os
import shutil
import stat
import unittest

from procsql_test import (TRUE, ProcsqlTestCase, Script, events_with_marker,
                          marker)


class FexecTest(ProcsqlTestCase):

    def test_fexecve(self):
        """fexecve(3) of /usr/bin/true: syscall execveat, filename /dev/fd/9,
        path the real path; the helper's own execve precedes it in the same
        pid."""
        fexec = self.prog("fexec")
        m = marker()
        s = Script()
        s.load()
        s.shell("%s %s true %s" % (fexec, TRUE, m))
        q = events_with_marker(s, m)
        r = s.run()
        rows = r.rows(q)
        helper = [e for e in rows if e["path"] == os.path.realpath(fexec)]
        target = [e for e in rows if e["path"] == TRUE]
        self.assertEqual(len(helper), 1, rows)
        self.assertEqual(len(target), 1, rows)
        h, t = helper[0], target[0]
        self.assertEqual(t["filename"], "/dev/fd/9")
        self.assertEqual(json.loads(t["argv"]), ["true", m])
        self.assertEqual(t["argc"], 2)
        self.assertEqual(t["pid"], h["pid"])
        self.assertLess(h["eid"], t["eid"])
        self.assertEqual(t["path_truncated"], 0)
        st = os.stat(TRUE)
        self.assertEqual(t["inode"], st.st_ino)
        self.assertEqual(t["mode"], st.st_mode)
        self.assertEqual(h["syscall"], "execve")
        self.assertEqual(t["syscall"], "execveat")

    def test_memfd(self):
        """A copy of true in memfd_create("procsql-test-<marker>") run with
        fexecve: path reads /memfd:procsql-test-<marker> (deleted)."""
        memfd_exec = self.prog("memfd_exec")
        m = marker()
        name = "procsql-test-" + m
        s = Script()
        s.load()
        s.shell("%s %s %s true %s" % (memfd_exec, name, TRUE, m))
        q = events_with_marker(s, m, "filename = '/dev/fd/9'")
        r = s.run()
        rows = r.rows(q)
        self.assertEqual(len(rows), 1, rows)
        e = rows[0]
        self.assertEqual(json.loads(e["argv"]), ["true", m])
        self.assertEqual(e["path"], "/memfd:%s (deleted)" % name)
        self.assertEqual(e["path_truncated"], 0)
        self.assertTrue(stat.S_ISREG(e["mode"]), oct(e["mode"]))
        self.assertEqual(e["syscall"], "execveat")

    def test_unlinked_binary(self):
        """A copy of true opened, unlinked, then fexecve'd: path is the old
        path with a " (deleted)" suffix, inode the (now nameless) file's."""
        fexec = self.prog("fexec")
        d = self.tmpdir()
        victim = os.path.join(d, "gone-true")
        shutil.copy2(TRUE, victim)
        ino = os.stat(victim).st_ino
        m = marker()
        s = Script()
        s.load()
        s.shell("%s --unlink %s gone %s" % (fexec, victim, m))
        q = events_with_marker(s, m, "filename = '/dev/fd/9'")
        r = s.run()
        self.assertFalse(os.path.exists(victim), "helper did not unlink")
        rows = r.rows(q)
        self.assertEqual(len(rows), 1, rows)
        e = rows[0]
        self.assertEqual(json.loads(e["argv"]), ["gone", m])
        self.assertEqual(e["path"], victim + " (deleted)")
        self.assertEqual(e["inode"], ino)
        self.assertEqual(e["path_truncated"], 0)
        self.assertEqual(e["syscall"], "execveat")


if __name__ == "__main__":
    unittest.main()
