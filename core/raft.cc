#include "core/raft.h"

#include <algorithm>

#include "core/quorum.h"

namespace raft {

Raft::Raft(const Config& config, const Storage& storage, std::unique_ptr<Rng> rng)
    : id_(config.id), config_(config), rng_(std::move(rng)), log_(storage) {
  const Status valid = config.Validate();
  RAFT_ASSERT_MSG(valid.ok(), valid.message().c_str());
  RAFT_ASSERT(rng_ != nullptr);
  InitialState init = storage.GetInitialState();
  voters_ = init.voters.empty() ? config.voters : init.voters;
  std::sort(voters_.begin(), voters_.end());
  voters_.erase(std::unique(voters_.begin(), voters_.end()), voters_.end());
  RAFT_ASSERT_MSG(!voters_.empty(), "a cluster needs at least one voter");
  if (!init.hard_state.IsEmpty()) {
    term_ = init.hard_state.term;
    vote_ = init.hard_state.vote;
    log_.CommitTo(std::min(init.hard_state.commit, log_.LastIndex()));
  }
  if (config.applied > Index{}) log_.AppliedTo(std::min(config.applied, log_.committed()));
  repair_target_ = init.repair_target;
  BecomeFollower(term_, kNoNode);
}

// ---------------------------------------------------------------------------
// Role transitions

void Raft::Reset(Term term) {
  if (term_ != term) {
    RAFT_ASSERT_MSG(term > term_, "terms never decrease");
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  votes_.clear();
  progress_.clear();
  read_only_.Reset();
  reads_waiting_for_commit_.clear();
  outgoing_snapshot_.reset();
  append_pending_ = false;
}

void Raft::ResetRandomizedElectionTimeout() {
  const auto spread = static_cast<uint64_t>(config_.election_ticks);
  randomized_election_ticks_ = config_.election_ticks + static_cast<int>(rng_->Uniform(spread));
}

void Raft::BecomeFollower(Term term, NodeId leader) {
  Reset(term);
  role_ = Role::kFollower;
  leader_ = leader;
}

void Raft::BecomePreCandidate() {
  RAFT_ASSERT_MSG(role_ != Role::kLeader, "leader cannot pre-campaign");
  // Changes neither the term nor the vote: a pre-election that fails leaves
  // no trace, which is what keeps a rejoining node from disrupting the leader.
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  votes_.clear();
}

void Raft::BecomeCandidate() {
  RAFT_ASSERT_MSG(role_ != Role::kLeader, "leader cannot campaign");
  Reset(term_.Next());
  vote_ = id_;
  role_ = Role::kCandidate;
}

void Raft::BecomeLeader() {
  RAFT_ASSERT_MSG(role_ == Role::kCandidate, "only a candidate becomes leader");
  Reset(term_);
  role_ = Role::kLeader;
  leader_ = id_;
  const Index next = log_.LastIndex().Next();
  for (NodeId v : voters_) {
    Progress pr(next, config_.inflight_msgs_max);
    // Our own match counts only what is durable here; the rest is acked by
    // OnStable once the host has persisted it.
    if (v == id_) pr.ResetTo(log_.LastStableIndex(), next);
    progress_.emplace(v, std::move(pr));
  }
  // A no-op of the new term lets entries of earlier terms commit (Figure 8).
  AppendEntries({Entry{Term{}, Index{}, EntryType::kNoop, {}}});
}

// ---------------------------------------------------------------------------
// Ticks

// A voter whose log is whole: a repairing node never stands for election.
bool Raft::Promotable() const {
  return !repairing() && std::binary_search(voters_.begin(), voters_.end(), id_);
}

bool Raft::InLease() const {
  return config_.check_quorum && !leader_.IsNone() && election_elapsed_ < config_.election_ticks;
}

void Raft::Tick() {
  ticks_++;
  if (role_ == Role::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  election_elapsed_++;
  if (Promotable() && election_elapsed_ >= randomized_election_ticks_) {
    election_elapsed_ = 0;
    (void)Step(Message{.type = MessageType::kHup, .from = id_});
  }
}

void Raft::TickHeartbeat() {
  heartbeat_elapsed_++;
  election_elapsed_++;
  if (election_elapsed_ >= config_.election_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      (void)Step(Message{.type = MessageType::kCheckQuorum, .from = id_});
      if (role_ != Role::kLeader) return;
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    (void)Step(Message{.type = MessageType::kBeat, .from = id_});
  }
}

// ---------------------------------------------------------------------------
// Step

Status Raft::Step(const Message& m) {
  if (!HandleTerm(m)) return Status::Ok();
  switch (m.type) {
    case MessageType::kHup:
      if (role_ != Role::kLeader && Promotable()) Campaign(config_.pre_vote);
      return Status::Ok();
    case MessageType::kVote:
    case MessageType::kPreVote:
      HandleVoteRequest(m);
      return Status::Ok();
    default:
      break;
  }
  switch (role_) {
    case Role::kLeader:
      return StepLeader(m);
    case Role::kPreCandidate:
    case Role::kCandidate:
      return StepCandidate(m);
    case Role::kFollower:
      return StepFollower(m);
  }
  return Status::Ok();
}

bool Raft::HandleTerm(const Message& m) {
  if (IsLocalMessage(m.type)) return true;
  RAFT_ASSERT_MSG(m.term > Term{}, "wire messages carry a term");
  if (m.term > term_) {
    const bool is_vote = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
    // A node that heard from a live leader within the election timeout
    // ignores vote requests (disruptive-server protection, section 9.6).
    if (is_vote && InLease()) return false;
    if (m.type == MessageType::kPreVote) return true;  // no term change
    // A granted pre-vote carries the future term we asked about.
    if (m.type == MessageType::kPreVoteResp && !m.reject) return true;
    const bool from_leader = m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
                             m.type == MessageType::kSnapshot;
    BecomeFollower(m.term, from_leader ? m.from : kNoNode);
    return true;
  }
  if (m.term < term_) {
    if ((config_.check_quorum || config_.pre_vote || repairing()) &&
        (m.type == MessageType::kHeartbeat || m.type == MessageType::kAppend)) {
      // Tell a stale leader about the new term so it steps down; without this
      // a node partitioned with PreVote on could never displace it, nor
      // could a repairing node, which never campaigns (its term, kept from
      // before the damage, may be ahead of the cluster's leader).
      Send(Message{.type = MessageType::kAppendResp, .to = m.from});
    } else if (m.type == MessageType::kPreVote) {
      Send(Message{.type = MessageType::kPreVoteResp, .to = m.from, .term = term_, .reject = true});
    }
    return false;  // stale: ignore
  }
  return true;
}

void Raft::HandleVoteRequest(const Message& m) {
  const bool pre = m.type == MessageType::kPreVote;
  // Figure 2, RequestVote rule 2: grant if we have not voted for someone else
  // this term and the candidate's log is at least as up-to-date as ours.
  // A repairing node's log may lack entries it acknowledged: no vote.
  const bool can_vote = !repairing() && (vote_ == m.from || (vote_.IsNone() && leader_.IsNone()) ||
                                         (pre && m.term > term_));
  const MessageType resp = pre ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
    // A pre-vote grant echoes the asked-for term so the candidate counts it.
    Send(Message{.type = resp, .to = m.from, .term = m.term});
    if (!pre) {
      election_elapsed_ = 0;
      vote_ = m.from;
    }
  } else {
    Send(Message{.type = resp, .to = m.from, .term = term_, .reject = true});
  }
}

void Raft::Campaign(bool pre_vote) {
  Term vote_term;
  if (pre_vote) {
    BecomePreCandidate();
    vote_term = term_.Next();
  } else {
    BecomeCandidate();
    vote_term = term_;
  }
  if (Poll(id_, true) == VoteResult::kWon) {
    // Single-voter cluster: no one else to ask.
    if (pre_vote) {
      Campaign(false);
    } else {
      BecomeLeader();
    }
    return;
  }
  const MessageType type = pre_vote ? MessageType::kPreVote : MessageType::kVote;
  for (NodeId v : voters_) {
    if (v == id_) continue;
    Send(Message{.type = type,
                 .to = v,
                 .term = vote_term,
                 .index = log_.LastIndex(),
                 .log_term = log_.LastTerm()});
  }
}

VoteResult Raft::Poll(NodeId from, bool granted) {
  votes_.emplace(from, granted);  // the first answer from a voter counts
  return TallyVotes(voters_, votes_);
}

// ---------------------------------------------------------------------------
// Follower and candidate

Status Raft::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleAppend(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleHeartbeat(m);
      break;
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleSnapshotChunk(m);
      break;
    case MessageType::kTimeoutNow:
      if (Promotable()) Campaign(false);  // the leader asked us to take over
      break;
    default:
      break;  // responses from an old role: ignore
  }
  return Status::Ok();
}

Status Raft::StepCandidate(const Message& m) {
  const MessageType my_resp =
      role_ == Role::kPreCandidate ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  switch (m.type) {
    case MessageType::kAppend:
      BecomeFollower(m.term, m.from);  // a leader of our term exists
      HandleAppend(m);
      break;
    case MessageType::kHeartbeat:
      BecomeFollower(m.term, m.from);
      HandleHeartbeat(m);
      break;
    case MessageType::kSnapshot:
      BecomeFollower(m.term, m.from);
      HandleSnapshotChunk(m);
      break;
    default:
      if (m.type != my_resp) break;
      switch (Poll(m.from, !m.reject)) {
        case VoteResult::kWon:
          if (role_ == Role::kPreCandidate) {
            Campaign(false);
          } else {
            BecomeLeader();
          }
          break;
        case VoteResult::kLost:
          BecomeFollower(term_, kNoNode);
          break;
        case VoteResult::kPending:
          break;
      }
  }
  return Status::Ok();
}

void Raft::HandleAppend(const Message& m) {
  Message resp{.type = MessageType::kAppendResp, .to = m.from};
  if (m.index < log_.committed()) {
    // Everything up to our commit index already matches the leader.
    resp.index = log_.committed();
    Send(std::move(resp));
    return;
  }
  if (auto last_new = log_.MaybeAppend(m.index, m.log_term, m.commit, m.entries)) {
    resp.index = *last_new;
    if (repairing()) MaybeFinishRepair(m, *last_new);
    Send(std::move(resp));
    return;
  }
  // Figure 2, AppendEntries rule 2: reject, with a hint so the leader can
  // skip a whole conflicting term per round trip.
  resp.reject = true;
  resp.index = m.index;
  if (m.index > log_.LastIndex()) {
    resp.hint_index = log_.LastIndex().Next();
  } else {
    resp.hint_term = log_.TermOrZero(m.index);
    resp.hint_index = log_.FirstIndexOfTerm(m.index);
  }
  Send(std::move(resp));
}

void Raft::MaybeFinishRepair(const Message& m, Index matched) {
  // Our log now equals the leader's up to matched. If that reaches the
  // target and the leader's commit index, at an entry of its own term, we
  // hold every committed entry: each precedes that one in the leader's log.
  // (The target alone is not enough: it is only a lower bound of what this
  // node acknowledged.)
  if (matched < *repair_target_ || matched < m.commit || log_.TermOrZero(m.commit) != term_) {
    return;
  }
  repair_target_.reset();
  repair_finished_ = true;
  if (vote_.IsNone()) vote_ = m.from;
}

void Raft::HandleHeartbeat(const Message& m) {
  // The leader sends min(match, commit), so this never passes our log. But
  // a repairing node may hold less than the leader thinks it matched, or
  // an older entry at an index it had matched: it commits only what an
  // AppendEntries has just shown to match the leader's log.
  if (!repairing()) log_.CommitTo(std::min(m.commit, log_.LastIndex()));
  Send(Message{.type = MessageType::kHeartbeatResp, .to = m.from, .context = m.context});
}

void Raft::HandleSnapshotChunk(const Message& m) {
  const SnapshotMeta& meta = m.snapshot.meta;
  auto respond = [&](uint64_t held, bool reject) {
    Send(Message{.type = MessageType::kSnapshotResp,
                 .to = m.from,
                 .index = meta.index,
                 .reject = reject,
                 .snapshot_offset = held});
  };
  IncomingSnapshot* in = incoming_snapshot_ ? &*incoming_snapshot_ : nullptr;
  const bool same = in != nullptr && in->term == m.term && in->meta == meta &&
                    in->total_bytes == m.snapshot_total_bytes;
  if (!same) {
    incoming_snapshot_.reset();
    if (meta.index <= log_.committed()) {
      // Already covered: tell the leader where we are instead.
      Send(Message{.type = MessageType::kAppendResp, .to = m.from, .index = log_.committed()});
      return;
    }
    if (m.snapshot_offset != 0) return respond(0, true);  // restart from the top
    incoming_snapshot_ = IncomingSnapshot{m.term, meta, m.snapshot_total_bytes, {}};
    in = &*incoming_snapshot_;
  }
  const uint64_t held = in->data.size();
  const uint64_t chunk = m.snapshot.data.size();
  if (m.snapshot_offset > held || m.snapshot_offset + chunk > in->total_bytes) {
    return respond(held, true);  // a gap or an overrun: resume from what we hold
  }
  if (m.snapshot_offset + chunk > held) {
    in->data.append(m.snapshot.data, held - m.snapshot_offset, std::string::npos);
  }
  if (in->data.size() < in->total_bytes) return respond(in->data.size(), false);
  Snapshot full{in->meta, std::move(in->data)};
  incoming_snapshot_.reset();
  if (config_.snapshot_ok != nullptr && !config_.snapshot_ok(full)) {
    // Refused before it replaces any state; the leader restarts the transfer.
    snapshot_images_refused_++;
    return respond(0, true);
  }
  InstallSnapshot(full, m.from);
}

void Raft::InstallSnapshot(const Snapshot& snapshot, NodeId from) {
  Message resp{.type = MessageType::kAppendResp, .to = from};
  if (log_.Restore(snapshot)) {
    // Membership is static: voters come from the configuration, so the
    // snapshot's copy (recorded for the inspector and for future membership
    // changes) is not adopted here.
    resp.index = log_.LastIndex();
  } else {
    resp.index = log_.committed();
  }
  Send(std::move(resp));
}

// ---------------------------------------------------------------------------
// Leader

Status Raft::StepLeader(const Message& m) {
  switch (m.type) {
    case MessageType::kBeat:
      BroadcastHeartbeat();
      return Status::Ok();
    case MessageType::kCheckQuorum:
      if (!QuorumActive()) BecomeFollower(term_, kNoNode);
      return Status::Ok();
    default:
      break;
  }
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return Status::Ok();  // not a member
  it->second.set_recent_active(true);
  it->second.set_repairing(m.repairing);
  switch (m.type) {
    case MessageType::kAppendResp:
      HandleAppendResponse(m);
      break;
    case MessageType::kHeartbeatResp:
      HandleHeartbeatResponse(m);
      break;
    case MessageType::kSnapshotResp:
      HandleSnapshotResponse(m);
      break;
    default:
      break;
  }
  return Status::Ok();
}

void Raft::HandleAppendResponse(const Message& m) {
  Progress& pr = progress_.at(m.from);
  if (m.reject) {
    // Figure 2: on rejection decrement nextIndex and retry. With the hint we
    // jump past the follower's whole conflicting term: if we hold that term,
    // resume after our last entry of it; otherwise at its first index.
    Index next_hint = m.hint_index;
    if (m.hint_term > Term{}) {
      const Index ours = log_.LastIndexAtOrBelowTerm(m.index, m.hint_term);
      if (log_.TermOrZero(ours) == m.hint_term) next_hint = ours.Next();
    }
    // A repairing follower lacks an entry we counted as matched: its log
    // lost its end. It still holds a prefix of what it matched, up to its
    // hint; probe down from there. Lowering match is always safe, but a
    // rejection sent before later acknowledgements looks the same, so at
    // most once per election timeout (a loss needs a restart, which takes
    // longer than messages in flight) and never to below the hint.
    const bool reset_due =
        !pr.loss_reset_tick() ||
        ticks_ - *pr.loss_reset_tick() >= static_cast<uint64_t>(config_.election_ticks);
    if (m.repairing && m.index <= pr.match() && reset_due) {
      const Index holds = std::min(pr.match(), m.hint_index.Prev());
      pr.ResetTo(holds, m.index.Next());
      pr.set_recent_active(true);
      pr.set_loss_reset_tick(ticks_);
    }
    if (pr.MaybeDecrTo(m.index, next_hint)) {
      if (pr.state() == ProgressState::kReplicate) pr.BecomeProbe();
      SendAppend(m.from);
    }
    return;
  }
  const bool was_paused = pr.IsPaused();
  // An ack at exactly match still answers a probe (e.g. the one sent right
  // after a snapshot install): without this the follower would stay paused
  // until the next heartbeat.
  const bool probe_answered = pr.state() == ProgressState::kProbe && m.index == pr.match();
  if (!pr.MaybeUpdate(m.index) && !probe_answered) return;
  switch (pr.state()) {
    case ProgressState::kProbe:
      pr.BecomeReplicate();
      break;
    case ProgressState::kSnapshot:
      if (pr.match() >= pr.pending_snapshot()) pr.BecomeProbe();
      break;
    case ProgressState::kReplicate:
      pr.inflights().FreeLE(m.index);
      break;
  }
  if (MaybeCommit()) {
    // Deferred to the Ready: proposals made before it (writes that waited
    // for this commit) then share one AppendEntries with the new commit index.
    append_pending_ = true;
  } else {
    // A follower that was paused waiting for this answer may have missed
    // commit index updates meanwhile (BroadcastAppend skipped it): send it
    // one append even if it carries no entries.
    if (was_paused) SendAppend(m.from);
    // Keep the pipeline full while there is more to send.
    while (SendAppend(m.from, /*allow_empty=*/false)) {
    }
  }
}

void Raft::HandleHeartbeatResponse(const Message& m) {
  Progress& pr = progress_.at(m.from);
  pr.ResumeProbe();
  // A full window may hold appends that were lost; free one slot so the
  // next append reveals the gap instead of stalling forever.
  if (pr.state() == ProgressState::kReplicate && pr.inflights().Full()) {
    pr.inflights().FreeFirstOne();
  }
  if (pr.state() == ProgressState::kSnapshot) {
    // A chunk (or its answer) may be lost: resend after two quiet heartbeats.
    pr.set_snapshot_stalled_beats(pr.snapshot_stalled_beats() + 1);
    if (pr.snapshot_stalled_beats() >= 2) {
      pr.set_snapshot_stalled_beats(0);
      SendSnapshotChunk(m.from, pr);
    }
  } else if (pr.match() < log_.LastIndex() || m.repairing) {
    // A repairing follower may lack what its match says: an append shows
    // it (it rejects one past its log).
    SendAppend(m.from);
  }
  if (m.context == 0 || m.repairing) return;  // a repairing node confirms nothing
  for (ReadState& rs : read_only_.Ack(m.context, m.from, Quorum())) {
    read_states_.push_back(rs);
  }
}

void Raft::AppendToLog(std::vector<Entry> entries) {
  Index next = log_.LastIndex().Next();
  for (Entry& e : entries) {
    e.term = term_;
    e.index = next;
    next = next.Next();
  }
  log_.Append(entries);
}

void Raft::AppendEntries(std::vector<Entry> entries) {
  AppendToLog(std::move(entries));
  BroadcastAppend();
}

void Raft::FlushDeferredBroadcasts() {
  if (role_ != Role::kLeader) return;
  if (append_pending_) BroadcastAppend();
  if (read_only_.RoundDue()) BroadcastHeartbeat();
  append_pending_ = false;
}

bool Raft::MaybeCommit() {
  std::vector<Index> matches;
  matches.reserve(voters_.size());
  for (NodeId v : voters_) {
    const Progress& pr = progress_.at(v);
    matches.push_back(pr.repairing() ? Index{} : pr.match());  // repairing: no vote
  }
  // Figure 8: only an entry of the current term commits by counting.
  if (!log_.MaybeCommit(MajorityCommitted(std::move(matches)), term_)) return false;
  ReleasePendingReads();
  return true;
}

void Raft::OnStable(Index index, Term term) {
  log_.StableTo(index, term);
  if (role_ != Role::kLeader || !log_.MatchTerm(index, term)) return;
  // Our own vote in the commit count only covers what is durable here.
  if (progress_.at(id_).MaybeUpdate(index) && MaybeCommit()) append_pending_ = true;
}

void Raft::BroadcastAppend() {
  for (NodeId v : voters_) {
    if (v != id_) SendAppend(v);
  }
}

void Raft::BroadcastHeartbeat() {
  const uint64_t context = read_only_.MarkSent();
  for (NodeId v : voters_) {
    if (v != id_) SendHeartbeat(v, context);
  }
}

void Raft::SendHeartbeat(NodeId to, uint64_t context) {
  // Never tell a follower to commit past what it is known to hold.
  const Index commit = std::min(progress_.at(to).match(), log_.committed());
  Send(Message{.type = MessageType::kHeartbeat, .to = to, .commit = commit, .context = context});
}

bool Raft::SendAppend(NodeId to, bool allow_empty) {
  Progress& pr = progress_.at(to);
  if (pr.IsPaused()) return false;
  const Index prev = pr.next().Prev();
  Result<Term> prev_term = log_.TermAt(prev);
  Result<std::vector<Entry>> ents =
      log_.Slice(pr.next(), log_.LastIndex().Next(), config_.append_bytes_max);
  if (!prev_term.ok() || !ents.ok()) return SendSnapshot(to, pr);
  if (ents.value().empty() && !allow_empty) return false;
  Message m{.type = MessageType::kAppend,
            .to = to,
            .index = prev,
            .log_term = prev_term.value(),
            .commit = log_.committed()};
  m.entries = std::move(ents).value();
  if (pr.state() == ProgressState::kReplicate && !m.entries.empty()) {
    const Index last = m.entries.back().index;
    pr.OptimisticUpdate(last);
    pr.inflights().Add(last);
  } else if (pr.state() == ProgressState::kProbe) {
    pr.PauseProbe();
  }
  Send(std::move(m));
  return true;
}

bool Raft::SendSnapshot(NodeId to, Progress& pr) {
  if (!pr.recent_active()) return false;  // do not ship a snapshot into the void
  Result<Snapshot> snap = log_.GetSnapshot();
  RAFT_ASSERT_MSG(snap.ok() && !snap.value().IsEmpty(),
                  "entries are compacted, so a snapshot must exist");
  if (!outgoing_snapshot_ || outgoing_snapshot_->meta != snap.value().meta) {
    outgoing_snapshot_ = std::move(snap).value();
  }
  pr.BecomeSnapshot(outgoing_snapshot_->meta.index);
  SendSnapshotChunk(to, pr);
  return true;
}

void Raft::SendSnapshotChunk(NodeId to, Progress& pr) {
  RAFT_ASSERT(pr.state() == ProgressState::kSnapshot);
  RAFT_ASSERT_MSG(outgoing_snapshot_, "a leader in a snapshot transfer holds the snapshot");
  // A newer snapshot replaced the one this transfer started with (another
  // follower's transfer fetched it): restart with the newer one.
  if (outgoing_snapshot_->meta.index != pr.pending_snapshot()) {
    pr.BecomeSnapshot(outgoing_snapshot_->meta.index);
  }
  const std::string& data = outgoing_snapshot_->data;
  const uint64_t offset = std::min<uint64_t>(pr.snapshot_offset(), data.size());
  Message m{.type = MessageType::kSnapshot, .to = to};
  m.snapshot.meta = outgoing_snapshot_->meta;
  m.snapshot.data = data.substr(offset, config_.snapshot_chunk_bytes_max);
  m.snapshot_offset = offset;
  m.snapshot_total_bytes = data.size();
  Send(std::move(m));
}

void Raft::HandleSnapshotResponse(const Message& m) {
  Progress& pr = progress_.at(m.from);
  if (pr.state() != ProgressState::kSnapshot || m.index != pr.pending_snapshot()) return;
  pr.set_snapshot_offset(m.snapshot_offset);
  pr.set_snapshot_stalled_beats(0);
  // The last chunk is answered by an AppendResp once installed, not here.
  if (m.snapshot_offset < outgoing_snapshot_->data.size() || m.reject ||
      outgoing_snapshot_->meta.index != pr.pending_snapshot()) {
    SendSnapshotChunk(m.from, pr);
  }
}

bool Raft::QuorumActive() {
  size_t active = 0;
  for (auto& [id, pr] : progress_) {
    if (id == id_ || (pr.recent_active() && !pr.repairing())) active++;
    if (id != id_) pr.set_recent_active(false);
  }
  return active >= Quorum();
}

bool Raft::CommittedInCurrentTerm() const { return log_.TermOrZero(log_.committed()) == term_; }

// ---------------------------------------------------------------------------
// Client-facing entry points

Result<Index> Raft::Propose(std::string data) {
  if (role_ != Role::kLeader) {
    return Status::Error(StatusCode::kNotLeader, "not the leader");
  }
  if (config_.command_ok != nullptr && !config_.command_ok(data)) {
    return Status::Error(StatusCode::kInvalidArgument, "proposal does not decode as a command");
  }
  AppendToLog({Entry{Term{}, Index{}, EntryType::kNormal, std::move(data)}});
  append_pending_ = true;
  return log_.LastIndex();
}

Status Raft::ReadIndex(uint64_t request_id) {
  if (role_ != Role::kLeader) {
    return Status::Error(StatusCode::kNotLeader, "not the leader");
  }
  // Until an entry of this term commits, our commit index may lag what an
  // earlier leader committed; the read must wait (thesis section 6.4 step 1).
  if (!CommittedInCurrentTerm()) {
    reads_waiting_for_commit_.push_back(request_id);
    return Status::Ok();
  }
  StartRead(request_id);
  return Status::Ok();
}

void Raft::StartRead(uint64_t request_id) {
  if (voters_.size() == 1) {
    read_states_.push_back(ReadState{request_id, log_.committed()});
    return;
  }
  (void)read_only_.Add(request_id, log_.committed(), id_);
}

void Raft::ReleasePendingReads() {
  if (reads_waiting_for_commit_.empty() || !CommittedInCurrentTerm()) return;
  std::vector<uint64_t> waiting;
  waiting.swap(reads_waiting_for_commit_);
  for (uint64_t id : waiting) StartRead(id);
}

void Raft::ReportUnreachable(NodeId peer) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(peer);
  if (it != progress_.end() && it->second.state() == ProgressState::kReplicate) {
    it->second.BecomeProbe();
  }
}

void Raft::ReportSnapshot(NodeId peer, bool success) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(peer);
  if (it == progress_.end() || it->second.state() != ProgressState::kSnapshot) return;
  it->second.BecomeProbe();              // on failure, retry from scratch
  if (success) it->second.PauseProbe();  // wait for the follower's response
}

// ---------------------------------------------------------------------------
// Output

void Raft::Send(Message m) {
  RAFT_ASSERT(m.to != id_);
  m.from = id_;
  m.repairing = repairing();
  // Responses to pre-votes carry their own term; everything else ours.
  if (m.term == Term{}) m.term = term_;
  msgs_.push_back(std::move(m));
}

size_t Raft::Quorum() const { return MajoritySize(voters_.size()); }

std::vector<Message> Raft::TakeMessages() {
  FlushDeferredBroadcasts();
  std::vector<Message> out;
  out.swap(msgs_);
  return out;
}

std::vector<ReadState> Raft::TakeReadStates() {
  std::vector<ReadState> out;
  out.swap(read_states_);
  return out;
}

}  // namespace raft
