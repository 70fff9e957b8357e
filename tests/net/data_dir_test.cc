// A data directory belongs to one node and one process at a time.
#include "net/data_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/storage/wal_meta.h"
#include "net/cluster_members.h"
#include "tests/support/temp_dir.h"

namespace raft::net {
namespace {

class DataDirTest : public ::testing::Test {
 protected:
  raft::testing::TempDir tmp_;
  const std::string root_ = tmp_.path();
};

TEST_F(DataDirTest, CreatesNestedDirectoryAndKeepsTheNodeId) {
  const std::string dir = root_ + "/a/b";
  {
    Result<std::unique_ptr<DataDir>> d = DataDir::Open(dir, "node1");
    ASSERT_TRUE(d.ok()) << d.status().message();
  }
  EXPECT_TRUE(DataDir::Open(dir, "node1").ok()) << "the same node may reopen it";
}

TEST_F(DataDirTest, RefusesAnotherNodesDirectory) {
  ASSERT_TRUE(DataDir::Open(root_, "node1").ok());
  Result<std::unique_ptr<DataDir>> d = DataDir::Open(root_, "node2");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("belongs to node node1"), std::string::npos)
      << d.status().message();
}

TEST_F(DataDirTest, RefusesASecondProcessOnTheSameDirectory) {
  Result<std::unique_ptr<DataDir>> first = DataDir::Open(root_, "node1");
  ASSERT_TRUE(first.ok());
  Result<std::unique_ptr<DataDir>> second = DataDir::Open(root_, "node1");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status().message();
}

TEST_F(DataDirTest, ReportsAPathThatCannotBeADirectory) {
  std::ofstream(root_ + "/file") << "x";
  Result<std::unique_ptr<DataDir>> d = DataDir::Open(root_ + "/file/sub", "node1");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("cannot create data directory"), std::string::npos)
      << d.status().message();
}

TEST_F(DataDirTest, MembersAreAbsentUntilWrittenThenReadBack) {
  Result<std::unique_ptr<DataDir>> d = DataDir::Open(root_, "node1");
  ASSERT_TRUE(d.ok());
  Result<std::optional<std::string>> none = d.value()->ReadMembers();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
  ASSERT_TRUE(d.value()->WriteMembers("node1 h:1\n").ok());
  Result<std::optional<std::string>> back = d.value()->ReadMembers();
  ASSERT_TRUE(back.ok() && back.value().has_value());
  EXPECT_EQ(*back.value(), "node1 h:1\n");
}

TEST_F(DataDirTest, ClusterIdIsAbsentUntilWrittenAndAGarbledOneIsCorruption) {
  Result<std::unique_ptr<DataDir>> d = DataDir::Open(root_, "node1");
  ASSERT_TRUE(d.ok());
  Result<std::optional<std::string>> none = d.value()->ReadClusterId();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
  ASSERT_TRUE(d.value()->WriteClusterId("00c0ffee12345678").ok());
  Result<std::optional<std::string>> back = d.value()->ReadClusterId();
  ASSERT_TRUE(back.ok() && back.value().has_value());
  EXPECT_EQ(*back.value(), "00c0ffee12345678");
  std::ofstream(root_ + "/cluster_id") << "not an id\n";
  Result<std::optional<std::string>> garbled = d.value()->ReadClusterId();
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.status().code(), StatusCode::kCorruption);
  EXPECT_NE(garbled.status().message().find("cluster_id"), std::string::npos);
}

// node_id is the first file a start writes: a directory holding a log, the
// members or the cluster id without it is damage, never adopted.
TEST_F(DataDirTest, DirectoryWithALogButNoNodeIdIsRefused) {
  for (const char* other : {"members", "cluster_id", "wal"}) {
    const std::string dir = root_ + "/" + other + "-only";
    {
      Result<std::unique_ptr<DataDir>> d = DataDir::Open(dir, "node1");
      ASSERT_TRUE(d.ok());
      ASSERT_TRUE(d.value()->WriteMembers("node1 h:1\n").ok());
      ASSERT_TRUE(d.value()->WriteClusterId("00c0ffee12345678").ok());
      std::filesystem::create_directories(dir + "/wal");
    }
    for (const char* name : {"members", "cluster_id", "wal"}) {
      if (std::string(name) != other) std::filesystem::remove_all(dir + "/" + name);
    }
    std::filesystem::remove(dir + "/node_id");
    Result<std::unique_ptr<DataDir>> adopted = DataDir::Open(dir, "node2");
    ASSERT_FALSE(adopted.ok()) << other;
    EXPECT_EQ(adopted.status().code(), StatusCode::kCorruption);
    EXPECT_NE(adopted.status().message().find(std::string("holds ") + other + " but no node_id"),
              std::string::npos)
        << adopted.status().message();
    EXPECT_FALSE(std::filesystem::exists(dir + "/node_id")) << "the directory was adopted";
  }
}

// The WAL's metadata names the node its log belongs to: a lost node_id is
// restored for that node, and still refused for any other.
TEST_F(DataDirTest, LostNodeIdIsRestoredWhenTheWalMetadataNamesThisNode) {
  const std::string dir = root_ + "/restored";
  {
    Result<std::unique_ptr<DataDir>> d = DataDir::Open(dir, "node1");
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(d.value()->WriteMembers("node1 h:1\n").ok());
    WalMeta meta;
    meta.node = NodeIdForName("node1");
    ASSERT_TRUE(d.value()->fs().CreateDir(d.value()->wal_dir()).ok());
    ASSERT_TRUE(WriteWalMeta(d.value()->fs(), d.value()->wal_dir(), meta).ok());
  }
  std::filesystem::remove(dir + "/node_id");
  Result<std::unique_ptr<DataDir>> other = DataDir::Open(dir, "node2");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(std::filesystem::exists(dir + "/node_id"));
  Result<std::unique_ptr<DataDir>> mine = DataDir::Open(dir, "node1");
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  std::ifstream in(dir + "/node_id");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "node1");
}

}  // namespace
}  // namespace raft::net
