// Log replication under an unreliable network: duplicated, reordered, stale
// and lost AppendEntries (section 5.3, "Log Matching"; section 5.5, RPCs are
// idempotent), plus flow control and catching up a lagging follower.
//
// The randomized tests draw every fault from a seeded std::mt19937_64 and
// run the SafetyChecker (Election Safety, Log Matching, State Machine Safety,
// Leader Completeness) after every delivery round.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

// Asserts that every Ready of node `id` appends right after what the node
// already holds: nothing it holds is ever rewritten or truncated. Valid
// when the cluster has a single leader (so every entry received matches).
class NoRewriteObserver {
 public:
  NoRewriteObserver(TestCluster& c, uint64_t id) : id_(id) {
    last_ = c.raft(id).log().LastIndex().value;
    c.ready_observer = [this](uint64_t id, const Ready& rd) {
      if (id != id_ || rd.entries.empty()) return;
      EXPECT_EQ(rd.entries.front().index.value, last_ + 1)
          << "node " << id_ << " rewrote index " << rd.entries.front().index.value;
      last_ = rd.entries.back().index.value;
      writes_++;
    };
  }
  int writes() const { return writes_; }

 private:
  uint64_t id_;
  uint64_t last_ = 0;
  int writes_ = 0;
};

bool IsPrefixOf(const std::vector<Entry>& a, const std::vector<Entry>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Section 5.5: "Raft RPCs are idempotent". Every AppendEntries the leader
// sent to a follower during ten proposals, delivered twice each in a
// shuffled order: the follower only ever appends, its log is always a prefix
// of the leader's, and one heartbeat later it equals it.
TEST(Replication, DuplicatedAndReorderedAppendsNeverTruncateMatchingEntries) {
  for (uint64_t seed = 1; seed <= 5; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TestCluster c(3);
    c.ElectLeader(1);
    std::vector<Message> captured;
    c.drop_filter = [&](const Message& m) {
      if (m.to != NodeId{3}) return false;
      if (m.type == MessageType::kAppend) captured.push_back(m);
      return true;
    };
    for (int i = 0; i < 10; i++) {
      ASSERT_TRUE(c.Propose(1, "v" + std::to_string(i)).ok());
      c.Stabilize();
    }
    ASSERT_GE(captured.size(), 10u);
    c.drop_filter = nullptr;

    std::vector<Message> replay = captured;
    replay.insert(replay.end(), captured.begin(), captured.end());
    std::mt19937_64 rng(seed);
    std::shuffle(replay.begin(), replay.end(), rng);
    NoRewriteObserver observer(c, 3);
    const std::vector<Entry> leader_log = c.LogOf(1);
    for (const Message& m : replay) {
      c.Deliver(m);
      (void)c.TakeQueued();  // its answers are lost
      ASSERT_TRUE(IsPrefixOf(c.LogOf(3), leader_log));
      ASSERT_LE(c.raft(3).log().committed(), c.raft(1).log().committed());
    }
    EXPECT_GT(observer.writes(), 0);
    c.Tick(1);
    c.Stabilize();
    EXPECT_EQ(c.LogOf(3), leader_log);
    EXPECT_EQ(c.raft(3).log().committed(), Index{11});
    EXPECT_EQ(c.peer(3).applied, leader_log);
  }
}

// The specific trap: a shorter, older append arriving after a longer one
// must not cut the log back to its own end (rule 3 deletes only on a real
// conflict).
TEST(Replication, StaleShorterAppendAfterLongerOneDoesNotTruncate) {
  TestCluster c(3);
  c.ElectLeader(1);
  c.Cut(1, 3);
  ASSERT_TRUE(c.Propose(1, "a").ok());
  c.Stabilize();
  c.Heal();
  ASSERT_TRUE(c.Propose(1, "b").ok());
  ASSERT_TRUE(c.Propose(1, "c").ok());
  // The leader's pipeline to node 3 now holds appends ending at 2 (lost),
  // 3 and 4. Build the long one it would resend after a refusal.
  const std::vector<Entry> leader_log = c.LogOf(1);
  (void)c.TakeQueued();
  const Message longer =
      MakeAppend(1, 3, 1, 1, 1, {leader_log[1], leader_log[2], leader_log[3]}, 2);
  const Message shorter = MakeAppend(1, 3, 1, 1, 1, {leader_log[1]}, 2);
  NoRewriteObserver observer(c, 3);
  c.Deliver(longer);
  ASSERT_EQ(c.LogOf(3), leader_log);
  std::vector<Message> out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].index, Index{4});
  c.Deliver(shorter);
  EXPECT_EQ(c.LogOf(3), leader_log) << "the stale append truncated entries 3 and 4";
  out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].reject);
  EXPECT_EQ(out[0].index, Index{2}) << "acknowledges what that append carried";
  // The leader ignores the stale ack: its match for node 3 does not go back.
  c.Deliver(MakeResponse(MessageType::kAppendResp, 3, 1, 1, false, 4));
  c.Deliver(out[0]);
  EXPECT_EQ(c.raft(1).progress().at(NodeId{3}).match(), Index{4});
}

