#!/bin/sh
# checks.sh BACKEND SO: loads SO in one sqlite3 shell with PROCSQL_BACKEND=BACKEND,
# does marked things while it is loaded, then checks every table's rows for them.
# Runs as root in a guest (busybox sh, no python) and on the host (dash), so it
# is POSIX sh with busybox's tool set only.
#
# Output, read by matrix.sh:  KM PASS|FAIL BACKEND NAME: what it got [; want ...]
#                             KM FACT BACKEND KEY=VALUE   (the README table's cells)
# Exit status 1 when a check failed.
#
# Rows are found by a marker unique to this run in argv ("$M.rel", "$M.exit", ...):
# other processes may run meanwhile, and the host keeps running its own.
set -u
self=$(readlink -f "$0")

# The marked activity. Runs from inside the sqlite3 session (.shell), so it
# happens while the collector is loaded. Every command has a '/' in its name
# so that the shell really execs it (no builtin or busybox applet shortcut).
actions() { # MARKER WORKDIR CGROUP-DIR
  m=$1 w=$2 cg=$3
  (cd /bin && ./true "$m.rel")
  (cd "$(cat "$w/deep.dir")" && ./true "$m.deep")
  (/bin/true "$m.fork")
  unshare -n /bin/true "$m.unshare"
  /bin/sh -c 'exit 7' "$m.exit"
  # A failed exec (ENOENT), an exec_failures row (the shell's "not found"
  # is not an error of the session).
  (/nonexistent-km/"$m.fail" "$m.failarg") 2>/dev/null
  # (The shell reporting the death says "Killed" on stderr: not an error.)
  (/bin/sh -c 'kill -9 $$' "$m.sig"; true) 2>/dev/null
  # Alive while the queries run, gone within a second of $w/live.run being
  # removed (a plain sleep would outlive a host run by minutes), at most 10 min.
  touch "$w/live.run"
  /bin/sh -c 'i=0; while [ -e "$1" ] && [ $i -lt 600 ]; do sleep 1; i=$((i + 1)); done' \
    "$m.live" "$w/live.run" </dev/null >/dev/null 2>&1 &
  # A container's cgroup made while loaded (container_map's mkdir event), and
  # an exec inside it.
  mkdir "$cg"
  /bin/sh -c 'echo $$ >"$1/cgroup.procs" && exec /bin/true "$2.cg"' sh "$cg" "$m"
  # A group whose leader exits first (status 5) and whose last thread exits
  # with 9, neither through exit_group: what wait(2) says is kept.
  "$KM_LIFECYCLE" leaderstatus "$m.lead"
  echo $? >"$w/lead.status"
  # process_events.env: only the allowlisted variable, never the other one.
  env -i HISTFILE="/tmp/$m.hist" KM_NOT_LISTED="$m.secret" /bin/true "$m.env"
  setpriv --nnp /bin/true "$m.nnp"
  # exe_upper_layer: an overlay (on a tmpfs: its upper layer needs xattrs)
  # with one binary in the lower layer and one copied in through the mount.
  # Debian's kernels have overlay as a module: it is loaded here, after
  # procsql started, as a container engine's first start would load it.
  ov=$w/ov
  mkdir "$ov" && mount -t tmpfs tmpfs "$ov" && mkdir "$ov/l" "$ov/u" "$ov/w" "$ov/m"
  cp "$(readlink -f /bin/true)" "$ov/l/lowtrue"
  if grep -qw overlay /proc/filesystems; then
    echo built-in >"$w/ov.how"
  elif [ -f "/km/modules/$(uname -r)/overlay.ko" ]; then
    insmod "/km/modules/$(uname -r)/overlay.ko" && echo "module, loaded after procsql started" >"$w/ov.how"
  else
    modprobe overlay && echo "module, loaded after procsql started" >"$w/ov.how"
  fi
  mount -t overlay overlay -o "lowerdir=$ov/l,upperdir=$ov/u,workdir=$ov/w" "$ov/m"
  cp "$(readlink -f /bin/true)" "$ov/m/uptrue"
  # (In a guest these are busybox, which knows no such applet: it says so
  # and exits 127 after the exec that counts.)
  "$ov/m/lowtrue" "$m.ovlow" 2>/dev/null
  "$ov/m/uptrue" "$m.ovup" 2>/dev/null
  umount "$ov/m"
  umount "$ov"
}
if [ "${1:-}" = --actions ]; then
  actions "$2" "$3" "$4"
  exit 0
