-- Question: which processes created or entered namespaces (clone with CLONE_NEW*, unshare,
--   setns) without being a container runtime? A runtime does this on every container start;
--   anyone else doing it (an unshare -U -r to gain root in a user namespace, an nsenter
--   into a container) is worth a look.
-- Suggested interval: every 5 minutes from cron, resuming after the last eid it reported
--   (replace the 0 in `eid > 0`).
-- A runtime is recognised by the path of its executable (comm can be set by anyone):
--   runc, crun, conmon, containerd-shim*, containerd, dockerd, and the copy of itself runc
--   runs on every container start: from a memfd (/memfd:runc_cloned:...) or, in runc 1.1,
--   from a detached read-only bind mount of its binary, whose path reads '/' and whose
--   stages name themselves runc:[0:PARENT], runc:[1:CHILD], runc:[2:INIT]. (Running a
--   binary from a detached mount and naming it runc:* would pass as runc: an unusual
--   act that process_events shows, filename /dev/fd/N and path '/'.)
SELECT eid,
       datetime(time, 'unixepoch') AS at,
       pid, uid, comm, path, syscall, flags_text, new_namespaces, result
  FROM clone_events
 WHERE eid > 0
   AND new_namespaces != ''
   AND NOT (path IN ('/usr/sbin/runc', '/usr/bin/runc', '/usr/local/bin/runc',
                     '/usr/bin/crun', '/usr/bin/conmon', '/usr/libexec/podman/conmon',
                     '/usr/bin/containerd', '/usr/bin/dockerd')
            OR path GLOB '*/containerd-shim*'
            OR path GLOB '/memfd:runc_cloned:* (deleted)'
            OR (path = '/' AND comm GLOB 'runc:*'))
 ORDER BY eid;
