#!/usr/bin/python3
"""attach_latency: from `.load` to the first row, attached to a running
procsqld versus a collector of the process's own (embedded).

    sudo /usr/bin/python3 bench/attach_latency.py [--build build] [--rounds 15]

Run from the repository root as root. It starts a procsqld (BUILD/procsqld)
in a temporary state directory, makes 20 marked execs so that its store has
rows, then runs rounds of these, the order rotating every round:

  attach    sqlite3 :memory: ".load BUILD/procsql" "select eid from process_events limit 1"
            with PROCSQL_MODE=attach PROCSQL_STATE_DIR=<the daemon's directory>
  embedded  the same command with PROCSQL_MODE=embedded
  bare      sqlite3 :memory: "select 1": the shell's own start, no procsql

each timed as a whole process (fork to reap), and the same two modes inside a
Debian python3 child that times, with perf_counter, the `load_extension`
call, the first query, a second one, and the connection's close (which
releases the collector: embedded, that detaches the BPF programs) separately
(the child's own start-up is not in those figures). The first query of an attached process includes
its read-your-writes wait: it wakes the daemon's publisher and waits for its
watermark (the daemon drains its BPF ring buffer and publishes
container_map and procsql_stats).

Note that an embedded collector has no history: its first query returns no
row (nothing was exec'd since it started); the attached one returns the
daemon's first row. So "to first row" is, for embedded, load + first query.

Prints per mode min / median / max in ms, and the medians of the per-round
ratios attach / embedded. Speed is measured here, never asserted in tests.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procsqld_helper as h  # noqa: E402

QUERY = "select eid from process_events limit 1"

CHILD = r"""
import json, sqlite3, sys, time
ext = sys.argv[1]
t0 = time.perf_counter()
c = sqlite3.connect(":memory:")
c.enable_load_extension(True)
t1 = time.perf_counter()
c.load_extension(ext)
t2 = time.perf_counter()
rows = c.execute(%r).fetchall()
t3 = time.perf_counter()
c.execute(%r).fetchall()
t4 = time.perf_counter()
stats = dict(c.execute("select name, value from procsql_stats where name in "
                       "('mode', 'attach.drain_timeouts', 'daemon.pid')").fetchall())
t5 = time.perf_counter()
c.close()
t6 = time.perf_counter()
print(json.dumps({"open_ms": (t1 - t0) * 1e3, "load_ms": (t2 - t1) * 1e3, "query1_ms": (t3 - t2) * 1e3,
                  "query2_ms": (t4 - t3) * 1e3, "close_ms": (t6 - t5) * 1e3, "rows": len(rows), "stats": stats}))
""" % (QUERY, QUERY)


def whole(cmd, env):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    dt = (time.perf_counter() - t0) * 1e3
    if p.returncode != 0:
        sys.exit("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr))
    return dt, len(p.stdout.split())


def inproc(ext, env):
    p = subprocess.run(["/usr/bin/python3", "-c", CHILD, ext], env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("python child failed (%d): %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)


def spread(xs):
    return "%8.2f %8.2f %8.2f" % (min(xs), h.median(xs), max(xs))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=15)
    a = ap.parse_args()
    h.require_root()
    ext = os.path.abspath(os.path.join(a.build, "procsql"))
    daemon = h.Daemon(os.path.join(a.build, "procsqld"))
    with daemon:
        print("procsqld pid %d ready in %.0f ms, state directory %s"
              % (daemon.pid, daemon.ready_seconds * 1e3, daemon.state_dir))
        env = {"attach": h.client_env("attach", daemon.state_dir),
               "embedded": h.client_env("embedded", daemon.state_dir),
               "bare": h.clean_env()}
        marker = "al%x" % os.getpid()
        for i in range(20):
            subprocess.run(["/bin/true", marker, str(i)], check=True)
        # The marker split in two: the counting command's own argv must not match.
        n = subprocess.run(["sqlite3", ":memory:", ".load " + ext,
                            "select count(*) from process_events where argv like '%%' || '%s' || '%s%%'"
                            % (marker[:2], marker[2:])],
                           env=env["attach"], capture_output=True, text=True, check=True).stdout.strip()
        print("marked execs in the daemon's store: %s of 20" % n)

        cmds = {"attach": ["sqlite3", ":memory:", ".load " + ext, QUERY],
                "embedded": ["sqlite3", ":memory:", ".load " + ext, QUERY],
                "bare": ["sqlite3", ":memory:", "select 1"]}
        res = {m: {"whole_ms": [], "rows": []} for m in cmds}
        ip = {m: [] for m in ("attach", "embedded")}
        modes = ["attach", "embedded", "bare"]
        for r in range(a.rounds):
            order = modes[r % 3:] + modes[:r % 3]
            for m in order:
                dt, rows = whole(cmds[m], env[m])
                res[m]["whole_ms"].append(dt)
                res[m]["rows"].append(rows)
            for m in (("attach", "embedded") if r % 2 == 0 else ("embedded", "attach")):
                ip[m].append(inproc(ext, env[m]))
            print("round %2d: whole attach %6.1f ms, embedded %7.1f ms, bare %5.1f ms; in python: load %6.2f / %7.2f ms"
                  % (r, res["attach"]["whole_ms"][-1], res["embedded"]["whole_ms"][-1], res["bare"]["whole_ms"][-1],
                     ip["attach"][-1]["load_ms"], ip["embedded"][-1]["load_ms"]), flush=True)

    for m in ("attach", "embedded"):
        modes_seen = {x["stats"].get("mode") for x in ip[m]}
        if modes_seen != {"attached" if m == "attach" else "embedded"}:
            sys.exit("%s clients ran as %s" % (m, modes_seen))
    timeouts = sum(int(x["stats"].get("attach.drain_timeouts", 0)) for x in ip["attach"])

    print()
    print("%d rounds; ms: min / median / max" % a.rounds)
    print("%-44s %-26s %-26s %s" % ("", "attach", "embedded", "attach/embedded (median of per-round ratios)"))

    def line(label, xa, xe):
        ratios = [x / y for x, y in zip(xa, xe)]
        print("%-44s %-26s %-26s %.4f" % (label, spread(xa), spread(xe), h.median(ratios)))

    line("sqlite3 command, whole process", res["attach"]["whole_ms"], res["embedded"]["whole_ms"])
    for key, label in (("load_ms", "python: load_extension"), ("query1_ms", "python: first query"),
                       ("query2_ms", "python: second query"), ("close_ms", "python: close (releases the collector)")):
        line(label, [x[key] for x in ip["attach"]], [x[key] for x in ip["embedded"]])
    line("python: load_extension + first query", [x["load_ms"] + x["query1_ms"] for x in ip["attach"]],
         [x["load_ms"] + x["query1_ms"] for x in ip["embedded"]])
    print("%-44s %s" % ("sqlite3 \"select 1\" (no procsql), whole process", spread(res["bare"]["whole_ms"])))
    print("rows returned by the first query: attach %s, embedded %s"
          % (sorted(set(res["attach"]["rows"])), sorted(set(res["embedded"]["rows"]))))
    print("attached clients' drain timeouts: %d" % timeouts)


if __name__ == "__main__":
    main()
