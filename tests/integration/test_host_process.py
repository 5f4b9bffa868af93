"""procsql living in a host process (issue 14): C programs that link
libprocsql.so.1 through procsql.h, as an agent does.

  * the library exports the C API and nothing else (nm -D), with its SONAME;
  * linked and `.load`ed in one process it is one library and one collector:
    the same instance_id from both ways in, and not one BPF object more;
  * a host that opens, registers, queries and closes connections 10,000
    times leaks no memory, thread, descriptor or BPF object (and 20 times
    with no other connection open, each starting and stopping the collector);
  * a host that forks after registering works in the child and the parent;
  * settings in code (procsql_config_set/get), procsql_mode, the version,
    and the calls from 8 threads at once.

The host programs are tests/hosts/*.c (each with host_common.c), compiled
here with gcc against the build directory (-lprocsql -lsqlite3, an rpath to
it). They print KEY=VALUE lines and, where the test looks at them from
outside (/proc/PID: descriptors, threads, memory, BPF objects), print
"WAIT NAME" and wait for a line on stdin.

Every host gets PROCSQL_BACKEND=bpf and PROCSQL_MODE=embedded (a collector
of its own, never a procsqld's) and no other PROCSQL_* variable unless the
test says so. eBPF only: the audit backend is the audit tests'.
"""

import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from procsql_test import (BUILD_DIR, EXTENSION, EXTENSION_SO, SOURCE_DIR, ProcsqlTestCase, bpf_objects_of,
                          marker, prog_ids_of, require_tool, run_cmd, unavailable, wait_progs_gone)

HOSTS_DIR = os.path.join(SOURCE_DIR, "tests", "hosts")
HEADER = os.path.join(SOURCE_DIR, "extension", "procsql.h")
VERSION_H = os.path.join(SOURCE_DIR, "extension", "version.h")
LIBRARY = os.path.join(BUILD_DIR, "libprocsql.so.1")

SQLITE_OK, SQLITE_ERROR, SQLITE_NOTFOUND, SQLITE_MISUSE = 0, 1, 12, 21
MODE_NONE, MODE_EMBEDDED = 0, 1

# RSS of a host outside what the collector preallocates (its stores, its
# ring buffer, its thread's stack and malloc arena: anonymous mappings of a
# MiB or more made when it started, and BPF maps): the stores' pages become
# resident as other processes' execs fill them, which is no leak. What
# remains (the main thread's heap, new mappings, the libraries' pages) must
# not grow by more than RSS_SLACK_KIB over the 10,000 cycles (~100 bytes a
# cycle: a few pages of code first run after the warm-up, not a leak of
# anything per cycle). The heap check below is the exact one.
RSS_SLACK_KIB = 1024
# Bytes in use in malloc's heap (mallinfo2: every arena, and the chunks it
# mmapped; glibc's per-thread cache off, or the chunks it keeps would count
# as in use): exact. Background work may allocate a little (a new container
# on the machine adds to the container map), so 64 KiB: a leak of the
# smallest chunk (32 bytes) every cycle would be 320 KiB over 10,000 cycles.
HEAP_SLACK = 64 * 1024
NO_TCACHE = {"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"}

# Under the address sanitizer (LD_PRELOAD of libasan, tests/CMakeLists.txt)
# freed memory waits in its quarantine, and malloc is not glibc's: RSS and
# the heap figures say nothing there.
ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")

_built = {}
_build_lock = threading.Lock()


def tearDownModule():
    if "dir" in _built:
        shutil.rmtree(_built["dir"], True)


def host_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
    env["PROCSQL_BACKEND"] = "bpf"
    env["PROCSQL_MODE"] = "embedded"
    env.update(extra or {})
    return env


def footprint(pid):
    """What a process holds, read from /proc/PID."""
    with open("/proc/%d/status" % pid) as f:
        status = dict(line.split(":", 1) for line in f)
    return {
        "rss_kib": int(status["VmRSS"].split()[0]),
        "threads": len(os.listdir("/proc/%d/task" % pid)),
        "fds": sorted(os.listdir("/proc/%d/fd" % pid), key=int),
        "bpf": bpf_objects_of(pid),
        "progs": prog_ids_of(pid),
    }


