"""Real OCI containers for procsql's integration tests: Debian's `runc` with a
rootfs made of Debian's static busybox. Nothing is simulated: the container
gets real pid/mount/net/ipc/uts namespaces and a real cgroup.

    c = Container(self, ["sh", "-c", "/bin/true " + m + "; exit 7"])
    r = c.run()                      # foreground `runc run`, returns RunResult
    r.returncode == 7

    c = Container(self, ["sh", "-c", "echo ready; read x; exit 0"])
    c.start()                        # `runc run` in the background
    c.read_until(b"ready")
    pid = c.pid()                    # host pid of the container's init
    os.stat(c.cgroup_v2_dir()).st_ino   # == cgroup_id of its processes
    c.send(b"go\\n"); c.wait() == 0

    c = Container(self, ["sh"], terminal=True)   # runc run under a pty
    c.start(); c.send(b"exit 5\\n"); c.wait() == 5

    c = Container(self, ["sh", "-c", "exit 6"])
    pid = c.create()                 # `runc create`: init waits in runc:[2:INIT]
    c.start_created(); c.wait_created() == 6   # we are its subreaper

    c.exec(["/bin/true"])            # `runc exec` into a running container

Every Container registers its own cleanup with the test case (addCleanup):
the `runc run` process is killed if still alive, `runc delete -f ID` runs,
leftover cgroup directories of its unique cgroupsPath are removed and the
bundle directory is deleted — also when the test fails.

What works on this machine (Debian 12, runc 1.1.5+ds1, no systemd, cgroup v1
controllers at /sys/fs/cgroup/<ctrl> plus cgroup v2 at /sys/fs/cgroup/unified,
i.e. the "hybrid" layout):

  * runc's default cgroupfs driver (no --systemd-cgroup: there is no systemd).
  * `linux.cgroupsPath` RELATIVE (no leading '/'), e.g. "procsql-<id>": runc
    1.1 puts a relative path under runc's OWN cgroup in every hierarchy, so
    the container lands next to the test in each v1 controller (e.g.
    memory:/<our memory cgroup>/procsql-<id>) and, in hybrid mode, also in the
    v2 hierarchy at /sys/fs/cgroup/unified/<our v2 cgroup>/procsql-<id>
    (/proc/PID/cgroup line "0::/procsql-<id>"). runc removes those directories
    when the container is deleted. An absolute cgroupsPath works too, but
    would move the container out of the memory cgroup the test runs in.
  * the rest of `runc spec`'s default config is accepted unchanged: namespaces
    pid, network, ipc, uts, mount (cgroup namespace optional), read-only
    root, default capabilities, devices cgroup deny-all.
  * state lives in runc's default --root, /run/runc (RUNC_ROOT below), as
    for any container a user starts, so whatever reads runc's state
    (PROCSQL_RUNC_ROOTS) sees ours; ids are unique ("procsql-<hex>"), so they
    never collide with anyone else's. Container(root=...) picks another.

Observed with this runc (1.1.5): `runc run` forks `runc init` by exec'ing
/proc/self/exe (comm "exe", path /usr/sbin/runc), which re-execs a read-only
"cloned binary" through execveat(fd) with filename /dev/fd/N: in 1.1.5 that fd
is a detached read-only bind mount of the runc binary (try_bindfd), so
/proc/PID/exe reads "/" and comm is "runc"; runc versions that use
memfd_create show "/memfd:runc_cloned:/proc/self/exe (deleted)" instead.
nsexec then renames its stages "runc:[0:PARENT]", "runc:[1:CHILD]" and
"runc:[2:INIT]". The calls, as clone_events shows them:

  runc (Go, path /usr/sbin/runc)  clone  CLONE_VM|CLONE_VFORK    -> runc init
  runc:[0:PARENT] (path "/")      clone  CLONE_PARENT            -> [1:CHILD]
  runc:[1:CHILD]                  unshare CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|
                                          CLONE_NEWPID|CLONE_NEWNET
  runc:[1:CHILD]                  clone  CLONE_PARENT            -> [2:INIT]
  runc:[2:INIT]                   unshare CLONE_NEWCGROUP (only with a cgroup ns)
  [2:INIT] then execs the container's process (ns_pid 1). With CLONE_PARENT
  every stage is a child of `runc run` itself. Between `runc create` and
  `runc start` the init waits as "runc:[2:INIT]" (its /proc/PID/exe "/").
"""

