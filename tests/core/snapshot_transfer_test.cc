// InstallSnapshot in bounded chunks: a follower too far behind the leader's
// compacted log receives the snapshot chunk by chunk, and a restart or a
// leader change part-way restarts the transfer cleanly.
#include <gtest/gtest.h>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

constexpr uint64_t kChunkBytes = 100;

// Three nodes; node 3 misses 20 entries, then the leader compacts its log
// into a 1000-byte snapshot so node 3 can only catch up through it.
class SnapshotTransfer : public ::testing::Test {
 protected:
  SnapshotTransfer() : c_(3, Options()) {}
  static ClusterOptions Options() {
    ClusterOptions o;
    o.snapshot_chunk_bytes_max = kChunkBytes;
    return o;
  }
  void SetUp() override {
    c_.ElectLeader(1);
    c_.Isolate(3);
    for (int i = 0; i < 20; i++) ASSERT_TRUE(c_.Propose(1, "x" + std::to_string(i)).ok());
    c_.Stabilize();
    const Index committed = c_.raft(1).log().committed();
    ASSERT_EQ(committed, Index{21});
    ASSERT_TRUE(c_.peer(1).storage.CreateSnapshot(committed, std::string(1000, 's')).ok());
    c_.Heal();
  }
  // Counts snapshot chunks delivered while ticking the leader.
  size_t RunUntilCaughtUp(int ticks_max) {
    size_t chunks = 0;
    for (int t = 0; t < ticks_max && c_.raft(3).log().committed() < Index{21}; t++) {
      c_.Tick(1);
      for (const Message& m : c_.queue()) chunks += m.type == MessageType::kSnapshot;
      c_.Stabilize();
    }
    return chunks;
  }
  TestCluster c_;
};

TEST_F(SnapshotTransfer, LaggingFollowerReceivesTheSnapshotInBoundedChunks) {
  size_t largest = 0;
  size_t chunks = 0;
  c_.drop_filter = [&](const Message& m) {
    if (m.type == MessageType::kSnapshot) {
      chunks++;
      largest = std::max(largest, m.snapshot.data.size());
    }
    return false;
  };
  for (int t = 0; t < 10 && c_.raft(3).log().committed() < Index{21}; t++) {
    c_.Tick(1);
    c_.Stabilize();
  }
  EXPECT_EQ(c_.raft(3).log().committed(), Index{21});
  EXPECT_EQ(chunks, 1000 / kChunkBytes) << "one message per chunk, none repeated";
  EXPECT_EQ(largest, kChunkBytes);
  EXPECT_EQ(c_.peer(3).storage.GetSnapshot().value().data, std::string(1000, 's'));
  // Replication resumes after the snapshot.
  ASSERT_TRUE(c_.Propose(1, "after").ok());
  c_.Stabilize();
  EXPECT_EQ(c_.raft(3).log().committed(), Index{22});
}

TEST_F(SnapshotTransfer, FollowerRestartMidTransferRestartsItFromTheTop) {
  size_t chunks = 0;
  bool restarted = false;
  std::vector<uint64_t> offsets;
  c_.drop_filter = [&](const Message& m) {
    if (m.type != MessageType::kSnapshot) return false;
    offsets.push_back(m.snapshot_offset);
    // Half-way through, node 3 crashes and loses the chunks it held.
    if (++chunks == 5 && !restarted) {
      restarted = true;
      c_.Restart(3);
      return true;
    }
    return false;
  };
  for (int t = 0; t < 30 && c_.raft(3).log().committed() < Index{21}; t++) {
    c_.Tick(1);
    c_.Stabilize();
  }
  EXPECT_TRUE(restarted);
  EXPECT_EQ(c_.raft(3).log().committed(), Index{21});
  EXPECT_EQ(c_.peer(3).storage.GetSnapshot().value().data, std::string(1000, 's'));
  // After the restart the transfer went back to offset 0 and ran to the end.
  auto again = std::find(offsets.begin() + 5, offsets.end(), 0u);
  EXPECT_NE(again, offsets.end()) << "the transfer restarted from the first byte";
}

TEST_F(SnapshotTransfer, LostChunkIsResentAfterQuietHeartbeats) {
  bool dropped = false;
  c_.drop_filter = [&](const Message& m) {
    if (m.type == MessageType::kSnapshot && m.snapshot_offset == 300 && !dropped) {
      dropped = true;
      return true;
    }
    return false;
  };
  for (int t = 0; t < 20 && c_.raft(3).log().committed() < Index{21}; t++) {
    c_.Tick(1);
    c_.Stabilize();
  }
  EXPECT_TRUE(dropped);
  EXPECT_EQ(c_.raft(3).log().committed(), Index{21});
}

TEST_F(SnapshotTransfer, NewLeaderMidTransferStartsItsOwnTransfer) {
  // Node 2 is as up to date as node 1; compact it too so either leader
  // must send a snapshot.
  ASSERT_TRUE(c_.peer(2).storage.CreateSnapshot(Index{21}, std::string(1000, 's')).ok());
  size_t chunks = 0;
  c_.drop_filter = [&](const Message& m) {
    if (m.type == MessageType::kSnapshot && m.from == NodeId{1}) {
      // Node 1 gets three chunks out, then is cut off.
      if (++chunks == 3) c_.Isolate(1);
    }
    return false;
  };
  for (int t = 0; t < 5; t++) {
    c_.Tick(1);
    c_.Stabilize();
  }
  ASSERT_LT(c_.raft(3).log().committed(), Index{21}) << "transfer must be cut mid-way";
  c_.drop_filter = nullptr;
  // Node 2 takes over after the election timeout and finishes the job.
  for (int t = 0; t < 100 && c_.raft(3).log().committed() < Index{21}; t++) {
    c_.Tick(2);
    c_.Tick(3);
    c_.Stabilize();
  }
  EXPECT_EQ(c_.raft(2).role(), Role::kLeader);
  EXPECT_GE(c_.raft(3).log().committed(), Index{21});
  EXPECT_EQ(c_.peer(3).storage.GetSnapshot().value().data, std::string(1000, 's'));
}

}  // namespace
}  // namespace raft::testing
