#!/usr/bin/python3
"""What the collector costs, measured side by side in one run.

1. A getppid loop (build/bench/syscall_loop) timed in rounds that alternate
   WITHOUT and WITH the collector loaded (in this process, through Debian's
   python3 sqlite3 module), so the machine's drift hits both alike. Reported:
   calls/s each way and the median per-round ratio with/without.
2. With kernel.bpf_stats_enabled=1 (restored afterwards), a workload of forks,
   execs, unshares and setns runs under the collector, and each procsql_
   program's run_cnt and run_time_ns give its cost per event.

Usage (root): /usr/bin/python3 bench/lifecycle_cost.py [--calls N] [--rounds R]
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("PROCSQL_BUILD_DIR", os.path.join(ROOT, "build"))
LOOP = os.path.join(BUILD, "bench", "syscall_loop")
EXTENSION = os.path.join(BUILD, "procsql")


def timed_loop(calls):
    t0 = time.perf_counter()
    subprocess.run([LOOP, str(calls)], check=True)
    return calls / (time.perf_counter() - t0)


def load():
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(EXTENSION)
    conn.execute("SELECT count(*) FROM procsql_stats").fetchall()
    return conn


def prog_stats():
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, check=True).stdout
    return {p["name"]: p for p in json.loads(out) if str(p.get("name", "")).startswith("procsql_")}


def workload():
    for _ in range(50):
        subprocess.run(["/bin/true"], check=True)
        subprocess.run(["unshare", "-n", "true"], check=True)
        subprocess.run(["nsenter", "--net=/proc/%d/ns/net" % os.getpid(), "true"], check=True)
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    timed_loop(args.calls // 10)  # warm-up
    without, with_, ratios = [], [], []
    for r in range(args.rounds):
        a = timed_loop(args.calls)
        conn = load()
        b = timed_loop(args.calls)
        conn.close()
        without.append(a)
        with_.append(b)
        ratios.append(b / a)
        print("round %d: without %.0f calls/s, with %.0f calls/s, ratio %.3f" % (r + 1, a, b, b / a))
    print("getppid loop, %d calls x %d rounds: median without %.0f/s, with %.0f/s, "
          "median ratio with/without %.3f (min %.3f, max %.3f)" % (
              args.calls, args.rounds, statistics.median(without), statistics.median(with_),
              statistics.median(ratios), min(ratios), max(ratios)))

    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        old = f.read().strip()
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1")
    try:
        conn = load()
        workload()
        conn.execute("SELECT count(*) FROM procsql_stats").fetchall()
        stats = prog_stats()
        conn.close()
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(old)
    print("\nper-program cost (kernel.bpf_stats_enabled), workload: 50 x (exec, unshare -n, nsenter --net, fork)")
    print("%-18s %10s %14s %12s" % ("program", "runs", "run_time_ns", "ns/run"))
    for name in sorted(stats):
        p = stats[name]
        cnt, ns = p.get("run_cnt", 0), p.get("run_time_ns", 0)
        print("%-18s %10d %14d %12s" % (name, cnt, ns, "%.0f" % (ns / cnt) if cnt else "-"))


if __name__ == "__main__":
    main()
