"""Helpers the procsqld benchmarks share (attach_latency.py, attach_query.py,
daemon_cost.py): start a procsqld in a state directory of its own and wait
until it is ready, stop it, give clients an environment that attaches to it
(or not), and read a process's CPU time and context switches from /proc.
Not a benchmark by itself.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def require_root():
    if os.geteuid() != 0:
        sys.exit("%s: run as root (procsqld loads BPF programs)" % os.path.basename(sys.argv[0]))


def clean_env(**extra):
    """The environment without any PROCSQL_* variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def client_env(mode, state_dir):
    """A client's environment: PROCSQL_MODE=mode on state_dir, nothing else
    of procsql's (a collector variable that differs from the daemon's would
    fail the attach)."""
    return clean_env(PROCSQL_MODE=mode, PROCSQL_STATE_DIR=state_dir)


class Daemon:
    """A procsqld in `state_dir` (made in `parent`, default the temporary
    directory, if None, and then removed with its log when the `with` block
    ends), logging to state_dir + '.log'."""

    def __init__(self, procsqld, state_dir=None, parent=None, **settings):
        self.procsqld = os.path.abspath(procsqld)
        self.made_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="procsql-bench.", dir=parent)
        self.settings = settings
        self.log_path = self.state_dir.rstrip("/") + ".log"
        self.proc = None
        self.ready_seconds = None

    def start(self, timeout=60):
        env = clean_env(PROCSQL_STATE_DIR=self.state_dir, **self.settings)
        log = open(self.log_path, "a")
        offset = log.tell()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([self.procsqld], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        while True:
            with open(self.log_path) as f:
                f.seek(offset)
                text = f.read()
            if "procsqld: ready:" in text:
                self.ready_seconds = time.perf_counter() - t0
                return self
            if self.proc.poll() is not None:
                sys.exit("procsqld exited with %d before it was ready:\n%s" % (self.proc.returncode, text))
            if time.perf_counter() - t0 > timeout:
                self.stop()
                sys.exit("procsqld was not ready after %d s:\n%s" % (timeout, text))
            time.sleep(0.01)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self.made_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            if os.path.exists(self.log_path):
                os.unlink(self.log_path)


def cpu_seconds(pid):
    """utime + stime of the whole process (all its threads, living or not)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tasks(pid):
    try:
        return sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))
    except FileNotFoundError:
        return []


def run_ns(pid):
    """Nanoseconds on CPU summed over the living threads (schedstat: finer
    than cpu_seconds' clock ticks, but a thread that exited is not counted)."""
    total = 0
    for t in tasks(pid):
        try:
            with open("/proc/%d/task/%d/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass
    return total


def wchan(pid, tid):
    """Where a sleeping thread waits (ep_poll, futex_wait..., do_sigtimedwait)."""
    try:
        with open("/proc/%d/task/%d/wchan" % (pid, tid)) as f:
            return f.read().strip() or "?"
    except OSError:
        return "?"


def context_switches(pid):
    """{tid: (label, voluntary + nonvoluntary)} over the living threads; the
    label is the thread's name, tid and what it waits in now (wchan)."""
    out = {}
    for t in tasks(pid):
        name, n = "?", 0
        try:
            with open("/proc/%d/task/%d/status" % (pid, t)) as f:
                for line in f:
                    if line.startswith("Name:"):
                        name = line.split(None, 1)[1].strip()
                    elif line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        n += int(line.split()[1])
        except FileNotFoundError:
            continue
        out[t] = ("%s/%d%s (%s)" % (name, t, " main" if t == pid else "", wchan(pid, t)), n)
    return out


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0
