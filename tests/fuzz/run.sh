#!/usr/bin/env bash
# Builds the audit record fuzzer (tests/fuzz/audit_record_fuzz.cpp) with clang
# (libFuzzer + ASan + UBSan; the main build uses g++) into build/fuzz/ and runs
# it for SECONDS (default 60) on a fresh copy of the seed corpus: the real
# records of tests/unit/fixtures/audit/capture_x86_64.txt, one event per seed
# and runs of 40 consecutive records (interleaved events), plus
# tests/fuzz/seeds/. Fails on any crash, leak, timeout or out-of-memory; the
# input is then in build/fuzz/artifacts/ (replay: build/fuzz/audit_record_fuzz FILE).
# Without clang++ it exits 77 (skipped), or 1 under CI=true.
#
#   tests/fuzz/run.sh [SECONDS [LIBFUZZER FLAGS...]]   PROCSQL_FUZZ_DIR=... to build elsewhere
# e.g. -max_len=4096: seeds cut short, but far more executions per second.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
out="${PROCSQL_FUZZ_DIR:-build/fuzz}"
cxx="${PROCSQL_FUZZ_CXX:-clang++}"
# Without clang nothing can be fuzzed: skip (77, ctest's SKIP_RETURN_CODE),
# except under CI=true, where that is a failure.
if ! command -v "$cxx" >/dev/null; then
	echo "fuzz: no clang++ ($cxx): install clang and libclang-rt-14-dev (scripts/deps.sh)" >&2
	if [ "${CI:-}" = true ]; then
		echo "fuzz: CI=true, so this is a failure, not a skip" >&2
		exit 1
	fi
	exit 77
fi
mkdir -p "$out/artifacts"

bin="$out/audit_record_fuzz"
srcs=(tests/fuzz/audit_record_fuzz.cpp extension/sources/audit/audit_record.cpp
      extension/sources/audit/audit_reassembler.cpp extension/sources/audit/audit_decoder.cpp)
"$cxx" -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Iextension -o "$bin.tmp" "${srcs[@]}" \
	$(pkg-config --libs audit)
mv "$bin.tmp" "$bin"

corpus="$out/corpus"
rm -rf "$corpus"
mkdir -p "$corpus"
cp tests/fuzz/seeds/* "$corpus"/
/usr/bin/python3 - tests/unit/fixtures/audit/capture_x86_64.txt "$corpus" <<'PY'
import re, sys
lines = [l for l in open(sys.argv[1], 'rb').read().split(b'\n') if l]
events = {}
for l in lines:
    m = re.search(rb':(\d+)\):', l)
    events.setdefault(m.group(1) if m else b'x', []).append(l)
for serial, recs in events.items():
    open(f'{sys.argv[2]}/event-{serial.decode()}', 'wb').write(b'\n'.join(recs) + b'\n')
for i in range(0, len(lines), 40):
    open(f'{sys.argv[2]}/run-{i:04d}', 'wb').write(b'\n'.join(lines[i:i + 40]) + b'\n@3000\n')
PY

# -max_len: the largest real event (a 20,000-byte argument) is about 45 KB.
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-artifact_prefix="$out/artifacts/" -print_final_stats=1 "${@:2}" "$corpus"
