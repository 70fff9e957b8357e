// InvariantChecker tests: each Raft safety property is broken on purpose, by
// building node states no correct cluster could reach (real Raft objects over
// hand-filled MemoryStorage, or single-voter nodes that elect themselves at
// once), and the checker must name the property. A healthy twin of every
// scenario must pass, so a checker that fires on everything fails here too.
#include "sim/invariant_checker.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/storage.h"

namespace raft::sim {
namespace {

// A Raft over its own MemoryStorage (the storage must outlive the Raft).
struct TestNode {
  MemoryStorage storage;
  std::unique_ptr<Raft> raft;
};

// A single-voter node whose storage holds `log` and `hard_state`; `applied`
// is what its host claims to have applied already.
std::unique_ptr<TestNode> MakeNode(uint64_t id, const std::vector<Entry>& log = {},
                                   HardState hard_state = {}, Index applied = {}) {
  auto node = std::make_unique<TestNode>();
  node->storage.Append(log);
  node->storage.SetHardState(hard_state);
  Config config;
  config.id = NodeId{id};
  config.voters = {NodeId{id}};
  config.applied = applied;
  node->raft = std::make_unique<Raft>(config, node->storage, std::make_unique<SplitMix64>(id));
  return node;
}

// A single voter wins its own election at once: term + 1, then a no-op.
void ElectAlone(TestNode& node) {
  const Term before = node.raft->term();
  ASSERT_TRUE(node.raft->Step(Message{.type = MessageType::kHup, .from = node.raft->id()}).ok());
  ASSERT_EQ(node.raft->role(), Role::kLeader);
  ASSERT_EQ(node.raft->term(), before.Next());
}

Entry Normal(uint64_t index, uint64_t term, std::string data) {
  return Entry{Term{term}, Index{index}, EntryType::kNormal, std::move(data)};
}

HardState AtTerm(uint64_t term, uint64_t commit = 0) {
  return HardState{Term{term}, kNoNode, Index{commit}};
}

::testing::AssertionResult Fired(const InvariantChecker& checker, const std::string& property) {
  if (checker.ok()) {
    return ::testing::AssertionFailure() << "no violation; want one about \"" << property << "\"";
  }
  if (checker.violation().find(property) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "violation \"" << checker.violation() << "\" is not about \"" << property << "\"";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Healthy(const InvariantChecker& checker) {
  if (checker.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << checker.violation();
}

// ---------------------------------------------------------------------------
// Election Safety: at most one leader per term.

TEST(InvariantElectionSafety, TwoLeadersInTheSameTermFire) {
  auto a = MakeNode(1);
  auto b = MakeNode(2);
  ElectAlone(*a);
  ElectAlone(*b);
  ASSERT_EQ(a->raft->term(), b->raft->term());

  InvariantChecker checker;
  checker.ObserveNode(NodeId{1}, 0, *a->raft);
  EXPECT_TRUE(Healthy(checker));
  checker.ObserveNode(NodeId{2}, 0, *b->raft);
  ASSERT_TRUE(Fired(checker, "election safety"));
  EXPECT_NE(checker.violation().find("t1"), std::string::npos) << checker.violation();
}

TEST(InvariantElectionSafety, OneLeaderPerTermDoesNotFire) {
  auto a = MakeNode(1);
  auto b = MakeNode(2, {}, AtTerm(1));  // already saw term 1, so it campaigns in term 2
  ElectAlone(*a);
  ElectAlone(*b);
  ASSERT_NE(a->raft->term(), b->raft->term());

  InvariantChecker checker;
  checker.ObserveNode(NodeId{1}, 0, *a->raft);
  checker.ObserveNode(NodeId{2}, 0, *b->raft);
  // The same leader seen again, and again after a restart, is still one leader.
  checker.ObserveNode(NodeId{1}, 0, *a->raft);
  checker.ObserveNode(NodeId{1}, 1, *a->raft);
  EXPECT_TRUE(Healthy(checker));
  EXPECT_EQ(checker.leaders_seen(), 2u);
}

TEST(InvariantElectionSafety, FollowersAreNotCountedAsLeaders) {
  auto a = MakeNode(1);
  auto follower = MakeNode(2);
  ElectAlone(*a);
  ASSERT_EQ(follower->raft->role(), Role::kFollower);

  InvariantChecker checker;
  checker.ObserveNode(NodeId{1}, 0, *a->raft);
  checker.ObserveNode(NodeId{2}, 0, *follower->raft);
  EXPECT_TRUE(Healthy(checker));
  EXPECT_EQ(checker.leaders_seen(), 1u);
}

// ---------------------------------------------------------------------------
// State Machine Safety: every node applies the same entry at each index.

TEST(InvariantStateMachineSafety, DifferentDataAppliedAtOneIndexFires) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "x"));
  EXPECT_TRUE(Healthy(checker));
  checker.ObserveApply(NodeId{2}, Normal(1, 1, "y"));
  EXPECT_TRUE(Fired(checker, "state machine safety"));
}

TEST(InvariantStateMachineSafety, SameDataFromAnotherTermAtOneIndexFires) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "x"));
  checker.ObserveApply(NodeId{2}, Normal(1, 2, "x"));
  EXPECT_TRUE(Fired(checker, "state machine safety"));
}