def _held(f):
    return f["fds"], f["threads"], f["bpf"], f["progs"]


def steady_footprint(pid, like=None, tries=30):
    """footprint(pid) once what it holds is still (two readings alike), or
    as soon as it is like `like`: the collector's thread may hold a
    descriptor for a moment (reading /proc, a cgroup), a leak stays."""
    now = footprint(pid)
    for _ in range(tries):
        if like is not None and _held(now) == _held(like):
            return now
        time.sleep(0.1)
        previous, now = now, footprint(pid)
        if like is None and _held(now) == _held(previous):
            return now
    return now


def mappings(pid):
    """(start, end, name, Rss in KiB) of each mapping of a process."""
    out = []
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            fields = line.split()
            if re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", fields[0]):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                out.append([start, end, " ".join(fields[5:]), 0])
            elif fields[0] == "Rss:":
                out[-1][3] = int(fields[1])
    return out


def collector_regions(pid):
    """The address ranges of what the collector preallocated (see
    RSS_SLACK_KIB), as they are now."""
    return [(start, end) for start, end, name, _ in mappings(pid)
            if (name == "" and end - start >= 1 << 20) or name.startswith("anon_inode:bpf")]


def rss_outside(pid, regions):
    """RSS in KiB of the mappings that do not begin inside `regions`."""
    return sum(rss for start, _, name, rss in mappings(pid)
               if not name.startswith("anon_inode:bpf") and not any(lo <= start < hi for lo, hi in regions))


def id_set(text):
    return {int(i) for i in text.split(",") if i}


