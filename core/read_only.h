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
  // Adds a read at commit index to the round not yet sent (starting one if
  // needed); returns that round's context.
  uint64_t Add(uint64_t request_id, Index commit, NodeId self);
  // A round waits to be sent and none is in flight: the leader should send
  // a heartbeat round now.
  bool RoundDue() const { return HasUnsentRound() && !HasRoundInFlight(); }
  // A heartbeat round goes out: returns the context it carries (the newest
  // round's, which it sends along with every earlier one; 0 if none).
  uint64_t MarkSent();
  // Records an ack from node for every sent round up to context. Returns the
  // reads now confirmed by a quorum (in arrival order), or nothing. Acks for
  // contexts not yet sent are ignored: nothing can have answered them.
  std::vector<ReadState> Ack(uint64_t context, NodeId from, size_t quorum);
  // Context of the newest pending round (0 if none).
  uint64_t LastContext() const { return pending_.empty() ? 0 : pending_.back().context; }
  size_t PendingCount() const;  // reads not yet confirmed
  void Reset() { pending_.clear(); }

 private:
  struct Round {
    uint64_t context;
    std::vector<ReadState> reads;
    std::vector<NodeId> acks;
  };
  bool HasUnsentRound() const { return !pending_.empty() && pending_.back().context > sent_; }
  bool HasRoundInFlight() const { return !pending_.empty() && pending_.front().context <= sent_; }

  std::deque<Round> pending_;  // Invariant: contexts increase
  uint64_t next_context_ = 1;
  uint64_t sent_ = 0;  // newest context a heartbeat carried; never decreases
};

}  // namespace raft
