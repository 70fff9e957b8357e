// Progress: the leader's view of one follower's log (Figure 2 nextIndex and
// matchIndex) plus the flow-control state that decides when to send.
//
//   kProbe:     next is a guess; send one append per heartbeat or response
//               until the follower accepts one (then kReplicate).
//   kReplicate: next is optimistic; stream appends, bounded by Inflights.
//   kSnapshot:  the follower needs a snapshot; send nothing else until it
//               reports having applied it.
//
// Invariant: match < next.
//
// Threading: single-threaded, owned by Raft.
#pragma once

#include "core/inflights.h"
#include "core/types.h"

namespace raft {

enum class ProgressState : uint8_t { kProbe, kReplicate, kSnapshot };
const char* ProgressStateName(ProgressState state);

class Progress {
 public:
  Progress(Index next, size_t inflight_max) : next_(next), inflights_(inflight_max) {}

  // An ack for index n: raises match (and next past it). False if stale.
  bool MaybeUpdate(Index n);
  // Replicate state: entries up to n are on the wire.
  void OptimisticUpdate(Index n) { next_ = n.Next(); }
  // A rejection of the append after `rejected`, with next_hint the leader's
  // best guess from the follower's conflict hint. False if stale.
  bool MaybeDecrTo(Index rejected, Index next_hint);

  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(Index snapshot_index);
  bool IsPaused() const;
  // An append was sent while probing: wait for a response or heartbeat.
  void PauseProbe() { probe_sent_ = true; }
  void ResumeProbe() { probe_sent_ = false; }

  Index match() const { return match_; }
  Index next() const { return next_; }
  ProgressState state() const { return state_; }
  Index pending_snapshot() const { return pending_snapshot_; }
  // Snapshot state: bytes of the pending snapshot the follower holds.
  uint64_t snapshot_offset() const { return snapshot_offset_; }
  void set_snapshot_offset(uint64_t offset) { snapshot_offset_ = offset; }
  // Heartbeats answered since the transfer last made progress.
  int snapshot_stalled_beats() const { return snapshot_stalled_beats_; }
  void set_snapshot_stalled_beats(int beats) { snapshot_stalled_beats_ = beats; }
  Inflights& inflights() { return inflights_; }
  bool recent_active() const { return recent_active_; }
  void set_recent_active(bool active) { recent_active_ = active; }
  // The follower's last answer said it is repairing a damaged log: it is
  // replicated to but counts toward no quorum.
  bool repairing() const { return repairing_; }
  void set_repairing(bool repairing) { repairing_ = repairing; }
  // Leader's own progress starts at its durable log end.
  void ResetTo(Index match, Index next);

 private:
  Index match_;
  Index next_;
  ProgressState state_ = ProgressState::kProbe;
  bool probe_sent_ = false;
  Index pending_snapshot_;
  uint64_t snapshot_offset_ = 0;
  int snapshot_stalled_beats_ = 0;
  bool recent_active_ = false;  // heard from since the last CheckQuorum
  bool repairing_ = false;
  Inflights inflights_;
};

}  // namespace raft
