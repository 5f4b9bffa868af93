-- Question: which programs ran from a world-writable scratch directory (/tmp, /dev/shm,
--   /var/tmp, on the host or inside a container), and which of those binaries are setuid
--   or setgid? Software is installed elsewhere; a dropped payload, an exploit's helper or
--   a planted setuid shell is typically run from these places.
-- Driving table: process_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'process_events'): those after the job's last
--   commit, once each; with @job NULL (no job), every row held. Every row carries
--   store_id and eid, the key a consumer of at-least-once output dedupes on.
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/exec_from_writable_dirs.sql >> /var/log/procsql/exec_from_writable_dirs.jsonl
-- `path` is the binary that actually ran (symlinks resolved; a container's own view of
--   its paths). A `#!` script in these directories runs its interpreter (path /bin/sh...),
--   so the script itself is matched by `filename` (absolute, or relative to `cwd`):
--   `what` says which of the two matched. setuid is mode bit 2048 (04000), setgid 1024
--   (02000); `escalated` says the exec actually changed the effective ids (a nosuid mount
--   ignores the bits, and a setuid binary run by its owner changes nothing).
SELECT store_id, eid,
       datetime(time, 'unixepoch') AS at,
       CASE WHEN path GLOB '/tmp/*' OR path GLOB '/dev/shm/*' OR path GLOB '/var/tmp/*'
            THEN 'binary' ELSE 'script or link' END AS what,
       (mode & 2048) != 0 AS setuid,
       (mode & 1024) != 0 AS setgid,
       (euid != uid OR egid != gid) AS escalated,
       printf('%o', mode & 4095) AS perms,
       owner_uid, owner_gid,
       pid, parent, parent_path, uid, euid, gid, egid, tty,
       path, filename, cmdline, cwd, container_id
  FROM (SELECT p.*, w.store_id,
               CASE WHEN p.filename GLOB '/*' THEN p.filename
                    ELSE rtrim(p.cwd, '/') || '/' || p.filename END AS file
          FROM procsql_window(@job, 'process_events') AS w
          JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi)
 WHERE path GLOB '/tmp/*' OR path GLOB '/dev/shm/*' OR path GLOB '/var/tmp/*'
    OR file GLOB '/tmp/*' OR file GLOB '/dev/shm/*' OR file GLOB '/var/tmp/*'
 ORDER BY eid;
