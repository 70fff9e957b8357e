#!/usr/bin/env bash
# raft-kv next to etcd on this machine: a 3-member etcd cluster (Debian's
# etcd 3.4, fsync on, as it ships) and a 3-node raft-server cluster, both on
# loopback with their data on this repository's disk, driven by the same load
# generator (build/cmd/raft-bench, --target etcd or raft) against the leader.
#
# Workloads (16-byte keys, 256-byte values, keys drawn from 10,000):
#   put64   puts, 64 clients in flight over 8 connections  (--total 50000)
#   put1    puts, 1 client                                 (--total 2000)
#   get64   linearizable gets, 64 clients, of the keys put64 just wrote
#           (--total 50000)
#   stale64 stale gets, 64 clients (raft: GetRequest.stale; etcd: serializable
#           Range), served from the leader's copy without a read round
#           (--total 50000)
#   stale1  stale gets, 1 client: a loopback gRPC round trip plus a map
#           lookup (--total 2000)
# Then, for scale, the gRPC floor: build/bench/grpc-floor-server, which
# answers raft.KeyValueService calls from the handler with no Raft behind
# it, under put64 and get64 (stale64's shape): what the gRPC call alone
# costs here, with the callback API (the usual gRPC C++ server), a floor under
# raft-server's cost per request.
# Each run starts fresh clusters of both systems, one after the other; runs
# alternate which system goes first (run 1: etcd, run 2: raft, ...). The
# table shows the median over runs of ops/s, of p99 latency and of the
# servers' CPU time per request (user + system of all three processes: the
# machine has 2 cores, so this is what bounds throughput). Also measured:
# the fdatasync latency of this disk (fio, 4 KiB writes, appending to a file
# and overwriting one), one part of the 1-client put latency floor; the
# loopback round trip (stale1) is the other.
#
# Environment:
#   RUNS=3            repetitions (median over them)
#   TOTAL_SCALE=1     multiplies every --total (e.g. 0.1 for a quick look)
#   BENCH_BUILD_DIR=  use the binaries already built in this directory
#                     (e.g. build-bench) instead of `scripts/build.sh release`
#
# Prints progress lines, the table and, last, one line for scripts:
#   compare-etcd summary: put64_ratio=2.1 put64_p99_ratio=0.8 put1_latency_ratio=1.05 get64_ratio=3.0
# Ratios are raft/etcd: of ops/s for put64 and get64 (> 1: raft faster), of
# p99 latency for put64_p99 and of p50 latency for put1 (< 1: raft faster).
# The raw raft-bench summary lines go to run/compare-etcd-<time>.txt.
# Exit status: 0 if both clusters ran every workload without errors, 1 if a
# workload had errors or failed, 2 if a cluster would not start.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

log() { echo "compare-etcd: $*" >&2; }

# ---- tools and binaries ----------------------------------------------------
missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
command -v etcdctl >/dev/null || missing+=(etcd-client)
command -v fio >/dev/null || missing+=(fio)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export ETCDCTL_API=3

if [[ -n ${BENCH_BUILD_DIR:-} ]]; then
  build=$BENCH_BUILD_DIR
  log "using binaries in $build (BENCH_BUILD_DIR; not rebuilding)"
else
  build=build
  log "building release (scripts/build.sh release)"
  bash scripts/build.sh release >/dev/null
fi
bench=$root/$build/cmd/raft-bench
server=$root/$build/cmd/raft-server
ctl=$root/$build/cmd/raftctl
floor=$root/$build/bench/grpc-floor-server
for bin in "$bench" "$server" "$ctl" "$floor"; do
  [[ -x $bin ]] || { log "missing $bin"; exit 2; }
done

# ---- shared pieces: cleanup, free ports, start_raft, run_workload -----------
results_name=compare-etcd
# shellcheck source=bench/bench-lib.sh
source "$root/bench/bench-lib.sh"

# ---- the two clusters ------------------------------------------------------
# Each start_* sets `leader` (host:port of the leader's client endpoint).
start_etcd() {
  local dir=$1 ports cluster="" i
  read -r -a ports <<<"$(free_ports 6)"  # client 0..2, peer 3..5
  for i in 1 2 3; do cluster+="${cluster:+,}e$i=http://127.0.0.1:${ports[i + 2]}"; done
  local endpoints="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
  for i in 1 2 3; do
    local client=http://127.0.0.1:${ports[i - 1]} peer=http://127.0.0.1:${ports[i + 2]}
    etcd --name "e$i" --data-dir "$dir/e$i" \
      --listen-client-urls "$client" --advertise-client-urls "$client" \
      --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
      --initial-cluster "$cluster" --initial-cluster-state new \
      --initial-cluster-token "bench-$$" >"$dir/e$i.log" 2>&1 &
    pids+=($!)
  done
  etcd_leader() {
    etcdctl --endpoints "$endpoints" --command-timeout 2s endpoint health >/dev/null 2>&1 &&
      etcdctl --endpoints "$endpoints" endpoint status -w json 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    if e["Status"]["header"]["member_id"] == e["Status"]["leader"]:
        print(e["Endpoint"].replace("http://", ""))
        break'
  }
  await_leader etcd_leader "etcd (a healthy cluster)" "$dir"/e*.log
  log "etcd $(etcd --version | head -1 | awk '{print $3}'): up, leader $leader (members $endpoints)"
}

