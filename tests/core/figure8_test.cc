// Figure 8 of the Raft paper: why a leader may not commit an entry of an
// earlier term by counting replicas.
//
// As run here (logs by term; S1 and S5 "crash" by being cut off):
//
//        (a)        (b)        (c)          (d) S5 wins t5   (e) t4 entry spreads
//   S1   1 2        1 2        1 2 4        1 3 5            1 2 4
//   S2   1 2        1 2        1 2          1 3 5            1 2 4
//   S3   1          1          1 2          1 3 5            1 2 4
//   S4   1          1          1 2          1 3 5            1 2 4
//   S5   1          1 3        1 3          1 3 5            1 2 4
//
// (a) S1 leads term 2 and copies index 2 to S2 only. (b) S1 crashes; S5 wins
// term 3 with votes from S3, S4 and itself and writes a different index 2.
// (c) S5 crashes; S1 wins term 4 and copies its term-2 entry to a majority.
// It must NOT count that as committed: (d) if S1 then crashed, S5 could win
// term 5 (its last term 3 beats their 2) and overwrite index 2 everywhere.
// (e) Only once an entry of term 4 is on a majority do both commit, and then
// S5 can no longer win.
//
// Our leader's first entry of a term is its no-op, so "S1 appends index 3 in
// term 4" is that no-op. One entry per AppendEntries (append_bytes_max = 1)
// lets the network lose the term-4 entry while the term-2 one gets through.
// CheckQuorum is off so the crashed leaders' leases do not get in the way of
// the scripted elections (PreVote stays on).
#include <gtest/gtest.h>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

ClusterOptions Figure8Options() {
  ClusterOptions opts;
  opts.check_quorum = false;
  opts.append_bytes_max = 1;
  return opts;
}

// Loses every AppendEntries that would give its recipient an entry of `term`;
// probes that the recipient will refuse (prev entry mismatch) get through.
std::function<bool(const Message&)> LoseEntriesOfTerm(TestCluster& c, uint64_t term) {
  return [&c, term](const Message& m) {
    if (m.type != MessageType::kAppend) return false;
    if (!c.raft(m.to.value).log().MatchTerm(m.index, m.log_term)) return false;
    for (const Entry& e : m.entries) {
      if (e.term == Term{term}) return true;
    }
    return false;
  };
}

// Campaigns until `id` leads (PreVote may first only teach it a newer term).
void CampaignUntilLeader(TestCluster& c, uint64_t id) {
  for (int attempt = 0; attempt < 3 && c.raft(id).role() != Role::kLeader; attempt++) {
    c.Campaign(id);
    c.Stabilize();
  }
  ASSERT_EQ(c.raft(id).role(), Role::kLeader) << "node " << id;
}

class Figure8 : public ::testing::Test {
 protected:
  Figure8() : c_(5, Figure8Options()) {
    for (uint64_t id : c_.ids()) {
      c_.SetDurable(id, Log({1}), HardState{.term = Term{1}, .commit = Index{1}});
    }
    // Nothing the core hands out to apply may ever be the term-2 entry at
    // index 2 before the term-4 entry commits it, nor disagree across nodes.
    c_.ready_observer = [this](uint64_t id, const Ready& rd) {
      for (const Entry& e : rd.committed_entries) {
        applied_.push_back({id, e});
      }
    };
  }

  void CheckSafety() { EXPECT_EQ(safety_.Check(c_), ""); }

  // Steps (a) to (c): returns with S1 leading term 4, index 2 (term 2) on
  // S1..S4, and the term-4 no-op on S1 only.
  void RunUpToC() {
    // (a) S1 leads term 2; only S2 receives its entry.
    c_.drop_filter = [](const Message& m) {
      return m.type == MessageType::kAppend && m.from == NodeId{1} && m.to.value >= 3;
    };
    c_.ElectLeader(1);
    ASSERT_EQ(c_.raft(1).term(), Term{2});
    ASSERT_EQ(c_.TermsOf(1), (std::vector<uint64_t>{1, 2}));
    ASSERT_EQ(c_.TermsOf(2), (std::vector<uint64_t>{1, 2}));
    ASSERT_EQ(c_.TermsOf(3), (std::vector<uint64_t>{1}));
    CheckSafety();

    // (b) S1 crashes. S5 wins term 3 (S2 refuses: its log is newer) and
    // appends its own index 2, which reaches nobody.
    c_.Isolate(1);
    c_.drop_filter = [](const Message& m) {
      return m.type == MessageType::kAppend && m.from == NodeId{5};
    };
    c_.ElectLeader(5);
    ASSERT_EQ(c_.raft(5).term(), Term{3});
    ASSERT_EQ(c_.TermsOf(5), (std::vector<uint64_t>{1, 3}));
    CheckSafety();

    // (c) S5 crashes, S1 restarts and wins term 4, then copies index 2 to S3
    // and S4; its own term-4 no-op is lost on the way.
    c_.Restart(1);
    c_.Heal();
    c_.Isolate(5);
    c_.drop_filter = LoseEntriesOfTerm(c_, 4);
    CampaignUntilLeader(c_, 1);
    ASSERT_EQ(c_.raft(1).term(), Term{4});
    for (int i = 0; i < 3; i++) {  // heartbeats do not help either
      c_.Tick(1);
      c_.Stabilize();
    }
    CheckSafety();
  }

  bool AnyoneAppliedIndex2OfTerm2() const {
    for (const auto& [id, e] : applied_) {
      if (e.index == Index{2} && e.term == Term{2}) return true;
    }
    return false;
  }