TEST(InvariantStateMachineSafety, SameEntriesAppliedEverywhereDoNotFire) {
  const std::vector<Entry> log = {Normal(1, 1, "a"), Normal(2, 1, "b"), Normal(3, 2, "c")};
  InvariantChecker checker;
  for (uint64_t node = 1; node <= 3; node++) {
    for (const Entry& e : log) checker.ObserveApply(NodeId{node}, e);
  }
  EXPECT_TRUE(Healthy(checker));
  EXPECT_EQ(checker.max_applied(), Index{3});
}

TEST(InvariantStateMachineSafety, ApplyingPastAGapFires) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "a"));
  checker.ObserveApply(NodeId{1}, Normal(3, 1, "c"));
  EXPECT_TRUE(Fired(checker, "gap"));
}

// ---------------------------------------------------------------------------
// Log Matching: one (index, term) names one entry and one predecessor.

TEST(InvariantLogMatching, SameIndexAndTermWithDifferentDataFires) {
  auto a = MakeNode(1, {Normal(1, 1, "x"), Normal(2, 1, "y")});
  auto b = MakeNode(2, {Normal(1, 1, "x"), Normal(2, 1, "z")});

  InvariantChecker checker;
  checker.ObserveLog(NodeId{1}, a->raft->log(), Index{1});
  EXPECT_TRUE(Healthy(checker));
  checker.ObserveLog(NodeId{2}, b->raft->log(), Index{1});
  ASSERT_TRUE(Fired(checker, "log matching"));
  EXPECT_NE(checker.violation().find("i2"), std::string::npos) << checker.violation();
}

TEST(InvariantLogMatching, SameEntryAfterADifferentPredecessorTermFires) {
  // Index 2 of term 2 holds the same bytes on both, but follows entries of
  // different terms: the logs cannot be identical up to it.
  auto a = MakeNode(1, {Normal(1, 1, "p"), Normal(2, 2, "q")});
  auto b = MakeNode(2, {Normal(1, 2, "r"), Normal(2, 2, "q")});

  InvariantChecker checker;
  checker.ObserveLog(NodeId{1}, a->raft->log(), Index{1});
  checker.ObserveLog(NodeId{2}, b->raft->log(), Index{1});
  EXPECT_TRUE(Fired(checker, "log matching"));
}

TEST(InvariantLogMatching, ConflictingLogsSeenThroughObserveNodeFire) {
  auto a = MakeNode(1, {Normal(1, 1, "x")});
  auto b = MakeNode(2, {Normal(1, 1, "y")});

  InvariantChecker checker;
  checker.ObserveNode(NodeId{1}, 0, *a->raft);
  checker.ObserveNode(NodeId{2}, 0, *b->raft);
  EXPECT_TRUE(Fired(checker, "log matching"));
}

TEST(InvariantLogMatching, IdenticalOrLegitimatelyDivergingLogsDoNotFire) {
  // Same prefix, then a suffix of different terms (an uncommitted tail that
  // a later leader overwrote on one node): allowed.
  auto a = MakeNode(1, {Normal(1, 1, "x"), Normal(2, 1, "y")});
  auto b = MakeNode(2, {Normal(1, 1, "x"), Normal(2, 1, "y")});
  auto c = MakeNode(3, {Normal(1, 1, "x"), Normal(2, 2, "z"), Normal(3, 2, "w")});

  InvariantChecker checker;
  checker.ObserveLog(NodeId{1}, a->raft->log(), Index{1});
  checker.ObserveLog(NodeId{2}, b->raft->log(), Index{1});
  checker.ObserveLog(NodeId{3}, c->raft->log(), Index{1});
  checker.ObserveNode(NodeId{1}, 0, *a->raft);
  checker.ObserveNode(NodeId{3}, 0, *c->raft);
  EXPECT_TRUE(Healthy(checker));
}

TEST(InvariantLogMatching, CompactedLogAgreesWithAFullOne) {
  // After compaction the first held entry's predecessor term comes from the
  // snapshot, and must still match what a full log says.
  const std::vector<Entry> log = {Normal(1, 1, "a"), Normal(2, 1, "b"), Normal(3, 2, "c")};
  auto full = MakeNode(1, log);
  MemoryStorage compacted;
  compacted.Append(log);
  ASSERT_TRUE(compacted.CreateSnapshot(Index{2}, "image").ok());
  const RaftLog compacted_log(compacted);
  ASSERT_EQ(compacted_log.FirstIndex(), Index{3});

  InvariantChecker checker;
  checker.ObserveLog(NodeId{1}, full->raft->log(), Index{1});
  checker.ObserveLog(NodeId{2}, compacted_log, Index{1});
  EXPECT_TRUE(Healthy(checker));
}

