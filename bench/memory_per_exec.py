#!/usr/bin/python3
"""Bytes of memory per retained exec, measured on the whole system.

Run as root from the repository root, with Debian's python3:

    sudo /usr/bin/python3 bench/memory_per_exec.py [--execs 3000] [--extension build/procsql]

What it does (see bench/README.md, "memory_per_exec"):

1. Default settings (PROCSQL_CAPACITY, PROCSQL_ARENA_BYTES, PROCSQL_ARGV_BYTES
   unset). Loads the extension into python's sqlite3, which starts the
   collector, and reads the fixed cost of a row slot from procsql_stats:
   (process_events.memory_bytes - process_events.arena_bytes) / capacity.
2. Runs --execs real execs of ordinary commands (true with typical options,
   ls -la /etc, sh -c pipelines, env + grep, stat, cat, find, id) from a
   fresh working directory of its own (/tmp/pm.XXXXXX, a realistic 14 bytes),
   so its rows, and those of the children the shells start, are the rows
   whose cwd is that directory: no marker has to be added to argv.
3. Arena bytes of each of those rows, computed from the row itself exactly as
   the store lays it out: each of path, filename, cwd, parent_path, tty (the
   kernel name, "pts3" for pts/3) and the raw argv (every argument plus its
   NUL, recovered byte-exact from the argv JSON) padded to 8 bytes.
4. Cross-check of that formula against the store itself, in a second
   python process with PROCSQL_ARENA_BYTES=1M (the smallest allowed at the
   default argv bound): the workload runs until the arena has evicted
   rows, then the formula summed over every retained row (every exec on the
   host, ours and others') must be at most arena_bytes and within one row of
   it, because the retained rows' payloads are contiguous in the arena and
   the store evicts only what the newest row needs. arena_bytes / rows
   retained is then the same per-row figure, obtained from the store's
   counters alone (procsql_stats has rows_evicted_by_arena but not the bytes
   of those rows, so eviction counts alone do not give bytes).

Bytes per retained exec = slot cost + mean arena bytes of a row (at the
default argv bound, which only caps argv: an exec's argv takes what it is,
up to the bound).
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pad8(n):
    return (n + 7) // 8 * 8


def raw_argv_bytes(argv_json):
    """Length of argv as the kernel stored it: each argument and its NUL."""
    args = [a.encode("utf-8", "surrogateescape") for a in json.loads(argv_json)]
    return sum(len(a) + 1 for a in args)


def stored_tty_bytes(tty):
    if tty is None:
        return 0
    # The column shows the kernel's "pts3" as "pts/3"; the store holds "pts3".
    if tty.startswith("pts/") and tty[4:].isdigit():
        return len(tty) - 1
    return len(tty.encode("utf-8"))


def text_bytes(value):
    return 0 if value is None else len(value.encode("utf-8", "surrogateescape"))


ROW_SQL = ("SELECT path, filename, cwd, parent_path, tty, argv, cmdline_truncated, path_truncated "
           "FROM process_events")


def arena_bytes_of(row):
    """Padded arena bytes of one row, and the unpadded total."""
    path, filename, cwd, parent_path, tty, argv, _, _ = row
    lens = [text_bytes(path), text_bytes(filename), text_bytes(cwd), text_bytes(parent_path),
            stored_tty_bytes(tty), raw_argv_bytes(argv)]
    return sum(pad8(n) for n in lens), sum(lens), lens


def connect(extension):
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(extension)
    conn.enable_load_extension(False)
    return conn


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def stats(conn):
    return dict(conn.execute("SELECT name, value FROM procsql_stats"))


# Ordinary commands, as a host runs them all day. Those that start others
# (sh -c, env, xargs) add their children's execs, with the same cwd.
WORKLOAD = [
    ["/bin/true", "--quiet", "--config=/etc/default/locale"],
    ["ls", "-la", "/etc"],
    ["sh", "-c", "ls /usr/share/doc | wc -l"],
    ["env", "LANG=C", "grep", "-c", "root", "/etc/passwd"],
    ["stat", "-c", "%s %Y", "/etc/hostname"],
    ["cat", "/proc/self/status"],
    ["find", "/etc/apt", "-maxdepth", "1", "-name", "*.list"],
    ["id", "-un"],
    ["sh", "-c", "test -d /etc && date +%s"],
    ["uname", "-r"],
]


def run_workload(execs, cwd):
    """Spawns `execs` commands (children of shells come on top)."""
    failed = 0
    for i in range(execs):
        args = WORKLOAD[i % len(WORKLOAD)]
        p = subprocess.run(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        failed += p.returncode != 0
    return failed


def phase_default(args):
    """Steps 1-3: slot cost and arena bytes per row at the default settings."""
    for var in ("PROCSQL_CAPACITY", "PROCSQL_ARENA_BYTES", "PROCSQL_ARGV_BYTES"):
        if var in os.environ:
            sys.exit("memory_per_exec: unset %s: this phase measures the defaults" % var)
    rss0 = rss_bytes()
    conn = connect(args.extension)
    rss1 = rss_bytes()
    st = stats(conn)
    capacity = st["process_events.capacity"]
    arena = st["process_events.arena_bytes"]
    memory = st["process_events.memory_bytes"]
    slot = (memory - arena) / capacity

    cwd = tempfile.mkdtemp(prefix="pm.", dir="/tmp")
    try:
        failed = run_workload(args.execs, cwd)
        rows = conn.execute(ROW_SQL + " WHERE cwd = ?", (cwd,)).fetchall()
        st2 = stats(conn)
        rss2 = rss_bytes()
    finally:
        conn.close()
        shutil.rmtree(cwd, ignore_errors=True)
    if not rows:
        sys.exit("memory_per_exec: none of the workload's execs is in process_events")
    padded = [arena_bytes_of(r)[0] for r in rows]
    unpadded = [arena_bytes_of(r)[1] for r in rows]
    per_string = [sum(arena_bytes_of(r)[2][k] for r in rows) / len(rows) for k in range(6)]
    mean = sum(padded) / len(rows)
    padded.sort()
    return {
        "argv_bytes": st["argv_bytes"],
        "rss_load": rss1 - rss0,
        "rss_workload": rss2 - rss1,
        "rows_retained": st2["process_events.rows_retained"],
        "capacity": capacity,
        "arena_bytes": arena,
        "memory_bytes": memory,
        "slot_bytes": slot,
        "spawned": args.execs,
        "spawn_failures": failed,
        "rows": len(rows),
        "truncated_rows": sum(1 for r in rows if r[6] or r[7]),
        "rows_with_tty": sum(1 for r in rows if r[4] is not None),
        "arena_mean": mean,
        "arena_unpadded_mean": sum(unpadded) / len(rows),
        "arena_median": padded[len(padded) // 2],
        "arena_p99": padded[min(len(padded) - 1, int(len(padded) * 0.99))],
        "arena_max": padded[-1],
        "per_string_mean": dict(zip(["path", "filename", "cwd", "parent_path", "tty", "argv"], per_string)),
        "lost": {k: st2[k] - st.get(k, 0) for k in ("process_events.events_lost_kernel",
                                                     "process_events.rows_overwritten",
                                                     "process_events.rows_evicted_by_arena")},
    }


def phase_small_arena(args):
    """Step 4, run in its own process (the collector reads PROCSQL_* once)."""
    conn = connect(args.extension)
    st0 = stats(conn)
    arena = st0["process_events.arena_bytes"]
    cwd = tempfile.mkdtemp(prefix="pm.", dir="/tmp")
    try:
        # Until the arena has overflowed well past its first eviction.
        spawned = 0
        while spawned < 50 * args.execs:
            run_workload(500, cwd)
            spawned += 500
            if stats(conn)["process_events.rows_evicted_by_arena"] >= 2000:
                break
        # One query: the scan is one pass over the retained rows.
        rows = conn.execute(ROW_SQL).fetchall()
        st = stats(conn)
    finally:
        conn.close()
        shutil.rmtree(cwd, ignore_errors=True)
    sizes = [arena_bytes_of(r)[0] for r in rows]
    return {
        "arena_bytes": arena,
        "rows_retained": st["process_events.rows_retained"],
        "rows_read": len(rows),
        "rows_evicted_by_arena": st["process_events.rows_evicted_by_arena"],
        "spawned": spawned,
        # Not in procsql_stats today; used when it is.
        "arena_bytes_overwritten": st.get("process_events.arena_bytes_overwritten"),
        "rows_overwritten": st["process_events.rows_overwritten"],
        "formula_sum_retained": sum(sizes),
        "formula_max_row": max(sizes) if sizes else 0,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--execs", type=int, default=3000, help="commands spawned per phase (default 3000)")
    ap.add_argument("--extension", default=os.path.join(REPO, "build", "procsql"),
                    help="path given to load_extension, without .so (default: build/procsql)")
    ap.add_argument("--phase", choices=["all", "default", "small-arena"], default="all", help=argparse.SUPPRESS)
    ap.add_argument("--small-arena", default="1M", help="PROCSQL_ARENA_BYTES of the cross-check (default 1M)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("memory_per_exec: run as root (loading the eBPF collector needs it)")

    if args.phase == "default":
        print(json.dumps(phase_default(args)))
        return
    if args.phase == "small-arena":
        print(json.dumps(phase_small_arena(args)))
        return

    def child(phase, extra_env):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
        env.update(extra_env)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--phase", phase, "--execs",
                              str(args.execs), "--extension", args.extension], env=env,
                             stdout=subprocess.PIPE, check=True).stdout
        return json.loads(out)

    d = child("default", {})
    s = child("small-arena", {"PROCSQL_ARENA_BYTES": args.small_arena})

    total = d["slot_bytes"] + d["arena_mean"]
    print("memory per retained exec, default settings (PROCSQL_ARGV_BYTES=%d)" % d["argv_bytes"])
    print("  store: capacity %d rows, arena %d bytes, memory_bytes %d" % (d["capacity"], d["arena_bytes"],
                                                                          d["memory_bytes"]))
    print("  slot (fixed) cost       %8.1f bytes/row   (memory_bytes - arena_bytes) / capacity" % d["slot_bytes"])
    print("  workload: %d commands spawned (%d exited non-zero), %d rows with their cwd"
          " (children of sh/env included), %d with a tty, %d truncated"
          % (d["spawned"], d["spawn_failures"], d["rows"], d["rows_with_tty"], d["truncated_rows"]))
    print("  arena per row, mean     %8.1f bytes       (unpadded %.1f; median %d, p99 %d, max %d)"
          % (d["arena_mean"], d["arena_unpadded_mean"], d["arena_median"], d["arena_p99"], d["arena_max"]))
    print("    mean unpadded bytes per string: " +
          ", ".join("%s %.1f" % (k, v) for k, v in d["per_string_mean"].items()))
    print("  => bytes per retained exec %8.1f        (slot + arena mean)" % total)
    print("  live bytes of a full table of such rows: %.1f MiB of the %.1f MiB region"
          % (total * d["capacity"] / 2**20, d["memory_bytes"] / 2**20))
    print("  the arena would hold %d such rows: capacity (%d) evicts first, and once the arena has been"
          % (d["arena_bytes"] // d["arena_mean"], d["capacity"]))
    print("  written around (after ~%d execs) every page of the region is resident: %.1f bytes of memory"
          % (d["arena_bytes"] // d["arena_mean"], d["memory_bytes"] / d["capacity"]))
    print("  per retained row at the defaults")
    print("  process RSS: +%.1f MiB when the collector started, +%.1f MiB over the workload (%d rows retained"
          " on the host; RSS also counts the BPF ring buffer pages read and the python side)"
          % (d["rss_load"] / 2**20, d["rss_workload"] / 2**20, d["rows_retained"]))
    print("  lost during the run: %s" % d["lost"])
    print()
    print("cross-check with PROCSQL_ARENA_BYTES=%s (every exec on the host, ours and others')" % args.small_arena)
    print("  %d commands spawned; arena %d bytes, rows retained %d (read %d), evicted by arena %d, overwritten %d"
          % (s["spawned"], s["arena_bytes"], s["rows_retained"], s["rows_read"], s["rows_evicted_by_arena"],
             s["rows_overwritten"]))
    if s["rows_retained"]:
        print("  arena_bytes / rows retained             %8.1f bytes/row" % (s["arena_bytes"] / s["rows_retained"]))
    if s["arena_bytes_overwritten"] is not None and s["rows_evicted_by_arena"]:
        print("  arena_bytes_overwritten / rows evicted  %8.1f bytes/row   (the store's own count)"
              % (s["arena_bytes_overwritten"] / s["rows_evicted_by_arena"]))
    ok = s["formula_sum_retained"] <= s["arena_bytes"] and \
        s["arena_bytes"] - s["formula_sum_retained"] <= s["formula_max_row"] + 8 * 6
    print("  formula summed over retained rows      %8d of %d bytes: %s"
          % (s["formula_sum_retained"], s["arena_bytes"],
             "consistent (within one row of full)" if ok else "INCONSISTENT"))
    if not ok:
        print("  (a mismatch can come from rows appended or evicted while the scan ran on a busy host;"
              " rerun on a quiet one)")


if __name__ == "__main__":
    main()
