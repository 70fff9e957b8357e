// PosixFileSystem on real files: writes at the write position (OpenAt),
// preallocated files of durable zeros that writes go over, and the spare a
// helper thread prepares so that the next CreatePreallocated renames it
// instead of writing zeros on the caller's thread.
#include "net/posix_file_system.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

namespace raft {
namespace {

std::string ReadAll(PosixFileSystem& fs, const std::string& path) {
  Result<std::string> r = fs.ReadFile(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : "";
}

ino_t Inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// The helper writes the spare after the call returns; wait until it is whole.
bool WaitForSpare(const std::string& path, uint64_t bytes) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == bytes) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST(PosixFileSystem, OpenAtWritesOverTheFileFromTheOffset) {
  testing::TempDir dir;
  PosixFileSystem fs;
  const std::string path = dir.path() + "/f";
  {
    Result<std::unique_ptr<WritableFile>> f = fs.Create(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f.value()->Append("abcdef").ok());
    EXPECT_EQ(f.value()->Size(), 6u);
  }
  Result<std::unique_ptr<WritableFile>> f = fs.OpenAt(path, 2);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(f.value()->Append("ZZ").ok());
  EXPECT_EQ(f.value()->Size(), 4u) << "Size is the write position";
  ASSERT_TRUE(f.value()->Close().ok());
  EXPECT_EQ(ReadAll(fs, path), "abZZef");

  Result<std::unique_ptr<WritableFile>> past = fs.OpenAt(path, 7);
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.status().message().find("EINVAL"), std::string::npos) << past.status().message();
}

TEST(PosixFileSystem, PreallocatedFileIsZerosThatWritesGoOver) {
  testing::TempDir dir;
  PosixFileSystem fs;
  const std::string path = dir.path() + "/seg";
  Result<std::unique_ptr<WritableFile>> f = fs.CreatePreallocated(path, 8192);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(f.value()->Append("record").ok());
  ASSERT_TRUE(f.value()->Sync().ok());
  EXPECT_EQ(f.value()->Size(), 6u);
  const std::string bytes = ReadAll(fs, path);
  ASSERT_EQ(bytes.size(), 8192u) << "written over the zeros, not after them";
  EXPECT_EQ(bytes.substr(0, 6), "record");
  EXPECT_EQ(bytes.find_first_not_of('\0', 6), std::string::npos);
}

TEST(PosixFileSystem, NextPreallocatedFileIsTheSpareWrittenInTheBackground) {
  testing::TempDir dir;
  PosixFileSystem fs;
  const std::string spare = dir.path() + "/" + PosixFileSystem::kSpareFileName;
  ASSERT_TRUE(fs.CreatePreallocated(dir.path() + "/one", 8192).ok());
  ASSERT_TRUE(WaitForSpare(spare, 8192));
  const ino_t spare_inode = Inode(spare);

  const std::string two = dir.path() + "/two";
  ASSERT_TRUE(fs.CreatePreallocated(two, 8192).ok());
  EXPECT_EQ(Inode(two), spare_inode) << "the spare was renamed into place";
  EXPECT_EQ(ReadAll(fs, two), std::string(8192, '\0'));
  ASSERT_TRUE(WaitForSpare(spare, 8192)) << "the next spare is on its way";
  EXPECT_NE(Inode(spare), spare_inode);
}

TEST(PosixFileSystem, SpareOfAnotherSizeIsNotUsed) {
  testing::TempDir dir;
  PosixFileSystem fs;
  const std::string spare = dir.path() + "/" + PosixFileSystem::kSpareFileName;
  ASSERT_TRUE(fs.CreatePreallocated(dir.path() + "/one", 8192).ok());
  // The branch under test needs a finished spare of the other size.
  ASSERT_TRUE(WaitForSpare(spare, 8192));
  const ino_t spare_inode = Inode(spare);
  const std::string small = dir.path() + "/small";
  ASSERT_TRUE(fs.CreatePreallocated(small, 4096).ok());
  EXPECT_NE(Inode(small), spare_inode) << "an 8192-byte spare became a 4096-byte file";
  EXPECT_EQ(ReadAll(fs, small), std::string(4096, '\0'));
}

TEST(PosixFileSystem, PreallocatedFileInAMissingDirectoryFailsWithItsPath) {
  testing::TempDir dir;
  PosixFileSystem fs;
  const std::string path = dir.path() + "/missing/seg";
  Result<std::unique_ptr<WritableFile>> f = fs.CreatePreallocated(path, 4096);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find(path), std::string::npos) << f.status().message();
}

}  // namespace
}  // namespace raft
