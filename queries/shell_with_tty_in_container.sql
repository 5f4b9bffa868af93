-- Question: who opened an interactive shell (one with a terminal) inside a container, in
--   which pod and namespace, as which user, and which commands did they type into it?
--   A `kubectl exec -it` / `docker exec -it` shell in production is rare and worth a look;
--   the commands typed into it are what happened.
-- Driving table: process_events. Run as a job (procsql query FILE, or @job bound in the shell), each
--   run reports the rows of procsql_window(@job, 'process_events'): those after the job's last
--   commit, once each; with @job NULL (no job), every row held. Every row carries
--   store_id and eid, the key a consumer of at-least-once output dedupes on. The shells a window's commands belong to may be
--   older than the window: they are looked up in the whole table (and in `processes`).
-- Cron (README, "Scheduled queries"):
--   */5 * * * * root procsql query --format jsonl /usr/share/procsql/queries/shell_with_tty_in_container.sql >> /var/log/procsql/shell_with_tty_in_container.jsonl
-- One row per shell started (event 'shell') and one per external command run from it
--   (event 'command'). Builtins (cd, echo, a busybox shell's NOFORK applets) run no
--   program and are not seen.
-- A shell is recognised by what actually runs, not by its name: the binary's `path` is a
--   shell (sh, ash, bash, dash, zsh, ksh, mksh, yash, hush), or it is a multi-call binary
--   (busybox, toybox) whose applet is a shell. busybox picks its applet from argv[0]'s
--   last component (a leading '-' for login shells is dropped), or argv[1] when argv[0] is
--   busybox itself; the name it was exec'd by (`filename`) plays no part, so /bin/ls
--   exec'd with argv[0] 'sh' is a shell and /bin/sh exec'd with argv[0] 'ls' is not.
-- A command belongs to the shell when its parent is that shell process at the moment the
--   command's process was forked: the shell's exec came before the fork, and no later exec
--   or exit of the parent pid came in between (so a reused pid is not taken for the
--   shell). A shell that started before the collector (so without an exec row) is taken
--   from `processes` while it is still running.
-- Kept inside a container: the shell has a container_id and a controlling terminal.
WITH win AS MATERIALIZED (
    SELECT store_id, lo, hi FROM procsql_window(@job, 'process_events')
),
cm AS MATERIALIZED (
    SELECT cgroup_id, runtime, container_name, image, pod_uid, pod_name, pod_namespace
      FROM container_map
),
-- Exec rows in containers with a terminal, with the last path component of the binary
-- and of argv[0] (substr after the last '/').
tty_execs AS MATERIALIZED (
    SELECT eid, time, time_ns, pid, start_time, cgroup_id, container_id, tty, uid, euid,
           path, cmdline, cwd,
           substr(path, length(rtrim(path, replace(path, '/', ''))) + 1) AS bin,
           ltrim(substr(a0, length(rtrim(a0, replace(a0, '/', ''))) + 1), '-') AS arg0,
           json_extract(argv, '$[1]') AS arg1
      FROM (SELECT *, json_extract(argv, '$[0]') AS a0 FROM process_events)
     WHERE container_id IS NOT NULL AND tty IS NOT NULL
),
shells AS MATERIALIZED (
    SELECT *,
           CASE WHEN bin GLOB 'busybox*' OR bin = 'toybox'
                THEN bin || ' ' || CASE WHEN arg0 GLOB 'busybox*' OR arg0 = 'toybox'
                                        THEN arg1 ELSE arg0 END
                ELSE bin END AS shell
      FROM tty_execs
     WHERE bin IN ('sh', 'ash', 'bash', 'dash', 'zsh', 'ksh', 'ksh93', 'mksh', 'yash', 'hush')
        OR ((bin GLOB 'busybox*' OR bin = 'toybox')
            AND (arg0 IN ('sh', 'ash', 'bash', 'hush')
                 OR ((arg0 GLOB 'busybox*' OR arg0 = 'toybox')
                     AND arg1 IN ('sh', 'ash', 'bash', 'hush'))))
),
-- Running shells that have no exec row (started before the collector, or overwritten):
-- argv[0] is the first word of cmdline.
live_shells AS MATERIALIZED (
    SELECT pid, start_time, container_id, tty, uid, cmdline,
           CASE WHEN bin GLOB 'busybox*' OR bin = 'toybox' THEN bin || ' ' || arg0
                ELSE bin END AS shell
      FROM (SELECT p.*,
                   substr(p.path, length(rtrim(p.path, replace(p.path, '/', ''))) + 1) AS bin,
                   ltrim(substr(w0, length(rtrim(w0, replace(w0, '/', ''))) + 1), '-') AS arg0
              FROM (SELECT *, CASE WHEN instr(cmdline, ' ') > 0
                                   THEN substr(cmdline, 1, instr(cmdline, ' ') - 1)
                                   ELSE cmdline END AS w0
                      FROM processes) p) l
     WHERE container_id IS NOT NULL AND tty IS NOT NULL
       AND (bin IN ('sh', 'ash', 'bash', 'dash', 'zsh', 'ksh', 'ksh93', 'mksh', 'yash', 'hush')
            OR ((bin GLOB 'busybox*' OR bin = 'toybox') AND arg0 IN ('sh', 'ash', 'bash', 'hush')))
       AND NOT EXISTS (SELECT 1 FROM process_events x
                        WHERE x.pid = l.pid AND x.start_time = l.start_time
                          AND x.time_ns >= l.start_time)
),
commands AS (
    SELECT c.*, s.pid AS shell_pid, s.shell, s.tty AS shell_tty
      FROM process_events c
      JOIN shells s ON s.pid = c.parent AND s.container_id = c.container_id
                   AND s.time_ns <= c.start_time
     WHERE c.eid BETWEEN (SELECT lo FROM win) AND (SELECT hi FROM win)
       AND c.container_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM process_events x
                        WHERE x.pid = s.pid AND x.time_ns > s.time_ns
                          AND x.time_ns <= c.start_time)
       AND NOT EXISTS (SELECT 1 FROM process_exits z
                        WHERE z.pid = s.pid AND z.time_ns >= s.time_ns
                          AND z.time_ns <= c.start_time)
    UNION ALL
    SELECT c.*, l.pid AS shell_pid, l.shell, l.tty AS shell_tty
      FROM process_events c
      JOIN live_shells l ON l.pid = c.parent AND l.container_id = c.container_id
                        AND l.start_time <= c.start_time
     WHERE c.eid BETWEEN (SELECT lo FROM win) AND (SELECT hi FROM win)
       AND c.container_id IS NOT NULL
)
SELECT win.store_id, 'shell' AS event, s.eid,
       datetime(s.time, 'unixepoch') AS at,
       s.container_id, m.runtime, m.container_name, m.image,
       m.pod_name, m.pod_namespace, m.pod_uid,
       s.tty, s.pid AS shell_pid, s.shell,
       s.pid, s.uid, s.euid, s.path, s.cmdline, s.cwd
  FROM win
  JOIN shells s ON s.eid BETWEEN win.lo AND win.hi
  LEFT JOIN cm m ON m.cgroup_id = s.cgroup_id
UNION ALL
SELECT win.store_id, 'command', c.eid,
       datetime(c.time, 'unixepoch'),
       c.container_id, m.runtime, m.container_name, m.image,
       m.pod_name, m.pod_namespace, m.pod_uid,
       coalesce(c.tty, c.shell_tty), c.shell_pid, c.shell,
       c.pid, c.uid, c.euid, c.path, c.cmdline, c.cwd
  FROM win, commands c
  LEFT JOIN cm m ON m.cgroup_id = c.cgroup_id
 ORDER BY 3;
