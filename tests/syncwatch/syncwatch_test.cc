// The tool itself: syncwatch sees PosixFileSystem's writes, syncs and
// directory changes on real files, and forgets them only at the fsync that
// makes them durable. If the hooks were not between the code and the
// kernel, these fail (nothing would ever look unsynced).
#include "tests/syncwatch/syncwatch.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/storage/file_system.h"
#include "net/posix_file_system.h"
#include "tests/support/temp_dir.h"

namespace raft {
namespace {

std::vector<std::string> Describe(const std::vector<syncwatch::UnsyncedEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.Describe());
  return out;
}

TEST(Syncwatch, PosixFileSystemWritesAreUnsyncedUntilSync) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  const uint64_t calls = syncwatch::CallsSeen();
  Result<std::unique_ptr<WritableFile>> f = fs.Create(tmp.path() + "/a");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value()->Append("hello").ok());
  ASSERT_TRUE(f.value()->Append(" world").ok());
  EXPECT_GT(syncwatch::CallsSeen(), calls) << "the hooks do not see PosixFileSystem's calls";
  std::vector<syncwatch::UnsyncedFile> files = syncwatch::UnsyncedFiles(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, tmp.path() + "/a");
  EXPECT_EQ(files[0].unsynced_bytes, 11u);
  EXPECT_FALSE(files[0].size_changed);
  ASSERT_TRUE(f.value()->Sync().ok());
  EXPECT_TRUE(syncwatch::UnsyncedFiles(tmp.path()).empty());
  ASSERT_TRUE(f.value()->Append("!").ok());
  ASSERT_TRUE(f.value()->Close().ok());
  files = syncwatch::UnsyncedFiles(tmp.path());
  ASSERT_EQ(files.size(), 1u) << "closing a file does not sync it";
  EXPECT_EQ(files[0].unsynced_bytes, 1u);
}

TEST(Syncwatch, TruncateAndPreallocationChangeTheSizeUntilSynced) {
  testing::TempDir tmp;
  const std::string path = tmp.path() + "/t";
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 100), 0);
  std::vector<syncwatch::UnsyncedFile> files = syncwatch::UnsyncedFiles(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].size_changed);
  EXPECT_EQ(files[0].unsynced_bytes, 0u);
  ASSERT_EQ(::fdatasync(fd), 0);
  EXPECT_TRUE(syncwatch::UnsyncedFiles(tmp.path()).empty());
  ::close(fd);
  // PosixFileSystem::Truncate syncs what it cut; a preallocated file's
  // zeros are durable before it is handed out.
  PosixFileSystem fs;
  ASSERT_TRUE(fs.Truncate(path, 10).ok());
  EXPECT_TRUE(syncwatch::UnsyncedFiles(tmp.path()).empty());
  ASSERT_TRUE(fs.CreatePreallocated(tmp.path() + "/p", 4096).ok());
  fs.WaitForSpare();
  EXPECT_TRUE(syncwatch::UnsyncedFiles(tmp.path()).empty());
}

TEST(Syncwatch, NamesAreUnsyncedUntilTheirDirectoryIsSynced) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  const std::string dir = tmp.path();
  ASSERT_TRUE(fs.Create(dir + "/a").ok());
  ASSERT_TRUE(fs.Create(dir + "/a").ok()) << "re-creating an existing name changes no entry";
  ASSERT_TRUE(fs.Rename(dir + "/a", dir + "/b").ok());
  ASSERT_TRUE(fs.Create(dir + "/c").ok());
  ASSERT_TRUE(fs.Remove(dir + "/c").ok());
  EXPECT_EQ(Describe(syncwatch::UnsyncedEntries(dir)),
            (std::vector<std::string>{"create a", "rename a -> b", "create c", "remove c"}));
  ASSERT_TRUE(fs.SyncDir(dir).ok());
  EXPECT_TRUE(syncwatch::UnsyncedEntries(dir).empty());
  // Relative and absolute spellings name the same directory.
  ASSERT_TRUE(fs.Rename(dir + "/b", dir + "/../" + dir.substr(dir.rfind('/') + 1) + "/d").ok());
  EXPECT_EQ(Describe(syncwatch::UnsyncedEntries(dir + "/.")),
            (std::vector<std::string>{"rename b -> d"}));
}

TEST(Syncwatch, ARenamedFileKeepsItsUnsyncedBytesUnderItsNewName) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  Result<std::unique_ptr<WritableFile>> f = fs.Create(tmp.path() + "/a.tmp");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value()->Append("data").ok());
  ASSERT_TRUE(fs.Rename(tmp.path() + "/a.tmp", tmp.path() + "/a").ok());
  std::vector<syncwatch::UnsyncedFile> files = syncwatch::UnsyncedFiles(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, tmp.path() + "/a");
  EXPECT_EQ(files[0].unsynced_bytes, 4u);
  ASSERT_TRUE(fs.Remove(tmp.path() + "/a").ok());
  EXPECT_TRUE(syncwatch::UnsyncedFiles(tmp.path()).empty()) << "a removed file's bytes are moot";
}

}  // namespace
}  // namespace raft
