// Raft: the consensus protocol of the Raft paper as a pure state machine.
//
// Inputs are Tick() (one logical clock step), Step(message) (from a peer or a
// local trigger), Propose() and ReadIndex(). Outputs accumulate in the object
// (outgoing messages, read states, log and state changes) and are drained by
// RawNode into a Ready. Nothing here touches a clock, a socket, a file or a
// global random source, so a seeded run replays exactly.
//
// Step() first reconciles terms (Figure 2, "Rules for Servers": any RPC with
// a higher term makes us a follower), then dispatches to the handler of the
// current role, keeping each role's rules in one short function.
//
// Repair. A node whose storage lost entries it had acknowledged (the Wal
// found damage: storage.h InitialState::repair_target) must not act on the
// shorter log: its vote could elect a leader missing a committed entry, and
// its acknowledgements would count a promise it broke. While repairing it
// never campaigns, refuses every vote and pre-vote, and marks its answers
// `repairing`, which leaders replicate to but count toward no quorum. It is
// repaired once an AppendEntries from the leader of its (never lowered) term
// matched its log up to at least the target and the leader's commit index,
// at an entry of that term: then it holds every entry committed so far,
// including all it had acknowledged. If it had no vote in that term, it
// records one for that leader, so it cannot vote for another candidate of a
// term whose vote it may have lost. Ready::repaired asks the host to record
// the repair durably before the next message.
//
// Safety-relevant fields carry their invariant where declared.
//
// Threading: single-threaded; the host's event loop owns it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/config.h"
#include "core/message.h"
#include "core/progress.h"
#include "core/quorum.h"
#include "core/raft_log.h"
#include "core/read_only.h"
#include "core/rng.h"

namespace raft {

class Raft {
 public:
  // storage must outlive this object; rng is owned.
  Raft(const Config& config, const Storage& storage, std::unique_ptr<Rng> rng);

  void Tick();
  // Status is non-ok only for messages that cannot be processed (e.g. a
  // proposal to a non-leader); stale or irrelevant messages are dropped.
  Status Step(const Message& m);
  // Leader only: appends data and returns its index; else kNotLeader.
  Result<Index> Propose(std::string data);
  // Leader only: starts a linearizable read barrier; the answer arrives as a
  // ReadState with this request_id once a quorum confirms leadership.
  Status ReadIndex(uint64_t request_id);

  // Host feedback.
  void ReportUnreachable(NodeId peer);
  void ReportSnapshot(NodeId peer, bool success);
  // The host made entries up to (index, term) durable (called by RawNode).
  void OnStable(Index index, Term term);

  // Outputs drained by RawNode.
  std::vector<Message> TakeMessages();
  std::vector<ReadState> TakeReadStates();

