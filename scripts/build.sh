#!/usr/bin/env bash
# Configures and builds one flavour for developers and CI, with warnings as
# errors (RAFT_WERROR). Usage: scripts/build.sh [release|asan|o3] [target...]
#   release  RelWithDebInfo in build/, what the tests run
#   asan     the same with ASan + UBSan in build-asan/
#   o3       CMake's Release type (-O3) in build-rel/, what a user builds by
#            default; GCC warns differently at -O3
# With targets, only those are built.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
case $flavour in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAFT_WERROR=ON) ;;
  # Optimized: the simulator tests run many seeds; ASan and UBSan work at -O2.
  asan) dir=build-asan; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAFT_SANITIZE=ON -DRAFT_WERROR=ON) ;;
  o3) dir=build-rel; flags=(-DCMAKE_BUILD_TYPE=Release -DRAFT_WERROR=ON) ;;
  *) echo "usage: scripts/build.sh [release|asan|o3] [target...]" >&2; exit 2 ;;
esac
# A compiler cache, when one is installed, makes rebuilds across checkouts cheap.
if command -v ccache >/dev/null; then flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
if [ $# -gt 0 ]; then cmake --build "$dir" --target "$@"; else cmake --build "$dir"; fi
