#!/usr/bin/python3
"""daemon_cost: what a running procsqld costs the host, under an exec storm
and idle.

    sudo /usr/bin/python3 bench/daemon_cost.py [--build build] [--execs 20000] [--rounds 6]
                                               [--embedded] [--idle 30] [--state-parent /dev/shm]
                                               [--backend bpf|audit]

Run from the repository root as root, with no other procsql collector on the
host: before and after every pass it counts the procsql_exec BPF programs
it did not load, marks the pass when there were any, and the summary gives
the ratios over every round and over the clean rounds only.

A storm is --execs marked /bin/true (BUILD/tests/progs/burst: posix_spawn +
waitpid, one worker per CPU, as bench/exec_storm's), timed from the start of
the driver to its exit. Every round has one pass of each mode, the first
mode rotating from round to round:

  none      nothing of procsql runs (the baseline)
  procsqld  BUILD/procsqld (default settings) in a temporary state directory
            under --state-parent (default /dev/shm: a tmpfs, as /run/procsql
            is on a systemd host; on a disk the store's pages are also
            written back), kept for the whole run; it is started before the
            pass when not running (>= 1 s before its storm), so no pass
            includes its start
  embedded  (with --embedded) what procsql did before procsqld: a Debian
            python3 with BUILD/procsql loaded, PROCSQL_MODE=embedded, from
            before the storm to after its count

Per procsqld pass:
  capture   an attached client (sqlite3 + .load, PROCSQL_MODE=attach) counts
            process_events rows with filename /bin/true and the pass's
            marker; its read-your-writes wait makes procsqld drain first.
            Also the deltas of events_lost_kernel and rows_overwritten (the
            store outlives procsqld's restarts, so once the default 100,000
            rows are full each pass overwrites earlier passes' rows: that is
            not a loss, the pass's own rows are counted right after it).
  CPU       procsqld's CPU from just before the storm to just after that
            count (so every storm event has been consumed): utime + stime
            of /proc/PID/stat (10 ms ticks, every thread), and the sum of
            /proc/PID/task/*/schedstat run time (ns). Divided by the storm's
            execs. It includes any other exec on the host meanwhile (events
            column: what procsqld stored in all three tables).
The embedded pass counts its capture the same way, in its own process, and
its CPU the same way (the python process: its collector's consumer thread
and the count query).
Per pass, the storm's own CPU (the driver and its children, getrusage): the
BPF programs, and the syscall-tracepoint work their tracepoints turn on, run
in the exec'ing tasks, so their cost shows there, not in procsqld.
Per pass, the whole system's CPU: the busy time of /proc/stat's cpu line
(user + nice + system + irq + softirq, 10 ms ticks; idle, iowait and steal
left out) from the storm's start to 0.3 s after its end (procsqld drains
every 100 ms while records come), before the capture count: everything the
storm, the kernel, procsqld and the rest of the host spent, per 10,000
execs (target: procsqld / none <= 1.03, the median of the per-round ratios).

Idle (after the rounds, procsqld running, >= 3 s after its last query):
its CPU and context switches (voluntary + nonvoluntary, per thread, from
/proc/PID/task/*/status) over --idle seconds, i.e. wakeups per second, and
the events it stored meanwhile (other activity on the host).

Summary: median execs/s per mode, the median of the per-round ratios to none
(target for procsqld >= 0.95), captured/issued (target 1.0), procsqld's CPU
per exec (median over its passes), and the idle figures. Speed is measured
here, never asserted in tests.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procsqld_helper as h  # noqa: E402

STAT_NAMES = ("process_events.events_lost_kernel", "process_events.rows_overwritten",
              "process_events.events_received", "clone_events.events_received", "process_exits.events_received")

# The embedded mode's process: loads procsql, says so, answers one query a line.
EMBEDDED = r"""
import json, sqlite3, sys
c = sqlite3.connect(":memory:")
c.enable_load_extension(True)
c.load_extension(sys.argv[1])
print("ready", flush=True)
for line in sys.stdin:
    print(json.dumps(c.execute(json.loads(line)).fetchall()), flush=True)
