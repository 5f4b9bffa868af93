"""The example hosts of examples/ (issue 14), built against an installed
procsql and run against a real procsqld:

  * procsql is installed from the build dir into a temporary prefix
    (`cmake --install BUILD --prefix STAGE`) and every example is built
    against that prefix only: the C agent with pkg-config (once against
    Debian's shared libsqlite3, once against its static libsqlite3.a,
    registering through sqlite3_auto_extension), the C++ agent with CMake's
    find_package(procsql), the Go agent offline from Debian's Go packages
    (GOPATH mode, the cgo driver's libsqlite3 tag); the Python agent loads
    procsql by name from STAGE's library directory (LD_LIBRARY_PATH);
  * each agent runs as a job (a jobs database and a job of its own): twice
    in a row in one process (--runs 2), then once more in a new process, with
    a marked exec (a copy of true in a temporary directory, a unique marker in
    its argv) before the first run, during the first process and before the
    second: every marked exec is printed exactly once across the runs, with
    the binary's full path, the columns in order and each value's JSON type;
    the job's position is in the jobs database (procsql_jobs, 3 commits).

Builds need gcc, g++, cmake, pkg-config, libsqlite3-dev (libsqlite3.a),
golang-go and golang-github-mattn-go-sqlite3-dev (scripts/deps.sh).
The normal pass only (label not_sanitized): an ASan-built library would need
the sanitizer runtimes linked into every example.
"""

import json
import os
import queue
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import unittest

from daemon_harness import Daemon, client_environment
from procsql_test import BUILD_DIR, SOURCE_DIR, TRUE, ProcsqlTestCase, marker, require_tool, unavailable

EXAMPLES = os.path.join(SOURCE_DIR, "examples")
LIBSQLITE3_A = "/usr/lib/x86_64-linux-gnu/libsqlite3.a"
GO_SQLITE3 = "/usr/share/gocode/src/github.com/mattn/go-sqlite3"
PYTHON3 = "/usr/bin/python3"
TIMEOUT = 120

# The columns each agent prints, in this order, with values of known types:
# a marked row's store_id, eid and the exec's path, filename, cmdline and argv;
# then constants for the JSON writer of each host: NULL, a real, a string
# needing escapes, text that is not UTF-8 (\udcXX, as `argv` writes it), a blob.
COLUMNS = ["store_id", "eid", "path", "filename", "cmdline", "argv",
           "missing", "ratio", "tricky", "raw", "bytes"]
TRICKY = 'q"\\/\n\t\x01<&>\u00e9\U0001f600'
SQL = ("SELECT w.store_id, p.eid, p.path, p.filename, p.cmdline, p.argv,"
       " NULL AS missing, 1.5 AS ratio,"
       " 'q\"\\/' || char(10, 9, 1) || '<&>' || char(233, 128512) AS tricky,"
       " CAST(x'ff41' AS TEXT) AS raw, x'00ff41' AS bytes"
       "  FROM procsql_window(@job, 'process_events') AS w"
       "  JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi"
       # The marker split in two: the agent's own command line (which holds
       # this SQL) does not match.
       " WHERE p.argv LIKE '%%' || '%s' || '%s' || '%%'"
       " ORDER BY p.eid")


