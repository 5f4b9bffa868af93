#!/usr/bin/python3
"""The example agent with Python's standard sqlite3 module: procsql is loaded
BY NAME (load_extension('procsql')), as installed in the system's library
directory (/usr/lib/x86_64-linux-gnu/procsql.so; elsewhere, LD_LIBRARY_PATH
names the directory).

    agent.py [--db FILE] [--job NAME] [--interval SECONDS] [--runs N] [--sql SQL]

Every --interval seconds the SQL runs as the job (@job bound to its name;
procsql_window(@job, 'process_events') is what is new since the job's last
commit), each row goes to stdout as one JSON line, stdout is flushed, and only
then the job's position is committed: a run that dies in between prints its
rows again next time, it never loses them. --runs N runs (0: forever), then
exit 0; an error is one line on stderr and exit 1. Needs a running procsqld.
"""

import argparse
import itertools
import json
import math
import sqlite3
import sys
import time

DEFAULT_SQL = ("SELECT w.store_id, p.eid, p.time, p.pid, p.path, p.cmdline"
               "  FROM procsql_window(@job, 'process_events') AS w"
               "  JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi"
               " ORDER BY p.eid")


def text(raw):
    """TEXT values: bytes that are not valid UTF-8 become lone surrogates
    (\\udcXX in the JSON, as procsql's `argv` column writes them) instead of
    failing the query."""
    return raw.decode("utf-8", "surrogateescape")


def jsonable(value):
    if isinstance(value, bytes):  # a BLOB: as a string too, byte for byte
        return text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line and exit 1, as every other error
        raise SystemExit("agent: " + message)


def main():
    ap = Parser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="procsql-agent.db", help="the jobs database (positions)")
    ap.add_argument("--job", default="agent")
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between runs")
    ap.add_argument("--runs", type=int, default=0, help="runs before exiting (0: forever)")
    ap.add_argument("--sql", default=DEFAULT_SQL)
    args = ap.parse_args()

    # isolation_level=None: no implicit transactions; procsql_commit() is its own.
    conn = sqlite3.connect(args.db, timeout=10, isolation_level=None)
    conn.text_factory = text
    conn.enable_load_extension(True)
    conn.load_extension("procsql")  # by name: dlopen searches the library path
    conn.enable_load_extension(False)
    conn.execute("PRAGMA journal_mode=WAL")  # as `procsql query` does

    params = {"job": args.job}  # sqlite3 binds @job from the key "job"
    for run in range(1, args.runs + 1) if args.runs else itertools.count(1):
        if run > 1:
            time.sleep(args.interval)
        cur = conn.execute(args.sql, params)
        names = [d[0] for d in cur.description or ()]
        for row in cur:
            sys.stdout.write(json.dumps(dict(zip(names, map(jsonable, row)))) + "\n")
        # Out before the position moves.
        sys.stdout.flush()
        conn.execute("SELECT procsql_commit(@job)", params).fetchall()
    conn.close()


if __name__ == "__main__":
    try:
        main()
    except (sqlite3.Error, OSError) as e:
        print("agent: %s" % e, file=sys.stderr)
        sys.exit(1)
