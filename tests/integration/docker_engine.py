"""A REAL Docker engine (Debian's docker.io 20.10) and a real Podman for
procsql's integration tests: a dockerd of the test's own, never the host's.

    class MyTest(ProcsqlTestCase):
        @classmethod
        def setUpClass(cls):
            cls.engine = DockerEngine.for_class(cls)   # started; stopped at class cleanup

        def test_x(self):
            e = self.engine
            s = ShellSession(self, prefix=e.metadata_prefix())  # sqlite3 + procsql, live
            cid = e.run_detached(["sleep", "3600"])      # `docker run -d --network none`
            self.addCleanup(e.rm, cid)                   # `docker rm -f`
            r = e.run(["/bin/true", m], options=["--security-opt", "seccomp=unconfined"])
            r = e.run(["/bin/true", m], options=["--cap-add", "SYS_ADMIN"])
            r.returncode, r.container_id, r.name, r.stdout  # `docker run --rm --cidfile F`
            e.cp("/bin/busybox", cid + ":/tmp/busybox")  # `docker cp` (drift: upper layer)
            e.exec(cid, ["/tmp/busybox", "true", m])     # `docker exec`, CompletedProcess
            t = e.exec_tty(self, cid, ["sh"])            # `docker exec -it` on a pty
            t.send(b"echo ok-$((1+1))\\n"); t.read_until(b"ok-2")
            t.send(b"exit 0\\n"); t.wait() == 0
            s.query("SELECT * FROM process_events WHERE argv LIKE ?", ("%" + m + "%",))
            s.read("queries/container_starts.sql")      # `.read`, @job NULL
            e.pid(cid), e.inspect(cid, "{{.Config.Image}}"), e.cgroup_v2_dir(cid)
            e.docker("restart", "-t", "0", cid)          # any other docker command

(busybox picks its applet from argv[0]: a copy runs as /tmp/busybox, not
/tmp/bb.) run(), run_detached(), exec() and run_tty() take OPTIONS, extra
words before the image / the id (--security-opt, --cap-add, -v, -u, ...);
command(*args) and shell_command(*args) give the argv / a /bin/sh line of
any docker command against this engine, for a Script's .shell or .sh.

The engine (DockerEngine.start()):

    /usr/sbin/dockerd --config-file B/daemon.json ({}: no /etc/docker/daemon.json)
      --data-root B/data --exec-root B/exec --host unix://B/docker.sock
      --pidfile B/docker.pid --storage-driver overlay2
      --exec-opt native.cgroupdriver=cgroupfs (no systemd here: cgroups
      /docker/<id> in every hierarchy, the v2 one included)
      --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false
      --bridge=none (no host network or sysctl is touched; containers run
      with --network none)

B is a fresh /tmp/procsql-dk-XXXX. Without --containerd, dockerd starts a
containerd of its own (socket B/exec/containerd/containerd.sock, root
B/data/containerd, state B/exec/containerd); runc's state is in
B/exec/runtime-runc/moby. Two engines (two test classes, two ctest jobs)
share nothing but the /docker parent cgroups, /run/docker/plugins (empty) and
/run/containerd/s (shim sockets named by a hash of address and id). Its
PATH is /usr/sbin:/usr/bin:/sbin:/bin: /usr/local/bin holds an unrelated
`docker` (28.x client) that must not be used; every command here calls
/usr/bin/docker with -H unix://B/docker.sock and DOCKER_CONFIG=B/client.
Start-up takes well under a second; `docker import` of the image another
fraction of one.

The image (IMAGE_REF, imported from a tarball, no registry): Debian's static
/bin/busybox with applet symlinks (containers.build_rootfs), CMD ["/bin/sh"].

stop() (also run by for_class's class cleanup and by start() when it fails):
`docker rm -f` of every container, SIGTERM to dockerd (its containerd ends
with it), SIGKILL after 30 s (dockerd also gets SIGTERM if the test process
dies: PR_SET_PDEATHSIG, and then stops its containers itself); then whatever is left: `runc delete -f` of
every container in the engine's runc roots, SIGKILL of every process whose
command line names B (containerd, shims), lazy unmount of every mount below
B (overlay2 layers, netns files), and B removed.

Container names: procsql-<hex> (unique_name()); ids are Docker's 64 hex.

procsql reads Docker's names and images from /var/lib/docker/containers/
<id>/config.v2.json only (extension/collector.cpp: no setting names another
data root), so with this engine's data root B/data they are NULL in the
host's view. metadata_prefix() gives an argv prefix (for Script.run(prefix=),
ShellSession(prefix=), daemon_harness.PythonClient(prefix=)) that runs the
process in a private mount namespace where B/data/containers IS
/var/lib/docker/containers (an overlay over /var/lib whose upper layer is a
tmpfs of that namespace, so nothing on the host changes): the files procsql
reads are those the real dockerd wrote, at the path procsql reads them from.

PodmanEngine is the same for Debian's podman 4.3 (--root, --runroot,
--tmpdir of its own, --cgroup-manager=cgroupfs, --events-backend=file):
its containers' cgroups are /libpod_parent/libpod-<id>, runc's state is in
/run/runc (podman uses runc's default root). See its docstring for the
rlimits this machine needs.
"""

