#!/usr/bin/env bash
# Side-by-side A/B of raft-server builds on this machine: the before and
# after of a fast-path change, measured in one sitting with the same load
# generator (the ratio is the measure; absolute numbers drift on a shared VM).
#
#   bench/compare-builds.sh LABEL=PATH/raft-server LABEL=PATH/raft-server ...
#
# Each run starts a fresh 3-node cluster of every build in turn (the order
# rotates per run) and runs put64, put1 and get64 as bench/compare-etcd.sh
# does, with this tree's build/cmd/raft-bench and raftctl. Environment: RUNS
# (default 3), TOTAL_SCALE (default 1). Prints the median ops/s and p99 per
# build and workload, then one line for scripts:
#   compare-builds summary: before.put64=8200 after.put64=9400 ...
# Build an older commit's server with, e.g.:
#   git worktree add /tmp/wt-OLD OLD && cmake -S /tmp/wt-OLD -B /tmp/wt-OLD/build -G Ninja \
#     && ninja -C /tmp/wt-OLD/build raft-server
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log() { echo "compare-builds: $*" >&2; }

(($# >= 2)) || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
labels=() servers=()
for arg in "$@"; do
  [[ $arg == *=* && -x ${arg#*=} ]] || { log "not LABEL=EXECUTABLE: $arg"; exit 2; }
  labels+=("${arg%%=*}")
  servers+=("${arg#*=}")
done
bench=$root/build/cmd/raft-bench
ctl=$root/build/cmd/raftctl
for bin in "$bench" "$ctl"; do [[ -x $bin ]] || { log "missing $bin (bash scripts/build.sh release)"; exit 2; }; done

results_name=compare-builds
# shellcheck source=bench/bench-lib.sh
source "$root/bench/bench-lib.sh"

n=${#labels[@]}
for run in $(seq 1 "$runs"); do
  for k in $(seq 0 $((n - 1))); do
    i=$(((k + run - 1) % n))
    server=${servers[i]}
    dir=$work/${labels[i]}-run$run
    mkdir -p "$dir"
    start_raft "$dir"
    run_common_workloads "$run" "${labels[i]}"
    stop_pids
    rm -rf "$dir"
  done
done

echo
echo "raft-server builds side by side, median of $runs run(s)"
python3 - "$results" "${labels[@]}" <<'PY'
import statistics, sys
path, labels = sys.argv[1], sys.argv[2:]
data = {}
for line in open(path):
    if line.startswith("run="):
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        data.setdefault((f["system"], f["workload"]), []).append(f)
med = lambda l, w, k: statistics.median(float(r[k]) for r in data[(l, w)]) if (l, w) in data else float("nan")
print("%-10s %12s %12s %12s %12s %12s" % ("build", "put64 ops/s", "put64 p99", "put1 p50", "get64 ops/s", "get64 p99"))
summary = []
for l in labels:
    print("%-10s %12.0f %12.2f %12.2f %12.0f %12.2f" % (l, med(l, "put64", "ops_per_sec"), med(l, "put64", "p99_ms"),
          med(l, "put1", "p50_ms"), med(l, "get64", "ops_per_sec"), med(l, "get64", "p99_ms")))
    summary += ["%s.put64=%.0f" % (l, med(l, "put64", "ops_per_sec")), "%s.put1_p50_ms=%.2f" % (l, med(l, "put1", "p50_ms")),
                "%s.get64=%.0f" % (l, med(l, "get64", "ops_per_sec"))]
print("raw raft-bench summaries:", path)
print("compare-builds summary: " + " ".join(summary))
PY
((failures == 0)) || { log "$failures workload(s) had errors or failed"; exit 1; }
