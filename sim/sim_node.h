// SimNode: one simulated server: a Replica (the same code the real server
// runs), its durable log, and its incarnation. Crash() throws away every
// volatile thing (the Replica, pending callbacks); Restart() rebuilds the
// Replica from what the durable log holds, as a real process would.
//
// Threading: single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "core/replica.h"
#include "sim/sim_network.h"
#include "sim/sim_random.h"

namespace raft::sim {

class SimNode final : public Transport {
 public:
  SimNode(const Config& config, SimNetwork& network, const SimRandom& random);

  void Start();
  void Crash();
  bool alive() const { return replica_ != nullptr; }
  Replica& replica() { return *replica_; }
  const Replica& replica() const { return *replica_; }
  NodeId id() const { return config_.id; }
  uint64_t incarnation() const { return incarnation_; }
  const MemoryDurableLog& disk() const { return disk_; }

  void Send(Message m) override;
  // Crash mid-Ready: the next Drain persists, sends `sends` more messages,
  // loses the rest, and the node dies at the end of the event. This is the
  // "crash between persisting and sending" boundary.
  void ArmCrashAfterSends(uint64_t sends) { crash_after_sends_ = sends; }
  void DisarmCrash() { crash_after_sends_.reset(); }
  bool crash_pending() const { return crash_pending_; }
  // Called after every apply on the live replica (for the checkers).
  std::function<void(NodeId, const Entry&)> on_apply;

 private:
  Config config_;
  SimNetwork& network_;
  const SimRandom& random_;
  MemoryDurableLog disk_;
  std::unique_ptr<Replica> replica_;
  uint64_t incarnation_ = 0;
  std::optional<uint64_t> crash_after_sends_;
  bool crash_pending_ = false;
};

}  // namespace raft::sim
