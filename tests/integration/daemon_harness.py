"""procsqld for the integration tests: a real daemon in a state directory of
the test's own, and real clients attached to it.

    d = Daemon(self)                 # a fresh state dir under /tmp (0755 parents)
    run = d.start()                  # waits for "procsqld: ready: ..." (60 s)
    run.store_id, run.pid
    s = Script(); s.load(); q = s.query(...)
    r = s.run(env=d.attach_env())    # PROCSQL_STATE_DIR + PROCSQL_MODE=attach
    c = d.python_client()            # /usr/bin/python3 in a process of its own
    c.query("SELECT ...")            # rows as dicts; raises ClientError
    d.stop()                         # SIGTERM: exit 0, "stopping on", "stopped"
    d.kill()                         # SIGKILL
    d.start()                        # again, on the same directory

Every daemon a test starts is stopped by the test's cleanup (SIGTERM, then
SIGKILL if it does not stop), so no procsqld outlives its test. The daemon
runs the backend under test (PROCSQL_TEST_BACKEND -> PROCSQL_BACKEND), and
every other PROCSQL_* variable of the test's environment is removed from
its environment, as Script.run() does for the shell.
"""

import json
import os
import queue
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time

from procsql_test import (BACKEND, BUILD_DIR, EXTENSION, bpf_objects_of, netlink_sockets_of, prog_ids_of, unavailable)

PROCSQLD = os.path.join(BUILD_DIR, "procsqld")
PYTHON3 = "/usr/bin/python3"
VERSION_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "extension", "version.h")

READY_RE = re.compile(r"^procsqld: ready: backend=(\S+) store_id=([0-9a-f]{32}) state_dir=(.+) version=(\S+)$")
GAP_RE = re.compile(r"^procsqld: gap: the previous procsqld (stopped|was killed or crashed); events from "
                    r"(\S+) to (\S+) \((\d+) ms\) were not collected$")
ASIDE_RE = re.compile(r"^procsqld: set the stores of store id (\S+) aside in (\S+): (.*); new store id "
                      r"([0-9a-f]{32}), eids start at 1$")
DISCARDED_RE = re.compile(r"^procsqld: discarded (\d+) half-written row\(s\)")

LOCK_FILE = "procsqld.lock"
CONTROL_FILE = "procsqld.state"
EVENT_TABLES = ("process_events", "clone_events", "process_exits", "exec_failures")
SNAPSHOT_TABLES = ("processes", "container_map", "procsql_stats", "syscall_usage")
STORE_FILES = [t + ".store" for t in EVENT_TABLES + SNAPSHOT_TABLES]
DATA_FILES = [CONTROL_FILE] + STORE_FILES  # what procsqld writes (the lock file is empty)
RECORD_DIR = "record"  # `procsql record`'s control directory: root's only, whatever the group

# extension/store/store_header.h: StoreHeader (x86-64, every field 8 bytes or
# a char array, so no padding before header_sum).
HDR_MAGIC = 0
HDR_FORMAT_VERSION = 8
HDR_HEADER_BYTES = 16
HDR_KIND = 24
HDR_REGION_BYTES = 32
HDR_SCHEMA_HASH = 40
HDR_BODY_OFFSET = 48
HDR_BODY_BYTES = 56
HDR_PARAMS = 64  # 6 x u64: capacity, arena, index blocks, index offset, ring offset, ring bytes
HDR_CREATED_NS = 112
HDR_TABLE = 120  # char[32]
HDR_STORE_ID = 152  # char[40]
HDR_VERSION = 192  # char[32]
HDR_SUM = 224
HEADER_BYTES = 4096
STORE_MAGIC = 0x524f54534c515350

# extension/store/control_block.h: ControlBlock, at HEADER_BYTES in procsqld.state.
CB_STATE = 160  # WriterState: 0 none, 1 running, 2 stopped
CB_DAEMON_VERSION = 272  # char[32], after backend char[16] at 256
WRITER_RUNNING = 1

