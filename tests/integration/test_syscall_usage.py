"""syscall_usage and procsql_seccomp_profile with REAL runc containers and
real seccomp enforcement (Debian's runc applies the generated profile with
libseccomp; nothing is simulated).

Each test records only containers whose id starts with a prefix of its own
(PROCSQL_SYSCALLS), so other tests' containers and the host's processes are
never part of what it reads, and checks that those leave no rows.

  - exact counts: a static program makes N native getpriority(2) and M 32-bit
    getppid calls (int 0x80): exactly N rows' worth on x86_64, M on x86;
  - a container not chosen, and the host, leave no rows;
  - record a busybox workload (a directory listing, file reads, a sleep),
    generate its profile, run the workload 20 times under it in a fresh
    bundle: every run succeeds (runc parses the JSON: it is the judge);
  - the same workload plus `sync -d FILE` (fdatasync(2), never made by the
    recorded runs) succeeds without the profile and fails with EPERM with it;
  - the profile's fields are the OCI runtime spec's; bad options are a one-line
    SQL error; on the audit backend syscall_usage says it records nothing.
"""

import json
import os
import shutil
import stat
import subprocess
import time
import uuid

from containers import Container, require_runc
from procsql_test import (BACKEND, ProcsqlTestCase, python_connect_and_load, require_prog,
                          use_default_config)


def rows(conn, sql, args=()):
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def own_linked_programs():
    """Names of the programs this process has attached (its bpf_link fds)."""
    names = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + fd) != "anon_inode:bpf_link":
                continue
            with open("/proc/self/fdinfo/" + fd) as f:
                ids = [l.split()[1] for l in f if l.startswith("prog_id:")]
        except OSError:
            continue
        for i in ids:
            out = subprocess.run(["bpftool", "-j", "prog", "show", "id", i], capture_output=True, text=True).stdout
            names.append(json.loads(out).get("name", "") if out else "")
    return names


WORKLOAD = "ls -l /bin /etc >/dev/null && cat /etc/passwd /etc/group >/dev/null && sleep 0.2 && echo ok"


class SyscallUsageTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        require_runc(self)
        use_default_config(self)
        # Container ids start with this: only this test's containers are chosen.
        self.prefix = "procsql-sc%s" % uuid.uuid4().hex[:8]
        os.environ["PROCSQL_SYSCALLS"] = self.prefix
        self.addCleanup(os.environ.pop, "PROCSQL_SYSCALLS", None)
        self.conn = python_connect_and_load()
        self.addCleanup(self.conn.close)

    def container(self, args, chosen=True, files=None, edit=None):
        prefix = self.prefix if chosen else "procsql-other%s" % uuid.uuid4().hex[:6]
        return Container(self, args, id_prefix=prefix, files=files, edit=edit,
                         applets=("sh", "ls", "cat", "sleep", "echo", "sync", "true"))

    # A plain runc container is named by runc's state only, which goes with
    # it: the workloads live a few hundred ms (a sleep), as any real one does,
    # so that the collector reads that state (container_map.cpp).

    def with_counter_prog(self, c):
        dst = os.path.join(c.rootfs, "bin", "syscall_counts")
        shutil.copy2(self.prog("syscall_counts"), dst)
        os.chmod(dst, 0o755)

    def usage(self, container_id):
        return rows(self.conn, "SELECT * FROM syscall_usage WHERE container_id = ? ORDER BY arch, syscall",
                    (container_id,))

    def settled_usage(self, container_id, want, timeout=10.0):
        """Rows of a container once `want(rows)` holds (the consumer thread
        decides about a new cgroup within a drain or two)."""
        deadline = time.time() + timeout
        while True:
            r = self.usage(container_id)
            if want(r) or time.time() > deadline:
                return r
            time.sleep(0.1)

    def test_exact_counts_native_and_compat(self):
        require_prog(self, "syscall_counts")
        c = self.container(["sh", "-c", "sleep 0.3; exec /bin/syscall_counts 777 333"])
        self.with_counter_prog(c)
        r = c.run()
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(b"done", r.stdout)
        got = self.settled_usage(c.id, lambda rs: any(x["syscall"] == "getpriority" for x in rs))
        by = {(x["arch"], x["syscall"]): x for x in got}
        self.assertEqual(by[("x86_64", "getpriority")]["count"], 777, got)
        self.assertEqual(by[("x86", "getppid")]["count"], 333, got)
        # 32-bit calls are apart: getppid on x86 is not x86_64's (110).
        self.assertEqual(by[("x86", "getppid")]["nr"], 64)
        self.assertLess(by.get(("x86_64", "getppid"), {"count": 0})["count"], 333)  # the shell's own
        row = by[("x86_64", "getpriority")]
        self.assertEqual(row["nr"], 140)
        (cg,), = self.conn.execute("SELECT cgroup_id FROM container_map WHERE container_id = ?", (c.id,))
        self.assertEqual(row["cgroup_id"], cg)
        self.assertLessEqual(row["first_time"], row["last_time"])
        self.assertLess(abs(row["last_time"] - time.time_ns()), 120 * 10**9)
        # The names are libseccomp's, as scmp_sys_resolver gives them.
        if shutil.which("scmp_sys_resolver"):
            for x in got:
                out = subprocess.run(["scmp_sys_resolver", "-a", x["arch"], str(x["nr"])],
                                     capture_output=True, text=True).stdout.strip()
                self.assertEqual(out, x["syscall"], x)
        # Recording starts at the workload's first exec: runc init's own
        # setup (pivot_root, mount, sethostname...) is not in the rows.
        names = {x["syscall"] for x in got}
        for runtime_only in ("pivot_root", "sethostname", "mount"):
            self.assertNotIn(runtime_only, names)

    def test_unchosen_container_and_host_leave_no_rows(self):
        require_prog(self, "syscall_counts")
        other = self.container(["sh", "-c", "sleep 0.3; exec /bin/syscall_counts 55 0"], chosen=False)
        self.with_counter_prog(other)
        mine = self.container(["sh", "-c", "sleep 0.3; exec /bin/syscall_counts 44 0"])
        self.with_counter_prog(mine)
        self.assertEqual(other.run().returncode, 0)
        self.assertEqual(mine.run().returncode, 0)
        # The host: this process's own cgroup, and a host program.
        subprocess.run([self.prog("syscall_counts"), "66", "0"], check=True, capture_output=True)
        got = self.settled_usage(mine.id, lambda rs: any(x["syscall"] == "getpriority" for x in rs))
        self.assertEqual([x["count"] for x in got if x["syscall"] == "getpriority"], [44])
        all_rows = rows(self.conn, "SELECT * FROM syscall_usage")
        self.assertEqual([x for x in all_rows if x["container_id"] == other.id], [])
        self.assertEqual([x for x in all_rows if not (x["container_id"] or "").startswith(self.prefix)], [],
                         "only the chosen containers have rows")
        with open("/proc/self/cgroup") as f:
            own = [l.split(":", 2)[2].strip() for l in f if l.startswith("0::")]
        stats = dict(self.conn.execute("SELECT name, value FROM procsql_stats WHERE name LIKE 'syscall_usage.%'"))
        self.assertEqual(stats["syscall_usage.recording"], self.prefix)
        self.assertEqual(stats["syscall_usage.attached"], 1)
        self.assertIn("procsql_sc_enter", own_linked_programs())
        self.assertEqual(stats["syscall_usage.lost_usage_map_full"], 0)
        self.assertTrue(own)

    def test_rows_outlive_the_container_for_the_grace_period(self):
        """Rows stay PROCSQL_CONTAINER_GRACE seconds after the container is
        gone (a trial run's profile), then go with it."""
        require_prog(self, "syscall_counts")
        self.conn.close()
        os.environ["PROCSQL_CONTAINER_GRACE"] = "3"
        self.addCleanup(os.environ.pop, "PROCSQL_CONTAINER_GRACE", None)
        self.conn = python_connect_and_load()
        self.addCleanup(self.conn.close)
        c = self.container(["sh", "-c", "sleep 0.3; exec /bin/syscall_counts 9 0"])
        self.with_counter_prog(c)
        self.assertEqual(c.run().returncode, 0)
        gone_at = time.time()  # runc deleted the cgroup when `runc run` returned
        got = self.settled_usage(c.id, lambda rs: any(x["syscall"] == "getpriority" for x in rs))
        self.assertEqual([x["count"] for x in got if x["syscall"] == "getpriority"], [9])
        self.assertLess(time.time() - gone_at, 3, "the check above must run within the grace period")
        time.sleep(max(0, gone_at + 4.5 - time.time()))
        self.assertEqual(self.usage(c.id), [])
        stats = dict(self.conn.execute("SELECT name, value FROM procsql_stats WHERE name LIKE 'syscall_usage.%'"))
        self.assertGreaterEqual(stats["syscall_usage.cgroups_expired"], 1)

    def record_profile(self, workload, options=None):
        c = self.container(["sh", "-c", workload])
        r = c.run()
        self.assertEqual(r.returncode, 0, r)
        self.settled_usage(c.id, lambda rs: any(x["syscall"] == "exit_group" for x in rs))
        sql = "SELECT procsql_seccomp_profile(syscall, arch%s) FROM syscall_usage WHERE container_id = ?" % (
            ", ?" if options is not None else "")
        args = (options, c.id) if options is not None else (c.id,)
        (profile,), = self.conn.execute(sql, args).fetchall()
        self.assertIsNotNone(profile)
        return json.loads(profile)

    def run_with(self, workload, profile, chosen=False):
        def edit(cfg):
            if profile is not None:
                cfg["linux"]["seccomp"] = profile
        return self.container(["sh", "-c", workload], chosen=chosen, edit=edit).run()

    def test_profile_runs_the_workload_20_times(self):
        profile = self.record_profile(WORKLOAD)
        # The OCI runtime spec's LinuxSeccomp fields, and nothing else.
        self.assertEqual(set(profile), {"defaultAction", "defaultErrnoRet", "architectures", "syscalls"})
        self.assertEqual(profile["defaultAction"], "SCMP_ACT_ERRNO")
        self.assertEqual(profile["defaultErrnoRet"], 1)
        self.assertIn("SCMP_ARCH_X86_64", profile["architectures"])
        self.assertEqual([set(s) for s in profile["syscalls"]], [{"names", "action"}])
        self.assertEqual(profile["syscalls"][0]["action"], "SCMP_ACT_ALLOW")
        names = profile["syscalls"][0]["names"]
        for n in ("execve", "getdents64", "nanosleep", "exit_group"):
            self.assertIn(n, names)
        self.assertNotIn("fdatasync", names)
        for i in range(20):
            r = self.run_with(WORKLOAD, profile)
            self.assertEqual(r.returncode, 0, "run %d: %r" % (i, r))
            self.assertIn(b"ok", r.stdout)

    def test_profile_blocks_an_unrecorded_call_with_eperm(self):
        profile = self.record_profile(WORKLOAD)
        variant = WORKLOAD + " && sync -d /etc/passwd && echo synced"
        without = self.run_with(variant, None)
        self.assertEqual(without.returncode, 0, without)
        self.assertIn(b"synced", without.stdout)
        blocked = self.run_with(variant, profile)
        self.assertNotEqual(blocked.returncode, 0, blocked)
        self.assertNotIn(b"synced", blocked.stdout)
        self.assertIn(b"Operation not permitted", blocked.stderr)
        # ENOSYS instead, by option.
        enosys = self.record_profile(WORKLOAD, "ENOSYS")
        self.assertEqual(enosys["defaultErrnoRet"], 38)
        r = self.run_with(variant, enosys)
        self.assertNotEqual(r.returncode, 0, r)
        self.assertIn(b"Function not implemented", r.stderr)
        # A trial profile logs instead of refusing: the variant runs.
        trial = self.record_profile(WORKLOAD, "SCMP_ACT_LOG")
        self.assertEqual(trial["defaultAction"], "SCMP_ACT_LOG")
        self.assertNotIn("defaultErrnoRet", trial)
        r = self.run_with(variant, trial)
        self.assertEqual(r.returncode, 0, r)

    def test_bad_options_and_no_rows(self):
        with self.assertRaises(Exception) as e:
            self.conn.execute("SELECT procsql_seccomp_profile('read', 'x86_64', 'EBADF')").fetchall()
        self.assertIn("options must be 'EPERM' (the default), 'ENOSYS' or 'SCMP_ACT_LOG'", str(e.exception))
        with self.assertRaises(Exception) as e:
            self.conn.execute("SELECT procsql_seccomp_profile('read', 'vax')").fetchall()
        self.assertIn("the arch 'vax' has no seccomp architecture name", str(e.exception))
        (none,), = self.conn.execute(
            "SELECT procsql_seccomp_profile(syscall, arch) FROM syscall_usage WHERE container_id = 'no-such'")
        self.assertIsNone(none)


