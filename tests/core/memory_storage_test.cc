// Tests for MemoryStorage: the in-memory durable log the core reads through
// the Storage interface (appends with overlap truncation, byte-limited reads,
// compaction, snapshots and the kCompacted / kUnavailable error codes).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/storage.h"
#include "tests/support/entries.h"

namespace raft {
namespace {

Snapshot Snap(uint64_t index, uint64_t term, std::vector<NodeId> voters = {},
              std::string data = "") {
  return Snapshot{SnapshotMeta{Index{index}, Term{term}, std::move(voters)}, std::move(data)};
}

// (term, index) pairs held by the storage from its sentinel to its last index.
std::vector<std::pair<uint64_t, uint64_t>> Dump(const MemoryStorage& s) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (Index i = s.FirstIndex().Prev(); i <= s.LastIndex(); i = i.Next()) {
    Result<Term> t = s.TermAt(i);
    EXPECT_TRUE(t.ok()) << i;
    out.emplace_back(t.ok() ? t.value().value : 0, i.value);
  }
  return out;
}

std::vector<std::pair<uint64_t, uint64_t>> Pairs(const std::vector<TI>& tis) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const TI& ti : tis) out.emplace_back(ti.term, ti.index);
  return out;
}

// Storage holding a snapshot at (index 3, term 3) and entries 4 and 5.
MemoryStorage ThreeFourFive() {
  MemoryStorage s;
  EXPECT_TRUE(s.ApplySnapshot(Snap(3, 3)).ok());
  s.Append(Ents({{4, 4}, {5, 5}}));
  return s;
}

TEST(MemoryStorage, StartsEmpty) {
  MemoryStorage s;
  EXPECT_EQ(s.FirstIndex(), Index{1});
  EXPECT_EQ(s.LastIndex(), Index{0});
  Result<Term> t0 = s.TermAt(Index{0});
  ASSERT_TRUE(t0.ok());
  EXPECT_EQ(t0.value(), Term{0});
  EXPECT_EQ(s.TermAt(Index{1}).status().code(), StatusCode::kUnavailable);
  Result<Snapshot> snap = s.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(snap.value().IsEmpty());
  EXPECT_TRUE(s.GetInitialState().hard_state.IsEmpty());
  EXPECT_TRUE(s.GetInitialState().voters.empty());
  Result<std::vector<Entry>> none = s.Entries(Index{1}, Index{1}, UINT64_MAX);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());
}

TEST(MemoryStorage, InitialStateReportsHardStateAndVoters) {
  MemoryStorage s;
  const HardState hs{Term{4}, NodeId{2}, Index{0}};
  s.SetHardState(hs);
  s.SetVoters({NodeId{1}, NodeId{2}, NodeId{3}});
  EXPECT_EQ(s.GetInitialState().hard_state, hs);
  EXPECT_EQ(s.GetInitialState().voters, (std::vector<NodeId>{NodeId{1}, NodeId{2}, NodeId{3}}));
}

TEST(MemoryStorage, AppendTable) {
  const struct {
    const char* name;
    std::vector<TI> append;
    std::vector<TI> want;  // sentinel first
  } cases[] = {
      // clang-format off
      {"same entries", {{3, 3}, {4, 4}, {5, 5}}, {{3, 3}, {4, 4}, {5, 5}}},
      {"overwrite from 4", {{3, 3}, {6, 4}, {6, 5}}, {{3, 3}, {6, 4}, {6, 5}}},
      {"extend", {{3, 3}, {4, 4}, {5, 5}, {5, 6}}, {{3, 3}, {4, 4}, {5, 5}, {5, 6}}},
      {"covered prefix skipped", {{2, 2}, {3, 3}, {5, 4}}, {{3, 3}, {5, 4}}},
      {"truncate from 4", {{5, 4}}, {{3, 3}, {5, 4}}},
      {"truncate from 5", {{6, 5}}, {{3, 3}, {4, 4}, {6, 5}}},
      {"shorter overwrite drops the tail", {{4, 4}}, {{3, 3}, {4, 4}}},
      {"directly after", {{5, 6}}, {{3, 3}, {4, 4}, {5, 5}, {5, 6}}},
      {"all covered by the snapshot", {{1, 1}, {2, 2}}, {{3, 3}, {4, 4}, {5, 5}}},
      {"ends at the snapshot", {{2, 2}, {3, 3}}, {{3, 3}, {4, 4}, {5, 5}}},
      {"empty", {}, {{3, 3}, {4, 4}, {5, 5}}},
      // clang-format on
  };
  for (const auto& c : cases) {
    MemoryStorage s = ThreeFourFive();
    s.Append(Ents(c.append));
    EXPECT_EQ(Dump(s), Pairs(c.want)) << c.name;
    EXPECT_EQ(s.FirstIndex(), Index{4}) << c.name;
  }
}

