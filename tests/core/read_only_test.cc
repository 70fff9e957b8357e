// Tests for ReadOnly, the leader's ReadIndex rounds (Raft thesis 6.4): a read
// is released once a quorum acknowledged a heartbeat round at or after it;
// reads gather in one round while the one before it is in flight.
#include "core/read_only.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <deque>
#include <set>
#include <utility>
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

TEST(ReadOnly, ReadsJoinTheRoundNotYetSent) {
  ReadOnly ro;
  EXPECT_EQ(ro.LastContext(), 0u);
  EXPECT_FALSE(ro.RoundDue());
  const uint64_t c1 = ro.Add(100, Index{5}, kSelf);
  EXPECT_NE(c1, 0u) << "context 0 means no read round";
  EXPECT_EQ(ro.Add(101, Index{5}, kSelf), c1);
  EXPECT_EQ(ro.Add(102, Index{7}, kSelf), c1);
  EXPECT_EQ(ro.PendingCount(), 3u);
  EXPECT_TRUE(ro.RoundDue());
  EXPECT_EQ(ro.MarkSent(), c1);
  EXPECT_FALSE(ro.RoundDue());
  const uint64_t c2 = ro.Add(103, Index{7}, kSelf);
  EXPECT_GT(c2, c1) << "a read after the round was sent needs a new one";
  EXPECT_EQ(ro.LastContext(), c2);
}

TEST(ReadOnly, QuorumAckReleasesEveryReadOfTheRoundAtItsCommitIndex) {
  ReadOnly ro;
  const uint64_t c = ro.Add(42, Index{9}, kSelf);
  ro.Add(43, Index{10}, kSelf);
  ASSERT_EQ(ro.MarkSent(), c);
  const std::vector<ReadState> done = ro.Ack(c, NodeId{2}, kQuorumOfThree);
  EXPECT_EQ(done, (std::vector<ReadState>{{42, Index{9}}, {43, Index{10}}}));
  EXPECT_EQ(ro.PendingCount(), 0u);
  EXPECT_EQ(ro.LastContext(), 0u);
}

TEST(ReadOnly, OneRoundInFlightTheNextIsDueOnceItIsConfirmed) {
  ReadOnly ro;
  const uint64_t c1 = ro.Add(1, Index{2}, kSelf);
  ASSERT_EQ(ro.MarkSent(), c1);
  const uint64_t c2 = ro.Add(2, Index{2}, kSelf);
  ro.Add(3, Index{3}, kSelf);
  EXPECT_FALSE(ro.RoundDue()) << "round 1 is still in flight";
  EXPECT_EQ(RequestIds(ro.Ack(c1, NodeId{2}, kQuorumOfThree)), (std::vector<uint64_t>{1}));
  EXPECT_TRUE(ro.RoundDue()) << "the reads that waited go out now, as one round";
  ASSERT_EQ(ro.MarkSent(), c2);
  EXPECT_EQ(RequestIds(ro.Ack(c2, NodeId{3}, kQuorumOfThree)), (std::vector<uint64_t>{2, 3}));
  EXPECT_FALSE(ro.RoundDue());
}

TEST(ReadOnly, AckForARoundConfirmsEveryEarlierRoundInOrder) {
  ReadOnly ro;
  const uint64_t c1 = ro.Add(10, Index{3}, kSelf);
  ro.MarkSent();
  ro.Add(11, Index{4}, kSelf);
  // A periodic heartbeat carries the newest round, sending it early.
  const uint64_t c2 = ro.MarkSent();
  ro.Add(12, Index{6}, kSelf);
  EXPECT_EQ(ro.Ack(c2, NodeId{2}, kQuorumOfThree),
            (std::vector<ReadState>{{10, Index{3}}, {11, Index{4}}}));
  EXPECT_EQ(ro.PendingCount(), 1u);
  // A late ack for an already confirmed round changes nothing.
  EXPECT_TRUE(ro.Ack(c1, NodeId{3}, kQuorumOfThree).empty());
  EXPECT_EQ(ro.PendingCount(), 1u);
}

TEST(ReadOnly, NeedsAQuorumOfDistinctNodes) {
  ReadOnly ro;
  const uint64_t c = ro.Add(1, Index{2}, kSelf);
  ro.MarkSent();
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
  ro.MarkSent();
  ro.Add(2, Index{2}, kSelf);
  const uint64_t c2 = ro.MarkSent();
  // Five voters. Node 2 acks round 2 (so rounds 1-2); node 3 only round 1.
  EXPECT_TRUE(ro.Ack(c2, NodeId{2}, kQuorumOfFive).empty());
  EXPECT_EQ(RequestIds(ro.Ack(c1, NodeId{3}, kQuorumOfFive)), (std::vector<uint64_t>{1}));
  EXPECT_EQ(ro.PendingCount(), 1u);
  EXPECT_EQ(RequestIds(ro.Ack(c2, NodeId{4}, kQuorumOfFive)), (std::vector<uint64_t>{2}));
}

