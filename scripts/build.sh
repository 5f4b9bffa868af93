#!/usr/bin/env bash
# Configures and builds procsql into build/ (or $PROCSQL_BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DPROCSQL_SANITIZE=address.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${PROCSQL_BUILD_DIR:-build}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
