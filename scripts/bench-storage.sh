#!/usr/bin/env bash
# WAL group-commit throughput next to the disk's raw synchronous write rate,
# measured side by side in one run on the same disk (this directory's): the
# WAL appending (against fio appending: ratio) and the WAL overwriting
# preallocated segments, as the server does. Prints one line per batch size:
#   bench-storage: batch=64 wal_syncs_per_s=... fio_syncs_per_s=... ratio=... wal_preallocated_syncs_per_s=...
# Usage: scripts/bench-storage.sh [runs]   (median of `runs`, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
bash scripts/setup.sh >/dev/null
command -v fio >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio >/dev/null
bash scripts/build.sh release >/dev/null
work=$(mktemp -d "$PWD/build/bench-storage.XXXXXX")
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# wal_bench's syncs/s at batch $1, preallocated ($2 = 1) or appending (0).
syncs_per_s() {
  (cd "$work" && "$OLDPWD/build/bench/wal_bench" \
    --benchmark_filter="BM_WalSaveSynced/batch:$1/preallocated:$2/" \
    --benchmark_format=json 2>/dev/null) |
    awk -F: '/"syncs_per_s"/ {gsub(/[ ,]/, "", $2); print $2; exit}'
}

for batch in 1 16 64 256; do
  bytes=$((batch * (256 + 26) + 33))
  wal=(); raw=(); pre=()
  for run in $(seq "$runs"); do
    w=$(syncs_per_s "$batch" 0)
    p=$(syncs_per_s "$batch" 1)
    f=$(fio --name=sync --directory="$work" --rw=write --bs="$bytes" --size=64m --fdatasync=1 \
          --runtime=3 --time_based --output-format=terse 2>/dev/null | awk -F';' '{print $49}')
    wal+=("$w"); raw+=("$f"); pre+=("$p")
    echo "progress: batch=$batch run=$run wal_syncs_per_s=$w fio_iops=$f wal_preallocated_syncs_per_s=$p" >&2
  done
  w=$(printf "%s\n" "${wal[@]}" | median | xargs printf "%.0f")
  f=$(printf '%s\n' "${raw[@]}" | median)
  p=$(printf "%s\n" "${pre[@]}" | median | xargs printf "%.0f")
  ratio=$(awk -v w="$w" -v f="$f" 'BEGIN {printf "%.2f", (f > 0) ? w / f : 0}')
  echo "bench-storage: batch=$batch write_bytes=$bytes wal_syncs_per_s=$w wal_entries_per_s=$(awk -v w="$w" -v b="$batch" 'BEGIN {printf "%.0f", w * b}') fio_syncs_per_s=$f ratio=$ratio wal_preallocated_syncs_per_s=$p"
done
