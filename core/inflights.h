// Inflights: the bounded window of AppendEntries a leader has sent to one
// follower in the replicate state but not yet seen acknowledged. Each slot
// holds the last index of one message; an ack frees every slot at or below
// the acknowledged index. When the window is full, replication to that
// follower pauses (flow control) until acks arrive.
//
// Threading: single-threaded, owned by Progress.
#pragma once

#include <cstddef>
#include <deque>

#include "core/types.h"

namespace raft {

class Inflights {
 public:
  explicit Inflights(size_t count_max) : count_max_(count_max) {}

  bool Full() const { return indexes_.size() >= count_max_; }
  size_t Count() const { return indexes_.size(); }
  // Records a message ending at last_index. Invariant: indexes increase.
  void Add(Index last_index);
  // Frees every message ending at or below index.
  void FreeLE(Index index);
  void FreeFirstOne() {
    if (!indexes_.empty()) indexes_.pop_front();
  }
  void Reset() { indexes_.clear(); }

 private:
  size_t count_max_;
  std::deque<Index> indexes_;  // Invariant: size <= count_max_, increasing
};

}  // namespace raft
