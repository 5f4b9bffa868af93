-- Question: which programs ran in a container with CAP_SYS_ADMIN in their effective
--   capabilities? A container runtime's default set leaves it out; with it (`--privileged`,
--   `--cap-add SYS_ADMIN`, a pod with `privileged: true`) a process can mount file systems,
--   load BPF and reach the host in many ways.
-- Driving table: process_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'process_events'): those after the job's last
--   commit, once each; with @job NULL (no job), every row held. Every row carries
--   store_id and eid, the key a consumer of at-least-once output dedupes on.
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/privileged_container_processes.sql >> /var/log/procsql/privileged_container_processes.jsonl
-- CAP_SYS_ADMIN is capability 21 (bit 2097152). The runtime's own setup stage is left out
--   (runc runs as path '/' or a runc_cloned memfd inside the new cgroup, before it drops
--   capabilities). `caps` names every effective capability.
SELECT w.store_id, p.eid,
       datetime(p.time, 'unixepoch') AS at,
       p.container_id, m.runtime, m.container_name, m.image, m.pod_name, m.pod_namespace,
       procsql_caps_text(p.cap_effective) AS caps,
       p.seccomp, p.no_new_privs,
       p.pid, p.parent, p.uid, p.euid, p.path, p.cmdline, p.cwd
  FROM procsql_window(@job, 'process_events') AS w
  JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi
  LEFT JOIN container_map m ON m.cgroup_id = p.cgroup_id
 WHERE p.container_id IS NOT NULL
   AND (p.cap_effective & 2097152) != 0
   AND p.path != '/' AND p.path NOT GLOB '/memfd:runc_cloned:*'
 ORDER BY p.eid;
