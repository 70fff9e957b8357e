// KvStateMachine: the replicated key-value map. Apply() is deterministic:
// the same command sequence gives the same state and results on every node,
// which is what State Machine Safety is checked against.
//
// Client sessions (Raft thesis section 6.3) make retried writes exactly
// once: for each client_id the machine remembers the highest sequence
// applied and its result, and answers a duplicate with the saved result
// instead of applying it again. A sequence older than the last one applied
// is refused (kStale): its result is no longer known.
//
// Sessions expire deterministically: at most sessions_max are kept, and the
// one used longest ago (by log index, the same on every replica) is evicted
// first. A retry from an evicted client is applied again, so exactly-once
// holds for the sessions_max most recently active clients.
//
// Threading: single-threaded, owned by the node's event loop.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/assert.h"
#include "core/kv/command.h"
#include "core/status.h"
#include "core/types.h"

namespace raft::kv {

enum class SessionVerdict : uint8_t {
  kApplied,    // executed now (or no session)
  kDuplicate,  // a retry: answered from the session, not executed again
  kStale,      // older than the client's last applied sequence: refused
};

struct ApplyResult {
  bool ok = true;      // cas: swapped; delete: the key existed
  bool found = false;  // the key existed before the command
  std::string value;   // the value before the command (or read)
  SessionVerdict session = SessionVerdict::kApplied;
  Index first_applied;  // kDuplicate: the index the original was applied at
  friend bool operator==(const ApplyResult&, const ApplyResult&) = default;
};

inline constexpr size_t kSessionsMax = 100'000;

class KvStateMachine {
 public:
  explicit KvStateMachine(size_t sessions_max = kSessionsMax) : sessions_max_(sessions_max) {
    RAFT_ASSERT(sessions_max > 0);
  }
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
  size_t sessions() const { return sessions_.size(); }
  const std::unordered_map<std::string, std::string>& data() const { return data_; }
  // Order-independent digest of the contents, to compare replicas quickly.
  uint64_t Digest() const;

  // Snapshot image: the map, the client sessions and the applied index.
  // Format (little-endian): version u8 = 2, applied u64, pair count u64,
  // (key, value)*, session count u64, (client u64, sequence u64, ok u8,
  // found u8, value, last_used u64)*; strings are u32 length + bytes.
  std::string Serialize() const;
  // Replaces the whole state; kCorruption if the image does not parse.
  Status Restore(const std::string& image);

 private:
  struct Session {
    uint64_t sequence = 0;
    ApplyResult result;
    Index last_used;  // index of the client's last applied command
  };
  ApplyResult Execute(const Command& c);
  ApplyResult ApplyInSession(Index index, const Command& c);

  size_t sessions_max_;
  // Hashed, not ordered: the API has no range reads, and on the apply path
  // a tree of long keys with shared prefixes costs a string compare per level.
  // Serialize sorts, so images stay byte-identical across replicas.
  std::unordered_map<std::string, std::string> data_;
  std::map<uint64_t, Session> sessions_;
  // Invariant: one entry per session, keyed by its last_used index.
  std::map<Index, uint64_t> sessions_by_use_;
  Index applied_;  // Invariant: the last log index applied; only increases
};

}  // namespace raft::kv
