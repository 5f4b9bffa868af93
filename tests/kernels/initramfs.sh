#!/usr/bin/env bash
# initramfs.sh OUT SO LIFECYCLE [MODULE=RELEASE...]: writes a gzipped cpio initramfs that boots any
# of the tested kernels straight into the checks: busybox-static (the guest's
# whole userland, no python), sqlite3, the procsql.so copy SO, the test
# program LIFECYCLE (tests/progs/lifecycle.c: thread exits) and the shared
# libraries both were linked against on this Debian 12 host (their ldd
# closure, at the same paths, so the dynamic loader needs no configuration),
# and each MODULE (a kernel's overlay.ko) at /km/modules/RELEASE/.
set -euo pipefail
out=${1:?usage: initramfs.sh OUT SO}
so=${2:?usage: initramfs.sh OUT SO LIFECYCLE}
lifecycle=${3:?usage: initramfs.sh OUT SO LIFECYCLE}
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

add() { # HOST-FILE GUEST-PATH, plus its libraries
  mkdir -p "$root$(dirname "$2")"
  cp -L "$1" "$root$2"
  ldd "$1" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }' | while read -r lib; do
    [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
  done
}

mkdir -p "$root"/{bin,dev,proc,sys,tmp,root,etc,km}
cp /bin/busybox "$root/bin/busybox" # static: no libraries
add /usr/bin/sqlite3 /usr/bin/sqlite3
add "$so" /km/procsql.so
add "$lifecycle" /km/lifecycle
for m in "${@:4}"; do
  mkdir -p "$root/km/modules/${m##*=}"
  cp "${m%=*}" "$root/km/modules/${m##*=}/"
done
cp "$here/checks.sh" "$root/km/checks.sh"
cp "$here/guest-init.sh" "$root/init"
chmod +x "$root/init"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
