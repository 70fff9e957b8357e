// Tests for ReadOnly, the leader's ReadIndex rounds (Raft thesis 6.4): a read
// is released once a quorum acknowledged a heartbeat round at or after it.
#include "core/read_only.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

namespace raft {
namespace {

constexpr NodeId kSelf{1};
constexpr size_t kQuorumOfThree = 2;
constexpr size_t kQuorumOfFive = 3;

std::vector<uint64_t> RequestIds(const std::vector<ReadState>& reads) {
  std::vector<uint64_t> out;
  for (const ReadState& r : reads) out.push_back(r.request_id);
  return out;
}

TEST(ReadOnly, AddHandsOutIncreasingContexts) {
  ReadOnly ro;
  EXPECT_EQ(ro.LastContext(), 0u);
  EXPECT_EQ(ro.PendingCount(), 0u);
  const uint64_t c1 = ro.Add(100, Index{5}, kSelf);
  const uint64_t c2 = ro.Add(101, Index{5}, kSelf);
  const uint64_t c3 = ro.Add(102, Index{7}, kSelf);
  EXPECT_NE(c1, 0u) << "context 0 means no read round";
  EXPECT_LT(c1, c2);
  EXPECT_LT(c2, c3);
  EXPECT_EQ(ro.LastContext(), c3);
  EXPECT_EQ(ro.PendingCount(), 3u);
}

TEST(ReadOnly, QuorumAckReleasesTheReadAtItsCommitIndex) {
  ReadOnly ro;
  const uint64_t c = ro.Add(42, Index{9}, kSelf);
  const std::vector<ReadState> done = ro.Ack(c, NodeId{2}, kQuorumOfThree);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0], (ReadState{42, Index{9}}));
  EXPECT_EQ(ro.PendingCount(), 0u);
  EXPECT_EQ(ro.LastContext(), 0u);
}

TEST(ReadOnly, AckForARoundConfirmsEveryEarlierRoundInOrder) {
  ReadOnly ro;
  ro.Add(10, Index{3}, kSelf);
  const uint64_t c2 = ro.Add(11, Index{4}, kSelf);
  const uint64_t c3 = ro.Add(12, Index{4}, kSelf);
  const uint64_t c4 = ro.Add(13, Index{6}, kSelf);
  std::vector<ReadState> done = ro.Ack(c3, NodeId{2}, kQuorumOfThree);
  EXPECT_EQ(done, (std::vector<ReadState>{{10, Index{3}}, {11, Index{4}}, {12, Index{4}}}));
  EXPECT_EQ(ro.PendingCount(), 1u);
  EXPECT_EQ(ro.LastContext(), c4);
  // A late ack for an already confirmed round changes nothing.
  EXPECT_TRUE(ro.Ack(c2, NodeId{3}, kQuorumOfThree).empty());
  EXPECT_EQ(ro.PendingCount(), 1u);
  done = ro.Ack(c4, NodeId{3}, kQuorumOfThree);
  EXPECT_EQ(RequestIds(done), (std::vector<uint64_t>{13}));
}

TEST(ReadOnly, NeedsAQuorumOfDistinctNodes) {
  ReadOnly ro;
  const uint64_t c = ro.Add(1, Index{2}, kSelf);
  // Five voters: self plus two others.
  EXPECT_TRUE(ro.Ack(c, NodeId{2}, kQuorumOfFive).empty());
  EXPECT_TRUE(ro.Ack(c, NodeId{2}, kQuorumOfFive).empty()) << "duplicate ack";
  EXPECT_TRUE(ro.Ack(c, kSelf, kQuorumOfFive).empty()) << "self already counted";
  EXPECT_EQ(ro.PendingCount(), 1u);
  EXPECT_EQ(RequestIds(ro.Ack(c, NodeId{4}, kQuorumOfFive)), (std::vector<uint64_t>{1}));
}