# extension/store/ring_layout.h: RingHeader, at params[4] (ring offset) in an events store.
RING_CAPACITY = 32
RING_SLOT_WORDS = 48
RING_NEXT_EID = 64
RING_FIRST_EID = 72
RING_HEADER_BYTES = 256


def procsql_version():
    with open(VERSION_FILE, encoding="utf-8") as f:
        return re.search(r'#define PROCSQL_VERSION "([^"]+)"', f.read()).group(1)


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def header_sum(header):
    """The header checksum store_header.cpp computes: FNV-1a 64 over the
    bytes from format_version up to header_sum."""
    return fnv1a64(header[HDR_FORMAT_VERSION:HDR_SUM])


def read_u64(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return struct.unpack("<Q", f.read(8))[0]


def write_at(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def write_u64(path, offset, value):
    write_at(path, offset, struct.pack("<Q", value))


def rewrite_header(path, offset, value):
    """Stores u64 `value` at `offset` of a store's header and fixes the
    checksum, as a procsql of another version would have written it."""
    with open(path, "r+b") as f:
        header = bytearray(f.read(HEADER_BYTES))
        header[offset:offset + 8] = struct.pack("<Q", value)
        header[HDR_SUM:HDR_SUM + 8] = struct.pack("<Q", header_sum(header))
        f.seek(0)
        f.write(header)


def hold_lock(tc, state_dir):
    """Takes procsqld.lock's write lock (an open file description lock, as
    procsqld does) so that readers see a live daemon; released at cleanup."""
    import fcntl
    fd = os.open(os.path.join(state_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    # struct flock on x86-64: short l_type, l_whence; off_t l_start, l_len;
    # pid_t l_pid (0 for OFD locks); 32 bytes with the tail padding.
    flock = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, flock)
    tc.addCleanup(os.close, fd)
    return fd


def new_state_dir(tc, name="state"):
    """A path under a fresh /tmp directory that every user can traverse
    (the daemon creates the last component itself)."""
    base = tempfile.mkdtemp(prefix="procsqld-test-", dir="/tmp")
    os.chmod(base, 0o755)
    tc.addCleanup(shutil.rmtree, base, True)
    return os.path.join(os.path.realpath(base), name)


def daemon_environment(state_dir, extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
    env["PROCSQL_STATE_DIR"] = state_dir
    env["PROCSQL_BACKEND"] = BACKEND
    env.update(extra or {})
    return env


def client_environment(extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
    env["PROCSQL_BACKEND"] = BACKEND
    env.update(extra)
    return env


def require_procsqld(tc):
    if not os.access(PROCSQLD, os.X_OK):
        unavailable(tc, "procsqld not built: " + PROCSQLD)
    return PROCSQLD


class DaemonRun:
    """One procsqld process; its stderr is read line by line in a thread."""

    def __init__(self, state_dir, env):
        self.state_dir = state_dir
        self.t_spawn_ns = time.time_ns()
        self.proc = subprocess.Popen([PROCSQLD], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.lines = []
        self.cond = threading.Condition()
        self.eof = False
        self.returncode = None
        self.ready = None  # the READY_RE match
        self.t_ready_ns = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def log(self):
        with self.cond:
            return "\n".join(self.lines)

    def wait_line(self, regex, timeout=60.0):
        """The first line matching `regex` (a match object), waiting for it;
        None if the daemon's stderr ended or the timeout passed without one."""
        pattern = re.compile(regex) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    m = pattern.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    return None
                self.cond.wait(left)

    def find_lines(self, regex):
        pattern = re.compile(regex) if isinstance(regex, str) else regex
        with self.cond:
            return [m for m in (pattern.search(l) for l in self.lines) if m]

    def wait_exit(self, timeout=60.0):
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.thread.join(10)
        if not self.thread.is_alive():
            self.proc.stderr.close()
        return self.returncode

    def alive(self):
        return self.proc.poll() is None

    @property
    def store_id(self):
        return self.ready.group(2)

    @property
    def backend(self):
        return self.ready.group(1)

    @property
    def version(self):
        return self.ready.group(4)


class Daemon:
    """procsqld on one state directory, started and stopped as a test says.
    `runs` holds every process started on it, the current one last."""

    def __init__(self, tc, state_dir=None, env=None):
        require_procsqld(tc)
        self.tc = tc
        self.state_dir = state_dir or new_state_dir(tc)
        self.env = dict(env or {})
        self.runs = []
        tc.addCleanup(self._cleanup)

    @property
    def run(self):
        return self.runs[-1] if self.runs else None

    def start(self, env=None, wait=True, timeout=60.0):
        """Starts procsqld (env: variables added to this Daemon's own) and
        waits for its ready line; fails the test with its log if it exits or
        says nothing within `timeout` s."""
        if self.run is not None and self.run.alive():
            self.tc.fail("procsqld (pid %d) still runs on %s" % (self.run.pid, self.state_dir))
        e = dict(self.env)
        e.update(env or {})
        run = DaemonRun(self.state_dir, daemon_environment(self.state_dir, e))
        self.runs.append(run)
        if wait:
            self.wait_ready(run, timeout)
        return run

    def wait_ready(self, run=None, timeout=60.0):
        run = run or self.run
        m = run.wait_line(READY_RE, timeout)
        if m is None:
            rc = run.proc.poll()
            self.tc.fail("procsqld (pid %d) did not become ready within %ss (exit status %s); its log:\n%s"
                         % (run.pid, timeout, rc, run.log()))
        run.ready = m
        run.t_ready_ns = time.time_ns()
        self.tc.assertEqual(m.group(3), self.state_dir, run.log())
        return run

    def stop(self, sig=signal.SIGTERM, timeout=60.0):
        """SIGTERM (or SIGINT): the daemon must say why it stops, say
        "stopped" and exit 0."""
        run = self.run
        run.t_stop_sent_ns = time.time_ns()
        run.proc.send_signal(sig)
        rc = run.wait_exit(timeout)
        if rc is None:
            run.proc.kill()
            run.wait_exit(30)
            self.tc.fail("procsqld (pid %d) did not stop within %ss of %s; its log:\n%s"
                         % (run.pid, timeout, sig.name, run.log()))
        run.t_exited_ns = time.time_ns()
        self.tc.assertEqual(rc, 0, "procsqld exited %s after %s; its log:\n%s" % (rc, sig.name, run.log()))
        lines = run.find_lines(r"^procsqld: (stopping on .*|stopped)$")
        self.tc.assertEqual([m.group(1) for m in lines], ["stopping on " + signal.strsignal(sig), "stopped"],
                            run.log())
        return run

    def kill(self):
        """SIGKILL; waits for the process to be gone."""
        run = self.run
        run.t_stop_sent_ns = time.time_ns()
        run.proc.kill()
        rc = run.wait_exit(60)
        run.t_exited_ns = time.time_ns()
        self.tc.assertEqual(rc, -signal.SIGKILL, run.log())
        return run

    def restart(self, kill=False, env=None):
        self.kill() if kill else self.stop()
        return self.start(env=env)

    def run_to_exit(self, env=None, timeout=60.0):
        """Runs another procsqld on this directory to its end (one expected to
        refuse): (exit status, its stderr lines)."""
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.run([PROCSQLD], env=daemon_environment(self.state_dir, e), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
        return p.returncode, [l for l in p.stderr.decode("utf-8", "replace").splitlines() if l.strip()]

    def attach_env(self, mode="attach", **extra):
        env = {"PROCSQL_STATE_DIR": self.state_dir, "PROCSQL_MODE": mode}
        env.update(extra)
        return env

    def python_client(self, mode="attach", env=None, check=True, **kw):
        e = self.attach_env(mode)
        e.update(env or {})
        return PythonClient(self.tc, e, check=check, **kw)

    def path(self, name):
        return os.path.join(self.state_dir, name)

    def _cleanup(self):
        for run in self.runs:
            if not run.alive():
                continue
            # SIGTERM first: on audit a SIGKILLed daemon leaves its rules.
            run.proc.send_signal(signal.SIGTERM)
            if run.wait_exit(30) is None:
                run.proc.kill()
                run.wait_exit(30)


# --------------------------------------------------------------------------
# Debian's python3 sqlite3 module in a process of its own (so that each
# client has the environment it is given, and a crash shows as its exit
# status). Requests and replies are JSON lines on its stdin and stdout.

CLIENT = r'''
import json, sqlite3, sys
def reply(obj):
    sys.stdout.write(json.dumps(obj, default=repr) + "\n")
    sys.stdout.flush()
try:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.enable_load_extension(True)
    conn.load_extension(sys.argv[1])
    conn.enable_load_extension(False)
except sqlite3.Error as e:
    reply({"error": str(e)})
    sys.exit(1)
reply({"loaded": True})
for line in sys.stdin:
    req = json.loads(line)
    try:
        cur = conn.execute(req["sql"], req.get("args", []))
        cols = [d[0] for d in cur.description or []]
        reply({"rows": [dict(zip(cols, r)) for r in cur.fetchall()]})
    except sqlite3.Error as e:
        reply({"error": str(e)})
'''


class ClientError(Exception):
    pass


class PythonClient:
    """A python3 process holding one sqlite3 connection with procsql loaded.
    With check=True a failed load fails the test; else `load_error` says why."""

    def __init__(self, tc, env, check=True, timeout=120.0, prefix=(), extension=EXTENSION):
        self.tc = tc
        self.timeout = timeout
        self.proc = subprocess.Popen(list(prefix) + [PYTHON3, "-c", CLIENT, extension], env=client_environment(env),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/")
        self.pid = self.proc.pid
        self.replies = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        tc.addCleanup(self.close)
        first = self._reply()
        self.load_error = first.get("error")
        if self.load_error is not None and check:
            rc = self.close()
            tc.fail("python3 could not load procsql (exit %s): %s\nstderr:\n%s"
                    % (rc, self.load_error, self.stderr))

    def _read(self):
        for line in self.proc.stdout:
            self.replies.put(json.loads(line))
        self.replies.put(None)

    def _reply(self):
        try:
            r = self.replies.get(timeout=self.timeout)
        except queue.Empty:
            self.proc.kill()
            raise AssertionError("python3 client (pid %d) gave no answer within %ss" % (self.pid, self.timeout))
        if r is None:
            rc = self.proc.wait()
            raise AssertionError("python3 client (pid %d) ended (exit status %s); stderr:\n%s"
                                 % (self.pid, rc, self.proc.stderr.read().decode("utf-8", "replace")))
        return r

    def query(self, sql, args=()):
        self.proc.stdin.write((json.dumps({"sql": sql, "args": list(args)}) + "\n").encode())
        self.proc.stdin.flush()
        r = self._reply()
        if "error" in r:
            raise ClientError(r["error"])
        return r["rows"]

    def stats(self):
        return {r["name"]: r["value"] for r in self.query("SELECT name, value FROM procsql_stats")}

    def close(self):
        """Ends the client (EOF on stdin); returns its exit status."""
        if self.proc.returncode is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.thread.join(10)
            self.stderr = self.proc.stderr.read().decode("utf-8", "replace")
            self.proc.stderr.close()
            self.proc.stdout.close()
        return self.proc.returncode


# --------------------------------------------------------------------------
# What a process holds: BPF objects, audit sockets, store mappings.

# The harness's readers of a process's holdings, for another pid.
pid_bpf_objects = bpf_objects_of
pid_prog_ids = prog_ids_of
pid_netlink_sockets = netlink_sockets_of


def pid_threads(pid):
    return sorted(os.listdir("/proc/%d/task" % pid))


def store_mappings(pid, state_dir):
    """(permissions, path) of process pid's mappings of files in state_dir."""
    out = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].strip().startswith(state_dir + "/"):
                out.append((fields[1], fields[5].strip()))
    return out


def audit_rule_keys():
    """The keys of every audit rule loaded now."""
    out = subprocess.run(["/usr/sbin/auditctl", "-l"], capture_output=True, check=True).stdout.decode()
    return {l.rsplit(" key=", 1)[1] for l in out.splitlines() if " key=" in l}
