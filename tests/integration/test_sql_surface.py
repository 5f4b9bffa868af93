"""The SQL surface through the real sqlite3 shell: modules registered by
`.load`, the exact columns, SQLITE_VTAB_DIRECTONLY, `EXPLAIN QUERY PLAN` for
the eid/LIMIT pushdown, exact results for eid bounds, and procsql_stats.
"""

import re
import unittest

from procsql_test import (PROCESS_EVENTS_COLUMNS, README, TRUE, ProcsqlTestCase,
                          Script, marker, sql_str, stats_dict, stats_query,
                          strip_shell_error_prefix)


class SqlSurfaceTest(ProcsqlTestCase):

    def test_module_list_before_and_after_load(self):
        s = Script()
        q_before = s.query("SELECT name FROM pragma_module_list ORDER BY name")
        s.load()
        q_after = s.query("SELECT name FROM pragma_module_list ORDER BY name")
        r = s.run()
        before = {row["name"] for row in r.rows(q_before)}
        after = {row["name"] for row in r.rows(q_after)}
        self.assertNotIn("process_events", before)
        self.assertNotIn("procsql_stats", before)
        self.assertIn("process_events", after)
        self.assertIn("procsql_stats", after)
        self.assertTrue(before <= after)

    def test_columns(self):
        s = Script()
        s.load()
        q1 = s.query("SELECT name FROM pragma_table_info('process_events') ORDER BY cid")
        q2 = s.query("SELECT name FROM pragma_table_info('procsql_stats') ORDER BY cid")
        r = s.run()
        self.assertEqual([row["name"] for row in r.rows(q1)], PROCESS_EVENTS_COLUMNS)
        self.assertEqual([row["name"] for row in r.rows(q2)], ["name", "value"])

    def test_directonly(self):
        """process_events may not be used from a view or trigger in the
        schema: 'unsafe use of virtual table'. Direct use works."""
        cases = {
            "view": ["CREATE VIEW v AS SELECT * FROM process_events;",
                     "SELECT count(*) FROM v;"],
            "trigger": ["CREATE TABLE t(x);",
                        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN"
                        " SELECT count(*) FROM process_events; END;",
                        "INSERT INTO t VALUES (1);"],
        }
        for name, stmts in cases.items():
            with self.subTest(name):
                m = marker()
                s = Script()
                s.load()
                s.shell("%s %s" % (TRUE, m))
                q = s.query("SELECT count(*) AS n FROM process_events WHERE path = %s"
                            " AND argv LIKE %s" % (sql_str(TRUE), sql_str("%" + m + "%")))
                for st in stmts:
                    s.raw(st)
                r = s.run(check=False)
                self.assertEqual(r.rows(q)[0]["n"], 1)  # direct use works
                self.assertNotEqual(r.returncode, 0)
                lines = r.stderr_lines()
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertIn('unsafe use of virtual table "process_events"',
                              strip_shell_error_prefix(lines[0]))

    def test_explain_query_plan(self):
        cases = [
            ("", "0:"),
            ("WHERE eid = 5", "1:eid="),
            ("WHERE eid > 5", "2:eid>"),
            ("WHERE eid >= 5", "4:eid>="),
            ("WHERE eid < 5", "8:eid<"),
            ("WHERE eid <= 5", "16:eid<="),
            ("WHERE 5 < eid", "2:eid>"),
            ("LIMIT 3", "32:limit"),
            ("LIMIT 3 OFFSET 2", "96:limit,offset"),
            ("WHERE eid > 3 AND eid <= 9", "18:eid>,eid<="),
            ("WHERE eid >= 3 AND eid < 9 LIMIT 2", "44:eid>=,eid<,limit"),
            ("WHERE eid = 7 LIMIT 1", "33:eid=,limit"),
            ("WHERE eid BETWEEN 3 AND 9", "20:eid>=,eid<="),
        ]
        s = Script()
        s.load()
        keys = [s.query("EXPLAIN QUERY PLAN SELECT * FROM process_events " + c)
                for c, _ in cases]
        r = s.run()
        for (clause, want), key in zip(cases, keys):
            with self.subTest(clause=clause):
                text = r.text(key)
                m = re.search(r"SCAN process_events VIRTUAL TABLE INDEX (\S*)", text)
                self.assertIsNotNone(m, text)
                self.assertEqual(m.group(1), want, text)

    def test_eid_bounds_exact(self):
        """Pushed-down eid bounds return exactly what SQLite's own evaluation
        of the same bounds returns (`+eid` is not pushed down), including
        float, NULL and text bounds, IN lists and LIMIT/OFFSET paging."""
        m = marker()
        mine_where = "argv LIKE %s AND path = %s" % (sql_str("%" + m + "%"), sql_str(TRUE))
        s = Script()
        s.load()
        s.shell(" ; ".join("%s %s %d" % (TRUE, m, i) for i in range(12)))
        q_mine = s.query("SELECT eid FROM process_events WHERE %s ORDER BY eid" % mine_where)
        # a and b (our 3rd and 10th eids) go to a temp table, so every later
        # query is about a range of rows that all exist already.
        s.raw("CREATE TEMP TABLE bounds AS SELECT"
              " (SELECT eid FROM process_events WHERE %s ORDER BY eid LIMIT 1 OFFSET 2) AS a,"
              " (SELECT eid FROM process_events WHERE %s ORDER BY eid LIMIT 1 OFFSET 9) AS b;"
              % (mine_where, mine_where))
        q_bounds = s.query("SELECT a, b FROM temp.bounds")
        A = "(SELECT a FROM temp.bounds)"
        B = "(SELECT b FROM temp.bounds)"
        pairs = {
            "eq": ("eid = {A}", None),
            "gt_le": ("eid > {A} AND eid <= {B}", None),
            "ge_lt": ("eid >= {A} AND eid < {B}", None),
            "ge_le": ("eid >= {A} AND eid <= {B}", None),
            "between": ("eid BETWEEN {A} AND {B}", "+eid BETWEEN {A} AND {B}"),
            "float_inside": ("eid >= {A} + 0.5 AND eid <= {B} - 0.5", None),
            "float_outside": ("eid > {A} - 0.5 AND eid < {B} + 0.5", None),
            "float_eq": ("eid = {A} + 0.5", None),
            "null_eq": ("eid = NULL", None),
            "null_gt": ("eid > NULL AND eid <= {B}", None),
            "text_gt": ("eid > 'abc'", None),
            "text_lt": ("eid < 'abc' AND eid >= {A} AND eid <= {B}", None),
            "huge": ("eid > 9223372036854775807", None),
            "negative": ("eid < -1", None),
            "from_min": ("eid >= -9223372036854775808 AND eid <= {B} AND eid >= {A}", None),
            "big_float": ("eid < 1e300 AND eid >= {A} AND eid <= {B}", None),
            "tiny_float": ("eid > -1e300 AND eid <= {B} AND eid >= {A}", None),
            "empty": ("eid > {B} AND eid < {A}", None),
            "in_list": ("eid IN ({A}, {B}, {B} + 1000000000)", None),
        }
        keys = {}
        for name, (pushed, unpushed) in pairs.items():
            if unpushed is None:
                unpushed = pushed.replace("eid ", "+eid ").replace("++eid", "+eid")
            pushed = pushed.format(A=A, B=B)
            unpushed = unpushed.format(A=A, B=B)
            keys[name] = (
                s.query("SELECT eid FROM process_events WHERE %s" % pushed),
                s.query("SELECT eid FROM process_events WHERE %s" % unpushed),
            )
        # LIMIT/OFFSET over a fixed range: pages partition it.
        range_where = "eid >= {A} AND eid <= {B}".format(A=A, B=B)
        # The range holds our 8 rows plus whatever else exec'd meanwhile.
        offsets = list(range(0, 90, 3))
        pages = [s.query("SELECT eid FROM process_events WHERE %s LIMIT 3 OFFSET %d"
                         % (range_where, off)) for off in offsets]
        q_limit0 = s.query("SELECT eid FROM process_events WHERE %s LIMIT 0" % range_where)
        q_far = s.query("SELECT eid FROM process_events WHERE %s LIMIT 5 OFFSET 100" % range_where)
        q_open = s.query("SELECT eid FROM process_events WHERE eid > %s" % B)
        r = s.run()
        mine = [row["eid"] for row in r.rows(q_mine)]
        self.assertEqual(len(mine), 12)
        a, b = mine[2], mine[9]
        self.assertEqual(r.rows(q_bounds), [{"a": a, "b": b}])
        for name, (kp, ku) in keys.items():
            with self.subTest(name):
                got = sorted(row["eid"] for row in r.rows(kp))
                want = sorted(row["eid"] for row in r.rows(ku))
                self.assertEqual(got, want)
        # Sanity of the reference itself, so the comparison means something.
        ref = sorted(row["eid"] for row in r.rows(keys["ge_le"][1]))
        self.assertEqual(ref[0], a)
        self.assertEqual(ref[-1], b)
        self.assertTrue(set(mine[2:10]) <= set(ref))
        self.assertEqual(sorted(row["eid"] for row in r.rows(keys["eq"][0])), [a])
        self.assertEqual(sorted(row["eid"] for row in r.rows(keys["in_list"][0])), [a, b])
        self.assertEqual(r.rows(keys["null_eq"][0]), [])
        self.assertEqual(r.rows(keys["text_gt"][0]), [])
        self.assertEqual(sorted(row["eid"] for row in r.rows(keys["float_outside"][0])), ref)
        self.assertEqual(sorted(row["eid"] for row in r.rows(keys["float_inside"][0])), ref[1:-1])
        self.assertLessEqual(len(ref), offsets[-1], "too many foreign execs to page through")
        paged = [[row["eid"] for row in r.rows(k)] for k in pages]
        for off, p in zip(offsets, paged):
            self.assertEqual(len(p), min(3, max(0, len(ref) - off)), "page at OFFSET %d" % off)
        flat = [e for p in paged for e in p]
        self.assertEqual(sorted(flat), ref, "LIMIT/OFFSET pages must partition the range")
        self.assertEqual(r.rows(q_limit0), [])
        self.assertEqual(r.rows(q_far), [])
        self.assertTrue(all(row["eid"] > b for row in r.rows(q_open)))

    def test_procsql_stats(self):
        """The settings and counters: events_received counts every row
        stored (other processes' execs arrive meanwhile, so the table's
        newest eid lies between the counter just before and just after the
        scan), and nothing was lost."""
        m = marker()
        s = Script()
        s.load()
        q1 = stats_query(s)
        s.shell("%s %s" % (TRUE, m))
        q_mine = s.query("SELECT count(*) AS n FROM process_events WHERE path = %s"
                         " AND argv LIKE %s" % (sql_str(TRUE), sql_str("%" + m + "%")))
        q2 = stats_query(s)
        q_hi = s.query("SELECT max(eid) AS hi FROM process_events")
        q3 = stats_query(s)
        r = s.run()
        st1, st2 = stats_dict(r.rows(q1)), stats_dict(r.rows(q2))
        for name in ("backend", "instance_id", "collector_start_time",
                     "process_events.events_received", "process_events.events_lost_kernel",
                     "process_events.rows_overwritten", "process_events.capacity"):
            self.assertIn(name, st1)
        self.assertEqual(st1["backend"], "bpf")
        self.assertRegex(str(st1["instance_id"]), r"^(0x)?[0-9a-fA-F]+$")
        self.assertEqual(st1["instance_id"], st2["instance_id"])
        start = int(st1["collector_start_time"])
        self.assertLessEqual(r.t_start_ns, start)
        self.assertLessEqual(start, r.t_end_ns)
        self.assertEqual(int(st1["process_events.capacity"]), 100000)
        self.assertEqual(int(st2["process_events.rows_overwritten"]), 0)
        self.assertEqual(r.rows(q_mine), [{"n": 1}])
        st3 = stats_dict(r.rows(q3))
        for st in (st1, st2, st3):
            self.assertEqual(int(st["process_events.events_lost_kernel"]), 0)
            self.assertEqual(int(st["process_events.decode_errors"]), 0)
            self.assertEqual(int(st["process_events.rows_rejected_too_large"]), 0)
        hi = r.rows(q_hi)[0]["hi"]
        self.assertLessEqual(int(st2["process_events.events_received"]), hi)
        self.assertGreaterEqual(int(st3["process_events.events_received"]), hi)

    def test_every_loss_counter_is_in_the_readme(self):
        """The README's "Losing nothing silently" names every counter of
        procsql_stats that counts something lost, refused or cut (a table's
        counters by their whole name or by the name after the table's)."""
        s = Script()
        s.load()
        q = stats_query(s)
        r = s.run()
        with open(README, encoding="utf-8") as f:
            text = f.read()
        section = text[text.index("## Losing nothing silently\n"):text.index("## The audit backend\n")]
        tables = ("process_events.", "clone_events.", "process_exits.", "exec_failures.")
        loss = re.compile(r"lost|_full|rejected|overwritten|evicted|decode_errors|unknown_records"
                          r"|truncated|at_kernel_limit|recovered")
        missing = set()
        for name in stats_dict(r.rows(q)):
            if not loss.search(name):
                continue
            short = name.split(".", 1)[1] if name.startswith(tables) else name
            if "`%s`" % short not in section and "`%s`" % name not in section:
                missing.add(name)
        self.assertEqual(missing, set(), "loss counters the README does not name")


if __name__ == "__main__":
    unittest.main()
