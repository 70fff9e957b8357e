#include "sim/sim_node.h"

namespace raft::sim {

SimNode::SimNode(const Config& config, const SimNodeOptions& options, SimNetwork& network,
                 const SimRandom& random)
    : config_(config),
      options_(options),
      network_(network),
      random_(random),
      disk_(random.Stream("disk", config.id.value)) {}

Status SimNode::Start() {
  RAFT_ASSERT(!alive());
  incarnation_++;
  Result<std::unique_ptr<Wal>> wal =
      Wal::Open(disk_, WalOptions{.dir = "data",
                                  .segment_bytes_max = options_.segment_bytes_max,
                                  .preallocate_segments = options_.preallocate_segments,
                                  .node = config_.id});
  if (!wal.ok()) return wal.status();
  wal_ = std::move(wal).value();
  replica_ =
      std::make_unique<Replica>(config_, options_.snapshots, *wal_, *this,
                                random_.Stream("raft", config_.id.value * 1000 + incarnation_));
  if (!replica_->recovery_status().ok()) return replica_->recovery_status();
  replica_->on_apply = [this](const Entry& e) {
    if (on_apply) on_apply(config_.id, e);
  };
  return Status::Ok();
}

void SimNode::Crash(bool tear) {
  RAFT_ASSERT(alive());
  replica_.reset();
  wal_.reset();
  disk_.Crash(tear);
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
