"""Text filters pushed into the scan (LIKE, GLOB, =, IN on TEXT columns)
never change an answer: a differential test, through Debian's python3 sqlite3
module, of each pushed filter against the same filter hidden from xBestIndex
(`+column`, which SQLite alone evaluates) and against an ordinary SQLite
table holding the same rows, over random patterns with `%`, `_`, ESCAPE,
character classes, mixed case, non-ASCII and invalid UTF-8 bytes, NULL and
'' (ESCAPE and NULL included), with PRAGMA case_sensitive_like off and on.

The rows compared are this test's own execs (an eid range it brackets), whose
arguments are chosen to make the patterns interesting.
"""

import os
import random
import subprocess
import unittest

from procsql_test import TRUE, ProcsqlTestCase, marker, python_connect_and_load

# Arguments of the execs: case, wildcards as data, non-ASCII, bytes that are
# not UTF-8 (cmdline shows them as U+FFFD), empty arguments.
WORDS = [b"alpha", b"ALPHA", b"Alpha_Beta", b"50%off", b"a_b", b"x%y", b"caf\xc3\xa9", b"CAF\xc3\x89",
         b"\xe6\x97\xa5\xe6\x9c\xac", b"raw\xff\xfebytes", b"", b"[bracket]", b"star*glob?", b"back\\slash",
         b"tab\tsep", b"/usr/bin/true", b"--flag=VALUE"]

PATTERN_PIECES = ["%", "_", "a", "A", "alpha", "ALPHA", "beta", "50", "\\%", "\\_", "caf", "\u00e9", "\u00c9",
                  "\u65e5", "\ufffd", "x", "y", "[", "]", "*", "?", "[a-c]", "[^a]", "true", "/", "-", " ",
                  "flag", "VALUE", "off", "\\"]

TEXT_COLUMNS = ["cmdline", "argv", "path", "filename", "comm", "cwd", "parent_path", "tty", "container_id",
                "env", "syscall", "seccomp", "exe_fs"]


def random_pattern(rng):
    return "".join(rng.choice(PATTERN_PIECES) for _ in range(rng.randint(0, 5)))