  // Introspection.
  NodeId id() const { return id_; }
  const Config& config() const { return config_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId leader() const { return leader_; }
  Role role() const { return role_; }
  HardState GetHardState() const { return HardState{term_, vote_, log_.committed()}; }
  SoftState GetSoftState() const { return SoftState{role_, leader_}; }
  const RaftLog& log() const { return log_; }
  RaftLog& mutable_log() { return log_; }
  const std::vector<NodeId>& voters() const { return voters_; }
  const std::map<NodeId, Progress>& progress() const { return progress_; }
  int randomized_election_ticks() const { return randomized_election_ticks_; }
  // True while this node repairs a damaged log ("Repair" above).
  bool repairing() const { return repair_target_.has_value(); }
  // Received snapshots whose image failed Config::snapshot_ok.
  uint64_t snapshot_images_refused() const { return snapshot_images_refused_; }
  // The repair finished since the last call (Ready::repaired).
  bool TakeRepairFinished() {
    const bool finished = repair_finished_;
    repair_finished_ = false;
    return finished;
  }
  bool repair_finished() const { return repair_finished_; }
  bool HasPendingMessages() const {
    return !msgs_.empty() || !read_states_.empty() || append_pending_ || read_only_.RoundDue();
  }

 private:
  // Role transitions.
  void BecomeFollower(Term term, NodeId leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void Reset(Term term);
  void ResetRandomizedElectionTimeout();

  // Ticks.
  void TickElection();
  void TickHeartbeat();
  bool Promotable() const;
  bool InLease() const;

  // Term reconciliation; false if the message must be dropped.
  bool HandleTerm(const Message& m);
  void HandleVoteRequest(const Message& m);
  void Campaign(bool pre_vote);
  VoteResult Poll(NodeId from, bool granted);

  // Per-role dispatch.
  Status StepLeader(const Message& m);
  Status StepCandidate(const Message& m);
  Status StepFollower(const Message& m);

  // Follower-side handlers.
  void HandleAppend(const Message& m);
  // After an append from our term's leader matched our log up to matched.
  void MaybeFinishRepair(const Message& m, Index matched);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshotChunk(const Message& m);
  void InstallSnapshot(const Snapshot& snapshot, NodeId from);

  // Leader-side handlers and senders.
  void HandleAppendResponse(const Message& m);
  void HandleHeartbeatResponse(const Message& m);
  // Appends to the leader's log; AppendEntries also broadcasts at once.
  void AppendToLog(std::vector<Entry> entries);
  void AppendEntries(std::vector<Entry> entries);
  // Sends the broadcasts that Propose and ReadIndex deferred (see msgs_).
  void FlushDeferredBroadcasts();
  bool MaybeCommit();
  void BroadcastAppend();
  void BroadcastHeartbeat();
  // Sends what the follower needs next. Returns false when paused or when
  // nothing was sent (allow_empty false and no new entries).
  bool SendAppend(NodeId to, bool allow_empty = true);
  void SendHeartbeat(NodeId to, uint64_t context);
  // Starts a snapshot transfer to a follower that needs compacted entries.
  bool SendSnapshot(NodeId to, Progress& pr);
  // Sends the chunk at the follower's acknowledged offset.
  void SendSnapshotChunk(NodeId to, Progress& pr);
  void HandleSnapshotResponse(const Message& m);
  bool QuorumActive();
  bool CommittedInCurrentTerm() const;
  void ReleasePendingReads();
  void StartRead(uint64_t request_id);

  void Send(Message m);
  size_t Quorum() const;

  const NodeId id_;
  const Config config_;
  std::unique_ptr<Rng> rng_;

  // Persistent state (Figure 2). Invariant: term_ never decreases; vote_ is
  // set at most once per term.
  Term term_;
  NodeId vote_;
  RaftLog log_;

  std::vector<NodeId> voters_;  // sorted, includes id_ when a voter
  Role role_ = Role::kFollower;
  NodeId leader_;                        // Invariant: at most one leader per term cluster-wide
  std::map<NodeId, bool> votes_;         // candidate: votes this election
  std::map<NodeId, Progress> progress_;  // leader: per-voter progress

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  uint64_t ticks_ = 0;  // ticks since this node started
  int randomized_election_ticks_ = 0;

  // Leader: the snapshot being streamed to followers, read once per
  // transfer instead of once per chunk.
  std::optional<Snapshot> outgoing_snapshot_;
  // Proposals between two TakeMessages share one broadcast: one
  // AppendEntries per follower however many arrived. Cleared on every role
  // change. (Reads share heartbeat rounds through read_only_.RoundDue.)
  bool append_pending_ = false;
  // Follower: the chunks received so far of one leader's snapshot. Volatile
  // on purpose: a restart or a new leader restarts the transfer cleanly.
  struct IncomingSnapshot {
    Term term;
    SnapshotMeta meta;
    uint64_t total_bytes = 0;
    std::string data;
  };
  std::optional<IncomingSnapshot> incoming_snapshot_;
  uint64_t snapshot_images_refused_ = 0;
  // Set while repairing a damaged log: the index a leader-confirmed log must
  // reach before this node votes or acknowledges (see "Repair").
  std::optional<Index> repair_target_;
  bool repair_finished_ = false;  // not yet reported in a Ready

  ReadOnly read_only_;
  std::vector<uint64_t> reads_waiting_for_commit_;  // before first commit in term

  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;
};

}  // namespace raft
