"""Stale syscall marks (issue 11).

execve and execveat are told apart by a mark the sys_enter_execveat
tracepoint leaves for the calling thread, consumed at the exec or deleted at
the syscall's exit. The review behind issue 11 worried that a thread killed
between entry and exit would leave its mark, keyed by its tid, for a later
process with the same pid to read its plain execve as execveat.
tests/progs/stale_mark.c stages exactly that: a thread held inside execveat
(its path on a userfaultfd page nobody serves), killed there, then the same
pid reused (ns_last_pid) for `execve /bin/true MARKER`. Measured: the build
before the fix passes too. A killed call still returns through the syscall
exit path (the fault fails, execveat returns an error) and the exit
tracepoint runs before the signal ends the thread, so no mark is left. The
test stays as the guard of that, with the marks now also deleted when any
thread exits.
"""

from procsql_test import TRUE, ProcsqlTestCase, Script, marker, require_extension, sql_str


class StaleMarkTest(ProcsqlTestCase):

    def test_a_killed_execveat_leaves_no_mark_for_the_next_process_with_its_pid(self):
        require_extension(self)
        m = marker()
        s = Script()
        s.load()
        out = self.tmpdir() + "/out"
        s.shell("%s %s > %s" % (self.prog("stale_mark"), m, out))
        q = s.query("SELECT pid, syscall, path FROM process_events WHERE argv LIKE %s AND path = %s"
                    % (sql_str("%" + m + "%"), sql_str(TRUE)))
        r = s.run()
        with open(out) as f:
            said = f.read().split()
        self.assertEqual(said[0::2], ["victim", "reused"], "stale_mark could not stage it: %r" % said)
        rows = r.rows(q)
        self.assertEqual(len(rows), 1, "the reused pid's exec: %r" % rows)
        self.assertEqual(rows[0]["pid"], int(said[3]))
        self.assertEqual(rows[0]["syscall"], "execve")