"""


def procsql_exec_programs():
    """procsql_exec programs loaded on the host (each is one collector)."""
    try:
        out = subprocess.run(["bpftool", "prog", "show"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return 0
    return sum(1 for line in out.splitlines() if " name procsql_exec " in line)


def system_busy_seconds():
    """CPU time every CPU spent busy since boot (/proc/stat, USER_HZ ticks)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def marked(marker):
    return "select count(*) from process_events where filename = '/bin/true' and argv like '%%%s%%'" % marker


class Host:
    def __init__(self, a):
        self.a = a
        self.ext = os.path.abspath(os.path.join(a.build, "procsql"))
        self.burst = os.path.join(a.build, "tests", "progs", "burst")
        self.settings = {}
        if a.execs * 2 > 100000:  # the default capacity must hold a pass and the host's own execs
            self.settings["PROCSQL_CAPACITY"] = a.execs * 2
        if a.backend:
            self.settings["PROCSQL_BACKEND"] = a.backend
        self.daemon = h.Daemon(os.path.join(a.build, "procsqld"), parent=a.state_parent, **self.settings)
        self.running = False
        self.starts_ms = []

    def ensure(self, running):
        if running and not self.running:
            self.daemon.start()
            self.starts_ms.append(self.daemon.ready_seconds * 1e3)
            time.sleep(1.0)
        elif not running and self.running:
            self.daemon.stop()
        self.running = running

    def query(self, *sql):
        p = subprocess.run(["sqlite3", ":memory:", ".load " + self.ext] + list(sql),
                           env=h.client_env("attach", self.daemon.state_dir), capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("attached query failed: %s" % p.stderr)
        return p.stdout.split()

    def stats(self):
        out = self.query(".mode list", ".separator ' '",
                         "select name, value from procsql_stats where name in (%s)"
                         % ",".join("'%s'" % n for n in STAT_NAMES))
        return {out[i]: int(out[i + 1]) for i in range(0, len(out), 2)}

    def storm(self, marker):
        c0 = children_cpu()
        b0 = system_busy_seconds()
        t0 = time.perf_counter()
        p = subprocess.run([self.burst, str(self.a.execs), str(self.a.threads), "/bin/true", "true", marker],
                           stdout=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit("the storm failed (exit %d)" % p.returncode)
        time.sleep(0.3)  # the collector's last timer drain, in every mode alike
        return {"seconds": dt, "storm_cpu": children_cpu() - c0, "system_cpu": system_busy_seconds() - b0}

    def pass_none(self, marker):
        self.ensure(False)
        return self.storm(marker)

    def pass_procsqld(self, marker):
        self.ensure(True)
        pid = self.daemon.pid
        s0 = self.stats()
        cpu0, ns0 = h.cpu_seconds(pid), h.run_ns(pid)
        res = self.storm(marker)
        captured = int(self.query(marked(marker))[0])
        cpu1, ns1 = h.cpu_seconds(pid), h.run_ns(pid)
        s1 = self.stats()
        res.update({"captured": captured,
                    "lost": s1["process_events.events_lost_kernel"] - s0["process_events.events_lost_kernel"],
                    "overwritten": s1["process_events.rows_overwritten"] - s0["process_events.rows_overwritten"],
                    "cpu": cpu1 - cpu0, "ns": ns1 - ns0,
                    "events": sum(s1[k] - s0[k] for k in s1 if k.endswith("events_received"))})
        return res

    def pass_embedded(self, marker):
        self.ensure(False)
        env = dict(h.client_env("embedded", self.daemon.state_dir), **{k: str(v) for k, v in self.settings.items()})
        p = subprocess.Popen(["/usr/bin/python3", "-c", EMBEDDED, self.ext], env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if p.stdout.readline().strip() != "ready":
            sys.exit("the embedded collector did not start (exit %s)" % p.wait())
        time.sleep(1.0)
        cpu0, ns0 = h.cpu_seconds(p.pid), h.run_ns(p.pid)
        res = self.storm(marker)
        p.stdin.write(json.dumps(marked(marker)) + "\n")
        p.stdin.flush()
        captured = json.loads(p.stdout.readline())[0][0]
        cpu1, ns1 = h.cpu_seconds(p.pid), h.run_ns(p.pid)
        p.stdin.close()
        p.wait()
        res.update({"captured": captured, "cpu": cpu1 - cpu0, "ns": ns1 - ns0})
        return res

    def idle(self, seconds):
        self.ensure(True)
        pid = self.daemon.pid
        s0 = self.stats()
        time.sleep(3.0)  # after the stats query's publisher pass
        cpu0, ns0, cs0 = h.cpu_seconds(pid), h.run_ns(pid), h.context_switches(pid)
        t0 = time.perf_counter()
        time.sleep(seconds)
        cpu1, ns1, cs1 = h.cpu_seconds(pid), h.run_ns(pid), h.context_switches(pid)
        dt = time.perf_counter() - t0
        s1 = self.stats()
        per_thread = {cs1[t][0]: (cs1[t][1] - cs0.get(t, (None, 0))[1]) / dt for t in cs1}
        return {"seconds": dt, "cpu": cpu1 - cpu0, "ns": ns1 - ns0, "per_thread": per_thread,
                "wakeups": sum(per_thread.values()),
                "events": sum(s1[k] - s0[k] for k in s1 if k.endswith("events_received")),
                "threads": len(cs1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--execs", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--threads", type=int, default=0, help="storm workers (0: one per CPU)")
    ap.add_argument("--embedded", action="store_true", help="also a pass with an embedded collector per round")
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of the idle measurement")
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--state-parent", default="/dev/shm", help="where procsqld's state directory is made")
    ap.add_argument("--backend", choices=("bpf", "audit"), help="PROCSQL_BACKEND for procsqld and the embedded mode")
    a = ap.parse_args()
    h.require_root()
    modes = ["none", "procsqld"] + (["embedded"] if a.embedded else [])
    host = Host(a)
    rounds = []  # per round: {mode: result}
    try:
        subprocess.run([host.burst, str(a.warmup), str(a.threads), "/bin/true", "true", "warmup"], check=True,
                       stdout=subprocess.DEVNULL)
        for r in range(a.rounds):
            order = modes[r % len(modes):] + modes[:r % len(modes)]
            res = {}
            for mode in order:
                marker = "dc%x.%d.%s" % (os.getpid(), r, mode)
                # Other collectors: procsqld's own programs are not counted (the
                # embedded mode's process is not alive at either count).
                own = 1 if host.running and a.backend != "audit" else 0
                before = procsql_exec_programs() - own
                x = getattr(host, "pass_" + mode)(marker)
                own = 1 if host.running and a.backend != "audit" else 0
                after = procsql_exec_programs() - own
                x["foreign"] = max(0, before, after)
                res[mode] = x
                line = "round %d %-9s %6.2f s %7.0f execs/s  storm cpu %6.1f us/exec  system cpu %6.1f us/exec" % (
                    r, mode, x["seconds"], a.execs / x["seconds"], x["storm_cpu"] / a.execs * 1e6,
                    x["system_cpu"] / a.execs * 1e6)
                if mode != "none":
                    line += "  captured %d/%d  %s %.2f us/exec (ticks %.0f ms, run %.1f ms)" % (
                        x["captured"], a.execs, mode, x["ns"] / 1e3 / a.execs, x["cpu"] * 1e3, x["ns"] / 1e6)
                if mode == "procsqld":
                    line += "  lost %d  older rows overwritten %d  events %d" % (
                        x["lost"], x["overwritten"], x["events"])
                if x["foreign"]:
                    line += "  [another procsql collector was loaded]"
                print(line, flush=True)
            rounds.append(res)
        idle = host.idle(a.idle)
    finally:
        host.ensure(False)
        host.daemon.__exit__(None, None, None)

    clean = [r for r in rounds if not any(x["foreign"] for x in r.values())]
    print()
    print("%d rounds of %d execs (%s workers), %d clean (no other procsql collector loaded during any of its "
          "passes); procsqld started %d times, ready in %s ms"
          % (a.rounds, a.execs, a.threads or os.cpu_count(), len(clean), len(host.starts_ms),
             ", ".join("%.0f" % m for m in host.starts_ms)))

    def mmm(xs, fmt="%.1f"):
        if not xs:
            return "-"
        return " / ".join(fmt % v for v in (min(xs), h.median(xs), max(xs)))

    print("%-46s %-30s %s" % ("", "all rounds: min / median / max", "clean rounds"))

    def line(label, f, fmt="%.1f", note=""):
        print("%-46s %-30s %s%s" % (label, mmm([f(r) for r in rounds], fmt), mmm([f(r) for r in clean], fmt), note))

    for m in modes:
        line("execs/s, %s" % m, lambda r, m=m: a.execs / r[m]["seconds"], "%.0f")
    for m in modes[1:]:
        line("throughput %s / none (per round)" % m, lambda r, m=m: r["none"]["seconds"] / r[m]["seconds"], "%.3f",
             "   <- target >= 0.95" if m == "procsqld" else "")
    for m in modes[1:]:
        issued = a.execs * len(rounds)
        captured = sum(r[m]["captured"] for r in rounds)
        extra = ""
        if m == "procsqld":
            extra = "  (lost in kernel %d; older rows overwritten %d)" % (
                sum(r[m]["lost"] for r in rounds), sum(r[m]["overwritten"] for r in rounds))
        print("%-46s %d / %d = %.4f%s%s" % ("captured / issued, %s" % m, captured, issued, captured / issued, extra,
                                            "   <- target 1.0" if m == "procsqld" else ""))
    for m in modes[1:]:
        line("%s CPU us per exec (schedstat)" % m, lambda r, m=m: r[m]["ns"] / 1e3 / a.execs, "%.2f")
        line("%s CPU us per exec (stat ticks)" % m, lambda r, m=m: r[m]["cpu"] * 1e6 / a.execs, "%.2f")
    line("procsqld CPU us per event stored (schedstat)",
         lambda r: r["procsqld"]["ns"] / 1e3 / max(1, r["procsqld"]["events"]), "%.2f")
    line("events procsqld stored per storm exec", lambda r: r["procsqld"]["events"] / a.execs, "%.2f")
    for m in modes:
        line("storm CPU us per exec, %s" % m, lambda r, m=m: r[m]["storm_cpu"] / a.execs * 1e6)
    for m in modes[1:]:
        line("storm CPU %s / none (per round)" % m, lambda r, m=m: r[m]["storm_cpu"] / r["none"]["storm_cpu"], "%.3f")
    for m in modes:
        line("system CPU s per 10,000 execs, %s" % m, lambda r, m=m: r[m]["system_cpu"] / a.execs * 1e4, "%.2f")
    for m in modes[1:]:
        line("system CPU %s / none (per round)" % m, lambda r, m=m: r[m]["system_cpu"] / r["none"]["system_cpu"],
             "%.3f", "   <- target <= 1.03" if m == "procsqld" else "")
    print()
    print("idle, %.1f s: procsqld CPU %.3f ms/s (%.4f%% of a core; ticks: %.0f ms in all), %.2f wakeups/s over %d "
          "threads, %d events stored meanwhile (other activity on the host)"
          % (idle["seconds"], idle["ns"] / 1e6 / idle["seconds"], idle["ns"] / 1e7 / idle["seconds"],
             idle["cpu"] * 1e3, idle["wakeups"], idle["threads"], idle["events"]))
    for name, rate in sorted(idle["per_thread"].items()):
        print("  %-40s %.2f context switches/s" % (name, rate))


if __name__ == "__main__":
    main()
