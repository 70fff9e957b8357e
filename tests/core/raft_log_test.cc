// Tests for RaftLog, the log as Raft sees it: durable entries in Storage plus
// the unstable tail. Tables for term lookups, the follower's AppendEntries
// rules (Figure 2), conflict hints, the election restriction, the Figure 8
// commit rule, byte-limited slicing and snapshots; and a property that the
// follower's append path with conflict hints always converges on the
// leader's log without touching committed entries.
#include "core/raft_log.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/progress.h"
#include "tests/support/entries.h"

namespace raft {
namespace {

constexpr uint64_t kNoLimit = UINT64_MAX;

// Where a snapshot sits: (index, term), in that order.
struct SnapAt {
  uint64_t index;
  uint64_t term;
};

Snapshot Snap(uint64_t index, uint64_t term) {
  return Snapshot{SnapshotMeta{Index{index}, Term{term}, {NodeId{1}}}, "image"};
}

// A RaftLog over its own MemoryStorage. The storage holds an optional
// snapshot and `stable` entries after it; `unstable` entries follow in the
// log's unstable tail.
struct TestLog {
  MemoryStorage storage;
  std::unique_ptr<RaftLog> log;

  // The host's side of Ready: make the unstable part durable.
  void Persist() {
    if (const auto& snap = log->UnstableSnapshot()) {
      EXPECT_TRUE(storage.ApplySnapshot(*snap).ok());
      log->StableSnapshotTo(snap->meta.index);
    }
    const std::vector<Entry> ents = log->UnstableEntries();
    if (ents.empty()) return;
    storage.Append(ents);
    log->StableTo(ents.back().index, ents.back().term);
  }
};

std::unique_ptr<TestLog> MakeLog(std::optional<SnapAt> snapshot, const std::vector<Entry>& stable,
                                 const std::vector<Entry>& unstable = {}) {
  auto t = std::make_unique<TestLog>();
  if (snapshot) {
    EXPECT_TRUE(t->storage.ApplySnapshot(Snap(snapshot->index, snapshot->term)).ok());
  }
  t->storage.Append(stable);
  t->log = std::make_unique<RaftLog>(t->storage);
  t->log->Append(unstable);
  return t;
}

// A log of entries 1..terms.size() with the first `stable` of them durable.
std::unique_ptr<TestLog> MakeLog(const std::vector<uint64_t>& terms, size_t stable) {
  const std::vector<Entry> all = Span(1, terms);
  return MakeLog(std::nullopt, std::vector<Entry>(all.begin(), all.begin() + stable),
                 std::vector<Entry>(all.begin() + stable, all.end()));
}

// Terms of indexes first..LastIndex() (0 where unreadable).
std::vector<uint64_t> Terms(const RaftLog& log, uint64_t first = 1) {
  std::vector<uint64_t> out;
  for (Index i{first}; i <= log.LastIndex(); i = i.Next()) out.push_back(log.TermOrZero(i).value);
  return out;
}

std::vector<uint64_t> Indexes(const std::vector<Entry>& ents) {
  std::vector<uint64_t> out;
  for (const Entry& e : ents) out.push_back(e.index.value);
  return out;
}

// ---------------------------------------------------------------------------
// Construction and term lookups

TEST(RaftLog, NewLogStartsAtTheStorageSnapshot) {
  auto t = MakeLog(SnapAt{5, 2}, Span(6, {2, 3}));
  EXPECT_EQ(t->log->FirstIndex(), Index{6});
  EXPECT_EQ(t->log->LastIndex(), Index{7});
  EXPECT_EQ(t->log->LastTerm(), Term{3});
  EXPECT_EQ(t->log->committed(), Index{5}) << "a snapshot is committed";
  EXPECT_EQ(t->log->applied(), Index{5}) << "and applied";
  EXPECT_EQ(t->log->LastStableIndex(), Index{7});
  EXPECT_FALSE(t->log->HasNextCommittedEntries());
}

TEST(RaftLog, EmptyLog) {
  auto t = MakeLog({}, 0);
  EXPECT_EQ(t->log->FirstIndex(), Index{1});
  EXPECT_EQ(t->log->LastIndex(), Index{0});
  EXPECT_EQ(t->log->LastTerm(), Term{0});
  EXPECT_TRUE(t->log->MatchTerm(Index{0}, Term{0}));
  EXPECT_EQ(t->log->committed(), Index{0});
}

TEST(RaftLog, TermAtAcrossSnapshotStorageAndUnstable) {
  // Snapshot (3, t2); durable 4..5; unstable 6..7.
  auto t = MakeLog(SnapAt{3, 2}, Span(4, {2, 3}), Span(6, {3, 4}));
  const struct {
    uint64_t index;
    StatusCode want_code;
    uint64_t want_term;
  } cases[] = {
      // clang-format off
      {0, StatusCode::kCompacted, 0},
      {2, StatusCode::kCompacted, 0},
      {3, StatusCode::kOk, 2},  // the snapshot index
      {4, StatusCode::kOk, 2},
      {5, StatusCode::kOk, 3},
      {6, StatusCode::kOk, 3},
      {7, StatusCode::kOk, 4},
      {8, StatusCode::kUnavailable, 0},
      {100, StatusCode::kUnavailable, 0},
      // clang-format on
  };
  for (const auto& c : cases) {
    Result<Term> got = t->log->TermAt(Index{c.index});
    EXPECT_EQ(got.status().code(), c.want_code) << c.index;
    EXPECT_EQ(t->log->TermOrZero(Index{c.index}), Term{c.want_term}) << c.index;
    if (got.ok()) {
      EXPECT_EQ(got.value(), Term{c.want_term}) << c.index;
    }
  }
  EXPECT_EQ(t->log->FirstIndex(), Index{4});
  EXPECT_EQ(t->log->LastIndex(), Index{7});
  EXPECT_EQ(t->log->LastStableIndex(), Index{5});
  EXPECT_TRUE(t->log->MatchTerm(Index{3}, Term{2}));
  EXPECT_FALSE(t->log->MatchTerm(Index{3}, Term{3}));
  EXPECT_FALSE(t->log->MatchTerm(Index{2}, Term{0}));
  EXPECT_FALSE(t->log->MatchTerm(Index{8}, Term{0}));
}

TEST(RaftLog, UnstableTailOverridesTheStorageItReplaces) {
  // Durable 1..5; an append from index 3 replaces 3..5 (not yet durable).
  auto t = MakeLog({1, 1, 1, 2, 2}, 5);
  t->log->Append(Span(3, {3, 3}));
  EXPECT_EQ(t->log->LastIndex(), Index{4}) << "storage still holds 5, the log does not";
  EXPECT_EQ(Terms(*t->log), (std::vector<uint64_t>{1, 1, 3, 3}));
  EXPECT_EQ(t->log->TermAt(Index{5}).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(t->log->LastStableIndex(), Index{2});
  Result<std::vector<Entry>> all = t->log->Slice(Index{1}, Index{5}, kNoLimit);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value(), Span(1, {1, 1, 3, 3}));
  t->Persist();
  EXPECT_EQ(t->storage.LastIndex(), Index{4}) << "the host truncated too";
  EXPECT_EQ(Terms(*t->log), (std::vector<uint64_t>{1, 1, 3, 3}));
}

// ---------------------------------------------------------------------------
// Follower side of AppendEntries

TEST(RaftLog, MaybeAppendTable) {
  // The follower holds (1,t1) (2,t2) (3,t3) with commit 1.
  const struct {
    const char* name;
    uint64_t prev_index, prev_term, leader_commit;
    std::vector<TI> entries;
    std::optional<uint64_t> want_last_new;
    uint64_t want_commit;
    std::vector<uint64_t> want_terms;
  } cases[] = {
      // clang-format off
      // Receiver rule 2: reject when prev does not match.
      {"prev term mismatch", 3, 2, 3, {{4, 4}}, std::nullopt, 1, {1, 2, 3}},
      {"prev past the end", 4, 3, 3, {{4, 5}}, std::nullopt, 1, {1, 2, 3}},
      // Heartbeat-like appends (no entries) at various points.
      {"empty at last", 3, 3, 3, {}, 3, 3, {1, 2, 3}},
      {"commit capped at last new", 3, 3, 4, {}, 3, 3, {1, 2, 3}},
      {"commit below last new", 3, 3, 2, {}, 3, 2, {1, 2, 3}},
      {"commit never decreases", 3, 3, 0, {}, 3, 1, {1, 2, 3}},
      {"empty in the middle", 2, 2, 3, {}, 2, 2, {1, 2, 3}},
      {"empty at zero", 0, 0, 3, {}, 0, 1, {1, 2, 3}},
      // Rule 4: append new entries.
      {"one new", 3, 3, 4, {{4, 4}}, 4, 4, {1, 2, 3, 4}},
      {"one new, lower commit", 3, 3, 3, {{4, 4}}, 4, 3, {1, 2, 3, 4}},
      {"two new", 3, 3, 4, {{4, 4}, {4, 5}}, 5, 4, {1, 2, 3, 4, 4}},
      // Rule 3: a conflict truncates from the conflicting index.
      {"conflict at 3", 2, 2, 3, {{4, 3}}, 3, 3, {1, 2, 4}},
      {"conflict at 3, extend", 2, 2, 4, {{4, 3}, {4, 4}}, 4, 4, {1, 2, 4, 4}},
      {"conflict at 2", 1, 1, 4, {{4, 2}}, 2, 2, {1, 4}},
      {"conflict after matching", 1, 1, 4, {{2, 2}, {4, 3}}, 3, 3, {1, 2, 4}},
      // Stale (shorter) appends never truncate matching entries.
      {"stale one", 1, 1, 3, {{2, 2}}, 2, 2, {1, 2, 3}},
      {"stale two", 0, 0, 3, {{1, 1}, {2, 2}}, 2, 2, {1, 2, 3}},
      {"stale all", 0, 0, 3, {{1, 1}, {2, 2}, {3, 3}}, 3, 3, {1, 2, 3}},
      {"overlap and extend", 2, 2, 5, {{3, 3}, {4, 4}}, 4, 4, {1, 2, 3, 4}},
      // clang-format on
  };
  // Run every case with the follower's log fully durable, partly durable and
  // fully unstable: the result must not depend on where the split is.
  for (size_t stable = 0; stable <= 3; stable++) {
    for (const auto& c : cases) {
      auto t = MakeLog({1, 2, 3}, stable);
      t->log->CommitTo(Index{1});
      std::optional<Index> got = t->log->MaybeAppend(Index{c.prev_index}, Term{c.prev_term},
                                                     Index{c.leader_commit}, Ents(c.entries));
      std::optional<uint64_t> got_value;
      if (got) got_value = got->value;
      EXPECT_EQ(got_value, c.want_last_new) << c.name << " stable=" << stable;
      EXPECT_EQ(t->log->committed(), Index{c.want_commit}) << c.name << " stable=" << stable;
      EXPECT_EQ(Terms(*t->log), c.want_terms) << c.name << " stable=" << stable;
    }
  }
}

TEST(RaftLog, MaybeAppendTruncatesOnlyFromTheFirstConflict) {
  // Durable log (1,t1) .. (5,t3). The leader resends 2..4 where only 4 differs.
  auto t = MakeLog({1, 2, 3, 3, 3}, 5);
  std::optional<Index> got =
      t->log->MaybeAppend(Index{1}, Term{1}, Index{0}, Ents({{2, 2}, {3, 3}, {4, 4}}));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Index{4});
  EXPECT_EQ(Terms(*t->log), (std::vector<uint64_t>{1, 2, 3, 4}));
  // Only the conflicting suffix is rewritten: 1..3 stay durable, 4 is new.
  EXPECT_EQ(t->log->LastStableIndex(), Index{3});
  EXPECT_EQ(t->log->UnstableEntries(), Ents({{4, 4}}));
}

TEST(RaftLog, MaybeAppendOfMatchingEntriesWritesNothing) {
  auto t = MakeLog({1, 2, 3}, 3);
  ASSERT_TRUE(t->log->MaybeAppend(Index{0}, Term{0}, Index{0}, Span(1, {1, 2, 3})).has_value());
  EXPECT_TRUE(t->log->UnstableEntries().empty()) << "nothing to persist again";
  EXPECT_EQ(t->log->LastStableIndex(), Index{3});
}

TEST(RaftLog, MaybeAppendAfterASnapshot) {
  // Snapshot (5, t2), durable 6..7.
  auto t = MakeLog(SnapAt{5, 2}, Span(6, {2, 3}));
  // prev at the snapshot index matches through the snapshot's term.
  std::optional<Index> got =
      t->log->MaybeAppend(Index{5}, Term{2}, Index{7}, Ents({{2, 6}, {4, 7}, {4, 8}}));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, Index{8});
  EXPECT_EQ(Terms(*t->log, 6), (std::vector<uint64_t>{2, 4, 4}));
  EXPECT_EQ(t->log->committed(), Index{7});
  // prev below the snapshot is not known to match.
  EXPECT_FALSE(t->log->MaybeAppend(Index{4}, Term{2}, Index{7}, {}).has_value());
}

