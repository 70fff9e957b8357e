#include "core/raw_node.h"

namespace raft {

bool Ready::Empty() const {
  return !soft_state && !hard_state && entries.empty() && snapshot.IsEmpty() &&
         committed_entries.empty() && messages.empty() && read_states.empty() && !repaired;
}

RawNode::RawNode(const Config& config, const Storage& storage, std::unique_ptr<Rng> rng)
    : raft_(config, storage, std::move(rng)),
      prev_soft_(raft_.GetSoftState()),
      prev_hard_(raft_.GetHardState()) {}

Status RawNode::Step(const Message& m) {
  // Local triggers come through Tick/Campaign, never from the network.
  if (IsLocalMessage(m.type)) {
    return Status::Error(StatusCode::kInvalidArgument, "local message from the network");
  }
  return raft_.Step(m);
}

void RawNode::Campaign() {
  (void)raft_.Step(Message{.type = MessageType::kHup, .from = raft_.id()});
}

bool RawNode::HasReady() const {
  const RaftLog& log = raft_.log();
  return raft_.GetSoftState() != prev_soft_ || raft_.GetHardState() != prev_hard_ ||
         !log.UnstableEntries().empty() || log.UnstableSnapshot().has_value() ||
         log.HasNextCommittedEntries() || raft_.HasPendingMessages() || raft_.repair_finished();
}

Ready RawNode::GetReady() {
  RAFT_ASSERT_MSG(!ready_outstanding_, "GetReady called twice without Advance");
  ready_outstanding_ = true;
  Ready rd;
  const SoftState soft = raft_.GetSoftState();
  if (soft != prev_soft_) rd.soft_state = soft;
  const HardState hard = raft_.GetHardState();
  if (hard != prev_hard_) rd.hard_state = hard;
  const RaftLog& log = raft_.log();
  rd.entries = log.UnstableEntries();
  if (log.UnstableSnapshot()) rd.snapshot = *log.UnstableSnapshot();
  rd.committed_entries = log.NextCommittedEntries(raft_.config().committed_bytes_per_ready_max);
  rd.messages = raft_.TakeMessages();
  rd.read_states = raft_.TakeReadStates();
  rd.repaired = raft_.TakeRepairFinished();
  rd.must_sync = !rd.entries.empty() || !rd.snapshot.IsEmpty() ||
                 (rd.hard_state && (hard.term != prev_hard_.term || hard.vote != prev_hard_.vote));
  return rd;
}

void RawNode::Advance(const Ready& rd) {
  RAFT_ASSERT_MSG(ready_outstanding_, "Advance without GetReady");
  ready_outstanding_ = false;
  if (rd.soft_state) prev_soft_ = *rd.soft_state;
  if (rd.hard_state) prev_hard_ = *rd.hard_state;
  RaftLog& log = raft_.mutable_log();
  if (!rd.snapshot.IsEmpty()) {
    log.StableSnapshotTo(rd.snapshot.meta.index);
    log.AppliedTo(rd.snapshot.meta.index);
  }
  if (!rd.entries.empty()) raft_.OnStable(rd.entries.back().index, rd.entries.back().term);
  if (!rd.committed_entries.empty()) log.AppliedTo(rd.committed_entries.back().index);
}

}  // namespace raft
