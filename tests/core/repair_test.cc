// Repair (raft.h, "Repair"): a node whose storage lost entries it had
// acknowledged neither votes nor counts toward any quorum until a leader
// has restored everything committed.
//
// The damage is modelled as the storage layer reports it: the node restarts
// from a shorter durable log, with its term and vote kept and a repair
// target (InitialState::repair_target).
#include <gtest/gtest.h>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

// Node id restarts from the first `keep` entries of its log, repairing up
// to the index it had before plus beyond (a target the leader's log has not
// reached yet keeps the node repairing).
void LoseLogTail(TestCluster& c, uint64_t id, uint64_t keep, uint64_t beyond = 0) {
  const std::vector<Entry> log = c.LogOf(id);
  const Index had = (log.empty() ? Index{} : log.back().index) + beyond;
  const HardState hs = c.raft(id).GetHardState();
  const std::vector<Entry> kept(log.begin(), log.begin() + static_cast<long>(keep));
  c.SetDurable(id, kept,
               HardState{hs.term, hs.vote, Index{std::min<uint64_t>(keep, hs.commit.value)}});
  c.peer(id).storage.SetRepairTarget(had);
  c.Restart(id);
  ASSERT_TRUE(c.raft(id).repairing());
}

std::vector<Message> Sent(TestCluster& c, uint64_t from) {
  std::vector<Message> out;
  for (const Message& m : c.queue()) {
    if (m.from == NodeId{from}) out.push_back(m);
  }
  return out;
}

// The scenario that makes repair necessary: entry x is committed by nodes 1
// and 3 only; node 3 then loses it and node 1 goes down. Node 2, which never
// had x, asks node 3 for its vote. Granting it would elect a leader without
// a committed entry.
TEST(Repair, NodeThatLostACommittedEntryDoesNotElectALeaderWithoutIt) {
  TestCluster c(3);
  c.ElectLeader(1);
  c.Isolate(2);
  ASSERT_TRUE(c.Propose(1, "x").ok());
  c.Stabilize();
  const Index x = c.raft(1).log().LastIndex();
  ASSERT_EQ(c.raft(1).log().committed(), x);
  ASSERT_EQ(c.raft(3).log().LastIndex(), x);

  LoseLogTail(c, 3, x.value - 1);
  c.Isolate(1);
  c.Heal();
  c.Isolate(1);
  SafetyChecker safety;
  for (int round = 0; round < 200; round++) {
    c.TickAll();
    c.Stabilize();
    ASSERT_EQ(safety.Check(c), "");
    ASSERT_NE(c.raft(2).role(), Role::kLeader) << "node 2 lacks committed entry " << x.value;
    ASSERT_NE(c.raft(3).role(), Role::kLeader) << "a repairing node never campaigns";
  }
  EXPECT_TRUE(c.raft(3).repairing());
}

TEST(Repair, RepairingNodeRefusesVotesAndPreVotesAndNeverCampaigns) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.Propose(1, "a").ok());
  c.Stabilize();
  LoseLogTail(c, 3, 1);
  const Term term = c.raft(3).term();
  c.Isolate(3);
  c.Tick(3, 100);
  c.Stabilize();
  EXPECT_EQ(c.raft(3).role(), Role::kFollower);
  EXPECT_EQ(c.raft(3).term(), term) << "no election was started";
  EXPECT_TRUE(Sent(c, 3).empty());
  c.Heal();

  const uint64_t last = c.raft(1).log().LastIndex().value;
  for (MessageType type : {MessageType::kPreVote, MessageType::kVote}) {
    c.Deliver(MakeVote(type, 2, 3, term.value + 1, last + 10, term.value + 1));
    std::vector<Message> out = c.TakeQueued();
    std::vector<Message> answers = OfType(
        out, type == MessageType::kVote ? MessageType::kVoteResp : MessageType::kPreVoteResp);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_TRUE(answers[0].reject) << MessageTypeName(type);
    EXPECT_TRUE(answers[0].repairing);
  }
  EXPECT_TRUE(c.raft(3).vote().IsNone() || c.raft(3).vote() != NodeId{2});

  c.Deliver(Message{.type = MessageType::kTimeoutNow,
                    .from = NodeId{1},
                    .to = NodeId{3},
                    .term = c.raft(3).term()});
  EXPECT_EQ(c.raft(3).role(), Role::kFollower) << "TimeoutNow does not make it campaign";
}