TEST(RaftLogDeathTest, MaybeAppendConflictingWithACommittedEntryAborts) {
  auto t = MakeLog({1, 2, 3}, 3);
  t->log->CommitTo(Index{2});
  EXPECT_DEATH((void)t->log->MaybeAppend(Index{1}, Term{1}, Index{3}, Ents({{4, 2}})),
               "conflict with a committed entry");
}

TEST(RaftLog, FindConflictTable) {
  auto t = MakeLog({1, 2, 3}, 2);
  const struct {
    std::vector<TI> entries;
    std::optional<uint64_t> want;
  } cases[] = {
      // clang-format off
      // No conflict: empty, or everything already present.
      {{}, std::nullopt},
      {{{1, 1}, {2, 2}, {3, 3}}, std::nullopt},
      {{{2, 2}, {3, 3}}, std::nullopt},
      {{{3, 3}}, std::nullopt},
      // New entries: the first new index.
      {{{1, 1}, {2, 2}, {3, 3}, {4, 4}, {4, 5}}, 4},
      {{{2, 2}, {3, 3}, {4, 4}, {4, 5}}, 4},
      {{{3, 3}, {4, 4}, {4, 5}}, 4},
      {{{4, 4}, {4, 5}}, 4},
      // A term mismatch: the first mismatching index.
      {{{4, 1}, {4, 2}}, 1},
      {{{1, 2}, {4, 3}, {4, 4}}, 2},
      {{{1, 3}, {2, 4}, {4, 5}, {4, 6}}, 3},
      // clang-format on
  };
  for (const auto& c : cases) {
    std::optional<Index> got = t->log->FindConflict(Ents(c.entries));
    std::optional<uint64_t> got_value;
    if (got) got_value = got->value;
    EXPECT_EQ(got_value, c.want) << ::testing::PrintToString(Indexes(Ents(c.entries)));
  }
}

