// DurableLog: where the Replica makes Raft state durable. The Wal over a
// FileSystem implements it for both worlds (real files, simulated disk);
// MemoryDurableLog keeps everything in memory for tests and benchmarks.
//
// Contract: when Save() returns Ok with sync requested, everything passed in
// survives a crash of the process. A non-ok Status is fatal for the node:
// the Replica stops rather than send a message promising lost state.
//
// Threading: single-threaded, owned by the node's event loop.
#pragma once

#include <optional>
#include <vector>

#include "core/storage.h"

namespace raft {

class DurableLog {
 public:
  virtual ~DurableLog() = default;
  virtual Status Save(const std::optional<HardState>& hard_state, const std::vector<Entry>& entries,
                      const Snapshot& snapshot, bool sync) = 0;
  // Records a snapshot of the state machine taken at index (already applied
  // here) under the given membership, and discards log entries up to
  // compact_to.
  virtual Status CreateSnapshot(Index index, const std::vector<NodeId>& voters, std::string data,
                                Index compact_to) = 0;
  // The read view Raft is built on; reflects everything saved.
  virtual const Storage& storage() const = 0;
  // Raft finished repairing a damaged log (Ready::repaired): record durably
  // that this node may vote and acknowledge again.
  virtual Status MarkRepaired() { return Status::Ok(); }
};

class MemoryDurableLog final : public DurableLog {
 public:
  Status Save(const std::optional<HardState>& hard_state, const std::vector<Entry>& entries,
              const Snapshot& snapshot, bool sync) override;
  Status CreateSnapshot(Index index, const std::vector<NodeId>& voters, std::string data,
                        Index compact_to) override {
    storage_.SetVoters(voters);
    return storage_.CreateSnapshot(index, std::move(data), compact_to);
  }
  const Storage& storage() const override { return storage_; }
  MemoryStorage& memory() { return storage_; }

 private:
  MemoryStorage storage_;
};

}  // namespace raft
