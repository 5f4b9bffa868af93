#!/usr/bin/python3
"""Where one BPF program's time goes, by source line, under an exec storm.

bpf_stats gives a program's total time per run; this names the lines that
spend it. The program is loaded by the extension (in a child process, as
exec_cost.py does), the storm of exec_cost.py runs (same typical
environment) while `perf record -a -g` samples every CPU, and each sample
that lies in the program, or in a kernel function it called, is charged to
the source line it was at (for a call: the line that made it). The JIT
image's line table comes from bench/bpf_lines (BUILD/bench/bpf_lines).

Reported: the program's ns per exec (bpf_stats over the same storm), the
samples in it, their split by source file, and the lines that hold the most, each with its share, that
share of the ns per exec, and the functions it spent them in ("self": the
program's own instructions). Sampling in a VM uses the hrtimer (cpu-clock):
shares of a few percent are noise; compare builds with exec_cost.py.

Usage (root, no other procsql collector running):
  /usr/bin/python3 bench/bpf_profile.py --build build [--prog procsql_exec]
      [--execs 20000] [--freq 20000] [--top 30]
"""
import argparse
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from exec_cost import CHILD, procsql_programs, prog_stats, storm, typical_env  # noqa: E402


def prog_ids(names):
    return {p["id"] for p in procsql_programs() if p["name"] in names}


def jit_lines(tool, prog_id):
    """[(start, end)] of the image's functions and sorted [(addr, 'file:line text')]."""
    out = subprocess.run([tool, str(prog_id)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr.strip() or "bpf_lines failed")
    funcs, lines = [], []
    for row in out.stdout.splitlines():
        kind, rest = row.split(" ", 1)
        if kind == "func":
            addr, length = rest.split()
            funcs.append((int(addr, 16), int(addr, 16) + int(length)))
        else:
            addr, where = rest.split(" ", 1)
            lines.append((int(addr, 16), " ".join(where.split())))
    lines.sort()
    return funcs, lines


def line_at(lines, addr):
    lo, hi = 0, len(lines)
    while lo < hi:
        mid = (lo + hi) // 2
        if lines[mid][0] <= addr:
            lo = mid + 1
        else:
            hi = mid
    return lines[lo - 1][1] if lo else "?"


def samples(perf_data):
    """Each sample's call chain, innermost first, as [(addr, symbol)]."""
    proc = subprocess.Popen(["perf", "script", "-i", perf_data, "-F", "ip,sym"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    chain = []
    for row in proc.stdout:
        row = row.strip()
        if not row:
            if chain:
                yield chain
            chain = []
            continue
        parts = row.split(None, 1)
        try:
            chain.append((int(parts[0], 16), parts[1] if len(parts) > 1 else "?"))
        except ValueError:
            continue
    if chain:
        yield chain
    proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--prog", default="procsql_exec", help="program name (its _nl variant counts too)")
    ap.add_argument("--execs", type=int, default=20000)
    ap.add_argument("--freq", type=int, default=20000, help="perf samples per second per CPU")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--env-vars", type=int, default=30)
    ap.add_argument("--env-bytes", type=int, default=2048)
    args = ap.parse_args()
    tool = os.path.join(args.build, "bench", "bpf_lines")
    names = {args.prog, args.prog + "_nl"}

    before_ids = prog_ids(names)
    child = subprocess.Popen([sys.executable, "-c", CHILD, os.path.join(args.build, "procsql")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    stats_was = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    try:
        if child.stdout.readline().strip() != "ready":
            raise SystemExit("cannot load the extension")
        ours = prog_ids(names) - before_ids
        if len(ours) != 1:
            raise SystemExit("expected one %s program of this collector, found %d" % (args.prog, len(ours)))
        pid = ours.pop()
        funcs, lines = jit_lines(tool, pid)
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "perf.data")
            perf = subprocess.Popen(["perf", "record", "-q", "-F", str(args.freq), "-a", "-g", "-o", data],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
            s0, _ = prog_stats({pid})
            issued, wall = storm(args.execs, typical_env(args.env_vars, args.env_bytes), os.cpu_count() or 1)
            s1, _ = prog_stats({pid})
            perf.send_signal(signal.SIGINT)
            perf.wait()
            runs = sum(c for c, _ in s1.values()) - sum(c for c, _ in s0.values())
            ns = sum(n for _, n in s1.values()) - sum(n for _, n in s0.values())
            per_line = collections.Counter()
            callees = collections.defaultdict(collections.Counter)
            total = 0
            for chain in samples(data):
                for k, (addr, sym) in enumerate(chain):
                    if any(a <= addr < b for a, b in funcs):
                        # A frame above the innermost holds a return address:
                        # the call is the instruction before it.
                        where = line_at(lines, addr if k == 0 else addr - 1)
                        callee = "self" if k == 0 else chain[k - 1][1].split("+")[0]
                        per_line[where] += 1
                        callees[where][callee] += 1
                        total += 1
                        break
    finally:
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write(stats_was)
        if child.poll() is None:
            child.stdin.write("\n")
            child.stdin.flush()
            child.wait()

    ns_per_run = ns / max(runs, 1)
    print("%s (id %d): %d runs, %.0f ns per run (bpf_stats); %d execs in %.2f s; %d samples in it"
          % (args.prog, pid, runs, ns_per_run, issued, wall, total))
    if not total:
        raise SystemExit("no sample fell in the program")
    print()
    print("| source file | share | ns/run |")
    print("|---|---|---|")
    files = collections.Counter()
    for where, n in per_line.items():
        files[where.split(":")[0]] += n
    for name, n in files.most_common():
        print("| %s | %.1f%% | %.0f |" % (name, 100 * n / total, ns_per_run * n / total))
    print()
    print("| share | ns/run | line | spent in |")
    print("|---|---|---|---|")
    for where, n in per_line.most_common(args.top):
        spent = ", ".join("%s %d%%" % (c, round(100 * m / n)) for c, m in callees[where].most_common(3))
        print("| %.1f%% | %.0f | `%s` | %s |" % (100 * n / total, ns_per_run * n / total, where.replace("|", "\\|"),
                                                spent))


if __name__ == "__main__":
    main()