TEST(RaftLog, FirstIndexOfTermTable) {
  const struct {
    const char* name;
    std::unique_ptr<TestLog> t;
    uint64_t index;
    uint64_t want;
  } cases[] = {
      // clang-format off
      // Log 1..6 with terms 1 1 2 2 2 3, all durable.
      {"start of term 2", MakeLog({1, 1, 2, 2, 2, 3}, 6), 3, 3},
      {"middle of term 2", MakeLog({1, 1, 2, 2, 2, 3}, 6), 5, 3},
      {"last term", MakeLog({1, 1, 2, 2, 2, 3}, 6), 6, 6},
      {"first term", MakeLog({1, 1, 2, 2, 2, 3}, 6), 2, 1},
      {"index zero", MakeLog({1, 1, 2, 2, 2, 3}, 6), 0, 0},
      // The same log split across storage and the unstable tail.
      {"across the boundary", MakeLog({1, 1, 2, 2, 2, 3}, 3), 5, 3},
      {"unstable only", MakeLog({1, 1, 2, 2, 2, 3}, 0), 5, 3},
      // Never scans past the first available entry.
      {"stops at first index", MakeLog(SnapAt{2, 1}, Span(3, {2, 2, 2, 3})), 5, 3},
      {"same term as snapshot", MakeLog(SnapAt{3, 2}, Span(4, {2, 2, 3})), 5, 4},
      // clang-format on
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.t->log->FirstIndexOfTerm(Index{c.index}), Index{c.want}) << c.name;
  }
}

