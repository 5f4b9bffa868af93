-- Question: which processes created or entered namespaces (clone with CLONE_NEW*, unshare,
--   setns) without being a container runtime? A runtime does this on every container start;
--   anyone else doing it (an unshare -U -r to gain root in a user namespace, an nsenter
--   into a container) is worth a look.
-- Driving table: clone_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'clone_events'): those after the job's last
--   commit, once each; with @job NULL (no job), every row held. Every row carries
--   store_id and eid, the key a consumer of at-least-once output dedupes on.
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/namespace_changes_by_non_runtimes.sql >> /var/log/procsql/namespace_changes_by_non_runtimes.jsonl
-- A runtime is recognised by the path of its executable (comm can be set by anyone):
--   runc, crun, conmon, containerd-shim*, containerd, dockerd, and the copy of itself runc
--   runs on every container start: from a memfd (/memfd:runc_cloned:...) or, in runc 1.1,
--   from a detached read-only bind mount of its binary, whose path reads '/' and whose
--   stages name themselves runc:[0:PARENT], runc:[1:CHILD], runc:[2:INIT]. (Running a
--   binary from a detached mount and naming it runc:* would pass as runc: an unusual
--   act that process_events shows, filename /dev/fd/N and path '/'.)
SELECT w.store_id, eid,
       datetime(time, 'unixepoch') AS at,
       pid, uid, comm, path, syscall, flags_text, new_namespaces, result
  FROM procsql_window(@job, 'clone_events') AS w
  JOIN clone_events ON eid BETWEEN w.lo AND w.hi
 WHERE new_namespaces != ''
   AND NOT (path IN ('/usr/sbin/runc', '/usr/bin/runc', '/usr/local/bin/runc',
                     '/usr/bin/crun', '/usr/bin/conmon', '/usr/libexec/podman/conmon',
                     '/usr/bin/containerd', '/usr/bin/dockerd')
            OR path GLOB '*/containerd-shim*'
            OR path GLOB '/memfd:runc_cloned:* (deleted)'
            OR (path = '/' AND comm GLOB 'runc:*'))
 ORDER BY eid;
