// WAL group-commit throughput on the real disk: each iteration saves one
// batch of 256-byte entries plus hard state and makes it durable with one
// fdatasync, as a Ready does. Compare syncs/s with fio's raw synchronous
// write rate at the same write size (scripts/bench-storage.sh). The second
// argument is WalOptions::preallocate_segments: 0 appends, 1 overwrites
// preallocated zeros (the server's default).
//
// Run from a directory on the disk under test: the log goes to ./wal-bench.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "core/storage/wal.h"
#include "net/posix_file_system.h"

namespace {

void BM_WalSaveSynced(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  raft::PosixFileSystem fs;
  const std::string dir = "wal-bench-" + std::to_string(batch);
  (void)std::system(("rm -rf " + dir).c_str());
  auto wal = raft::Wal::Open(
      fs, raft::WalOptions{.dir = dir, .preallocate_segments = state.range(1) != 0});
  if (!wal.ok()) {
    state.SkipWithError(wal.status().ToString().c_str());
    return;
  }
  std::vector<raft::Entry> entries(batch);
  uint64_t next = 1;
  const std::string value(256, 'v');
  for (auto _ : state) {
    for (raft::Entry& e : entries) {
      e = raft::Entry{raft::Term{1}, raft::Index{next++}, raft::EntryType::kNormal, value};
    }
    const raft::HardState hs{raft::Term{1}, raft::NodeId{1}, raft::Index{next - 1}};
    const raft::Status s = wal.value()->Save(hs, entries, raft::Snapshot{}, true);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.counters["entries_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
  state.counters["syncs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["bytes_per_sync"] = static_cast<double>(batch * (256 + 26) + 33);
  wal.value().reset();
  (void)std::system(("rm -rf " + dir).c_str());
}
BENCHMARK(BM_WalSaveSynced)
    ->ArgsProduct({{1, 16, 64, 256}, {0, 1}})
    ->ArgNames({"batch", "preallocated"})
    ->UseRealTime()
    ->MinTime(3);

}  // namespace

BENCHMARK_MAIN();
