#!/usr/bin/env bash
# The whole test suite, as CI runs it: setup, static gates, the release
# build's tests, a -O3 Release build of the binaries, every test again under
# ASan + UBSan, then each fuzz target for 30 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/check_core_purity.sh
bash scripts/check_format.sh

echo "== release build"
bash scripts/build.sh release
ctest --test-dir build --output-on-failure -j2

echo "== Release (-O3) build of the binaries, warnings as errors"
bash scripts/build.sh o3 raft-server raft-sim raftctl

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
bash scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j2

echo "== fuzz targets (FUZZING.md), 30 seconds each"
bash scripts/fuzz.sh 30
