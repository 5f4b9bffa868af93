-- Question: which processes probed for programs: many failed execs by one process in a
--   short time, or failed execs of the tools an intruder looks for first (downloaders,
--   interpreters, network tools, compilers)? Reconnaissance scripts try tool after tool
--   (`nc || ncat || socat || python -c ...`) and leave a trail of ENOENT and EACCES.
-- Driving table: exec_failures. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'exec_failures'): those after the job's last
--   commit; with @job NULL (no job), every row held. One row per probing process and run:
--   its first failure in the window (first_eid, with store_id the key a consumer of
--   at-least-once output dedupes on).
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/exec_probing.sql >> /var/log/procsql/exec_probing.jsonl
-- A process (pid, start_time) is reported when, within the window, it failed to exec at
--   least 5 different program names within 60 seconds (`execvp` and shells search PATH
--   with one failed exec per directory, so one missing command is several failures of one
--   name, which is not enough), or failed to exec any program named in `recon` (edit it).
--   `names` lists the program names tried, `errnos` the errors.
WITH win AS MATERIALIZED (
    SELECT store_id, lo, hi FROM procsql_window(@job, 'exec_failures')
),
recon(name) AS (
    VALUES ('nc'), ('ncat'), ('netcat'), ('socat'), ('nmap'), ('masscan'), ('curl'), ('wget'),
           ('tftp'), ('ftp'), ('telnet'), ('ssh'), ('scp'), ('python'), ('python2'),
           ('python3'), ('perl'), ('ruby'), ('php'), ('lua'), ('gcc'), ('cc'), ('tcpdump'),
           ('base64'), ('xxd'), ('chisel'), ('frpc'), ('kubectl'), ('docker'), ('crictl')
),
failures AS MATERIALIZED (
    SELECT f.*,
           substr(f.filename, length(rtrim(f.filename, replace(f.filename, '/', ''))) + 1) AS name
      FROM win
      JOIN exec_failures f ON f.eid BETWEEN win.lo AND win.hi
),
per_process AS (
    SELECT pid, start_time,
           min(eid) AS first_eid, count(*) AS failures,
           count(DISTINCT name) AS distinct_names,
           (max(time_ns) - min(time_ns)) / 1000000000.0 AS seconds,
           group_concat(DISTINCT name) AS names,
           group_concat(DISTINCT errno) AS errnos,
           max(name IN (SELECT name FROM recon)) AS tried_recon
      FROM failures
     GROUP BY pid, start_time
)
SELECT win.store_id, p.first_eid,
       datetime(f.time, 'unixepoch') AS at,
       CASE WHEN p.tried_recon THEN 'recon tool' ELSE 'many programs' END AS why,
       p.failures, p.distinct_names, p.seconds, p.names, p.errnos,
       f.pid, f.parent, f.uid, f.euid, f.comm, f.path, f.cwd, f.tty, f.container_id
  FROM win, per_process p
  JOIN exec_failures f ON f.eid = p.first_eid
 WHERE p.tried_recon
    OR (p.distinct_names >= 5 AND p.seconds <= 60)
 ORDER BY p.first_eid;
