-- Question: which containers run processes with no seccomp filter? Docker, containerd and
--   CRI-O give a container a default seccomp profile; a process without one
--   (`--security-opt seccomp=unconfined`, `--privileged`, a pod with
--   `seccompProfile: Unconfined`) can make every system call the kernel has, which is
--   what most container escapes need.
-- Driving table: process_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'process_events'): those after the job's last
--   commit; with @job NULL (no job), every row held. One row per container and run: its
--   first exec without seccomp in the window (first_eid, with store_id the key a consumer
--   of at-least-once output dedupes on) and how many there were.
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/containers_without_seccomp.sql >> /var/log/procsql/containers_without_seccomp.jsonl
-- The runtime's own setup stage is left out (runc runs as path '/' or a runc_cloned memfd
--   inside the new cgroup, before the profile is applied). On the audit backend `seccomp`
--   is read from /proc at the exec and is NULL for a process gone before that: such rows
--   are not counted.
WITH win AS MATERIALIZED (
    SELECT store_id, lo, hi FROM procsql_window(@job, 'process_events')
),
unconfined AS (
    SELECT p.container_id, min(p.eid) AS first_eid, count(*) AS execs
      FROM win
      JOIN process_events p ON p.eid BETWEEN win.lo AND win.hi
     WHERE p.container_id IS NOT NULL AND p.seccomp = 'disabled'
       AND p.path != '/' AND p.path NOT GLOB '/memfd:runc_cloned:*'
     GROUP BY p.container_id
)
SELECT win.store_id, u.first_eid, u.execs,
       datetime(e.time, 'unixepoch') AS at,
       u.container_id, m.runtime, m.container_name, m.image, m.pod_name, m.pod_namespace,
       e.pid, e.uid, e.euid, e.no_new_privs, procsql_caps_text(e.cap_effective) AS caps,
       e.path, e.cmdline
  FROM win, unconfined u
  JOIN process_events e ON e.eid = u.first_eid
  LEFT JOIN container_map m ON m.cgroup_id = e.cgroup_id
 ORDER BY u.first_eid;