# ---- workloads -------------------------------------------------------------
run_system() {
  local run=$1 system=$2 dir=$work/$2-run$1
  mkdir -p "$dir"
  if [[ $system == floor ]]; then
    start_floor "$dir"
    run_workload "$run" floor put64 --mode put --clients 64 --conns 8 --total "$(scaled 50000)"
    run_workload "$run" floor get64 --mode get-stale --clients 64 --conns 8 \
      --total "$(scaled 50000)" --no-preload
    stop_pids
    rm -rf "$dir"
    return
  fi
  if [[ $system == etcd ]]; then start_etcd "$dir"; else start_raft "$dir"; fi
  run_common_workloads "$run" "$system"
  run_workload "$run" "$system" stale64 --mode get-stale --clients 64 --conns 8 \
    --total "$(scaled 50000)" --no-preload
  run_workload "$run" "$system" stale1 --mode get-stale --clients 1 --conns 1 \
    --total "$(scaled 2000)" --no-preload
  stop_pids
  rm -rf "$dir"
}

# ---- fdatasync latency of this disk ----------------------------------------
# fio_sync NAME FIO-ARGS...: prints "mean_ms p50_ms p99_ms syncs_per_s" of 4 KiB
# writes each followed by fdatasync, in a directory on this disk.
fio_sync() {
  local dir=$work/fio-$1
  shift
  mkdir -p "$dir"
  local json
  json=$(fio --name=sync --rw=write --bs=4k --fdatasync=1 --directory="$dir" \
    --output-format=json "$@" 2>/dev/null) || { log "fio failed"; echo "0 0 0 0"; return; }
  rm -rf "$dir"
  python3 -c '
import json, sys
job = json.loads(sys.argv[1])["jobs"][0]
lat = job["sync"]["lat_ns"]
pct = lat.get("percentile", {})
print("%.2f %.2f %.2f %.0f" % (lat["mean"] / 1e6, pct.get("50.000000", 0) / 1e6,
                               pct.get("99.000000", 0) / 1e6, job["write"]["iops"]))' "$json"
}
log "fio: 4 KiB writes, fdatasync after each, in $work (append up to 10 s, overwrite up to 5 s)"
# Appending grows the file, so each fdatasync also commits the new size (as a
# WAL append does); overwriting a laid-out file syncs data only.
read -r fsync_mean_ms fsync_p50_ms fsync_p99_ms fsync_per_s \
  <<<"$(fio_sync append --size=64m --runtime=10)"
read -r fsync_ow_mean_ms fsync_ow_p50_ms fsync_ow_p99_ms fsync_ow_per_s \
  <<<"$(fio_sync overwrite --size=16m --runtime=5 --overwrite=1)"
log "fio append:    fdatasync mean ${fsync_mean_ms} ms, p50 ${fsync_p50_ms} ms, p99 ${fsync_p99_ms} ms (${fsync_per_s}/s)"
log "fio overwrite: fdatasync mean ${fsync_ow_mean_ms} ms, p50 ${fsync_ow_p50_ms} ms, p99 ${fsync_ow_p99_ms} ms (${fsync_ow_per_s}/s)"
echo "fio append fdatasync_mean_ms=$fsync_mean_ms fdatasync_p50_ms=$fsync_p50_ms fdatasync_p99_ms=$fsync_p99_ms syncs_per_s=$fsync_per_s" >>"$results"
echo "fio overwrite fdatasync_mean_ms=$fsync_ow_mean_ms fdatasync_p50_ms=$fsync_ow_p50_ms fdatasync_p99_ms=$fsync_ow_p99_ms syncs_per_s=$fsync_ow_per_s" >>"$results"

# ---- the runs --------------------------------------------------------------
log "runs=$runs total_scale=$scale; order alternates per run (odd runs: etcd first, even: raft first)"
for run in $(seq 1 "$runs"); do
  if ((run % 2)); then order=(etcd raft); else order=(raft etcd); fi
  for system in "${order[@]}"; do run_system "$run" "$system"; done
  run_system "$run" floor
done

