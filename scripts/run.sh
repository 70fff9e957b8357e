#!/usr/bin/env bash
# The main job: installs what is missing, builds, and starts a local 3-node
# raft-server cluster on localhost:50051..50053 (the original description's
# flags), then writes and reads a key through it. The cluster keeps running
# in the background for grpcurl, raftctl or any gRPC client; stop it with
# `bash scripts/cluster.sh stop`. A cluster left by an earlier run is
# stopped first (its data under run/cluster/ is kept).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
bash scripts/cluster.sh stop >/dev/null
bash scripts/cluster.sh start 50051
ctl="build/cmd/raftctl --endpoints localhost:50051,localhost:50052,localhost:50053"
echo "== a write through node3 and linearizable reads from every node"
build/cmd/raftctl --endpoints localhost:50053 put foo bar
for port in 50051 50052 50053; do
  echo "node on $port: foo=$(build/cmd/raftctl --endpoints localhost:$port get foo)"
done
echo "== cluster status"
$ctl status
cat <<'MSG'
== the cluster is running; try:
  grpcurl -plaintext localhost:50051 raft.KeyValueService/GetClusterStatus
  grpcurl -plaintext -d '{"key": "foo", "value": "bar"}' localhost:50051 raft.KeyValueService/Put
  grpcurl -plaintext -d '{"key": "foo"}' localhost:50051 raft.KeyValueService/Get
  build/cmd/raftctl --endpoints localhost:50051,localhost:50052,localhost:50053 get foo
stop it with: bash scripts/cluster.sh stop
MSG
