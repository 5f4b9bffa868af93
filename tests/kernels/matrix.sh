#!/usr/bin/env bash
# matrix.sh [--update] [KERNEL...]: the kernel matrix (ctest kernels.matrix).
# Boots Debian 11's, 12's and 13's cloud kernels under qemu with software
# emulation (no KVM) and runs checks.sh in each as root, runs it on this host
# too, and checks the README's table of kernels against what they gave.
#   KERNEL   5.10 6.1 6.12 6.1-lockdown host (default: all)
#   --update rewrite the README table from this run instead of checking it
# Environment: PROCSQL_BUILD_DIR (build/), PROCSQL_KERNEL_CACHE (see kernel.sh),
# PROCSQL_KERNELS_JOBS (guests at once, default nproc), CI=true (no skips).
# Console logs: $PROCSQL_BUILD_DIR/kernels/NAME.log.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${PROCSQL_BUILD_DIR:-$src/build}
readme=$src/README.md
t0=$(date +%s)

# name  suite  Debian release  backends checked  extra kernel arguments. Audit
# is checked once, on the oldest kernel: it is the backend a kernel too old
# for eBPF would get. "lockdown" boots 6.1 locked down (as Secure Boot does):
# eBPF must be refused with that reason, and auto must fall back to audit.
matrix="5.10 bullseye 11_(bullseye) bpf,audit -
6.1 bookworm 12_(bookworm) bpf -
6.12 trixie 13_(trixie) bpf -
6.1-lockdown bookworm 12_(bookworm) lockdown lockdown=confidentiality
host - - bpf -"

update=0 only=()
for a in "$@"; do
  case $a in --update) update=1 ;; -h | --help) sed -n '2,12p' "$0"; exit 0 ;; *) only+=("$a") ;; esac
done