import errno
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import uuid

from procsql_test import require_root, unavailable

BUSYBOX = "/bin/busybox"
RUNC_ROOT = "/run/runc"

# Applets linked into /bin of the rootfs (each a symlink to /bin/busybox).
DEFAULT_APPLETS = (
    "sh", "ls", "true", "false", "sleep", "cat", "echo", "id", "ps", "pwd",
    "env", "readlink", "hostname", "mkdir", "test", "kill", "grep", "touch",
    "rm", "unshare", "nsenter",
)

# OCI namespace type names, as in config.json.
NAMESPACE_TYPES = ("pid", "network", "ipc", "uts", "mount", "user", "cgroup")


def runc_path():
    return shutil.which("runc", path="/usr/sbin:/usr/bin:/sbin:/bin")


def _is_static_elf(path):
    """True if PATH is an ELF executable without a PT_INTERP (static)."""
    with open(path, "rb") as f:
        hdr = f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2:  # 64-bit only
            return False
        endian = "<" if hdr[5] == 1 else ">"
        phoff, = struct.unpack(endian + "Q", hdr[32:40])
        phentsize, phnum = struct.unpack(endian + "HH", hdr[54:58])
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, = struct.unpack(endian + "I", f.read(4))
            if p_type == 3:  # PT_INTERP
                return False
    return True


_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37


def _prctl(*args):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.restype = ctypes.c_int
    rc = libc.prctl(*[ctypes.c_ulong(a) if isinstance(a, int) else a for a in args])
    if rc < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return rc


def _get_subreaper():
    import ctypes
    v = ctypes.c_int(0)
    _prctl(_PR_GET_CHILD_SUBREAPER, ctypes.cast(ctypes.byref(v), ctypes.c_void_p).value, 0, 0, 0)
    return v.value


def _set_subreaper(on):
    _prctl(_PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0)


def require_runc(tc):
    """Root, runc and a static busybox; fails under CI=true, skips otherwise."""
    require_root(tc)
    if not runc_path():
        unavailable(tc, "runc not installed")
    if not os.path.exists(BUSYBOX):
        unavailable(tc, BUSYBOX + " not installed (busybox-static)")
    if not _is_static_elf(BUSYBOX):
        unavailable(tc, BUSYBOX + " is not statically linked (install busybox-static)")
    if cgroup2_mount() is None:
        unavailable(tc, "no cgroup2 mount")


def cgroup2_mount():
    """Mount point of the cgroup v2 hierarchy (/sys/fs/cgroup/unified here)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            if fields[sep + 1] == "cgroup2":
                return fields[4]
    return None


def proc_cgroup_v2(pid):
    """The v2 cgroup path of PID ("0::" line of /proc/PID/cgroup)."""
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].rstrip("\n")
    return None


def ns_inode(pid, kind):
    """Inode of /proc/PID/ns/KIND (mnt, pid, net, ...)."""
    return os.stat("/proc/%d/ns/%s" % (pid, kind)).st_ino


def unique_id(prefix="procsql"):
    """A container id (also a valid cgroup directory name), unique per call."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:20])


