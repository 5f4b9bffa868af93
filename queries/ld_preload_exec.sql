-- Question: which programs were started with code injected by the dynamic loader
--   (`LD_PRELOAD` or `LD_AUDIT` set in the environment the new image got), other than
--   the known preloaders listed below? A preloaded library runs inside the program before
--   its own code: rootkits (libprocesshider, Jynx, Azazel), credential sniffers hooking PAM
--   or SSL, and sandbox escapes use it.
-- Driving table: process_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'process_events'): those after the job's last
--   commit, once each; with @job NULL (no job), every row held. Every row carries
--   store_id and eid, the key a consumer of at-least-once output dedupes on.
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/ld_preload_exec.sql >> /var/log/procsql/ld_preload_exec.jsonl
-- Needs `LD_PRELOAD` and `LD_AUDIT` in PROCSQL_ENV (they are by default); the eBPF backend
--   only (the audit backend cannot see environments: env is NULL there). An empty value
--   injects nothing and is not reported. A value is allowed when it matches one of the
--   GLOB patterns of `allowed` as a whole (a value naming several libraries must match one
--   pattern entirely): edit the list for what this fleet preloads on purpose.
WITH allowed(pattern) AS (
    VALUES ('*/libeatmydata.so*'),
           ('*/libjemalloc.so*'),
           ('*/libtcmalloc*.so*'),
           ('*/faketime/libfaketime*.so*'),
           ('*/libfakeroot/libfakeroot*.so*'),
           ('libfakeroot-sysv.so'),
           ('*/libgtk3-nocsd.so*')
),
injected AS (
    SELECT w.store_id, p.*,
           json_extract(p.env, '$.LD_PRELOAD') AS ld_preload,
           json_extract(p.env, '$.LD_AUDIT') AS ld_audit
      FROM procsql_window(@job, 'process_events') AS w
      JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi
     WHERE p.env IS NOT NULL
)
SELECT store_id, eid,
       datetime(time, 'unixepoch') AS at,
       ld_preload, ld_audit,
       pid, parent, parent_path, uid, euid, tty,
       path, cmdline, cwd, container_id
  FROM injected i
 WHERE (coalesce(ld_preload, '') != ''
        AND NOT EXISTS (SELECT 1 FROM allowed a WHERE i.ld_preload GLOB a.pattern))
    OR (coalesce(ld_audit, '') != ''
        AND NOT EXISTS (SELECT 1 FROM allowed a WHERE i.ld_audit GLOB a.pattern))
 ORDER BY eid;
