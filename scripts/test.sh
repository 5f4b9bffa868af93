#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every unit,
# integration and documentation test with ctest. Needs root (BPF, audit,
# containers). With CI=true a test that cannot run fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
cd "${PROCSQL_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 900
