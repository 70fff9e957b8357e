// Table tests and properties for the quorum arithmetic in core/quorum.h:
// majority sizes, the commit index a majority holds, and election tallies.
#include "core/quorum.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

namespace raft {
namespace {

std::vector<Index> Indexes(const std::vector<uint64_t>& values) {
  std::vector<Index> out;
  for (uint64_t v : values) out.push_back(Index{v});
  return out;
}

std::vector<NodeId> Ids(const std::vector<uint64_t>& values) {
  std::vector<NodeId> out;
  for (uint64_t v : values) out.push_back(NodeId{v});
  return out;
}

TEST(QuorumMajoritySize, Table) {
  const struct {
    size_t voters;
    size_t want;
  } cases[] = {
      // clang-format off
      {1, 1}, {2, 2}, {3, 2}, {4, 3}, {5, 3}, {6, 4}, {7, 4}, {8, 5}, {9, 5},
      // clang-format on
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MajoritySize(c.voters), c.want) << "voters=" << c.voters;
  }
}

TEST(QuorumMajoritySize, MoreThanHalfAndNoTwoMajoritiesAreDisjoint) {
  for (size_t n = 1; n <= 20; n++) {
    EXPECT_GT(2 * MajoritySize(n), n) << n;        // any two majorities intersect
    EXPECT_LE(2 * (MajoritySize(n) - 1), n) << n;  // and it is the smallest such
  }
}

TEST(QuorumMajorityCommitted, Table) {
  const struct {
    std::vector<uint64_t> matches;
    uint64_t want;
  } cases[] = {
      // clang-format off
      // One voter: its own match.
      {{0}, 0},
      {{7}, 7},
      // Two voters: both must hold it (the minimum).
      {{5, 3}, 3},
      {{3, 5}, 3},
      {{4, 4}, 4},
      {{0, 9}, 0},
      // Three voters: the median.
      {{1, 2, 3}, 2},
      {{3, 1, 2}, 2},
      {{2, 3, 1}, 2},
      {{5, 5, 1}, 5},
      {{1, 5, 5}, 5},
      {{5, 1, 1}, 1},
      {{0, 0, 0}, 0},
      {{9, 9, 9}, 9},
      // Four voters: three must hold it (second lowest).
      {{1, 2, 3, 4}, 2},
      {{4, 3, 2, 1}, 2},
      {{4, 4, 1, 1}, 1},
      {{4, 4, 4, 1}, 4},
      {{10, 0, 7, 7}, 7},
      {{0, 0, 0, 8}, 0},
      // Five voters: three must hold it.
      {{1, 2, 3, 4, 5}, 3},
      {{5, 4, 3, 2, 1}, 3},
      {{5, 1, 4, 2, 3}, 3},
      {{9, 9, 0, 0, 0}, 0},
      {{9, 9, 9, 0, 0}, 9},
      {{2, 2, 2, 2, 2}, 2},
      {{7, 3, 7, 3, 5}, 5},
      // Seven voters: four must hold it.
      {{1, 2, 3, 4, 5, 6, 7}, 4},
      {{7, 6, 5, 4, 3, 2, 1}, 4},
      {{4, 7, 1, 6, 2, 5, 3}, 4},
      {{8, 8, 8, 0, 0, 0, 0}, 0},
      {{8, 8, 8, 8, 0, 0, 0}, 8},
      {{3, 3, 9, 9, 1, 1, 9}, 3},
      // clang-format on
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MajorityCommitted(Indexes(c.matches)), Index{c.want})
        << ::testing::PrintToString(c.matches);
  }
}

