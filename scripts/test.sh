#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs
#   1. every unit, integration and documentation test (build/),
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#      (build-asan/; the stock sqlite3 and python3 get the runtimes preloaded;
#      the fuzzer, sanitized on its own, runs only in 1),
#   3. the store's tests, SQL-level concurrency stress and the real collector's
#      consumer thread against concurrent queries (both backends) under
#      ThreadSanitizer (build-tsan/),
#   4. last, the Debian package built from build/ with CPack, installed,
#      queried by name, purged, and checked to leave nothing behind.
# Needs root (BPF, audit, containers). With CI=true a test that cannot run
# fails instead of skipping. Exits non-zero if any phase failed. ctest runs
# two tests at a time; tests/CMakeLists.txt keeps apart those that share the
# host's audit or count losses.
# The sanitizer builds compile at nice 19 while 1 runs: most tests wait on the
# kernel, the daemon or a container, and the compiler takes only the CPU they
# leave (a third of the suite's time otherwise). Their output goes to
# build-logs/, printed when a build fails.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1

failed=()
phase() { printf '\n==== %s\n' "$*"; }

tsan_tests=(ring_test sql_concurrency_test sql_pushdown_test collector_threads_test attach_threads_test store_files_test)
# One after the other, each leaving build-logs/NAME.done (and NAME in
# build-logs/failed when it failed): ASan's tests start as soon as their
# build is done, while TSan's build goes on.
sanitizer_builds() {
  PROCSQL_BUILD_DIR=build-asan scripts/build.sh -DPROCSQL_SANITIZE=address -DPROCSQL_BUILD_BENCH=OFF \
    >build-logs/asan.log 2>&1 || echo asan >>build-logs/failed
  touch build-logs/asan.done
  { cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROCSQL_SANITIZE=thread -DPROCSQL_BUILD_BENCH=OFF &&
    cmake --build build-tsan -j"$(nproc)" --target "${tsan_tests[@]}"; } \
    >build-logs/tsan.log 2>&1 || echo tsan >>build-logs/failed
  touch build-logs/tsan.done
}
# build_ok NAME: waits for the background build NAME; true when it
# succeeded, its whole log when it did not.
build_ok() {
  while [ ! -e "build-logs/$1.done" ] && { [ -z "$builds_pid" ] || kill -0 "$builds_pid" 2>/dev/null; }; do
    sleep 1
  done
  if [ ! -e "build-logs/$1.done" ]; then
    echo "the $1 build ended unfinished:" && cat "build-logs/$1.log"
    return 1
  fi
  if grep -qx "$1" build-logs/failed 2>/dev/null; then
    cat "build-logs/$1.log"
    return 1
  fi
  tail -n 3 "build-logs/$1.log"
}

phase "build and test (build/)"
rm -rf build-logs && mkdir build-logs
builds_pid=""
if PROCSQL_BUILD_DIR=build scripts/build.sh; then
  sanitizer_builds_nice() { renice -n 19 -p "$BASHPID" >/dev/null; sanitizer_builds; }
  sanitizer_builds_nice &
  builds_pid=$!
  (cd build && ctest -j2 --output-on-failure --timeout 900) || failed+=("tests")
else
  failed+=("build")
  sanitizer_builds
fi

phase "AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)"
if build_ok asan; then
  logs=build-asan/sanitizer-logs
  rm -rf "$logs" && mkdir -p "$logs"
  (cd build-asan && ctest -j2 --output-on-failure --timeout 900 -E '^(docs|fuzz|kernels)\.' -LE not_sanitized) ||
    failed+=("asan tests")
  if [ -n "$(ls -A "$logs")" ]; then
    echo "sanitizer reports from processes under test:" >&2
    cat "$logs"/* >&2
    failed+=("asan reports")
  fi
else
  failed+=("asan build")
fi

phase "ThreadSanitizer (build-tsan/)"
if build_ok tsan; then
  regex="^unit\.($(IFS='|'; echo "${tsan_tests[*]}"))(_audit)?\$"
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure --timeout 900 -R "$regex") ||
    failed+=("tsan tests")
else
  failed+=("tsan build")
fi

[ -z "$builds_pid" ] || wait "$builds_pid"

phase "the Debian package: build, install, query, purge (build/)"
if [ -f build/CMakeCache.txt ]; then
  tests/package/package_test.sh build || failed+=("package")
else
  failed+=("package (no build/)")
fi

if [ "${#failed[@]}" -gt 0 ]; then
  printf '\nFAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
printf '\nall phases passed\n'
