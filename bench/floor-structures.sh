#!/usr/bin/env bash
# What a server's threading costs per gRPC call on this machine, before any
# Raft: build/bench/grpc-floor-server in each --mode (inline, handoff,
# async, and async with gRPC's default health service), driven by
# raft-bench with 64 clients over 8 connections, put and get. For each it
# reports the server's CPU per call (user + system from /proc) and its
# thread switches per call (voluntary + involuntary, over all its threads).
#
#   RUNS=3 bash bench/floor-structures.sh
#
# Environment: RUNS (default 3), TOTAL_SCALE (default 1; 60,000 calls per
# run at 1). Prints a progress line per run, a table of medians, then one
# line for scripts:
#   floor-structures summary: inline.get.cpu_us=32.1 inline.get.switches=0.30 ...
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
floor=$root/build/bench/grpc-floor-server
bench=$root/build/cmd/raft-bench
log() { echo "floor-structures: $*" >&2; }
for bin in "$floor" "$bench"; do
  [[ -x $bin ]] || { log "missing $bin (bash scripts/build.sh release)"; exit 2; }
done

results_name=floor-structures
# shellcheck source=bench/bench-lib.sh
source "$root/bench/bench-lib.sh"

# Thread switches, voluntary and not, summed over the threads of process $1.
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(non)?voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'
}

total=$(scaled 60000)
structures=(inline handoff async async-health)
for run in $(seq 1 "$runs"); do
  for structure in "${structures[@]}"; do
    args=(--mode "${structure%-health}")
    [[ $structure == *-health ]] && args+=(--health)
    dir=$work/$structure-run$run
    mkdir -p "$dir"
    start_floor "$dir" "${args[@]}"
    for workload in put get; do
      t0=$(cluster_cpu_ticks)
      s0=$(switches "${pids[0]}")
      line=$("$bench" --target raft --endpoints "$leader" --mode "$workload" \
        --clients 64 --conns 8 --total "$total" --key-size 16 --val-size 256 \
        --key-space 10000 --no-preload 2>/dev/null | grep '^raft-bench summary:') || {
        log "run $run $structure $workload failed; reproduce with: $floor --port ${leader#*:}" \
          "${args[*]} & $bench --endpoints $leader --mode $workload --clients 64 --conns 8" \
          "--total $total"
        exit 1
      }
      t1=$(cluster_cpu_ticks)
      s1=$(switches "${pids[0]}")
      ops=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<<"$line")
      rate=$(sed -n 's/.*ops_per_sec=\([0-9]*\).*/\1/p' <<<"$line")
      client=$(sed -n 's/.*client_cpu_pct=\([0-9]*\).*/\1/p' <<<"$line")
      cpu_us=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$ops" \
        'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
      per_call=$(awk -v s=$((s1 - s0)) -v n="$ops" 'BEGIN { printf "%.2f", s / n }')
      echo "$structure $workload $rate $cpu_us $per_call $client" >>"$results"
      log "run $run/$runs $structure $workload: ops_per_sec=$rate server_cpu_us_per_call=$cpu_us switches_per_call=$per_call client_cpu_pct=$client"
    done
    stop_pids
  done
done

echo
echo "grpc-floor-server by structure, 64 clients, 8 connections, median of $runs run(s)"
python3 - "$results" "${structures[@]}" <<'PY'
import statistics, sys
path, structures = sys.argv[1], sys.argv[2:]
rows = {}
for line in open(path):
    s, w, rate, cpu, sw, client = line.split()
    rows.setdefault((s, w), []).append((float(rate), float(cpu), float(sw), float(client)))
print(f"{'structure':14} {'workload':8} {'ops/s':>8} {'server CPU us/call':>19} {'switches/call':>14} {'client CPU %':>13}")
summary = []
for s in structures:
    for w in ("put", "get"):
        m = [statistics.median(col) for col in zip(*rows[(s, w)])]
        print(f"{s:14} {w:8} {m[0]:8.0f} {m[1]:19.1f} {m[2]:14.2f} {m[3]:13.0f}")
        summary.append(f"{s}.{w}.cpu_us={m[1]:.1f} {s}.{w}.switches={m[2]:.2f}")
print("floor-structures summary: " + " ".join(summary))
PY
echo "raw per-run lines: $results"
