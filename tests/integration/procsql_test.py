"""Shared harness for procsql's integration tests.

Everything here drives real things: the real kernel, the stock
/usr/bin/sqlite3 shell (fed a script file, results read back as JSON) and
Debian's python3 sqlite3 module. Nothing is mocked.

Rules the tests follow (from the project brief):
  * other processes exec on this machine all the time, so a test finds its
    own events by a unique marker token (see `marker()`) or by its own pids,
    never by counting everything;
  * a test that needs root/BPF and cannot run FAILS when CI=true and is
    skipped otherwise (`require_extension()`, `require_root()`);
  * no timed assertions: speed is measured in bench/ only.

Environment (set by tests/CMakeLists.txt when run through ctest):
  PROCSQL_BUILD_DIR   build directory holding procsql.so and tests/progs/
  PROCSQL_SOURCE_DIR  repository root (the shell runs there, so
                      `.load build/procsql` works as in the README)
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

SOURCE_DIR = os.path.abspath(
    os.environ.get("PROCSQL_SOURCE_DIR")
    or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD_DIR = os.path.abspath(
    os.environ.get("PROCSQL_BUILD_DIR") or os.path.join(SOURCE_DIR, "build"))
# What `.load` / load_extension() take: the path without ".so".
EXTENSION = os.path.join(BUILD_DIR, "procsql")
EXTENSION_SO = EXTENSION + ".so"
PROGS_DIR = os.path.join(BUILD_DIR, "tests", "progs")
SQLITE3 = "/usr/bin/sqlite3"
BPFTOOL = shutil.which("bpftool", path="/usr/sbin:/usr/bin:/sbin:/bin") or "/usr/sbin/bpftool"
IN_CI = os.environ.get("CI") == "true"
# The backend the tests drive. ctest runs the shared test list twice: once on
# eBPF, once with PROCSQL_TEST_BACKEND=audit (tests/CMakeLists.txt).
BACKEND = os.environ.get("PROCSQL_TEST_BACKEND", "bpf")
AUDIT = BACKEND == "audit"

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def _audit_unknown_columns():
    """{table: {column}} that the README's generated table of what each
    backend cannot know (tables/unknown_columns.cpp) lists for audit."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    begin = text.index("<!-- BEGIN GENERATED UNKNOWN COLUMNS")
    end = text.index("<!-- END GENERATED UNKNOWN COLUMNS -->")
    out = {}
    for line in text[begin:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]  # table, column, eBPF, audit
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        if cells[3] != "always known":
            out.setdefault(cells[0].strip("`"), set()).add(cells[1].strip("`"))
    if not out:
        raise RuntimeError("README.md: no unknown-columns table for audit")
    return out


# Columns the audit backend may leave NULL: exactly those the README lists for
# audit (with the reason). A shared test accepts NULL for one of these only on
# audit, and checks the value whenever there is one. The eBPF run accepts no
# such NULL: what makes eBPF's NULLs (kernel threads, a kernel without syscall
# tracepoints) does not arise in these tests.
AUDIT_MAY_BE_NULL = _audit_unknown_columns()


def may_be_null(table, column):
    """True when `column` of `table` may be NULL on the backend under test."""
    return AUDIT and column in AUDIT_MAY_BE_NULL.get(table, set())


