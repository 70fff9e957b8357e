#include "core/progress.h"

#include <algorithm>

#include "core/assert.h"

namespace raft {

const char* ProgressStateName(ProgressState state) {
  switch (state) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "unknown";
}

bool Progress::MaybeUpdate(Index n) {
  bool updated = false;
  if (match_ < n) {
    match_ = n;
    updated = true;
    ResumeProbe();
  }
  next_ = std::max(next_, n.Next());
  return updated;
}

bool Progress::MaybeDecrTo(Index rejected, Index next_hint) {
  if (state_ == ProgressState::kReplicate) {
    if (rejected <= match_) return false;  // stale: already matched past it
    next_ = match_.Next();
    return true;
  }
  // Probing sends one append at next-1; any other rejection is stale. So is
  // one at or below match: the follower already acknowledged that prefix in
  // this term, and retrying it could only loop (a follower that lost
  // acknowledged entries has broken storage, not a protocol problem).
  if (next_.Prev() != rejected || rejected <= match_) return false;
  next_ = std::max(std::min(rejected, next_hint), match_.Next());
  ResumeProbe();
  return true;
}

void Progress::BecomeProbe() {
  if (state_ == ProgressState::kSnapshot) {
    const Index after = std::max(match_, pending_snapshot_);
    next_ = after.Next();
  } else {
    next_ = match_.Next();
  }
  state_ = ProgressState::kProbe;
  probe_sent_ = false;
  pending_snapshot_ = Index{};
  inflights_.Reset();
}

void Progress::BecomeReplicate() {
  next_ = match_.Next();
  state_ = ProgressState::kReplicate;
  probe_sent_ = false;
  pending_snapshot_ = Index{};
  inflights_.Reset();
}

void Progress::BecomeSnapshot(Index snapshot_index) {
  state_ = ProgressState::kSnapshot;
  probe_sent_ = false;
  pending_snapshot_ = snapshot_index;
  snapshot_offset_ = 0;
  snapshot_stalled_beats_ = 0;
  inflights_.Reset();
}

bool Progress::IsPaused() const {
  switch (state_) {
    case ProgressState::kProbe:
      return probe_sent_;
    case ProgressState::kReplicate:
      return inflights_.Full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

void Progress::ResetTo(Index match, Index next) {
  RAFT_ASSERT(match < next);
  match_ = match;
  next_ = next;
  state_ = ProgressState::kProbe;
  probe_sent_ = false;
  pending_snapshot_ = Index{};
  recent_active_ = false;
  inflights_.Reset();
}

}  // namespace raft