import errno
import fcntl
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import tarfile
import tempfile
import termios
import time
import unittest
import uuid

from containers import BUSYBOX, DEFAULT_APPLETS, _is_static_elf, build_rootfs, cgroup2_mount, runc_path
from procsql_test import BACKEND, EXTENSION, IN_CI, SOURCE_DIR, SQLITE3, unavailable_cls

DOCKER = "/usr/bin/docker"    # Debian's docker.io client (not /usr/local/bin/docker)
DOCKERD = "/usr/sbin/dockerd"  # where Debian's docker.io installs the daemon
CONTAINERD = "/usr/bin/containerd"
PODMAN = "/usr/bin/podman"
UNSHARE = "/usr/bin/unshare"
ENGINE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
IMAGE_REF = "procsql/busybox:test"
PODMAN_IMAGE_REF = "localhost/procsql/busybox:test"

# Applets of the image: containers.py's and a few more that tests of
# seccomp, capabilities and overlay drift will want.
IMAGE_APPLETS = tuple(dict.fromkeys(DEFAULT_APPLETS + (
    "chmod", "cp", "mount", "umount", "head", "wc", "stat", "uname", "whoami", "date")))


# --------------------------------------------------------------------------
# Preconditions: usable from setUpClass (no test case instance there).

def _remove_base(base, what, problems):
    """The end of an engine's stop: kills what still names BASE, unmounts what
    is mounted below it, removes it; raises with PROBLEMS (and any of these
    steps' own) when there were any."""
    left = _kill_and_wait(pids_naming(base))
    if left:
        problems.append("processes still alive: %r" % left)
    for mp in _mounts_below(base):
        try:
            _umount_lazy(mp)
        except OSError as e:
            problems.append(str(e))
    shutil.rmtree(base, True)
    if os.path.exists(base):
        problems.append("could not remove " + base)
    if problems:
        raise AssertionError("stopping %s: " % what + "; ".join(problems))


def _common_requirements():
    if os.geteuid() != 0:
        unavailable_cls("needs root (dockerd, BPF)")
    if not os.path.exists(BUSYBOX) or not _is_static_elf(BUSYBOX):
        unavailable_cls(BUSYBOX + " is not a static busybox (install busybox-static)")
    if not runc_path():
        unavailable_cls("runc not installed")
    if cgroup2_mount() is None:
        unavailable_cls("no cgroup2 mount")
    if not os.access(UNSHARE, os.X_OK):
        unavailable_cls(UNSHARE + " not installed (util-linux)")


def require_docker():
    _common_requirements()
    for path in (DOCKER, DOCKERD, CONTAINERD):
        if not os.access(path, os.X_OK):
            unavailable_cls(path + " not installed (Debian's docker.io, scripts/deps.sh)")


def require_podman():
    _common_requirements()
    if not os.access(PODMAN, os.X_OK):
        unavailable_cls(PODMAN + " not installed (Debian's podman, scripts/deps.sh)")


# --------------------------------------------------------------------------
# Small helpers.

def hex_name(prefix="procsql"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:16])


