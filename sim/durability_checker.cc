#include "sim/durability_checker.h"

#include <sstream>

namespace raft::sim {

namespace {

// A vote granted or a replication answer counted toward a quorum: what a
// node that lost acknowledged entries must not send before its repair.
bool Voices(const Message& m) {
  switch (m.type) {
    case MessageType::kVoteResp:
    case MessageType::kPreVoteResp:
      return !m.reject;
    case MessageType::kAppendResp:
    case MessageType::kHeartbeatResp:
    case MessageType::kSnapshotResp:
      return !m.repairing;
    default:
      return false;
  }
}

}  // namespace

void DurabilityChecker::Fail(std::string message) {
  if (!violation_) violation_ = std::move(message);
}

bool DurabilityChecker::Holds(const RaftLog& log, Index index, Term term) {
  if (index < log.FirstIndex()) return true;  // in the snapshot
  return index <= log.LastIndex() && log.TermOrZero(index) == term;
}

void DurabilityChecker::ObserveDamagedRestart(NodeId id, std::vector<EntryId> lost,
                                              std::string context) {
  if (lost.empty()) return;
  context_[id] = std::move(context);
  std::map<uint64_t, Term>& owed = owed_[id];
  for (const auto& [index, term] : lost) owed[index.value] = term;
}

bool DurabilityChecker::Unrepaired(NodeId id) const {
  auto it = owed_.find(id);
  return it != owed_.end() && !it->second.empty();
}

void DurabilityChecker::ObserveSend(const Message& m, const RaftLog& sender_log) {
  auto it = owed_.find(m.from);
  if (it == owed_.end()) return;
  std::map<uint64_t, Term>& owed = it->second;
  // Entries come back in index order as the leader repairs the log, so the
  // lowest owed one decides; those held are settled for good (losing one
  // again takes new damage, which owes it again).
  while (!owed.empty() && Holds(sender_log, Index{owed.begin()->first}, owed.begin()->second)) {
    owed.erase(owed.begin());
  }
  if (owed.empty()) {
    owed_.erase(it);
    return;
  }
  if (!Voices(m)) return;
  std::ostringstream os;
  os << "repair: damaged node " << m.from << " sent " << MessageTypeName(m.type)
     << (m.type == MessageType::kVoteResp || m.type == MessageType::kPreVoteResp
             ? " granting"
             : " without repairing")
     << " to " << m.to << " in " << m.term << " before its repair: its log lacks committed entry "
     << Index{owed.begin()->first} << " of " << owed.begin()->second
     << " that it had durably logged before the damage (" << owed.size() << " entries owed)";
  if (!context_[m.from].empty()) os << "; " << context_[m.from];
  Fail(os.str());
}

void DurabilityChecker::CheckAcknowledged(NodeId id, const RaftLog& log) {
  for (const auto& [index, term] : acked_) {
    if (Holds(log, Index{index}, term)) continue;
    std::ostringstream os;
    os << "acknowledged write lost: node " << id << " lacks entry " << Index{index} << " of "
       << term << " that a client saw acknowledged (it holds " << log.TermOrZero(Index{index})
       << " there, log " << log.FirstIndex() << ".." << log.LastIndex() << ")";
    Fail(os.str());
    return;
  }
}

}  // namespace raft::sim
