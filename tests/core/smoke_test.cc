// End-to-end sanity of the core through the test harness: election,
// replication, commit and apply on every node.
#include <gtest/gtest.h>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

TEST(Smoke, ThreeNodesElectReplicateAndApply) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.Propose(1, "hello").ok());
  c.Stabilize();
  for (uint64_t id : c.ids()) {
    const auto& applied = c.peer(id).applied;
    ASSERT_EQ(applied.size(), 2u) << "node " << id;  // no-op + hello
    EXPECT_EQ(applied[0].type, EntryType::kNoop);
    EXPECT_EQ(applied[1].data, "hello");
    EXPECT_EQ(c.raft(id).log().committed(), Index{2});
    EXPECT_EQ(c.raft(id).term(), Term{1});
  }
}

TEST(Smoke, SingleNodeCommitsAlone) {
  TestCluster c(1);
  c.ElectLeader(1);
  ASSERT_TRUE(c.Propose(1, "x").ok());
  c.Stabilize();
  EXPECT_EQ(c.peer(1).applied.size(), 2u);
}

TEST(Smoke, ElectionByTicksOnly) {
  TestCluster c(3);
  for (int i = 0; i < 100 && c.Leader() == 0; i++) {
    c.TickAll();
    c.Stabilize();
  }
  EXPECT_NE(c.Leader(), 0u);
}

TEST(Smoke, ReadIndexConfirmsWithQuorum) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.node(1).ReadIndex(42).ok());
  c.Stabilize();
  ASSERT_EQ(c.peer(1).reads.size(), 1u);
  EXPECT_EQ(c.peer(1).reads[0].request_id, 42u);
  EXPECT_EQ(c.peer(1).reads[0].index, Index{1});
}

}  // namespace
}  // namespace raft::testing