die() { echo "kernels: $*" >&2; exit 1; }
# Outside CI a machine without the means to run guests skips; in CI a skip
# would hide that the matrix never ran, so it fails.
skip() { [ "${CI:-}" = true ] && die "$* (CI=true: not skipping)"; echo "kernels: skipped: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (BPF in the host run, apt for the kernel cache)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (scripts/deps.sh installs qemu-system-x86)"
[ -x /bin/busybox ] && command -v cpio >/dev/null || skip "busybox-static or cpio missing (scripts/deps.sh)"
[ -f "$build/procsql.so" ] || die "no $build/procsql.so: build it first"

# The .so is rebuilt in place by whoever works on the tree: every kernel must
# test the same file, so take a private copy first.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$build/procsql.so" "$work/procsql.so"
logs=$build/kernels
mkdir -p "$logs"

declare -A suite debian backends args
names=()
while read -r n s d b a; do
  [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $n "* ]] || continue
  names+=("$n") suite[$n]=$s debian[$n]=${d//_/ } backends[$n]=$b args[$n]=${a/#-/}
done <<<"$matrix"
[ ${#names[@]} -gt 0 ] || die "no such kernel: ${only[*]} (have: 5.10 6.1 6.12 6.1-lockdown host)"

# Kernels first, all at once: any that cannot be had fails the run now.
for n in "${names[@]}"; do
  [ "${suite[$n]}" = - ] || "$here/kernel.sh" "${suite[$n]}" >"$work/$n.vmlinuz" 2>"$work/$n.fetch" &
done
wait
for n in "${names[@]}"; do
  [ "${suite[$n]}" = - ] || [ -s "$work/$n.vmlinuz" ] ||
    die "cannot get the Debian ${debian[$n]} kernel through apt: $(cat "$work/$n.fetch")"
done
lifecycle=$build/tests/progs/lifecycle
[ -x "$lifecycle" ] || die "no $lifecycle: build the tests first"
# Each kernel's overlay module, as /km/modules/RELEASE/overlay.ko.
modules=()
for n in "${names[@]}"; do
  [ "${suite[$n]}" = - ] && continue
  vmlinuz=$(cat "$work/$n.vmlinuz")
  modules+=("$(dirname "$vmlinuz")/overlay.ko=${vmlinuz##*/vmlinuz-}")
done
"$here/initramfs.sh" "$work/initrd.gz" "$work/procsql.so" "$lifecycle" "${modules[@]}" ||
  die "building the initramfs failed"

run() { # NAME: one kernel's checks, output in $logs/NAME.log
  if [ "$1" = host ]; then
    for b in ${backends[$1]//,/ }; do KM_LIFECYCLE=$lifecycle sh "$here/checks.sh" "$b" "$work/procsql.so"; done
    echo "KM GUEST-DONE"
    return
  fi
  # TCG: a guest needs no KVM. qboot starts in milliseconds where SeaBIOS
  # takes seconds; the guest powers off, and -no-reboot makes a panic end it.
  timeout 240 qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 1 -nographic -no-reboot -nic none \
    -bios /usr/share/qemu/qboot.rom -kernel "$(cat "$work/$1.vmlinuz")" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 quiet panic=-1 km.backends=${backends[$1]} ${args[$1]}" </dev/null 2>&1 | tr -d '\r'
}
max_jobs=${PROCSQL_KERNELS_JOBS:-$(nproc)}
for n in "${names[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$max_jobs" ]; do wait -n; done
  run "$n" >"$logs/$n.log" 2>&1 &
done
wait

# Per kernel: its results, its failures, its facts (the table's cells).
declare -A fact
failed=0
echo
for n in "${names[@]}"; do
  log=$logs/$n.log
  line="$n:"
  for b in ${backends[$n]//,/ }; do
    r=$(sed -n "s/^KM RESULT $b //p" "$log")
    line="$line  $b ${r:-no result}"
    [ -n "$r" ] && [ "${r##*failed=}" = 0 ] || failed=1
  done
  [ "$n" = host ] && what="this host" || what="Debian ${debian[$n]}"
  echo "$line  ($what, $(sed -n 's/^KM FACT [a-z]* kernel=//p' "$log" | head -1))"
  grep '^KM FAIL' "$log" | sed 's/^KM /    /'
  if ! grep -q '^KM GUEST-DONE' "$log"; then
    failed=1
    echo "    did not finish (crash or timeout); the end of $log:"
    tail -n 15 "$log" | sed 's/^/      /'
  fi
  while IFS='=' read -r k v; do fact[$n.$k]=$v; done < <(sed -n 's/^KM FACT \([a-z]*\) \([^=]*\)=/\1.\2=/p' "$log")
done

# The README table, from the facts: one row per kernel and backend.
table() {
  echo "| kernel | Debian | backend | path walk | 60-deep path | \`syscall\` column | clone calls | exit path | \`process_exits.path\` |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for n in "${names[@]}"; do
    for b in ${backends[$n]//,/ }; do
      [ "$b" = lockdown ] && continue # a refusal, not a kernel's features
      local k=${fact[$n.$b.kernel]:-?} d=${debian[$n]/#-/— (this machine)}
      k=$(echo "$k" | cut -d. -f1-2 | cut -d- -f1)
      if [ "$b" = bpf ]; then
        echo "| $k | $d | bpf | ${fact[$n.bpf.path_walk]:-?} | ${fact[$n.bpf.deep_path]:-?} | ${fact[$n.bpf.syscall_column]:-?} | ${fact[$n.bpf.clone_calls]:-?} | ${fact[$n.bpf.exit_path_stat]:-?} | ${fact[$n.bpf.exit_path]:-?} |"
      else
        echo "| $k | $d | $b | — | — | — | — | — | — |"
      fi
    done
  done
}
begin='<!-- BEGIN KERNEL MATRIX (tests/kernels) -->' end='<!-- END KERNEL MATRIX -->'
documented() { awk -v b="$begin" -v e="$end" '$0 == b { in_ = 1 } $0 == e { in_ = 0 } in_ && /^\|/' "$readme"; }
table >"$work/observed"
documented >"$work/documented"
# Another machine's own kernel is not this one's: its row is compared only
# when the host runs the kernel the README names.
this='| — (this machine) |'
host_doc=$(grep -F "$this" "$work/documented" || true)
host_obs=$(grep -F "$this" "$work/observed" || true)
if [ -n "$host_doc" ] && [ -n "$host_obs" ] && [ "${host_doc%%"$this"*}" != "${host_obs%%"$this"*}" ] &&
   [ $update = 0 ]; then
  echo "(this host's kernel ${host_obs%%"$this"*}: the README's row is for ${host_doc%%"$this"*}; not compared)"
  awk -v t="$this" -v r="$host_doc" 'index($0, t) { $0 = r } { print }' "$work/observed" >"$work/o2"
  mv "$work/o2" "$work/observed"
fi
echo
if [ ${#only[@]} -gt 0 ]; then
  echo "README table: not checked (only ${only[*]} ran)"
elif grep -q '?' "$work/observed"; then
  echo "README table: not checked (a kernel gave no result)"; failed=1
elif [ $update = 1 ]; then
  awk -v b="$begin" -v e="$end" -v t="$work/observed" '
    $0 == b { in_ = 1 } $0 == e { in_ = 0 }
    in_ && /^\|/ { if (!done) { while ((getline l < t) > 0) print l; done = 1 } next }
    { print }' "$readme" >"$work/readme" && cat "$work/readme" >"$readme"
  grep -q "$begin" "$readme" && echo "README table: rewritten" || { echo "README: no $begin section"; failed=1; }
elif ! diff -u --label "README.md (documented)" --label "observed" "$work/documented" "$work/observed"; then
  echo "README table differs from what the kernels gave (above); tests/kernels/matrix.sh --update rewrites it"
  failed=1
else
  echo "README table: matches"
fi
echo "kernel matrix: $([ $failed = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - t0)) s wall (logs in $logs)"
exit $failed