TEST(RaftLog, LastIndexAtOrBelowTermTable) {
  const struct {
    const char* name;
    std::unique_ptr<TestLog> t;
    uint64_t index, term;
    uint64_t want;
  } cases[] = {
      // clang-format off
      // Log 1..7 with terms 1 1 2 2 2 4 4.
      {"last entry", MakeLog({1, 1, 2, 2, 2, 4, 4}, 4), 7, 4, 7},
      {"term not present", MakeLog({1, 1, 2, 2, 2, 4, 4}, 4), 7, 3, 5},
      {"older term", MakeLog({1, 1, 2, 2, 2, 4, 4}, 4), 7, 2, 5},
      {"bounded by index", MakeLog({1, 1, 2, 2, 2, 4, 4}, 4), 4, 2, 4},
      {"first term", MakeLog({1, 1, 2, 2, 2, 4, 4}, 4), 7, 1, 2},
      {"no such term", MakeLog({1, 1, 2, 2, 2, 4, 4}, 4), 7, 0, 0},
      {"index past the end", MakeLog({1, 1, 2, 2, 2, 4, 4}, 4), 100, 4, 7},
      {"higher term", MakeLog({1, 1, 2, 2, 2, 4, 4}, 4), 3, 5, 3},
      // With a snapshot at (2, t1): its index is answerable, below is not.
      {"snapshot index", MakeLog(SnapAt{2, 1}, Span(3, {2, 2, 2, 4, 4})), 7, 1, 2},
      {"below snapshot", MakeLog(SnapAt{2, 1}, Span(3, {2, 2, 2, 4, 4})), 7, 0, 0},
      {"after snapshot", MakeLog(SnapAt{2, 1}, Span(3, {2, 2, 2, 4, 4})), 7, 3, 5},
      // clang-format on
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.t->log->LastIndexAtOrBelowTerm(Index{c.index}, Term{c.term}), Index{c.want})
        << c.name;
  }
}

// ---------------------------------------------------------------------------
// Elections and commitment

TEST(RaftLog, IsUpToDateTable) {
  // Our last entry is (3, t3).
  auto t = MakeLog({1, 2, 3}, 2);
  const struct {
    uint64_t last_index, last_term;
    bool want;
  } cases[] = {
      // clang-format off
      // A higher last term wins whatever the length.
      {2, 4, true},
      {3, 4, true},
      {4, 4, true},
      // A lower last term loses whatever the length.
      {2, 2, false},
      {3, 2, false},
      {4, 2, false},
      {100, 2, false},
      // Same last term: the longer (or equal) log wins.
      {2, 3, false},
      {3, 3, true},
      {4, 3, true},
      // clang-format on
  };
  for (const auto& c : cases) {
    EXPECT_EQ(t->log->IsUpToDate(Index{c.last_index}, Term{c.last_term}), c.want)
        << "(" << c.last_index << ", t" << c.last_term << ")";
  }
}

TEST(RaftLog, MaybeCommitTable) {
  // Log terms 1 1 2 2 3 (indexes 1..5), committed 1.
  const struct {
    const char* name;
    uint64_t max_index, term;
    bool want;
    uint64_t want_commit;
  } cases[] = {
      // clang-format off
      {"current term entry", 5, 3, true, 5},
      {"older term entry is not committed by counting", 4, 3, false, 1},
      {"entry of the given term", 4, 2, true, 4},
      {"at commit", 1, 1, false, 1},
      {"below commit", 0, 0, false, 1},
      {"past the end", 6, 3, false, 1},
      // clang-format on
  };
  for (const auto& c : cases) {
    auto t = MakeLog({1, 1, 2, 2, 3}, 3);
    t->log->CommitTo(Index{1});
    EXPECT_EQ(t->log->MaybeCommit(Index{c.max_index}, Term{c.term}), c.want) << c.name;
    EXPECT_EQ(t->log->committed(), Index{c.want_commit}) << c.name;
  }
}