TEST(InvariantLogMatching, CompactedLogWhoseSnapshotTermDisagreesFires) {
  auto full = MakeNode(1, {Normal(1, 1, "a"), Normal(2, 1, "b"), Normal(3, 2, "c")});
  MemoryStorage compacted;  // index 2 was of term 2 here
  compacted.Append({Normal(1, 1, "a"), Normal(2, 2, "b"), Normal(3, 2, "c")});
  ASSERT_TRUE(compacted.CreateSnapshot(Index{2}, "image").ok());

  InvariantChecker checker;
  checker.ObserveLog(NodeId{1}, full->raft->log(), Index{1});
  checker.ObserveLog(NodeId{2}, RaftLog(compacted), Index{1});
  EXPECT_TRUE(Fired(checker, "log matching"));
}

// ---------------------------------------------------------------------------
// Monotonicity: commit and applied never go backwards within an incarnation.

const std::vector<Entry> kThreeEntries = {Normal(1, 1, "a"), Normal(2, 1, "b"), Normal(3, 1, "c")};

TEST(InvariantMonotonicity, CommitGoingBackwardsWithinAnIncarnationFires) {
  auto high = MakeNode(1, kThreeEntries, AtTerm(1, 3));
  auto low = MakeNode(1, kThreeEntries, AtTerm(1, 1));
  ASSERT_EQ(high->raft->log().committed(), Index{3});
  ASSERT_EQ(low->raft->log().committed(), Index{1});

  InvariantChecker checker;
  checker.ObserveNode(NodeId{1}, 7, *high->raft);
  EXPECT_TRUE(Healthy(checker));
  checker.ObserveNode(NodeId{1}, 7, *low->raft);
  EXPECT_TRUE(Fired(checker, "commit index went backwards"));
}

TEST(InvariantMonotonicity, CommitMovingForwardOrResetByARestartDoesNotFire) {
  auto high = MakeNode(1, kThreeEntries, AtTerm(1, 3));
  auto low = MakeNode(1, kThreeEntries, AtTerm(1, 1));

  InvariantChecker checker;
  checker.ObserveNode(NodeId{1}, 7, *low->raft);
  checker.ObserveNode(NodeId{1}, 7, *high->raft);  // forward
  checker.ObserveNode(NodeId{1}, 8, *low->raft);   // a restart may recover less
  // Another node's commit is its own business.
  checker.ObserveNode(NodeId{2}, 8, *low->raft);
  EXPECT_TRUE(Healthy(checker));
}

TEST(InvariantMonotonicity, AppliedGoingBackwardsWithinAnIncarnationFires) {
  auto high = MakeNode(1, kThreeEntries, AtTerm(1, 3), Index{3});
  auto low = MakeNode(1, kThreeEntries, AtTerm(1, 3), Index{1});
  ASSERT_EQ(high->raft->log().applied(), Index{3});
  ASSERT_EQ(low->raft->log().applied(), Index{1});

  InvariantChecker checker;
  checker.ObserveNode(NodeId{1}, 7, *high->raft);
  checker.ObserveNode(NodeId{1}, 8, *low->raft);  // restart: fine
  EXPECT_TRUE(Healthy(checker));
  checker.ObserveNode(NodeId{1}, 8, *high->raft);
  checker.ObserveNode(NodeId{1}, 8, *low->raft);  // same incarnation: not fine
  EXPECT_TRUE(Fired(checker, "applied index went backwards"));
}

// ---------------------------------------------------------------------------
// Leader Completeness: a new leader holds every entry applied anywhere.

TEST(InvariantLeaderCompleteness, LeaderWithADifferentTermAtAnAppliedIndexFires) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "x"));
  // Node 2 never got entry 1 of term 1; it wins term 2 and puts its no-op there.
  auto leader = MakeNode(2, {}, AtTerm(1));
  ElectAlone(*leader);
  ASSERT_EQ(leader->raft->log().TermOrZero(Index{1}), Term{2});

  checker.ObserveNode(NodeId{2}, 0, *leader->raft);
  EXPECT_TRUE(Fired(checker, "leader completeness"));
}

