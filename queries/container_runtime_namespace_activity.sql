-- Question: what did the container runtimes do with namespaces: which calls, which
--   namespaces each created or entered, and which processes they started for them?
--   A baseline of normal runtime activity, and the other half of
--   namespace_changes_by_non_runtimes.sql.
-- Suggested interval: hourly, resuming after the last eid it reported (replace the 0).
-- Runtimes are recognised by the path of their executable (and runc's copy of itself),
--   as in that query.
SELECT eid,
       datetime(time, 'unixepoch') AS at,
       pid, comm, path, syscall, flags_text, new_namespaces,
       child_pid, child_start_time, result
  FROM clone_events
 WHERE eid > 0
   AND new_namespaces != ''
   AND (path IN ('/usr/sbin/runc', '/usr/bin/runc', '/usr/local/bin/runc',
                 '/usr/bin/crun', '/usr/bin/conmon', '/usr/libexec/podman/conmon',
                 '/usr/bin/containerd', '/usr/bin/dockerd')
        OR path GLOB '*/containerd-shim*'
        OR path GLOB '/memfd:runc_cloned:* (deleted)'
        OR (path = '/' AND comm GLOB 'runc:*'))
 ORDER BY eid;
