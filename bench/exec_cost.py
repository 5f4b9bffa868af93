#!/usr/bin/python3
"""The eBPF programs' cost per exec, two builds side by side in one run.

Each round loads one build's extension in a child process (Debian's python3
sqlite3 module: the collector starts), runs an exec storm from this process
(N execs of /bin/true, one spawning thread per CPU, each exec given the same
environment: by default 30 variables, about 2 KiB, like a login shell's), and
reads every procsql_ program's run_cnt and run_time_ns
(kernel.bpf_stats_enabled=1 for the run, restored afterwards). Rounds
alternate the builds (A B, B A, ...) so drift hits both alike.

Reported per build (medians over rounds):
  exec program ns/exec   run_time_ns / run_cnt of procsql_exec (or _nl)
  all programs ns/exec   every procsql_ program's run time over the storm,
                         divided by the execs issued (what an exec costs in
                         all: the exec program plus the syscall tracepoints
                         that fire around it)
  execs/s                the storm's throughput
and the ratios B/A of each, per round, then their median.

Usage (root, no other procsql collector running):
  /usr/bin/python3 bench/exec_cost.py --a OLD_BUILD_DIR --b NEW_BUILD_DIR \\
      [--a-set PROCSQL_X=V] [--b-set PROCSQL_X=V]
      [--execs 4000] [--rounds 6] [--env-vars 30] [--env-bytes 2048]
(--a and --b may be the same build with different settings, e.g. --b-set PROCSQL_ENV=
to see what the environment filter costs.)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

CHILD = r"""
import sqlite3, sys
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(sys.argv[1])
conn.execute("SELECT count(*) FROM procsql_stats").fetchall()
print("ready", flush=True)
sys.stdin.readline()
"""


def typical_env(nvars, nbytes):
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/home/operator", "USER": "operator", "LOGNAME": "operator", "SHELL": "/bin/bash",
        "LANG": "en_US.UTF-8", "TERM": "xterm-256color", "PWD": "/home/operator",
        "SSH_CONNECTION": "192.0.2.10 50122 192.0.2.20 22", "SSH_CLIENT": "192.0.2.10 50122 22",
        "SSH_TTY": "/dev/pts/0", "MAIL": "/var/mail/operator", "SHLVL": "1", "OLDPWD": "/tmp",
        "XDG_SESSION_ID": "42", "XDG_RUNTIME_DIR": "/run/user/1000", "EDITOR": "vim",
        "LESSOPEN": "| /usr/bin/lesspipe %s", "HISTSIZE": "10000", "_": "/bin/true",
    }
    i = 0
    while len(env) < nvars:
        env["APP_SETTING_%02d" % i] = "x"
        i += 1
    size = sum(len(k) + len(v) + 2 for k, v in env.items())
    if size < nbytes:
        env["LS_COLORS"] = "rs=0:di=01;34:" * ((nbytes - size) // 14 + 1)
    return env


def procsql_programs():
    """The loaded BPF programs named procsql_*, as bpftool describes them."""
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, check=True).stdout
    return [p for p in json.loads(out) if str(p.get("name", "")).startswith("procsql_")]


def prog_stats(ids=None):
    """{name: (run_cnt, run_time_ns)} of the procsql_ programs (only those with
    an id in `ids` when given), and the set of their ids."""
    stats, seen = {}, set()
    for p in procsql_programs():
        name = str(p["name"])
        if ids is not None and p["id"] not in ids:
            continue
        seen.add(p["id"])
        cnt, ns = stats.get(name, (0, 0))
        stats[name] = (cnt + p.get("run_cnt", 0), ns + p.get("run_time_ns", 0))
    return stats, seen


def storm(execs, env, threads):
    argv_base = ["/bin/true", "exec-cost-%d" % os.getpid()]
    per = execs // threads

    def worker():
        for i in range(per):
            pid = os.posix_spawn("/bin/true", argv_base + [str(i)], env)
            os.waitpid(pid, 0)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return per * threads, time.perf_counter() - t0


def one_pass(build, execs, env, threads, settings):
    ext = os.path.join(build, "procsql")
    # Only this pass's programs count: another collector on the machine (a
    # test, a procsqld) has programs of the same names.
    _, others = prog_stats()
    child_env = dict(os.environ)
    child_env.update(settings)
    child = subprocess.Popen([sys.executable, "-c", CHILD, ext], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=child_env)
    line = child.stdout.readline()
    if line.strip() != "ready":
        child.kill()
        raise SystemExit("cannot load %s" % ext)
    _, now = prog_stats()
    ours = now - others
    before, _ = prog_stats(ours)
    issued, wall = storm(execs, env, threads)
    after, _ = prog_stats(ours)
    child.stdin.write("\n")
    child.stdin.flush()
    child.wait()
    exec_cnt = exec_ns = all_ns = 0
    for name, (cnt, ns) in after.items():
        c0, n0 = before.get(name, (0, 0))
        all_ns += ns - n0
        if name in ("procsql_exec", "procsql_exec_nl"):
            exec_cnt += cnt - c0
            exec_ns += ns - n0
    return {"exec_ns": exec_ns / max(exec_cnt, 1), "all_ns": all_ns / issued, "rate": issued / wall}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True, help="build directory A (before)")
    ap.add_argument("--b", required=True, help="build directory B (after)")
    ap.add_argument("--a-set", action="append", default=[], metavar="NAME=VALUE",
                    help="a PROCSQL_* setting for A's collector (repeatable)")
    ap.add_argument("--b-set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--execs", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--env-vars", type=int, default=30)
    ap.add_argument("--env-bytes", type=int, default=2048)
    args = ap.parse_args()
    env = typical_env(args.env_vars, args.env_bytes)
    print("environment: %d variables, %d bytes" % (len(env), sum(len(k) + len(v) + 2 for k, v in env.items())))
    threads = os.cpu_count() or 1
    old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    results = {"a": [], "b": []}
    try:
        for r in range(args.rounds):
            order = ("a", "b") if r % 2 == 0 else ("b", "a")
            for side in order:
                settings = dict(kv.split("=", 1) for kv in getattr(args, side + "_set"))
                res = one_pass(getattr(args, side), args.execs, env, threads, settings)
                results[side].append(res)
                print("round %d %s: exec program %.0f ns/exec, all programs %.0f ns/exec, %.0f execs/s"
                      % (r, side.upper(), res["exec_ns"], res["all_ns"], res["rate"]), flush=True)
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    print()
    print("| measure | A (median) | B (median) | B/A (median of per-round ratios) |")
    print("|---|---|---|---|")
    for key, label in (("exec_ns", "exec program, ns/exec"), ("all_ns", "all programs, ns/exec"),
                       ("rate", "storm, execs/s")):
        a = [x[key] for x in results["a"]]
        b = [x[key] for x in results["b"]]
        ratios = [y / x for x, y in zip(a, b) if x]
        print("| %s | %.0f | %.0f | %.3f |" % (label, statistics.median(a), statistics.median(b),
                                               statistics.median(ratios)))


if __name__ == "__main__":
    main()