// An AppendEntries from a deposed leader reaches a follower of the new
// term: refused with the follower's term, log untouched, and the old leader
// steps down when the answer reaches it.
TEST(Replication, StaleTermAppendIsRefusedWithOurTerm) {
  TestCluster c(3);
  c.ElectLeader(1);
  c.Isolate(1);
  ASSERT_TRUE(c.Propose(1, "lost").ok());
  const std::vector<Message> stale = OfType(c.TakeQueued(), MessageType::kAppend, 3);
  ASSERT_EQ(stale.size(), 1u);
  // Nodes 2 and 3 move on to term 2.
  for (int i = 0; i < 100 && c.raft(2).role() != Role::kLeader; i++) {
    c.Tick(2);
    c.Tick(3);
    c.Stabilize();
  }
  ASSERT_TRUE(c.raft(2).role() == Role::kLeader || c.raft(3).role() == Role::kLeader);
  const Term new_term = c.raft(3).term();
  ASSERT_GT(new_term, Term{1});
  const std::vector<Entry> before = c.LogOf(3);
  c.Heal();
  c.Deliver(stale[0]);
  EXPECT_EQ(c.LogOf(3), before);
  const std::vector<Message> out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kAppendResp);
  EXPECT_EQ(out[0].to, NodeId{1});
  EXPECT_EQ(out[0].term, new_term);
  c.Deliver(out[0]);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), new_term);
}

// Flow control: in the replicate state at most inflight_msgs_max appends are
// outstanding per follower; a heartbeat answer frees a slot so a lost window
// cannot stall the follower forever.
TEST(Replication, InflightWindowBoundsUnackedAppendsAndRecovers) {
  ClusterOptions opts;
  opts.inflight_msgs_max = 3;
  TestCluster c(3, opts);
  c.ElectLeader(1);
  int appends_to_3 = 0;
  c.drop_filter = [&](const Message& m) {
    if (m.to != NodeId{3} && m.from != NodeId{3}) return false;
    if (m.type == MessageType::kAppend && m.to == NodeId{3} && !m.entries.empty()) appends_to_3++;
    return true;
  };
  for (int i = 0; i < 10; i++) {
    ASSERT_TRUE(c.Propose(1, "v" + std::to_string(i)).ok());
    c.Stabilize();
  }
  EXPECT_EQ(appends_to_3, 3) << "the window is three appends";
  EXPECT_EQ(c.raft(1).log().committed(), Index{11}) << "node 2 keeps the quorum going";
  c.drop_filter = nullptr;
  for (int i = 0; i < 5; i++) {
    c.Tick(1);
    c.Stabilize();
  }
  EXPECT_EQ(c.LogOf(3), c.LogOf(1));
  EXPECT_EQ(c.raft(3).log().committed(), Index{11});
}

