// Table tests for UnstableLog: the not-yet-durable tail of the log and a
// pending incoming snapshot.
#include "core/unstable_log.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "tests/support/entries.h"

namespace raft {
namespace {

Snapshot Snap(uint64_t index, uint64_t term) {
  return Snapshot{SnapshotMeta{Index{index}, Term{term}, {}}, ""};
}

// An unstable log at `offset` holding `entries` and optionally a snapshot.
UnstableLog Make(uint64_t offset, const std::vector<TI>& entries,
                 std::optional<TI> snapshot = std::nullopt) {
  UnstableLog u(Index{offset});
  if (snapshot) {
    u.Restore(Snap(snapshot->index, snapshot->term));
    EXPECT_EQ(u.offset(), Index{offset}) << "snapshot must sit right before offset";
  }
  u.TruncateAndAppend(Ents(entries));
  return u;
}

std::optional<uint64_t> Value(std::optional<Index> i) {
  if (!i) return std::nullopt;
  return i->value;
}

std::optional<uint64_t> Value(std::optional<Term> t) {
  if (!t) return std::nullopt;
  return t->value;
}

TEST(UnstableLog, MaybeFirstIndexTable) {
  const struct {
    uint64_t offset;
    std::vector<TI> entries;
    std::optional<TI> snapshot;
    std::optional<uint64_t> want;
  } cases[] = {
      // clang-format off
      {5, {{1, 5}}, std::nullopt, std::nullopt},  // no snapshot: storage knows
      {0, {}, std::nullopt, std::nullopt},
      {5, {{1, 5}}, TI{1, 4}, 5},
      {5, {}, TI{1, 4}, 5},
      // clang-format on
  };
  for (const auto& c : cases) {
    const UnstableLog u = Make(c.offset, c.entries, c.snapshot);
    EXPECT_EQ(Value(u.MaybeFirstIndex()), c.want) << "offset " << c.offset;
  }
}

TEST(UnstableLog, MaybeLastIndexTable) {
  const struct {
    uint64_t offset;
    std::vector<TI> entries;
    std::optional<TI> snapshot;
    std::optional<uint64_t> want;
  } cases[] = {
      // clang-format off
      {5, {{1, 5}}, std::nullopt, 5},
      {5, {{1, 5}, {1, 6}}, std::nullopt, 6},
      {5, {{1, 5}}, TI{1, 4}, 5},
      {5, {}, TI{1, 4}, 4},  // only the snapshot
      {0, {}, std::nullopt, std::nullopt},
      // clang-format on
  };
  for (const auto& c : cases) {
    const UnstableLog u = Make(c.offset, c.entries, c.snapshot);
    EXPECT_EQ(Value(u.MaybeLastIndex()), c.want) << "offset " << c.offset;
  }
}

TEST(UnstableLog, MaybeTermTable) {
  const struct {
    uint64_t offset;
    std::vector<TI> entries;
    std::optional<TI> snapshot;
    uint64_t index;
    std::optional<uint64_t> want;
  } cases[] = {
      // clang-format off
      // Entries only.
      {5, {{1, 5}}, std::nullopt, 5, 1},
      {5, {{1, 5}}, std::nullopt, 6, std::nullopt},
      {5, {{1, 5}}, std::nullopt, 4, std::nullopt},
      {5, {{1, 5}, {2, 6}}, std::nullopt, 6, 2},
      // Entries and a snapshot: the snapshot index is answerable.
      {5, {{1, 5}}, TI{1, 4}, 5, 1},
      {5, {{1, 5}}, TI{1, 4}, 6, std::nullopt},
      {5, {{1, 5}}, TI{1, 4}, 4, 1},
      {5, {{1, 5}}, TI{1, 4}, 3, std::nullopt},
      // Only a snapshot.
      {5, {}, TI{1, 4}, 5, std::nullopt},
      {5, {}, TI{1, 4}, 4, 1},
      {5, {}, TI{1, 4}, 3, std::nullopt},
      // Nothing.
      {5, {}, std::nullopt, 5, std::nullopt},
      {5, {}, std::nullopt, 4, std::nullopt},
      // clang-format on
  };
  for (const auto& c : cases) {
    const UnstableLog u = Make(c.offset, c.entries, c.snapshot);
    EXPECT_EQ(Value(u.MaybeTerm(Index{c.index})), c.want) << "index " << c.index;
  }
}

TEST(UnstableLog, TruncateAndAppendTable) {
  const struct {
    const char* name;
    uint64_t offset;
    std::vector<TI> entries;
    std::vector<TI> append;
    uint64_t want_offset;
    std::vector<TI> want;
  } cases[] = {
      // clang-format off
      {"append to the end", 5, {{1, 5}}, {{1, 6}, {1, 7}}, 5, {{1, 5}, {1, 6}, {1, 7}}},
      {"append to empty", 5, {}, {{1, 5}, {1, 6}}, 5, {{1, 5}, {1, 6}}},
      {"replace all", 5, {{1, 5}}, {{2, 5}, {2, 6}}, 5, {{2, 5}, {2, 6}}},
      {"replace all and reach into storage", 5, {{1, 5}}, {{2, 4}, {2, 5}, {2, 6}}, 4,
       {{2, 4}, {2, 5}, {2, 6}}},
      {"reach into storage when empty", 5, {}, {{2, 3}}, 3, {{2, 3}}},
      {"truncate the middle", 5, {{1, 5}, {1, 6}, {1, 7}}, {{2, 6}}, 5, {{1, 5}, {2, 6}}},
      {"truncate the last", 5, {{1, 5}, {1, 6}, {1, 7}}, {{2, 7}, {2, 8}}, 5,
       {{1, 5}, {1, 6}, {2, 7}, {2, 8}}},
      {"empty append", 5, {{1, 5}}, {}, 5, {{1, 5}}},
      // clang-format on
  };
  for (const auto& c : cases) {
    UnstableLog u = Make(c.offset, c.entries);
    u.TruncateAndAppend(Ents(c.append));
    EXPECT_EQ(u.offset(), Index{c.want_offset}) << c.name;
    EXPECT_EQ(u.entries(), Ents(c.want)) << c.name;
  }
}

TEST(UnstableLogDeathTest, TruncateAndAppendWithAGapAborts) {
  // Index 6 is missing: the log must never invent it.
  EXPECT_DEATH(
      {
        UnstableLog u = Make(5, {{1, 5}});
        u.TruncateAndAppend(Ents({{1, 7}}));
      },
      "gap in unstable entries");
  EXPECT_DEATH(
      {
        UnstableLog u = Make(5, {});
        u.TruncateAndAppend(Ents({{1, 6}}));
      },
      "gap in unstable entries");
}

TEST(UnstableLog, StableToTable) {
  const struct {
    const char* name;
    uint64_t offset;
    std::vector<TI> entries;
    std::optional<TI> snapshot;
    TI stable_to;
    uint64_t want_offset;
    size_t want_len;
  } cases[] = {
      // clang-format off
      {"nothing unstable", 0, {}, std::nullopt, {1, 5}, 0, 0},
      {"all of one", 5, {{1, 5}}, std::nullopt, {1, 5}, 6, 0},
      {"prefix", 5, {{1, 5}, {1, 6}}, std::nullopt, {1, 5}, 6, 1},
      {"all of two", 5, {{1, 5}, {1, 6}}, std::nullopt, {1, 6}, 7, 0},
      {"term mismatch", 6, {{2, 6}}, std::nullopt, {1, 6}, 6, 1},
      {"below offset", 5, {{1, 5}}, std::nullopt, {1, 4}, 5, 1},
      {"below offset, other term", 5, {{1, 5}}, std::nullopt, {2, 4}, 5, 1},
      {"past the end", 5, {{1, 5}, {1, 6}}, std::nullopt, {1, 7}, 5, 2},
      // With a pending snapshot.
      {"entry after snapshot", 5, {{1, 5}}, TI{1, 4}, {1, 5}, 6, 0},
      {"prefix after snapshot", 5, {{1, 5}, {1, 6}}, TI{1, 4}, {1, 5}, 6, 1},
      {"mismatch after snapshot", 6, {{2, 6}}, TI{1, 5}, {1, 6}, 6, 1},
      {"the snapshot index is not an entry", 5, {{1, 5}}, TI{1, 4}, {1, 4}, 5, 1},
      {"snapshot index, wrong term", 5, {{2, 5}}, TI{2, 4}, {1, 4}, 5, 1},
      // clang-format on
  };
  for (const auto& c : cases) {
    UnstableLog u = Make(c.offset, c.entries, c.snapshot);
    u.StableTo(Index{c.stable_to.index}, Term{c.stable_to.term});
    EXPECT_EQ(u.offset(), Index{c.want_offset}) << c.name;
    EXPECT_EQ(u.entries().size(), c.want_len) << c.name;
    EXPECT_EQ(u.snapshot().has_value(), c.snapshot.has_value()) << c.name;
  }
}

TEST(UnstableLog, StableToAfterTheEntryWasReplacedIsIgnored) {
  // The host persisted (6, term 1) while the leader's append replaced it.
  UnstableLog u = Make(5, {{1, 5}, {1, 6}});
  u.TruncateAndAppend(Ents({{2, 6}}));
  u.StableTo(Index{6}, Term{1});
  EXPECT_EQ(u.offset(), Index{5});
  EXPECT_EQ(u.entries(), Ents({{1, 5}, {2, 6}}));
  // The entry before the replaced one is still the same and may be released.
  u.StableTo(Index{5}, Term{1});
  EXPECT_EQ(u.offset(), Index{6});
  EXPECT_EQ(u.entries(), Ents({{2, 6}}));
}

TEST(UnstableLog, StableSnapshotToTable) {
  UnstableLog u = Make(5, {{1, 5}}, TI{1, 4});
  u.StableSnapshotTo(Index{3});
  EXPECT_TRUE(u.snapshot().has_value()) << "an older index leaves it";
  u.StableSnapshotTo(Index{5});
  EXPECT_TRUE(u.snapshot().has_value()) << "a newer index leaves it";
  u.StableSnapshotTo(Index{4});
  EXPECT_FALSE(u.snapshot().has_value());
  EXPECT_EQ(u.entries(), Ents({{1, 5}})) << "entries are untouched";
  EXPECT_EQ(u.offset(), Index{5});
}

TEST(UnstableLog, RestoreReplacesEverything) {
  UnstableLog u = Make(5, {{1, 5}, {1, 6}});
  const Snapshot snap = Snap(9, 3);
  u.Restore(snap);
  EXPECT_EQ(u.offset(), Index{10});
  EXPECT_TRUE(u.entries().empty());
  ASSERT_TRUE(u.snapshot().has_value());
  EXPECT_EQ(*u.snapshot(), snap);
  EXPECT_EQ(Value(u.MaybeFirstIndex()), 10u);
  EXPECT_EQ(Value(u.MaybeLastIndex()), 9u);
  EXPECT_EQ(Value(u.MaybeTerm(Index{9})), 3u);
  // The log continues right after the snapshot.
  u.TruncateAndAppend(Ents({{3, 10}}));
  EXPECT_EQ(Value(u.MaybeLastIndex()), 10u);
}

TEST(UnstableLog, SliceTable) {
  const UnstableLog u = Make(5, {{1, 5}, {1, 6}, {2, 7}});
  const struct {
    uint64_t lo, hi;
    std::vector<TI> want;
  } cases[] = {
      // clang-format off
      {5, 5, {}},
      {5, 6, {{1, 5}}},
      {5, 8, {{1, 5}, {1, 6}, {2, 7}}},
      {6, 8, {{1, 6}, {2, 7}}},
      {7, 8, {{2, 7}}},
      {8, 8, {}},
      // clang-format on
  };
  for (const auto& c : cases) {
    EXPECT_EQ(u.Slice(Index{c.lo}, Index{c.hi}), Ents(c.want)) << c.lo << "," << c.hi;
  }
}

TEST(UnstableLogDeathTest, SliceOutsideTheUnstableRangeAborts) {
  const UnstableLog u = Make(5, {{1, 5}, {1, 6}});
  EXPECT_DEATH((void)u.Slice(Index{4}, Index{6}), "assertion failed");
  EXPECT_DEATH((void)u.Slice(Index{5}, Index{8}), "assertion failed");
  EXPECT_DEATH((void)u.Slice(Index{6}, Index{5}), "assertion failed");
}

}  // namespace
}  // namespace raft
