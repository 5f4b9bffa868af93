#!/usr/bin/env bash
# Installs, from Debian's packages only, whatever procsql needs to build, test
# and benchmark that this machine lacks. Idempotent: does nothing (not even
# `apt-get update`) when everything is there.
set -euo pipefail

PACKAGES=(
  # build
  cmake make g++ pkg-config clang libbpf-dev bpftool libsqlite3-dev libaudit-dev libboost-dev
  # syscall_usage names calls with libseccomp; scmp_sys_resolver (seccomp) is what the tests compare with
  libseccomp-dev seccomp
  # tests, sanitizers, fuzzing, benchmarks
  sqlite3 python3 libgtest-dev libbenchmark-dev libclang-rt-14-dev util-linux bsdutils
  # real containers and the audit subsystem for the tests
  auditd runc busybox-static
  # real container engines for the tests (tests/integration/docker_engine.py starts
  # a dockerd of its own; /usr/bin/docker, /usr/sbin/dockerd, /usr/bin/podman)
  docker.io podman
  # procsqld: its unit file is checked with systemd-analyze; users and groups for its permissions
  systemd passwd
  # scheduled queries: the real cron daemon runs the README's crontab lines
  cron
  # the Debian package (cpack's dpkg-shlibdeps; the maintainer scripts' tools)
  dpkg-dev adduser init-system-helpers
  # the example hosts: Go with Debian's cgo SQLite driver, built offline
  golang-go golang-github-mattn-go-sqlite3-dev
  # the kernel matrix (tests/kernels): other kernels booted under qemu
  qemu-system-x86 cpio
  # the overlay module kernel.sh takes from each kernel package (busybox insmod wants it plain)
  xz-utils zstd
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "procsql: missing Debian packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "procsql: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
