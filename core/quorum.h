// Quorum arithmetic for a single majority configuration. Pure functions,
// table-tested.
#pragma once

#include <map>
#include <vector>

#include "core/types.h"

namespace raft {

enum class VoteResult : uint8_t { kPending, kWon, kLost };

size_t MajoritySize(size_t voters);
// The highest index held by a majority, given each voter's match index.
Index MajorityCommitted(std::vector<Index> match_indexes);
// Outcome of an election given the votes received so far.
VoteResult TallyVotes(const std::vector<NodeId>& voters, const std::map<NodeId, bool>& votes);

}  // namespace raft
