// KvStateMachine: the replicated key-value map. Apply() is deterministic:
// the same command sequence gives the same state and results on every node,
// which is what State Machine Safety is checked against.
//
// Client sessions (Raft thesis section 6.3) make retried writes exactly
// once. Clients pick their own client_id (no registration); 0 means no
// session. For each client the machine keeps its last applied sequence, the
// answer it got, the digest of that command (CommandDigest) and the log
// index it was last used at. A command (client X, sequence s) at log index I:
//
//   1. X has a session and s is its last sequence: a retry. Same digest (or
//      digest unknown: the session came from a version-2 image) -> kDuplicate,
//      answered from the session, not applied again. Another digest ->
//      kSequenceReused: refused, the sequence belongs to a different command.
//   2. X has a session and s is older -> kStale: refused, answer unknown.
//   3. X has no session, s != 1 and s <= sessions_expired_through() ->
//      kSessionExpired: refused; this may be the retry of a write applied
//      before X's session was evicted. The client must start a new client id
//      (or go on with this one above sessions_expired_through()).
//   4. s > I -> kSequenceAhead: refused. A session's sequence never exceeds
//      the index its command is applied at; that is what makes rule 3 sound.
//   5. Otherwise the command is applied, opening X's session if needed.
//
// Sessions expire deterministically: at most sessions_max are kept, and the
// one used longest ago (by log index, the same on every replica) is evicted
// first, and counted (sessions_evicted()). Once one was evicted the table
// stays full, and every kept session was last used after every evicted one,
// so sessions_expired_through() -- 0 until the table is full, then the
// oldest kept session's last index minus one -- is at least the last index
// of every evicted session. By rule 4 each sequence an evicted client had
// applied is <= that index, so all its retries fall under rule 3.
//
// The exception is sequence 1, which always opens a session (so clients
// may start at 1 without knowing anything): a client evicted before it saw
// the answer to its FIRST write can have that write applied twice. A client
// closes this hole by starting its sequence at one above a log index it has
// seen (a reply's index, GetClusterStatus' commit_index): its first write
// lands after that index, so rule 4 lets it open there and rule 3 covers it
// after an eviction. Why not more: remembering every evicted id is
// unbounded, a bounded summary of them (a filter, a window) either forgets
// or refuses strangers, and a lower bound the client does not send cannot
// be known; a registration round trip is what the thesis uses instead.
// The watermark is derived from the session table rather than stored, so
// replicas agree on it whether they replayed the log or restored an image
// (version 2 images included); it costs no memory per evicted client.
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

// What the session rules decided (see above); only kApplied executes.
enum class SessionVerdict : uint8_t {
  kApplied,         // executed now (or no session)
  kDuplicate,       // a retry: answered from the session, not executed again
  kStale,           // older than the client's last applied sequence: refused
  kSequenceReused,  // the last sequence, but a different command: refused
  kSessionExpired,  // no session, and the sequence may be an evicted one's
  kSequenceAhead,   // the sequence exceeds the log index: refused
};
const char* SessionVerdictName(SessionVerdict v);

struct ApplyResult {
  bool ok = true;      // cas: swapped; delete: the key existed
  bool found = false;  // the key existed before the command
  std::string value;   // the value before the command (or read)
  SessionVerdict session = SessionVerdict::kApplied;
  Index first_applied;  // kDuplicate: the index the original was applied at
  // kSessionExpired: sessions_expired_through() when it was refused.
  Index expired_through;
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
  // Sessions this machine has evicted (a statistic: not in snapshots, as
  // rule 3 does not need it, and a restore does not reset it).
  uint64_t sessions_evicted() const { return sessions_evicted_; }
  // Every evicted session was last used at or before this index (rule 3).
  Index sessions_expired_through() const;
  const std::unordered_map<std::string, std::string>& data() const { return data_; }
  // Order-independent digest of the contents, to compare replicas quickly.
  uint64_t Digest() const;

  // Snapshot image: the map, the client sessions and the applied index.
  // Format (little-endian): version u8 = 3, applied u64, pair count u64,
  // (key, value)*, session count u64, (client u64, sequence u64, digest u64,
  // ok u8, found u8, value, last_used u64)*; strings are u32 length + bytes.
  // Version 2 is the same without the digest.
  std::string Serialize() const;
  // Replaces the whole state; kCorruption if the image does not parse.
  // Reads versions 2 and 3; version 2's sessions get digest 0 (unknown), so
  // a retry of their last sequence is answered as a duplicate, as before.
  Status Restore(const std::string& image);

 private:
  struct Session {
    uint64_t sequence = 0;
    uint64_t digest = 0;  // CommandDigest of that command; 0: unknown
    ApplyResult result;
    Index last_used;  // index of the client's last applied command
  };
  ApplyResult Execute(const Command& c);
  ApplyResult ApplyInSession(Index index, const Command& c);
  static ApplyResult AnswerRetry(const Session& s, const Command& c);
  void EvictLeastRecentlyUsed();

  size_t sessions_max_;
  // Hashed, not ordered: the API has no range reads, and on the apply path
  // a tree of long keys with shared prefixes costs a string compare per level.
  // Serialize sorts, so images stay byte-identical across replicas.
  std::unordered_map<std::string, std::string> data_;
  std::map<uint64_t, Session> sessions_;
  // Invariant: one entry per session, keyed by its last_used index.
  std::map<Index, uint64_t> sessions_by_use_;
  uint64_t sessions_evicted_ = 0;
  Index applied_;  // Invariant: the last log index applied; only increases
};

}  // namespace raft::kv