TEST(ReadOnly, AcksForRoundsNotSentOrNeverHandedOutAreIgnored) {
  ReadOnly ro;
  const uint64_t c1 = ro.Add(1, Index{2}, kSelf);
  // No heartbeat carried round 1 yet: nothing can have answered it.
  EXPECT_TRUE(ro.Ack(c1, NodeId{2}, kQuorumOfThree).empty());
  ro.MarkSent();
  // Context 0 is a heartbeat that carried no read round.
  EXPECT_TRUE(ro.Ack(0, NodeId{2}, kQuorumOfThree).empty());
  EXPECT_TRUE(ro.Ack(c1 + 1, NodeId{2}, kQuorumOfThree).empty());
  EXPECT_TRUE(ro.Ack(c1 + 1000, NodeId{3}, kQuorumOfThree).empty());
  EXPECT_EQ(ro.PendingCount(), 1u);
  EXPECT_EQ(RequestIds(ro.Ack(c1, NodeId{3}, kQuorumOfThree)), (std::vector<uint64_t>{1}));
}

TEST(ReadOnly, ResetDropsRoundsAndNeverReusesContexts) {
  ReadOnly ro;
  const uint64_t old_context = ro.Add(1, Index{2}, kSelf);
  ro.MarkSent();
  ro.Reset();
  EXPECT_EQ(ro.PendingCount(), 0u);
  EXPECT_EQ(ro.LastContext(), 0u);
  const uint64_t fresh = ro.Add(2, Index{5}, kSelf);
  EXPECT_GT(fresh, old_context);
  EXPECT_TRUE(ro.RoundDue());
  ro.MarkSent();
  // An ack from the previous leadership's round must not confirm the new one.
  EXPECT_TRUE(ro.Ack(old_context, NodeId{2}, kQuorumOfThree).empty());
  EXPECT_EQ(ro.PendingCount(), 1u);
  EXPECT_EQ(RequestIds(ro.Ack(fresh, NodeId{2}, kQuorumOfThree)), (std::vector<uint64_t>{2}));
}

// Against a model: reads join the newest round until a heartbeat carries
// it; each round collects self plus every node that acked it or a later
// sent round; a read comes out, once and in Add order, at the first ack
// after which its round has a quorum; RoundDue says whether a round waits
// to be sent while none is in flight.
RC_GTEST_PROP(ReadOnlyProperty, ReleasesReadsInOrderOnceAQuorumAckedASentRound, ()) {
  const size_t voters = *rc::gen::inRange<size_t>(2, 8);
  const size_t quorum = voters / 2 + 1;
  ReadOnly ro;
  struct ModelRound {
    uint64_t context;
    std::vector<std::pair<uint64_t, Index>> reads;
    std::set<uint64_t> acks;
    bool sent = false;
  };
  std::deque<ModelRound> model;
  std::vector<uint64_t> released_ids;
  uint64_t next_request = 1;
  uint64_t max_context = 0, sent = 0;
  size_t pending = 0;
  Index commit{1};
  const int steps = *rc::gen::inRange(0, 80);
  for (int s = 0; s < steps; s++) {
    const int op = *rc::gen::inRange(0, 4);
    if (op == 0) {
      commit = commit + *rc::gen::inRange<uint64_t>(0, 3);
      const uint64_t context = ro.Add(next_request, commit, kSelf);
      if (model.empty() || model.back().sent) {
        RC_ASSERT(context > max_context);
        max_context = context;
        model.push_back(ModelRound{context, {}, {kSelf.value}});
      }
      RC_ASSERT(context == model.back().context);
      model.back().reads.emplace_back(next_request++, commit);
      pending++;
    } else if (op == 1) {
      const uint64_t context = ro.MarkSent();
      RC_ASSERT(context == (model.empty() ? 0 : model.back().context));
      for (ModelRound& r : model) r.sent = true;
      if (context != 0) sent = context;
    } else {
      const uint64_t context = *rc::gen::inRange<uint64_t>(0, max_context + 3);
      const uint64_t from = *rc::gen::inRange<uint64_t>(1, voters + 1);
      std::vector<ReadState> want;
      if (context <= sent) {
        for (ModelRound& r : model) {
          if (r.context <= context) r.acks.insert(from);
        }
      }
      while (!model.empty() && model.front().acks.size() >= quorum) {
        for (const auto& [id, at] : model.front().reads) want.push_back(ReadState{id, at});
        model.pop_front();
      }
      const std::vector<ReadState> got = ro.Ack(context, NodeId{from}, quorum);
      RC_ASSERT(got == want);
      for (const ReadState& rs : got) released_ids.push_back(rs.request_id);
      pending -= got.size();
    }
    const bool unsent = !model.empty() && !model.back().sent;
    const bool in_flight = !model.empty() && model.front().sent;
    RC_ASSERT(ro.RoundDue() == (unsent && !in_flight));
    RC_ASSERT(ro.PendingCount() == pending);
  }
  // Released in Add order, each once.
  for (size_t i = 0; i < released_ids.size(); i++) RC_ASSERT(released_ids[i] == i + 1);
}

}  // namespace
}  // namespace raft
