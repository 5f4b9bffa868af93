-- Question: which programs ran in a container that are not part of its image: binaries
--   written into the container after it started (on its overlay's writable upper layer),
--   or run from a tmpfs or a volume mounted into it? Images are immutable; a binary
--   dropped and executed at run time is how an attacker brings tools into a container.
-- Driving table: process_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'process_events'): those after the job's last
--   commit, once each; with @job NULL (no job), every row held. Every row carries
--   store_id and eid, the key a consumer of at-least-once output dedupes on.
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/container_drift.sql >> /var/log/procsql/container_drift.jsonl
-- `why` says which rule matched:
--   'upper layer'  exe_upper_layer = 1: the file was written or copied up after the
--                  container started (Falco's "drift");
--   'tmpfs'        the file is on a tmpfs (/dev/shm, /run, a memfd: fileless execution);
--   'volume'       the file is on another file system than the image's, in a container
--                  whose image is an overlay (some exec of it ran from overlay): a host
--                  directory or volume mounted into it.
-- The runtime's own setup stage is left out (runc runs as path '/' or a runc_cloned memfd
--   inside the new cgroup), and so is the engine's init as the container's pid 1
--   (`docker run --init`, or "init": true in daemon.json: the host's docker-init bound at
--   /sbin/docker-init; podman's catatonit at /run/podman-init), a host file by design.
--   The eBPF backend only: exe_fs and exe_upper_layer are NULL on the audit backend.
WITH win AS MATERIALIZED (
    SELECT store_id, lo, hi FROM procsql_window(@job, 'process_events')
),
overlay_containers AS MATERIALIZED (
    SELECT DISTINCT container_id FROM process_events
     WHERE container_id IS NOT NULL AND exe_fs = 'overlay'
)
SELECT win.store_id, p.eid,
       datetime(p.time, 'unixepoch') AS at,
       CASE WHEN p.exe_upper_layer = 1 THEN 'upper layer'
            WHEN p.exe_fs IN ('tmpfs', 'ramfs') THEN 'tmpfs'
            ELSE 'volume' END AS why,
       p.exe_fs, p.exe_upper_layer,
       p.container_id, m.runtime, m.container_name, m.image, m.pod_name, m.pod_namespace,
       p.pid, p.parent, p.uid, p.euid, p.path, p.filename, p.cmdline, p.cwd
  FROM win
  JOIN process_events p ON p.eid BETWEEN win.lo AND win.hi
  LEFT JOIN container_map m ON m.cgroup_id = p.cgroup_id
 WHERE p.container_id IS NOT NULL
   AND p.path != '/' AND p.path NOT GLOB '/memfd:runc_cloned:*'
   AND NOT (p.ns_pid = 1 AND p.path IN ('/sbin/docker-init', '/run/podman-init'))
   AND (p.exe_upper_layer = 1
        OR p.exe_fs IN ('tmpfs', 'ramfs')
        OR (p.exe_fs != 'overlay'
            AND p.container_id IN (SELECT container_id FROM overlay_containers)))
 ORDER BY p.eid;
