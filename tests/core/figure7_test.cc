// Figure 7 of the Raft paper: "When the leader at the top comes to power, it
// is possible that any of scenarios (a-f) could occur in follower logs."
//
//   index   1 2 3 4 5 6 7 8 9 10 11 12
//   leader  1 1 1 4 4 5 5 6 6 6            (term 8 once elected)
//   (a)     1 1 1 4 4 5 5 6 6              missing an entry
//   (b)     1 1 1 4                        missing many
//   (c)     1 1 1 4 4 5 5 6 6 6 6          an extra entry
//   (d)     1 1 1 4 4 5 5 6 6 6 7 7        extra entries of a later term
//   (e)     1 1 1 4 4 4 4                  missing and extra
//   (f)     1 1 1 2 2 2 3 3 3 3 3          extra entries of unknown terms
//
// After the leader is elected and the cluster settles, every follower's log
// equals the leader's (the new leader's no-op at index 11 included): the
// extraneous entries are gone and the missing ones are there. The conflict
// hint bounds the number of refused AppendEntries by the number of
// conflicting terms (plus one for a log that is too short) instead of the
// number of conflicting entries, and no entry the follower already shared
// with the leader is ever rewritten.
#include <gtest/gtest.h>

#include <map>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

const std::vector<uint64_t> kLeader = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};

struct FollowerCase {
  const char* name;
  std::vector<uint64_t> log;
  uint64_t shared;  // length of the prefix it shares with the leader
  int rejects;      // refused AppendEntries before the first match
  int rejects_max;  // conflicting terms in its suffix (+1 if too short)
};