def build_rootfs(rootfs, applets=DEFAULT_APPLETS, files=None):
    """A minimal rootfs: /bin/busybox (a copy) plus applet symlinks, the
    directories the default config mounts on, /tmp and a /etc/passwd.
    FILES maps paths inside the rootfs to contents (str/bytes)."""
    for d in ("bin", "proc", "sys", "dev", "tmp", "etc", "root", "work"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    os.chmod(os.path.join(rootfs, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
    for a in applets:
        link = os.path.join(rootfs, "bin", a)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    base = {"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"
                          "nobody:x:65534:65534:nobody:/:/bin/false\n",
            "etc/group": "root:x:0:\nnogroup:x:65534:\n"}
    base.update(files or {})
    for rel, data in base.items():
        path = os.path.join(rootfs, rel.lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
    return rootfs


class RunResult:
    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode  # the container process's exit status
        self.stdout = stdout  # bytes (with a terminal: everything the pty showed)
        self.stderr = stderr  # bytes (empty with a terminal)

    def __repr__(self):
        return "RunResult(rc=%r, stdout=%r, stderr=%r)" % (
            self.returncode, self.stdout, self.stderr)


class Container:
    """One OCI bundle and the `runc run` of it.

    args        the container's argv (process.args)
    terminal    process.terminal; `runc run` then runs under a pty made here
    env         extra "K=V" strings (added to runc spec's PATH/TERM)
    cwd         process.cwd inside the container
    hostname    (default: the container id)
    namespaces  OCI types to create (default: runc spec's pid, network, ipc,
                uts, mount); e.g. add "cgroup"
    cgroups_path  linux.cgroupsPath (default: relative "<id>", see module doc);
                None keeps the default, "" removes the key (runc then uses the
                container id relative to its own cgroup)
    annotations dict of annotations
    applets     busybox applet symlinks in /bin
    files       extra rootfs files {path: contents}
    readonly    root.readonly
    edit        a function(config_dict) for any further change
    root        runc's --root (default /run/runc)
    """

    def __init__(self, tc, args, terminal=False, env=None, cwd="/", hostname=None,
                 namespaces=None, cgroups_path=None, annotations=None,
                 applets=DEFAULT_APPLETS, files=None, readonly=True, edit=None,
                 id_prefix="procsql", root=RUNC_ROOT):
        require_runc(tc)
        self.tc = tc
        self.runc = runc_path()
        self.root = root  # runc --root (state directory)
        self.id = unique_id(id_prefix)
        self.bundle = tempfile.mkdtemp(prefix="procsql-bundle-")
        os.chmod(self.bundle, 0o755)
        self.rootfs = os.path.join(self.bundle, "rootfs")
        self.proc = None
        self.master = None
        self.terminal = terminal
        self._out = bytearray()
        self._err = bytearray()
        self.cgroups_path = self.id if cgroups_path is None else cgroups_path
        self._cgroup_dirs = []  # v1/v2 directories to remove if runc left them
        self.runc_pid = None  # pid of `runc run` / `runc create`
        self.created_pid = None  # init pid after create()
        self._reaped = False
        self._saved_subreaper = None
        tc.addCleanup(self.cleanup)

        build_rootfs(self.rootfs, applets, files)
        subprocess.run([self.runc, "spec", "--bundle", self.bundle], check=True,
                       capture_output=True)
        with open(os.path.join(self.bundle, "config.json")) as f:
            c = json.load(f)
        c["process"]["args"] = list(args)
        c["process"]["terminal"] = bool(terminal)
        c["process"]["cwd"] = cwd
        c["process"]["env"] = list(c["process"].get("env", [])) + list(env or [])
        c["root"]["readonly"] = bool(readonly)
        c["hostname"] = hostname if hostname is not None else self.id[:63]
        if namespaces is not None:
            c["linux"]["namespaces"] = [{"type": t} for t in namespaces]
        if self.cgroups_path:
            c["linux"]["cgroupsPath"] = self.cgroups_path
        else:
            c["linux"].pop("cgroupsPath", None)
        if annotations:
            c["annotations"] = dict(annotations)
        if edit:
            edit(c)
        self.config = c
        self.write_config()

    # ---- bundle

    def write_config(self):
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)

    def _runc(self, *args):
        return [self.runc, "--root", self.root] + list(args)

    # ---- running

    def start(self):
        """`runc run --bundle B ID` in the background (foreground runc, i.e.
        it stays until the container exits and returns its status). Without a
        terminal the container's stdin/stdout/stderr are pipes (send(),
        read_until()); with one, runc runs on a pty whose master we hold."""
        assert self.proc is None, "already started"
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        self._remember_cgroup_dirs()
        argv = self._runc("run", "--bundle", self.bundle, self.id)
        if self.terminal:
            master, slave = os.openpty()
            self.master = master
            try:
                self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave,
                                             stderr=slave, start_new_session=True)
            finally:
                os.close(slave)
            os.set_blocking(master, False)
        else:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
            os.set_blocking(self.proc.stdout.fileno(), False)
            os.set_blocking(self.proc.stderr.fileno(), False)
        self.runc_pid = self.proc.pid
        return self

    def run(self, input=None, timeout=120):
        """Start, optionally send INPUT, wait; return a RunResult."""
        self.start()
        if input is not None:
            self.send(input)
        if not self.terminal:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        rc = self.wait(timeout)
        return RunResult(rc, bytes(self._out), bytes(self._err))

    def create(self):
        """`runc create --bundle B ID`: the container's init is set up and waits
        (as "runc:[2:INIT]", still running runc's cloned binary) until
        start_created(). Its stdio go to files in the bundle (read with
        created_output()). runc create exits at once, so this process becomes
        a child subreaper (restored at cleanup) to inherit the init and reap
        it: wait_created() returns its exit status."""
        assert self.proc is None and self.created_pid is None, "already started"
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        self._remember_cgroup_dirs()
        if self._saved_subreaper is None:
            self._saved_subreaper = _get_subreaper()
            _set_subreaper(1)
        with open(os.path.join(self.bundle, "stdout"), "wb") as out, \
                open(os.path.join(self.bundle, "stderr"), "wb") as err:
            p = subprocess.Popen(self._runc("create", "--bundle", self.bundle, self.id),
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            self.runc_pid = p.pid
            p.wait()
        if p.returncode != 0:
            raise AssertionError("runc create exited %d: %s" % (
                p.returncode, open(os.path.join(self.bundle, "stderr"), "rb").read()))
        self.created_pid = self.pid()
        return self.created_pid

    def start_created(self):
        p = subprocess.run(self._runc("start", self.id), capture_output=True)
        if p.returncode != 0:
            raise AssertionError("runc start exited %d: %r" % (p.returncode, p.stderr))

    def wait_created(self, timeout=120):
        """Reap the created container's init; its exit status (a negative
        signal number if a signal ended it, as subprocess does)."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.created_pid, os.WNOHANG)
            if pid:
                self._reaped = True
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                raise AssertionError("container %s still running after %ss" % (self.id, timeout))
            time.sleep(0.05)

    def created_output(self):
        with open(os.path.join(self.bundle, "stdout"), "rb") as f:
            return f.read()

    def _pump(self, wait_s):
        """Read whatever is available within WAIT_S seconds; False at EOF."""
        if self.terminal:
            streams = {self.master: "tty"} if self.master is not None else {}
        else:
            streams = {f.fileno(): name for f, name in ((self.proc.stdout, "out"),
                                                        (self.proc.stderr, "err"))
                       if not f.closed}
        if not streams:
            return False
        ready, _, _ = select.select(list(streams), [], [], wait_s)
        alive = False
        for fd, name in streams.items():
            if fd not in ready:
                alive = True
                continue
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                alive = True
                continue
            except OSError as e:  # a pty master reads EIO once the slave is gone
                if e.errno != errno.EIO:
                    raise
                data = b""
            if data:
                alive = True
                (self._err if name == "err" else self._out).extend(data)
            elif name == "tty":
                os.close(self.master)
                self.master = None
            elif name == "out":
                self.proc.stdout.close()
            else:
                self.proc.stderr.close()
        return alive

    def read_until(self, token, timeout=60):
        """Read the container's output until TOKEN (bytes) appears; return all
        output so far. The timeout only bounds a hang; it is no assertion."""
        deadline = time.monotonic() + timeout
        while token not in self._out:
            if time.monotonic() > deadline:
                raise AssertionError("container %s: %r not seen in %ss; output %r, stderr %r"
                                     % (self.id, token, timeout, bytes(self._out),
                                        bytes(self._err)))
            if not self._pump(0.2) and token not in self._out:
                raise AssertionError("container %s ended before %r; rc=%r output %r stderr %r"
                                     % (self.id, token, self.proc.poll(), bytes(self._out),
                                        bytes(self._err)))
        return bytes(self._out)

    def send(self, data):
        if self.terminal:
            os.write(self.master, data)
        else:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def wait(self, timeout=120):
        """Wait for `runc run` (hence the container) to exit; its status."""
        deadline = time.monotonic() + timeout
        while self._pump(0.2):
            if time.monotonic() > deadline:
                raise AssertionError("container %s still running after %ss" % (self.id, timeout))
        left = max(1.0, deadline - time.monotonic())
        return self.proc.wait(left)

    @property
    def output(self):
        return bytes(self._out)

    @property
    def errors(self):
        return bytes(self._err)

    # ---- inspecting

    def state(self):
        """`runc state ID` as a dict, or None if runc does not know it."""
        p = subprocess.run(self._runc("state", self.id), capture_output=True)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)

    def pid(self):
        """Host pid of the container's init process (while it runs)."""
        st = self.state()
        if not st or not st.get("pid"):
            raise AssertionError("container %s has no pid: %r" % (self.id, st))
        return st["pid"]

    def cgroup_v2_dir(self):
        """Directory of the container's cgroup in the v2 hierarchy (while it
        runs); its inode is the cgroup id the kernel reports."""
        rel = proc_cgroup_v2(self.pid())
        if rel is None:
            raise AssertionError("container %s is in no v2 cgroup" % self.id)
        return os.path.join(cgroup2_mount(), rel.lstrip("/"))

    def exec(self, args, check=True, timeout=60):
        """`runc exec ID ARGS...` (joins the running container); returns the
        CompletedProcess."""
        p = subprocess.run(self._runc("exec", self.id) + list(args),
                           capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("runc exec %r exited %d: %r" % (args, p.returncode, p.stderr))
        return p

    def kill(self, sig=signal.SIGKILL):
        subprocess.run(self._runc("kill", self.id, str(int(sig))), capture_output=True)

    # ---- cleanup

    def _remember_cgroup_dirs(self):
        """Where a relative cgroupsPath lands: under our own cgroup in each
        hierarchy (v1 controllers and v2)."""
        if not self.cgroups_path or ":" in self.cgroups_path:
            return
        try:
            with open("/proc/self/cgroup") as f:
                lines = [l.rstrip("\n").split(":", 2) for l in f]
        except OSError:
            return
        for _, ctrls, path in lines:
            if ctrls == "":
                root = cgroup2_mount()
            else:
                name = ctrls.split(",")[0].replace("name=", "")
                root = os.path.join("/sys/fs/cgroup", name)
            if not root or not os.path.isdir(root):
                continue
            base = "/" if self.cgroups_path.startswith("/") else path
            d = os.path.join(root, base.lstrip("/"), self.cgroups_path.lstrip("/"))
            self._cgroup_dirs.append(os.path.normpath(d))

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.kill(signal.SIGKILL)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass
        if self.master is not None:
            os.close(self.master)
            self.master = None
        if os.path.isdir(self.root):
            subprocess.run(self._runc("delete", "-f", self.id), capture_output=True)
        if self.created_pid is not None and not self._reaped:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    if os.waitpid(self.created_pid, os.WNOHANG)[0]:
                        break
                except ChildProcessError:
                    break
                time.sleep(0.05)
            self._reaped = True
        if self._saved_subreaper is not None:
            _set_subreaper(self._saved_subreaper)
            self._saved_subreaper = None
        for d in self._cgroup_dirs:
            # Only our own unique leaf; rmdir fails harmlessly if it is gone.
            try:
                os.rmdir(d)
            except OSError:
                pass
        shutil.rmtree(self.bundle, True)
