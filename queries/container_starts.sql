-- Question: which containers started: with which runtime, name, image and Kubernetes pod,
--   and what did each one run first? An inventory of what came up on this node, and a way
--   to spot a container nobody deployed (a `docker run --privileged` by hand, a pod in an
--   unexpected namespace).
-- Suggested interval: every 5 minutes from cron. A container is reported when container_map
--   says its cgroup was created in the last 300 seconds (replace 300 with the interval), or
--   when its first exec is new since the last run (replace the 0 in `first_eid > 0` with
--   the largest first_eid reported so far): the second catches containers whose map row
--   is already gone (PROCSQL_CONTAINER_GRACE) or that were created before the collector.
-- One row per container id. A container may own several cgroups (the runtime's, and any
--   the container makes below it): the metadata is its top cgroup's, created_time the
--   earliest. `first_*` is the container's first exec that is not the runtime's own stage
--   (runc runs its setup as path '/' or a runc_cloned memfd inside the new cgroup); NULL
--   when no exec of it is retained.
WITH map AS (
    SELECT container_id,
           min(length(cgroup_path)) AS depth,  -- picks the top cgroup's row (bare columns)
           cgroup_path, runtime, container_name, image,
           pod_uid, pod_name, pod_namespace, removed_time
      FROM container_map
     WHERE container_id IS NOT NULL
     GROUP BY container_id
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
SELECT i.container_id,
       m.runtime, m.container_name, m.image,
       m.pod_name, m.pod_namespace, m.pod_uid,
       m.cgroup_path,
       datetime(c.created_time / 1000000000, 'unixepoch') AS created,
       c.created_time,
       m.removed_time,
       f.first_eid,
       datetime(e.time, 'unixepoch') AS first_exec_at,
       e.path AS first_path, e.cmdline AS first_cmdline, e.uid AS first_uid
  FROM ids i
  LEFT JOIN map m ON m.container_id = i.container_id
  LEFT JOIN created c ON c.container_id = i.container_id
  LEFT JOIN first_exec f ON f.container_id = i.container_id
  LEFT JOIN process_events e ON e.eid = f.first_eid
 WHERE c.created_time >= (unixepoch() - 300) * 1000000000
    OR f.first_eid > 0
 ORDER BY coalesce(c.created_time, e.time_ns), i.container_id;
