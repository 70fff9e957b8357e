// A failed start removes what it created under the data directory, and
// nothing that was there before.
#include "net/start_undo.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tests/support/temp_dir.h"

namespace raft::net {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// Relative path -> contents ("<dir>" for directories) of everything under root.
std::map<std::string, std::string> Tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string name = fs::relative(e.path(), root).string();
    if (e.is_directory()) {
      out[name] = "<dir>";
    } else {
      std::ifstream in(e.path());
      out[name] = std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  return out;
}

// What a first start makes: a lock, a node id, a WAL directory and segment.
void MakeWhatAStartMakes(const fs::path& dir) {
  fs::create_directories(dir / "wal");
  Write(dir / "LOCK", "");
  Write(dir / "node_id", "node1\n");
  Write(dir / "wal" / "wal-0000000000000001-0000000000000001.log", "segment");
  Write(dir / "wal" / "preallocated.tmp", "spare");
}

class StartUndoTest : public ::testing::Test {
 protected:
  raft::testing::TempDir tmp_;
  const fs::path root_ = tmp_.path();
};

TEST_F(StartUndoTest, RemovesADirectoryItCreatedAndItsNewParents) {
  const fs::path dir = root_ / "data" / "node1";
  StartUndo undo((dir.string() + "/"));
  MakeWhatAStartMakes(dir);
  undo.RemoveCreatedFiles();
  EXPECT_EQ(Tree(dir), (std::map<std::string, std::string>{{"wal", "<dir>"}}))
      << "files go first, directories stay until the lock is released";
  undo.RemoveCreatedDirectories();
  EXPECT_FALSE(fs::exists(root_ / "data"));
  EXPECT_TRUE(fs::exists(root_)) << "a parent that existed stays";
}

TEST_F(StartUndoTest, LeavesAnExistingDirectoryAsItWas) {
  const fs::path dir = root_ / "node1";
  fs::create_directories(dir / "notes");
  Write(dir / "notes" / "keep.txt", "the user's");
  Write(dir / "node_id", "node1\n");  // from an earlier start
  const auto before = Tree(dir);
  StartUndo undo(dir.string());
  MakeWhatAStartMakes(dir);  // rewrites node_id: it existed, so it stays
  fs::create_directories(dir / "new" / "deeper");
  undo.RemoveCreatedFiles();
  undo.RemoveCreatedDirectories();
  EXPECT_EQ(Tree(dir), before);
}

TEST_F(StartUndoTest, RemovesDirectoriesOnlyWhileEmpty) {
  const fs::path dir = root_ / "fresh";
  StartUndo undo(dir.string());
  MakeWhatAStartMakes(dir);
  undo.RemoveCreatedDirectories();  // files were not removed: nothing may go
  EXPECT_EQ(Tree(dir).size(), 5u);
}

}  // namespace
}  // namespace raft::net