// With one healthy follower down, a leader and a repairing follower are two
// of three nodes but not a quorum: nothing commits, no read is confirmed,
// and check-quorum steps the leader down.
TEST(Repair, RepairingFollowerCountsTowardNoQuorum) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.Propose(1, "a").ok());
  c.Stabilize();
  LoseLogTail(c, 3, 1, /*beyond=*/100);
  c.Isolate(2);
  const Index committed = c.raft(1).log().committed();
  ASSERT_TRUE(c.Propose(1, "b").ok());
  c.Stabilize();
  EXPECT_EQ(c.raft(3).log().LastIndex(), c.raft(1).log().LastIndex())
      << "the repairing follower is replicated to";
  EXPECT_TRUE(c.raft(3).repairing());
  EXPECT_EQ(c.raft(1).log().committed(), committed) << "its acknowledgement counted";
  EXPECT_TRUE(c.raft(1).progress().at(NodeId{3}).repairing());

  ASSERT_TRUE(c.node(1).ReadIndex(7).ok());
  c.Stabilize();
  EXPECT_TRUE(c.peer(1).reads.empty()) << "its heartbeat answer confirmed a read";

  for (int i = 0; i < 3 && c.raft(1).role() == Role::kLeader; i++) {
    c.Tick(1, 10);
    c.Stabilize();
  }
  EXPECT_NE(c.raft(1).role(), Role::kLeader) << "check-quorum counted it as active";
}

TEST(Repair, FinishesOnceTheLeaderCommittedInItsTermAndThenCountsAgain) {
  TestCluster c(3);
  c.ElectLeader(1);
  for (int i = 0; i < 5; i++) ASSERT_TRUE(c.Propose(1, "v" + std::to_string(i)).ok());
  c.Stabilize();
  const Index had = c.raft(3).log().LastIndex();
  LoseLogTail(c, 3, 2);
  int repaired_readies = 0;
  c.ready_observer = [&](uint64_t id, const Ready& rd) {
    if (id != 3 || !rd.repaired) return;
    repaired_readies++;
    // Durable before any answer that counts again: the same Ready persists it.
    for (const Message& m : rd.messages) EXPECT_FALSE(m.repairing);
  };
  c.TickAll();
  c.Stabilize();
  EXPECT_FALSE(c.raft(3).repairing());
  EXPECT_EQ(repaired_readies, 1);
  EXPECT_FALSE(c.peer(3).storage.GetInitialState().repair_target.has_value());
  EXPECT_GE(c.raft(3).log().LastIndex(), had);
  EXPECT_EQ(c.LogOf(3), c.LogOf(1));
  EXPECT_FALSE(c.raft(1).progress().at(NodeId{3}).repairing());

  // Now node 3 counts: with node 2 down, 1 and 3 commit.
  c.Isolate(2);
  ASSERT_TRUE(c.Propose(1, "after").ok());
  c.Stabilize();
  EXPECT_EQ(c.raft(1).log().committed(), c.raft(1).log().LastIndex());
}

