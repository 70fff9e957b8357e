// DurabilityChecker: the two promises a node with damaged storage must
// still keep (issue 15), checked from outside the node:
//
//   No lost acknowledged write   every write a client saw acknowledged, at
//                                (index, term), is still held, in the log
//                                or a snapshot, by every node once the run
//                                has settled;
//   Repair before voice          a node restarted after damage to its synced
//                                log lost some committed entries it had
//                                durably logged; until its log holds them
//                                all again it grants no vote or pre-vote and
//                                sends no append, heartbeat or snapshot
//                                response without Message::repairing.
//
// The second check decides "repaired" from the node's log alone: it must not
// trust Raft::repairing(), the flag under test. The simulation feeds it every
// message a node actually sends.
//
// Threading: single-threaded.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/message.h"
#include "core/raft_log.h"

namespace raft::sim {

class DurabilityChecker {
 public:
  using EntryId = std::pair<Index, Term>;

  // A client saw the write at (index, term) acknowledged.
  void ObserveAck(Index index, Term term) { acked_.emplace(index.value, term); }
  // Node id restarted after damage without these committed entries, which
  // it had durably logged before the damage. Adds to what it still owes.
  // context (what the run knew about the damage) ends a violation message.
  void ObserveDamagedRestart(NodeId id, std::vector<EntryId> lost, std::string context = "");
  // A message node m.from sends, with its log as it is when sending.
  void ObserveSend(const Message& m, const RaftLog& sender_log);
  // At the end of a settled run: every acknowledged write is in this log.
  void CheckAcknowledged(NodeId id, const RaftLog& log);

  // True if the log holds entry (index, term), or a snapshot covers index.
  static bool Holds(const RaftLog& log, Index index, Term term);
  // Whether node id still lacks some entry it lost to damage.
  bool Unrepaired(NodeId id) const;
  size_t acked() const { return acked_.size(); }
  bool ok() const { return !violation_.has_value(); }
  const std::string& violation() const { return *violation_; }

 private:
  void Fail(std::string message);

  std::map<uint64_t, Term> acked_;  // index -> term of an acknowledged write
  // Per node, the lost entries its log does not hold yet, by index.
  std::map<NodeId, std::map<uint64_t, Term>> owed_;
  std::map<NodeId, std::string> context_;
  std::optional<std::string> violation_;
};

}  // namespace raft::sim
