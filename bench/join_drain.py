#!/usr/bin/python3
"""join_drain: what a nested-loop join costs when each xFilter drains.

    sudo bench/join_drain.py [--rows 10000] [--rounds 5] [--backend bpf|audit] EXT [EXT...]

Each EXT (an extension path without ".so", e.g. build/procsql and an older
build) is loaded in its own python3 process, in turn, round by round. The
process spawns --rows marked /bin/true execs, makes sure they are stored (one
query), then times

    SELECT count(*) FROM process_events e CROSS JOIN process_exits x
      ON x.pid = e.pid AND x.start_time = e.start_time
    WHERE e.argv LIKE '%<marker>%'

in which process_exits is the inner table, filtered by pid once per outer row
(--rows times). It prints each run's seconds, the drains the query made (when
the build counts them: procsql_stats' `drains`), and per EXT the median, then
the ratio of each EXT's median to the first's. Speed is measured here, never
asserted in tests.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import uuid

CHILD = r"""
import json, os, sqlite3, subprocess, sys, time
ext, rows = sys.argv[1], int(sys.argv[2])
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(ext)
m = "jd" + os.urandom(6).hex()
burst = sys.argv[3]
subprocess.run([burst, str(rows), "0", "/bin/true", "true", m], check=True, stdout=subprocess.DEVNULL)
def drains():
    r = conn.execute("SELECT value FROM procsql_stats WHERE name = 'drains'").fetchone()
    return r[0] if r else None
stored = conn.execute("SELECT count(*) FROM process_events WHERE argv LIKE ?", ("%" + m + "%",)).fetchone()[0]
d0 = drains()
t0 = time.perf_counter()
n = conn.execute("SELECT count(*) FROM process_events e CROSS JOIN process_exits x "
                 "ON x.pid = e.pid AND x.start_time = e.start_time WHERE e.argv LIKE ?",
                 ("%" + m + "%",)).fetchone()[0]
t1 = time.perf_counter()
d1 = drains()
print(json.dumps({"seconds": t1 - t0, "joined": n, "stored": stored,
                  "drains": None if d0 is None else d1 - d0 - 1}))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--backend", default="bpf", choices=["bpf", "audit"])
    ap.add_argument("--burst", default="build/tests/progs/burst")
    ap.add_argument("ext", nargs="+")
    a = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCSQL_")}
    env["PROCSQL_BACKEND"] = a.backend
    env["PROCSQL_CAPACITY"] = str(max(100000, 3 * a.rows))
    times = {e: [] for e in a.ext}
    for r in range(a.rounds):
        order = a.ext if r % 2 == 0 else list(reversed(a.ext))
        for e in order:
            p = subprocess.run([sys.executable, "-c", CHILD, os.path.abspath(e), str(a.rows), a.burst],
                               env=env, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit("%s failed: %s" % (e, p.stderr))
            res = json.loads(p.stdout)
            times[e].append(res["seconds"])
            print("round %d %-40s %8.3f s  joined %d of %d  drains %s"
                  % (r, e, res["seconds"], res["joined"], res["stored"], res["drains"]), flush=True)
    base = statistics.median(times[a.ext[0]])
    print()
    for e in a.ext:
        med = statistics.median(times[e])
        print("%-40s median %8.3f s  (min %.3f, max %.3f)  ratio to %s: %.3f"
              % (e, med, min(times[e]), max(times[e]), a.ext[0], med / base))


if __name__ == "__main__":
    main()
