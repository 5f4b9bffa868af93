"""cgroup paths longer than the kernel's tracepoint buffer (issue 11).

The kernel formats the path of its cgroup_mkdir event into 1024 bytes and cuts
longer ones without a word. procsql flags such a record in the kernel
(`bpf.cgroup_paths_at_kernel_limit`), reads the whole path by the cgroup's id
(`container_map.paths_recovered`), and where the cgroup is gone before it
can, keeps the cut path flagged on the row (`cgroup_path_truncated = 1`,
`container_map.paths_truncated`). The cgroups here sit below a docker-style
container cgroup, so each of them is a container_map row.
"""

import os
import uuid

from containers import cgroup2_mount
from procsql_test import ProcsqlTestCase, python_connect_and_load, require_extension, unavailable

KERNEL_LIMIT = 1023  # bytes of path the kernel keeps


def stats(conn):
    return dict(conn.execute("SELECT name, value FROM procsql_stats"))


class CgroupPathTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        require_extension(self)
        self.root = cgroup2_mount()
        if not self.root:
            unavailable(self, "no cgroup v2 mount")
        self.cid = uuid.uuid4().hex + uuid.uuid4().hex
        self.top = "/procsql-test-%s/docker-%s.scope" % (uuid.uuid4().hex[:8], self.cid)
        self.made = []
        self.addCleanup(self.remove_all)
        self.conn = python_connect_and_load()
        self.addCleanup(self.conn.close)

    def mkdir(self, rel):
        os.mkdir(self.root + rel)
        self.made.append(rel)

    def remove_all(self):
        for rel in reversed(self.made):
            try:
                os.rmdir(self.root + rel)
            except FileNotFoundError:
                pass

    def rows(self):
        return {r[0]: r[1:] for r in self.conn.execute(
            "SELECT cgroup_path, cgroup_path_truncated, container_id FROM container_map WHERE container_id = ?",
            (self.cid,))}

    def test_long_paths_are_read_whole_by_id(self):
        before = stats(self.conn)
        self.mkdir(self.top.rsplit("/", 1)[0])
        path = self.top
        self.mkdir(path)
        deep = []
        for letter in "abcdef":
            path += "/" + letter * 199
            self.mkdir(path)
            deep.append(path)
        self.assertGreater(len(path), KERNEL_LIMIT + 100)
        rows = self.rows()
        after = stats(self.conn)
        for p in [self.top] + deep:
            self.assertIn(p, rows, "no whole row for a path of %d bytes" % len(p))
            self.assertEqual(rows[p], (0, self.cid))
        cut = [p for p in deep if len(p) >= KERNEL_LIMIT]
        self.assertGreaterEqual(len(cut), 2)
        self.assertEqual(after["bpf.cgroup_paths_at_kernel_limit"] - before["bpf.cgroup_paths_at_kernel_limit"],
                         len(cut))
        self.assertEqual(after["container_map.paths_recovered"] - before["container_map.paths_recovered"], len(cut))
        self.assertEqual(after["container_map.paths_truncated"], before["container_map.paths_truncated"])

    def test_a_cut_path_that_cannot_be_read_is_flagged(self):
        """A cgroup made and removed at once (microseconds apart, the collector
        drains every 100 ms): by the time its record is read it is gone, so its
        path stays cut, flagged. Tried up to five times, in case a drain fell
        between the two calls (then the path was read whole: checked too)."""
        self.mkdir(self.top.rsplit("/", 1)[0])
        self.mkdir(self.top)
        base = self.top + "/" + "p" * 200 + "/" + "q" * 200 + "/" + "r" * 200 + "/" + "s" * 200
        for part in base[len(self.top):].strip("/").split("/"):
            self.mkdir(self.made[-1] + "/" + part)
        flagged = None
        for attempt in range(5):
            before = stats(self.conn)
            leaf = "%s/t%d-%s" % (base, attempt, "u" * 190)
            self.assertGreater(len(leaf), KERNEL_LIMIT)
            os.mkdir(self.root + leaf)
            os.rmdir(self.root + leaf)
            rows = self.rows()
            after = stats(self.conn)
            mine = {p: v for p, v in rows.items() if p.startswith(leaf[:KERNEL_LIMIT]) and len(p) >= KERNEL_LIMIT}
            self.assertEqual(len(mine), 1, mine)
            (path, (truncated, _)), = mine.items()
            if truncated:
                self.assertEqual(path, leaf[:KERNEL_LIMIT])
                self.assertEqual(after["container_map.paths_truncated"] - before["container_map.paths_truncated"], 1)
                flagged = path
                break
            self.assertEqual(path, leaf)  # read whole: the drain came between
        self.assertIsNotNone(flagged, "five cgroups made and removed at once were all read whole")
