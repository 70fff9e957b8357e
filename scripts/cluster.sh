#!/usr/bin/env bash
# A local 3-node raft-server cluster on loopback, started with the original
# description's flags (node1 on 50051 with peers localhost:50052,localhost:50053,
# and so on). Data and logs go under run/cluster/ (override with CLUSTER_DIR).
#
#   scripts/cluster.sh start [BASE_PORT]   start node1..3 on BASE_PORT..BASE_PORT+2
#                                          (default 50051) and wait for a leader
#   scripts/cluster.sh status              raftctl status against the three nodes
#   scripts/cluster.sh stop                SIGTERM every node (SIGKILL after 10 s)
#
# The last line is one a script can read, e.g.
#   cluster: up nodes=3 leader=node2 endpoints=localhost:50051,localhost:50052,localhost:50053
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${CLUSTER_DIR:-run/cluster}
server=build/cmd/raft-server
ctl=build/cmd/raftctl

endpoints() { cat "$dir/endpoints"; }

start() {
  local base=${1:-50051}
  [[ -x $server && -x $ctl ]] || { echo "cluster: build first (bash scripts/build.sh)" >&2; exit 2; }
  mkdir -p "$dir"
  local ports=($base $((base + 1)) $((base + 2)))
  for port in "${ports[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "cluster: port $port is already in use (pick another base: $0 start PORT)" >&2
      exit 1
    fi
  done
  local all=""
  for i in 1 2 3; do all+="${all:+,}localhost:${ports[i - 1]}"; done
  echo "$all" >"$dir/endpoints"
  for i in 1 2 3; do
    local port=${ports[i - 1]} peers=""
    for j in 1 2 3; do [[ $j == "$i" ]] || peers+="${peers:+,}localhost:${ports[j - 1]}"; done
    echo "starting: $server --node-id node$i --port $port --peers $peers --data-dir $dir/node$i"
    nohup "$server" --node-id "node$i" --port "$port" --peers "$peers" \
      --data-dir "$dir/node$i" >"$dir/node$i.log" 2>&1 &
    echo $! >"$dir/node$i.pid"
  done
  printf 'waiting for a leader'
  for _ in $(seq 1 60); do
    local leader
    leader=$("$ctl" --endpoints "$all" --timeout 1000 status 2>/dev/null |
      awk '$3 == "leader" { print $2; exit }') || true
    if [[ -n $leader ]]; then
      echo
      echo "cluster: up nodes=3 leader=$leader endpoints=$all"
      return 0
    fi
    printf '.'
    sleep 0.5
  done
  echo
  tail -n 5 "$dir"/node*.log >&2
  echo "cluster: no leader after 30 s (logs in $dir; stop with $0 stop)" >&2
  exit 1
}

stop() {
  local stopped=0
  for pidfile in "$dir"/node*.pid; do
    [[ -e $pidfile ]] || continue
    local pid
    pid=$(cat "$pidfile")
    # A pid file that outlived its process (e.g. a reboot) may name another
    # program by now: only signal a raft-server.
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q raft-server &&
      kill -TERM "$pid" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      stopped=$((stopped + 1))
    fi
    rm -f "$pidfile"
  done
  echo "cluster: stopped nodes=$stopped"
}

case ${1:-} in
  start) start "${2:-}" ;;
  stop) stop ;;
  status) "$ctl" --endpoints "$(endpoints)" status ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