TEST(RaftLog, CommitNeverDecreases) {
  auto t = MakeLog({1, 1, 2}, 3);
  t->log->CommitTo(Index{3});
  t->log->CommitTo(Index{1});
  EXPECT_EQ(t->log->committed(), Index{3});
  EXPECT_FALSE(t->log->MaybeCommit(Index{2}, Term{1}));
  EXPECT_EQ(t->log->committed(), Index{3});
}

TEST(RaftLogDeathTest, CommitPastTheLastIndexAborts) {
  auto t = MakeLog({1, 1, 2}, 3);
  EXPECT_DEATH(t->log->CommitTo(Index{4}), "commit index past the last index");
}

TEST(RaftLogDeathTest, AppliedOutOfRangeAborts) {
  auto t = MakeLog({1, 1, 2}, 3);
  t->log->CommitTo(Index{2});
  EXPECT_DEATH(t->log->AppliedTo(Index{3}), "applied out of range");
  t->log->AppliedTo(Index{2});
  EXPECT_DEATH(t->log->AppliedTo(Index{1}), "applied out of range");
}

// ---------------------------------------------------------------------------
// Reading entries

TEST(RaftLog, SliceTable) {
  // Snapshot (3, t3); durable 4..6; unstable 7..9. Every entry is 25 bytes.
  auto t = MakeLog(SnapAt{3, 3}, Span(4, {4, 5, 6}, "x"), Span(7, {7, 8, 9}, "x"));
  const uint64_t size = EntrySizeBytes(Span(1, {1}, "x")[0]);
  ASSERT_EQ(size, 25u);
  const struct {
    uint64_t lo, hi, max_bytes;
    StatusCode want_code;
    std::vector<uint64_t> want;
  } cases[] = {
      // clang-format off
      {2, 6, kNoLimit, StatusCode::kCompacted, {}},
      {3, 6, kNoLimit, StatusCode::kCompacted, {}},
      {6, 6, kNoLimit, StatusCode::kOk, {}},
      {4, 7, kNoLimit, StatusCode::kOk, {4, 5, 6}},        // storage only
      {7, 10, kNoLimit, StatusCode::kOk, {7, 8, 9}},       // unstable only
      {5, 9, kNoLimit, StatusCode::kOk, {5, 6, 7, 8}},     // both
      {4, 10, kNoLimit, StatusCode::kOk, {4, 5, 6, 7, 8, 9}},
      // Byte limits: at least one entry, wherever it comes from.
      {4, 10, 0, StatusCode::kOk, {4}},
      {7, 10, 0, StatusCode::kOk, {7}},
      {4, 10, 2 * size, StatusCode::kOk, {4, 5}},
      {4, 10, 3 * size, StatusCode::kOk, {4, 5, 6}},
      {4, 10, 4 * size - 1, StatusCode::kOk, {4, 5, 6}},
      {4, 10, 4 * size, StatusCode::kOk, {4, 5, 6, 7}},  // the limit spans both
      {4, 10, 5 * size, StatusCode::kOk, {4, 5, 6, 7, 8}},
      {6, 10, 2 * size, StatusCode::kOk, {6, 7}},
      {6, 10, 2 * size - 1, StatusCode::kOk, {6}},
      {7, 10, 2 * size, StatusCode::kOk, {7, 8}},
      // Storage hits the limit first: nothing from the unstable tail.
      {5, 9, size, StatusCode::kOk, {5}},
      // clang-format on
  };
  for (const auto& c : cases) {
    Result<std::vector<Entry>> got = t->log->Slice(Index{c.lo}, Index{c.hi}, c.max_bytes);
    EXPECT_EQ(got.status().code(), c.want_code)
        << "[" << c.lo << "," << c.hi << ") max=" << c.max_bytes;
    if (!got.ok()) continue;
    for (const Entry& e : got.value()) EXPECT_EQ(e.term.value, e.index.value);
    EXPECT_EQ(Indexes(got.value()), c.want)
        << "[" << c.lo << "," << c.hi << ") max=" << c.max_bytes;
  }
}

TEST(RaftLog, SliceWithEntriesOfDifferentSizes) {
  // Sizes 24+10, 24+0, 24+30 durable, then 24+5 unstable.
  std::vector<Entry> stable = Span(1, {1, 1, 1});
  stable[0].data = std::string(10, 'a');
  stable[2].data = std::string(30, 'c');
  std::vector<Entry> unstable = Span(4, {2}, "ddddd");
  auto t = MakeLog(std::nullopt, stable, unstable);
  const struct {
    uint64_t max_bytes;
    std::vector<uint64_t> want;
  } cases[] = {
      // clang-format off
      {33, {1}}, {34, {1}}, {57, {1}}, {58, {1, 2}}, {111, {1, 2}},
      {112, {1, 2, 3}}, {140, {1, 2, 3}}, {141, {1, 2, 3, 4}},
      // clang-format on
  };
  for (const auto& c : cases) {
    Result<std::vector<Entry>> got = t->log->Slice(Index{1}, Index{5}, c.max_bytes);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(Indexes(got.value()), c.want) << "max=" << c.max_bytes;
  }
}

