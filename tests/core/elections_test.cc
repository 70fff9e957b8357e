// Leader election: randomized timeouts (section 5.2), PreVote and
// CheckQuorum (thesis section 9.6), the leader lease on vote requests.
//
// Everything is driven by ticks and message delivery; the only randomness is
// the per-node seeded Rng of TestCluster, so each test replays exactly.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

// Ticks every node once and delivers until quiet, up to rounds_max times or
// until some node leads. Returns the rounds taken.
int TickUntilLeader(TestCluster& c, int rounds_max, SafetyChecker* safety = nullptr) {
  for (int round = 1; round <= rounds_max; round++) {
    c.TickAll();
    c.Stabilize();
    if (safety != nullptr) {
      EXPECT_EQ(safety->Check(c), "");
    }
    if (c.Leader() != 0) return round;
  }
  return rounds_max + 1;
}

size_t LeaderCount(TestCluster& c) {
  size_t n = 0;
  for (uint64_t id : c.ids()) n += c.raft(id).role() == Role::kLeader ? 1 : 0;
  return n;
}

// Section 5.2: "Raft uses randomized election timeouts to ensure that split
// votes are rare and that they are resolved quickly." Two candidates split a
// four-node cluster (each gets one vote besides its own); the node whose
// randomized timeout expires first then wins the next term alone.
TEST(Elections, SplitVoteIsResolvedByRandomizedTimeouts) {
  int exact_checks = 0;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TestCluster c(4, ClusterOptions{.seed = seed});
    // Node 3 hears only node 1's campaign, node 4 only node 2's.
    c.Cut(1, 4);
    c.Cut(2, 3);
    c.Campaign(1);
    c.Campaign(2);
    c.Stabilize();
    ASSERT_EQ(c.raft(1).role(), Role::kCandidate);
    ASSERT_EQ(c.raft(2).role(), Role::kCandidate);
    ASSERT_EQ(c.raft(1).term(), Term{1});
    ASSERT_EQ(c.raft(2).term(), Term{1});
    ASSERT_EQ(c.raft(3).vote(), NodeId{1});
    ASSERT_EQ(c.raft(4).vote(), NodeId{2});
    ASSERT_EQ(c.Leader(), 0u) << "2 of 4 votes is no majority";
    c.Heal();

    // No tick has happened yet, so every node's timer stands at zero and the
    // smallest randomized timeout fires first.
    std::vector<int> timeouts;
    for (uint64_t id : c.ids()) timeouts.push_back(c.raft(id).randomized_election_ticks());
    const int first = *std::min_element(timeouts.begin(), timeouts.end());
    const bool unique = std::count(timeouts.begin(), timeouts.end(), first) == 1;
    SafetyChecker safety;
    const int rounds = TickUntilLeader(c, 100, &safety);
    ASSERT_LE(rounds, 100) << "no leader after 100 ticks";
    EXPECT_EQ(LeaderCount(c), 1u);
    if (unique) {
      const uint64_t expected =
          1 + static_cast<uint64_t>(std::find(timeouts.begin(), timeouts.end(), first) -
                                    timeouts.begin());
      EXPECT_EQ(rounds, first);
      EXPECT_EQ(c.Leader(), expected);
      EXPECT_EQ(c.raft(expected).term(), Term{2});
      exact_checks++;
    }
  }
  EXPECT_GE(exact_checks, 10) << "too few seeds had a unique first timeout";
}

// "election timeouts are chosen randomly from a fixed interval": here
// [election_ticks, 2 * election_ticks), redrawn whenever the node resets.
TEST(Elections, RandomizedTimeoutLiesInElectionTicksToTwiceElectionTicks) {
  for (int election_ticks : {10, 5}) {
    SCOPED_TRACE("election_ticks " + std::to_string(election_ticks));
    TestCluster c(3, ClusterOptions{.election_ticks = election_ticks});
    std::vector<int> seen(2 * election_ticks + 1, 0);
    for (uint64_t term = 1; term <= 1000; term++) {
      c.Deliver(MakeHeartbeat(2, 1, term));  // each new term resets the timer
      const int timeout = c.raft(1).randomized_election_ticks();
      ASSERT_GE(timeout, election_ticks);
      ASSERT_LT(timeout, 2 * election_ticks);
      seen[timeout]++;
    }
    for (int t = election_ticks; t < 2 * election_ticks; t++) {
      EXPECT_GT(seen[t], 0) << "timeout " << t << " never drawn";
    }
  }
}

