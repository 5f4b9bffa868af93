-- Question: which programs ran from a world-writable scratch directory (/tmp, /dev/shm,
--   /var/tmp, on the host or inside a container), and which of those binaries are setuid
--   or setgid? Software is installed elsewhere; a dropped payload, an exploit's helper or
--   a planted setuid shell is typically run from these places.
-- Suggested interval: every 5 minutes from cron, resuming after the last eid it reported
--   (replace the 0 in `eid > 0`).
-- `path` is the binary that actually ran (symlinks resolved; a container's own view of
--   its paths). A `#!` script in these directories runs its interpreter (path /bin/sh...),
--   so the script itself is matched by `filename` (absolute, or relative to `cwd`):
--   `what` says which of the two matched. setuid is mode bit 2048 (04000), setgid 1024
--   (02000); `escalated` says the exec actually changed the effective ids (a nosuid mount
--   ignores the bits, and a setuid binary run by its owner changes nothing).
SELECT eid,
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
  FROM (SELECT *,
               CASE WHEN filename GLOB '/*' THEN filename
                    ELSE rtrim(cwd, '/') || '/' || filename END AS file
          FROM process_events
         WHERE eid > 0)
 WHERE path GLOB '/tmp/*' OR path GLOB '/dev/shm/*' OR path GLOB '/var/tmp/*'
    OR file GLOB '/tmp/*' OR file GLOB '/dev/shm/*' OR file GLOB '/var/tmp/*'
 ORDER BY eid;