TEST(MemoryStorageDeathTest, AppendWithAGapAborts) {
  MemoryStorage s = ThreeFourFive();
  EXPECT_DEATH(s.Append(Ents({{5, 7}})), "gap in appended entries");
}

TEST(MemoryStorage, TermAtTable) {
  const MemoryStorage s = ThreeFourFive();
  const struct {
    uint64_t index;
    StatusCode want_code;
    uint64_t want_term;
  } cases[] = {
      // clang-format off
      {0, StatusCode::kCompacted, 0},
      {2, StatusCode::kCompacted, 0},
      {3, StatusCode::kOk, 3},  // the snapshot index is answerable
      {4, StatusCode::kOk, 4},
      {5, StatusCode::kOk, 5},
      {6, StatusCode::kUnavailable, 0},
      {100, StatusCode::kUnavailable, 0},
      // clang-format on
  };
  for (const auto& c : cases) {
    Result<Term> t = s.TermAt(Index{c.index});
    EXPECT_EQ(t.status().code(), c.want_code) << c.index;
    if (t.ok()) {
      EXPECT_EQ(t.value(), Term{c.want_term}) << c.index;
    }
  }
}

TEST(MemoryStorage, EntriesTable) {
  // Snapshot at 3; entries 4..6 of 24 + 1 = 25 bytes each.
  MemoryStorage s;
  ASSERT_TRUE(s.ApplySnapshot(Snap(3, 3)).ok());
  s.Append(Span(4, {4, 5, 6}, "x"));
  const uint64_t size = EntrySizeBytes(Span(4, {4}, "x")[0]);
  ASSERT_EQ(size, 25u);
  const struct {
    uint64_t lo, hi, max_bytes;
    StatusCode want_code;
    std::vector<uint64_t> want_indexes;
  } cases[] = {
      // clang-format off
      {2, 6, UINT64_MAX, StatusCode::kCompacted, {}},
      {3, 6, UINT64_MAX, StatusCode::kCompacted, {}},  // the sentinel is not an entry
      {4, 5, UINT64_MAX, StatusCode::kOk, {4}},
      {4, 7, UINT64_MAX, StatusCode::kOk, {4, 5, 6}},
      {5, 7, UINT64_MAX, StatusCode::kOk, {5, 6}},
      {6, 6, UINT64_MAX, StatusCode::kOk, {}},
      {7, 7, UINT64_MAX, StatusCode::kOk, {}},
      // Byte limits: always at least one entry, then only what fits.
      {4, 7, 0, StatusCode::kOk, {4}},
      {4, 7, size - 1, StatusCode::kOk, {4}},
      {4, 7, size, StatusCode::kOk, {4}},
      {4, 7, 2 * size - 1, StatusCode::kOk, {4}},
      {4, 7, 2 * size, StatusCode::kOk, {4, 5}},
      {4, 7, 3 * size - 1, StatusCode::kOk, {4, 5}},
      {4, 7, 3 * size, StatusCode::kOk, {4, 5, 6}},
      {5, 7, 0, StatusCode::kOk, {5}},
      // clang-format on
  };
  for (const auto& c : cases) {
    Result<std::vector<Entry>> got = s.Entries(Index{c.lo}, Index{c.hi}, c.max_bytes);
    EXPECT_EQ(got.status().code(), c.want_code)
        << "[" << c.lo << "," << c.hi << ") max=" << c.max_bytes;
    if (!got.ok()) continue;
    std::vector<uint64_t> indexes;
    for (const Entry& e : got.value()) {
      indexes.push_back(e.index.value);
      EXPECT_EQ(e.term.value, e.index.value);
      EXPECT_EQ(e.data, "x");
    }
    EXPECT_EQ(indexes, c.want_indexes) << "[" << c.lo << "," << c.hi << ") max=" << c.max_bytes;
  }
}

