#!/usr/bin/env bash
# kernel.sh SUITE: prints the path of the vmlinuz of Debian SUITE's
# linux-image-cloud-amd64 (bullseye, bookworm, trixie), fetched once through
# apt and kept in the cache, so later runs download nothing.
#
# The cache ($PROCSQL_KERNEL_CACHE, default /var/cache/procsql-kernels) lives
# outside build/ on purpose: a clean rebuild must not cost three kernel
# downloads. The host's apt configuration is never touched: each suite gets a
# private apt state pointing at the same Debian mirror the host already uses.
# Lists are refreshed when older than 30 days or with PROCSQL_KERNELS_REFRESH=1;
# a refresh that fails falls back to the lists already there.
set -euo pipefail
suite=${1:?usage: kernel.sh SUITE}
cache=${PROCSQL_KERNEL_CACHE:-/var/cache/procsql-kernels}
meta=linux-image-cloud-amd64
die() { echo "kernel.sh: $suite: $*" >&2; exit 1; }

# The host's Debian mirrors: the URI serving its own codename, and the one
# serving CODENAME-security. Reads deb822 .sources and one-line sources.list.
host_mirror() { # WHICH (main|security)
  local codename want
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  want=$codename; [ "$1" = security ] && want=$codename-security
  {
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
      /^[ \t]*$/ { if (u != "") print u, s; u = s = ""; next }
      /^URIs:/   { u = $2 }
      /^Suites:/ { $1 = ""; s = $0 }
      END        { if (u != "") print u, s }'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) \([^ ]*\).*/\2 \3/p'
  } | awk -v w="$want" '{ for (i = 2; i <= NF; i++) if ($i == w) { print $1; exit } }'
}

apt_dir=$cache/apt/$suite
mkdir -p "$apt_dir"/{lists/partial,archives/partial} "$cache/boot"
exec 9>"$cache/$suite.lock"
flock 9 # two runs at once share the cache safely

if [ ! -f "$apt_dir/apt.conf" ]; then
  main=$(host_mirror main || true)
  [ -n "$main" ] || die "no Debian mirror for this host's release found in /etc/apt/sources.list*"
  security=$(host_mirror security || true)
  {
    echo "deb $main $suite main"
    [ -z "$security" ] || echo "deb $security $suite-security main"
  } >"$apt_dir/sources.list"
  touch "$apt_dir/status"
  cat >"$apt_dir/apt.conf" <<EOF
Dir::Etc::SourceList "$apt_dir/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::State::Lists "$apt_dir/lists";
Dir::State::Status "$apt_dir/status";
Dir::Cache "$apt_dir";
Dir::Cache::Archives "$apt_dir/archives";
APT::Sandbox::User "root";
EOF
fi
export APT_CONFIG=$apt_dir/apt.conf

have_lists() { compgen -G "$apt_dir/lists/*_Packages*" >/dev/null; }
if ! have_lists || [ "${PROCSQL_KERNELS_REFRESH:-0}" = 1 ] ||
   [ -n "$(find "$apt_dir/lists" -maxdepth 1 -name '*Release' -mtime +30 | head -1)" ]; then
  # apt-get update exits 0 when a mirror cannot be reached: its W:/E: lines say so.
  if ! log=$(apt-get update 2>&1) || grep -q '^[WE]:' <<<"$log"; then
    have_lists || die "apt-get update could not fetch the package lists ($(tr '\n' ';' <"$apt_dir/sources.list")):
$log"
    echo "kernel.sh: $suite: apt-get update failed; using the lists from $(date -r "$apt_dir/lists" +%F)" >&2
  fi
fi

# The meta package names the current versioned image (a new ABI is a new name).
pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }' || true)
[ -n "$pkg" ] || die "cannot resolve $meta to a versioned image package"

dir=$cache/boot/$pkg
# A cache made before overlay.ko was kept lacks it: fetch the package again.
if ! compgen -G "$dir/vmlinuz-*" >/dev/null || [ ! -f "$dir/overlay.ko" ]; then
  echo "kernel.sh: $suite: downloading $pkg" >&2
  (cd "$apt_dir/archives" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
  deb=$(ls -t "$apt_dir/archives/${pkg}_"*.deb | head -1)
  # Only boot/ (vmlinuz, config) and the overlay module (the checks load it
  # after procsql started, as a container engine's first start does): the
  # other modules are ten times bigger and unused.
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir.tmp" --strip-components=2 ./boot
  ko=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep '/fs/overlayfs/overlay\.ko' | head -1)
  [ -n "$ko" ] || die "$pkg has no overlay module"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -O "$ko" >"$dir.tmp/overlay.ko.in"
  # busybox's insmod takes the module as it is: decompress it here.
  case $ko in
    *.xz) xz -dc "$dir.tmp/overlay.ko.in" >"$dir.tmp/overlay.ko" ;;
    *.zst) zstd -qdc "$dir.tmp/overlay.ko.in" >"$dir.tmp/overlay.ko" ;;
    *) mv "$dir.tmp/overlay.ko.in" "$dir.tmp/overlay.ko" ;;
  esac
  rm -f "$dir.tmp/overlay.ko.in"
  rm -rf "$dir" && mv "$dir.tmp" "$dir" && rm -f "$deb"
fi
ls "$dir"/vmlinuz-* | head -1