// A follower whose last probe was in flight when the commit index moved
// learns the new commit index from the leader's answer to its ack, not one
// heartbeat later. Node 2 needs a refused probe to catch up; node 3's ack
// commits the no-op while node 2's matching append (carrying the old commit
// index) is still on the wire.
TEST(Replication, FollowerLearnsCommitIndexAsSoonAsItCatchesUp) {
  TestCluster c(3);
  c.SetDurable(1, Log({1, 1, 1}), HardState{.term = Term{1}});
  c.SetDurable(3, Log({1, 1, 1}), HardState{.term = Term{1}});
  c.ElectLeader(1);  // no tick: only the election's own messages flow
  ASSERT_EQ(c.raft(1).log().committed(), Index{4});
  EXPECT_EQ(c.LogOf(2), c.LogOf(1));
  EXPECT_EQ(c.raft(2).log().committed(), Index{4});
  EXPECT_EQ(c.peer(2).applied, c.LogOf(1));
}

// The commit index that an ack advances leaves with the Ready, not at once:
// writes proposed before that Ready (a server holds them until the batch in
// flight commits) go to each follower in one AppendEntries that also
// carries the new commit index, instead of an empty AppendEntries for the
// commit followed by another for the entries.
TEST(Replication, NewCommitIndexSharesTheAppendOfProposalsBeforeTheReady) {
  TestCluster c(3);
  c.ElectLeader(1);
  const Result<Index> a = c.Propose(1, "a");
  ASSERT_TRUE(a.ok());
  for (const Message& m : c.TakeQueued()) c.Deliver(m);  // both followers append "a"
  std::vector<Message> acks = c.TakeQueued();
  ASSERT_EQ(acks.size(), 2u);
  // The acks and the next proposal reach the leader between two Readies.
  for (const Message& m : acks) ASSERT_TRUE(c.node(1).Step(m).ok());
  ASSERT_EQ(c.raft(1).log().committed(), a.value());
  const Result<Index> b = c.node(1).Propose("b");
  ASSERT_TRUE(b.ok());
  c.ProcessReady(1);
  int appends_to_2 = 0;
  const std::vector<Message> sent = c.TakeQueued();
  for (const Message& m : sent) {
    if (m.type != MessageType::kAppend || m.to != NodeId{2}) continue;
    appends_to_2++;
    ASSERT_EQ(m.entries.size(), 1u);
    EXPECT_EQ(m.entries.front().index, b.value());
    EXPECT_EQ(m.commit, a.value()) << "the new commit index rides with the new entry";
  }
  EXPECT_EQ(appends_to_2, 1);
  // With nothing proposed after it, a commit still reaches the followers.
  for (const Message& m : sent) c.Deliver(m);
  c.Stabilize();
  EXPECT_EQ(c.raft(2).log().committed(), b.value());
}

// A follower cut off while 200 entries commit catches up once healed.
TEST(Replication, LaggingFollowerCatchesUpAfterPartitionHeals) {
  ClusterOptions opts;
  opts.inflight_msgs_max = 4;
  opts.append_bytes_max = 200;  // a handful of entries per append
  TestCluster c(3, opts);
  c.ElectLeader(1);
  c.Isolate(3);
  for (int i = 0; i < 200; i++) {
    ASSERT_TRUE(c.Propose(1, "entry-" + std::to_string(i)).ok());
    c.Stabilize();
  }
  ASSERT_EQ(c.raft(1).log().committed(), Index{201});
  EXPECT_EQ(c.raft(3).log().LastIndex(), Index{1});
  c.Heal();
  NoRewriteObserver observer(c, 3);
  int ticks = 0;
  while (c.raft(3).log().committed() < Index{201} && ticks < 50) {
    c.Tick(1);
    c.Stabilize();
    ticks++;
  }
  EXPECT_LE(ticks, 2);
  EXPECT_EQ(c.LogOf(3), c.LogOf(1));
  EXPECT_EQ(c.peer(3).applied, c.LogOf(1));
}

// One randomized run: proposals and ticks under message loss (and, when
// asked, duplication and reordering) and a partition every 40 rounds that
// cuts off the leader or a random node, so leaders change and logs diverge.
// The safety properties are checked after every delivery round; then the
// network heals and the cluster must agree.
struct ChaosResult {
  int proposed = 0;
  uint64_t committed = 0;
};

