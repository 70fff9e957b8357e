// Table tests for Progress, the leader's view of one follower: acks, rejection
// handling in probe and replicate state, state transitions and pausing.
#include "core/progress.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>

namespace raft {
namespace {

constexpr size_t kInflightMax = 4;

// A follower in probe state with the given match and next.
Progress Probe(uint64_t match, uint64_t next) {
  Progress pr(Index{1}, kInflightMax);
  pr.ResetTo(Index{match}, Index{next});
  return pr;
}

// A follower in replicate state with the given match and (optimistic) next.
Progress Replicate(uint64_t match, uint64_t next) {
  Progress pr = Probe(match, match + 1);
  pr.BecomeReplicate();
  if (next > match + 1) pr.OptimisticUpdate(Index{next - 1});
  return pr;
}

TEST(Progress, NewProgressProbesFromNext) {
  Progress pr(Index{7}, kInflightMax);
  EXPECT_EQ(pr.match(), Index{0});
  EXPECT_EQ(pr.next(), Index{7});
  EXPECT_EQ(pr.state(), ProgressState::kProbe);
  EXPECT_FALSE(pr.IsPaused());
  EXPECT_EQ(pr.pending_snapshot(), Index{0});
}

TEST(Progress, MaybeUpdateTable) {
  const struct {
    uint64_t match, next, ack;
    bool want_updated;
    uint64_t want_match, want_next;
  } cases[] = {
      // clang-format off
      {5, 6, 4, false, 5, 6},      // stale ack below match
      {5, 6, 5, false, 5, 6},      // duplicate ack
      {5, 6, 6, true, 6, 7},       // ack advances both
      {5, 6, 9, true, 9, 10},      // ack past next pulls next along
      {5, 10, 7, true, 7, 10},     // ack inside the window keeps next
      {5, 10, 9, true, 9, 10},
      {5, 10, 3, false, 5, 10},    // stale ack never lowers next
      {0, 1, 0, false, 0, 1},
      {0, 1, 1, true, 1, 2},
      // clang-format on
  };
  for (const auto& c : cases) {
    Progress pr = Probe(c.match, c.next);
    EXPECT_EQ(pr.MaybeUpdate(Index{c.ack}), c.want_updated)
        << "match=" << c.match << " next=" << c.next << " ack=" << c.ack;
    EXPECT_EQ(pr.match(), Index{c.want_match}) << "ack=" << c.ack;
    EXPECT_EQ(pr.next(), Index{c.want_next}) << "ack=" << c.ack;
  }
}

TEST(Progress, MaybeUpdateResumesProbeOnlyWhenItAdvances) {
  Progress pr = Probe(5, 6);
  pr.PauseProbe();
  EXPECT_FALSE(pr.MaybeUpdate(Index{5}));
  EXPECT_TRUE(pr.IsPaused()) << "a stale ack does not unpause the probe";
  EXPECT_TRUE(pr.MaybeUpdate(Index{6}));
  EXPECT_FALSE(pr.IsPaused());
}

TEST(Progress, MaybeDecrToInProbeTable) {
  const struct {
    const char* name;
    uint64_t match, next, rejected, hint;
    bool want_ok;
    uint64_t want_next;
  } cases[] = {
      // clang-format off
      // A probe is one append at next-1; rejections of anything else are stale.
      {"stale below", 0, 10, 8, 1, false, 10},
      {"stale above", 0, 10, 10, 1, false, 10},
      {"stale far below", 3, 10, 2, 1, false, 10},
      // The hint is applied.
      {"hint inside", 0, 10, 9, 5, true, 5},
      {"hint just below", 0, 10, 9, 8, true, 8},
      {"hint at match+1", 3, 10, 9, 4, true, 4},
      // ... but never above the rejected index (next strictly decreases).
      {"hint at rejected", 0, 10, 9, 9, true, 9},
      {"hint at rejected+1", 0, 10, 9, 10, true, 9},
      {"hint far above", 0, 10, 9, 50, true, 9},
      // ... and never at or below match.
      {"hint below match", 3, 10, 9, 2, true, 4},
      {"hint at match", 3, 10, 9, 3, true, 4},
      {"hint zero", 3, 10, 9, 0, true, 4},
      {"hint zero, no match", 0, 10, 9, 0, true, 1},
      // A rejection at or below match is stale: that prefix was acknowledged
      // in this term, so retrying it could only loop (index 0 always matches).
      {"probe at 0", 0, 1, 0, 0, false, 1},
      {"rejection at match", 3, 4, 3, 1, false, 4},
      // clang-format on
  };
  for (const auto& c : cases) {
    Progress pr = Probe(c.match, c.next);
    EXPECT_EQ(pr.MaybeDecrTo(Index{c.rejected}, Index{c.hint}), c.want_ok) << c.name;
    EXPECT_EQ(pr.next(), Index{c.want_next}) << c.name;
    EXPECT_EQ(pr.match(), Index{c.match}) << c.name << ": match never changes";
    EXPECT_EQ(pr.state(), ProgressState::kProbe) << c.name;
  }
}

TEST(Progress, MaybeDecrToInProbeResumesOnlyWhenApplied) {
  Progress pr = Probe(0, 10);
  pr.PauseProbe();
  EXPECT_FALSE(pr.MaybeDecrTo(Index{5}, Index{1}));
  EXPECT_TRUE(pr.IsPaused()) << "a stale rejection does not unpause";
  EXPECT_TRUE(pr.MaybeDecrTo(Index{9}, Index{3}));
  EXPECT_FALSE(pr.IsPaused()) << "a fresh rejection lets the next probe go";
}

TEST(Progress, MaybeDecrToInReplicateTable) {
  const struct {
    const char* name;
    uint64_t match, next, rejected, hint;
    bool want_ok;
    uint64_t want_next;
  } cases[] = {
      // clang-format off
      // Stale: the rejected append is at or below what is known to match.
      {"rejected below match", 5, 12, 3, 1, false, 12},
      {"rejected at match", 5, 12, 5, 1, false, 12},
      // Otherwise fall back to match+1, whatever the hint says.
      {"rejected above match", 5, 12, 6, 1, true, 6},
      {"rejected at next-1", 5, 12, 11, 9, true, 6},
      {"hint above", 5, 12, 8, 100, true, 6},
      {"no match yet", 0, 12, 4, 3, true, 1},
      // clang-format on
  };
  for (const auto& c : cases) {
    Progress pr = Replicate(c.match, c.next);
    ASSERT_EQ(pr.next(), Index{c.next}) << c.name;
    EXPECT_EQ(pr.MaybeDecrTo(Index{c.rejected}, Index{c.hint}), c.want_ok) << c.name;
    EXPECT_EQ(pr.next(), Index{c.want_next}) << c.name;
    EXPECT_EQ(pr.match(), Index{c.match}) << c.name;
  }
}

TEST(Progress, BecomeProbeFromSnapshotTable) {
  const struct {
    uint64_t match, pending_snapshot, want_next;
  } cases[] = {
      // clang-format off
      {3, 10, 11},   // snapshot ahead of match: resume after the snapshot
      {0, 10, 11},
      {15, 10, 16},  // follower already past the snapshot: resume after match
      {10, 10, 11},
      // clang-format on
  };
  for (const auto& c : cases) {
    Progress pr = Probe(c.match, c.match + 1);
    pr.BecomeSnapshot(Index{c.pending_snapshot});
    ASSERT_EQ(pr.state(), ProgressState::kSnapshot);
    ASSERT_EQ(pr.pending_snapshot(), Index{c.pending_snapshot});
    pr.BecomeProbe();
    EXPECT_EQ(pr.state(), ProgressState::kProbe);
    EXPECT_EQ(pr.next(), Index{c.want_next})
        << "match=" << c.match << " snapshot=" << c.pending_snapshot;
    EXPECT_EQ(pr.pending_snapshot(), Index{0});
    EXPECT_FALSE(pr.IsPaused());
  }
}

TEST(Progress, BecomeProbeFromReplicateRestartsAfterMatch) {
  Progress pr = Replicate(5, 20);
  pr.inflights().Add(Index{10});
  pr.inflights().Add(Index{19});
  pr.BecomeProbe();
  EXPECT_EQ(pr.state(), ProgressState::kProbe);
  EXPECT_EQ(pr.next(), Index{6});
  EXPECT_EQ(pr.inflights().Count(), 0u);
}

TEST(Progress, BecomeReplicateStartsAfterMatchWithAnEmptyWindow) {
  Progress pr = Probe(5, 9);
  pr.PauseProbe();
  pr.BecomeReplicate();
  EXPECT_EQ(pr.state(), ProgressState::kReplicate);
  EXPECT_EQ(pr.next(), Index{6});
  EXPECT_EQ(pr.inflights().Count(), 0u);
  EXPECT_FALSE(pr.IsPaused());
}

TEST(Progress, IsPausedInProbe) {
  Progress pr = Probe(2, 3);
  EXPECT_FALSE(pr.IsPaused());
  pr.PauseProbe();
  EXPECT_TRUE(pr.IsPaused());
  pr.ResumeProbe();
  EXPECT_FALSE(pr.IsPaused());
}

TEST(Progress, IsPausedInReplicateFollowsTheWindow) {
  Progress pr = Replicate(2, 3);
  EXPECT_FALSE(pr.IsPaused());
  pr.PauseProbe();  // probe pausing has no meaning in replicate state
  EXPECT_FALSE(pr.IsPaused());
  for (uint64_t i = 1; i <= kInflightMax; i++) {
    EXPECT_FALSE(pr.IsPaused()) << i;
    pr.OptimisticUpdate(Index{2 + i});
    pr.inflights().Add(Index{2 + i});
  }
  EXPECT_TRUE(pr.IsPaused());
  EXPECT_TRUE(pr.MaybeUpdate(Index{3}));
  pr.inflights().FreeLE(Index{3});
  EXPECT_FALSE(pr.IsPaused());
}

TEST(Progress, IsPausedInSnapshotAlways) {
  Progress pr = Probe(2, 3);
  pr.BecomeSnapshot(Index{10});
  EXPECT_TRUE(pr.IsPaused());
  pr.ResumeProbe();
  EXPECT_TRUE(pr.IsPaused());
  EXPECT_TRUE(pr.MaybeUpdate(Index{5}));
  EXPECT_TRUE(pr.IsPaused()) << "still waiting for the snapshot";
}

TEST(Progress, ResetToStartsProbing) {
  Progress pr = Replicate(5, 9);
  pr.set_recent_active(true);
  pr.inflights().Add(Index{8});
  pr.ResetTo(Index{0}, Index{20});
  EXPECT_EQ(pr.match(), Index{0});
  EXPECT_EQ(pr.next(), Index{20});
  EXPECT_EQ(pr.state(), ProgressState::kProbe);
  EXPECT_FALSE(pr.recent_active());
  EXPECT_EQ(pr.inflights().Count(), 0u);
}

TEST(ProgressDeathTest, ResetToRequiresMatchBelowNext) {
  Progress pr(Index{1}, kInflightMax);
  EXPECT_DEATH(pr.ResetTo(Index{5}, Index{5}), "assertion failed");
}

TEST(Progress, StateNames) {
  EXPECT_STREQ(ProgressStateName(ProgressState::kProbe), "probe");
  EXPECT_STREQ(ProgressStateName(ProgressState::kReplicate), "replicate");
  EXPECT_STREQ(ProgressStateName(ProgressState::kSnapshot), "snapshot");
}

// Invariant: match < next, whatever sequence of acks, rejections (fresh or
// stale, with any hint) and state changes the leader applies.
RC_GTEST_PROP(ProgressProperty, MatchStaysBelowNext, ()) {
  Progress pr(Index{*rc::gen::inRange<uint64_t>(1, 30)}, kInflightMax);
  const int steps = *rc::gen::inRange(0, 60);
  for (int s = 0; s < steps; s++) {
    const Index before_match = pr.match();
    const Index before_next = pr.next();
    const Index a{*rc::gen::inRange<uint64_t>(0, 40)};
    const Index b{*rc::gen::inRange<uint64_t>(0, 40)};
    switch (*rc::gen::inRange(0, 6)) {
      case 0:
        pr.MaybeUpdate(a);
        break;
      case 1: {
        const ProgressState state = pr.state();
        if (pr.MaybeDecrTo(a, b)) {
          RC_ASSERT(pr.next() <= std::max(a, before_match.Next()));
          if (state == ProgressState::kProbe) RC_ASSERT(pr.next() <= before_next);
        } else {
          RC_ASSERT(pr.next() == before_next);
        }
        break;
      }
      case 2:
        pr.BecomeProbe();
        break;
      case 3:
        pr.BecomeReplicate();
        break;
      case 4:
        pr.BecomeSnapshot(a);
        break;
      case 5:
        // Only ever sends forward from next.
        if (pr.state() == ProgressState::kReplicate) pr.OptimisticUpdate(pr.next() + a.value);
        break;
    }
    RC_ASSERT(pr.match() >= before_match);  // match never decreases
    RC_ASSERT(pr.match() < pr.next());
  }
}

}  // namespace
}  // namespace raft
