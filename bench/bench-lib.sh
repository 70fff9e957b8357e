# Shared by bench/compare-etcd.sh, bench/compare-builds.sh and
# bench/floor-structures.sh: temp dirs and process cleanup, free ports, a
# 3-node raft-server cluster, the gRPC floor server, waiting for a leader,
# one raft-bench workload and the workloads both comparisons run. The caller
# sets root, bench, results_name (and server and ctl for a raft cluster,
# floor for the floor server), and defines log().
runs=${RUNS:-3}
scale=${TOTAL_SCALE:-1}
key_space=10000
# N multiplied by TOTAL_SCALE, at least 1.
scaled() { awk -v n="$1" -v s="$scale" 'BEGIN { v = int(n * s); print (v < 1) ? 1 : v }'; }

mkdir -p run
work=$(mktemp -d "$root/run/bench-tmp.XXXXXX")
results=$root/run/$results_name-$(date +%Y%m%d-%H%M%S).txt
: >"$results"
pids=()

stop_pids() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
cleanup() {
  stop_pids
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# N free loopback ports, all held open at once so that they differ.
free_ports() {
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# start_raft DIR: a fresh 3-node cluster of $server; sets `leader`.
start_raft() {
  local dir=$1 ports i j
  read -r -a ports <<<"$(free_ports 3)"
  local endpoints="127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
  mkdir -p "$dir"
  for i in 0 1 2; do
    local peers=""
    for j in 0 1 2; do [[ $j == "$i" ]] || peers+="${peers:+,}127.0.0.1:${ports[j]}"; done
    "$server" --node-id "node$((i + 1))" --port "${ports[i]}" --peers "$peers" \
      --listen-host 127.0.0.1 --advertise-host 127.0.0.1 --log-level warn \
      --data-dir "$dir/node$((i + 1))" >"$dir/node$((i + 1)).log" 2>&1 &
    pids+=($!)
  done
  raft_leader() {
    "$ctl" --endpoints "$endpoints" --timeout 1000 status 2>/dev/null |
      awk '$3 == "leader" { print $1; exit }'
  }
  await_leader raft_leader raft "$dir"/node*.log
  log "raft-server: up, leader $leader (members $endpoints)"
}

# start_floor DIR [ARGS...]: $floor (grpc-floor-server) with ARGS on a free
# port, logging to DIR/floor.log; sets `leader` to its address.
start_floor() {
  local dir=$1 port
  shift
  port=$(free_ports 1)
  "$floor" --port "$port" --value-size 256 "$@" >"$dir/floor.log" 2>&1 &
  pids+=($!)
  leader=127.0.0.1:$port
  for _ in $(seq 1 50); do
    grep -q listening "$dir/floor.log" && return
    sleep 0.1
  done
  log "grpc-floor-server did not start: $(cat "$dir/floor.log")"
  exit 2
}

# await_leader FIND NAME LOG...: runs FIND (which prints the leader's
# host:port, or nothing) every 0.5 s for up to 30 s and sets `leader`; if
# none appears, shows the end of each LOG and exits 2.
await_leader() {
  local find=$1 name=$2
  shift 2
  leader=""
  for _ in $(seq 1 60); do
    leader=$("$find") || true
    [[ -n $leader ]] && return
    sleep 0.5
  done
  tail -n 5 "$@" >&2
  log "$name: no leader after 30 s"
  exit 2
}

# run_common_workloads RUN SYSTEM: put64, put1 and get64 against $leader,
# as compare-etcd.sh and compare-builds.sh both measure them.
run_common_workloads() {
  local run=$1 system=$2
  run_workload "$run" "$system" put64 --mode put --clients 64 --conns 8 --total "$(scaled 50000)"
  run_workload "$run" "$system" put1 --mode put --clients 1 --conns 1 --total "$(scaled 2000)"
  run_workload "$run" "$system" get64 --mode get --clients 64 --conns 8 \
    --total "$(scaled 50000)" --no-preload
}

# Sum of user + system clock ticks of every process in pids.
cluster_cpu_ticks() {
  local pid total=0
  for pid in "${pids[@]}"; do
    [[ -r /proc/$pid/stat ]] || continue
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo "$total"
}

# run_workload RUN SYSTEM NAME raft-bench-args...: runs raft-bench against
# $leader (--target etcd for SYSTEM etcd, else raft), appends the summary
# line to $results and counts failures.
failures=0
run_workload() {
  local run=$1 system=$2 name=$3
  shift 3
  local cpu_before
  cpu_before=$(cluster_cpu_ticks)
  local out=$work/bench-$system-$name-$run
  local rc=0
  local target=raft
  [[ $system == etcd ]] && target=etcd
  "$bench" --target "$target" --endpoints "$leader" --key-size 16 --val-size 256 \
    --key-space "$key_space" "$@" >"$out.out" 2>"$out.err" || rc=$?
  local line
  line=$(grep '^raft-bench summary:' "$out.out" || true)
  if [[ -z $line ]]; then
    log "run $run $system $name: raft-bench exit $rc, no summary:"
    tail -n 3 "$out.err" >&2
    failures=$((failures + 1))
    return
  fi
  # The servers' CPU time per successful request (all three processes, user
  # + system): on a CPU-bound machine, the cost that bounds throughput.
  local ops cpu_us_per_op
  ops=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' <<<"$line")
  cpu_us_per_op=$(awk -v t=$(($(cluster_cpu_ticks) - cpu_before)) -v hz="$(getconf CLK_TCK)" \
    -v n="$ops" 'BEGIN { printf "%.0f", (n > 0) ? t / hz * 1e6 / n : 0 }')
  line+=" server_cpu_us_per_op=$cpu_us_per_op"
  echo "run=$run system=$system workload=$name $line" >>"$results"
  if ((rc != 0)); then
    failures=$((failures + 1))
    log "run $run $system $name: ERRORS: $(grep -m1 'first error' "$out.out" | sed 's/^ *//')"
  fi
  log "run $run $system $name: ops=${line#*ops=}"
}