fi

backend=${1:?usage: checks.sh BACKEND SO}
so=${2:?usage: checks.sh BACKEND SO}
failures=0 passes=0
say() { echo "KM $*"; }
pass() { say PASS "$backend" "$1: $2"; passes=$((passes + 1)); }
fail() { say FAIL "$backend" "$1: got '$2'; want $3"; failures=$((failures + 1)); }
eq() { if [ "$2" = "$3" ]; then pass "$1" "$2"; else fail "$1" "$2" "'$3'"; fi; }
# NAME GOT PATTERN WHAT: GOT matches the shell PATTERN
like() { case $2 in $3) pass "$1" "$2" ;; *) fail "$1" "$2" "$4" ;; esac; }
fact() { say FACT "$backend" "$1=$2"; }
: "${KM_LIFECYCLE:?KM_LIFECYCLE: the path of tests/progs/lifecycle}"

# A kernel booted with lockdown=confidentiality: eBPF is refused, and the
# message says lockdown (not "needs root"); auto falls back to audit and says why.
if [ "$backend" = lockdown ]; then
  fact kernel "$(uname -r)"
  like lockdown.mode "$(cat /sys/kernel/security/lockdown 2>&1)" "*\[confidentiality\]*" "[confidentiality]"
  err=$(PROCSQL_BACKEND=bpf sqlite3 -batch :memory: ".load $so" 2>&1 >/dev/null)
  like lockdown.bpf_error "$err" "*lockdown mode 'confidentiality'*" "the lockdown named"
  case $err in *root*) fail lockdown.not_root "$err" "no word of root" ;; *) pass lockdown.not_root "$err" ;; esac
  out=$(PROCSQL_BACKEND=auto sqlite3 -batch :memory: ".load $so" \
    "SELECT value FROM procsql_stats WHERE name = 'backend';" 2>"/tmp/km.lockdown.err")
  eq lockdown.auto_backend "$out" audit
  like lockdown.auto_says_why "$(cat /tmp/km.lockdown.err)" "*eBPF unavailable (the kernel is in lockdown*" \
    "the fallback line naming the lockdown"
  say RESULT "$backend" "passed=$passes failed=$failures"
  [ "$failures" = 0 ]
  exit
fi