TEST(ReadOnly, AckForAnEarlierRoundDoesNotConfirmLaterOnes) {
  ReadOnly ro;
  const uint64_t c1 = ro.Add(1, Index{2}, kSelf);
  const uint64_t c2 = ro.Add(2, Index{2}, kSelf);
  const uint64_t c3 = ro.Add(3, Index{3}, kSelf);
  // Five voters. Node 2 acks round 3 (so rounds 1-3); node 3 only round 1.
  EXPECT_TRUE(ro.Ack(c3, NodeId{2}, kQuorumOfFive).empty());
  EXPECT_EQ(RequestIds(ro.Ack(c1, NodeId{3}, kQuorumOfFive)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(ro.PendingCount(), 2u);
  // Node 4 acks round 2: round 2 has {1,2,4}; round 3 still only {1,2}.
  EXPECT_EQ(RequestIds(ro.Ack(c2, NodeId{4}, kQuorumOfFive)), (std::vector<uint64_t>{2}));
  EXPECT_EQ(ro.PendingCount(), 1u);
  EXPECT_EQ(RequestIds(ro.Ack(c3, NodeId{5}, kQuorumOfFive)), (std::vector<uint64_t>{3}));
}

TEST(ReadOnly, AcksForUnknownContextsAreIgnored) {
  ReadOnly ro;
  const uint64_t c1 = ro.Add(1, Index{2}, kSelf);
  const uint64_t c2 = ro.Add(2, Index{2}, kSelf);
  // Context 0 is a heartbeat that carried no read round.
  EXPECT_TRUE(ro.Ack(0, NodeId{2}, kQuorumOfThree).empty());
  // A context this leader never handed out proves nothing about its rounds.
  EXPECT_TRUE(ro.Ack(c2 + 1, NodeId{2}, kQuorumOfThree).empty());
  EXPECT_TRUE(ro.Ack(c2 + 1000, NodeId{3}, kQuorumOfThree).empty());
  EXPECT_EQ(ro.PendingCount(), 2u);
  // The rounds still complete normally.
  EXPECT_EQ(RequestIds(ro.Ack(c1, NodeId{2}, kQuorumOfThree)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(RequestIds(ro.Ack(c2, NodeId{3}, kQuorumOfThree)), (std::vector<uint64_t>{2}));
}

TEST(ReadOnly, ResetDropsRoundsAndNeverReusesContexts) {
  ReadOnly ro;
  const uint64_t old_context = ro.Add(1, Index{2}, kSelf);
  ro.Reset();
  EXPECT_EQ(ro.PendingCount(), 0u);
  EXPECT_EQ(ro.LastContext(), 0u);
  const uint64_t fresh = ro.Add(2, Index{5}, kSelf);
  EXPECT_GT(fresh, old_context);
  // An ack from the previous leadership's round must not confirm the new one.
  EXPECT_TRUE(ro.Ack(old_context, NodeId{2}, kQuorumOfThree).empty());
  EXPECT_EQ(ro.PendingCount(), 1u);
  EXPECT_EQ(RequestIds(ro.Ack(fresh, NodeId{2}, kQuorumOfThree)), (std::vector<uint64_t>{2}));
}

// Against a model: each round collects self plus every node that acked it or
// a later round; a read comes out, once and in Add order, at the first ack
// after which its round has a quorum. Acks for contexts never handed out are
// ignored.
RC_GTEST_PROP(ReadOnlyProperty, ReleasesReadsInOrderOnceAQuorumAcked, ()) {
  const size_t voters = *rc::gen::inRange<size_t>(2, 8);
  const size_t quorum = voters / 2 + 1;
  ReadOnly ro;
  struct ModelRound {
    uint64_t context;
    uint64_t request_id;
    Index commit;
    std::set<uint64_t> acks;
    bool released = false;
  };
  std::vector<ModelRound> model;
  std::vector<uint64_t> released_ids;
  uint64_t next_request = 1;
  uint64_t max_context = 0;
  Index commit{1};
  const int steps = *rc::gen::inRange(0, 80);
  for (int s = 0; s < steps; s++) {
    if (*rc::gen::inRange(0, 3) == 0) {
      commit = commit + *rc::gen::inRange<uint64_t>(0, 3);
      const uint64_t context = ro.Add(next_request, commit, kSelf);
      RC_ASSERT(context > max_context);
      max_context = context;
      model.push_back(ModelRound{context, next_request, commit, {kSelf.value}});
      next_request++;
      continue;
    }
    const uint64_t context = *rc::gen::inRange<uint64_t>(0, max_context + 3);
    const uint64_t from = *rc::gen::inRange<uint64_t>(1, voters + 1);
    std::vector<uint64_t> want;
    if (context <= max_context) {
      for (ModelRound& r : model) {
        if (r.context <= context) r.acks.insert(from);
      }
    }
    for (ModelRound& r : model) {
      if (!r.released && r.acks.size() >= quorum) {
        r.released = true;
        want.push_back(r.request_id);
      }
    }
    const std::vector<ReadState> got = ro.Ack(context, NodeId{from}, quorum);
    RC_ASSERT(RequestIds(got) == want);
    for (const ReadState& rs : got) {
      RC_ASSERT(rs.index == model[rs.request_id - 1].commit);
      released_ids.push_back(rs.request_id);
    }
  }
  // Released in Add order, each once.
  for (size_t i = 0; i < released_ids.size(); i++) RC_ASSERT(released_ids[i] == i + 1);
  RC_ASSERT(ro.PendingCount() == model.size() - released_ids.size());
}

}  // namespace
}  // namespace raft