  TestCluster c_;
  SafetyChecker safety_;
  std::vector<std::pair<uint64_t, Entry>> applied_;
};

// (c) then (e): counting replicas of an old-term entry commits nothing; the
// first current-term entry on a majority commits both at once.
TEST_F(Figure8, OldTermEntryOnMajorityIsNotCommittedUntilCurrentTermEntryIs) {
  RunUpToC();
  EXPECT_EQ(c_.TermsOf(1), (std::vector<uint64_t>{1, 2, 4}));
  for (uint64_t id : {2, 3, 4}) {
    EXPECT_EQ(c_.TermsOf(id), (std::vector<uint64_t>{1, 2})) << "node " << id;
  }
  EXPECT_EQ(c_.raft(1).progress().at(NodeId{3}).match(), Index{2});
  EXPECT_EQ(c_.raft(1).progress().at(NodeId{4}).match(), Index{2});
  // Index 2 is on S1, S3, S4 (and S2) as far as the leader knows: 3 of 5.
  EXPECT_EQ(c_.raft(1).log().committed(), Index{1}) << "committed an old-term entry by counting";
  for (uint64_t id : c_.ids()) EXPECT_EQ(c_.raft(id).log().committed(), Index{1});
  EXPECT_FALSE(AnyoneAppliedIndex2OfTerm2());

  // (e) The term-4 entry reaches the majority: index 3 commits, and index 2
  // with it (Log Matching).
  c_.drop_filter = nullptr;
  c_.Tick(1);
  c_.Stabilize();
  EXPECT_EQ(c_.raft(1).log().committed(), Index{3});
  c_.Tick(1);  // the next heartbeat tells the followers
  c_.Stabilize();
  for (uint64_t id : {1, 2, 3, 4}) {
    EXPECT_EQ(c_.TermsOf(id), (std::vector<uint64_t>{1, 2, 4})) << "node " << id;
    EXPECT_EQ(c_.raft(id).log().committed(), Index{3}) << "node " << id;
    ASSERT_EQ(c_.peer(id).applied.size(), 3u) << "node " << id;  // index 1 from the start
    EXPECT_EQ(c_.peer(id).applied[1].index, Index{2});
    EXPECT_EQ(c_.peer(id).applied[1].term, Term{2});
    EXPECT_EQ(c_.peer(id).applied[2].term, Term{4});
  }
  CheckSafety();

  // S5 comes back still believing it leads term 3. It steps down, and with
  // its last log term 3 it can no longer win: every majority holds term 4.
  c_.Heal();
  c_.Tick(5);
  c_.Stabilize();
  EXPECT_EQ(c_.raft(5).role(), Role::kFollower);
  EXPECT_EQ(c_.raft(5).term(), Term{4});
  c_.Campaign(5);
  c_.Stabilize();
  EXPECT_EQ(c_.raft(5).role(), Role::kFollower);
  EXPECT_EQ(c_.raft(1).role(), Role::kLeader);
  EXPECT_EQ(c_.raft(1).term(), Term{4});
  // The leader then replaces S5's index 2.
  c_.Tick(1);
  c_.Stabilize();
  c_.Tick(1);
  c_.Stabilize();
  EXPECT_EQ(c_.TermsOf(5), (std::vector<uint64_t>{1, 2, 4}));
  EXPECT_EQ(c_.raft(5).log().committed(), Index{3});
  EXPECT_EQ(c_.peer(5).applied, c_.peer(1).applied);
  CheckSafety();
}

// (c) then (d): because index 2 was not committed, S5 may overwrite it, and
// that is safe: nobody ever applied it.
TEST_F(Figure8, UncommittedOldTermEntryMayBeOverwrittenSafely) {
  RunUpToC();
  ASSERT_EQ(c_.raft(1).log().committed(), Index{1});

  // S1 crashes before its term-4 entry spreads; S5 returns.
  c_.Heal();
  c_.Isolate(1);
  c_.Tick(5);  // S5 still leads term 3 in its mind; the answers depose it
  c_.Stabilize();
  ASSERT_EQ(c_.raft(5).role(), Role::kFollower);
  ASSERT_EQ(c_.raft(5).term(), Term{4});
  // Its last log term 3 beats S2..S4's 2: it wins term 5 with their votes.
  CampaignUntilLeader(c_, 5);
  EXPECT_EQ(c_.raft(5).term(), Term{5});
  c_.Tick(5);
  c_.Stabilize();
  for (uint64_t id : {2, 3, 4, 5}) {
    EXPECT_EQ(c_.TermsOf(id), (std::vector<uint64_t>{1, 3, 5})) << "node " << id;
    EXPECT_EQ(c_.raft(id).log().committed(), Index{3}) << "node " << id;
  }
  EXPECT_FALSE(AnyoneAppliedIndex2OfTerm2()) << "the overwritten entry had been applied";
  CheckSafety();

  // S1 comes back and loses both its index 2 and its term-4 no-op.
  c_.Heal();
  c_.Tick(1);
  c_.Tick(5);
  c_.Stabilize();
  c_.Tick(5);
  c_.Stabilize();
  EXPECT_EQ(c_.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c_.TermsOf(1), (std::vector<uint64_t>{1, 3, 5}));
  EXPECT_FALSE(AnyoneAppliedIndex2OfTerm2());
  for (uint64_t id : c_.ids()) {
    EXPECT_EQ(c_.peer(id).applied, c_.peer(5).applied) << "node " << id;
  }
  CheckSafety();
}

}  // namespace
}  // namespace raft::testing
