// ReadIndex reads (Raft thesis section 6.4): a linearizable read is served
// at the leader's commit index once (1) the leader has committed an entry of
// its own term, so that index is at least every earlier leader's, and (2) a
// quorum has answered a heartbeat sent after the read arrived, so it was
// still the leader at that moment.
#include <gtest/gtest.h>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

bool IsReadRound(const Message& m) { return m.type == MessageType::kHeartbeat && m.context != 0; }

TEST(ReadIndex, OnFollowerOrCandidateReturnsNotLeader) {
  TestCluster c(3, ClusterOptions{.pre_vote = false});
  c.ElectLeader(1);
  Status s = c.node(2).ReadIndex(1);
  EXPECT_EQ(s.code(), StatusCode::kNotLeader);
  c.Isolate(3);
  c.Campaign(3);
  ASSERT_EQ(c.raft(3).role(), Role::kCandidate);
  s = c.node(3).ReadIndex(2);
  EXPECT_EQ(s.code(), StatusCode::kNotLeader);
  c.Stabilize();
  EXPECT_TRUE(c.peer(2).reads.empty());
  EXPECT_TRUE(c.peer(3).reads.empty());
}

// Step 1 of the thesis: until the new leader's no-op commits, its commit
// index may be behind what an earlier leader committed, so the read waits
// (no read round is started) and is served at the no-op's index after.
TEST(ReadIndex, NewLeaderDefersReadUntilItsNoopCommits) {
  TestCluster c(3);
  for (uint64_t id : c.ids()) {
    c.SetDurable(id, Log({1, 1}), HardState{.term = Term{1}, .commit = Index{2}});
  }
  c.drop_filter = [](const Message& m) { return m.type == MessageType::kAppendResp; };
  c.ElectLeader(1);
  ASSERT_EQ(c.raft(1).term(), Term{2});
  ASSERT_EQ(c.raft(1).log().committed(), Index{2}) << "the no-op at 3 is not committed";

  ASSERT_TRUE(c.node(1).ReadIndex(7).ok());
  for (const Message& m : c.TakeQueued()) EXPECT_FALSE(IsReadRound(m));
  for (int i = 0; i < 5; i++) {  // heartbeats go round; the no-op acks are lost
    c.Tick(1);
    c.Stabilize();
  }
  EXPECT_TRUE(c.peer(1).reads.empty()) << "served a read before the no-op committed";

  c.Heal();
  c.Tick(1);
  c.Stabilize();
  ASSERT_EQ(c.raft(1).log().committed(), Index{3});
  ASSERT_EQ(c.peer(1).reads.size(), 1u);
  EXPECT_EQ(c.peer(1).reads[0], (ReadState{7, Index{3}}));
}

// Step 2: a quorum must acknowledge a heartbeat sent after the read. With
// five nodes the leader plus two answers confirm it; one is not enough.
TEST(ReadIndex, ConfirmedOnlyByQuorumOfHeartbeatsSentAfterTheRead) {
  TestCluster c(5);
  c.ElectLeader(1);
  c.Tick(1);  // a heartbeat round sent BEFORE the read
  std::vector<Message> before = c.TakeQueued();
  ASSERT_EQ(before.size(), 4u);

  ASSERT_TRUE(c.node(1).ReadIndex(42).ok());
  std::vector<Message> round = c.TakeQueued();
  ASSERT_EQ(round.size(), 4u);
  for (const Message& m : round) EXPECT_TRUE(IsReadRound(m));

  // All four answers to the earlier heartbeat prove nothing about the read.
  for (const Message& m : before) c.Deliver(m);
  c.DeliverIf([](const Message& m) { return m.type == MessageType::kHeartbeatResp; });
  EXPECT_TRUE(c.peer(1).reads.empty());

  auto answer = [&](size_t i) {
    c.Deliver(round[i]);
    c.DeliverIf([](const Message& m) { return m.type == MessageType::kHeartbeatResp; });
  };
  answer(0);
  EXPECT_TRUE(c.peer(1).reads.empty()) << "2 of 5";
  answer(0);  // a duplicate answer from the same node counts once
  EXPECT_TRUE(c.peer(1).reads.empty()) << "still 2 of 5";
  answer(1);
  ASSERT_EQ(c.peer(1).reads.size(), 1u) << "3 of 5";
  EXPECT_EQ(c.peer(1).reads[0], (ReadState{42, Index{1}}));
  answer(2);
  EXPECT_EQ(c.peer(1).reads.size(), 1u) << "confirmed once";
}

// The read index is the commit index when the read arrived, not when it
// was confirmed; reads confirmed together keep their order.
TEST(ReadIndex, ServedAtCommitIndexOfArrivalAndInOrder) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.node(1).ReadIndex(1).ok());
  ASSERT_TRUE(c.Propose(1, "x").ok());
  ASSERT_TRUE(c.node(1).ReadIndex(2).ok());
  c.Stabilize();
  ASSERT_EQ(c.raft(1).log().committed(), Index{2});
  ASSERT_TRUE(c.node(1).ReadIndex(3).ok());
  c.Stabilize();
  ASSERT_EQ(c.peer(1).reads.size(), 3u);
  EXPECT_EQ(c.peer(1).reads[0], (ReadState{1, Index{1}}));
  EXPECT_EQ(c.peer(1).reads[1], (ReadState{2, Index{1}}));
  EXPECT_EQ(c.peer(1).reads[2], (ReadState{3, Index{2}}));
}

