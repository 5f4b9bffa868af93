-- Question: which programs gained root through a setuid-root file: the exec made the
--   effective uid 0 for a user whose real uid is not, and the file is not one of the
--   setuid programs a system ships on purpose? A planted setuid shell, a copied
--   `find`/`vim` with the bit set, or an exploited helper looks like this.
-- Driving table: process_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'process_events'): those after the job's last
--   commit, once each; with @job NULL (no job), every row held. Every row carries
--   store_id and eid, the key a consumer of at-least-once output dedupes on.
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/setuid_escalation.sql >> /var/log/procsql/setuid_escalation.jsonl
-- `expected` lists the allowed programs by full path (edit it for this fleet). pkexec is
--   left out on purpose (PwnKit, CVE-2021-4034): add it if it is used here. setuid is
--   mode bit 2048 (04000). A nosuid mount ignores the bit: then euid stays and nothing is
--   reported.
WITH expected(path) AS (
    VALUES ('/usr/bin/sudo'), ('/usr/bin/su'), ('/usr/bin/passwd'), ('/usr/bin/chsh'),
           ('/usr/bin/chfn'), ('/usr/bin/newgrp'), ('/usr/bin/gpasswd'), ('/usr/bin/mount'),
           ('/usr/bin/umount'), ('/usr/bin/fusermount'), ('/usr/bin/fusermount3'),
           ('/usr/bin/ping'), ('/usr/lib/openssh/ssh-keysign'),
           ('/usr/lib/dbus-1.0/dbus-daemon-launch-helper'), ('/usr/lib/xorg/Xorg.wrap'),
           ('/usr/bin/crontab'), ('/usr/bin/at'), ('/usr/sbin/unix_chkpwd')
)
SELECT w.store_id, p.eid,
       datetime(p.time, 'unixepoch') AS at,
       p.uid, p.euid, p.auid, p.owner_uid, printf('%o', p.mode & 4095) AS perms,
       p.pid, p.parent, p.parent_path, p.tty,
       p.path, p.filename, p.cmdline, p.cwd, p.container_id
  FROM procsql_window(@job, 'process_events') AS w
  JOIN process_events AS p ON p.eid BETWEEN w.lo AND w.hi
 WHERE p.euid = 0 AND p.uid != 0
   AND (p.mode & 2048) != 0 AND p.owner_uid = 0
   AND p.path NOT IN (SELECT path FROM expected)
 ORDER BY p.eid;