def build_image_tar(path, applets=IMAGE_APPLETS, files=None):
    """A tarball of a busybox-static rootfs (containers.build_rootfs), for
    `docker import` / `podman import`. Returns PATH."""
    work = tempfile.mkdtemp(prefix="procsql-rootfs-")
    try:
        rootfs = build_rootfs(os.path.join(work, "rootfs"), applets, files)

        def as_root(ti):
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            return ti
        with tarfile.open(path, "w") as tar:
            for entry in sorted(os.listdir(rootfs)):
                tar.add(os.path.join(rootfs, entry), arcname=entry, filter=as_root)
    finally:
        shutil.rmtree(work, True)
    return path


def _engine_env(drop_prefixes):
    """The environment of the engines and their clients: this one without
    PROCSQL_*, the engine's own settings (DROP_PREFIXES) and the sanitizer
    runtimes a sanitized pass preloads for sqlite3 and python3, with a PATH
    of Debian's binaries only."""
    drop = tuple(drop_prefixes) + ("PROCSQL_", "LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                   "TSAN_OPTIONS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = ENGINE_PATH
    return env


def _term_with_parent():
    """In the child before exec: SIGTERM when the test process dies (a
    killed test still stops its dockerd, which then stops its containers)."""
    import ctypes
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _mounts_below(base):
    """Mount points at or below BASE (this mount namespace), deepest first."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == base or mp.startswith(base + "/"):
                out.append(mp)
    return sorted(set(out), key=len, reverse=True)


def _umount_lazy(path):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    MNT_DETACH = 2
    if libc.umount2(path.encode(), MNT_DETACH) != 0:
        e = ctypes.get_errno()
        if e not in (errno.EINVAL, errno.ENOENT):
            raise OSError(e, "umount2 %s: %s" % (path, os.strerror(e)))


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def _alive(pid):
    """True while PID exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def pids_naming(text):
    """Processes whose argv mentions TEXT (bytes compare), not this one."""
    needle = text.encode()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        if any(needle in a for a in _cmdline(int(name))) and _alive(int(name)):
            out.append(int(name))
    return out


def _kill_and_wait(pids, timeout=20.0):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def proc_cgroup_v2(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].rstrip("\n")
    return None


# Runs "$@" in a private mount namespace where DIR (arg 2) is seen at
# /var/lib/docker/containers: a tmpfs at SCRATCH (arg 1) holds the upper
# layer of an overlay over /var/lib (so /var/lib stays as it is, and the host
# sees nothing of it), then DIR is bound onto the path procsql reads.
METADATA_SH = r'''set -e
scratch=$1 dir=$2
shift 2
mount -t tmpfs -o mode=0700 procsql-meta "$scratch"
mkdir "$scratch/upper" "$scratch/work"
mount -t overlay -o "lowerdir=/var/lib,upperdir=$scratch/upper,workdir=$scratch/work" procsql-meta /var/lib
mkdir -p /var/lib/docker/containers
mount --bind "$dir" /var/lib/docker/containers
exec "$@"
'''


# --------------------------------------------------------------------------
# A command on a pseudo-terminal (`docker exec -it`, `docker run -it`).

class TtySession:
    """ARGV run with a pty as its stdin, stdout and stderr (its own session);
    we hold the master. send() types, read_until() reads what the terminal
    shows (echo included: wait for a token the echo cannot contain, e.g. the
    result of $((1+1))), wait() returns the exit status."""

    def __init__(self, tc, argv, env=None, rows=24, cols=80):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        try:
            self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                         start_new_session=True, env=env)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.master = master
        self.argv = list(argv)
        self._out = bytearray()
        os.set_blocking(master, False)
        tc.addCleanup(self.close)

    def _pump(self, wait_s):
        """Read what is there within WAIT_S seconds; False once the pty is closed."""
        if self.master is None:
            return False
        ready, _, _ = select.select([self.master], [], [], wait_s)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return True
        except OSError as e:  # EIO: the last slave descriptor is closed
            if e.errno != errno.EIO:
                raise
            data = b""
        if not data:
            os.close(self.master)
            self.master = None
            return False
        self._out.extend(data)
        return True

    def read_until(self, token, timeout=60):
        """Read until TOKEN (bytes) shows; return everything so far. The
        timeout only bounds a hang."""
        deadline = time.monotonic() + timeout
        while token not in self._out:
            if time.monotonic() > deadline:
                raise AssertionError("%r: %r not seen in %ss; terminal showed %r"
                                     % (self.argv, token, timeout, bytes(self._out)))
            if not self._pump(0.2) and token not in self._out:
                raise AssertionError("%r ended (rc=%r) before %r; terminal showed %r"
                                     % (self.argv, self.proc.poll(), token, bytes(self._out)))
        return bytes(self._out)

    def send(self, data):
        os.write(self.master, data)

    def wait(self, timeout=60):
        """Wait for the command to exit (reading the terminal meanwhile)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError("%r still running after %ss; terminal showed %r"
                                     % (self.argv, timeout, bytes(self._out)))
            self._pump(0.1)
        while self._pump(0):  # what is left in the pty
            pass
        return self.proc.returncode

    @property
    def output(self):
        return bytes(self._out)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.master is not None:
            os.close(self.master)
            self.master = None


# --------------------------------------------------------------------------
# The real sqlite3 shell, driven line by line.

class ShellSession:
    """/usr/bin/sqlite3 with the extension loaded, fed on its stdin, so a
    test can act (docker run, exec -it, ...) between queries of one
    collector. Query results come back as JSON (.mode json) between .print
    markers (the shell flushes its output after every statement); anything
    the shell writes to stderr meanwhile fails the call. As Script.run():
    every PROCSQL_* of the environment is removed except PROCSQL_BACKEND
    (the backend under test) and PROCSQL_MODE=embedded, plus ENV; PREFIX
    wraps the shell (e.g. DockerEngine.metadata_prefix()).

        s = ShellSession(self, prefix=engine.metadata_prefix())
        s.query("SELECT * FROM container_map WHERE container_id = ?", (cid,))
        s.read("queries/container_starts.sql")   # `.read`, as the README does
    """

    def __init__(self, tc, prefix=(), env=None, timeout=120):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
        full_env["PROCSQL_BACKEND"] = BACKEND
        full_env["PROCSQL_MODE"] = "embedded"
        full_env.update(env or {})
        self.timeout = timeout
        self._n = 0
        self._err = bytearray()
        self._out = bytearray()
        self.proc = subprocess.Popen(list(prefix) + [SQLITE3, "-batch", "-init", "/dev/null", ":memory:"],
                                     cwd=SOURCE_DIR, env=full_env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        os.set_blocking(self.proc.stdout.fileno(), False)
        os.set_blocking(self.proc.stderr.fileno(), False)
        tc.addCleanup(self.close)
        rel = os.path.relpath(EXTENSION, SOURCE_DIR)
        self._run(".mode json\n.load %s\n" % (EXTENSION if rel.startswith("..") else rel))

    def _pump(self, wait_s):
        """Read what is there within WAIT_S seconds; False at EOF of stdout."""
        fds = {self.proc.stdout.fileno(): self._out, self.proc.stderr.fileno(): self._err}
        ready, _, _ = select.select(list(fds), [], [], wait_s)
        alive = True
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if data:
                fds[fd].extend(data)
            elif fd == self.proc.stdout.fileno():
                alive = False
        return alive

    def _run(self, body):
        """Send BODY (shell lines) between markers; the shell's output for
        it. Fails on anything written to stderr."""
        self._n += 1
        begin = ("@@procsql:B:%d@@\n" % self._n).encode()
        end = ("@@procsql:E:%d@@\n" % self._n).encode()
        err_at = len(self._err)
        text = ".print %s%s\n.print %s" % (begin.decode(), body.rstrip("\n"), end.decode())
        try:
            self.proc.stdin.write(text.encode("utf-8", "surrogateescape"))
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        deadline = time.monotonic() + self.timeout
        while end not in self._out:
            if time.monotonic() > deadline or not self._pump(0.2):
                self._pump(0.2)
                raise AssertionError("sqlite3 (pid %d) gave no answer (exit status %r)\nstderr:\n%s\n"
                                     "for:\n%s" % (self.pid, self.proc.poll(),
                                                   self._err.decode("utf-8", "replace"), body))
        self._pump(0)  # an error message written just before the end marker
        out = bytes(self._out)
        start = out.index(begin) + len(begin)
        stop = out.index(end)
        del self._out[:stop + len(end)]
        err = self._err[err_at:].decode("utf-8", "replace").strip()
        if err:
            raise AssertionError("sqlite3: %s\nfor:\n%s" % (err, body))
        return out[start:stop].decode("utf-8", "surrogateescape")

    def query(self, sql, args=()):
        """Rows of one statement as dicts. Each ? in SQL is replaced by the
        next of ARGS as an SQL literal (str, int, None)."""
        sql = sql.strip()
        if args:
            parts = sql.split("?")
            if len(parts) != len(args) + 1:
                raise ValueError("%d ? for %d args" % (len(parts) - 1, len(args)))
            sql = parts[0] + "".join(_sql_literal(a) + p for a, p in zip(args, parts[1:]))
        if not sql.endswith(";"):
            sql += ";"
        text = self._run(sql).strip()
        return json.loads(text) if text else []

    def read(self, relpath):
        """`.read FILE` (relative to the repository root, where the shell
        runs, as the README's `.read queries/FILE.sql`), with @job unbound
        (NULL: every row held)."""
        text = self._run(".read %s" % relpath).strip()
        return json.loads(text) if text else []

    def close(self):
        """EOF on stdin; the shell's exit status."""
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
            self.proc.stdout.close()
            self.proc.stderr.close()
        return self.proc.returncode


def _sql_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


# --------------------------------------------------------------------------
# Docker.

class RunResult:
    def __init__(self, returncode, stdout, stderr, container_id, name):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.container_id = container_id  # from --cidfile (64 hex)
        self.name = name

    def __repr__(self):
        return "RunResult(rc=%r, id=%r, name=%r, stdout=%r, stderr=%r)" % (
            self.returncode, self.container_id, self.name, self.stdout, self.stderr)


class DockerEngine:
    """One dockerd (and its containerd) in a directory of its own. See the
    module docstring."""

    def __init__(self):
        self.base = None
        self.proc = None
        self.image = IMAGE_REF
        self.startup_s = None

    # ---- lifecycle

    @classmethod
    def for_class(cls, test_class, import_image=True):
        """setUpClass helper: a started engine, stopped by the class cleanup
        (also when setUpClass or a test fails)."""
        require_docker()
        engine = cls()
        test_class.addClassCleanup(engine.stop)
        engine.start(import_image=import_image)
        return engine

    @property
    def socket(self):
        return os.path.join(self.base, "docker.sock")

    @property
    def data_root(self):
        return os.path.join(self.base, "data")

    @property
    def exec_root(self):
        return os.path.join(self.base, "exec")

    @property
    def runc_root(self):
        """runc's --root for this engine's containers (state.json per id)."""
        return os.path.join(self.exec_root, "runtime-runc", "moby")

    @property
    def containers_dir(self):
        """Where this engine keeps config.v2.json (what procsql reads from
        /var/lib/docker/containers)."""
        return os.path.join(self.data_root, "containers")

    def env(self):
        env = _engine_env(("DOCKER_",))
        env["DOCKER_CONFIG"] = os.path.join(self.base, "client")
        return env

    def start(self, import_image=True, timeout=60):
        t0 = time.monotonic()
        # Short: containerd's socket B/exec/containerd/containerd.sock must
        # stay below 108 bytes.
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="procsql-dk-", dir="/tmp"))
        os.chmod(self.base, 0o711)
        for d in ("data", "exec", "client", "meta"):
            os.makedirs(os.path.join(self.base, d))
        config = os.path.join(self.base, "daemon.json")
        with open(config, "w") as f:
            f.write("{}\n")
        self.log_path = os.path.join(self.base, "dockerd.log")
        argv = [DOCKERD, "--config-file", config,
                "--data-root", self.data_root, "--exec-root", self.exec_root,
                "--host", "unix://" + self.socket, "--pidfile", os.path.join(self.base, "docker.pid"),
                "--storage-driver", "overlay2", "--exec-opt", "native.cgroupdriver=cgroupfs",
                "--iptables=false", "--ip6tables=false", "--ip-masq=false", "--ip-forward=false",
                "--bridge=none"]
        try:
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             env=self.env(), start_new_session=True,
                                             preexec_fn=_term_with_parent)
            deadline = time.monotonic() + timeout
            while True:
                p = subprocess.run(self._docker("info", "--format", "{{.ServerVersion}}"),
                                   capture_output=True, env=self.env(), timeout=30)
                if p.returncode == 0:
                    break
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("dockerd did not come up (rc=%r): %s\nlog:\n%s"
                                         % (self.proc.poll(), p.stderr.decode(errors="replace"),
                                            self.log()[-4000:]))
                time.sleep(0.05)
            self.server_version = p.stdout.decode().strip()
            if import_image:
                tar = build_image_tar(os.path.join(self.base, "image.tar"))
                self.docker("import", "--change", 'CMD ["/bin/sh"]', tar, self.image)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - t0
        return self

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def containerd_pids(self):
        return [p for p in pids_naming(self.exec_root) if os.path.basename(
            _cmdline(p)[0].decode(errors="replace")) == "containerd"]

    def stop(self):
        """Everything the engine started goes; idempotent."""
        if self.base is None:
            return
        problems = []
        if self.proc is not None and self.proc.poll() is None:
            try:
                ids = self.docker("ps", "-aq", "--no-trunc", timeout=60).stdout.split()
                if ids:
                    self.docker("rm", "-f", *ids, check=False, timeout=120)
            except Exception as e:  # go on: the daemon is stopped below anyway
                problems.append("docker rm: %s" % e)
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                problems.append("dockerd ignored SIGTERM for 30 s")
                self.proc.kill()
                self.proc.wait()
        # Whatever a crash or a kill left behind.
        runc = runc_path()
        runtimes = os.path.join(self.exec_root, "runtime-runc")
        if runc and os.path.isdir(runtimes):
            for ns in os.listdir(runtimes):
                root = os.path.join(runtimes, ns)
                for cid in os.listdir(root) if os.path.isdir(root) else ():
                    subprocess.run([runc, "--root", root, "delete", "-f", cid], capture_output=True)
        base, self.base = self.base, None
        _remove_base(base, "dockerd", problems)

    # ---- the client

    def _docker(self, *args):
        return [DOCKER, "-H", "unix://" + self.socket] + list(args)

    def docker(self, *args, check=True, timeout=120, input=None):
        """`docker -H unix://SOCK ARGS...`; CompletedProcess (bytes)."""
        p = subprocess.run(self._docker(*args), capture_output=True, env=self.env(),
                           timeout=timeout, input=input,
                           stdin=None if input is not None else subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError("docker %s exited %d: %s" % (" ".join(args), p.returncode,
                                                              p.stderr.decode(errors="replace")))
        return p

    def command(self, *args):
        """The argv of `docker ARGS...` against this engine (for a .shell
        line, a script, or a process of the test's own)."""
        return self._docker(*args)

    def shell_command(self, *args):
        """The same, as one /bin/sh line (with DOCKER_CONFIG set)."""
        import shlex
        return "DOCKER_CONFIG=%s %s" % (shlex.quote(self.env()["DOCKER_CONFIG"]),
                                        " ".join(shlex.quote(a) for a in self._docker(*args)))

    @staticmethod
    def unique_name(prefix="procsql"):
        return hex_name(prefix)

    def run(self, args, name=None, options=(), image=None, rm=True, check=False, timeout=120,
            input=None):
        """`docker run [--rm] --network none --cidfile F --name NAME OPTIONS
        IMAGE ARGS...` in the foreground; a RunResult with the container's
        exit status (docker run's), output and id."""
        name = name or self.unique_name()
        cidfile = os.path.join(self.base, "cid-" + uuid.uuid4().hex)
        argv = ["run", "--network", "none", "--cidfile", cidfile, "--name", name]
        if rm:
            argv.append("--rm")
        if input is not None:
            argv.append("-i")
        argv += list(options) + [image or self.image] + list(args)
        p = self.docker(*argv, check=False, timeout=timeout, input=input)
        try:
            with open(cidfile) as f:
                cid = f.read().strip() or None
            os.unlink(cidfile)
        except FileNotFoundError:
            cid = None
        r = RunResult(p.returncode, p.stdout, p.stderr, cid, name)
        if check and p.returncode != 0:
            raise AssertionError("docker run failed: %r" % r)
        return r

    def run_detached(self, args, name=None, options=(), image=None):
        """`docker run -d --network none --name NAME OPTIONS IMAGE ARGS...`;
        the container's full id."""
        name = name or self.unique_name()
        p = self.docker("run", "-d", "--network", "none", "--name", name, *options,
                        image or self.image, *args)
        return p.stdout.decode().strip()

    def exec(self, cid, args, options=(), check=True, timeout=60):
        """`docker exec OPTIONS CID ARGS...` (no terminal); CompletedProcess."""
        return self.docker("exec", *options, cid, *args, check=check, timeout=timeout)

    def exec_tty(self, tc, cid, args, options=()):
        """`docker exec -it OPTIONS CID ARGS...` on a pty: a TtySession."""
        return TtySession(tc, self._docker("exec", "-it", *options, cid, *args), env=self.env())

    def run_tty(self, tc, args, name=None, options=(), image=None):
        """`docker run -it --rm --network none ...` on a pty: (TtySession, name)."""
        name = name or self.unique_name()
        argv = self._docker("run", "-it", "--rm", "--network", "none", "--name", name, *options,
                            image or self.image, *args)
        return TtySession(tc, argv, env=self.env()), name

    def cp(self, src, dst):
        """`docker cp SRC DST` (one side CID:/path)."""
        return self.docker("cp", src, dst)

    def inspect(self, cid, fmt=None):
        """`docker inspect`: the parsed JSON object, or the --format text."""
        if fmt:
            return self.docker("inspect", "--format", fmt, cid).stdout.decode().strip()
        return json.loads(self.docker("inspect", cid).stdout)[0]

    def container_id(self, name):
        return self.inspect(name, "{{.Id}}")

    def pid(self, cid):
        """Host pid of the container's init (while it runs)."""
        return int(self.inspect(cid, "{{.State.Pid}}"))

    def cgroup_v2_dir(self, cid):
        """The container's cgroup v2 directory (its inode is cgroup_id)."""
        rel = proc_cgroup_v2(self.pid(cid))
        return os.path.join(cgroup2_mount(), rel.lstrip("/"))

    def stop_container(self, cid, timeout=0):
        return self.docker("stop", "-t", str(timeout), cid)

    def rm(self, cid):
        """`docker rm -f CID` (kills it if it runs)."""
        return self.docker("rm", "-f", cid, check=False)

    # ---- what procsql reads

    def metadata_prefix(self):
        """argv prefix: the process runs where /var/lib/docker/containers is
        this engine's containers directory (module docstring)."""
        scratch = tempfile.mkdtemp(prefix="ns-", dir=os.path.join(self.base, "meta"))
        return [UNSHARE, "--mount", "--propagation", "private", "/bin/sh", "-c", METADATA_SH,
                "procsql-meta", scratch, self.containers_dir]


# --------------------------------------------------------------------------
# Podman.

def _has_cap(bit):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> bit & 1)
    return False


