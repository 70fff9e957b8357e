#!/usr/bin/env bash
# The long (nightly) seed sweep: 10,000 seeds of 3-node and 10,000 of 5-node
# clusters with every fault enabled. Prints progress on stderr, every failing
# seed with its replay command, and one summary line per cluster size.
# Usage: scripts/sweep.sh [seeds] [start]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-10000}
start=${2:-1}
bash scripts/setup.sh
bash scripts/build.sh release
status=0
for nodes in 3 5; do
  build/cmd/raft-sim --seeds "$seeds" --start "$start" --nodes "$nodes" --quiet || status=1
done
exit $status