# The defaults only: a PROCSQL_BPF_NO_LOOP=1 left in the environment would
# make a kernel look older than it is.
for v in $(env | sed -n 's/^\(PROCSQL_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

m=km$$r$(cut -c1-8 /proc/sys/kernel/random/uuid)
w=$(mktemp -d /tmp/km.XXXXXX)
cid=$(printf %s "$m" | sha256sum | cut -c1-64)
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || { cg2=$w/no-cgroup2 && mkdir "$cg2"; }
cg=$cg2/docker-$cid.scope

# 60 components below $w/deep: past the bounded walk's 48 on kernels without
# bpf_loop.
deep_dir=$w/deep i=1
while [ $i -le 60 ]; do deep_dir=$deep_dir/d$i; i=$((i + 1)); done
mkdir -p "$deep_dir"
deep_dir=$(cd "$deep_dir" && pwd -P)
echo "$deep_dir" >"$w/deep.dir"
cp "$(readlink -f /bin/true)" "$deep_dir/true"

# One session: the collector lives as long as the connection, so the activity
# and every query must share it. The virtual tables are copied into temp
# tables once (they cannot be used in views), and each query prints KEY=VALUE.
cat >"$w/session.sql" <<EOF
.bail on
.load $so
.shell sh $self --actions $m $w $cg
.nullvalue NULL
.mode list
.separator =
CREATE TEMP TABLE pe AS SELECT substr(j.value, length('$m.') + 1) AS tag, e.*
  FROM process_events e, json_each(e.argv) j WHERE j.value LIKE '$m.%';
CREATE TEMP TABLE ce AS SELECT * FROM clone_events;
CREATE TEMP TABLE px AS SELECT * FROM process_exits;
CREATE TEMP TABLE pr AS SELECT * FROM processes WHERE cmdline LIKE '%$m.%';
CREATE TEMP TABLE cm AS SELECT * FROM container_map WHERE container_id = '$cid';
CREATE TEMP TABLE st AS SELECT * FROM procsql_stats;
CREATE TEMP TABLE ef AS SELECT * FROM exec_failures WHERE filename LIKE '%/$m.fail';
CREATE TEMP TABLE su AS SELECT * FROM syscall_usage WHERE container_id = '$cid';
SELECT 'stat.' || name, value FROM st;
SELECT tag || '.n', count(*) FROM pe GROUP BY tag;
SELECT tag || '.path', path FROM pe;
SELECT tag || '.filename', filename FROM pe;
SELECT tag || '.cmdline', cmdline FROM pe;
SELECT tag || '.cwd', cwd FROM pe;
SELECT tag || '.path_truncated', path_truncated FROM pe;
SELECT tag || '.syscall', syscall FROM pe;
SELECT tag || '.container_id', container_id FROM pe;
SELECT tag || '.cgroup_id', cgroup_id FROM pe;
SELECT tag || '.env', env FROM pe;
SELECT tag || '.no_new_privs', no_new_privs FROM pe;
-- env and setpriv exec themselves with the marker first: the program they run is last.
SELECT tag || '.last.env', env FROM pe WHERE tag = 'env' ORDER BY eid DESC LIMIT 1;
SELECT tag || '.last.no_new_privs', no_new_privs FROM pe WHERE tag = 'nnp' ORDER BY eid DESC LIMIT 1;
SELECT tag || '.seccomp', seccomp FROM pe;
SELECT tag || '.cap_effective', cap_effective FROM pe;
SELECT tag || '.cap_bounding', cap_bounding FROM pe;
SELECT tag || '.exe_fs', exe_fs FROM pe;
SELECT tag || '.exe_upper_layer', exe_upper_layer FROM pe;
SELECT e.tag || '.clone.syscall', c.syscall FROM pe e JOIN ce c
  ON c.child_pid = e.pid AND c.child_start_time = e.start_time;
SELECT e.tag || '.clone.by_parent_result_child', c.pid = e.parent AND c.result = c.child_pid
  FROM pe e JOIN ce c ON c.child_pid = e.pid AND c.child_start_time = e.start_time;
SELECT e.tag || '.unshare.new_namespaces', c.new_namespaces FROM pe e JOIN ce c
  ON c.pid = e.pid AND c.syscall = 'unshare' AND c.time_ns <= e.time_ns;
SELECT e.tag || '.unshare.flags_text', c.flags_text FROM pe e JOIN ce c
  ON c.pid = e.pid AND c.syscall = 'unshare' AND c.time_ns <= e.time_ns;
SELECT e.tag || '.exit.code', x.exit_code FROM pe e JOIN px x ON x.pid = e.pid AND x.start_time = e.start_time;
SELECT e.tag || '.exit.signal', x.signal FROM pe e JOIN px x ON x.pid = e.pid AND x.start_time = e.start_time;
SELECT e.tag || '.exit.path', x.path FROM pe e JOIN px x ON x.pid = e.pid AND x.start_time = e.start_time;
SELECT e.tag || '.exit.status', coalesce(x.exit_code, 128 + x.signal) FROM pe e JOIN px x
  ON x.pid = e.pid AND x.start_time = e.start_time;
SELECT 'processes.n', count(*) FROM pr;
SELECT 'processes.path', path FROM pr;
SELECT 'processes.joins_exec', count(*) FROM pr p JOIN pe e ON e.pid = p.pid AND e.start_time = p.start_time;
SELECT 'cm.n', count(*) FROM cm;
SELECT 'fail.n', count(*) FROM ef;
SELECT 'fail.filename', filename FROM ef;
SELECT 'fail.errno', errno FROM ef;
SELECT 'fail.result', result FROM ef;
SELECT 'fail.cmdline', cmdline FROM ef;
SELECT 'fail.argc', argc FROM ef;
SELECT 'fail.joins_its_shell', count(*) FROM ef f JOIN ce c ON c.child_pid = f.pid AND c.child_start_time = f.start_time;
SELECT 'cm.runtime', runtime FROM cm;
SELECT 'cm.cgroup_path', cgroup_path FROM cm;
SELECT 'cm.cgroup_id', cgroup_id FROM cm;
SELECT 'cm.removed_time', removed_time FROM cm;
SELECT 'su.exit_group', count FROM su WHERE syscall = 'exit_group' AND arch = 'x86_64';
SELECT 'su.execve', count(*) FROM su WHERE syscall = 'execve';
SELECT 'su.rows', count(*) FROM su;
EOF
# syscall_usage records every container on eBPF (the audit backend records
# none): the container's cgroup is made in the session.
sc=; [ "$backend" = bpf ] && sc=all
PROCSQL_SYSCALLS=$sc PROCSQL_BACKEND=$backend sqlite3 -batch :memory: <"$w/session.sql" >"$w/out" 2>"$w/err"
rm -f "$w/live.run"
cg_inode=$(stat -c %i "$cg" 2>/dev/null)
rmdir "$cg" 2>/dev/null

# KEY's value from the session, '(no row)' when there was none.
get() { awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); f = 1; exit }
                        END { if (!f) print "(no row)" }' "$w/out"; }

