"""argv capture: exact byte round-trip through the `argv` JSON column,
`cmdline`, `argc`, and truncation at PROCSQL_ARGV_BYTES.

tests/progs/execargs runs execv() with argv read from a NUL-separated spec
file, so any bytes reach the kernel without shell quoting in between.
"""

import json
import os
import unittest

from procsql_test import (TRUE, ProcsqlTestCase, Script, argv_bytes, marker,
                          sql_str, write_file)

# Byte sequences that are not valid UTF-8. For each one, a per-byte
# replacement and Python's "maximal subpart" replacement give the same
# number of U+FFFD, so the expected cmdline is unambiguous.
INVALID_UNAMBIGUOUS = [
    b"\xff\xfe",  # never valid
    b"a\x80b",  # lone continuation byte
    b"\xc0\xaf",  # overlong encoding of '/'
    b"\xed\xa0\x80",  # UTF-8-encoded surrogate U+D800
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xf8\x88\x80\x80\x80",  # 5-byte form
]
# Truncated multi-byte sequence: 1 U+FFFD (maximal subpart) or 2 (per byte).
INVALID_AMBIGUOUS = [b"x\xe2\x82y"]


def per_byte_replace(b):
    """Each byte that is not part of valid UTF-8 becomes U+FFFD."""
    s = b.decode("utf-8", "surrogateescape")
    return "".join("\ufffd" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in s)