class _AllowedNull:
    """A NULL the backend under test may give (may_be_null): it passes any
    comparison, so `assertEqual(nullable(row, T, C), want)` (or
    assertNotEqual) checks the value whenever there is one."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return True

    __hash__ = None

    def __repr__(self):
        return "NULL (allowed on %s)" % BACKEND


ALLOWED_NULL = _AllowedNull()


def nullable(row, table, column):
    """row[column], or ALLOWED_NULL when it is NULL and may be (may_be_null)."""
    value = row[column]
    if value is None and may_be_null(table, column):
        return ALLOWED_NULL
    return value

# The columns of process_events, in order (issue 2, and container_id from issue 5).
PROCESS_EVENTS_COLUMNS = [
    "eid", "time", "time_ns", "pid", "tid", "parent", "start_time",
    "parent_path", "comm", "path", "filename", "cmdline", "argv", "argc",
    "cmdline_truncated", "path_truncated", "cwd", "mode", "owner_uid",
    "owner_gid", "inode", "uid", "euid", "gid", "egid", "auid", "session",
    "tty", "cgroup_id", "mnt_ns", "pid_ns", "ns_pid", "syscall", "container_id",
    # issue 15
    "env", "env_truncated", "cap_effective", "cap_permitted", "cap_ambient", "cap_bounding",
    "no_new_privs", "seccomp", "exe_fs", "exe_upper_layer",
]

TRUE = os.path.realpath("/usr/bin/true")
DASH = os.path.realpath("/bin/sh")


# --------------------------------------------------------------------------
# Preconditions: skip locally, fail in CI.

def unavailable(tc, why):
    """A precondition is missing: fail under CI=true, skip otherwise."""
    if IN_CI:
        tc.fail("cannot run (CI=true, so this is a failure, not a skip): " + why)
    raise unittest.SkipTest(why)


def unavailable_cls(why):
    """The same for a whole class, from setUpClass (which has no test case to
    fail): an error under CI=true, a skip otherwise."""
    if IN_CI:
        raise AssertionError("cannot run (CI=true, so this is a failure, not a skip): " + why)
    raise unittest.SkipTest(why)


def require_root(tc):
    if os.geteuid() != 0:
        unavailable(tc, "needs root (BPF)")
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        unavailable(tc, "kernel has no BTF (/sys/kernel/btf/vmlinux)")


def require_extension(tc):
    require_root(tc)
    if not os.path.exists(SQLITE3):
        unavailable(tc, SQLITE3 + " not installed")
    if not os.path.exists(EXTENSION_SO):
        unavailable(tc, EXTENSION_SO + " not built")


def require_prog(tc, name):
    """Path of a helper built from tests/progs/<name>.c."""
    path = os.path.join(PROGS_DIR, name)
    if not os.access(path, os.X_OK):
        unavailable(tc, "helper program not built: " + path)
    return path


def require_tool(tc, name):
    path = shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if not path:
        unavailable(tc, name + " not installed")
    return path


class ProcsqlTestCase(unittest.TestCase):
    """Base class: needs root, the built extension and the sqlite3 shell."""

    def setUp(self):
        require_extension(self)

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="procsql-test-")
        self.addCleanup(shutil.rmtree, d, True)
        return os.path.realpath(d)

    def prog(self, name):
        return require_prog(self, name)


# --------------------------------------------------------------------------
# Markers and small helpers.

def marker():
    """A unique token to put in argv; alphanumeric so LIKE needs no escaping."""
    return "pqm" + uuid.uuid4().hex


EXEC_SYSCALLS = {"59", "322"}  # execve, execveat (x86_64)


def wait_exec_done(tc, pid, path, timeout_s=60.0):
    """Waits until process pid runs `path` with its new arguments in place
    and its exec call has returned. The kernel switches /proc/PID/exe before
    it places argv, so a snapshot taken in between reads an empty cmdline;
    and audit reports an exec when the call returns, so a query made before
    that may not see it. The call has returned once /proc/PID/syscall shows
    the process blocked in another call (a sleep's clock_nanosleep)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                args = f.read()
            with open("/proc/%d/syscall" % pid) as f:
                call = f.read().split(" ", 1)[0].strip()
            if (os.path.realpath("/proc/%d/exe" % pid) == path and args and call.isdigit()
                    and call not in EXEC_SYSCALLS):
                return
        except OSError:
            pass
        tc.assertLess(time.monotonic(), deadline, "pid %d never exec'd %s" % (pid, path))
        time.sleep(0.001)


def sql_str(s):
    """Quote a Python str as an SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def argv_bytes(argv_json):
    """Decode the `argv` column (JSON array, invalid bytes as \\udcXX) to bytes."""
    return [a.encode("utf-8", "surrogateescape") for a in json.loads(argv_json)]


def write_file(path, data, mode=None):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    return path


def strip_shell_error_prefix(line):
    """Return what the extension itself said. The sqlite3 shell prefixes
    errors with 'Error: ' (SQL errors also with 'near line N: '), and
    sqlite3_load_extension() wraps a failing entry point's message in
    'error during initialization: ' (SQLite's loadext.c; no extension can
    avoid that)."""
    line = re.sub(r"^(Parse error|Runtime error|Error)( near line \d+)?: ", "", line)
    return re.sub(r"^error during initialization: ", "", line)


# --------------------------------------------------------------------------
# Driving the real sqlite3 shell.

class ShellResult:
    def __init__(self, returncode, stdout, stderr, output, t_start_ns, t_end_ns,
                 pid, script):
        self.returncode = returncode
        self.stdout = stdout  # what .shell children printed (bytes)
        self.stderr = stderr  # str
        self.output = output  # str: the shell's own output (.output file)
        self.t_start_ns = t_start_ns  # wall clock just before the shell started
        self.t_end_ns = t_end_ns  # wall clock just after it exited
        self.pid = pid  # pid of the sqlite3 process
        self.script = script

    def _section(self, key):
        m = re.search(r"^@@procsql:B:%d@@\n(.*?)^@@procsql:E:%d@@$" % (key, key),
                      self.output, re.S | re.M)
        if not m:
            raise AssertionError(
                "no output for query #%d (did the script stop early?)\n"
                "rc=%s\nstderr:\n%s\noutput:\n%s" % (key, self.returncode,
                                                    self.stderr, self.output))
        return m.group(1)

    def rows(self, key):
        """The rows of query `key` as a list of dicts (JSON mode)."""
        text = self._section(key).strip()
        return json.loads(text) if text else []

    def text(self, key):
        """The raw text the shell printed for query `key` (e.g. EQP trees)."""
        return self._section(key)

    def stderr_lines(self):
        return [l for l in self.stderr.splitlines() if l.strip()]


class Script:
    """Builds a sqlite3 shell script; `run()` executes it in /usr/bin/sqlite3.

        s = Script()
        s.load()
        s.shell("cd /bin && ./ls -d --hide=%s /" % m)
        q = s.query("SELECT * FROM process_events WHERE argv LIKE '%...%'")
        r = s.run()
        r.rows(q)

    Query results are written by the shell (`.output FILE`, `.mode json`)
    between `.print` markers, so whatever the `.shell` commands print on
    stdout cannot get mixed into them.
    """

    def __init__(self):
        self.lines = []
        self._n = 0
        self._dir = None

    def _workdir(self):
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="procsql-script-")
        return self._dir

    def raw(self, line):
        self.lines.append(line)
        return self

    def load(self, path=None):
        """`.load` the extension (by default by the path relative to the
        repository root, as the README does, when the build dir is there)."""
        if path is None:
            rel = os.path.relpath(EXTENSION, SOURCE_DIR)
            path = EXTENSION if rel.startswith("..") else rel
        self.lines.append(".load " + path)
        return self

    def shell(self, command):
        """`.shell COMMAND`. The shell re-joins the words of the line (adding
        double quotes around words with spaces), so keep COMMAND to words
        and operators; use `sh()` for anything that needs quoting."""
        if "\n" in command:
            raise ValueError("one line only; use sh()")
        self.lines.append(".shell " + command)
        return self

    def sh(self, script_text):
        """Run SCRIPT_TEXT with /bin/sh (written to a file, no quoting issues)."""
        self._n += 1
        path = os.path.join(self._workdir(), "cmd%d.sh" % self._n)
        write_file(path, script_text, 0o755)
        self.lines.append(".shell /bin/sh " + path)
        return path

    def query(self, sql):
        self._n += 1
        key = self._n
        sql = sql.strip()
        if not sql.endswith(";"):
            sql += ";"
        self.lines += [".print @@procsql:B:%d@@" % key, sql,
                       ".print @@procsql:E:%d@@" % key]
        return key

    def run(self, env=None, check=True, bail=True, timeout=300, prefix=(),
            cwd=None):
        """Run the script. `env` adds/overrides variables; every other
        PROCSQL_* variable is removed so the extension sees its defaults
        (but PROCSQL_BACKEND, the backend under test, and PROCSQL_MODE=embedded).
        `prefix` wraps the shell (e.g. setpriv ...). With check=True a
        non-zero exit raises AssertionError."""
        work = self._workdir()
        out_path = os.path.join(work, "output.txt")
        script_path = os.path.join(work, "script.sql")
        text = "\n".join([".output " + out_path, ".mode json"] + self.lines) + "\n"
        write_file(script_path, text.encode("utf-8", "surrogateescape"))
        if prefix:  # e.g. running as another user: it must write its output
            os.chmod(work, 0o777)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
        full_env["PROCSQL_BACKEND"] = BACKEND
        # A collector of its own, even when a procsqld runs on this machine
        # (the daemon's tests set PROCSQL_MODE and PROCSQL_STATE_DIR).
        full_env["PROCSQL_MODE"] = "embedded"
        full_env.update(env or {})
        args = list(prefix) + [SQLITE3, "-batch", "-init", "/dev/null"]
        if bail:
            args.append("-bail")
        args += [":memory:", ".read " + script_path]
        t0 = time.time_ns()
        p = subprocess.Popen(args, cwd=cwd or SOURCE_DIR, env=full_env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise AssertionError("sqlite3 timed out after %ss; stderr:\n%s"
                                 % (timeout, err.decode("utf-8", "replace")))
        t1 = time.time_ns()
        try:
            with open(out_path, "rb") as f:
                output = f.read().decode("utf-8", "surrogateescape")
        except FileNotFoundError:
            output = ""
        shutil.rmtree(work, True)
        self._dir = None
        r = ShellResult(p.returncode, out, err.decode("utf-8", "surrogateescape"),
                        output, t0, t1, p.pid, text)
        if check and p.returncode != 0:
            raise AssertionError("sqlite3 exited %d\nstderr:\n%s\nscript:\n%s"
                                 % (p.returncode, r.stderr, text))
        return r


def events_with_marker(script, m, extra_where=""):
    """Add a query for every process_events row whose argv holds marker m."""
    where = "argv LIKE %s" % sql_str("%" + m + "%")
    if extra_where:
        where += " AND (" + extra_where + ")"
    return script.query("SELECT * FROM process_events WHERE %s ORDER BY eid" % where)


def stats_query(script):
    return script.query("SELECT name, value FROM procsql_stats")


def stats_dict(rows):
    return {r["name"]: r["value"] for r in rows}


# --------------------------------------------------------------------------
# BPF programs on the machine.

def procsql_prog_ids():
    """Ids of loaded BPF programs whose name starts with procsql_."""
    p = subprocess.run([BPFTOOL, "-j", "prog", "show"], capture_output=True, check=True)
    progs = json.loads(p.stdout or b"[]")
    return {prog["id"] for prog in progs if str(prog.get("name", "")).startswith("procsql_")}


def wait_progs_gone(ids, timeout_s=30.0):
    """Wait until none of the program ids is loaded; return those still
    loaded after timeout_s. The kernel frees a detached tp_btf program only
    after an RCU grace period, so `bpftool prog show` may list it for a
    moment after its last descriptor is closed: this is a bounded wait for
    that, not a speed assertion."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = procsql_prog_ids() & set(ids)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def bpf_objects_of(pid="self"):
    """BPF objects a process holds: descriptors and mappings of
    anon_inode:bpf-prog / bpf_link / bpf-map. Releasing them is synchronous."""
    held = []
    fd_dir = "/proc/%s/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("anon_inode:bpf"):
            held.append("fd %s -> %s" % (fd, target))
    with open("/proc/%s/maps" % pid) as f:
        held += ["mapping " + l.strip() for l in f if "anon_inode:bpf" in l]
    return held


def own_bpf_objects():
    return bpf_objects_of("self")


def prog_ids_of(pid="self"):
    """Ids of the BPF programs a process holds (from the fdinfo of its
    bpf-prog and bpf_link descriptors): exact even while other processes on
    the machine load and unload procsql_ programs."""
    ids = set()
    fd_dir = "/proc/%s/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
            if target not in ("anon_inode:bpf-prog", "anon_inode:bpf_link"):
                continue
            with open("/proc/%s/fdinfo/%s" % (pid, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            continue
    return ids


def own_prog_ids():
    return prog_ids_of("self")


# --------------------------------------------------------------------------
# The audit backend's traces on the machine (what eBPF's programs are there).

AUDITCTL = "/usr/sbin/auditctl"
NETLINK_AUDIT, NETLINK_CONNECTOR = 9, 11


def netlink_sockets_of(pid="self"):
    """Netlink sockets of the audit backend a process holds: NETLINK_AUDIT
    (the control socket, the record reader) and NETLINK_CONNECTOR (process
    events), from /proc/net/netlink matched by inode with /proc/PID/fd.
    Closing them is synchronous."""
    protocol_of = {}
    with open("/proc/net/netlink") as f:
        next(f)
        for line in f:
            fields = line.split()
            if len(fields) >= 10 and int(fields[1]) in (NETLINK_AUDIT, NETLINK_CONNECTOR):
                protocol_of[fields[9]] = int(fields[1])
    held = []
    fd_dir = "/proc/%s/fd" % pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", target)
        if m and m.group(1) in protocol_of:
            held.append("fd %s -> netlink protocol %d" % (fd, protocol_of[m.group(1)]))
    return held


def own_audit_sockets():
    return netlink_sockets_of("self")


def audit_rules_with_key(key):
    """The audit rules (`auditctl -l` lines) that carry this key."""
    out = run_cmd([AUDITCTL, "-l"]).stdout.decode()
    return {l for l in out.splitlines() if l.endswith(" key=" + key)}


def audit_daemon_pid():
    """The pid registered as the audit daemon (0: none)."""
    out = run_cmd([AUDITCTL, "-s"]).stdout.decode()
    return int(re.search(r"^pid (\d+)$", out, re.M).group(1))


# --------------------------------------------------------------------------
# Python's sqlite3 module (Debian's /usr/bin/python3).

def use_default_config(tc):
    """The extension reads PROCSQL_* when its collector starts: remove them
    from this process's environment for the test, so it runs on the defaults."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("PROCSQL_")}
    for k in saved:
        del os.environ[k]
    os.environ["PROCSQL_BACKEND"] = BACKEND
    os.environ["PROCSQL_MODE"] = "embedded"  # not a procsqld that may run here

    def restore():
        os.environ.pop("PROCSQL_BACKEND", None)
        os.environ.pop("PROCSQL_MODE", None)
        os.environ.update(saved)
    tc.addCleanup(restore)


def python_connect_and_load(path=EXTENSION):
    import sqlite3
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(path)
    conn.enable_load_extension(False)
    return conn


def run_cmd(args, **kw):
    """Run a helper command; raise with its output if it fails."""
    p = subprocess.run(args, capture_output=True, **kw)
    if p.returncode != 0:
        raise AssertionError("%r exited %d: %s" % (args, p.returncode, p.stderr))
    return p
