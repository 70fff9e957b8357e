#include "core/quorum.h"

#include <algorithm>
#include <functional>

#include "core/assert.h"

namespace raft {

size_t MajoritySize(size_t voters) { return voters / 2 + 1; }

Index MajorityCommitted(std::vector<Index> match_indexes) {
  RAFT_ASSERT(!match_indexes.empty());
  std::sort(match_indexes.begin(), match_indexes.end(), std::greater<>());
  return match_indexes[MajoritySize(match_indexes.size()) - 1];
}

VoteResult TallyVotes(const std::vector<NodeId>& voters, const std::map<NodeId, bool>& votes) {
  size_t granted = 0;
  size_t rejected = 0;
  for (NodeId v : voters) {
    auto it = votes.find(v);
    if (it == votes.end()) continue;
    (it->second ? granted : rejected)++;
  }
  const size_t need = MajoritySize(voters.size());
  if (granted >= need) return VoteResult::kWon;
  if (voters.size() - rejected < need) return VoteResult::kLost;
  return VoteResult::kPending;
}

}  // namespace raft
