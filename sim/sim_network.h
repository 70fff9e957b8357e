// SimNetwork: the virtual network between simulated nodes. Every message is
// delayed by a random amount (which also reorders), may be dropped or
// duplicated, and is discarded when its link is cut. All randomness comes
// from the network stream of the run's seed.
//
// Threading: single-threaded.
#pragma once

#include <functional>
#include <set>
#include <utility>

#include "core/message.h"
#include "core/rng.h"
#include "sim/event_queue.h"

namespace raft::sim {

struct NetworkFaults {
  double drop_rate = 0;
  double duplicate_rate = 0;
  SimTime delay_min_us = 100;
  SimTime delay_max_us = 2000;
  double slow_rate = 0;  // chance a message takes a slow path
  SimTime slow_delay_max_us = 50000;
};

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t dropped = 0;
  uint64_t cut = 0;
  uint64_t duplicated = 0;
  uint64_t snapshots = 0;  // InstallSnapshot messages sent
};

class SimNetwork {
 public:
  using Deliver = std::function<void(const Message&)>;
  SimNetwork(EventQueue& events, Rng& rng, NetworkFaults faults, Deliver deliver);

  void Send(const Message& m);
  // Blocks messages from -> to (one direction).
  void Block(NodeId from, NodeId to) { blocked_.insert({from.value, to.value}); }
  void HealAll() { blocked_.clear(); }
  bool Blocked(NodeId from, NodeId to) const { return blocked_.contains({from.value, to.value}); }
  // Random delay of one hop (also used for client traffic).
  SimTime DrawDelay();
  void set_faults(const NetworkFaults& f) { faults_ = f; }
  const NetworkFaults& faults() const { return faults_; }
  const NetworkStats& stats() const { return stats_; }

 private:
  EventQueue& events_;
  Rng& rng_;
  NetworkFaults faults_;
  Deliver deliver_;
  std::set<std::pair<uint64_t, uint64_t>> blocked_;
  NetworkStats stats_;
};

}  // namespace raft::sim
