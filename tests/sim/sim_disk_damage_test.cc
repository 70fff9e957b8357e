// SimDisk damage to synced data (issue 15): a flipped bit, a file cut short
// or lost, a latent read error. Each must change what a reader sees now and
// what survives the next crash alike (the medium changed, not a cache), and
// must touch nothing but the file it names.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/rng.h"
#include "sim/sim_disk.h"

namespace raft::sim {
namespace {

class SimDiskDamageTest : public ::testing::Test {
 protected:
  SimDiskDamageTest() : disk_(std::make_unique<SplitMix64>(7)) {
    EXPECT_TRUE(disk_.CreateDir("d").ok());
    WriteSynced("d/a", "abcdefgh");
    WriteSynced("d/b", "other");
    EXPECT_TRUE(disk_.SyncDir("d").ok());
  }
  void WriteSynced(const std::string& path, const std::string& bytes) {
    auto f = disk_.Create(path);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f.value()->Append(bytes).ok());
    ASSERT_TRUE(f.value()->Sync().ok());
  }
  std::string Read(const std::string& path) {
    Result<std::string> r = disk_.ReadFile(path);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : "";
  }

  SimDisk disk_;
};

TEST_F(SimDiskDamageTest, FlipBitChangesTheSyncedBytesAndSurvivesACrash) {
  ASSERT_TRUE(disk_.FlipBit("d/a", 8 * 2 + 1).ok());  // byte 2 'c' (0x63) -> 0x61 'a'
  EXPECT_EQ(Read("d/a"), "abadefgh");
  disk_.Crash(true);
  EXPECT_EQ(Read("d/a"), "abadefgh");
  EXPECT_EQ(Read("d/b"), "other");
  // Flipping the same bit again restores the byte: one bit, not a byte.
  ASSERT_TRUE(disk_.FlipBit("d/a", 8 * 2 + 1).ok());
  EXPECT_EQ(Read("d/a"), "abcdefgh");
}

TEST_F(SimDiskDamageTest, FlipBitPastTheEndOrOfAMissingFileFails) {
  EXPECT_FALSE(disk_.FlipBit("d/a", 8 * 8).ok());
  EXPECT_FALSE(disk_.FlipBit("d/none", 0).ok());
  EXPECT_EQ(Read("d/a"), "abcdefgh");
}

TEST_F(SimDiskDamageTest, CutDurablyShortensTheFileForGood) {
  ASSERT_TRUE(disk_.CutDurably("d/a", 3).ok());
  EXPECT_EQ(Read("d/a"), "abc");
  disk_.Crash(false);
  EXPECT_EQ(Read("d/a"), "abc");
  EXPECT_FALSE(disk_.CutDurably("d/a", 4).ok()) << "cannot cut a file longer";
}

TEST_F(SimDiskDamageTest, RemoveDurablyLosesTheNameEvenAfterACrash) {
  // The contrast: an unsynced Remove comes back after a crash...
  ASSERT_TRUE(disk_.Remove("d/b").ok());
  disk_.Crash(false);
  EXPECT_TRUE(disk_.Exists("d/b"));
  // ...a durable one does not.
  ASSERT_TRUE(disk_.RemoveDurably("d/a").ok());
  EXPECT_FALSE(disk_.Exists("d/a"));
  disk_.Crash(false);
  EXPECT_FALSE(disk_.Exists("d/a"));
  EXPECT_EQ(Read("d/b"), "other");
  EXPECT_FALSE(disk_.RemoveDurably("d/a").ok());
}

TEST_F(SimDiskDamageTest, LatentReadErrorFailsReadsUntilRemoved) {
  ASSERT_TRUE(disk_.SetReadError("d/a").ok());
  for (int crash = 0; crash < 2; crash++) {
    Result<std::string> r = disk_.ReadFile("d/a");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kIoError);
    EXPECT_TRUE(disk_.Exists("d/a")) << "the file is still listed";
    EXPECT_EQ(Read("d/b"), "other");
    disk_.Crash(true);  // a bad sector stays bad
  }
  ASSERT_TRUE(disk_.Remove("d/a").ok());
  WriteSynced("d/a", "fresh");  // a new file at the same path reads fine
  EXPECT_EQ(Read("d/a"), "fresh");
  EXPECT_FALSE(disk_.SetReadError("d/none").ok());
}

TEST_F(SimDiskDamageTest, LatentReadErrorEndsWhenTheFileIsRenamedOrReplaced) {
  ASSERT_TRUE(disk_.SetReadError("d/a").ok());
  ASSERT_TRUE(disk_.Rename("d/a", "d/c").ok());
  EXPECT_EQ(Read("d/c"), "abcdefgh");
  // Renaming good data over a bad file replaces it too.
  ASSERT_TRUE(disk_.SetReadError("d/b").ok());
  ASSERT_TRUE(disk_.Rename("d/c", "d/b").ok());
  EXPECT_EQ(Read("d/b"), "abcdefgh");
  // So does creating the file anew.
  ASSERT_TRUE(disk_.SetReadError("d/b").ok());
  ASSERT_TRUE(disk_.CreatePreallocated("d/b", 4).ok());
  EXPECT_EQ(Read("d/b"), std::string(4, '\0'));
}

}  // namespace
}  // namespace raft::sim