class TextPushdownTest(ProcsqlTestCase):

    @classmethod
    def setUpClass(cls):
        cls.conn = python_connect_and_load()
        for cid, name, *_ in cls.conn.execute("PRAGMA table_info('process_events')"):
            TEXT_COLUMNS_INDEX[name] = cid
        m = marker()
        cls.marker = m
        lo = cls.conn.execute("SELECT coalesce(max(eid), 0) FROM process_events").fetchone()[0]
        rng = random.Random(20261207)
        for i in range(40):
            argv = [TRUE.encode(), m.encode()] + [rng.choice(WORDS) for _ in range(rng.randint(0, 4))]
            subprocess.run(argv, check=True, cwd="/tmp" if i % 2 else "/")
        # The rows are in the store once a query drained them; the upper
        # bound is then fixed, so every query below sees the same rows.
        ours = cls.conn.execute("SELECT count(*) FROM process_events WHERE eid > ? AND +argv LIKE ?",
                                (lo, "%" + m + "%")).fetchone()[0]
        cls.hi = cls.conn.execute("SELECT max(eid) FROM process_events").fetchone()[0]
        cls.lo = lo
        cls.ours = ours
        cols = ", ".join(TEXT_COLUMNS)
        cls.conn.execute("CREATE TEMP TABLE native AS SELECT eid, %s FROM process_events WHERE eid > ? AND eid <= ?"
                         % cols, (lo, cls.hi))

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()

    def answers(self, column, op, arg, escape=None):
        """(pushed, hidden, native) eid lists for `column op arg`."""
        esc = "" if escape is None else " ESCAPE ?"
        args = (self.lo, self.hi, arg) + (() if escape is None else (escape,))
        q = "SELECT eid FROM %s WHERE eid > ? AND eid <= ? AND %s %s ?%s ORDER BY eid"
        pushed = self.conn.execute(q % ("process_events", column, op, esc), args).fetchall()
        hidden = self.conn.execute(q % ("process_events", "+" + column, op, esc), args).fetchall()
        native = self.conn.execute(q % ("native", column, op, esc), args).fetchall()
        return pushed, hidden, native

    def check(self, column, op, arg, escape=None):
        pushed, hidden, native = self.answers(column, op, arg, escape)
        self.assertEqual(pushed, hidden, "%s %s %r (escape %r): pushed != hidden" % (column, op, arg, escape))
        self.assertEqual(pushed, native, "%s %s %r (escape %r): pushed != native" % (column, op, arg, escape))
        return len(pushed)

    def test_rows_are_ours(self):
        self.assertEqual(self.ours, 40)

    def test_plan_pushes_text_filters(self):
        plan = " ".join(r[3] for r in self.conn.execute(
            "EXPLAIN QUERY PLAN SELECT eid FROM process_events WHERE cmdline LIKE 'a%' AND comm IN ('a', 'b')"
            " AND path GLOB '*x' AND cwd = '/'"))
        self.assertRegex(plan, r"INDEX \d+:")
        for token in ("t%d~" % TEXT_COLUMNS_INDEX["cmdline"], "t%d= IN" % TEXT_COLUMNS_INDEX["comm"],
                      "t%d*" % TEXT_COLUMNS_INDEX["path"], "t%d=" % TEXT_COLUMNS_INDEX["cwd"]):
            self.assertIn(token, plan)
        # Hidden from xBestIndex: not pushed.
        plan = " ".join(r[3] for r in self.conn.execute(
            "EXPLAIN QUERY PLAN SELECT eid FROM process_events WHERE +cmdline LIKE 'a%'"))
        self.assertNotIn("~", plan)
        # Another collation is not pushed.
        plan = " ".join(r[3] for r in self.conn.execute(
            "EXPLAIN QUERY PLAN SELECT eid FROM process_events WHERE comm = 'TRUE' COLLATE NOCASE"))
        self.assertNotIn("t%d=" % TEXT_COLUMNS_INDEX["comm"], plan)

    def test_like_glob_random_patterns(self):
        rng = random.Random(7)
        matched = 0
        for sensitive in ("OFF", "ON"):
            self.conn.execute("PRAGMA case_sensitive_like = %s" % sensitive)
            for _ in range(150):
                column = rng.choice(["cmdline", "cmdline", "argv", "path", "filename", "comm", "cwd", "env"])
                pattern = random_pattern(rng)
                matched += self.check(column, "LIKE", "%" + pattern + "%" if rng.random() < 0.5 else pattern)
                matched += self.check(column, "GLOB", "*" + pattern + "*" if rng.random() < 0.5 else pattern)
                matched += self.check(column, "LIKE", pattern, escape="\\")
        self.conn.execute("PRAGMA case_sensitive_like = OFF")
        self.assertGreater(matched, 0, "no pattern matched any row: the test would prove nothing")

    def test_case_sensitive_like_changes_the_answer_not_the_agreement(self):
        self.conn.execute("PRAGMA case_sensitive_like = ON")
        try:
            sensitive = self.check("cmdline", "LIKE", "%" + self.marker.upper() + "%")
        finally:
            self.conn.execute("PRAGMA case_sensitive_like = OFF")
        insensitive = self.check("cmdline", "LIKE", "%" + self.marker.upper() + "%")
        self.assertEqual(sensitive, 0)
        self.assertGreaterEqual(insensitive, 40)

    def test_null_empty_and_non_text(self):
        for column in TEXT_COLUMNS:
            for op in ("LIKE", "GLOB", "="):
                for arg in (None, "", 0, 1.5, b"\xff", "true", "/"):
                    self.check(column, op, arg)

    def test_equality_and_in(self):
        rows = self.conn.execute("SELECT DISTINCT comm, cwd, path FROM native").fetchall()
        self.assertTrue(rows)
        for comm, cwd, path in rows:
            self.assertGreater(self.check("comm", "=", comm), 0)
            self.assertGreater(self.check("cwd", "=", cwd), 0)
            self.assertGreater(self.check("path", "=", path), 0)
        args = (self.lo, self.hi)
        for values in (("true", "nothing"), ("nothing", "nothing2"), ("true", "/", None), ("true", 5)):
            marks = ",".join("?" * len(values))
            q = "SELECT eid FROM %s WHERE eid > ? AND eid <= ? AND %s IN (" + marks + ") ORDER BY eid"
            pushed = self.conn.execute(q % ("process_events", "comm"), args + values).fetchall()
            hidden = self.conn.execute(q % ("process_events", "+comm"), args + values).fetchall()
            native = self.conn.execute(q % ("native", "comm"), args + values).fetchall()
            self.assertEqual(pushed, hidden, values)
            self.assertEqual(pushed, native, values)
        # A text column against a joined INTEGER column compares numerically.
        self.conn.execute("CREATE TEMP TABLE nums(n INTEGER)")
        self.conn.execute("INSERT INTO nums VALUES (0)")
        q = ("SELECT count(*) FROM %s e JOIN nums ON e.comm = nums.n WHERE e.eid > ? AND e.eid <= ?")
        self.assertEqual(self.conn.execute(q % "process_events", args).fetchone(),
                         self.conn.execute(q % "native", args).fetchone())

    def test_pattern_longer_than_the_limit_still_errors(self):
        """SQLite must see a row to report a too-long pattern: the pre-filter
        does not hide that error by keeping nothing."""
        q = "SELECT count(*) FROM %s WHERE eid > ? AND eid <= ? AND cmdline LIKE ?"
        long = "%" + "x" * 60000 + "%"
        for table in ("process_events", "native"):
            with self.assertRaisesRegex(Exception, "pattern too complex"):
                self.conn.execute(q % table, (self.lo, self.hi, long)).fetchone()

    def test_other_event_tables(self):
        for table, column in (("exec_failures", "path"), ("clone_events", "comm"), ("process_exits", "comm"),
                              ("clone_events", "path"), ("process_exits", "path")):
            hi = self.conn.execute("SELECT coalesce(max(eid), 0) FROM %s" % table).fetchone()[0]
            for pattern in ("%", "%true%", "%r%", "", "/%"):
                q = "SELECT eid FROM %s WHERE eid <= ? AND %s LIKE ? ORDER BY eid"
                pushed = self.conn.execute(q % (table, column), (hi, pattern)).fetchall()
                hidden = self.conn.execute(q % (table, "+" + column), (hi, pattern)).fetchall()
                self.assertEqual(pushed, hidden, (table, column, pattern))
            plan = " ".join(r[3] for r in self.conn.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM %s WHERE %s LIKE 'x'" % (table, column)))
            self.assertIn("~", plan, table)


TEXT_COLUMNS_INDEX = {}


if __name__ == "__main__":
    unittest.main()
