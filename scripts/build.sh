#!/usr/bin/env bash
# Configures and builds procsql into build/ (or $PROCSQL_BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DPROCSQL_SANITIZE=address.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${PROCSQL_BUILD_DIR:-build}"
# The install prefix is Debian's (/usr): `cmake --install` and the package put
# the library where `.load procsql` finds it by name (GNUInstallDirs' multiarch
# directory).
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
