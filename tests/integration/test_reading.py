"""How queries read the stores (issue 11).

* Read-your-writes drains once per cursor, not once per xFilter: the inner
  table of a nested-loop join is filtered once per outer row, and each drain
  takes the consumer's lock (on audit, a wait of up to its bound).
* (No exception reaches SQLite: test_alloc_failure.py, outside the
  sanitizer pass.)
* Pushed constraints with odd values (text, blob, real, NULL, out of range,
  IN lists) return exactly what SQLite returns for the same rows in an
  ordinary table, over every operator and every pushable column.
"""

import itertools
import subprocess

from procsql_test import (TRUE, ProcsqlTestCase, Script, marker, python_connect_and_load, require_extension,
                          sql_str)


class DrainOnceTest(ProcsqlTestCase):

    def test_join_drains_once_per_cursor(self):
        require_extension(self)
        n = 200
        m = marker()
        s = Script()
        s.load()
        s.shell("%s %d 0 %s true %s >/dev/null" % (self.prog("burst"), n, TRUE, m))
        q0 = s.query("SELECT value FROM procsql_stats WHERE name = 'drains'")
        # CROSS JOIN keeps the order: process_exits is the inner table,
        # filtered by pid once per outer row.
        q_join = s.query(
            "SELECT count(*) AS n FROM process_events e CROSS JOIN process_exits x "
            "ON x.pid = e.pid AND x.start_time = e.start_time "
            "WHERE e.argv LIKE %s AND e.path = %s" % (sql_str("%" + m + "%"), sql_str(TRUE)))
        q1 = s.query("SELECT value FROM procsql_stats WHERE name = 'drains'")
        r = s.run()
        self.assertEqual(r.rows(q_join), [{"n": n}], "every marked exec joined with its exit")
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        plan = " ".join(row[3] for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM process_events e CROSS JOIN process_exits x "
            "ON x.pid = e.pid WHERE e.argv LIKE 'x'"))
        self.assertIn("pid=", plan, "the inner table is filtered by pid: " + plan)
        before, after = r.rows(q0)[0]["value"], r.rows(q1)[0]["value"]
        # The join's two cursors, and the second stats query's own drain
        # (EXPLAIN runs no scan).
        self.assertEqual(after - before, 3)


class ConstraintDifferentialTest(ProcsqlTestCase):
    """Every operator and value type on eid, pid, time, time_ns: the pushed
    query returns exactly what SQLite returns for the same rows in an ordinary
    table with the same declared types. (`+col` is not that reference: the
    unary plus drops the column's INTEGER affinity, so `+pid = '7'` is false
    where `pid = '7'` is true for any SQLite table. CAST(col AS INTEGER) keeps
    the affinity and is not pushed: it is checked too.)"""

    OPS = ["=", ">", ">=", "<", "<=", "==", "IS", "IS NOT", "!="]

    def values(self, sample):
        """Odd and ordinary values around a real value of the column."""
        return [
            str(sample), str(sample - 1), str(sample + 1),
            "'%d'" % sample, "' %d '" % sample, "'%d.0'" % sample, "'abc'", "''", "x'01'", "NULL",
            "%d.5" % sample, "%d.0" % sample, "-%d.5" % sample, "1e300", "-1e300", "9.3e18", "-9.3e18",
            "9223372036854775807", "-9223372036854775808", "0", "-1", "'9223372036854775808'",
            "CAST('nan' AS REAL)",
        ]

    def test_pushed_equals_an_ordinary_table(self):
        require_extension(self)
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        subprocess.run([TRUE, marker()], check=True)
        checked = 0
        for table in ("process_events", "clone_events", "process_exits"):
            hi = conn.execute("SELECT max(eid) FROM %s" % table).fetchone()[0]
            self.assertIsNotNone(hi, table + " is empty")
            lo = max(1, hi - 300)
            # A window of stable rows: +eid keeps the bound out of the pushdown.
            window = "+eid BETWEEN %d AND %d" % (lo, hi)
            conn.execute("DROP TABLE IF EXISTS temp.copy")
            conn.execute("CREATE TEMP TABLE copy AS SELECT eid, pid, time, time_ns FROM %s WHERE %s"
                         % (table, window))
            affinities = [r[2] for r in conn.execute("PRAGMA temp.table_info(copy)")]
            self.assertEqual(affinities, ["INT"] * 4)
            count = conn.execute("SELECT count(*) FROM temp.copy").fetchone()[0]
            sample_row = conn.execute("SELECT eid, pid, time, time_ns FROM temp.copy ORDER BY eid LIMIT 1 "
                                      "OFFSET %d" % (count // 2)).fetchone()
            for column, sample in zip(("eid", "pid", "time", "time_ns"), sample_row):
                values = self.values(sample)
                terms = ["%s %s %s" % (column, op, v) for op, v in itertools.product(self.OPS, values)]
                terms += ["%s IN (%s)" % (column, ", ".join(vs))
                          for vs in (values[:4], values[3:10], values[10:], ["NULL"], ["'abc'", "x'01'"])]
                terms += ["%s NOT IN (%s)" % (column, ", ".join(values[:5]))]
                terms += ["%s BETWEEN %s AND %s" % (column, a, b) for a, b in itertools.product(values[:8], repeat=2)]
                for term in terms:
                    with self.subTest(table=table, term=term):
                        got = conn.execute("SELECT eid FROM %s WHERE %s AND %s ORDER BY eid"
                                           % (table, term, window)).fetchall()
                        want = conn.execute("SELECT eid FROM temp.copy WHERE %s ORDER BY eid" % term).fetchall()
                        self.assertEqual(got, want)
                        cast = term.replace(column, "CAST(%s AS INTEGER)" % column, 1)
                        unpushed = conn.execute("SELECT eid FROM %s WHERE %s AND %s ORDER BY eid"
                                                % (table, cast, window)).fetchall()
                        self.assertEqual(unpushed, want)
                        checked += 1
        self.assertGreater(checked, 1000)