class Host:
    """A running host program: KEY=VALUE lines into self.values, and the
    WAIT/line handshake."""

    def __init__(self, tc, exe, args, env):
        self.tc = tc
        self.p = subprocess.Popen([exe] + list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
        self.pid = self.p.pid
        self.values = {}
        self.stray = []
        self.stderr = []
        self._lines = queue.Queue()
        threading.Thread(target=self._pump, args=(self.p.stdout, self._lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.p.stderr, self._stderr_line), daemon=True).start()
        tc.addCleanup(self.kill)

    def _stderr_line(self, line):
        if line is not None:
            self.stderr.append(line)

    def said(self):
        return "\n".join(self.stderr)

    @staticmethod
    def _pump(stream, put):
        for line in stream:
            put(line.rstrip("\n"))
        put(None)

    def _take(self, line):
        key, sep, value = line.partition("=")
        if sep:
            self.values[key] = value
        else:
            self.stray.append(line)  # e.g. a message that spans lines

    def until(self, name, timeout=300):
        """Read lines until "WAIT name"; fail if the host ends first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.tc.fail("host %s: no WAIT %s within %ss; said %r" % (self.pid, name, timeout, self.values))
            if line is None:
                self.p.wait(timeout=30)
                self.tc.fail("host exited %s before WAIT %s\nstderr:\n%s\nsaid: %r"
                             % (self.p.returncode, name, self.said(), self.values))
            if line == "WAIT " + name:
                return self.values
            self._take(line)

    def go(self):
        self.p.stdin.write("\n")
        self.p.stdin.flush()

    def finish(self, timeout=120):
        """Let it end; its exit status (every line read)."""
        self.p.stdin.close()
        rc = self.p.wait(timeout=timeout)
        while True:
            line = self._lines.get(timeout=30)
            if line is None:
                break
            self._take(line)
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        for stream in (self.p.stdin, self.p.stdout, self.p.stderr):
            try:
                stream.close()
            except OSError:
                pass


class HostProcessTest(ProcsqlTestCase):

    def setUp(self):
        super().setUp()
        if not os.path.exists(LIBRARY):
            unavailable(self, LIBRARY + " not built (cmake --build ... --target procsql)")

    # ---- building and running hosts ---------------------------------------

    def build(self, name):
        """tests/hosts/NAME.c + host_common.c, linked against libprocsql."""
        gcc = require_tool(self, "gcc")
        with _build_lock:
            if name not in _built:
                if "dir" not in _built:
                    _built["dir"] = tempfile.mkdtemp(prefix="procsql-hosts-")
                exe = os.path.join(_built["dir"], name)
                run_cmd([gcc, "-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-pthread",
                         "-I" + os.path.join(SOURCE_DIR, "extension"),
                         "-o", exe, os.path.join(HOSTS_DIR, name + ".c"), os.path.join(HOSTS_DIR, "host_common.c"),
                         "-L" + BUILD_DIR, "-lprocsql", "-lsqlite3", "-Wl,-rpath," + BUILD_DIR])
                _built[name] = exe
            return _built[name]

    def start(self, name, args=(), env=None):
        return Host(self, self.build(name), args, host_env(env))

    def run_host(self, name, args=(), env=None, timeout=300):
        p = subprocess.run([self.build(name)] + list(args), env=host_env(env), capture_output=True, text=True,
                           timeout=timeout)
        values, stray = {}, []
        for line in p.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key] = value
            else:
                stray.append(line)
        return p, values, stray

    # ---- a. exports -------------------------------------------------------

    def test_exports_only_the_c_api(self):
        nm = require_tool(self, "nm")
        readelf = require_tool(self, "readelf")
        out = run_cmd([nm, "-D", "--defined-only", LIBRARY], text=True).stdout
        exported, versions = set(), {}
        for line in out.splitlines():
            symbol = line.split()[-1]
            name, _, version = symbol.partition("@")
            exported.add(name)
            versions[name] = version.lstrip("@")
        self.assertIn("PROCSQL_1", exported, "no version node PROCSQL_1:\n" + out)
        functions = exported - {"PROCSQL_1"}
        others = {n for n in functions if not re.fullmatch(r"procsql_\w+", n) and n != "sqlite3_procsql_init"}
        self.assertEqual(others, set(), "exported besides the C API:\n" + out)
        for name in functions:
            if versions[name]:  # nm shows the version when it knows it
                self.assertEqual(versions[name], "PROCSQL_1", name)

        with open(HEADER) as f:
            header = f.read()
        declared = set(re.findall(r"^PROCSQL_API\s[^;(]*?\b(\w+)\s*\(", header, re.M))
        self.assertIn("procsql_register", declared)
        self.assertIn("sqlite3_procsql_init", declared)
        self.assertEqual(functions, declared, "what procsql.h declares and what the library exports differ")

        dynamic = run_cmd([readelf, "-d", LIBRARY], text=True).stdout
        self.assertEqual(re.findall(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", dynamic), ["libprocsql.so.1"])
        # `.load procsql` loads this very file.
        self.assertTrue(os.path.samefile(EXTENSION_SO, LIBRARY), EXTENSION_SO + " is not libprocsql.so.1")

    # ---- b. linked and loaded: one library, one collector ------------------

    def loaded_twice(self, order):
        m = marker()
        h = self.start("loaded_twice", [EXTENSION, m, order])
        v = h.until("first")
        self.assertEqual(v["mode.first"], str(MODE_EMBEDDED))
        first = steady_footprint(h.pid)
        self.assertTrue(first["progs"], "no BPF program held after the first way in")

        h.go()
        v = h.until("second")
        second = steady_footprint(h.pid, like=first)
        self.assertEqual(v["A.instance_id"], v["B.instance_id"], "two collectors: linked and loaded differ")
        self.assertEqual(v["A.collector_pid"], str(h.pid))
        self.assertEqual(v["B.collector_pid"], str(h.pid))
        self.assertEqual(second["progs"], first["progs"], "the second way in loaded programs of its own")
        self.assertEqual(second["bpf"], first["bpf"], "the second way in opened BPF objects of its own")
        self.assertEqual(second["threads"], first["threads"])
        self.assertEqual(second["fds"], first["fds"])
        self.assertEqual((v["A.marked"], v["B.marked"]), ("1", "1"), "each connection sees the exec once")
        with open("/proc/%d/maps" % h.pid) as f:
            copies = {line.split()[4] for line in f if "libprocsql.so" in line}  # inodes
        self.assertEqual(len(copies), 1, "libprocsql is mapped from %d files" % len(copies))

        h.go()
        v = h.until("b_closed")
        self.assertEqual(v["mode.b_closed"], str(MODE_EMBEDDED))
        self.assertEqual(v["A.after_b.instance_id"], v["A.instance_id"])
        self.assertEqual(steady_footprint(h.pid, like=first)["progs"], first["progs"], "closing B took A's collector")

        h.go()
        v = h.until("all_closed")
        self.assertEqual(v["mode.all_closed"], str(MODE_NONE))
        gone = footprint(h.pid)
        self.assertEqual(gone["bpf"], [], "BPF objects held after the last close")
        self.assertEqual(gone["threads"], 1, "threads left after the last close")
        h.go()
        self.assertEqual(h.finish(), 0, h.said())
        self.assertEqual(wait_progs_gone(first["progs"]), set(), "the host's programs outlived it")

    def test_registered_then_loaded_is_one_collector(self):
        self.loaded_twice("register-first")

    def test_loaded_then_registered_is_one_collector(self):
        self.loaded_twice("load-first")

    # ---- c. 10,000 connections ---------------------------------------------

    def test_ten_thousand_connections_leak_nothing(self):
        """One connection stays registered (the collector runs throughout);
        10,000 others are opened, registered, queried and closed."""
        h = self.start("conn_cycles", ["200", "10000", "anchor"], NO_TCACHE)
        v = h.until("before")
        before = steady_footprint(h.pid)
        regions = collector_regions(h.pid)
        outside_before = rss_outside(h.pid, regions)
        self.assertTrue(before["progs"])
        h.go()
        v = h.until("after", timeout=600)
        after = steady_footprint(h.pid, like=before)
        outside_after = rss_outside(h.pid, regions)
        print("\n10,000 cycles in %s s; RSS %d -> %d KiB (outside the collector's regions %d -> %d KiB), "
              "heap in use %s -> %s bytes, %d threads, %d fds, %d BPF objects"
              % (v["seconds"], before["rss_kib"], after["rss_kib"], outside_before, outside_after,
                 v["heap.before"], v["heap.after"], after["threads"], len(after["fds"]), len(after["bpf"])))
        self.assertEqual(v["instance_id.end"], v["instance_id.start"], "the collector was restarted")
        self.assertEqual(v["mode.after"], str(MODE_EMBEDDED))
        self.assertEqual(after["threads"], before["threads"], "threads")
        self.assertEqual(after["fds"], before["fds"], "file descriptors")
        self.assertEqual(after["bpf"], before["bpf"], "BPF objects (descriptors, mappings)")
        self.assertEqual(after["progs"], before["progs"], "BPF programs")
        if not ASAN:
            self.assertLess(int(v["heap.after"]) - int(v["heap.before"]), HEAP_SLACK, "heap in use grew")
            self.assertLess(outside_after - outside_before, RSS_SLACK_KIB, "RSS grew")

        h.go()
        v = h.until("end")
        self.assertEqual(v["mode.end"], str(MODE_NONE))
        end = footprint(h.pid)
        self.assertEqual(end["bpf"], [])
        self.assertEqual(end["threads"], 1)
        h.go()
        self.assertEqual(h.finish(), 0, h.said())
        self.assertEqual(wait_progs_gone(before["progs"]), set())

    def test_collector_started_and_stopped_twenty_times_leaks_nothing(self):
        """No other connection open: each cycle starts the collector and its
        close stops it. After 3 cycles of warm-up (what a process sets up
        once, at its first start), 20 more leave descriptors, threads, BPF
        objects and the heap as they were, and every program a cycle loaded
        is gone from the kernel."""
        h = self.start("conn_cycles", ["3", "20", "no-anchor"], NO_TCACHE)
        v = h.until("before", timeout=600)
        before = steady_footprint(h.pid)
        self.assertEqual(v["mode.before"], str(MODE_NONE))
        self.assertEqual(before["bpf"], [], "BPF objects held with no connection open")
        self.assertEqual(before["threads"], 1, "threads left with no connection open")
        h.go()
        v = h.until("after", timeout=600)
        after = steady_footprint(h.pid, like=before)
        print("\n20 collector starts and stops in %s s; heap in use %s -> %s bytes, RSS %d -> %d KiB"
              % (v["seconds"], v["heap.before"], v["heap.after"], before["rss_kib"], after["rss_kib"]))
        self.assertEqual(v["mode.after"], str(MODE_NONE))
        self.assertEqual(after["bpf"], [])
        self.assertEqual(after["progs"], set())
        self.assertEqual(after["threads"], before["threads"])
        self.assertEqual(after["fds"], before["fds"])
        if not ASAN:
            self.assertLess(int(v["heap.after"]) - int(v["heap.before"]), HEAP_SLACK, "heap in use grew")
        progs = set()
        for key, value in v.items():
            if key.startswith("progs."):
                self.assertTrue(value, key + ": the cycle's collector held no program")
                progs |= id_set(value)
        self.assertEqual(len([k for k in v if k.startswith("progs.")]), 3 + 20)
        h.go()
        h.until("end")
        h.go()
        self.assertEqual(h.finish(), 0, h.said())
        self.assertEqual(wait_progs_gone(progs), set(), "programs of stopped collectors are still loaded")

    # ---- d. fork ----------------------------------------------------------

    def fork(self, child):
        m = marker()
        p, v, stray = self.run_host("fork_host", [m, child], timeout=180)
        self.assertEqual(p.returncode, 0, "host exited %d\nstderr:\n%s\nstdout:\n%s" % (p.returncode, p.stderr, p.stdout))
        self.assertEqual(stray, [])
        self.assertEqual(v["child_status"], "exit0", p.stdout + p.stderr)
        self.assertEqual(v["parent.stored_before_fork"], "1")
        # The parent loses nothing: the exec still in its ring when it
        # forked, one made after the child ended, and what it had stored.
        self.assertEqual(v["parent.pending"], "1", "the parent lost the exec pending at the fork")
        self.assertEqual(v["parent.after"], "1")
        self.assertEqual(v["parent.stored"], "1")
        self.assertEqual(v["parent.collector_is_mine"], "1")
        self.assertEqual(v["parent.mode_after_close"], str(MODE_NONE))
        parent_progs = id_set(v["parent.progs"])
        self.assertTrue(parent_progs)
        return v, parent_progs

    def test_forked_child_queries_with_its_own_collector(self):
        v, parent_progs = self.fork("query")
        self.assertEqual(v["child.stored"], "1", "rows stored before the fork are readable in the child")
        self.assertEqual(v["child.child"], "1", "the child does not see its own exec made after the fork")
        self.assertEqual(v["child.collector_is_mine"], "1")
        self.assertEqual(v["child.mode"], str(MODE_EMBEDDED))
        self.assertEqual(v["child.mode_after_close"], str(MODE_NONE))
        child_progs = id_set(v["child.progs"])
        self.assertTrue(child_progs, "the child has no programs of its own")
        self.assertEqual(child_progs & parent_progs, set(), "the child kept the parent's programs")
        self.assertEqual(v["parent.child"], "1", "the parent does not see the child's exec")
        self.assertEqual(wait_progs_gone(child_progs | parent_progs), set())

    def test_forked_child_closes_without_querying(self):
        v, parent_progs = self.fork("close")
        self.assertEqual(v["child.mode_after_close"], str(MODE_NONE))
        self.assertEqual(wait_progs_gone(parent_progs), set())

    def test_forked_child_exits_with_the_connection_open(self):
        _, parent_progs = self.fork("exit")
        self.assertEqual(wait_progs_gone(parent_progs), set())

    # ---- e. the rest of the C API -------------------------------------------

    _c_api = None

    def c_api(self):
        """One run of tests/hosts/c_api.c (shared by the tests below). The
        environment says PROCSQL_CAPACITY=1000 and PROCSQL_MODE=attach on a
        state directory where no procsqld runs: what the code sets must win."""
        cls = type(self)
        if cls._c_api is None:
            state = tempfile.mkdtemp(prefix="procsql-no-daemon-")
            try:
                p, v, stray = self.run_host("c_api", env={"PROCSQL_CAPACITY": "1000", "PROCSQL_MODE": "attach",
                                                          "PROCSQL_STATE_DIR": state}, timeout=300)
            finally:
                shutil.rmtree(state, True)
            cls._c_api = (p, v, stray)
        p, v, stray = cls._c_api
        self.assertEqual(p.returncode, 0, "c_api exited %d\nstderr:\n%s\nstdout:\n%s" % (p.returncode, p.stderr, p.stdout))
        self.assertEqual(stray, [], "lines that are no KEY=VALUE (a message on several lines?)")
        self.assertEqual(v.get("done"), "1")
        return v

    def assert_call(self, v, key, rc, *in_message):
        self.assertEqual(int(v["rc." + key]), rc, "%s: %s" % (key, v.get("msg." + key)))
        message = v["msg." + key]
        if rc == SQLITE_OK:
            self.assertEqual(message, "", key + ": a message after success")
        else:
            self.assertTrue(message, key + ": no message")
            for word in in_message:
                self.assertIn(word, message, key)

    def test_version(self):
        v = self.c_api()
        with open(VERSION_H) as f:
            text = f.read()
        version = re.search(r'^#define PROCSQL_VERSION "(\d+)\.(\d+)\.(\d+)"', text, re.M)
        major, minor, patch = (int(x) for x in version.groups())
        self.assertEqual(v["version"], "%d.%d.%d" % (major, minor, patch))
        number = major * 1000000 + minor * 1000 + patch
        self.assertEqual(int(v["version_number"]), number)
        self.assertEqual(int(v["header_version_number"]), number, "procsql.h's PROCSQL_VERSION_NUMBER")
        # The README's (the package it names).
        with open(os.path.join(SOURCE_DIR, "README.md"), encoding="utf-8") as f:
            named = set(re.findall(r"procsql_(\d+\.\d+\.\d+)_amd64\.deb", f.read()))
        self.assertEqual(named, {v["version"]}, "the README's package names another version")
        # The file's version (1.MINOR.PATCH: the SONAME's major is the ABI's).
        self.assertEqual(os.path.basename(os.path.realpath(LIBRARY)), "libprocsql.so.1.%d.%d" % (minor, patch))

    def test_settings_in_code(self):
        v = self.c_api()
        self.assertEqual(int(v["rc.register_null"]), SQLITE_MISUSE)
        # Reading: the environment's value, an unset one, an unknown name,
        # a buffer too short (cut, NUL-terminated).
        self.assert_call(v, "get_env_capacity", SQLITE_OK)
        self.assertEqual(v["value.get_env_capacity"], "1000")
        self.assertEqual(int(v["rc.get_unset"]), SQLITE_NOTFOUND)
        self.assertEqual(v["value.get_unset"], "")
        self.assert_call(v, "get_unknown", SQLITE_ERROR, "PROCSQL_NOPE")
        self.assertEqual(v["value.get_short"], "10")
        # The environment alone (attach, no procsqld): registering fails
        # with a reason, and no collector is left.
        self.assert_call(v, "register_env_attach", SQLITE_ERROR, "PROCSQL_MODE")
        self.assertEqual(v["mode.after_failed_register"], str(MODE_NONE))
        # Refused values: SQLITE_ERROR, a message naming the variable,
        # nothing changed.
        self.assert_call(v, "capacity_words", SQLITE_ERROR, "PROCSQL_CAPACITY", "lots")
        self.assertEqual(v["value.after_capacity_words"], "1000")
        self.assert_call(v, "capacity_too_small", SQLITE_ERROR, "PROCSQL_CAPACITY", "16")
        self.assert_call(v, "unknown_name", SQLITE_ERROR, "PROCSQL_NOPE")
        self.assert_call(v, "backend_bad", SQLITE_ERROR, "PROCSQL_BACKEND", "ebpf")
        self.assert_call(v, "mode_bad", SQLITE_ERROR, "PROCSQL_MODE", "daemon")
        # Set in code, they win over the environment: embedded although it
        # says attach, and the capacity the stores got is the code's.
        self.assert_call(v, "mode_embedded", SQLITE_OK)
        self.assert_call(v, "capacity_4096", SQLITE_OK)
        self.assertEqual(v["value.after_capacity_4096"], "4096")
        self.assert_call(v, "register_embedded", SQLITE_OK)
        self.assertEqual(v["stat.mode"], "embedded")
        self.assertEqual(v["stat.capacity"], "4096")
        # Not while the collector runs: SQLITE_MISUSE, and it keeps its value.
        self.assert_call(v, "capacity_while_running", SQLITE_MISUSE, "PROCSQL_CAPACITY")
        self.assert_call(v, "clear_while_running", SQLITE_MISUSE, "PROCSQL_CAPACITY")
        self.assertIn(int(v["rc.bad_while_running"]), (SQLITE_ERROR, SQLITE_MISUSE))
        self.assertEqual(v["value.while_running"], "4096")
        self.assert_call(v, "capacity_one_still_open", SQLITE_MISUSE, "PROCSQL_CAPACITY")
        # Every connection closed: allowed again; cleared, the environment's
        # applies to the next collector.
        self.assert_call(v, "capacity_after_close", SQLITE_OK)
        self.assert_call(v, "capacity_cleared", SQLITE_OK)
        self.assertEqual(v["value.after_clear"], "1000")
        self.assertEqual(v["stat.capacity_env_again"], "1000")

    def test_failed_register_says_why_in_errmsg(self):
        """procsql_errmsg() says why procsql_register failed, also when the
        host passed err = NULL, and for a NULL connection."""
        v = self.c_api()
        self.assertIn("PROCSQL_MODE", v["errmsg.register_env_attach"])
        self.assertEqual(int(v["rc.register_env_attach_no_err"]), SQLITE_ERROR)
        self.assertIn("PROCSQL_MODE", v["errmsg.register_env_attach_no_err"])
        self.assertTrue(v["errmsg.register_null"], "procsql_register(NULL, ...): SQLITE_MISUSE and no message")

    def test_mode(self):
        v = self.c_api()
        self.assertEqual(v["mode.initial"], str(MODE_NONE))
        self.assertEqual(v["mode.running"], str(MODE_EMBEDDED))
        self.assertEqual(v["mode.one_of_two_closed"], str(MODE_EMBEDDED))
        self.assertEqual(v["mode.closed"], str(MODE_NONE))
        self.assertEqual(v["mode.closed_again"], str(MODE_NONE))
        self.assertEqual(v["mode.after_threads"], str(MODE_NONE))

    def test_calls_from_eight_threads(self):
        """8 threads each open, register, query and close 25 connections at
        once (collectors start and stop under each other), then hold one
        each at the same time; settings set from 8 threads at once."""
        v = self.c_api()
        failures = {k: x for k, x in v.items() if k.startswith("threads.failure")}
        self.assertEqual(failures, {})
        self.assertEqual(v["threads.ok"], "8")
        self.assertEqual(v["threads.one_instance"], "1", "threads with connections open at once saw two collectors")
        self.assertEqual(v["threads.own_errmsg"], "8", "procsql_errmsg() showed another thread's message")
        for i in range(8):
            self.assertEqual(v["threads.capacity.%d" % i], "3000")
        self.assertEqual(v["concurrent_sets.ok"], "8")
        self.assertIn(v["concurrent_sets.value"], {str(1024 * i) for i in range(1, 9)})
        self.assert_call(v, "argv_bytes_cleared", SQLITE_OK)