// Liveness over many seeds: a fresh five-node cluster elects exactly one
// leader within a few election timeouts, by ticks alone.
TEST(Elections, FreshClusterElectsOneLeaderWithinBoundedTicks) {
  for (uint64_t seed = 1; seed <= 30; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TestCluster c(5, ClusterOptions{.seed = seed});
    SafetyChecker safety;
    const int rounds = TickUntilLeader(c, 60, &safety);
    EXPECT_LE(rounds, 60);
    EXPECT_EQ(LeaderCount(c), 1u);
    const uint64_t leader = c.Leader();
    for (uint64_t id : c.ids()) EXPECT_EQ(c.raft(id).leader(), NodeId{leader}) << "node " << id;
  }
}

// Runs the disruptive-server scenario: a leader with one follower cut off;
// the cut-off node ticks for a long time while the leader commits an entry
// it misses; then the partition heals. Returns the cut-off node's term just
// before healing.
Term PartitionTickAndHeal(TestCluster& c) {
  c.ElectLeader(1);
  c.Isolate(3);
  for (int i = 0; i < 100; i++) {
    c.TickAll();
    c.Stabilize();
  }
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_TRUE(c.Propose(1, "while 3 is away").ok());
  c.Stabilize();
  const Term isolated_term = c.raft(3).term();
  c.Heal();
  for (int i = 0; i < 50; i++) {
    c.TickAll();
    c.Stabilize();
  }
  return isolated_term;
}

// PreVote (thesis 9.6): a partitioned node cannot win a pre-election, so it
// never increases its term and, on rejoining, does not depose the leader.
TEST(Elections, PreVotePartitionedNodeDoesNotDisruptLeaderOnRejoin) {
  TestCluster c(3);
  const Term isolated_term = PartitionTickAndHeal(c);
  EXPECT_EQ(isolated_term, Term{1}) << "ticking alone bumped the term";
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(1).term(), Term{1});
  EXPECT_EQ(c.raft(3).role(), Role::kFollower);
  EXPECT_EQ(c.raft(3).leader(), NodeId{1});
  EXPECT_EQ(c.LogOf(3), c.LogOf(1)) << "and it caught up";
}

// The contrast that shows the test above can fail: the same scenario
// without PreVote (and without CheckQuorum) bumps the isolated node's term on
// every timeout, and rejoining deposes the leader.
TEST(Elections, WithoutPreVotePartitionedNodeDisruptsLeaderOnRejoin) {
  TestCluster c(3, ClusterOptions{.pre_vote = false, .check_quorum = false});
  const Term isolated_term = PartitionTickAndHeal(c);
  EXPECT_GT(isolated_term, Term{3});
  EXPECT_GE(c.raft(1).term(), isolated_term) << "the leader's term was bumped";
  EXPECT_EQ(LeaderCount(c), 1u);
  EXPECT_NE(c.raft(3).role(), Role::kLeader) << "its log is behind: it cannot win";
  EXPECT_EQ(c.LogOf(3), c.LogOf(c.Leader()));
}

// However long it pre-campaigns in vain, a partitioned pre-candidate keeps
// its term and vote, in memory and in its durable HardState.
TEST(Elections, PreCandidateTermUnchangedWhilePartitioned) {
  TestCluster c(3);
  c.ElectLeader(1);
  c.Isolate(3);
  for (int i = 0; i < 200; i++) c.Tick(3);
  EXPECT_EQ(c.raft(3).role(), Role::kPreCandidate);
  EXPECT_EQ(c.raft(3).term(), Term{1});
  EXPECT_EQ(c.raft(3).vote(), NodeId{1}) << "a pre-election leaves the vote alone";
  EXPECT_EQ(c.peer(3).storage.GetInitialState().hard_state.term, Term{1});
}