TEST(MemoryStorageDeathTest, EntriesPastTheLastIndexAbort) {
  const MemoryStorage s = ThreeFourFive();
  EXPECT_DEATH((void)s.Entries(Index{4}, Index{7}, UINT64_MAX), "entries past the last index");
}

TEST(MemoryStorage, CompactTable) {
  const struct {
    uint64_t compact;
    StatusCode want_code;
    uint64_t want_first;
    uint64_t want_sentinel_term;
  } cases[] = {
      // clang-format off
      {2, StatusCode::kCompacted, 4, 3},
      {3, StatusCode::kCompacted, 4, 3},  // already the sentinel
      {4, StatusCode::kOk, 5, 4},
      {5, StatusCode::kOk, 6, 5},  // everything: only the sentinel is left
      // clang-format on
  };
  for (const auto& c : cases) {
    MemoryStorage s = ThreeFourFive();
    EXPECT_EQ(s.Compact(Index{c.compact}).code(), c.want_code) << c.compact;
    EXPECT_EQ(s.FirstIndex(), Index{c.want_first}) << c.compact;
    EXPECT_EQ(s.LastIndex(), Index{5}) << c.compact;
    Result<Term> sentinel = s.TermAt(Index{c.want_first - 1});
    ASSERT_TRUE(sentinel.ok()) << c.compact;
    EXPECT_EQ(sentinel.value(), Term{c.want_sentinel_term}) << c.compact;
    EXPECT_EQ(s.TermAt(Index{c.want_first - 2}).status().code(), StatusCode::kCompacted);
    EXPECT_EQ(s.Entries(Index{c.want_first - 1}, Index{6}, UINT64_MAX).status().code(),
              StatusCode::kCompacted);
  }
}

TEST(MemoryStorage, CompactKeepsLaterEntriesReadable) {
  MemoryStorage s;
  s.Append(Span(1, {1, 1, 2, 2, 3}, "payload"));
  ASSERT_TRUE(s.Compact(Index{3}).ok());
  Result<std::vector<Entry>> got = s.Entries(Index{4}, Index{6}, UINT64_MAX);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), Span(4, {2, 3}, "payload"));
  // Appending after compaction still truncates correctly.
  s.Append(Span(5, {4}));
  EXPECT_EQ(Dump(s), Pairs({{2, 3}, {2, 4}, {4, 5}}));
}

TEST(MemoryStorageDeathTest, CompactPastTheLastIndexAborts) {
  MemoryStorage s = ThreeFourFive();
  EXPECT_DEATH((void)s.Compact(Index{6}), "compact past the last index");
}