TEST(RaftLogDeathTest, SlicePastTheLastIndexAborts) {
  auto t = MakeLog({1, 2, 3}, 2);
  EXPECT_DEATH((void)t->log->Slice(Index{1}, Index{5}, kNoLimit), "slice past the last index");
}

TEST(RaftLog, NextCommittedEntries) {
  // Durable 1..3, unstable 4..5; nothing committed yet.
  auto t = MakeLog({1, 1, 2, 2, 2}, 3);
  EXPECT_FALSE(t->log->HasNextCommittedEntries());
  EXPECT_TRUE(t->log->NextCommittedEntries(kNoLimit).empty());

  t->log->CommitTo(Index{4});
  EXPECT_TRUE(t->log->HasNextCommittedEntries());
  EXPECT_EQ(Indexes(t->log->NextCommittedEntries(kNoLimit)), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Indexes(t->log->NextCommittedEntries(0)), (std::vector<uint64_t>{1}));

  t->log->AppliedTo(Index{2});
  EXPECT_EQ(Indexes(t->log->NextCommittedEntries(kNoLimit)), (std::vector<uint64_t>{3, 4}));
  t->log->AppliedTo(Index{4});
  EXPECT_FALSE(t->log->HasNextCommittedEntries());
  EXPECT_TRUE(t->log->NextCommittedEntries(kNoLimit).empty());

  t->log->CommitTo(Index{5});
  EXPECT_EQ(Indexes(t->log->NextCommittedEntries(kNoLimit)), (std::vector<uint64_t>{5}));
}

TEST(RaftLog, NextCommittedEntriesStartAfterTheSnapshot) {
  auto t = MakeLog(SnapAt{3, 1}, Span(4, {2, 2}));
  EXPECT_FALSE(t->log->HasNextCommittedEntries());
  t->log->CommitTo(Index{5});
  EXPECT_EQ(Indexes(t->log->NextCommittedEntries(kNoLimit)), (std::vector<uint64_t>{4, 5}));
}

// ---------------------------------------------------------------------------
// Persistence handshake and snapshots

TEST(RaftLog, StableToReleasesUnstableEntries) {
  auto t = MakeLog({1, 1}, 1);  // durable 1, unstable 2
  t->log->Append(Span(3, {2}));
  ASSERT_EQ(t->log->LastStableIndex(), Index{1});
  t->storage.Append(t->log->UnstableEntries());
  t->log->StableTo(Index{2}, Term{1});
  EXPECT_EQ(t->log->LastStableIndex(), Index{2});
  EXPECT_EQ(t->log->UnstableEntries(), Span(3, {2}));
  t->log->StableTo(Index{3}, Term{2});
  EXPECT_EQ(t->log->LastStableIndex(), Index{3});
  EXPECT_TRUE(t->log->UnstableEntries().empty());
  EXPECT_EQ(Terms(*t->log), (std::vector<uint64_t>{1, 1, 2}));
}

TEST(RaftLog, StableToIgnoredWhenTheTermDoesNotMatch) {
  // Unstable (2,t1) (3,t1) handed to the host; a leader then replaces 3.
  auto t = MakeLog({1, 1, 1}, 1);
  const std::vector<Entry> handed_out = t->log->UnstableEntries();
  ASSERT_TRUE(t->log->MaybeAppend(Index{2}, Term{1}, Index{0}, Ents({{2, 3}})).has_value());
  t->storage.Append(handed_out);
  t->log->StableTo(Index{3}, Term{1});  // persisted, but no longer our entry 3
  EXPECT_EQ(t->log->LastStableIndex(), Index{1});
  EXPECT_EQ(t->log->UnstableEntries(), Ents({{1, 2}, {2, 3}}));
  t->log->StableTo(Index{2}, Term{1});  // entry 2 did not change
  EXPECT_EQ(t->log->LastStableIndex(), Index{2});
  EXPECT_EQ(t->log->UnstableEntries(), Ents({{2, 3}}));
  t->log->StableTo(Index{3}, Term{5});  // a term we never had
  EXPECT_EQ(t->log->LastStableIndex(), Index{2});
}

TEST(RaftLog, RestoreTable) {
  // Log terms 1 1 2 2 3 (1..5), durable, committed 2.
  const struct {
    const char* name;
    uint64_t index, term;
    bool want_restored;
    uint64_t want_commit, want_first, want_last;
  } cases[] = {
      // clang-format off
      {"older than commit", 2, 1, false, 2, 1, 5},
      {"matching entry fast-forwards commit", 4, 2, false, 4, 1, 5},
      {"matching last entry", 5, 3, false, 5, 1, 5},
      {"conflicting entry", 4, 3, true, 4, 5, 4},
      {"ahead of the log", 10, 5, true, 10, 11, 10},
      // clang-format on
  };
  for (const auto& c : cases) {
    auto t = MakeLog({1, 1, 2, 2, 3}, 5);
    t->log->CommitTo(Index{2});
    const Snapshot snap = Snap(c.index, c.term);
    EXPECT_EQ(t->log->Restore(snap), c.want_restored) << c.name;
    EXPECT_EQ(t->log->committed(), Index{c.want_commit}) << c.name;
    EXPECT_EQ(t->log->FirstIndex(), Index{c.want_first}) << c.name;
    EXPECT_EQ(t->log->LastIndex(), Index{c.want_last}) << c.name;
    EXPECT_EQ(t->log->UnstableSnapshot().has_value(), c.want_restored) << c.name;
    if (!c.want_restored) continue;
    EXPECT_EQ(t->log->TermOrZero(Index{c.index}), Term{c.term}) << c.name;
    EXPECT_EQ(t->log->LastTerm(), Term{c.term}) << c.name;
    EXPECT_TRUE(t->log->UnstableEntries().empty()) << c.name;
    ASSERT_TRUE(t->log->GetSnapshot().ok());
    EXPECT_EQ(t->log->GetSnapshot().value(), snap) << c.name;
    EXPECT_FALSE(t->log->HasNextCommittedEntries()) << c.name << ": the snapshot is not an entry";
    EXPECT_EQ(t->log->TermAt(Index{c.index - 1}).status().code(), StatusCode::kCompacted);
  }
}

