// InvariantChecker: the Raft safety properties, checked after every event of
// a simulated run (and usable on any set of nodes):
//
//   Election Safety      at most one leader per term;
//   Log Matching         entries with the same (index, term) hold the same
//                        command and the same predecessor term, which by
//                        induction makes the whole prefix identical;
//   Leader Completeness  a new leader holds every entry applied anywhere;
//   State Machine Safety every node applies the same entry at each index;
//   Monotonicity         commit and applied never go backwards within one
//                        incarnation, and applied <= committed.
//
// The first violation is kept as a readable message; the run then fails.
//
// Threading: single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/raft.h"

namespace raft::sim {

class InvariantChecker {
 public:
  // Observes one live node's state after an event.
  void ObserveNode(NodeId id, uint64_t incarnation, const Raft& raft);
  // Observes an entry being applied by a node.
  void ObserveApply(NodeId id, const Entry& e);
  // Checks the log of a node against everything seen so far (Log Matching).
  void ObserveLog(NodeId id, const RaftLog& log, Index from);
  // The whole log, not just its tail: run at the end of a simulation.
  void CheckWholeLog(NodeId id, const RaftLog& log) { ObserveLog(id, log, Index{1}); }

  bool ok() const { return !violation_.has_value(); }
  const std::string& violation() const { return *violation_; }
  size_t leaders_seen() const { return leader_by_term_.size(); }
  Index max_applied() const { return Index{applied_.size()}; }
  // The term of the entry applied at index, or term 0 if none was yet.
  Term AppliedTerm(Index index) const {
    return index.value >= 1 && index.value <= applied_.size() ? applied_[index.value - 1].first
                                                              : Term{};
  }

 private:
  struct EntryRecord {
    uint64_t data_hash;
    Term prev_term;
  };
  struct NodeRecord {
    uint64_t incarnation = 0;
    Index committed;
    Index applied;
    Index last_checked;  // log prefix already matched against records_
    Index last_index;    // log tail when last checked
    Term last_term;
    Term last_leader_term;
  };
  void Fail(std::string message);
  void CheckLeaderCompleteness(NodeId id, const Raft& raft);

  std::map<Term, NodeId> leader_by_term_;
  // (index, term) -> what every node holding that entry must agree on.
  std::map<std::pair<uint64_t, uint64_t>, EntryRecord> records_;
  // applied_[i-1] = (term, data hash) of the entry applied at index i.
  std::vector<std::pair<Term, uint64_t>> applied_;
  // commit_terms_[i-1] = the term whose leader first held index i committed.
  std::vector<Term> commit_terms_;
  std::map<NodeId, NodeRecord> nodes_;
  std::optional<std::string> violation_;
};

}  // namespace raft::sim
