#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, clang with ASan + UBSan, in
# build-fuzz) and runs each for the given number of seconds (default 30),
# starting from its committed seed corpus. New inputs go to
# build-fuzz/corpus/<target>, crash inputs to build-fuzz/crashes/<target>.
# Ends with one line per target and a total, for scripts:
#   fuzz: target=<name> execs=<n> execs_per_sec=<n> cov=<n> ft=<n> crashes=<0|1>
#   fuzz: <n> passed, <n> failed
# and exits non-zero if any target crashed, printing the command that
# reproduces it. Usage: scripts/fuzz.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
dir=build-fuzz
targets=(command snapshot_file wal_record peer_message)

flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAFT_FUZZ=ON)
if command -v ccache >/dev/null; then flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
echo "== fuzz: building ${targets[*]} with clang in $dir"
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" --target "${targets[@]/#/fuzz_}"

summary=()
crashed=0
for t in "${targets[@]}"; do
  bin=$dir/tests/fuzz/fuzz_$t
  corpus=$dir/corpus/$t
  crashes=$dir/crashes/$t
  log=$dir/fuzz_$t.log
  mkdir -p "$corpus" "$crashes"
  echo "== fuzz: $t for ${seconds}s"
  # Progress lines (libFuzzer's INITED, pulse, DONE, errors) on the screen;
  # everything in the log.
  set +e
  "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" "$corpus" tests/fuzz/corpus/"$t" 2>&1 |
    tee "$log" | grep --line-buffered -E '^#[0-9]+.*(INITED|DONE|pulse)|ERROR|SUMMARY|Test unit'
  status=${PIPESTATUS[0]}
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE ' cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  ft=$(grep -oE ' ft: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  found=0
  if [ "$status" -ne 0 ]; then
    found=1
    crashed=$((crashed + 1))
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "fuzz: $t CRASHED (exit $status); reproduce with: $bin ${input:-<input>}"
  fi
  summary+=("fuzz: target=$t execs=${execs:-0} execs_per_sec=${rate:-0} cov=${cov:-0} ft=${ft:-0} crashes=$found")
done
printf '%s\n' "${summary[@]}"
echo "fuzz: $((${#targets[@]} - crashed)) passed, $crashed failed"
[ "$crashed" -eq 0 ]