// One read round in flight at a time: reads arriving meanwhile wait and
// go out together as the next round once it is confirmed, so the heartbeat
// round costs less per read under load.
TEST(ReadIndex, ReadsArrivingWhileARoundIsInFlightGoTogetherInTheNext) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.node(1).ReadIndex(1).ok());
  const std::vector<Message> first = c.TakeQueued();
  ASSERT_EQ(first.size(), 2u);
  for (const Message& m : first) EXPECT_TRUE(IsReadRound(m));
  ASSERT_TRUE(c.node(1).ReadIndex(2).ok());
  ASSERT_TRUE(c.node(1).ReadIndex(3).ok());
  EXPECT_TRUE(c.TakeQueued().empty()) << "a second round while the first is in flight";

  c.Deliver(first[0]);  // one answer: with the leader, a quorum of three
  c.DeliverIf([](const Message& m) { return m.type == MessageType::kHeartbeatResp; });
  ASSERT_EQ(c.peer(1).reads.size(), 1u);
  const std::vector<Message> second = c.TakeQueued();
  ASSERT_EQ(second.size(), 2u) << "the waiting reads go out as one round";
  for (const Message& m : second) {
    EXPECT_TRUE(IsReadRound(m));
    EXPECT_GT(m.context, first[0].context);
  }
  c.Deliver(second[1]);
  c.DeliverIf([](const Message& m) { return m.type == MessageType::kHeartbeatResp; });
  ASSERT_EQ(c.peer(1).reads.size(), 3u);
  EXPECT_EQ(c.peer(1).reads[1].request_id, 2u);
  EXPECT_EQ(c.peer(1).reads[2].request_id, 3u);
}

// A round whose heartbeats are lost is not stuck: the next periodic
// heartbeat carries the newest round, which confirms every read before it.
TEST(ReadIndex, LostRoundIsResentByThePeriodicHeartbeat) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.node(1).ReadIndex(1).ok());
  ASSERT_EQ(c.TakeQueued().size(), 2u);  // lost
  ASSERT_TRUE(c.node(1).ReadIndex(2).ok());
  EXPECT_TRUE(c.TakeQueued().empty());
  c.Tick(1);  // heartbeat_ticks = 1
  c.Stabilize();
  ASSERT_EQ(c.peer(1).reads.size(), 2u);
  EXPECT_EQ(c.peer(1).reads[0].request_id, 1u);
  EXPECT_EQ(c.peer(1).reads[1].request_id, 2u);
}

// The safety point of ReadIndex: a leader cut off from the majority, which
// meanwhile elects a new leader and commits a write, never confirms a read
// (serving it would return the value from before that write).
TEST(ReadIndex, LeaderPartitionedFromMajorityNeverConfirmsRead) {
  for (bool check_quorum : {true, false}) {
    SCOPED_TRACE(check_quorum ? "check_quorum" : "no check_quorum");
    TestCluster c(3, ClusterOptions{.check_quorum = check_quorum});
    c.ElectLeader(1);
    c.Isolate(1);
    ASSERT_TRUE(c.node(1).ReadIndex(9).ok()) << "it still believes it leads";
    // The majority moves on and commits a write the old leader lacks.
    uint64_t new_leader = 0;
    for (int i = 0; i < 100 && new_leader == 0; i++) {
      c.TickAll();
      c.Stabilize();
      if (c.raft(2).role() == Role::kLeader) new_leader = 2;
      if (c.raft(3).role() == Role::kLeader) new_leader = 3;
    }
    ASSERT_NE(new_leader, 0u);
    ASSERT_TRUE(c.Propose(new_leader, "newer").ok());
    c.Stabilize();
    for (int i = 0; i < 30; i++) {
      c.TickAll();
      c.Stabilize();
      ASSERT_TRUE(c.peer(1).reads.empty()) << "stale read confirmed while partitioned";
    }
    if (check_quorum) {
      EXPECT_NE(c.raft(1).role(), Role::kLeader) << "CheckQuorum deposed it";
    } else {
      EXPECT_EQ(c.raft(1).role(), Role::kLeader) << "without CheckQuorum it never learns";
    }
    // Healing does not resurrect it either.
    c.Heal();
    for (int i = 0; i < 30; i++) {
      c.TickAll();
      c.Stabilize();
    }
    EXPECT_TRUE(c.peer(1).reads.empty());
    EXPECT_EQ(c.raft(1).role(), Role::kFollower);
    EXPECT_EQ(c.LogOf(1), c.LogOf(new_leader));
  }
}

// A leader that loses leadership with reads in flight drops them; answers
// to its old read heartbeats that arrive later confirm nothing.
TEST(ReadIndex, PendingReadsAreDroppedWhenLeaderStepsDown) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.node(1).ReadIndex(5).ok());
  std::vector<Message> round = c.TakeQueued();
  ASSERT_EQ(round.size(), 2u);
  // A newer term reaches the leader before any answer.
  c.Deliver(MakeAppend(2, 1, 3, 0, 0));
  ASSERT_EQ(c.raft(1).role(), Role::kFollower);
  (void)c.TakeQueued();
  for (const Message& m : round) c.Deliver(m);
  c.Stabilize();
  EXPECT_TRUE(c.peer(1).reads.empty());
}

TEST(ReadIndex, SingleNodeServesReadOnceItsNoopCommits) {
  TestCluster c(1);
  c.node(1).Campaign();  // leader at once; its no-op is not durable yet
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  ASSERT_EQ(c.raft(1).log().committed(), Index{0});
  ASSERT_TRUE(c.node(1).ReadIndex(3).ok());
  ASSERT_TRUE(c.node(1).mutable_raft().TakeReadStates().empty());
  c.ProcessReadies();  // persist -> OnStable -> commit -> read released
  ASSERT_EQ(c.peer(1).reads.size(), 1u);
  EXPECT_EQ(c.peer(1).reads[0], (ReadState{3, Index{1}}));
}

}  // namespace
}  // namespace raft::testing
