#include "sim/invariant_checker.h"

#include <sstream>

#include "sim/sim_random.h"

namespace raft::sim {

void InvariantChecker::Fail(std::string message) {
  if (!violation_) violation_ = std::move(message);
}

void InvariantChecker::ObserveNode(NodeId id, uint64_t incarnation, const Raft& raft) {
  NodeRecord& rec = nodes_[id];
  if (rec.incarnation != incarnation) {
    rec = NodeRecord{.incarnation = incarnation};
  }
  const RaftLog& log = raft.log();
  const Index committed = log.committed();
  const Index applied = log.applied();
  // Messages are built only on failure: this runs after every event.
  if (committed < rec.committed) {
    std::ostringstream os;
    os << "commit index went backwards on " << id << ": " << rec.committed << " -> " << committed;
    Fail(os.str());
  }
  if (applied < rec.applied) {
    std::ostringstream os;
    os << "applied index went backwards on " << id << ": " << rec.applied << " -> " << applied;
    Fail(os.str());
  }
  if (applied > committed) {
    std::ostringstream os;
    os << "applied " << applied << " > committed " << committed << " on " << id;
    Fail(os.str());
  }
  rec.committed = committed;
  rec.applied = applied;

  if (raft.role() == Role::kLeader) {
    auto [it, inserted] = leader_by_term_.emplace(raft.term(), id);
    if (!inserted && it->second != id) {
      std::ostringstream os;
      os << "election safety: two leaders in term " << raft.term() << ": " << it->second << " and "
         << id;
      Fail(os.str());
    }
    // A leader commits in its own term: the first leader seen holding a
    // commit index names the term each entry up to it was committed in.
    while (commit_terms_.size() < committed.value) commit_terms_.push_back(raft.term());
    if (rec.last_leader_term != raft.term()) {
      rec.last_leader_term = raft.term();
      CheckLeaderCompleteness(id, raft);
    }
  }
  // Re-check the log only when its tail changed (an append or a truncation
  // moves the last index or the last term); CheckWholeLog at the end of a run
  // covers a suffix replaced by one ending in the same (index, term).
  const Index last = log.LastIndex();
  const Term last_term = log.LastTerm();
  if (last != rec.last_index || last_term != rec.last_term) {
    ObserveLog(id, log, rec.last_checked.Next());
    rec.last_index = last;
    rec.last_term = last_term;
    rec.last_checked = std::min(committed, last);
  }
}

void InvariantChecker::CheckLeaderCompleteness(NodeId id, const Raft& raft) {
  const RaftLog& log = raft.log();
  const Index first = log.FirstIndex();  // earlier entries are in the snapshot
  const Index last_applied{applied_.size()};
  if (last_applied < first) return;
  // One read of the whole applied range the leader still holds.
  const Index held_last = std::min(last_applied, log.LastIndex());
  std::vector<Entry> held;
  if (held_last >= first) {
    Result<std::vector<Entry>> ents = log.Slice(first, held_last.Next(), UINT64_MAX);
    if (ents.ok()) held = std::move(ents).value();
  }
  for (Index idx = first; idx <= last_applied; idx = idx.Next()) {
    // Leader Completeness covers entries committed in terms before the
    // leader's: a leader of an older term, elected late by a slow vote, may
    // lack what a newer term committed, and cannot commit anything itself.
    const auto& [want_term, want_hash] = applied_[idx.value - 1];
    // An entry seen applied but never seen committed by a leader was
    // committed in its own term at the earliest.
    const Term commit_term =
        idx.value <= commit_terms_.size() ? commit_terms_[idx.value - 1] : want_term;
    if (commit_term >= raft.term()) continue;
    const size_t pos = Distance(first, idx);
    const Term held_term = pos < held.size() ? held[pos].term : Term{};
    // The same term is not enough: that (index, term) names one entry is Log
    // Matching, which this checker verifies rather than assumes.
    if (held_term == want_term && Fnv1a(held[pos].data) == want_hash) continue;
    std::ostringstream os;
    os << "leader completeness: leader " << id << " of " << raft.term() << " lacks applied "
       << "entry " << idx << " of " << want_term << " (has " << held_term
       << (held_term == want_term ? " with other data" : "") << ")";
    Fail(os.str());
    return;
  }
}

void InvariantChecker::ObserveLog(NodeId id, const RaftLog& log, Index from) {
  const Index last = log.LastIndex();
  const Index start = std::max(from, log.FirstIndex());
  if (start > last) return;
  Result<std::vector<Entry>> ents = log.Slice(start, last.Next(), UINT64_MAX);
  if (!ents.ok()) return;
  Term prev_term = log.TermOrZero(start.Prev());
  for (const Entry& e : ents.value()) {
    const Index i = e.index;
    const EntryRecord seen{Fnv1a(e.data), prev_term};
    prev_term = e.term;
    auto [it, inserted] = records_.emplace(std::make_pair(i.value, e.term.value), seen);
    if (!inserted &&
        (it->second.data_hash != seen.data_hash || it->second.prev_term != seen.prev_term)) {
      std::ostringstream os;
      os << "log matching: node " << id << " holds entry " << i << " of " << e.term
         << " that differs from another node's entry with the same index and term";
      Fail(os.str());
      return;
    }
  }
}

void InvariantChecker::ObserveApply(NodeId id, const Entry& e) {
  const uint64_t h = Fnv1a(e.data);
  const size_t pos = e.index.value - 1;
  if (pos < applied_.size()) {
    if (applied_[pos].first != e.term || applied_[pos].second != h) {
      std::ostringstream os;
      os << "state machine safety: node " << id << " applied entry " << e.index << " of " << e.term
         << " but another node applied " << applied_[pos].first << " there";
      Fail(os.str());
    }
    return;
  }
  if (pos != applied_.size()) {
    std::ostringstream os;
    os << "node " << id << " applied " << e.index << " with a gap after " << applied_.size();
    Fail(os.str());
    return;
  }
  applied_.emplace_back(e.term, h);
}

}  // namespace raft::sim
