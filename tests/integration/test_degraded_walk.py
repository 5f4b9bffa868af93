"""The bounded path walk that kernels without bpf_loop (< 5.17) get, forced
here with PROCSQL_BPF_NO_LOOP=1: it loads, says so in procsql_stats, resolves
ordinary paths whole, and flags (never silently cuts) a path deeper than its
component bound, keeping the path's end. The bpf_loop walk resolves the same
path whole.
"""

import os
import shutil
import unittest

from procsql_test import (TRUE, ProcsqlTestCase, Script, events_with_marker, marker,
                          stats_dict, stats_query)

BOUNDED_COMPONENTS = 48  # PROCSQL_WALK_BOUNDED_COMPONENTS in bpf/event_abi.h


class DegradedWalkTest(ProcsqlTestCase):

    def deep_binary(self, depth):
        deep = self.tmpdir()
        for i in range(depth):
            deep = os.path.join(deep, "d%02d" % i)
        os.makedirs(deep)
        binary = os.path.join(deep, "deeptrue")
        shutil.copy2(TRUE, binary)
        return os.path.realpath(binary)

    def run_walk(self, env, binary, m):
        s = Script()
        s.load()
        s.shell("%s %s" % (TRUE, m))
        s.shell("%s %s" % (binary, m))
        q = events_with_marker(s, m, "comm != 'sh'")  # not the .shell wrappers
        st = stats_query(s)
        q_flagged = s.query("SELECT count(*) AS n FROM process_events WHERE path_truncated = 1")
        st_after = stats_query(s)
        r = s.run(env=env)
        stats = stats_dict(r.rows(st))
        # paths_truncated counts the rows flagged: other processes' rows may
        # arrive between the statements, so the table's count lies between
        # the counter just before and just after it.
        flagged = r.rows(q_flagged)[0]["n"]
        self.assertLessEqual(stats["process_events.paths_truncated"], flagged)
        self.assertGreaterEqual(stats_dict(r.rows(st_after))["process_events.paths_truncated"], flagged)
        return r.rows(q), stats

    def test_bounded_walk(self):
        binary = self.deep_binary(BOUNDED_COMPONENTS + 12)
        self.assertGreater(binary.count("/"), BOUNDED_COMPONENTS)
        m = marker()
        rows, stats = self.run_walk({"PROCSQL_BPF_NO_LOOP": "1"}, binary, m)
        self.assertTrue(stats["bpf.path_walk"].startswith("bounded loop (48 components"), stats)
        by_argv0 = {row["cmdline"].split(" ")[0]: row for row in rows}
        self.assertEqual(len(rows), 2, rows)

        shallow = by_argv0[TRUE]
        self.assertEqual(shallow["path"], os.path.realpath(TRUE))
        self.assertEqual(shallow["path_truncated"], 0)

        deep = by_argv0[binary]
        self.assertEqual(deep["path_truncated"], 1)
        # The end of the path is kept, component by component.
        self.assertTrue(binary.endswith(deep["path"]), (deep["path"], binary))
        self.assertEqual(deep["path"].count("/"), BOUNDED_COMPONENTS)

    def test_bpf_loop_walk_resolves_the_same_path(self):
        binary = self.deep_binary(BOUNDED_COMPONENTS + 12)
        m = marker()
        rows, stats = self.run_walk({}, binary, m)
        self.assertTrue(stats["bpf.path_walk"].startswith("bpf_loop"), stats)
        deep = [row for row in rows if row["cmdline"].startswith(binary)]
        self.assertEqual(len(deep), 1, rows)
        self.assertEqual(deep[0]["path"], binary)
        self.assertEqual(deep[0]["path_truncated"], 0)


if __name__ == "__main__":
    unittest.main()