CAP_SYS_RESOURCE = 24


class PodmanEngine:
    """Debian's podman 4.3 with a root of its own (no daemon: every command
    is a podman process; `run -d` leaves a conmon per container).

        /usr/bin/podman --root B/root --runroot B/run --tmpdir B/tmp
          --network-config-dir B/net --cgroup-manager=cgroupfs
          --events-backend=file --storage-driver overlay ...

    The rlimits: podman asks runc for RLIMIT_NOFILE and RLIMIT_NPROC of
    1048576 by default. Raising a hard limit needs CAP_SYS_RESOURCE; where
    the test runs without it (this machine's bounding set lacks it), runc
    fails with "error setting rlimits for ready process: error setting rlimit
    type 7: operation not permitted", so run options then carry
    --ulimit nofile=1024:1024 --ulimit nproc=4096:4096.

    Left on the host (podman's, not ours to remove): /var/lib/containers/cache
    (containers/image's blob-info cache, written by `podman import`), runc's
    /run/runc/<id> while a container exists, the /libpod_parent cgroups.
    """

    def __init__(self):
        self.base = None
        self.image = PODMAN_IMAGE_REF
        self.ids = set()
        self.startup_s = None

    @classmethod
    def for_class(cls, test_class, import_image=True):
        require_podman()
        engine = cls()
        test_class.addClassCleanup(engine.stop)
        engine.start(import_image=import_image)
        return engine

    def env(self):
        env = _engine_env(("CONTAINERS_",))
        return env

    def _podman(self, *args):
        b = self.base
        return [PODMAN, "--root", os.path.join(b, "root"), "--runroot", os.path.join(b, "run"),
                "--tmpdir", os.path.join(b, "tmp"), "--network-config-dir", os.path.join(b, "net"),
                "--cgroup-manager=cgroupfs", "--events-backend=file", "--storage-driver", "overlay"] + list(args)

    def podman(self, *args, check=True, timeout=120, input=None):
        p = subprocess.run(self._podman(*args), capture_output=True, env=self.env(), timeout=timeout,
                           input=input, stdin=None if input is not None else subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError("podman %s exited %d: %s" % (" ".join(args), p.returncode,
                                                              p.stderr.decode(errors="replace")))
        return p

    def command(self, *args):
        return self._podman(*args)

    def ulimit_options(self):
        if _has_cap(CAP_SYS_RESOURCE):
            return []
        return ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]

    def start(self, import_image=True):
        t0 = time.monotonic()
        self.base = os.path.realpath(tempfile.mkdtemp(prefix="procsql-pm-", dir="/tmp"))
        os.chmod(self.base, 0o711)
        for d in ("root", "run", "tmp", "net"):
            os.makedirs(os.path.join(self.base, d))
        try:
            if import_image:
                tar = build_image_tar(os.path.join(self.base, "image.tar"))
                self.podman("import", "--change", 'CMD ["/bin/sh"]', tar, self.image)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - t0
        return self

    def stop(self):
        if self.base is None:
            return
        problems = []
        try:
            self.podman("rm", "-f", "-a", "-t", "0", check=False, timeout=120)
        except Exception as e:
            problems.append("podman rm: %s" % e)
        runc = runc_path()
        for cid in self.ids:
            if runc and os.path.exists(os.path.join("/run/runc", cid)):
                subprocess.run([runc, "delete", "-f", cid], capture_output=True)
        base, self.base = self.base, None
        _remove_base(base, "podman", problems)  # also conmon, podman cleanup

    unique_name = staticmethod(hex_name)

    def run(self, args, name=None, options=(), image=None, rm=True, check=False, timeout=120):
        name = name or self.unique_name()
        cidfile = os.path.join(self.base, "cid-" + uuid.uuid4().hex)
        argv = ["run", "--network", "none", "--cidfile", cidfile, "--name", name]
        if rm:
            argv.append("--rm")
        argv += self.ulimit_options() + list(options) + [image or self.image] + list(args)
        p = self.podman(*argv, check=False, timeout=timeout)
        try:
            with open(cidfile) as f:
                cid = f.read().strip() or None
            os.unlink(cidfile)
        except FileNotFoundError:
            cid = None
        if cid:
            self.ids.add(cid)
        r = RunResult(p.returncode, p.stdout, p.stderr, cid, name)
        if check and p.returncode != 0:
            raise AssertionError("podman run failed: %r" % r)
        return r

    def run_detached(self, args, name=None, options=(), image=None):
        name = name or self.unique_name()
        p = self.podman("run", "-d", "--network", "none", "--name", name, *self.ulimit_options(),
                        *options, image or self.image, *args)
        cid = p.stdout.decode().strip().splitlines()[-1]
        self.ids.add(cid)
        return cid

    def exec(self, cid, args, options=(), check=True, timeout=60):
        return self.podman("exec", *options, cid, *args, check=check, timeout=timeout)

    def exec_tty(self, tc, cid, args, options=()):
        return TtySession(tc, self._podman("exec", "-it", *options, cid, *args), env=self.env())

    def inspect(self, cid, fmt=None):
        if fmt:
            return self.podman("inspect", "--format", fmt, cid).stdout.decode().strip()
        return json.loads(self.podman("inspect", cid).stdout)[0]

    def pid(self, cid):
        return int(self.inspect(cid, "{{.State.Pid}}"))

    def cgroup_v2_dir(self, cid):
        rel = proc_cgroup_v2(self.pid(cid))
        return os.path.join(cgroup2_mount(), rel.lstrip("/"))

    def rm(self, cid):
        return self.podman("rm", "-f", "-t", "0", cid, check=False)