class SyscallsConfigTest(ProcsqlTestCase):
    """PROCSQL_SYSCALLS errors, and nothing attached while nothing is recorded."""

    def setUp(self):
        super().setUp()
        use_default_config(self)
        self.addCleanup(os.environ.pop, "PROCSQL_SYSCALLS", None)

    def test_bad_value_is_one_line(self):
        import sqlite3
        os.environ["PROCSQL_SYSCALLS"] = "abc,../etc"
        with self.assertRaises(sqlite3.OperationalError) as e:
            python_connect_and_load()
        msg = str(e.exception)
        self.assertIn("PROCSQL_SYSCALLS takes 'all' or container id prefixes", msg)
        self.assertNotIn("\n", msg)
        os.environ["PROCSQL_SYSCALLS"] = "all,abc"
        with self.assertRaises(sqlite3.OperationalError) as e:
            python_connect_and_load()
        self.assertIn("either 'all' or a list of container id prefixes", str(e.exception))

    def test_off_by_default_nothing_attached(self):
        os.environ.pop("PROCSQL_SYSCALLS", None)
        conn = python_connect_and_load()
        self.addCleanup(conn.close)
        self.assertEqual(conn.execute("SELECT count(*) FROM syscall_usage").fetchone()[0], 0)
        if BACKEND == "bpf":
            stats = dict(conn.execute("SELECT name, value FROM procsql_stats WHERE name LIKE 'syscall_usage.%'"))
            self.assertEqual(stats["syscall_usage.attached"], 0)
            self.assertEqual(stats["syscall_usage.recording"], "")
            # This process's own links (other collectors may run on the machine).
            self.assertNotIn("procsql_sc_enter", own_linked_programs())


