#!/usr/bin/python3
"""What recording syscalls (syscall_usage) costs a syscall, side by side.

A getppid loop (build/bench/getppid_loop, static, timed inside around the
loop only) runs in a real runc container, once per mode per round, while a
child process has procsql loaded (Debian's python3 sqlite3 module: the
collector starts) with:

  base   another build's procsql (--base, e.g. main's, without syscall_usage)
         when given: what the syscall path cost before this feature
  off    this build, PROCSQL_SYSCALLS unset: nothing attached for recording
  other  this build, recording on for another container (one that sleeps
         beside the loop): the loop's cgroup is not watched, so each call
         pays the sys_enter program's cgroup id and one map lookup
  own    this build, recording on for the loop's own container: each call
         is counted (lookup, atomic add, timestamp)

Modes rotate within each round (round r starts at mode r mod n), so drift hits
all alike. Reported: ns/call per mode (median over rounds), and per round the
ratio of each mode to `off` (and `off` to `base`), then their medians; `own`
also checks that the loop's calls were counted exactly.

Usage (root, runc and busybox-static installed):
  /usr/bin/python3 bench/syscall_record_cost.py [--calls 2000000] [--rounds 6]
      [--base OTHER_BUILD/procsql]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("PROCSQL_BUILD_DIR", os.path.join(ROOT, "build"))
LOOP = os.path.join(BUILD, "bench", "getppid_loop")
EXTENSION = os.path.join(BUILD, "procsql")
RUNC = shutil.which("runc") or "/usr/sbin/runc"
BUSYBOX = "/bin/busybox"

CHILD = r"""
import sqlite3, sys
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
conn.execute("SELECT count(*) FROM procsql_stats").fetchall()
print("ready", flush=True)
line = sys.stdin.readline().split()
if line and line[0] == "count" and sys.argv[1].endswith("/procsql"):
    n = conn.execute("SELECT coalesce(sum(count), 0) FROM syscall_usage WHERE container_id = ? "
                     "AND syscall = 'getppid' AND arch = 'x86_64'", (line[1],)).fetchone()[0]
    print(n, flush=True)
