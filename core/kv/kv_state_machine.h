// KvStateMachine: the replicated key-value map. Apply() is deterministic:
// the same command sequence gives the same state and results on every node,
// which is what State Machine Safety is checked against.
//
// Client sessions (Raft thesis section 6.3) make retried writes exactly
// once: for each client_id the machine remembers the highest sequence
// applied and its result, and answers a duplicate with the saved result
// instead of applying it again.
//
// Threading: single-threaded, owned by the node's event loop.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/assert.h"
#include "core/kv/command.h"
#include "core/status.h"
#include "core/types.h"

namespace raft::kv {

struct ApplyResult {
  bool ok = true;          // cas: swapped; delete: the key existed
  bool found = false;      // the key existed before the command
  std::string value;       // the value before the command (or read)
  bool duplicate = false;  // a retried command answered from the session
  friend bool operator==(const ApplyResult&, const ApplyResult&) = default;
};

class KvStateMachine {
 public:
  ApplyResult Apply(Index index, const Command& c);
  // A log entry that carries no command (a leader's no-op) still advances
  // the applied index, so snapshots record where they were taken.
  void SkipTo(Index index) {
    RAFT_ASSERT_MSG(index > applied_, "entries apply in increasing order");
    applied_ = index;
  }
  std::optional<std::string> Get(const std::string& key) const;
  Index applied() const { return applied_; }
  size_t size() const { return data_.size(); }
  const std::map<std::string, std::string>& data() const { return data_; }
  // Order-independent digest of the contents, to compare replicas quickly.
  uint64_t Digest() const;

  // Snapshot image: the map, the client sessions and the applied index.
  // Format (little-endian): version u8 = 1, applied u64, pair count u64,
  // (key, value)*, session count u64, (client u64, sequence u64, ok u8,
  // found u8, value)*; strings are u32 length + bytes.
  std::string Serialize() const;
  // Replaces the whole state; kCorruption if the image does not parse.
  Status Restore(const std::string& image);

 private:
  struct Session {
    uint64_t sequence = 0;
    ApplyResult result;
  };
  ApplyResult Execute(const Command& c);

  std::map<std::string, std::string> data_;
  std::map<uint64_t, Session> sessions_;
  Index applied_;  // Invariant: the last log index applied; only increases
};

}  // namespace raft::kv