// A node that lost its vote with its log (term kept from elsewhere, vote
// empty) records one for the leader that repaired it, so it cannot grant a
// second vote in that term to another candidate.
TEST(Repair, RepairedNodeWithoutAVoteRecordsOneForItsLeader) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.Propose(1, "a").ok());
  c.Stabilize();
  const Term term = c.raft(3).term();
  const Index had = c.raft(3).log().LastIndex();
  c.SetDurable(3, {}, HardState{term, kNoNode, Index{}});
  c.peer(3).storage.SetRepairTarget(had);
  c.Restart(3);
  c.TickAll();
  c.Stabilize();
  ASSERT_FALSE(c.raft(3).repairing());
  EXPECT_EQ(c.raft(3).vote(), NodeId{1});
  EXPECT_EQ(c.peer(3).storage.GetInitialState().hard_state.vote, NodeId{1});
  c.Restart(3);  // leader unknown again after a restart
  c.Deliver(MakeVote(MessageType::kVote, 2, 3, term.value, had.value + 5, term.value));
  std::vector<Message> answers = OfType(c.TakeQueued(), MessageType::kVoteResp);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0].reject) << "a second vote in term " << term.value;
}

// A repairing node may hold an older entry at an index the leader saw it
// match (the simulator's seed 204998: a dropped segment took the newer
// entry, the kept prefix still had the overwritten one). A heartbeat's
// commit index assumes the leader's match, so it must not commit that.
TEST(Repair, HeartbeatDoesNotAdvanceARepairingNodesCommitIndex) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.Propose(1, "a").ok());
  c.Stabilize();
  const Term term = c.raft(3).term();
  const Index committed = c.raft(3).log().committed();
  // Node 3 keeps a log whose last entry is of an older term than the
  // leader's at that index, and a commit index below it.
  std::vector<Entry> log = c.LogOf(3);
  log.back().term = Term{term.value == 1 ? 1 : term.value - 1};
  log.back().data = "overwritten";
  c.SetDurable(3, log, HardState{term, NodeId{1}, committed.Prev()});
  c.peer(3).storage.SetRepairTarget(Index{100});
  c.Restart(3);
  c.Deliver(MakeHeartbeat(1, 3, term.value, committed.value));
  EXPECT_EQ(c.raft(3).log().committed(), committed.Prev());
  EXPECT_TRUE(c.peer(3).applied.empty() || c.peer(3).applied.back().index < committed);
}

// A repairing node's term, kept from before the damage, may be ahead of the
// leader's (it stood in an election that failed). It never campaigns, so
// unless it tells the stale leader its term, nothing ever moves the
// cluster to a term it can follow (the simulator's seed 1000546, with
// PreVote and CheckQuorum off).
TEST(Repair, RepairingNodeTellsALeaderOfAnOlderTermItsTerm) {
  TestCluster c(3, ClusterOptions{.pre_vote = false, .check_quorum = false});
  c.ElectLeader(1);
  ASSERT_TRUE(c.Propose(1, "a").ok());
  c.Stabilize();
  const Term term = c.raft(1).term();
  c.SetDurable(3, c.LogOf(3), HardState{term.Next(), NodeId{3}, Index{}});
  c.peer(3).storage.SetRepairTarget(Index{100});
  c.Restart(3);
  c.Deliver(MakeHeartbeat(1, 3, term.value));
  std::vector<Message> answers = OfType(c.TakeQueued(), MessageType::kAppendResp);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].term, term.Next());
  c.Deliver(answers[0]);
  EXPECT_NE(c.raft(1).role(), Role::kLeader) << "the stale leader steps down";
}

// The leader of an older term cannot finish a repair: the node keeps its
// (newer) term and ignores it.
TEST(Repair, AppendFromAnOlderTermDoesNotFinishTheRepair) {
  TestCluster c(3, ClusterOptions{.pre_vote = false, .check_quorum = false});
  c.ElectLeader(1);
  ASSERT_TRUE(c.Propose(1, "a").ok());
  c.Stabilize();
  const std::vector<Entry> old_log = c.LogOf(1);
  const Term old_term = c.raft(1).term();
  c.ElectLeader(2);
  const Term term = c.raft(3).term();
  ASSERT_GT(term, old_term);
  LoseLogTail(c, 3, 0);
  c.Deliver(MakeAppend(1, 3, old_term.value, 0, 0, old_log, old_log.back().index.value));
  EXPECT_TRUE(c.raft(3).repairing());
  EXPECT_EQ(c.raft(3).term(), term);
}

}  // namespace
}  // namespace raft::testing