def run(tc, args, env=None, cwd=None):
    """Runs a build step; fails the test with its output if it fails."""
    p = subprocess.run(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        tc.fail("%s exited %d\nstdout:\n%s\nstderr:\n%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout


def install_libdir():
    """The build's CMAKE_INSTALL_LIBDIR: lib/x86_64-linux-gnu with the prefix
    /usr that scripts/build.sh configures (GNUInstallDirs' multiarch dir)."""
    with open(os.path.join(BUILD_DIR, "CMakeCache.txt"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("CMAKE_INSTALL_LIBDIR:"):
                return line.split("=", 1)[1].strip()
    return "lib"


def build_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
    env.update(extra)
    return env


class ExamplesTest(ProcsqlTestCase):
    stage = None  # the install prefix, made by the first test and shared
    installed = False

    @classmethod
    def tearDownClass(cls):
        if cls.stage:
            shutil.rmtree(os.path.dirname(cls.stage), True)
            ExamplesTest.stage = None

    def setUp(self):
        super().setUp()
        require_tool(self, "cmake")
        if ExamplesTest.stage is None:
            ExamplesTest.stage = os.path.join(self.tmpdir_kept(), "stage")
            ExamplesTest.installed = False
        if not ExamplesTest.installed:
            run(self, ["cmake", "--install", BUILD_DIR, "--prefix", self.stage], env=build_env())
            ExamplesTest.installed = True
        self.libdir = os.path.join(self.stage, install_libdir())
        for name in ("libprocsql.so.1", "procsql.so", "pkgconfig/procsql.pc", "cmake/procsql/procsqlConfig.cmake"):
            self.assertTrue(os.path.exists(os.path.join(self.libdir, name)), name + " not installed")
        self.work = self.tmpdir()

    def tmpdir_kept(self):
        """A temporary directory that outlives the test (tearDownClass removes it)."""
        return os.path.realpath(tempfile.mkdtemp(prefix="procsql-examples-"))

    # ------------------------------------------------------------ building

    def pkg_config(self, *args):
        env = build_env(PKG_CONFIG_PATH=os.path.join(self.libdir, "pkgconfig"))
        return run(self, ["pkg-config"] + list(args), env=env).split()

    def build_c(self, static_sqlite):
        cc = require_tool(self, "gcc")
        require_tool(self, "pkg-config")
        out = os.path.join(self.work, "agent-static" if static_sqlite else "agent-shared")
        src = os.path.join(EXAMPLES, "c", "agent.c")
        flags = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"]
        if not static_sqlite:
            args = [cc] + flags + [src, "-o", out] + self.pkg_config("--cflags", "--libs", "procsql", "sqlite3") + ["-lm"]
        else:
            if not os.path.exists(LIBSQLITE3_A):
                unavailable(self, LIBSQLITE3_A + " missing (libsqlite3-dev)")
            # SQLite linked statically; what libsqlite3.a itself needs after it.
            sqlite_deps = [f for f in self.pkg_config("--static", "--libs", "sqlite3") if f != "-lsqlite3"]
            args = ([cc] + flags + ["-DAGENT_STATIC_SQLITE", src, "-o", out]
                    + self.pkg_config("--cflags", "procsql")
                    + ["-L" + self.libdir, "-lprocsql", "-Wl,-Bstatic", "-lsqlite3", "-Wl,-Bdynamic"]
                    + sqlite_deps + ["-lm"])
        run(self, args, env=build_env())
        return [out]

    def build_cpp(self):
        require_tool(self, "g++")
        build = os.path.join(self.work, "cpp-build")
        run(self, ["cmake", "-S", os.path.join(EXAMPLES, "cpp"), "-B", build, "-DCMAKE_PREFIX_PATH=" + self.stage,
                   "-DCMAKE_BUILD_TYPE=Release"], env=build_env())
        run(self, ["cmake", "--build", build], env=build_env())
        return [os.path.join(build, "agent")]

    def build_go(self):
        go = require_tool(self, "go")
        if not os.path.isdir(GO_SQLITE3):
            unavailable(self, GO_SQLITE3 + " missing (golang-github-mattn-go-sqlite3-dev)")
        out = os.path.join(self.work, "agent-go")
        gopath = os.path.join(self.work, "gopath")
        # Offline, from Debian's packages only: GOPATH mode with Debian's
        # source tree, no module proxy, the driver against the system SQLite.
        env = build_env(GO111MODULE="off", GOPATH=gopath + ":/usr/share/gocode", GOPROXY="off", GOFLAGS="",
                        GOENV="off", GOCACHE=os.path.join(self.work, "gocache"), CGO_ENABLED="1",
                        HOME=self.work)
        run(self, [go, "build", "-tags", "libsqlite3", "-o", out, "."], env=env, cwd=os.path.join(EXAMPLES, "go"))
        return [out]

    # ------------------------------------------------------------- running

    def check_agent(self, name, argv, library_path=True):
        """Runs the agent three times as one job (see the module's doc) and
        checks every line it printed."""
        d = Daemon(self)
        d.start()
        bindir = os.path.join(self.work, "bin")
        os.makedirs(bindir)
        marked = os.path.join(bindir, "marked-true")
        shutil.copy(TRUE, marked)
        m = marker()
        db = os.path.join(self.work, "jobs.db")
        job = "example_" + name
        env = client_environment(d.attach_env())
        if library_path:
            env["LD_LIBRARY_PATH"] = self.libdir
        args = argv + ["--db", db, "--job", job, "--sql", SQL % (m[:5], m[5:])]

        def marked_exec(i):
            token = "%s-%d" % (m, i)
            subprocess.run([marked, token], check=True)
            return token

        tokens = [marked_exec(1)]
        # Process 1, two runs. Once it printed the first marked exec (the
        # first run's window is open), a second one: the second run's window
        # (or, on a machine too slow for the interval, the next process's).
        p = subprocess.Popen(args + ["--runs", "2", "--interval", "1"], env=env, cwd=self.work,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lines = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(l) for l in p.stdout] + [lines.put(None)], daemon=True)
        reader.start()
        first = []
        try:
            line = lines.get(timeout=TIMEOUT)
        except queue.Empty:
            p.kill()
            line = None
        if line is not None:
            first.append(line)
        tokens.append(marked_exec(2))
        try:
            p.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        reader.join(TIMEOUT)
        while True:
            line = lines.get_nowait() if not lines.empty() else None
            if line is None:
                break
            first.append(line)
        err1 = p.stderr.read().decode("utf-8", "replace")
        p.stdout.close()
        p.stderr.close()
        self.assertEqual((p.returncode, err1), (0, ""), "%s, first process; stdout:\n%s" % (name, first))
        self.assertTrue(first, "%s printed nothing in its first run; stderr:\n%s" % (name, err1))

        # Process 2, one run: only what is new since process 1's last commit.
        tokens.append(marked_exec(3))
        p2 = subprocess.run(args + ["--runs", "1"], env=env, cwd=self.work, stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=TIMEOUT)
        self.assertEqual((p2.returncode, p2.stderr.decode("utf-8", "replace")), (0, ""), name + ", second process")
        second = p2.stdout.splitlines(keepends=True)

        rows = []
        for raw in first + second:
            self.assertTrue(raw.endswith(b"\n"), raw)
            row = json.loads(raw.decode("utf-8"))  # one JSON object per line, valid UTF-8
            self.assertEqual(list(row), COLUMNS, raw)
            rows.append(row)
        seen = [json.loads(r["argv"])[-1] for r in rows]
        self.assertEqual(sorted(seen), tokens, "every marked exec exactly once across the runs")
        self.assertEqual(seen[0], tokens[0], "the marked exec before process 1 is its first row")
        self.assertEqual(seen[-1], tokens[2], "the marked exec before process 2 is its only new row")
        for r in rows:
            token = json.loads(r["argv"])[-1]
            self.assertEqual(r["path"], marked, "the binary's full path")  # its realpath: self.work is one
            self.assertEqual(r["filename"], marked)
            self.assertEqual(r["cmdline"], marked + " " + token)
            self.assertEqual(json.loads(r["argv"]), [marked, token])
            self.assertEqual(r["store_id"], d.run.store_id)
            self.assertIs(type(r["eid"]), int)
            self.assertIsNone(r["missing"])
            self.assertEqual(r["ratio"], 1.5)
            self.assertEqual(r["tricky"], TRICKY)
            self.assertEqual(r["raw"], "\udcffA")
            self.assertEqual(r["bytes"], "\x00\udcffA")
        eids = [r["eid"] for r in rows]
        self.assertEqual(eids, sorted(set(eids)))

        # The positions are in the jobs database: 3 commits, past every row printed.
        with sqlite3.connect(db) as c:
            job_rows = c.execute("SELECT table_name, store_id, position, commits FROM procsql_jobs WHERE job = ?",
                                 (job,)).fetchall()
        self.assertEqual(len(job_rows), 1, job_rows)
        table, store_id, position, commits = job_rows[0]
        self.assertEqual((table, store_id, commits), ("process_events", d.run.store_id, 3))
        self.assertGreaterEqual(position, eids[-1])
        return rows

    # --------------------------------------------------------------- tests

    def test_c_shared_sqlite(self):
        argv = self.build_c(static_sqlite=False)
        # Debian's libsqlite3.so: the agent calls it, procsql_register() binds to it.
        dyn = run(self, ["readelf", "-d", argv[0]])
        self.assertIn("[libsqlite3.so.0]", dyn)
        self.assertIn("[libprocsql.so.1]", dyn)
        self.assertRegex(run(self, ["nm", argv[0]]), r"(?m)^\s+U sqlite3_open_v2$")
        self.check_agent("c_shared", argv)

    def test_c_static_sqlite(self):
        argv = self.build_c(static_sqlite=True)
        # The SQLite the agent calls is the copy linked into it: defined in
        # the executable, and the executable does not need libsqlite3.so.0
        # (libprocsql.so.1 does; the executable's copy interposes it).
        symbols = run(self, ["nm", argv[0]])
        for fn in ("sqlite3_auto_extension", "sqlite3_open_v2", "sqlite3_prepare_v2", "sqlite3_step",
                   "sqlite3_column_text", "sqlite3_close"):
            self.assertRegex(symbols, r"(?m)^[0-9a-f]+ T %s$" % fn)
        self.assertRegex(symbols, r"(?m)^\s+U sqlite3_procsql_init@PROCSQL_1$")
        dyn = run(self, ["readelf", "-d", argv[0]])
        self.assertNotIn("libsqlite3", dyn)
        self.assertIn("[libprocsql.so.1]", dyn)
        self.check_agent("c_static", argv)

    def test_cpp_find_package(self):
        argv = self.build_cpp()
        # find_package's imported target gives the installed library's path:
        # the agent runs with no LD_LIBRARY_PATH (CMake's build RUNPATH).
        self.check_agent("cpp", argv, library_path=False)

    def test_python_load_by_name(self):
        self.check_agent("python", [PYTHON3, os.path.join(EXAMPLES, "python", "agent.py")])

    def test_go_cgo_driver(self):
        argv = self.build_go()
        dyn = run(self, ["readelf", "-d", argv[0]])
        self.assertIn("[libsqlite3.so.0]", dyn)  # the system SQLite, not the driver's bundled one
        self.check_agent("go", argv)


if __name__ == "__main__":
    unittest.main()