// A pre-vote asks "would you vote for me in term T+1?" without changing
// anyone's term or vote: neither the request nor a granted answer moves the
// receiver's term, and the grant echoes the asked-for term.
TEST(Elections, PreVoteChangesNoTermAndNoVote) {
  TestCluster c(5);
  c.SetDurable(1, Log({1}), HardState{.term = Term{1}, .vote = NodeId{2}});
  c.Deliver(MakeVote(MessageType::kPreVote, 3, 1, 5, 1, 1));
  EXPECT_EQ(c.raft(1).term(), Term{1});
  EXPECT_EQ(c.raft(1).vote(), NodeId{2});
  std::vector<Message> out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kPreVoteResp);
  EXPECT_FALSE(out[0].reject) << "a vote cast in term 1 does not bind term 5";
  EXPECT_EQ(out[0].term, Term{5});
  // A granted answer carries the future term but does not move the
  // pre-candidate's term; winning the pre-vote does, by starting the real
  // election.
  c.Campaign(2);
  ASSERT_EQ(c.raft(2).role(), Role::kPreCandidate);
  ASSERT_EQ(c.raft(2).term(), Term{0});
  (void)c.TakeQueued();
  c.Deliver(MakeResponse(MessageType::kPreVoteResp, 3, 2, 1));
  EXPECT_EQ(c.raft(2).term(), Term{0});
  EXPECT_EQ(c.raft(2).role(), Role::kPreCandidate) << "2 of 5";
  c.Deliver(MakeResponse(MessageType::kPreVoteResp, 4, 2, 1));
  EXPECT_EQ(c.raft(2).role(), Role::kCandidate) << "3 of 5";
  EXPECT_EQ(c.raft(2).term(), Term{1});
  // A refusal with a higher term does teach the term.
  c.Deliver(MakeResponse(MessageType::kPreVoteResp, 3, 1, 7, /*reject=*/true));
  EXPECT_EQ(c.raft(1).term(), Term{7});
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
}

// CheckQuorum: a leader that has heard from no quorum during a whole check
// period (election_ticks) steps down when the period ends. The periods are
// counted from the election; answers to the heartbeat of the tick that runs
// a check count for the next period.
TEST(Elections, CheckQuorumLeaderStepsDownAfterASilentPeriod) {
  TestCluster c(3);
  c.ElectLeader(1);
  for (int i = 0; i < 9; i++) {  // ticks 1..9 answered
    c.Tick(1);
    c.Stabilize();
  }
  c.Isolate(1);
  c.Tick(1);  // tick 10: the check counts the answers of ticks 1..9
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  for (int i = 0; i < 9; i++) {  // ticks 11..19: silence
    c.Tick(1);
    c.Stabilize();
  }
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  c.Tick(1);  // tick 20: nobody answered during ticks 10..19
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), Term{1}) << "stepping down does not change the term";
  EXPECT_EQ(c.raft(1).leader(), kNoNode);
}

// One follower answering is enough in a three-node cluster.
TEST(Elections, CheckQuorumLeaderWithOneLiveFollowerStaysLeader) {
  TestCluster c(3);
  c.ElectLeader(1);
  c.Cut(1, 3);
  for (int i = 0; i < 100; i++) {
    c.Tick(1);
    c.Stabilize();
  }
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(1).term(), Term{1});
}

// Whenever it is isolated, it is gone within two periods.
TEST(Elections, CheckQuorumIsolatedLeaderStepsDownWithinTwoElectionTimeouts) {
  for (int offset = 0; offset < 10; offset++) {
    SCOPED_TRACE("isolated " + std::to_string(offset) + " ticks into a period");
    TestCluster c(3);
    c.ElectLeader(1);
    for (int i = 0; i < offset; i++) {
      c.Tick(1);
      c.Stabilize();
    }
    c.Isolate(1);
    int ticks = 0;
    while (c.raft(1).role() == Role::kLeader && ticks < 100) {
      c.Tick(1);
      ticks++;
    }
    EXPECT_GT(ticks, 10 - offset - 1);
    EXPECT_LE(ticks, 20);
  }
}

TEST(Elections, WithoutCheckQuorumIsolatedLeaderStaysLeader) {
  TestCluster c(3, ClusterOptions{.check_quorum = false});
  c.ElectLeader(1);
  c.Isolate(1);
  c.Tick(1, 100);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(1).term(), Term{1});
}

