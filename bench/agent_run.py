#!/usr/bin/python3
"""agent_run: what one scheduled run of the example agents (examples/)
costs when 1,000 rows are new since the job's last commit, out of a store of
1,000,000 (issue 14's benchmark), side by side with `procsql query` doing the
same job: whole processes, start to exit, CPU and wall.

    sudo /usr/bin/python3 bench/agent_run.py --build build [--rounds 15]

Run from the repository root; BUILD/bin/procsql, BUILD/libprocsql.so.1 and
BUILD/bench/synthetic_procsqld must be built. The C agent is compiled here
against the build tree (examples/c/agent.c, linked with libprocsql and the
system libsqlite3); the Python agent loads procsql by name with
LD_LIBRARY_PATH=BUILD (as the installed package lets it without).

The store is job_window.py's: a synthetic_procsqld with --rows rows, and a
template jobs database whose job `bench` has its position --new rows before
the newest. Each timed run gets a fresh copy of the template, runs once
(`--runs 1`) the agents' default query shape over the job's window

    SELECT w.store_id, p.eid, p.time, p.pid, p.path, p.cmdline
      FROM procsql_window(@job, 'process_events') AS w
      JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi

prints --new JSON lines and commits; each run is checked (exit 0, --new
lines, the position moved to the newest row). Rounds alternate the order of
the three. Printed: median wall and CPU ms per run for each, and each agent's
median per-round ratio to `procsql query`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import job_window as jw  # noqa: E402

SQL = ("SELECT w.store_id, p.eid, p.time, p.pid, p.path, p.cmdline "
       "FROM procsql_window(@job, 'process_events') AS w "
       "JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi")


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--new", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--dir", default="/dev/shm")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    work = tempfile.mkdtemp(prefix="agent_run.", dir=args.dir)

    c_agent = os.path.join(work, "c_agent")
    subprocess.run(["gcc", "-O2", "-o", c_agent, os.path.join(src, "examples", "c", "agent.c"),
                    "-I" + os.path.join(src, "extension"), "-L" + build, "-lprocsql", "-lsqlite3",
                    "-Wl,-rpath," + build], check=True)
    py_agent = os.path.join(src, "examples", "python", "agent.py")

    d = jw.FakeDaemon(os.path.join(build, "bench", "synthetic_procsqld"), args.dir, args.rows)
    try:
        d.wait_ready()
        side = jw.Side("store", d, os.path.join(build, "bin", "procsql"), work, args.new)
        side.make_template()
        env = dict(d.env(), LD_LIBRARY_PATH=build)
        runners = {
            "procsql query": [side.procsql, "query", "--db", side.run_db, "--job", jw.JOB, "--format", "jsonl",
                              "-e", SQL],
            "C agent": [c_agent, "--db", side.run_db, "--job", jw.JOB, "--runs", "1", "--interval", "0",
                        "--sql", SQL],
            "Python agent": ["/usr/bin/python3", py_agent, "--db", side.run_db, "--job", jw.JOB, "--runs", "1",
                             "--interval", "0", "--sql", SQL],
        }
        times = {k: [] for k in runners}
        for r in range(args.rounds):
            order = list(runners)
            order = order[r % len(order):] + order[:r % len(order)]
            for name in order:
                side.fresh_run_db()
                out, err, rc, wall, cpu = jw.run(runners[name], env)
                lines = [json.loads(l) for l in out.splitlines()]
                if rc != 0 or len(lines) != args.new or lines[0]["eid"] != side.lo:
                    sys.exit("%s: exit %d, %d lines, %r" % (name, rc, len(lines), err))
                row = jw.job_row(side.run_db)
                if row[1] != args.rows:
                    sys.exit("%s: the position is %r after the run" % (name, row))
                times[name].append((wall, cpu))
        base = times["procsql query"]
        print("%d rows held, %d new, %d rounds" % (args.rows, args.new, args.rounds))
        print("%-14s %10s %10s %12s %12s" % ("", "wall ms", "CPU ms", "wall ratio", "CPU ratio"))
        for name, ts in times.items():
            wr = median([t[0] / b[0] for t, b in zip(ts, base)])
            cr = median([t[1] / b[1] for t, b in zip(ts, base)])
            print("%-14s %10.2f %10.2f %12.3f %12.3f" % (name, median([t[0] for t in ts]) * 1e3,
                                                        median([t[1] for t in ts]) * 1e3, wr, cr))
    finally:
        d.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