TEST(MemoryStorage, CreateSnapshotTable) {
  const struct {
    uint64_t index;
    StatusCode want_code;
    uint64_t want_snapshot_index;
    uint64_t want_snapshot_term;
  } cases[] = {
      // clang-format off
      {2, StatusCode::kInvalidArgument, 3, 3},  // older than the current one
      {3, StatusCode::kInvalidArgument, 3, 3},  // the current one
      {4, StatusCode::kOk, 4, 4},
      {5, StatusCode::kOk, 5, 5},
      // clang-format on
  };
  for (const auto& c : cases) {
    MemoryStorage s = ThreeFourFive();
    s.SetVoters({NodeId{1}, NodeId{2}, NodeId{3}});
    EXPECT_EQ(s.CreateSnapshot(Index{c.index}, "state").code(), c.want_code) << c.index;
    Result<Snapshot> snap = s.GetSnapshot();
    ASSERT_TRUE(snap.ok());
    EXPECT_EQ(snap.value().meta.index, Index{c.want_snapshot_index}) << c.index;
    EXPECT_EQ(snap.value().meta.term, Term{c.want_snapshot_term}) << c.index;
    if (c.want_code == StatusCode::kOk) {
      EXPECT_EQ(snap.value().data, "state");
      EXPECT_EQ(snap.value().meta.voters, (std::vector<NodeId>{NodeId{1}, NodeId{2}, NodeId{3}}));
      // Entries up to the snapshot are discarded, the rest stay.
      EXPECT_EQ(s.FirstIndex(), Index{c.index + 1}) << c.index;
      EXPECT_EQ(s.LastIndex(), Index{5}) << c.index;
    } else {
      EXPECT_EQ(s.FirstIndex(), Index{4}) << c.index;
    }
  }
}

// A snapshot may be taken at an index already compacted to (the sentinel
// still holds its term); below that the term is gone and it is an error, not
// an out-of-bounds read.
TEST(MemoryStorage, CreateSnapshotAfterCompact) {
  MemoryStorage s;
  s.Append(Span(1, {1, 1, 2, 2, 3, 3}));
  ASSERT_TRUE(s.Compact(Index{4}).ok());

  EXPECT_EQ(s.CreateSnapshot(Index{3}, "old").code(), StatusCode::kCompacted);
  Result<Snapshot> snap = s.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(snap.value().IsEmpty()) << "a failed CreateSnapshot records nothing";

  EXPECT_TRUE(s.CreateSnapshot(Index{4}, "at sentinel").ok());
  snap = s.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().meta.index, Index{4});
  EXPECT_EQ(snap.value().meta.term, Term{2});
  EXPECT_EQ(s.FirstIndex(), Index{5});
  EXPECT_EQ(s.LastIndex(), Index{6});
}

TEST(MemoryStorageDeathTest, CreateSnapshotPastTheLastIndexAborts) {
  MemoryStorage s = ThreeFourFive();
  EXPECT_DEATH((void)s.CreateSnapshot(Index{6}, ""), "snapshot past the last index");
}

TEST(MemoryStorage, ApplySnapshotTable) {
  const struct {
    uint64_t index, term;
    StatusCode want_code;
    uint64_t want_first, want_last;
  } cases[] = {
      // clang-format off
      {2, 2, StatusCode::kInvalidArgument, 4, 5},  // older than ours
      {3, 3, StatusCode::kInvalidArgument, 4, 5},  // the one we have
      {4, 4, StatusCode::kOk, 5, 4},               // inside the log: drops it all
      {5, 5, StatusCode::kOk, 6, 5},
      {9, 7, StatusCode::kOk, 10, 9},               // ahead of the log
      // clang-format on
  };
  for (const auto& c : cases) {
    MemoryStorage s = ThreeFourFive();
    s.SetVoters({NodeId{1}});
    const Snapshot snap = Snap(c.index, c.term, {NodeId{1}, NodeId{2}}, "image");
    EXPECT_EQ(s.ApplySnapshot(snap).code(), c.want_code) << c.index;
    EXPECT_EQ(s.FirstIndex(), Index{c.want_first}) << c.index;
    EXPECT_EQ(s.LastIndex(), Index{c.want_last}) << c.index;
    if (c.want_code != StatusCode::kOk) continue;
    Result<Term> t = s.TermAt(Index{c.index});
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.value(), Term{c.term});
    ASSERT_TRUE(s.GetSnapshot().ok());
    EXPECT_EQ(s.GetSnapshot().value(), snap);
    EXPECT_EQ(s.GetInitialState().voters, (std::vector<NodeId>{NodeId{1}, NodeId{2}}));
    // The log continues right after the snapshot.
    s.Append(Ents({{c.term, c.index + 1}}));
    EXPECT_EQ(s.LastIndex(), Index{c.index + 1});
  }
}

}  // namespace
}  // namespace raft
