#include "sim/sim_node.h"

namespace raft::sim {

SimNode::SimNode(const Config& config, SimNetwork& network, const SimRandom& random)
    : config_(config), network_(network), random_(random) {}

void SimNode::Start() {
  RAFT_ASSERT(!alive());
  incarnation_++;
  // No snapshots yet: a restarted node re-applies its log from the start.
  Config c = config_;
  c.applied = Index{};
  replica_ = std::make_unique<Replica>(
      c, disk_, *this, random_.Stream("raft", config_.id.value * 1000 + incarnation_));
  replica_->on_apply = [this](const Entry& e) {
    if (on_apply) on_apply(config_.id, e);
  };
}

void SimNode::Crash() {
  RAFT_ASSERT(alive());
  replica_.reset();
  crash_after_sends_.reset();
  crash_pending_ = false;
}

void SimNode::Send(Message m) {
  if (crash_after_sends_) {
    if (*crash_after_sends_ == 0) {
      crash_pending_ = true;
      return;  // lost with the crash
    }
    --*crash_after_sends_;
  }
  network_.Send(m);
}

}  // namespace raft::sim