fact kernel "$(uname -r)"
eq session.stderr "$(tr '\n' ' ' <"$w/err")" ""
eq backend "$(get stat.backend)" "$backend"
if [ "$(get stat.backend)" = "(no row)" ]; then # no session: the rest would say nothing more
  say RESULT "$backend" "passed=$passes failed=$failures"
  rm -rf "$w"
  exit 1
fi
eq kernel_release "$(get stat.kernel_release)" "$(uname -r)"

# A relative exec: the binary that really runs (busybox's applets are symlinks
# to it; Debian's /bin is a symlink to /usr/bin), argv and cwd as given.
eq rel.rows "$(get rel.n)" 1
eq rel.path "$(get rel.path)" "$(readlink -f /bin/true)"
eq rel.filename "$(get rel.filename)" ./true
eq rel.cmdline "$(get rel.cmdline)" "./true $m.rel"
eq rel.cwd "$(get rel.cwd)" "$(cd /bin && pwd -P)"
eq rel.path_truncated "$(get rel.path_truncated)" 0

if [ "$backend" = bpf ]; then
  # What this kernel offers, found without asking procsql: bpf_loop is 5.17+,
  # syscall tracepoints are there when tracefs lists them.
  r=$(uname -r) maj=${r%%.*} min=${r#*.} min=${min%%.*}
  if [ "$maj" -gt 5 ] || { [ "$maj" -eq 5 ] && [ "$min" -ge 17 ]; }; then has_loop=1; else has_loop=0; fi
  # (A tracefs of our own: procsql unmounts the one it mounted when it stops.)
  mkdir "$w/tracefs" && mount -t tracefs tracefs "$w/tracefs" 2>/dev/null
  ev=$w/tracefs/events/syscalls
  if [ -d $ev/sys_enter_execveat ] && [ -d $ev/sys_enter_unshare ]; then has_sc=1; else has_sc=0; fi
  umount "$w/tracefs" 2>/dev/null

  # A path deeper than the bounded walk: whole with bpf_loop, else its end.
  deep_path=$(get deep.path)
  if [ $has_loop = 1 ]; then
    eq deep.path "$deep_path" "$deep_dir/true"
    eq deep.cwd "$(get deep.cwd)" "$deep_dir"
    eq deep.path_truncated "$(get deep.path_truncated)" 0
    fact deep_path whole
  else
    like deep.path "$deep_path" "*/d59/d60/true" "the path's end"
    case $deep_dir/true in *"$deep_path") pass deep.path_is_end "$deep_path" ;;
      *) fail deep.path_is_end "$deep_path" "an end of $deep_dir/true" ;; esac
    eq deep.path_truncated "$(get deep.path_truncated)" 1
    fact deep_path "truncated, end kept"
  fi

  eq exec.syscall "$(get rel.syscall)" "$([ $has_sc = 1 ] && echo execve || echo NULL)"

  # A failed exec (exec_failures), which needs the syscall tracepoints: the
  # name and arguments read from the caller, the error, and the caller's
  # (pid, start_time) from its fork.
  if [ $has_sc = 1 ]; then
    eq fail.rows "$(get fail.n)" 1
    eq fail.filename "$(get fail.filename)" "/nonexistent-km/$m.fail"
    eq fail.errno "$(get fail.errno)" ENOENT
    eq fail.result "$(get fail.result)" -2
    eq fail.cmdline "$(get fail.cmdline)" "/nonexistent-km/$m.fail $m.failarg"
    eq fail.argc "$(get fail.argc)" 2
    eq fail.joins_its_shell "$(get fail.joins_its_shell)" 1
  else
    eq fail.rows "$(get fail.n)" 0
  fi

  # A fork and an unshare, from clone_events.
  sc=$(get fork.clone.syscall)
  case $sc in clone | fork) pass fork.syscall "$sc" ;; *) fail fork.syscall "$sc" "clone or fork" ;; esac
  eq fork.caller_and_child "$(get fork.clone.by_parent_result_child)" 1
  like unshare.new_namespaces "$(get unshare.unshare.new_namespaces)" "*net*" "a list with net"
  like unshare.flags_text "$(get unshare.unshare.flags_text)" "*CLONE_NEWNET*" "CLONE_NEWNET"

  # Exits: a code, a signal, and the executable (process_exits.path).
  eq exit.code "$(get exit.exit.code)" 7
  eq exit.signal "$(get exit.exit.signal)" NULL
  # The exit's path is the exec's (which must itself be a value to compare).
  known() { get "$1" | sed -E 's/^(NULL|\(no row\))$/the path of the exec (missing)/'; }
  eq exit.path "$(get exit.exit.path)" "$(known exit.path)"
  eq sig.code "$(get sig.exit.code)" NULL
  eq sig.signal "$(get sig.exit.signal)" 9
  eq sig.path "$(get sig.exit.path)" "$(known sig.path)"
  if [ "$(get exit.exit.path)" = NULL ]; then fact exit_path NULL; else fact exit_path non-NULL; fi
  # Leader exited first: the status the shell's wait(2) got (9 from 5.19 on,
  # where the last thread's plain exit is made the group's; 5 before).
  eq lead.exit_status "$(get lead.exit.status)" "$(cat "$w/lead.status" 2>/dev/null || echo '(no status)')"
  eq lead.exit_path "$(get lead.exit.path)" "$KM_LIFECYCLE"

  # The allowlisted environment, privileges (kernel_cap_t is two 32-bit
  # words before 6.3, one 64-bit word since), file system and overlay layer.
  eq env.env "$(get env.last.env)" "{\"HISTFILE\":\"/tmp/$m.hist\"}"
  eq rel.env "$(get rel.env)" "{}"
  eq nnp.no_new_privs "$(get nnp.last.no_new_privs)" 1
  eq rel.no_new_privs "$(get rel.no_new_privs)" 0
  eq rel.seccomp "$(get rel.seccomp)" disabled
  # The exec'd programs are root with this shell's sets.
  capeff=$(awk '$1 == "CapEff:" { print $2 }' /proc/$$/status)
  capbnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/$$/status)
  eq rel.cap_effective "$(get rel.cap_effective)" "$((0x$capeff))"
  eq rel.cap_bounding "$(get rel.cap_bounding)" "$((0x$capbnd))"
  eq ovlow.exe_fs "$(get ovlow.exe_fs)" overlay
  eq ovlow.exe_upper_layer "$(get ovlow.exe_upper_layer)" 0
  eq ovup.exe_fs "$(get ovup.exe_fs)" overlay
  eq ovup.exe_upper_layer "$(get ovup.exe_upper_layer)" 1
  like rel.exe_fs "$(get rel.exe_fs)" "[a-z]*" "a file system's name"
  eq rel.exe_upper_layer "$(get rel.exe_upper_layer)" 0
  fact overlay "$(cat "$w/ov.how" 2>/dev/null || echo '(not mounted)')"

  # processes: the live marked shell, joined to its exec by (pid, start_time).
  eq processes.rows "$(get processes.n)" 1
  eq processes.path "$(get processes.path)" "$(readlink -f /bin/sh)"
  eq processes.joins_exec "$(get processes.joins_exec)" 1

  # A container's cgroup made in the session: in container_map, and on the
  # exec row of the process moved into it.
  [ -d "$w/no-cgroup2" ] && fail cgroup2.mount "none in /proc/mounts" "a cgroup2 mount"
  eq container.exec_id "$(get cg.container_id)" "$cid"
  eq container_map.rows "$(get cm.n)" 1
  eq container_map.runtime "$(get cm.runtime)" docker
  like container_map.cgroup_path "$(get cm.cgroup_path)" "*/docker-$cid.scope" ".../docker-$cid.scope"
  eq container_map.cgroup_id "$(get cm.cgroup_id)" "${cg_inode:-(no cgroup)}"
  eq container_map.exec_cgroup_id "$(get cg.cgroup_id)" "${cg_inode:-(no cgroup)}"
  eq container_map.removed_time "$(get cm.removed_time)" NULL
  # syscall_usage: the container's calls from its first exec on: /bin/true's
  # one exit_group, exactly, and not the exec that started it.
  eq syscall_usage.exit_group "$(get su.exit_group)" 1
  eq syscall_usage.execve_not_recorded "$(get su.execve)" 0
  eq syscall_usage.lost_usage_map_full "$(get stat.syscall_usage.lost_usage_map_full)" 0
  eq syscall_usage.lost_watch_map_full "$(get stat.syscall_usage.lost_watch_map_full)" 0

  # procsql_stats: the features it says it uses are the ones the kernel has.
  walk=$(get stat.bpf.path_walk)
  like stats.path_walk "$walk" "$([ $has_loop = 1 ] && echo 'bpf_loop*' || echo 'bounded loop*')" \
    "$([ $has_loop = 1 ] && echo bpf_loop || echo 'bounded loop') (kernel $r)"
  want_sc=$([ $has_sc = 1 ] && echo exact || echo partial)
  like stats.syscall_column "$(get stat.bpf.syscall_column)" "$want_sc*" "$want_sc"
  like stats.clone_calls "$(get stat.bpf.clone_calls)" "$want_sc*" "$want_sc"
  like stats.cgroup_records "$(get stat.bpf.cgroup_records)" "[1-9]*" "at least 1 (our mkdir)"
  # Every other bpf.* row: a counter of losses (or of a full map) must be 0,
  # the rest is shown.
  sed -n 's/^stat\.\(bpf\.[^=]*\)=.*/\1/p' "$w/out" | while read -r name; do
    case $name in bpf.path_walk | bpf.syscall_column | bpf.clone_calls | bpf.cgroup_records) ;;
      *lost* | *unknown* | *full*) eq "stats.${name#bpf.}" "$(get "stat.$name")" 0 ;;
      *) say INFO "$backend" "stats.${name#bpf.}: $(get "stat.$name")" ;;
    esac
  done >"$w/more"
  cat "$w/more"
  passes=$((passes + $(grep -c '^KM PASS' "$w/more")))
  failures=$((failures + $(grep -c '^KM FAIL' "$w/more")))
  for t in process_events clone_events process_exits exec_failures; do
    eq "stats.$t.events_lost_kernel" "$(get "stat.$t.events_lost_kernel")" 0
    eq "stats.$t.decode_errors" "$(get "stat.$t.decode_errors")" 0
  done
  # The README table's cells: the text before any explanation.
  short() { echo "$1" | sed 's/ *[(:].*//'; }
  fact path_walk "$(short "$walk")"
  fact syscall_column "$(short "$(get stat.bpf.syscall_column)")"
  fact clone_calls "$(short "$(get stat.bpf.clone_calls)")"
  exit_stat=$(get stat.bpf.exit_path)
  case $exit_stat in "(no row)") exit_stat=- ;;
    remembered*"("*) exit_stat="remembered ($(echo "$exit_stat" | sed 's/[^(]*(\([^)]*\)).*/\1/; s/ by thread group//'))" ;;
    *) exit_stat=$(short "$exit_stat") ;; esac
  fact exit_path_stat "$exit_stat"
else
  # The audit backend: the failed exec's record names the file and the error;
  # audit logs no arguments of a failed exec (README, "exec_failures").
  eq fail.rows "$(get fail.n)" 1
  eq fail.filename "$(get fail.filename)" "/nonexistent-km/$m.fail"
  eq fail.errno "$(get fail.errno)" ENOENT
  eq fail.result "$(get fail.result)" -2
  eq fail.cmdline "$(get fail.cmdline)" NULL
fi

say RESULT "$backend" "passed=$passes failed=$failures"
rm -rf "$w"
[ "$failures" = 0 ]
