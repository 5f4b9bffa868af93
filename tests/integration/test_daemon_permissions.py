"""Who may read procsqld's stores (issue 12): root-owned files, 0640 to
PROCSQL_GROUP's group, else 0600; a member of the group queries every table
without root or any capability; anyone else gets one clear line.

Users (made once and reused, fixed names; never removed, so that two runs
on one machine cannot pull them from under each other):
  procsqltest_in   member of the group procsqltest
  procsqltest_out  not a member
Both have nogroup as primary group and no home or shell. They run the stock
sqlite3 shell and Debian's python3 under `setpriv --reuid --regid
--init-groups` with empty inheritable and bounding capability sets. The
extension is copied into the test's 0755 directory so that they can load it
whatever the build directory's modes.
"""

import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import unittest

from daemon_harness import DATA_FILES, LOCK_FILE, PYTHON3, RECORD_DIR, Daemon
from procsql_test import (DASH, EXTENSION_SO, SQLITE3, TRUE, ProcsqlTestCase, Script, marker, require_tool, sql_str,
                          stats_dict, stats_query, strip_shell_error_prefix)

GROUP = "procsqltest"
MEMBER = "procsqltest_in"
OUTSIDER = "procsqltest_out"


def add(*args):
    """groupadd / useradd; exit 9 (the name is taken) is another run's
    making the same name meanwhile."""
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode not in (0, 9):
        raise AssertionError("%r exited %d: %s" % (args, p.returncode, p.stderr))


def ensure_users():
    """The group and the two users, made if missing, memberships fixed."""
    useradd, groupadd, gpasswd = "/usr/sbin/useradd", "/usr/sbin/groupadd", "/usr/bin/gpasswd"
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        add(groupadd, "--system", GROUP)
    for user in (MEMBER, OUTSIDER):
        try:
            pwd.getpwnam(user)
        except KeyError:
            add(useradd, "--system", "--no-create-home", "--no-user-group", "--gid", "nogroup",
                "--shell", "/usr/sbin/nologin", user)
    members = grp.getgrnam(GROUP).gr_mem
    if MEMBER not in members:
        subprocess.run([gpasswd, "-a", MEMBER, GROUP], check=True, capture_output=True)
    if OUTSIDER in members:
        subprocess.run([gpasswd, "-d", OUTSIDER, GROUP], check=True, capture_output=True)
    return pwd.getpwnam(MEMBER), pwd.getpwnam(OUTSIDER), grp.getgrnam(GROUP)


def status_fields(text):
    return {k: v.strip() for k, v in (l.split(":", 1) for l in text.splitlines() if ":" in l)}


class DaemonPermissionsTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        self.setpriv = require_tool(self, "setpriv")
        for tool in ("/usr/sbin/useradd", "/usr/sbin/groupadd", "/usr/bin/gpasswd"):
            require_tool(self, tool)
        self.member, self.outsider, self.group = ensure_users()
        self.assertIn(MEMBER, self.group.gr_mem)

    def as_user(self, user):
        return [self.setpriv, "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid, "--init-groups",
                "--inh-caps=-all", "--bounding-set=-all"]

    def extension_for_users(self, d):
        """procsql.so in the (0755) parent of the state directory."""
        base = os.path.dirname(d.state_dir)
        so = os.path.join(base, "procsql.so")
        if not os.path.exists(so):
            shutil.copy(EXTENSION_SO, so)
            os.chmod(so, 0o755)
        return so[:-len(".so")]

    def run_as(self, user, d, script, mode="attach", **env):
        e = d.attach_env(mode=mode)
        e.update(env)
        return script.run(env=e, check=False, prefix=self.as_user(user), cwd=os.path.dirname(d.state_dir))

    def assert_refused(self, r, want):
        self.assertGreater(r.returncode, 0, "expected an error exit, got %d; stderr: %s" % (r.returncode, r.stderr))
        lines = r.stderr_lines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertEqual(strip_shell_error_prefix(lines[0]), "procsql: " + want)
        self.assertNotIn("@@procsql", r.output)

    def load_script(self, d):
        s = Script()
        s.load(self.extension_for_users(d))
        return s

    # ---------------------------------------------------------------- files

    def test_modes_with_a_group(self):
        d = Daemon(self, env={"PROCSQL_GROUP": GROUP})
        d.start()
        gid = self.group.gr_gid
        st = os.stat(d.state_dir)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o755, 0, gid), "the state directory")
        st = os.stat(d.path(LOCK_FILE))
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_size), (0o644, 0, 0), LOCK_FILE)
        self.assertEqual(sorted(os.listdir(d.state_dir)), sorted(DATA_FILES + [LOCK_FILE, RECORD_DIR]))
        # What syscall_usage records is root's to change, not the group's.
        st = os.stat(d.path(RECORD_DIR))
        self.assertEqual((oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid), (oct(0o700), 0, 0), RECORD_DIR)
        for name in DATA_FILES:
            st = os.stat(d.path(name))
            self.assertEqual((oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid), (oct(0o640), 0, gid), name)
        # Group members read the files, and cannot write them.
        probe = ("import sys\nopen(sys.argv[1], 'rb').read(4096)\n"
                 "try:\n    open(sys.argv[1], 'r+b')\nexcept PermissionError:\n    print('refused')\n")
        for name in DATA_FILES:
            p = subprocess.run(self.as_user(self.member) + [PYTHON3, "-c", probe, d.path(name)],
                               capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stdout), (0, "refused\n"), p.stderr)

    def test_modes_without_a_group(self):
        d = Daemon(self)
        d.start()
        st = os.stat(d.state_dir)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o755, 0, 0))
        self.assertEqual(stat.S_IMODE(os.stat(d.path(LOCK_FILE)).st_mode), 0o644)
        for name in DATA_FILES:
            st = os.stat(d.path(name))
            self.assertEqual((oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid), (oct(0o600), 0, 0), name)
        # The member of procsqltest is nobody special here.
        want = ("procsqld runs on %s but this user may not read its stores: run as root, or join the group "
                "given to procsqld as PROCSQL_GROUP" % d.state_dir)
        s = self.load_script(d)
        s.query("SELECT 1 AS after_load")
        for mode in ("attach", "auto"):
            with self.subTest(mode=mode):
                self.assert_refused(self.run_as(self.member, d, s, mode=mode), want)

    def test_unknown_group(self):
        d = Daemon(self, env={"PROCSQL_GROUP": "procsqltest_no_such_group"})
        rc, lines = d.run_to_exit()
        self.assertEqual((rc, lines), (1, ["procsqld: PROCSQL_GROUP=procsqltest_no_such_group: no such group"]))

    # -------------------------------------------------------------- readers

    def test_member_queries_every_table(self):
        d = Daemon(self, env={"PROCSQL_GROUP": GROUP})
        d.start()
        m0, m1 = marker(), marker()
        root_exec = subprocess.Popen([TRUE, m0])
        self.assertEqual(root_exec.wait(), 0)
        uid = self.member.pw_uid
        s = self.load_script(d)
        s.shell("grep -e ^Uid -e ^Groups -e ^CapEff -e ^CapPrm -e ^CapAmb /proc/$PPID/status")
        s.shell("%s %s" % (TRUE, m1))
        q_root = s.query("SELECT pid, uid, path FROM process_events WHERE argv LIKE %s" % sql_str("%" + m0 + "%"))
        mine = "(SELECT pid FROM process_events WHERE argv LIKE %s AND path = %s)" % (sql_str("%" + m1 + "%"),
                                                                                        sql_str(TRUE))
        q_exec = s.query("SELECT pid, uid, path, start_time FROM process_events WHERE argv LIKE %s AND path = %s"
                         % (sql_str("%" + m1 + "%"), sql_str(TRUE)))
        q_clone = s.query("SELECT child_pid, uid FROM clone_events WHERE child_pid = %s" % mine)
        q_exit = s.query("SELECT pid, exit_code FROM process_exits WHERE pid = %s" % mine)
        q_proc = s.query("SELECT pid, path, uid FROM processes WHERE pid = (SELECT parent FROM process_events "
                         "WHERE argv LIKE %s AND path = %s)" % (sql_str("%" + m1 + "%"), sql_str(DASH)))
        q_map = s.query("SELECT count(*) AS n FROM container_map")
        qs = stats_query(s)
        r = self.run_as(self.member, d, s, mode="auto")
        self.assertEqual((r.returncode, r.stderr_lines()), (0, []), r.stderr)
        status = status_fields(r.stdout.decode())
        self.assertEqual(status["Uid"].split(), [str(uid)] * 4)
        self.assertIn(str(self.group.gr_gid), status["Groups"].split())
        self.assertEqual((status["CapEff"], status["CapPrm"], status["CapAmb"]), ("0" * 16,) * 3)

        self.assertEqual(r.rows(q_root), [{"pid": root_exec.pid, "uid": 0, "path": TRUE}])
        ex = r.rows(q_exec)
        self.assertEqual([(e["uid"], e["path"]) for e in ex], [(uid, TRUE)])
        pid = ex[0]["pid"]
        self.assertEqual(r.rows(q_clone), [{"child_pid": pid, "uid": uid}])
        self.assertEqual(r.rows(q_exit), [{"pid": pid, "exit_code": 0}])
        proc = r.rows(q_proc)
        self.assertEqual([(p["path"], p["uid"]) for p in proc], [(SQLITE3, uid)], "the shell itself, live")
        self.assertEqual(r.pid, proc[0]["pid"])
        self.assertGreaterEqual(r.rows(q_map)[0]["n"], 0)
        stats = stats_dict(r.rows(qs))
        self.assertEqual((stats["mode"], stats["store_id"], stats["daemon.pid"]),
                         ("attached", d.run.store_id, d.run.pid))

        # python3 as the member: every table too.
        c = d.python_client(mode="auto", prefix=self.as_user(self.member), extension=self.extension_for_users(d))
        self.assertEqual(c.query("SELECT pid FROM process_events WHERE argv LIKE ? AND path = ?",
                                 ("%" + m1 + "%", TRUE)), [{"pid": pid}])
        self.assertEqual(len(c.query("SELECT eid FROM clone_events WHERE child_pid = ?", (pid,))), 1)
        self.assertEqual(len(c.query("SELECT eid FROM process_exits WHERE pid = ?", (pid,))), 1)
        self.assertEqual(c.query("SELECT uid, path FROM processes WHERE pid = ?", (c.pid,)),
                         [{"uid": uid, "path": os.path.realpath(PYTHON3)}])
        c.query("SELECT * FROM container_map")
        self.assertEqual(c.stats()["mode"], "attached")

    def test_outsider_is_refused(self):
        d = Daemon(self, env={"PROCSQL_GROUP": GROUP})
        d.start()
        s = self.load_script(d)
        s.query("SELECT 1 AS after_load")
        want = ("procsqld runs on %s but this user may not read its stores: run as root, or join the group "
                "'%s' of the running procsqld" % (d.state_dir, GROUP))
        for mode in ("attach", "auto"):
            with self.subTest(mode=mode):
                self.assert_refused(self.run_as(self.outsider, d, s, mode=mode), want)
        c = d.python_client(mode="auto", prefix=self.as_user(self.outsider), extension=self.extension_for_users(d),
                            check=False)
        self.assertEqual(strip_shell_error_prefix(c.load_error), "procsql: " + want)
        self.assertEqual(c.close(), 1)

    def test_non_root_without_a_daemon(self):
        d = Daemon(self, env={"PROCSQL_GROUP": GROUP})
        s = self.load_script(d)
        s.query("SELECT 1 AS after_load")
        r = self.run_as(self.member, d, s, mode="auto")
        self.assertGreater(r.returncode, 0, r.stderr)
        lines = r.stderr_lines()
        self.assertEqual(len(lines), 1, r.stderr)
        msg = strip_shell_error_prefix(lines[0])
        self.assertTrue(re.fullmatch(r"procsql: no procsqld runs on %s and this process cannot collect events "
                                     r"itself \(.+\): run as root, or join the group of a running procsqld "
                                     r"\(PROCSQL_GROUP\)" % re.escape(d.state_dir), msg), msg)
        self.assert_refused(self.run_as(self.member, d, s, mode="attach"),
                            "PROCSQL_MODE=attach, but no procsqld runs on %s: start procsqld (systemctl start "
                            "procsqld), or unset PROCSQL_MODE" % d.state_dir)


if __name__ == "__main__":
    unittest.main()