"""


def bundle(args, files):
    b = tempfile.mkdtemp(prefix="procsql-bench-")
    os.chmod(b, 0o755)
    rootfs = os.path.join(b, "rootfs")
    for d in ("bin", "proc", "sys", "dev", "tmp"):
        os.makedirs(os.path.join(rootfs, d))
    for name, src in files.items():
        shutil.copy2(src, os.path.join(rootfs, "bin", name))
    subprocess.run([RUNC, "spec", "--bundle", b], check=True, capture_output=True)
    with open(os.path.join(b, "config.json")) as f:
        c = json.load(f)
    c["process"]["args"] = args
    c["process"]["terminal"] = False
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump(c, f)
    return b


def run_container(cid, b):
    c_path = os.path.join(b, "config.json")
    with open(c_path) as f:
        c = json.load(f)
    c["linux"]["cgroupsPath"] = cid
    with open(c_path, "w") as f:
        json.dump(c, f)
    try:
        p = subprocess.run([RUNC, "run", "--bundle", b, cid], capture_output=True, text=True, timeout=600)
    finally:
        subprocess.run([RUNC, "delete", "-f", cid], capture_output=True)
    if p.returncode != 0:
        raise SystemExit("container %s failed: %s" % (cid, p.stderr))
    return p.stdout


class Collector:
    def __init__(self, extension, env):
        self.p = subprocess.Popen([sys.executable, "-c", CHILD, extension], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env)
        if self.p.stdout.readline().strip() != "ready":
            raise SystemExit("the extension did not load (%s)" % extension)

    def stop(self, count_of=None):
        self.p.stdin.write(("count %s\n" % count_of) if count_of else "\n")
        self.p.stdin.flush()
        n = self.p.stdout.readline().strip() if count_of else None
        self.p.wait(timeout=60)
        return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000000)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--base", help="another build's extension (path without .so)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root")
    base = None
    if a.base:
        # A copy: the other build may be rebuilt while this runs.
        tmp = tempfile.mkdtemp(prefix="procsql-bench-base-")
        shutil.copy2(os.path.realpath(a.base + ".so"), os.path.join(tmp, "procsql.so"))
        base = os.path.join(tmp, "procsql")
    tag = uuid.uuid4().hex[:8]
    other_prefix, own_prefix = "bench-other-" + tag, "bench-own-" + tag
    loop_bundle = bundle(["/bin/getppid_loop", str(a.calls)], {"getppid_loop": LOOP})
    sleeper_bundle = bundle(["/bin/sleep", "100000"], {"sleep": BUSYBOX})
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
    clean["PROCSQL_MODE"] = "embedded"
    clean["PROCSQL_BACKEND"] = "bpf"
    modes = (["base"] if base else []) + ["off", "other", "own"]
    # The other container runs the whole time (not recorded in `own`/`off`: another prefix).
    sleeper_id = other_prefix + "-sleeper"
    with open(os.path.join(sleeper_bundle, "config.json")) as f:
        c = json.load(f)
    c["linux"]["cgroupsPath"] = sleeper_id
    with open(os.path.join(sleeper_bundle, "config.json"), "w") as f:
        json.dump(c, f)
    sleeper = subprocess.Popen([RUNC, "run", "--bundle", sleeper_bundle, sleeper_id],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ns = {m: [] for m in modes}
    ratios = {m: [] for m in modes if m != "off"}
    try:
        for r in range(a.rounds):
            got = {}
            for i in range(len(modes)):
                m = modes[(r + i) % len(modes)]
                env = dict(clean)
                if m == "other":
                    env["PROCSQL_SYSCALLS"] = other_prefix
                elif m == "own":
                    env["PROCSQL_SYSCALLS"] = own_prefix
                col = Collector(base if m == "base" else EXTENSION, env)
                cid = "%s-%d" % (own_prefix if m == "own" else "bench-loop-" + tag, r)
                out = run_container(cid, loop_bundle)
                counted = col.stop(count_of=cid if m == "own" else None)
                got[m] = float(out.strip())
                ns[m].append(got[m])
                if m == "own" and int(counted) != a.calls:
                    print("  own: %s getppid calls counted, %d made" % (counted, a.calls))
            for m in modes:
                if m == "base":
                    ratios[m].append(got["off"] / got["base"])
                elif m != "off":
                    ratios[m].append(got[m] / got["off"])
            # Another benchmark on the machine may turn the kernel's BPF run
            # statistics on (each program run then also reads the clock twice).
            with open("/proc/sys/kernel/bpf_stats_enabled") as f:
                stats_on = f.read().strip()
            print("round %d: %s  (bpf_stats_enabled=%s)" % (
                r, "  ".join("%s %.1f ns" % (m, got[m]) for m in modes), stats_on), flush=True)
    finally:
        subprocess.run([RUNC, "kill", sleeper_id, "KILL"], capture_output=True)
        sleeper.wait(timeout=30)
        subprocess.run([RUNC, "delete", "-f", sleeper_id], capture_output=True)
        shutil.rmtree(loop_bundle, True)
        shutil.rmtree(sleeper_bundle, True)
    print("\nns per getppid (median of %d rounds, %d calls each):" % (a.rounds, a.calls))
    for m in modes:
        print("  %-6s %8.1f" % (m, statistics.median(ns[m])))
    print("ratios (median of per-round ratios):")
    if base:
        print("  off / base   %.3f   (recording off vs a build without syscall_usage)" % statistics.median(ratios["base"]))
    print("  other / off  %.3f   (+%.1f ns per call)" % (statistics.median(ratios["other"]),
                                                      statistics.median(ns["other"]) - statistics.median(ns["off"])))
    print("  own / off    %.3f   (+%.1f ns per call)" % (statistics.median(ratios["own"]),
                                                      statistics.median(ns["own"]) - statistics.median(ns["off"])))


if __name__ == "__main__":
    main()