TEST(InvariantLeaderCompleteness, LeaderWhoseLogIsTooShortFires) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "x"));
  checker.ObserveApply(NodeId{1}, Normal(2, 1, "y"));
  checker.ObserveApply(NodeId{1}, Normal(3, 1, "z"));
  // Holds 1 and 2 but not 3; its own no-op lands at 3 in term 2.
  auto leader = MakeNode(2, {Normal(1, 1, "x"), Normal(2, 1, "y")}, AtTerm(1));
  ElectAlone(*leader);

  checker.ObserveNode(NodeId{2}, 0, *leader->raft);
  ASSERT_TRUE(Fired(checker, "leader completeness"));
  EXPECT_NE(checker.violation().find("i3"), std::string::npos) << checker.violation();
}

// The leader has an entry of the right term at the applied index, but not the
// applied one. Only a Log Matching violation elsewhere could produce this,
// and the checker must not assume the property it is there to check: nobody
// else's log has been observed here, only the apply.
TEST(InvariantLeaderCompleteness, LeaderWithOtherDataUnderTheAppliedIndexAndTermFires) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "x"));
  auto leader = MakeNode(2, {Normal(1, 1, "y")}, AtTerm(1));
  ElectAlone(*leader);
  ASSERT_EQ(leader->raft->log().TermOrZero(Index{1}), Term{1});

  checker.ObserveNode(NodeId{2}, 0, *leader->raft);
  EXPECT_TRUE(Fired(checker, "leader completeness"));
}

// A leader elected late in an older term (a slow vote grant) may lack what
// a newer term's leader committed: it cannot commit anything itself.
TEST(InvariantLeaderCompleteness, LeaderOfAnOlderTermThanTheCommitDoesNotFire) {
  InvariantChecker checker;
  // Node 1 leads term 4 with index 1 committed.
  auto newer = MakeNode(1, {Normal(1, 3, "x")}, AtTerm(3, 1));
  ElectAlone(*newer);
  ASSERT_EQ(newer->raft->term(), Term{4});
  ASSERT_EQ(newer->raft->log().committed(), Index{1});
  checker.ObserveNode(NodeId{1}, 0, *newer->raft);
  checker.ObserveApply(NodeId{1}, Normal(1, 3, "x"));
  // Node 2 becomes leader of term 2 afterwards, without that entry.
  auto older = MakeNode(2, {}, AtTerm(1));
  ElectAlone(*older);
  ASSERT_EQ(older->raft->term(), Term{2});
  checker.ObserveNode(NodeId{2}, 0, *older->raft);
  EXPECT_TRUE(Healthy(checker)) << checker.violation();
}

TEST(InvariantLeaderCompleteness, LeaderHoldingEveryAppliedEntryDoesNotFire) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "x"));
  checker.ObserveApply(NodeId{1}, Normal(2, 1, "y"));
  auto leader = MakeNode(2, {Normal(1, 1, "x"), Normal(2, 1, "y")}, AtTerm(1));
  ElectAlone(*leader);

  checker.ObserveNode(NodeId{2}, 0, *leader->raft);
  EXPECT_TRUE(Healthy(checker));
}

TEST(InvariantLeaderCompleteness, LaggingFollowerDoesNotFire) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "x"));
  auto follower = MakeNode(2);  // empty log: it just has not caught up
  checker.ObserveNode(NodeId{2}, 0, *follower->raft);
  EXPECT_TRUE(Healthy(checker));
}

TEST(InvariantLeaderCompleteness, LeaderWithTheAppliedPrefixCompactedDoesNotFire) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "x"));
  checker.ObserveApply(NodeId{1}, Normal(2, 1, "y"));
  auto leader = MakeNode(2, {Normal(1, 1, "x"), Normal(2, 1, "y")}, AtTerm(1, 2));
  ASSERT_TRUE(leader->storage.CreateSnapshot(Index{2}, "image").ok());
  leader->raft = nullptr;  // rebuild over the compacted storage
  Config config;
  config.id = NodeId{2};
  config.voters = {NodeId{2}};
  leader->raft = std::make_unique<Raft>(config, leader->storage, std::make_unique<SplitMix64>(2));
  ASSERT_EQ(leader->raft->log().FirstIndex(), Index{3});
  ElectAlone(*leader);

  checker.ObserveNode(NodeId{2}, 0, *leader->raft);
  EXPECT_TRUE(Healthy(checker));
}

// ---------------------------------------------------------------------------
// Reporting

TEST(InvariantReporting, TheFirstViolationIsKept) {
  InvariantChecker checker;
  checker.ObserveApply(NodeId{1}, Normal(1, 1, "x"));
  checker.ObserveApply(NodeId{2}, Normal(1, 1, "y"));
  ASSERT_TRUE(Fired(checker, "state machine safety"));
  auto a = MakeNode(1);
  auto b = MakeNode(2);
  ElectAlone(*a);
  ElectAlone(*b);
  checker.ObserveNode(NodeId{1}, 0, *a->raft);
  checker.ObserveNode(NodeId{2}, 0, *b->raft);
  EXPECT_TRUE(Fired(checker, "state machine safety"));
}

}  // namespace
}  // namespace raft::sim
