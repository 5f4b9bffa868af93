-- Question: which containers started: with which runtime, name, image and Kubernetes pod,
--   and what did each one run first? An inventory of what came up on this node, and a way
--   to spot a container nobody deployed (a `docker run --privileged` by hand, a pod in an
--   unexpected namespace).
-- Driving table: process_events, through each container's first exec (first_eid). Run as a
--   job (procsql query FILE, or @job bound in the shell), each run reports the containers
--   whose first exec is in procsql_window(@job, 'process_events'), each container once, with
--   its map row if it still has one (PROCSQL_CONTAINER_GRACE keeps removed ones a while).
--   With @job NULL (no job) every container is listed, also those with no exec retained
--   (started before the collector, or overwritten). store_id and first_eid are the key a
--   consumer of at-least-once output dedupes on.
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/container_starts.sql >> /var/log/procsql/container_starts.jsonl
-- One row per container id. A container may own several cgroups (the runtime's, and any
--   the container makes below it; a restarted one a new cgroup at the same path): the
--   metadata is its top cgroup's (the live one after a restart), created_time the
--   earliest. `first_*` is the container's first exec that is not the runtime's own stage
--   (runc runs its setup as path '/' or a runc_cloned memfd inside the new cgroup); NULL
--   when no exec of it is retained.
WITH win AS MATERIALIZED (
    SELECT store_id, lo, hi, job FROM procsql_window(@job, 'process_events')
),
map AS (
    -- The container's top cgroup; after a restart (a new cgroup of the same path) the
    -- live one, else the newest.
    SELECT container_id, cgroup_path, runtime, container_name, image,
           pod_uid, pod_name, pod_namespace, removed_time
      FROM (SELECT *, row_number() OVER (PARTITION BY container_id
                                         ORDER BY length(cgroup_path),
                                                  removed_time IS NOT NULL,
                                                  created_time DESC) AS pick
              FROM container_map
             WHERE container_id IS NOT NULL)
     WHERE pick = 1
),
created AS (
    SELECT container_id, min(created_time) AS created_time
      FROM container_map
     WHERE container_id IS NOT NULL
     GROUP BY container_id
),
first_exec AS (
    SELECT container_id, min(eid) AS first_eid
      FROM process_events
     WHERE container_id IS NOT NULL
       AND path != '/' AND path NOT GLOB '/memfd:runc_cloned:*'
     GROUP BY container_id
),
ids AS (
    SELECT container_id FROM map
    UNION
    SELECT container_id FROM first_exec
)
SELECT win.store_id, i.container_id,
       m.runtime, m.container_name, m.image,
       m.pod_name, m.pod_namespace, m.pod_uid,
       m.cgroup_path,
       datetime(c.created_time / 1000000000, 'unixepoch') AS created,
       c.created_time,
       m.removed_time,
       f.first_eid,
       datetime(e.time, 'unixepoch') AS first_exec_at,
       e.path AS first_path, e.cmdline AS first_cmdline, e.uid AS first_uid
  FROM win, ids i
  LEFT JOIN map m ON m.container_id = i.container_id
  LEFT JOIN created c ON c.container_id = i.container_id
  LEFT JOIN first_exec f ON f.container_id = i.container_id
  LEFT JOIN process_events e ON e.eid = f.first_eid
 WHERE f.first_eid BETWEEN win.lo AND win.hi
    OR (win.job IS NULL AND f.first_eid IS NULL)
 ORDER BY coalesce(c.created_time, e.time_ns), i.container_id;
