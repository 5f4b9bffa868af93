#!/usr/bin/env bash
# Installs what is missing, builds, and runs a real query: the stock sqlite3
# shell loads build/procsql, runs a relative exec, and asks what ran.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh >/dev/null
sqlite3 :memory: <<'SQL'
.load build/procsql
.shell cd /bin && ./ls -d /etc/procsql-demo-marker 2>/dev/null; true
.mode box
SELECT eid, pid, parent, path, cmdline, cwd, parent_path
  FROM process_events WHERE eid > 0 ORDER BY eid;
SELECT name, value FROM procsql_stats
 WHERE name IN ('backend', 'process_events.events_received', 'process_events.events_lost_kernel');
SQL