# ---- table -----------------------------------------------------------------
echo
echo "raft-kv vs etcd $(etcd --version | head -1 | awk '{print $3}'), 3 nodes each on loopback, median of $runs run(s)"
python3 - "$results" "$fsync_mean_ms" "$fsync_p50_ms" "$fsync_ow_mean_ms" "$fsync_ow_p50_ms" <<'EOF'
import statistics, sys
path = sys.argv[1]
fsync_mean, fsync_p50, ow_mean, ow_p50 = (float(v) for v in sys.argv[2:6])
data = {}  # (system, workload) -> list of field dicts
for line in open(path):
    if not line.startswith("run="):
        continue
    fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    data.setdefault((fields["system"], fields["workload"]), []).append(fields)

def med(system, workload, key):
    rows = [r for r in data.get((system, workload), []) if key in r]
    return statistics.median(float(r[key]) for r in rows) if rows else None

def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None

def fmt(v, spec):
    return "-" if v is None else format(v, spec)

def client_us(system, workload):
    """raft-bench's own CPU per request (median over runs), from its CPU share."""
    rows = [r for r in data.get((system, workload), []) if float(r["ops_per_sec"]) > 0]
    if not rows:
        return None
    return statistics.median(float(r["client_cpu_pct"]) * 1e4 / float(r["ops_per_sec"])
                             for r in rows)

workloads = [("put64", "put, 64 clients"), ("put1", "put, 1 client"),
             ("get64", "linearizable get, 64 clients"), ("stale64", "stale get, 64 clients"),
             ("stale1", "stale get, 1 client")]
header = ["workload", "etcd ops/s", "raft ops/s", "ratio", "etcd p99 ms", "raft p99 ms", "ratio",
          "etcd cpu us/op", "raft cpu us/op", "client cpu us/op (etcd, raft)"]
rows = [header]
for w, label in workloads:
    eo, ro = med("etcd", w, "ops_per_sec"), med("raft", w, "ops_per_sec")
    ep, rp = med("etcd", w, "p99_ms"), med("raft", w, "p99_ms")
    ec, rc = med("etcd", w, "server_cpu_us_per_op"), med("raft", w, "server_cpu_us_per_op")
    rows.append([label, fmt(eo, ".0f"), fmt(ro, ".0f"), fmt(ratio(ro, eo), ".2f"),
                 fmt(ep, ".2f"), fmt(rp, ".2f"), fmt(ratio(rp, ep), ".2f"), fmt(ec, ".0f"),
                 fmt(rc, ".0f"),
                 f"{fmt(client_us('etcd', w), '.0f')}, {fmt(client_us('raft', w), '.0f')}"])
widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
for r in rows:
    print(" | ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
errors = sum(int(r["errors"]) for rs in data.values() for r in rs)
print(f"errors over all runs: {errors}")

# The gRPC floor: what one unary call costs here with nothing behind it.
print()
print("gRPC floor (grpc-floor-server: answers from the handler, no Raft; same load generator):")
for w, label in [("put64", "put, 64 clients"), ("get64", "get, 64 clients")]:
    fo = med("floor", w, "ops_per_sec")
    fc = med("floor", w, "server_cpu_us_per_op")
    cu = client_us("floor", w)
    eo = med("etcd", w, "ops_per_sec")
    print(f"  {label}: {fmt(fo, '.0f')} ops/s ({fmt(ratio(fo, eo), '.2f')}x etcd), "
          f"server cpu {fmt(fc, '.0f')} us/op, client cpu {fmt(cu, '.0f')} us/op")

e1, r1 = med("etcd", "put1", "p50_ms"), med("raft", "put1", "p50_ms")
rtt = med("raft", "stale1", "p50_ms")
print()
print("1-client put latency floor (parts, measured on this machine):")
print(f"  fdatasync after a 4 KiB append (fio):    mean {fsync_mean:.2f} ms, p50 {fsync_p50:.2f} ms")
print(f"  fdatasync after a 4 KiB overwrite (fio): mean {ow_mean:.2f} ms, p50 {ow_p50:.2f} ms")
print(f"  loopback gRPC round trip + map lookup (raft-bench get-stale, 1 client): p50 {fmt(rtt, '.3f')} ms")
print(f"  1-client put p50: etcd {fmt(e1, '.2f')} ms, raft {fmt(r1, '.2f')} ms")

put64 = ratio(med("raft", "put64", "ops_per_sec"), med("etcd", "put64", "ops_per_sec"))
put64_p99 = ratio(med("raft", "put64", "p99_ms"), med("etcd", "put64", "p99_ms"))
put1 = ratio(r1, e1)
get64 = ratio(med("raft", "get64", "ops_per_sec"), med("etcd", "get64", "ops_per_sec"))
print(f"\nraw raft-bench summaries: {path}")
print(f"compare-etcd summary: put64_ratio={fmt(put64, '.2f')} put64_p99_ratio={fmt(put64_p99, '.2f')} "
      f"put1_latency_ratio={fmt(put1, '.2f')} get64_ratio={fmt(get64, '.2f')}")
EOF
((failures == 0)) || { log "$failures workload(s) had errors or failed (see above)"; exit 1; }
