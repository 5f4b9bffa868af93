#!/usr/bin/env bash
# The Debian package, end to end on this machine (scripts/test.sh runs it last,
# in the normal pass only; it installs into /usr and removes everything after):
#   1. cpack builds the package from build/ (configured with the prefix /usr);
#      its Depends are runtime libraries, never -dev packages;
#   2. apt installs it: the procsql group exists, the unit is installed and
#      enabled the Debian way (deb-systemd-helper's symlink);
#   3. procsqld (from /usr/sbin, with the unit's environment; systemd is not
#      PID 1 here) serves the README's query in the stock sqlite3 shell with
#      `.load procsql` BY NAME, and `procsql query` (from /usr/bin) as a job;
#   4. procsqld stops, the package is purged, and nothing is left: none of
#      the BPF programs procsqld held (bpftool prog), none of its audit rules
#      (auditctl -l), no unit file or enablement link, no group, no library,
#      no state directory.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "${1:?usage: package_test.sh BUILD_DIR}" && pwd)"
work="$(mktemp -d /tmp/procsql-package.XXXXXX)"
daemon_pid=""
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }
cleanup() {
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid"; wait "$daemon_pid" || true
	fi
	dpkg --purge procsql >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || fail "needs root (it installs a package)"

# A previous run's package, if any, goes first.
dpkg --purge procsql >/dev/null 2>&1 || true

echo "== cpack"
prefix="$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")"
[ "$prefix" = /usr ] || fail "$build is configured with the prefix '$prefix', not /usr (scripts/build.sh sets it)"
(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; fail "cpack"; }
deb="$(ls "$work"/deb/procsql_*.deb)"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
case "$depends" in *-dev*) fail "Depends names a -dev package: $depends" ;; esac
for lib in libbpf1 libaudit1 libsqlite3-0 libseccomp2; do
	case "$depends" in *"$lib"*) ;; *) fail "Depends lacks $lib: $depends" ;; esac
done
dpkg-deb -c "$deb" >"$work/contents"
for f in ./usr/lib/x86_64-linux-gnu/libprocsql.so.1 ./usr/lib/x86_64-linux-gnu/procsql.so ./usr/sbin/procsqld \
	./usr/bin/procsql ./usr/include/procsql.h ./usr/lib/x86_64-linux-gnu/pkgconfig/procsql.pc \
	./usr/lib/x86_64-linux-gnu/cmake/procsql/procsqlConfig.cmake ./usr/lib/systemd/system/procsqld.service \
	./usr/share/procsql/queries/fileless_exec.sql; do
	grep -q " $f" "$work/contents" || fail "the package lacks $f"
done

echo "== install"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; fail "apt-get install"; }
getent group procsql >/dev/null || fail "no procsql group after install"
[ -L /etc/systemd/system/multi-user.target.wants/procsqld.service ] || fail "procsqld.service is not enabled"
systemd-analyze verify /usr/lib/systemd/system/procsqld.service || fail "systemd-analyze verify"

echo "== procsqld and queries"
state="$work/state"
# The unit's settings, as systemd would give them (PROCSQL_GROUP=procsql).
unit_env="$(sed -n 's/^Environment=//p' /usr/lib/systemd/system/procsqld.service)"
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin $unit_env PROCSQL_STATE_DIR="$state" /usr/sbin/procsqld 2>"$work/procsqld.log" &
daemon_pid=$!
for _ in $(seq 600); do
	grep -q '^procsqld: ready' "$work/procsqld.log" && break
	kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/procsqld.log" >&2; fail "procsqld exited"; }
	sleep 0.1
done
grep -q '^procsqld: ready' "$work/procsqld.log" || fail "procsqld not ready in 60 s"
[ "$(stat -c %G "$state/process_events.store")" = procsql ] || fail "the stores are not the procsql group's"
# The BPF programs this procsqld holds (other processes may hold procsql's too).
prog_ids="$(for f in /proc/"$daemon_pid"/fdinfo/*; do sed -n 's/^prog_id:[[:space:]]*//p' "$f" 2>/dev/null; done |
	sort -u | tr '\n' ' ')"
[ -n "$prog_ids" ] || fail "procsqld ($daemon_pid) holds no procsql BPF program"

marker="pkg$$x$RANDOM"
mkdir -p "$work/bin" && cp /bin/ls "$work/bin/ls"
(cd "$work/bin" && ./ls "$marker" >/dev/null 2>&1 || true)
# The README's query, with `.load procsql` by name (no path).
out="$(cd / && PROCSQL_STATE_DIR="$state" sqlite3 :memory: ".load procsql" \
	"SELECT path, filename, cmdline, cwd FROM process_events WHERE comm = 'ls' AND cmdline LIKE '%$marker%'")"
[ "$out" = "$work/bin/ls|./ls|./ls $marker|$work/bin" ] || fail "the shell's .load procsql query gave '$out'"
out="$(PROCSQL_STATE_DIR="$state" /usr/bin/procsql query --db "$work/jobs.db" --job pkg --format csv \
	-e "SELECT path, cmdline FROM process_events WHERE cmdline LIKE '%$marker%' AND comm = 'ls'")"
[ "$out" = "$(printf 'path,cmdline\n%s,%s' "$work/bin/ls" "./ls $marker")" ] || fail "procsql query gave '$out'"

echo "== stop and purge"
daemon_pid_was="$daemon_pid"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "procsqld exited non-zero on SIGTERM: $(cat "$work/procsqld.log")"
daemon_pid=""
dpkg --purge procsql >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge"; }
for id in $prog_ids; do
	if bpftool prog show id "$id" >/dev/null 2>&1; then fail "BPF program $id of procsqld is left after purge"; fi
done
if auditctl -l 2>/dev/null | grep -q "key=procsql-$daemon_pid_was-"; then fail "procsqld's audit rules are left"; fi
for f in /usr/lib/systemd/system/procsqld.service /etc/systemd/system/multi-user.target.wants/procsqld.service \
	/usr/lib/x86_64-linux-gnu/libprocsql.so.1 /usr/lib/x86_64-linux-gnu/procsql.so /usr/sbin/procsqld /usr/bin/procsql \
	/run/procsql /var/lib/procsql; do
	[ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is left after purge"
done
if getent group procsql >/dev/null; then fail "the procsql group is left after purge"; fi
echo "package_test: OK"