TEST(RaftLog, RestoreThenPersistThenContinue) {
  auto t = MakeLog({1, 1, 2}, 3);
  ASSERT_TRUE(t->log->Restore(Snap(10, 4)));
  t->log->Append(Span(11, {5}));
  EXPECT_EQ(t->log->LastIndex(), Index{11});
  t->Persist();
  EXPECT_FALSE(t->log->UnstableSnapshot().has_value());
  EXPECT_TRUE(t->log->UnstableEntries().empty());
  EXPECT_EQ(t->storage.FirstIndex(), Index{11});
  EXPECT_EQ(t->log->FirstIndex(), Index{11});
  EXPECT_EQ(t->log->LastIndex(), Index{11});
  EXPECT_EQ(t->log->TermOrZero(Index{10}), Term{4});
  EXPECT_EQ(t->log->TermOrZero(Index{11}), Term{5});
  Result<Snapshot> snap = t->storage.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().meta.index, Index{10});
}

// ---------------------------------------------------------------------------
// Property: log repair by AppendEntries with conflict hints converges.

// Terms for a leader and a follower log that share `prefix` and then diverge.
// The suffixes never hold the same term at the same index (Log Matching: a
// shared (index, term) would imply a shared prefix). The leader's log ends
// with an entry of its own current term, higher than any term in either log.
struct Divergence {
  std::vector<uint64_t> leader;
  std::vector<uint64_t> follower;
  size_t prefix = 0;
};

std::ostream& operator<<(std::ostream& os, const Divergence& d) {
  return os << "leader=" << ::testing::PrintToString(d.leader)
            << " follower=" << ::testing::PrintToString(d.follower) << " prefix=" << d.prefix;
}

rc::Gen<Divergence> GenDivergence() {
  return rc::gen::exec([] {
    Divergence d;
    d.prefix = *rc::gen::inRange<size_t>(0, 12);
    uint64_t term = 1;
    for (size_t i = 0; i < d.prefix; i++) {
      term += *rc::gen::inRange<uint64_t>(0, 3) == 0 ? 1 : 0;
      d.leader.push_back(term);
    }
    d.follower = d.leader;
    // One side may continue the last shared term; the other moves on. Past
    // that, leader terms are base+odd and follower terms base+even.
    const uint64_t base = term;
    const bool leader_continues = *rc::gen::arbitrary<bool>();
    for (int side = 0; side < 2; side++) {
      std::vector<uint64_t>& log = side == 0 ? d.leader : d.follower;
      const bool continues = (side == 0) == leader_continues;
      const size_t len = *rc::gen::inRange<size_t>(0, 12);
      uint64_t k = 0;
      bool on_base = continues;
      for (size_t i = 0; i < len; i++) {
        if (on_base && *rc::gen::inRange(0, 3) == 0) on_base = false;
        if (!on_base) k += *rc::gen::inRange<uint64_t>(0, 3) == 0 ? 1 : 0;
        log.push_back(on_base ? base : base + 2 * k + (side == 0 ? 1 : 2));
      }
    }
    uint64_t top = 0;
    for (uint64_t t : d.leader) top = std::max(top, t);
    for (uint64_t t : d.follower) top = std::max(top, t);
    d.leader.push_back(top + 1);
    return d;
  });
}

// Entries [1..committed] of a log, by (term, index).
std::vector<std::pair<uint64_t, uint64_t>> CommittedPrefix(const RaftLog& log) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (Index i = log.FirstIndex().Prev(); i <= log.committed(); i = i.Next()) {
    out.emplace_back(log.TermOrZero(i).value, i.value);
  }
  return out;
}