const FollowerCase kFollowers[] = {
    // Too short: one refusal names its end, the retry starts there.
    {"a", {1, 1, 1, 4, 4, 5, 5, 6, 6}, 9, 1, 1},
    {"b", {1, 1, 1, 4}, 4, 1, 1},
    // Longer, and the probe at index 10 matches: no refusal at all.
    {"c", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 10, 0, 1},
    {"d", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 10, 0, 1},
    // Too short, then term 4 conflicts at 6..7: the leader holds term 4 and
    // resumes right after its own last entry of term 4.
    {"e", {1, 1, 1, 4, 4, 4, 4}, 5, 2, 2},
    // Terms 3 and 2 are unknown to the leader: one refusal per term.
    {"f", {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 3, 2, 2},
};

uint64_t LastTerm(const std::vector<uint64_t>& terms) { return terms.empty() ? 0 : terms.back(); }

// The Figure 7 leader, elected for term 8. Its durable term is 7, so its
// campaign asks for term 8.
HardState LeaderHardState() { return HardState{.term = Term{7}, .commit = Index{3}}; }

// A follower's durable term is at least its last entry's term.
HardState FollowerHardState(const std::vector<uint64_t>& log) {
  return HardState{.term = Term{LastTerm(log)}, .commit = Index{3}};
}

// Records, per follower, the refusals it sent and the lowest index it was
// ever asked to persist.
struct Observer {
  std::map<uint64_t, int> rejects;
  std::map<uint64_t, uint64_t> first_written;

  void Attach(TestCluster& c) {
    c.deliver_observer = [this](const Message& m) {
      if (m.type == MessageType::kAppendResp && m.reject) rejects[m.from.value]++;
    };
    c.ready_observer = [this](uint64_t id, const Ready& rd) {
      if (rd.entries.empty()) return;
      auto [it, inserted] = first_written.emplace(id, rd.entries.front().index.value);
      if (!inserted) it->second = std::min(it->second, rd.entries.front().index.value);
    };
  }
};

// One follower at a time: a 3-node cluster whose third node has an empty log
// and so votes for the leader, whatever the follower under test thinks of
// it ((c) and (d) refuse: their logs are more up to date).
TEST(Figure7, LeaderBringsEachFollowerLogInLineWithItsOwn) {
  for (const FollowerCase& k : kFollowers) {
    SCOPED_TRACE(std::string("follower (") + k.name + ")");
    TestCluster c(3);
    c.SetDurable(1, Log(kLeader), LeaderHardState());
    c.SetDurable(2, Log(k.log), FollowerHardState(k.log));
    Observer obs;
    obs.Attach(c);
    c.ElectLeader(1);  // and no tick: the election's messages do it all
    ASSERT_EQ(c.raft(1).term(), Term{8});

    std::vector<uint64_t> want = kLeader;
    want.push_back(8);  // the new leader's no-op
    EXPECT_EQ(c.TermsOf(1), want) << "the leader never changes its own log";
    EXPECT_EQ(c.TermsOf(2), want);
    EXPECT_EQ(c.LogOf(2), c.LogOf(1));
    EXPECT_EQ(c.raft(2).log().committed(), Index{11});
    EXPECT_EQ(c.peer(2).applied, c.LogOf(1));

    EXPECT_EQ(obs.rejects[2], k.rejects);
    EXPECT_LE(obs.rejects[2], k.rejects_max);
    // Matching entries are never rewritten: the first index handed out to
    // persist on the follower is exactly the first one it did not share.
    EXPECT_EQ(obs.first_written[2], k.shared + 1);
    SafetyChecker safety;
    EXPECT_EQ(safety.Check(c), "");
  }
}

// The figure as drawn: one seven-node cluster holding all six followers.
// The leader wins with (a), (b), (e) and (f), whose logs are behind its own.
TEST(Figure7, AllSixFollowersConvergeInOneCluster) {
  TestCluster c(7);
  c.SetDurable(1, Log(kLeader), LeaderHardState());
  uint64_t id = 2;
  for (const FollowerCase& k : kFollowers) {
    c.SetDurable(id, Log(k.log), FollowerHardState(k.log));
    id++;
  }
  Observer obs;
  obs.Attach(c);
  c.ElectLeader(1);
  ASSERT_EQ(c.raft(1).term(), Term{8});
  const std::vector<Entry> leader_log = c.LogOf(1);
  ASSERT_EQ(leader_log.size(), 11u);
  id = 2;
  SafetyChecker safety;
  for (const FollowerCase& k : kFollowers) {
    SCOPED_TRACE(std::string("follower (") + k.name + ")");
    EXPECT_EQ(c.LogOf(id), leader_log);
    EXPECT_EQ(c.raft(id).log().committed(), Index{11});
    EXPECT_EQ(obs.rejects[id], k.rejects);
    EXPECT_EQ(obs.first_written[id], k.shared + 1);
    id++;
  }
  EXPECT_EQ(safety.Check(c), "");
}

// Without the hint a leader backs up one entry per refusal; with it, (f)'s
// eight conflicting entries cost two round trips, and (b)'s six missing
// entries one. This pins the exact probe sequence for (f).
TEST(Figure7, ConflictHintSkipsAWholeTermPerRoundTrip) {
  const FollowerCase& f = kFollowers[5];
  TestCluster c(3);
  c.SetDurable(1, Log(kLeader), LeaderHardState());
  c.SetDurable(2, Log(f.log), FollowerHardState(f.log));
  std::vector<Message> to_f;
  std::vector<Message> from_f;
  c.deliver_observer = [&](const Message& m) {
    if (m.type == MessageType::kAppend && m.to == NodeId{2}) to_f.push_back(m);
    if (m.type == MessageType::kAppendResp && m.from == NodeId{2}) from_f.push_back(m);
  };
  c.ElectLeader(1);
  ASSERT_GE(to_f.size(), 3u);
  ASSERT_GE(from_f.size(), 3u);
  // Probe at 10 (term 6): (f) holds term 3 there, first index of term 3 is 7.
  EXPECT_EQ(to_f[0].index, Index{10});
  EXPECT_TRUE(from_f[0].reject);
  EXPECT_EQ(from_f[0].hint_term, Term{3});
  EXPECT_EQ(from_f[0].hint_index, Index{7});
  // The leader has no term 3: retry at 7, i.e. probe at 6 (term 5). (f)
  // holds term 2 there, from index 4.
  EXPECT_EQ(to_f[1].index, Index{6});
  EXPECT_TRUE(from_f[1].reject);
  EXPECT_EQ(from_f[1].hint_term, Term{2});
  EXPECT_EQ(from_f[1].hint_index, Index{4});
  // Probe at 3 (term 1) matches; everything from 4 on is sent and accepted.
  EXPECT_EQ(to_f[2].index, Index{3});
  EXPECT_EQ(to_f[2].entries.size(), 8u);
  EXPECT_FALSE(from_f[2].reject);
  EXPECT_EQ(from_f[2].index, Index{11});
}

}  // namespace
}  // namespace raft::testing
