#include "core/replica.h"

#include <algorithm>
#include <iterator>

namespace raft {

namespace {

bool CommandDecodes(const std::string& data) { return kv::Decodes(data); }

// The image restores, and to the index its metadata names.
bool SnapshotRestores(const Snapshot& snapshot) {
  kv::KvStateMachine probe;
  return probe.Restore(snapshot.data).ok() && probe.applied() == snapshot.meta.index;
}

// The applied index a restarted node resumes from (its snapshot's), and the
// state machine's decoders as Raft's payload checks.
Config ForReplica(Config config, const Storage& storage) {
  Result<Snapshot> snap = storage.GetSnapshot();
  config.applied = snap.ok() ? snap.value().meta.index : Index{};
  config.command_ok = CommandDecodes;
  config.snapshot_ok = SnapshotRestores;
  return config;
}

}  // namespace

Replica::Replica(const Config& config, const SnapshotPolicy& policy, DurableLog& log,
                 Transport& transport, std::unique_ptr<Rng> rng)
    : policy_(policy),
      log_(log),
      transport_(transport),
      node_(ForReplica(config, log.storage()), log.storage(), std::move(rng)) {
  Result<Snapshot> snap = log.storage().GetSnapshot();
  if (snap.ok() && !snap.value().IsEmpty()) {
    const Snapshot& s = snap.value();
    // A file on disk is input too: its checksum proves only that it is what
    // was written, not that it was written by a correct program.
    restore_status_ = kv_.Restore(s.data);
    if (restore_status_.ok() && kv_.applied() != s.meta.index) {
      restore_status_ =
          Status::Error(StatusCode::kCorruption,
                        "snapshot image restores to index " + std::to_string(kv_.applied().value) +
                            ", not its own " + std::to_string(s.meta.index.value));
    }
    snapshot_index_ = s.meta.index;
  }
}

InboundVerdict Replica::Receive(const Message& m) {
  const InboundVerdict verdict = CheckInbound(node_.raft(), m);
  if (verdict == InboundVerdict::kAccepted) (void)node_.Step(m);
  return verdict;
}

void Replica::Propose(const kv::Command& command, ProposeDone done) {
  Result<Index> index = node_.Propose(kv::Encode(command));
  if (!index.ok()) {
    done(index.status(), {}, Index{});
    return;
  }
  PendingProposal fresh{node_.raft().term(), std::move(done)};
  auto it = proposals_.find(index.value());
  if (it == proposals_.end()) {
    proposals_.emplace(index.value(), std::move(fresh));
    return;
  }
  // A proposal still waiting at this index was truncated away with an old
  // term's log: it can no longer commit, so answer it before replacing it.
  PendingProposal old = std::move(it->second);
  it->second = std::move(fresh);
  old.done(Status::Error(StatusCode::kDropped, "proposal overwritten by a new leader"), {},
           index.value());
}

void Replica::ReadBarrier(ReadDone done) {
  const uint64_t id = next_read_id_++;
  Status s = node_.ReadIndex(id);
  if (!s.ok()) {
    done(s, Index{});
    return;
  }
  reads_waiting_quorum_[id] = std::move(done);
}

Status Replica::Drain() {
  while (node_.HasReady()) {
    Ready rd = node_.GetReady();
    // A leader's messages promise nothing about its own disk: it counts
    // itself towards commit only once Advance reports its entries durable.
    // So it sends first and its fsync overlaps the followers' (Raft thesis
    // section 10.2.1). Everyone else must persist votes, terms and entries
    // before any message that depends on them leaves the node.
    const bool send_first = node_.raft().role() == Role::kLeader;
    if (send_first) Send(rd.messages);
    // 1. Persist.
    Status s = log_.Save(rd.hard_state, rd.entries, rd.snapshot, rd.must_sync);
    if (!s.ok()) return s;
    // The end of a repair is durable before any answer that counts again.
    if (rd.repaired) {
      RAFT_ASSERT_MSG(!send_first, "a repairing node never leads");
      s = log_.MarkRepaired();
      if (!s.ok()) return s;
    }
    // 2. Send.
    if (!send_first) Send(rd.messages);
    // 3. Apply and answer.
    if (!rd.snapshot.IsEmpty()) {
      // A leader's snapshot replaces the state machine wholesale.
      s = kv_.Restore(rd.snapshot.data);
      RAFT_ASSERT_MSG(s.ok(), "leader sent a snapshot image that does not restore");
      snapshot_index_ = rd.snapshot.meta.index;
      bytes_since_snapshot_ = 0;
    }
    for (const Entry& e : rd.committed_entries) ApplyEntry(e);
    for (const ReadState& rs : rd.read_states) {
      auto it = reads_waiting_quorum_.find(rs.request_id);
      if (it == reads_waiting_quorum_.end()) continue;
      reads_waiting_apply_.push_back(PendingRead{rs.index, std::move(it->second)});
      reads_waiting_quorum_.erase(it);
    }
    if (rd.soft_state) OnSoftState(*rd.soft_state);
    // 4. Advance.
    node_.Advance(rd);
    ServeReads();
    s = MaybeSnapshot();
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

void Replica::Send(std::vector<Message>& messages) {
  for (Message& m : messages) transport_.Send(std::move(m));
}

Status Replica::MaybeSnapshot() {
  const Index applied = node_.raft().log().applied();
  const bool by_entries =
      policy_.every_entries > 0 && Distance(snapshot_index_, applied) >= policy_.every_entries;
  const bool by_bytes = policy_.every_bytes > 0 && bytes_since_snapshot_ >= policy_.every_bytes;
  if (!by_entries && !by_bytes) return Status::Ok();
  RAFT_ASSERT(kv_.applied() == applied);
  const Index compact_to =
      applied.value > policy_.keep_entries ? applied - policy_.keep_entries : Index{};
  Status s = log_.CreateSnapshot(applied, node_.raft().voters(), kv_.Serialize(), compact_to);
  if (!s.ok()) return s;
  snapshot_index_ = applied;
  bytes_since_snapshot_ = 0;
  return Status::Ok();
}

void Replica::ApplyEntry(const Entry& e) {
  bytes_since_snapshot_ += e.data.size();
  kv::ApplyResult result;  // a no-op "succeeds" with an empty result
  if (e.type == EntryType::kNormal) {
    Result<kv::Command> cmd = kv::Decode(e.data);
    if (cmd.ok()) {
      result = kv_.Apply(e.index, cmd.value());
    } else {
      // Nothing undecodable can be proposed or appended (Config::command_ok),
      // but a log written before those checks may hold one. Every replica
      // decodes the same bytes the same way, so skipping it keeps them equal.
      undecodable_entries_skipped_++;
      kv_.SkipTo(e.index);
    }
  } else {
    kv_.SkipTo(e.index);
  }
  if (on_apply) on_apply(e);
  // Answer proposals at or below this index: ours if the term matches,
  // otherwise overwritten by another leader's entry.
  while (!proposals_.empty() && proposals_.begin()->first <= e.index) {
    auto node = proposals_.extract(proposals_.begin());
    PendingProposal& p = node.mapped();
    if (node.key() == e.index && p.term == e.term) {
      p.done(Status::Ok(), result, e.index);
    } else {
      p.done(Status::Error(StatusCode::kDropped, "proposal overwritten by a new leader"), {},
             node.key());
    }
  }
}

void Replica::OnSoftState(const SoftState& soft) {
  if (soft.role == Role::kLeader) return;
  // ReadIndex rounds die with leadership; the client retries elsewhere.
  for (auto& [id, done] : reads_waiting_quorum_) {
    done(Status::Error(StatusCode::kNotLeader, "leadership lost during read"), Index{});
  }
  reads_waiting_quorum_.clear();
}

void Replica::ServeReads() {
  const Index applied = node_.raft().log().applied();
  auto servable =
      std::stable_partition(reads_waiting_apply_.begin(), reads_waiting_apply_.end(),
                            [applied](const PendingRead& r) { return r.index > applied; });
  std::vector<PendingRead> serve(std::make_move_iterator(servable),
                                 std::make_move_iterator(reads_waiting_apply_.end()));
  reads_waiting_apply_.erase(servable, reads_waiting_apply_.end());
  for (PendingRead& r : serve) r.done(Status::Ok(), r.index);
}

}  // namespace raft
