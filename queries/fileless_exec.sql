-- Question: which programs ran from no file on disk: a memfd (/memfd:NAME), a binary that
--   had been deleted (a ' (deleted)' suffix), or a binary reached only through a detached
--   mount (path '/', run through /dev/fd/N)? Loaders and droppers do this so that nothing
--   is left on disk to find.
-- Driving table: process_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'process_events'): those after the job's last
--   commit, once each; with @job NULL (no job), every row held. Every row carries
--   store_id and eid, the key a consumer of at-least-once output dedupes on. The previous exec of a process, which decides
--   whether an exec is runc's own, may be older than the window: it is looked up in the
--   whole table.
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/fileless_exec.sql >> /var/log/procsql/fileless_exec.jsonl
-- Not reported: a container runtime's own self-exec. runc re-executes itself on every
--   container start and `runc exec`. What runc 1.1.5 does, as process_events shows it: the
--   process `runc run` forks first execs /proc/self/exe (path /usr/sbin/runc, argv
--   [runc, init]), then the SAME process (same pid and start_time) execs its cloned copy
--   with the same argv: from a detached bind mount (path '/', filename /dev/fd/N), or in
--   other 1.x versions from a memfd (/memfd:runc_cloned:/proc/self/exe (deleted)). So an
--   exec is runc's own only when the previous exec of that same process was a runtime
--   binary run as /proc/self/exe with the same arguments. The memfd's NAME proves nothing
--   (anyone can call memfd_create("runc_cloned:/proc/self/exe")), and neither does comm.
--   Limits: code loaded INTO the runtime binary (LD_PRELOAD into runc) passes as runc;
--   runc 1.2 and later exec the sealed clone directly from the parent (the process's first
--   exec, filename /proc/self/fd/N), which this rule does not excuse, so on such hosts each
--   container start is reported until a rule verified there is added; an exec whose
--   previous row was already overwritten (PROCSQL_CAPACITY) is reported.
WITH fileless AS (
    SELECT w.store_id, e.eid, e.time, e.pid, e.start_time, e.parent, e.parent_path, e.uid, e.euid,
           e.comm, e.path, e.filename, e.cmdline, e.argv, e.cwd, e.tty, e.cgroup_id,
           e.container_id,
           CASE WHEN e.path GLOB '/memfd:*' THEN 'memfd'
                WHEN e.path GLOB '* (deleted)' THEN 'deleted'
                ELSE 'detached mount' END AS kind,
           -- The previous exec of the same process (pid, start_time): earlier eid, and
           -- no earlier than the process's start (lets the scan skip old blocks).
           (SELECT max(p.eid) FROM process_events p
             WHERE p.pid = e.pid AND p.start_time = e.start_time
               AND p.eid < e.eid AND p.time_ns >= e.start_time) AS prev_eid
      FROM procsql_window(@job, 'process_events') AS w
      JOIN process_events e ON e.eid BETWEEN w.lo AND w.hi
     WHERE (e.path GLOB '/memfd:*' OR e.path GLOB '* (deleted)' OR e.path = '/')
)
SELECT f.store_id, f.eid,
       datetime(f.time, 'unixepoch') AS at,
       f.kind, f.pid, f.parent, f.parent_path, f.uid, f.euid, f.comm, f.path, f.filename,
       f.cmdline, f.cwd, f.tty, f.container_id,
       m.container_name, m.pod_name, m.pod_namespace
  FROM fileless f
  LEFT JOIN process_events prev ON prev.eid = f.prev_eid
  LEFT JOIN container_map m ON m.cgroup_id = f.cgroup_id
 WHERE NOT coalesce(prev.path IN ('/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc',
                                  '/usr/local/bin/runc', '/usr/bin/docker-runc',
                                  '/usr/bin/crun', '/usr/local/bin/crun')
                    AND prev.filename = '/proc/self/exe'
                    AND prev.argv = f.argv, 0)
 ORDER BY f.eid;