TEST(QuorumTallyVotes, Table) {
  const struct {
    std::vector<uint64_t> voters;
    std::map<uint64_t, bool> votes;
    VoteResult want;
  } cases[] = {
      // clang-format off
      // Single voter.
      {{1}, {}, VoteResult::kPending},
      {{1}, {{1, true}}, VoteResult::kWon},
      {{1}, {{1, false}}, VoteResult::kLost},
      // Two voters: both needed.
      {{1, 2}, {{1, true}}, VoteResult::kPending},
      {{1, 2}, {{1, true}, {2, true}}, VoteResult::kWon},
      {{1, 2}, {{1, true}, {2, false}}, VoteResult::kLost},
      {{1, 2}, {{2, false}}, VoteResult::kLost},
      // Three voters.
      {{1, 2, 3}, {}, VoteResult::kPending},
      {{1, 2, 3}, {{1, true}}, VoteResult::kPending},
      {{1, 2, 3}, {{1, true}, {2, true}}, VoteResult::kWon},
      {{1, 2, 3}, {{1, true}, {2, false}}, VoteResult::kPending},
      {{1, 2, 3}, {{1, true}, {2, false}, {3, true}}, VoteResult::kWon},
      {{1, 2, 3}, {{1, true}, {2, false}, {3, false}}, VoteResult::kLost},
      {{1, 2, 3}, {{2, false}, {3, false}}, VoteResult::kLost},
      // Four voters: three needed, so two rejections lose.
      {{1, 2, 3, 4}, {{1, true}, {2, true}}, VoteResult::kPending},
      {{1, 2, 3, 4}, {{1, true}, {2, true}, {3, true}}, VoteResult::kWon},
      {{1, 2, 3, 4}, {{1, true}, {2, false}}, VoteResult::kPending},
      {{1, 2, 3, 4}, {{1, true}, {2, false}, {3, false}}, VoteResult::kLost},
      // Five voters.
      {{1, 2, 3, 4, 5}, {{1, true}, {2, true}}, VoteResult::kPending},
      {{1, 2, 3, 4, 5}, {{1, true}, {2, true}, {5, true}}, VoteResult::kWon},
      {{1, 2, 3, 4, 5}, {{1, true}, {2, false}, {3, false}}, VoteResult::kPending},
      {{1, 2, 3, 4, 5}, {{2, false}, {3, false}, {4, false}}, VoteResult::kLost},
      // Seven voters.
      {{1, 2, 3, 4, 5, 6, 7}, {{1, true}, {2, true}, {3, true}}, VoteResult::kPending},
      {{1, 2, 3, 4, 5, 6, 7}, {{1, true}, {2, true}, {3, true}, {4, true}},
       VoteResult::kWon},
      {{1, 2, 3, 4, 5, 6, 7}, {{1, true}, {2, false}, {3, false}, {4, false}},
       VoteResult::kPending},
      {{1, 2, 3, 4, 5, 6, 7},
       {{1, true}, {2, false}, {3, false}, {4, false}, {5, false}},
       VoteResult::kLost},
      // Votes from non-voters (learners, removed nodes) are ignored.
      {{1, 2, 3}, {{1, true}, {9, true}}, VoteResult::kPending},
      {{1, 2, 3}, {{1, true}, {8, true}, {9, true}}, VoteResult::kPending},
      {{1, 2, 3}, {{8, false}, {9, false}}, VoteResult::kPending},
      {{1, 2, 3}, {{1, true}, {2, true}, {8, false}, {9, false}}, VoteResult::kWon},
      {{1, 2, 3}, {{2, false}, {3, false}, {8, true}, {9, true}}, VoteResult::kLost},
      {{1}, {{2, true}, {3, true}}, VoteResult::kPending},
      // clang-format on
  };
  for (const auto& c : cases) {
    std::map<NodeId, bool> votes;
    for (const auto& [id, granted] : c.votes) votes[NodeId{id}] = granted;
    EXPECT_EQ(TallyVotes(Ids(c.voters), votes), c.want)
        << "voters=" << ::testing::PrintToString(c.voters)
        << " votes=" << ::testing::PrintToString(c.votes);
  }
}

// The index MajorityCommitted returns is held (match >= it) by at least a
// majority, and no larger index is.
RC_GTEST_PROP(QuorumProperty, MajorityCommittedIsTheLargestIndexAMajorityHolds,
              (const std::vector<uint8_t>& raw)) {
  RC_PRE(!raw.empty());
  std::vector<Index> matches;
  for (uint8_t v : raw) matches.push_back(Index{v});
  const Index got = MajorityCommitted(matches);
  const auto held_by = [&](Index i) {
    return static_cast<size_t>(
        std::count_if(matches.begin(), matches.end(), [&](Index m) { return m >= i; }));
  };
  const size_t need = MajoritySize(matches.size());
  RC_ASSERT(held_by(got) >= need);
  RC_ASSERT(held_by(got.Next()) < need);
  // The result is one of the inputs, and order does not matter.
  RC_ASSERT(std::find(matches.begin(), matches.end(), got) != matches.end());
  std::vector<Index> reversed(matches.rbegin(), matches.rend());
  RC_ASSERT(MajorityCommitted(reversed) == got);
}

// TallyVotes agrees with counting the voters' votes by hand: won once a
// majority granted, lost once too many rejected for a majority to remain.
RC_GTEST_PROP(QuorumProperty, TallyVotesMatchesCounting, (const std::vector<uint8_t>& raw_votes)) {
  const size_t n = *rc::gen::inRange<size_t>(1, 8);
  std::vector<NodeId> voters;
  for (size_t i = 1; i <= n; i++) voters.push_back(NodeId{i});
  std::map<NodeId, bool> votes;
  // Ids up to 10 so some votes come from non-voters.
  for (size_t i = 0; i + 1 < raw_votes.size(); i += 2) {
    votes[NodeId{raw_votes[i] % 10u + 1}] = raw_votes[i + 1] % 2 == 0;
  }
  size_t granted = 0;
  size_t rejected = 0;
  for (NodeId v : voters) {
    auto it = votes.find(v);
    if (it != votes.end()) (it->second ? granted : rejected)++;
  }
  const size_t need = MajoritySize(n);
  VoteResult want = VoteResult::kPending;
  if (granted >= need) {
    want = VoteResult::kWon;
  } else if (rejected > n - need) {
    want = VoteResult::kLost;
  }
  RC_ASSERT(TallyVotes(voters, votes) == want);
}

}  // namespace
}  // namespace raft
