#!/usr/bin/env bash
# Fails when any of our C++ sources differs from .clang-format (Google style).
# Fix with scripts/format.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.h' '*.cc')
if [ ${#files[@]} -eq 0 ]; then echo "format: no files"; exit 0; fi
if clang-format --dry-run --Werror "${files[@]}" 2>/tmp/clang-format.out; then
  echo "format: ok (${#files[@]} files)"
else
  grep -E '^[^ ].*(warning|error):' /tmp/clang-format.out | cut -d: -f1 | sort -u | sed 's/^/format: needs clang-format: /'
  echo "format: run scripts/format.sh"
  exit 1
fi