class ArgvTest(ProcsqlTestCase):

    def exec_spec(self, script, argv):
        """Make `script` run TRUE with exactly `argv` (list of bytes)."""
        execargs = self.prog("execargs")
        spec = os.path.join(self.tmpdir(), "spec")
        write_file(spec, b"".join(a + b"\0" for a in [TRUE.encode()] + argv))
        script.shell("%s %s" % (execargs, spec))

    def query_true(self, script, m):
        """Rows for TRUE runs carrying marker m; text columns as hex so the
        exact bytes the extension stored come back untouched."""
        return script.query(
            "SELECT eid, hex(argv) AS argv_hex, hex(cmdline) AS cmdline_hex, argc,"
            " cmdline_truncated, typeof(argv) AS argv_type FROM process_events"
            " WHERE path = %s AND argv LIKE %s" % (sql_str(TRUE), sql_str("%" + m + "%")))

    def decoded(self, row):
        """argv as list of bytes and cmdline as str; both columns must be
        valid UTF-8 text (strict decoding)."""
        self.assertEqual(row["argv_type"], "text")
        argv_text = bytes.fromhex(row["argv_hex"]).decode("utf-8")  # strict
        cmdline = bytes.fromhex(row["cmdline_hex"]).decode("utf-8")  # strict
        return argv_bytes(argv_text), cmdline, json.loads(argv_text)

    def test_special_characters_round_trip(self):
        """Spaces, quotes, backslash, newline, tab, control bytes, an empty
        argument, UTF-8 and invalid UTF-8 come back byte for byte."""
        m = marker()
        argv = [b"true", m.encode(), b"with space", b'double"quote', b"single'quote",
                b"back\\slash", b"new\nline", b"tab\there", b"\x01\x1f\x7f", b"",
                "h\u00e9llo w\u00f6rld \u2713".encode(), "\U0001F680".encode(),
                b'["json",{"x":1}]', b"%_like", b"\\udcff"]
        argv += INVALID_UNAMBIGUOUS + INVALID_AMBIGUOUS
        s = Script()
        s.load()
        self.exec_spec(s, argv)
        q = self.query_true(s, m)
        r = s.run()
        rows = r.rows(q)
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        got, cmdline, _ = self.decoded(row)
        self.assertEqual(got, argv)
        self.assertEqual(row["argc"], len(argv))
        self.assertEqual(row["cmdline_truncated"], 0)
        expected_per_byte = " ".join(per_byte_replace(a) for a in argv)
        expected_maximal = " ".join(a.decode("utf-8", "replace") for a in argv)
        self.assertIn(cmdline, {expected_per_byte, expected_maximal})

    def test_many_small_arguments(self):
        """5,000 one-byte arguments (10 KB, under the default bound): all kept."""
        m = marker()
        argv = [b"true", m.encode()] + [b"%d" % (i % 10) for i in range(5000)]
        s = Script()
        s.load()
        self.exec_spec(s, argv)
        q = self.query_true(s, m)
        r = s.run()
        rows = r.rows(q)
        self.assertEqual(len(rows), 1)
        got, cmdline, _ = self.decoded(rows[0])
        self.assertEqual(rows[0]["argc"], 5002)
        self.assertEqual(rows[0]["cmdline_truncated"], 0)
        self.assertEqual(got, argv)
        self.assertEqual(cmdline, b" ".join(argv).decode())

    def check_truncated(self, row, argv, bound):
        got, cmdline, _ = self.decoded(row)
        self.assertEqual(row["cmdline_truncated"], 1)
        self.assertEqual(row["argc"], len(argv), "argc must be the true count")
        self.assertLess(len(got), len(argv))
        self.assertGreaterEqual(len(got), 2, "the marker (argv[1]) must be kept")
        # A prefix: every kept argument equal, the last one possibly cut short.
        self.assertEqual(got[:-1], argv[:len(got) - 1])
        self.assertTrue(argv[len(got) - 1].startswith(got[-1]))
        # Bytes read from the process: the kept arguments and the NULs between
        # them (the last one may have been cut before its NUL).
        kept = sum(len(a) for a in got) + len(got) - 1
        self.assertLessEqual(kept, bound, "more argv bytes kept than the bound")
        # It keeps about as much as the bound allows (at most two arguments'
        # worth short of it).
        longest = max(len(a) + 1 for a in argv)
        self.assertGreaterEqual(kept, bound - 2 * longest)
        self.assertEqual(cmdline, b" ".join(got).decode())

    def long_argv(self, m, n_args, arg_len=300):
        return [b"true", m.encode()] + [
            (b"%05d-" % i).ljust(arg_len, b"x") for i in range(n_args)]

    def test_truncated_at_default_bound(self):
        """A 60 KB argv with the default 16 KiB bound: flag set, prefix kept,
        true argc."""
        m = marker()
        argv = self.long_argv(m, 200)
        s = Script()
        s.load()
        self.exec_spec(s, argv)
        q = self.query_true(s, m)
        r = s.run()
        rows = r.rows(q)
        self.assertEqual(len(rows), 1)
        self.check_truncated(rows[0], argv, 16384)

    def test_truncated_at_custom_bound(self):
        """PROCSQL_ARGV_BYTES=4096: a 12 KB argv is cut at 4096 bytes; a 3.5 KB
        one is not cut at all."""
        m1, m2 = marker(), marker()
        long = self.long_argv(m1, 40)
        short = self.long_argv(m2, 11)
        self.assertLess(sum(len(a) + 1 for a in short), 4096)
        s = Script()
        s.load()
        self.exec_spec(s, long)
        self.exec_spec(s, short)
        q1 = self.query_true(s, m1)
        q2 = self.query_true(s, m2)
        r = s.run(env={"PROCSQL_ARGV_BYTES": "4096"})
        rows = r.rows(q1)
        self.assertEqual(len(rows), 1)
        self.check_truncated(rows[0], long, 4096)
        rows = r.rows(q2)
        self.assertEqual(len(rows), 1)
        got, _, _ = self.decoded(rows[0])
        self.assertEqual(got, short)
        self.assertEqual(rows[0]["cmdline_truncated"], 0)
        self.assertEqual(rows[0]["argc"], len(short))

    def test_smallest_and_largest_bound(self):
        """The allowed extremes work: 256 truncates a 1 KB argv; 262144 keeps
        a 200 KB argv whole."""
        m1, m2 = marker(), marker()
        small = self.long_argv(m1, 4, arg_len=250)
        big = [b"true", m2.encode(), b"a" * 100000, b"b" * 100000]
        s1 = Script()
        s1.load()
        self.exec_spec(s1, small)
        q1 = self.query_true(s1, m1)
        r1 = s1.run(env={"PROCSQL_ARGV_BYTES": "256"})
        rows = r1.rows(q1)
        self.assertEqual(len(rows), 1)
        self.check_truncated(rows[0], small, 256)

        s2 = Script()
        s2.load()
        self.exec_spec(s2, big)
        q2 = self.query_true(s2, m2)
        r2 = s2.run(env={"PROCSQL_ARGV_BYTES": "262144"})
        rows = r2.rows(q2)
        self.assertEqual(len(rows), 1)
        got, _, _ = self.decoded(rows[0])
        self.assertEqual(rows[0]["cmdline_truncated"], 0)
        self.assertEqual(rows[0]["argc"], 4)
        self.assertEqual(got, big)


if __name__ == "__main__":
    unittest.main()