RC_GTEST_PROP(RaftLogProperty, AppendWithConflictHintsConvergesOnTheLeaderLog, ()) {
  const Divergence d = *GenDivergence();
  const size_t leader_last = d.leader.size();

  // The leader's log is fully durable.
  auto leader = MakeLog(d.leader, leader_last);
  leader->log->CommitTo(Index{*rc::gen::inRange<uint64_t>(0, leader_last + 1)});

  // The follower has committed part of the shared prefix, may have compacted
  // part of that into a snapshot, and holds some of its log unstable.
  const uint64_t follower_commit = *rc::gen::inRange<uint64_t>(0, d.prefix + 1);
  const uint64_t snapshot_index = *rc::gen::inRange<uint64_t>(0, follower_commit + 1);
  const size_t stable = *rc::gen::inRange<size_t>(snapshot_index, d.follower.size() + 1);
  const std::vector<Entry> follower_all = Span(1, d.follower);
  auto follower = std::make_unique<TestLog>();
  follower->storage.Append(std::vector<Entry>(follower_all.begin(), follower_all.begin() + stable));
  if (snapshot_index > 0) {
    RC_ASSERT(follower->storage.CreateSnapshot(Index{snapshot_index}, "").ok());
  }
  follower->log = std::make_unique<RaftLog>(follower->storage);
  follower->log->Append(std::vector<Entry>(follower_all.begin() + stable, follower_all.end()));
  follower->log->CommitTo(Index{follower_commit});
  RaftLog& flog = *follower->log;
  RaftLog& llog = *leader->log;

  // A new leader probes from the end of its log.
  Progress pr(Index{leader_last + 1}, /*inflight_max=*/4);
  const uint64_t batch_max = *rc::gen::inRange<uint64_t>(1, 6);
  const size_t rounds_max = 2 * (d.leader.size() + d.follower.size()) + 4;
  size_t rounds = 0;
  size_t rejections = 0;
  for (; rounds < rounds_max; rounds++) {
    if (flog.LastIndex() == Index{leader_last} &&
        flog.MatchTerm(Index{leader_last}, llog.LastTerm()) && pr.match() == Index{leader_last}) {
      break;
    }
    // Leader: one append from next-1, as raft.cc SendAppend builds it.
    const Index prev = pr.next().Prev();
    const Index hi = std::min(Index{leader_last}, prev + batch_max).Next();
    Result<std::vector<Entry>> ents = llog.Slice(prev.Next(), hi, kNoLimit);
    RC_ASSERT(ents.ok());
    const Index leader_commit = llog.committed();

    // Follower: raft.cc HandleAppend.
    const auto committed_before = CommittedPrefix(flog);
    const Index commit_before = flog.committed();
    bool reject = false;
    Index resp_index;
    Term hint_term;
    Index hint_index;
    if (prev < flog.committed()) {
      resp_index = flog.committed();
    } else if (auto last_new =
                   flog.MaybeAppend(prev, llog.TermOrZero(prev), leader_commit, ents.value())) {
      resp_index = *last_new;
    } else {
      reject = true;
      resp_index = prev;
      if (prev > flog.LastIndex()) {
        hint_index = flog.LastIndex().Next();
      } else {
        hint_term = flog.TermOrZero(prev);
        hint_index = flog.FirstIndexOfTerm(prev);
      }
    }
    // Nothing at or below the commit index was rewritten, and commit only
    // grows, never past what the leader committed.
    RC_ASSERT(flog.committed() >= commit_before);
    RC_ASSERT(flog.committed() <= std::max(commit_before, leader_commit));
    const auto committed_after = CommittedPrefix(flog);
    RC_ASSERT(committed_after.size() >= committed_before.size());
    RC_ASSERT(
        std::equal(committed_before.begin(), committed_before.end(), committed_after.begin()));
    // Every entry the follower acknowledged matches the leader's.
    if (!reject) {
      for (Index i = flog.FirstIndex(); i <= resp_index; i = i.Next()) {
        RC_ASSERT(flog.TermOrZero(i) == llog.TermOrZero(i));
      }
    }
    // The host persists now and then, so the unstable boundary moves.
    if (*rc::gen::arbitrary<bool>()) follower->Persist();

    // Leader: raft.cc HandleAppendResponse.
    if (reject) {
      rejections++;
      Index next_hint = hint_index;
      if (hint_term > Term{}) {
        const Index ours = llog.LastIndexAtOrBelowTerm(resp_index, hint_term);
        if (llog.TermOrZero(ours) == hint_term) next_hint = ours.Next();
      }
      const Index next_before = pr.next();
      RC_ASSERT(pr.MaybeDecrTo(resp_index, next_hint));
      RC_ASSERT(pr.next() < next_before);  // every rejection makes progress
    } else if (pr.MaybeUpdate(resp_index) && pr.state() == ProgressState::kProbe) {
      pr.BecomeReplicate();
    }
  }
  RC_ASSERT(rounds < rounds_max);
  RC_ASSERT(flog.LastIndex() == Index{leader_last});
  for (Index i = flog.FirstIndex(); i <= flog.LastIndex(); i = i.Next()) {
    RC_ASSERT(flog.TermOrZero(i) == llog.TermOrZero(i));
  }
  RC_ASSERT(flog.committed() >= std::min(llog.committed(), Index{leader_last}));
  RC_CLASSIFY(d.prefix == 0, "no shared prefix");
  RC_CLASSIFY(snapshot_index > 0, "follower snapshot");
  RC_CLASSIFY(rejections > 0, "rejections");
  RC_CLASSIFY(rejections > 2, "more than 2 rejections");
}

}  // namespace
}  // namespace raft
