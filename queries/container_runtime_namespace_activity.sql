-- Question: what did the container runtimes do with namespaces: which calls, which
--   namespaces each created or entered, and which processes they started for them?
--   A baseline of normal runtime activity, and the other half of
--   namespace_changes_by_non_runtimes.sql.
-- Driving table: clone_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'clone_events'): those after the job's last
--   commit, once each; with @job NULL (no job), every row held. Every row carries
--   store_id and eid, the key a consumer of at-least-once output dedupes on.
-- Cron (README, "Scheduled queries"):
--   0 * * * * root procsql query --format jsonl /usr/share/procsql/queries/container_runtime_namespace_activity.sql >> /var/log/procsql/container_runtime_namespace_activity.jsonl
-- Runtimes are recognised by the path of their executable (and runc's copy of itself),
--   as in that query.
SELECT w.store_id, eid,
       datetime(time, 'unixepoch') AS at,
       pid, comm, path, syscall, flags_text, new_namespaces,
       child_pid, child_start_time, result
  FROM procsql_window(@job, 'clone_events') AS w
  JOIN clone_events ON eid BETWEEN w.lo AND w.hi
 WHERE new_namespaces != ''
   AND (path IN ('/usr/sbin/runc', '/usr/bin/runc', '/usr/local/bin/runc',
                 '/usr/bin/crun', '/usr/bin/conmon', '/usr/libexec/podman/conmon',
                 '/usr/bin/containerd', '/usr/bin/dockerd')
        OR path GLOB '*/containerd-shim*'
        OR path GLOB '/memfd:runc_cloned:* (deleted)'
        OR (path = '/' AND comm GLOB 'runc:*'))
 ORDER BY eid;
