// Table tests for Inflights, the leader's per-follower flow-control window.
#include "core/inflights.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace raft {
namespace {

Inflights With(size_t count_max, const std::vector<uint64_t>& last_indexes) {
  Inflights in(count_max);
  for (uint64_t i : last_indexes) in.Add(Index{i});
  return in;
}

TEST(Inflights, AddCountsUntilFull) {
  Inflights in(3);
  EXPECT_EQ(in.Count(), 0u);
  EXPECT_FALSE(in.Full());
  in.Add(Index{1});
  EXPECT_EQ(in.Count(), 1u);
  EXPECT_FALSE(in.Full());
  in.Add(Index{5});
  EXPECT_EQ(in.Count(), 2u);
  EXPECT_FALSE(in.Full());
  in.Add(Index{9});
  EXPECT_EQ(in.Count(), 3u);
  EXPECT_TRUE(in.Full());
}

TEST(Inflights, ZeroSizedWindowIsAlwaysFull) {
  Inflights in(0);
  EXPECT_TRUE(in.Full());
  EXPECT_EQ(in.Count(), 0u);
}

TEST(InflightsDeathTest, AddPastFullAborts) {
  EXPECT_DEATH(
      {
        Inflights in = With(2, {1, 2});
        in.Add(Index{3});
      },
      "inflight window overflow");
}

TEST(InflightsDeathTest, AddOutOfOrderAborts) {
  EXPECT_DEATH(
      {
        Inflights in = With(4, {5});
        in.Add(Index{5});
      },
      "assertion failed");
}

TEST(Inflights, FreeLETable) {
  const struct {
    std::vector<uint64_t> added;
    uint64_t free_le;
    size_t want_count;
  } cases[] = {
      // clang-format off
      {{}, 10, 0},
      {{3, 6, 9}, 0, 3},
      {{3, 6, 9}, 2, 3},
      {{3, 6, 9}, 3, 2},   // frees exactly the message ending at 3
      {{3, 6, 9}, 4, 2},   // an ack between messages frees those below it
      {{3, 6, 9}, 5, 2},
      {{3, 6, 9}, 6, 1},
      {{3, 6, 9}, 8, 1},
      {{3, 6, 9}, 9, 0},
      {{3, 6, 9}, 100, 0},
      // clang-format on
  };
  for (const auto& c : cases) {
    Inflights in = With(5, c.added);
    in.FreeLE(Index{c.free_le});
    EXPECT_EQ(in.Count(), c.want_count)
        << ::testing::PrintToString(c.added) << " FreeLE " << c.free_le;
  }
}

TEST(Inflights, FreeLEUnblocksAFullWindow) {
  Inflights in = With(3, {10, 20, 30});
  ASSERT_TRUE(in.Full());
  in.FreeLE(Index{15});
  EXPECT_FALSE(in.Full());
  EXPECT_EQ(in.Count(), 2u);
  in.Add(Index{40});  // room again, and still increasing
  EXPECT_TRUE(in.Full());
  // A stale ack below everything in flight changes nothing.
  in.FreeLE(Index{5});
  EXPECT_EQ(in.Count(), 3u);
}

TEST(Inflights, FreeFirstOneTable) {
  const struct {
    std::vector<uint64_t> added;
    size_t frees;
    size_t want_count;
  } cases[] = {
      // clang-format off
      {{}, 1, 0},  // freeing an empty window is a no-op
      {{1}, 1, 0},
      {{1, 2, 3}, 1, 2},
      {{1, 2, 3}, 2, 1},
      {{1, 2, 3}, 3, 0},
      {{1, 2, 3}, 5, 0},
      // clang-format on
  };
  for (const auto& c : cases) {
    Inflights in = With(3, c.added);
    for (size_t i = 0; i < c.frees; i++) in.FreeFirstOne();
    EXPECT_EQ(in.Count(), c.want_count)
        << ::testing::PrintToString(c.added) << " frees " << c.frees;
  }
}

TEST(Inflights, FreeFirstOneFreesTheOldest) {
  Inflights in = With(3, {10, 20, 30});
  in.FreeFirstOne();
  // Only 20 and 30 remain: an ack for 19 frees nothing, one for 20 frees one.
  in.FreeLE(Index{19});
  EXPECT_EQ(in.Count(), 2u);
  in.FreeLE(Index{20});
  EXPECT_EQ(in.Count(), 1u);
}

TEST(Inflights, ResetEmptiesAndAllowsLowerIndexes) {
  Inflights in = With(3, {10, 20, 30});
  in.Reset();
  EXPECT_EQ(in.Count(), 0u);
  EXPECT_FALSE(in.Full());
  // After a reset (e.g. back to probe) the window may restart lower.
  in.Add(Index{4});
  EXPECT_EQ(in.Count(), 1u);
}

}  // namespace
}  // namespace raft
