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
--   injects nothing and is not reported. A value is allowed when EVERY library it names
--   is: the values are split where ld.so splits LD_PRELOAD (at spaces and colons; LD_AUDIT
--   is split at colons only, so splitting it at spaces too only makes more pieces, each of
--   which must be allowed), and each piece must match one GLOB pattern of `allowed` as a
--   whole, so `/usr/lib/x86_64-linux-gnu/libeatmydata.so:/tmp/x.so` is reported. The
--   patterns name a library in the system's library directories (`/usr/lib*/`; `/lib...` is
--   read as `/usr/lib...`, one directory on a merged-/usr system), never a name anywhere: a
--   `/tmp/libjemalloc.so` is reported, and so is a piece with a `..` component. A bare name
--   (`libfakeroot-sysv.so`) is searched by ld.so in its library path. Edit the list for
--   what this fleet preloads on purpose.
WITH RECURSIVE allowed(pattern) AS (
    VALUES ('/usr/lib*/libeatmydata.so*'),
           ('/usr/lib*/libjemalloc.so*'),
           ('/usr/lib*/libtcmalloc*.so*'),
           ('/usr/lib*/faketime/libfaketime*.so*'),
           ('/usr/lib*/libfakeroot/libfakeroot*.so*'),
           ('libfakeroot-sysv.so'),
           ('/usr/lib*/libgtk3-nocsd.so*')
),
injected AS (
    SELECT w.store_id, p.*,
           json_extract(p.env, '$.LD_PRELOAD') AS ld_preload,
           json_extract(p.env, '$.LD_AUDIT') AS ld_audit
      FROM procsql_window(@job, 'process_events') AS w
      JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi
     WHERE p.env IS NOT NULL
       AND (coalesce(json_extract(p.env, '$.LD_PRELOAD'), '') != ''
            OR coalesce(json_extract(p.env, '$.LD_AUDIT'), '') != '')
),
-- Every library named: `rest` is what is left to split, with spaces made colons.
pieces(eid, lib, rest) AS (
    SELECT eid, '', replace(coalesce(ld_preload, '') || ':' || coalesce(ld_audit, ''), ' ', ':') || ':'
      FROM injected
    UNION ALL
    SELECT eid, substr(rest, 1, instr(rest, ':') - 1), substr(rest, instr(rest, ':') + 1)
      FROM pieces
     WHERE rest != ''
),
refused AS (
    SELECT DISTINCT eid
      FROM pieces
     WHERE lib != ''
       AND (lib GLOB '*/../*' OR lib GLOB '*/..' OR lib GLOB '../*'
            OR NOT EXISTS (SELECT 1 FROM allowed a
                            WHERE CASE WHEN lib GLOB '/lib*/*'
                                       THEN '/usr' || lib ELSE lib END GLOB a.pattern))
)
SELECT store_id, eid,
       datetime(time, 'unixepoch') AS at,
       ld_preload, ld_audit,
       pid, parent, parent_path, uid, euid, tty,
       path, cmdline, cwd, container_id
  FROM injected
 WHERE eid IN (SELECT eid FROM refused)
 ORDER BY eid;
