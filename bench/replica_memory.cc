// replica_memory: drives a single-node Replica over the real WAL through N
// Puts of value_size bytes over key_space keys, with snapshots and log
// compaction on, then reports resident memory (VmRSS) next to what the
// key-value data itself needs. A bounded log tail means RSS stays near the
// data size however many Puts were applied.
//
//   replica_memory --puts 1000000 --keys 100000 --value-size 256 --dir /tmp/x
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/replica.h"
#include "core/storage/wal.h"
#include "net/posix_file_system.h"

namespace {

struct NullTransport final : raft::Transport {
  void Send(raft::Message) override {}
};

uint64_t ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t puts = 1'000'000, keys = 100'000, value_size = 256;
  raft::SnapshotPolicy policy;
  std::string dir = "replica-memory-data";
  CLI::App app{"replica_memory: resident memory after many Puts with compaction"};
  app.add_option("--puts", puts);
  app.add_option("--keys", keys);
  app.add_option("--value-size", value_size);
  app.add_option("--snapshot-every", policy.every_entries);
  app.add_option("--keep-entries", policy.keep_entries);
  app.add_option("--dir", dir);
  CLI11_PARSE(app, argc, argv);
  (void)std::system(("rm -rf " + dir).c_str());

  raft::PosixFileSystem fs;
  auto wal = raft::Wal::Open(fs, raft::WalOptions{.dir = dir});
  if (!wal.ok()) {
    std::fprintf(stderr, "replica_memory: %s\n", wal.status().ToString().c_str());
    return 2;
  }
  NullTransport transport;
  raft::Config config;
  config.id = raft::NodeId{1};
  config.voters = {raft::NodeId{1}};
  raft::Replica replica(config, policy, *wal.value(), transport,
                        std::make_unique<raft::SplitMix64>(1));
  replica.Campaign();
  if (!replica.Drain().ok()) return 1;

  const auto t0 = std::chrono::steady_clock::now();
  const std::string value(value_size, 'v');
  constexpr uint64_t kBatch = 256;  // proposals per Ready (one fdatasync each)
  uint64_t acked = 0;
  for (uint64_t i = 0; i < puts; i++) {
    raft::kv::Command put{
        .op = raft::kv::Op::kPut, .key = "key-" + std::to_string(i % keys), .value = value};
    replica.Propose(put, [&acked](const raft::Status& s, const raft::kv::ApplyResult&,
                                  raft::Index) { acked += s.ok(); });
    if ((i + 1) % kBatch == 0 || i + 1 == puts) {
      const raft::Status s = replica.Drain();
      if (!s.ok()) {
        std::fprintf(stderr, "replica_memory: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    if ((i + 1) % 100'000 == 0) {
      std::fprintf(stderr, "progress: %llu puts, rss=%llu KiB\n",
                   static_cast<unsigned long long>(i + 1),
                   static_cast<unsigned long long>(ResidentKiB()));
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const raft::Storage& storage = wal.value()->storage();
  const uint64_t data_bytes = [&] {
    uint64_t b = 0;
    for (const auto& [k, v] : replica.state_machine().data()) b += k.size() + v.size();
    return b;
  }();
  std::printf(
      "replica_memory: puts=%llu acked=%llu keys=%zu data_bytes=%llu log_entries_held=%llu "
      "wal_segments=%zu rss_kib=%llu seconds=%.1f\n",
      static_cast<unsigned long long>(puts), static_cast<unsigned long long>(acked),
      replica.state_machine().size(), static_cast<unsigned long long>(data_bytes),
      static_cast<unsigned long long>(storage.LastIndex().value - storage.FirstIndex().value + 1),
      wal.value()->segment_count(), static_cast<unsigned long long>(ResidentKiB()), secs);
  (void)std::system(("rm -rf " + dir).c_str());
  return acked == puts ? 0 : 1;
}
