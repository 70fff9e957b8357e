#!/usr/bin/env bash
# The main job: builds everything and runs a simulated 3-node cluster under
# faults (a seed sweep), printing each run and a one-line summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
echo "== one seeded run of a 3-node cluster under faults"
build/cmd/raft-sim --seed 42
echo "== the same seed again: the trace hash must match"
build/cmd/raft-sim --seed 42 | head -1
echo "== a sweep of 50 seeds"
build/cmd/raft-sim --seeds 50 --quiet
