#!/usr/bin/python3
"""attach_query: SQL scan rate over real exec rows, a client attached to a
running procsqld versus a client with a collector of its own (embedded),
both holding the same exec storm, queried alternately in one run.

    sudo /usr/bin/python3 bench/attach_query.py [--build build] [--execs 100000] [--pairs 15]

Run from the repository root as root. It starts procsqld (BUILD/procsqld) in
a temporary state directory and an embedded client (a Debian python3 with
BUILD/procsql loaded, PROCSQL_MODE=embedded), both with
PROCSQL_CAPACITY = 2 x --execs + 50,000 and a 512-byte-a-row arena, so both
keep everything. Then --execs marked /bin/true (BUILD/tests/progs/burst, one
worker per CPU) run; both collectors capture them (and whatever else the
host execs meanwhile). Then an attached client (PROCSQL_MODE=attach) starts,
and both clients check that they hold every marked exec.

Then --pairs rounds: each query below runs once in each client, back to back
(which goes first alternates):

    SELECT count(*) FROM process_events
    SELECT count(*) FROM process_events WHERE cmdline LIKE '%needle%'
    SELECT sum(uid) FROM process_events

Each client times its query with perf_counter (wall) and thread_time (the
querying thread's CPU: the embedded client's BPF consumer thread is not in
it). The attached client's wall time includes its read-your-writes wait
(it wakes procsqld's publisher, which drains its ring buffer, publishes
container_map and procsql_stats and moves the watermark); the embedded
client's includes its own drain. The clients' stores hold slightly different
row counts (each holds what happened since it started), so rates are rows
scanned / time, and the ratio is attached rate / embedded rate, the median
of the per-pair ratios (1.0 = same speed; the target is >= 0.95).
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procsqld_helper as h  # noqa: E402

QUERIES = [
    ("count(*)", "SELECT count(*) FROM process_events"),
    ("cmdline LIKE", "SELECT count(*) FROM process_events WHERE cmdline LIKE '%needle%'"),
    ("sum(uid)", "SELECT sum(uid) FROM process_events"),
]

# A client: loads procsql, then answers one JSON request a line.
CLIENT = r"""
import json, resource, sqlite3, sys, time
def faults():
    u = resource.getrusage(resource.RUSAGE_THREAD)
    return u.ru_minflt + u.ru_majflt
c = sqlite3.connect(":memory:")
c.enable_load_extension(True)
c.load_extension(sys.argv[1])
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    sql = json.loads(line)
    f0 = faults()
    w0, c0 = time.perf_counter(), time.thread_time()
    rows = c.execute(sql).fetchall()
    c1, w1 = time.thread_time(), time.perf_counter()
    print(json.dumps({"rows": rows, "wall": w1 - w0, "cpu": c1 - c0, "faults": faults() - f0}), flush=True)
"""


class Client:
    def __init__(self, ext, env):
        self.p = subprocess.Popen(["/usr/bin/python3", "-c", CLIENT, ext], env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        first = self.p.stdout.readline()
        if not first:
            sys.exit("a client failed to load procsql (exit %s)" % self.p.wait())

    def query(self, sql):
        self.p.stdin.write(json.dumps(sql) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            sys.exit("a client died on: " + sql)
        return json.loads(line)

    def value(self, sql):
        return self.query(sql)["rows"][0][0]

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--execs", type=int, default=100000)
    ap.add_argument("--pairs", type=int, default=15)
    a = ap.parse_args()
    h.require_root()
    ext = os.path.abspath(os.path.join(a.build, "procsql"))
    burst = os.path.join(a.build, "tests", "progs", "burst")
    capacity = 2 * a.execs + 50000
    arena = capacity * 512
    settings = {"PROCSQL_CAPACITY": capacity, "PROCSQL_ARENA_BYTES": arena}
    with h.Daemon(os.path.join(a.build, "procsqld"), **settings) as daemon:
        embedded = Client(ext, dict(h.client_env("embedded", daemon.state_dir), **{k: str(v) for k, v in settings.items()}))
        marker = "aq%x" % os.getpid()
        t0 = time.perf_counter()
        subprocess.run([burst, str(a.execs), "0", "/bin/true", "true", marker], check=True, stdout=subprocess.DEVNULL)
        storm = time.perf_counter() - t0
        attached = Client(ext, h.client_env("attach", daemon.state_dir))
        clients = {"embedded": embedded, "attached": attached}
        # The storm's execs only (the burst driver's argv has the marker too).
        count_marked = ("SELECT count(*) FROM process_events WHERE filename = '/bin/true' AND argv LIKE '%%%s%%'"
                        % marker)
        held = {}
        for name, c in clients.items():
            marked = c.value(count_marked)
            mode = c.value("SELECT value FROM procsql_stats WHERE name = 'mode'")
            held[name] = c.value("SELECT count(*) FROM process_events")
            print("%-8s client (mode %s): %d rows, %d of %d marked execs" % (name, mode, held[name], marked, a.execs))
            if marked != a.execs:
                sys.exit("a client misses marked execs: the figures would not compare the same rows")
        print("storm: %d execs in %.1f s (%.0f/s) with procsqld and the embedded collector running"
              % (a.execs, storm, a.execs / storm))

        res = {(n, q): {"wall": [], "cpu": [], "rows": [], "faults": []} for n in clients for q, _ in QUERIES}
        for p in range(a.pairs):
            for q, sql in QUERIES:
                order = ("embedded", "attached") if p % 2 == 0 else ("attached", "embedded")
                for n in order:
                    r = clients[n].query(sql)
                    rows = clients[n].value("SELECT count(*) FROM process_events") if q != "count(*)" else r["rows"][0][0]
                    d = res[(n, q)]
                    d["wall"].append(r["wall"])
                    d["cpu"].append(r["cpu"])
                    d["faults"].append(r["faults"])
                    d["rows"].append(rows)
        timeouts = attached.value("SELECT value FROM procsql_stats WHERE name = 'attach.drain_timeouts'")
        waits = attached.value("SELECT value FROM procsql_stats WHERE name = 'attach.drain_waits'")
        for c in clients.values():
            c.close()

    print()
    print("%d pairs; ms per query min / median; ratio = attached rate / embedded rate (rows/time), "
          "median of per-pair ratios" % a.pairs)
    print("%-14s %9s %9s %17s %17s %17s %17s %9s %9s" % ("query", "rows emb", "rows att", "emb wall ms",
                                                           "att wall ms", "emb cpu ms", "att cpu ms",
                                                           "ratio wall", "ratio cpu"))
    for q, _ in QUERIES:
        e, t = res[("embedded", q)], res[("attached", q)]

        def mm(xs):
            return "%7.1f / %7.1f" % (min(xs) * 1e3, h.median(xs) * 1e3)

        def ratio(key):
            return h.median([(rt / tt) / (re / te) for rt, tt, re, te in
                             zip(t["rows"], t[key], e["rows"], e[key])])
        print("%-14s %9d %9d %17s %17s %17s %17s %9.3f %9.3f" % (q, h.median(e["rows"]), h.median(t["rows"]),
                                                              mm(e["wall"]), mm(t["wall"]), mm(e["cpu"]),
                                                              mm(t["cpu"]), ratio("wall"), ratio("cpu")))
    print("page faults per query (median): " + ", ".join(
        "%s %d / %d" % (q, h.median(res[("embedded", q)]["faults"]), h.median(res[("attached", q)]["faults"]))
        for q, _ in QUERIES) + "  (embedded / attached)")
    print("attached client: %d read-your-writes waits, %d timed out" % (waits, timeouts))


if __name__ == "__main__":
    main()
