// ReadOnly: the leader's ReadIndex rounds (Raft thesis section 6.4). A read
// records the commit index when it arrives, then waits until a quorum has
// acknowledged a heartbeat sent after it; only then is it safe to serve the
// read at that index, because no newer leader can have committed past it
// without this leader hearing of it.
//
// Rounds are identified by a context number carried in heartbeats. Reads
// that arrive before a round is sent join it, and an ack for round k also
// confirms every earlier round. At most one round is in flight: reads
// arriving meanwhile gather in the next round, sent when the one in flight
// is confirmed (RoundDue) or with the next periodic heartbeat (which also
// recovers a round whose messages were lost).
//
// Threading: single-threaded, owned by Raft.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "core/types.h"

namespace raft {

struct ReadState {
  uint64_t request_id = 0;
  Index index;  // serve the read once applied >= index
  friend bool operator==(const ReadState&, const ReadState&) = default;
};

class ReadOnly {
 public:
  uint64_t Add(uint64_t request_id, Index commit, NodeId self);
  bool RoundDue() const { return HasUnsentRound() && !HasRoundInFlight(); }
  uint64_t MarkSent();
  std::vector<ReadState> Ack(uint64_t context, NodeId from, size_t quorum);
  uint64_t LastContext() const { return pending_.empty() ? 0 : pending_.back().context; }
  size_t PendingCount() const;
  void Reset() { pending_.clear(); }

 private:
  struct Round {
    uint64_t context;
    std::vector<ReadState> reads;
    std::vector<NodeId> acks;
  };
  bool HasUnsentRound() const { return !pending_.empty() && pending_.back().context > sent_; }
  bool HasRoundInFlight() const { return !pending_.empty() && pending_.front().context <= sent_; }

  std::deque<Round> pending_;
  uint64_t next_context_ = 1;
  uint64_t sent_ = 0;
};

}  // namespace raft
