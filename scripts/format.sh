#!/usr/bin/env bash
# Rewrites our C++ sources in place with .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -co --exclude-standard '*.h' '*.cc' | xargs clang-format -i