// The majority side elects a new leader once the old one stops answering.
TEST(Elections, MajorityElectsNewLeaderAfterLeaderIsolated) {
  TestCluster c(5);
  c.ElectLeader(1);
  ASSERT_TRUE(c.Propose(1, "before").ok());
  c.Stabilize();
  c.Isolate(1);
  SafetyChecker safety;
  uint64_t leader = 0;
  for (int i = 0; i < 100 && leader == 0; i++) {
    c.TickAll();
    c.Stabilize();
    EXPECT_EQ(safety.Check(c), "");
    for (uint64_t id : {2, 3, 4, 5}) {
      if (c.raft(id).role() == Role::kLeader) leader = id;
    }
  }
  ASSERT_NE(leader, 0u);
  EXPECT_EQ(c.raft(leader).term(), Term{2});
  for (int i = 0; i < 20; i++) {  // at most two check periods
    c.TickAll();
    c.Stabilize();
  }
  EXPECT_EQ(c.raft(1).role(), Role::kFollower) << "CheckQuorum deposes the old leader";
  EXPECT_EQ(c.raft(1).term(), Term{1}) << "it never heard of term 2";
  const std::vector<Entry> log = c.LogOf(leader);
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log[1].data, "before") << "Leader Completeness";
}

// Finds a seed whose node 2, once it follows leader 1, draws a timeout
// above election_ticks: it can then sit out its lease without campaigning.
uint64_t SeedWithLongTimeoutOnNode2() {
  for (uint64_t seed = 1; seed < 100; seed++) {
    TestCluster c(3, ClusterOptions{.seed = seed});
    c.ElectLeader(1);
    if (c.raft(2).randomized_election_ticks() > 10) return seed;
  }
  ADD_FAILURE() << "no suitable seed";
  return 1;
}

// Section 9.6 / 4.2.3: "if a server receives a RequestVote request within
// the minimum election timeout of hearing from a current leader, it does not
// update its term or grant its vote." Enabled with CheckQuorum.
TEST(Elections, FollowerInLeaseIgnoresVoteRequestWithHigherTerm) {
  TestCluster c(3, ClusterOptions{.seed = SeedWithLongTimeoutOnNode2()});
  c.ElectLeader(1);
  const Index last = c.raft(3).log().LastIndex();
  const Term last_term = c.raft(3).log().LastTerm();
  for (MessageType type : {MessageType::kVote, MessageType::kPreVote}) {
    for (uint64_t to : {1, 2}) {  // the leader is inside its own lease too
      c.Deliver(MakeVote(type, 3, to, 5, last.value, last_term.value));
      EXPECT_EQ(c.raft(to).term(), Term{1});
      EXPECT_TRUE(c.TakeQueued().empty()) << "not even a refusal";
    }
  }
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c.raft(2).vote(), NodeId{1});

  // Once node 2 has not heard from the leader for election_ticks, the lease
  // is over and the same request is granted.
  c.Isolate(1);
  c.Tick(2, 10);
  ASSERT_EQ(c.raft(2).role(), Role::kFollower);
  c.Deliver(MakeVote(MessageType::kVote, 3, 2, 5, last.value, last_term.value));
  EXPECT_EQ(c.raft(2).term(), Term{5});
  EXPECT_EQ(c.raft(2).vote(), NodeId{3});
}

// Without CheckQuorum there is no lease: the request is granted at once.
TEST(Elections, WithoutCheckQuorumFollowerGrantsVoteWithHigherTerm) {
  TestCluster c(3, ClusterOptions{.check_quorum = false});
  c.ElectLeader(1);
  const Index last = c.raft(3).log().LastIndex();
  const Term last_term = c.raft(3).log().LastTerm();
  c.Deliver(MakeVote(MessageType::kVote, 3, 2, 5, last.value, last_term.value));
  EXPECT_EQ(c.raft(2).term(), Term{5});
  EXPECT_EQ(c.raft(2).vote(), NodeId{3});
  const std::vector<Message> out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].reject);
}

// Section 5.4.1, election restriction, end to end: a node missing a
// committed entry cannot become leader, however often it times out.
TEST(Elections, NodeMissingCommittedEntryNeverWins) {
  TestCluster c(3, ClusterOptions{.pre_vote = false, .check_quorum = false});
  c.ElectLeader(1);
  c.Cut(1, 3);
  ASSERT_TRUE(c.Propose(1, "committed without 3").ok());
  c.Stabilize();
  ASSERT_EQ(c.raft(1).log().committed(), Index{2});
  c.Heal();
  c.Isolate(1);  // the leader disappears; 2 and 3 remain
  for (int i = 0; i < 5; i++) {
    c.Campaign(3);
    c.Stabilize();
    EXPECT_NE(c.raft(3).role(), Role::kLeader) << "attempt " << i;
  }
  c.Campaign(2);
  c.Stabilize();
  EXPECT_EQ(c.raft(2).role(), Role::kLeader);
}

}  // namespace
}  // namespace raft::testing
