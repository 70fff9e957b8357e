#!/usr/bin/env bash
# core/ is the protocol and nothing else: it may include only the C++
# standard library and other core/ headers, and must not reach for clocks,
# threads, sockets, files or global randomness.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
# Every #include must be <std-header> (no dot, no slash) or "core/...".
while IFS= read -r line; do
  file=${line%%:*}
  inc=$(sed -E 's/^[^#]*#include[[:space:]]*//' <<<"${line#*:}")
  if [[ $inc =~ ^\"core/ ]]; then continue; fi
  if [[ $inc =~ ^\<[a-z_0-9]+\>$ ]]; then
    case $inc in
      '<thread>'|'<mutex>'|'<chrono>'|'<random>'|'<fstream>'|'<filesystem>'|'<future>'|'<condition_variable>'|'<ctime>'|'<iostream>')
        echo "core purity: $file includes $inc (no threads, clocks, files or global randomness in core/)"
        status=1 ;;
    esac
    continue
  fi
  echo "core purity: $file includes $inc (only the standard library and core/ are allowed)"
  status=1
done < <(grep -rHn --include='*.h' --include='*.cc' '#include' core | cut -d: -f1,3-)

# Banned calls even through transitively available headers.
if grep -rnE '\b(std::rand|rand\(|srand|time\(|std::random_device|getenv|fopen|socket\()' \
     --include='*.h' --include='*.cc' core; then
  echo "core purity: forbidden call in core/"
  status=1
fi
# The core library links nothing.
if grep -qE 'target_link_libraries\(raft_core' core/CMakeLists.txt; then
  echo "core purity: raft_core must not link other libraries"
  status=1
fi

if [ $status -eq 0 ]; then echo "core purity: ok"; fi
exit $status