class RecordCommandTest(ProcsqlTestCase):
    """procsqld records what `procsql record` asks, at run time; readers
    attached to it read syscall_usage as procsqld publishes it."""

    def setUp(self):
        super().setUp()
        require_runc(self)
        from daemon_harness import Daemon, require_procsqld
        require_procsqld(self)
        use_default_config(self)
        self.d = Daemon(self)
        self.d.start()
        from procsql_test import BUILD_DIR
        self.tool = os.path.join(BUILD_DIR, "bin", "procsql")
        self.env = dict(os.environ, PROCSQL_STATE_DIR=self.d.state_dir)

    def record(self, *args, user=None):
        return subprocess.run(([ "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if user else [])
                              + [self.tool, "record"] + list(args), env=self.env, capture_output=True, text=True)

    def test_start_stop_at_run_time(self):
        prefix = "procsql-rec%s" % uuid.uuid4().hex[:8]
        c0 = Container(self, ["sh", "-c", "sleep 0.3; exec /bin/syscall_counts 11 0"], id_prefix=prefix)
        shutil.copy2(self.prog("syscall_counts"), os.path.join(c0.rootfs, "bin", "syscall_counts"))
        self.assertEqual(c0.run().returncode, 0)  # before `record start`: not recorded
        r = self.record("start", prefix)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("recording " + prefix, r.stdout)
        time.sleep(0.6)  # procsqld looks at record/ every 200 ms
        c = Container(self, ["sh", "-c", "sleep 0.3; exec /bin/syscall_counts 321 0"], id_prefix=prefix)
        shutil.copy2(self.prog("syscall_counts"), os.path.join(c.rootfs, "bin", "syscall_counts"))
        self.assertEqual(c.run().returncode, 0)
        client = self.d.python_client()
        deadline = time.time() + 10
        while True:
            got = client.query("SELECT container_id, syscall, arch, count FROM syscall_usage "
                               "WHERE container_id LIKE '%s%%' AND syscall = 'getpriority'" % prefix)
            if got or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(got, [{"container_id": c.id, "syscall": "getpriority", "arch": "x86_64", "count": 321}])
        # Attached readers cannot change it: PROCSQL_SYSCALLS there is an
        # error on syscall_usage (not silently ignored); non-root cannot either.
        from daemon_harness import ClientError
        reader = self.d.python_client(env={"PROCSQL_SYSCALLS": "all"})
        with self.assertRaises(ClientError) as e:
            reader.query("SELECT count(*) FROM syscall_usage")
        self.assertIn("PROCSQL_SYSCALLS is set, but this process reads procsqld's stores", str(e.exception))
        self.assertEqual(reader.query("SELECT count(*) AS n FROM container_map WHERE container_id = ?", (c.id,)),
                         [{"n": 1}])
        r = self.record("start", "all", user="nobody")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("only root may change what is recorded", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        r = self.record("stop", prefix)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("recording nothing", r.stdout)
        self.d.run.wait_line(r"^procsqld: syscall_usage records: nothing$", timeout=10)
        r = self.record("stop", prefix)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("is not being recorded", r.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main()
