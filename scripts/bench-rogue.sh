#!/usr/bin/env bash
# A 3-node cluster under randomized forged peer traffic while a client writes
# and reads (bench/rogue_peer.py; the forgeries are tests/cluster/rogue.py's).
# A load run, not a CI test. Ends with one line:
#   bench-rogue summary: minutes=.. messages=.. rejected=.. writes_acked=.. lost=0 term_moves=0 exits=0 availability=..%
# and exits 1, printing the command that reruns it with the same seed, when a
# write was lost, a term moved, a node exited or a forged identity got in.
# Usage: scripts/bench-rogue.sh [minutes] [rate] [seed]   (defaults: 10, 1000 msg/s, random)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
rate=${2:-1000}
seed_args=()
if [[ -n ${3:-} ]]; then seed_args=(--seed "$3"); fi
if [[ -z ${RAFT_SERVER:-} && ! -x build/cmd/raft-server ]]; then
  bash scripts/build.sh release >/dev/null
fi
exec /usr/bin/python3 bench/rogue_peer.py --minutes "$minutes" --rate "$rate" "${seed_args[@]}"
