// ReadOnly: the leader's ReadIndex rounds (Raft thesis section 6.4). A read
// records the commit index when it arrives, then waits until a quorum has
// acknowledged a heartbeat sent after it; only then is it safe to serve the
// read at that index, because no newer leader can have committed past it
// without this leader hearing of it.
//
// Rounds are identified by a context number carried in heartbeats. An ack
// for round k also confirms every earlier round, so one heartbeat round
// confirms many reads (batching).
//
// Threading: single-threaded, owned by Raft.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
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
  // Starts a round for request_id at commit index; returns its context.
  uint64_t Add(uint64_t request_id, Index commit, NodeId self);
  // Records an ack from node for every round up to context. Returns the
  // reads now confirmed by a quorum (in arrival order), or nothing. Acks for
  // contexts this ReadOnly never handed out are ignored.
  std::vector<ReadState> Ack(uint64_t context, NodeId from, size_t quorum);
  // Context of the newest pending round (0 if none).
  uint64_t LastContext() const;
  void Reset() { pending_.clear(); }
  size_t PendingCount() const { return pending_.size(); }

 private:
  struct Round {
    uint64_t context;
    ReadState read;
    std::set<NodeId> acks;
  };
  std::deque<Round> pending_;  // Invariant: contexts increase
  uint64_t next_context_ = 1;
};

}  // namespace raft