ChaosResult RunChaos(uint64_t seed, double drop_rate, bool duplicate_and_reorder) {
  ChaosResult result;
  TestCluster c(5, ClusterOptions{.seed = seed});
  SafetyChecker safety;
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution drop(drop_rate);
  std::bernoulli_distribution dup(0.1);
  std::uniform_int_distribution<uint64_t> node(1, 5);
  auto lossy = [&](const Message&) { return drop(rng); };
  c.drop_filter = lossy;
  const int proposals_max = 50;
  for (int round = 0; round < 400; round++) {
    if (round % 40 == 20) {
      c.Heal();
      c.drop_filter = lossy;
      const uint64_t victim = node(rng);
      if (victim <= 2 && c.Leader() != 0) {
        c.Isolate(c.Leader());
      } else if (victim <= 4) {
        c.Isolate(victim);
      }  // else: no partition this time
    }
    c.TickAll();
    const uint64_t leader = c.Leader();
    if (leader != 0 && result.proposed < proposals_max && round % 3 == 0) {
      if (c.Propose(leader, "p" + std::to_string(result.proposed)).ok()) result.proposed++;
    }
    for (int hop = 0; hop < 3; hop++) {
      if (duplicate_and_reorder) {
        c.ProcessReadies();
        std::deque<Message>& q = c.queue();
        const size_t n = q.size();
        for (size_t i = 0; i < n; i++) {
          if (dup(rng)) {
            Message copy = q[i];
            q.push_back(std::move(copy));
          }
        }
        std::shuffle(q.begin(), q.end(), rng);
      }
      c.DeliverQueued();
      const std::string violation = safety.Check(c);
      EXPECT_EQ(violation, "") << "round " << round << " hop " << hop;
      if (!violation.empty()) return result;
    }
  }
  EXPECT_EQ(result.proposed, proposals_max) << "the cluster was too unavailable to propose";

  // Heal and settle: ticks until everyone holds the same fully committed log.
  c.Heal();
  for (int round = 0; round < 200; round++) {
    c.TickAll();
    c.Stabilize();
    EXPECT_EQ(safety.Check(c), "");
    const uint64_t leader = c.Leader();
    if (leader == 0) continue;
    bool settled = true;
    for (uint64_t id : c.ids()) {
      settled = settled && c.LogOf(id) == c.LogOf(leader) &&
                c.raft(id).log().committed() == c.raft(leader).log().LastIndex();
    }
    if (settled) break;
  }
  const uint64_t leader = c.Leader();
  EXPECT_NE(leader, 0u);
  if (leader == 0) return result;
  // Liveness after healing: a new proposal commits everywhere.
  EXPECT_TRUE(c.Propose(leader, "after-heal").ok());
  c.Stabilize();
  c.Tick(leader);
  c.Stabilize();
  const std::vector<Entry> log = c.LogOf(leader);
  EXPECT_EQ(log.back().data, "after-heal");
  std::set<std::string> payloads;
  for (const Entry& e : log) {
    if (e.type == EntryType::kNormal) {
      EXPECT_TRUE(payloads.insert(e.data).second) << "entry " << e.data << " appears twice";
    }
  }
  for (uint64_t id : c.ids()) {
    EXPECT_EQ(c.LogOf(id), log) << "node " << id;
    EXPECT_EQ(c.raft(id).log().committed(), log.back().index) << "node " << id;
    EXPECT_EQ(c.peer(id).applied, log) << "node " << id;
  }
  EXPECT_EQ(safety.Check(c), "");
  result.committed = payloads.size() - 1;  // without "after-heal"
  return result;
}

TEST(Replication, LogMatchingAndElectionSafetyUnderRandomMessageLoss) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const ChaosResult r = RunChaos(seed, 0.25, /*duplicate_and_reorder=*/false);
    EXPECT_GE(r.committed, 25u) << "too few of " << r.proposed << " proposals survived";
  }
}

TEST(Replication, SafetyUnderLossDuplicationAndReordering) {
  for (uint64_t seed : {4, 5, 6}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const ChaosResult r = RunChaos(seed, 0.2, /*duplicate_and_reorder=*/true);
    EXPECT_GE(r.committed, 25u) << "too few of " << r.proposed << " proposals survived";
  }
}

}  // namespace
}  // namespace raft::testing
