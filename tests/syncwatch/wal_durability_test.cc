// The Wal and the files beside it keep FileSystem's durability contract on
// real files (PosixFileSystem), as syncwatch sees the system calls:
//   - once a synced Save returns, no byte of the log is unsynced;
//   - once a call that creates or renames a name returns (Wal::Open and a
//     segment roll, a snapshot taken or received, WriteFileAtomically for
//     metadata files), no change to that directory's entries is left
//     without a later fsync of the directory.
// The simulated disk checks what a crash then leaves (wal_faults_test.cc);
// these check that the real file system code asks the kernel for it.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/storage/file_system.h"
#include "core/storage/snapshot_file.h"
#include "core/storage/wal.h"
#include "net/posix_file_system.h"
#include "tests/support/entries.h"
#include "tests/support/temp_dir.h"
#include "tests/syncwatch/unsynced_log.h"

namespace raft {
namespace {

constexpr uint64_t kSegmentBytesMax = 2048;
const std::vector<NodeId> kVoters{NodeId{1}, NodeId{2}, NodeId{3}};

using testing::UnsyncedLogEntries;
using testing::UnsyncedLogFiles;

Entry BigEntry(uint64_t term, uint64_t index) {
  Entry e = MakeEntry(term, index);
  e.data += std::string(300, 'x');
  return e;
}

// The parameter: WalOptions::preallocate_segments.
class WalDurabilityTest : public ::testing::TestWithParam<bool> {
 protected:
  WalDurabilityTest() {
    options_.dir = tmp_.path() + "/wal";
    options_.segment_bytes_max = kSegmentBytesMax;
    options_.preallocate_segments = GetParam();
  }
  void Open() {
    Result<std::unique_ptr<Wal>> w = Wal::Open(fs_, options_);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    wal_ = std::move(w).value();
  }
  // Synced Saves of one entry each until the log has `segments` segments
  // (or ends at index `last`), checking everything is durable after each.
  void SaveUntilSegments(size_t segments) { SaveUntil(segments, Index{UINT64_MAX}); }
  void SaveUntilIndex(Index last) { SaveUntil(SIZE_MAX, last); }
  void SaveUntil(size_t segments, Index last) {
    while (wal_->segment_count() < segments && wal_->storage().LastIndex() < last) {
      const Index next = wal_->storage().LastIndex().Next();
      ASSERT_TRUE(wal_->Save(HardState{Term{1}, NodeId{1}, next}, {BigEntry(1, next.value)},
                             Snapshot{}, true)
                      .ok());
      ASSERT_EQ(UnsyncedLogFiles(options_.dir), std::vector<std::string>{})
          << "after the synced Save of entry " << next.value;
      ASSERT_EQ(UnsyncedLogEntries(options_.dir), std::vector<std::string>{})
          << "after the synced Save of entry " << next.value << " (segment "
          << wal_->segment_count() << ")";
      saves_++;
    }
  }

  testing::TempDir tmp_;
  PosixFileSystem fs_;
  WalOptions options_;
  std::unique_ptr<Wal> wal_;
  size_t saves_ = 0;
};

TEST_P(WalDurabilityTest, SyncedSaveLeavesNoUnsyncedByte) {
  Open();
  for (uint64_t i = 1; i <= 5; i++) {
    // An unsynced Save may leave its bytes for the next sync ...
    ASSERT_TRUE(
        wal_->Save(HardState{Term{1}, NodeId{1}, Index{i - 1}}, {}, Snapshot{}, false).ok());
    // ... which the synced Save after it must include.
    ASSERT_TRUE(
        wal_->Save(HardState{Term{1}, NodeId{1}, Index{i}}, {MakeEntry(1, i)}, Snapshot{}, true)
            .ok());
    EXPECT_EQ(UnsyncedLogFiles(options_.dir), std::vector<std::string>{}) << "after Save " << i;
  }
  ASSERT_TRUE(wal_->Save(HardState{Term{1}, NodeId{1}, Index{5}}, {}, Snapshot{}, false).ok());
  EXPECT_NE(UnsyncedLogFiles(options_.dir), std::vector<std::string>{})
      << "an unsynced Save should leave bytes to sync (else this test sees nothing)";
  ASSERT_TRUE(wal_->Sync().ok());
  EXPECT_EQ(UnsyncedLogFiles(options_.dir), std::vector<std::string>{}) << "after Wal::Sync";
}

TEST_P(WalDurabilityTest, OpenAndSegmentRollsSyncTheDirectory) {
  Open();
  EXPECT_EQ(UnsyncedLogEntries(options_.dir), std::vector<std::string>{}) << "after Open";
  EXPECT_EQ(UnsyncedLogFiles(options_.dir), std::vector<std::string>{}) << "after Open";
  SaveUntilSegments(4);
  EXPECT_GE(saves_, 6u);
  // A reopened log resumes in its last segment and rolls again.
  wal_.reset();
  Open();
  EXPECT_EQ(UnsyncedLogEntries(options_.dir), std::vector<std::string>{}) << "after reopening";
  SaveUntilSegments(6);
}

// A snapshot is written to a .tmp file, renamed into place and its
// directory synced; these snapshots compact nothing, so no later sync (of a
// segment removal) hides a missing one.
TEST_P(WalDurabilityTest, SnapshotSyncsTheDirectory) {
  Open();
  for (uint64_t round = 1; round <= 3; round++) {
    SaveUntilIndex(Index{round});
    ASSERT_EQ(wal_->segment_count(), 1u);
    const Index at = wal_->storage().LastIndex();
    ASSERT_TRUE(wal_->CreateSnapshot(at, kVoters, "image", Index{}).ok());
    EXPECT_EQ(UnsyncedLogEntries(options_.dir), std::vector<std::string>{})
        << "after the snapshot at " << at.value;
    EXPECT_EQ(UnsyncedLogFiles(options_.dir), std::vector<std::string>{})
        << "after the snapshot at " << at.value;
  }
  Result<std::vector<std::string>> snapshots = SnapshotStore(fs_, options_.dir).ListFiles();
  ASSERT_TRUE(snapshots.ok());
  EXPECT_EQ(snapshots.value().size(), 2u) << "the oldest snapshot was removed";
}

// Compaction removes segments and syncs the directory after.
TEST_P(WalDurabilityTest, CompactionSyncsTheDirectory) {
  Open();
  for (int round = 0; round < 2; round++) {
    SaveUntilSegments(wal_->segment_count() + 3);
    const Index last = wal_->storage().LastIndex();
    ASSERT_TRUE(wal_->CreateSnapshot(last, kVoters, "image", last).ok());
    ASSERT_EQ(wal_->segment_count(), 1u) << "compaction removed the older segments";
    EXPECT_EQ(UnsyncedLogEntries(options_.dir), std::vector<std::string>{})
        << "after compacting to " << last.value;
  }
}

// A follower's snapshot from the leader replaces its log; on a one-segment
// log nothing is compacted after it.
TEST_P(WalDurabilityTest, ReceivedSnapshotSyncsTheDirectory) {
  Open();
  SaveUntilIndex(Index{3});
  ASSERT_EQ(wal_->segment_count(), 1u);
  Snapshot snap;
  snap.meta = SnapshotMeta{Index{1000}, Term{3}, kVoters};
  snap.data = "leader's image";
  ASSERT_TRUE(wal_->Save(HardState{Term{3}, NodeId{2}, Index{1000}}, {}, snap, true).ok());
  EXPECT_EQ(UnsyncedLogEntries(options_.dir), std::vector<std::string>{});
  EXPECT_EQ(UnsyncedLogFiles(options_.dir), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Segments, WalDurabilityTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Preallocated" : "Appended";
                         });

// Metadata files (the WAL's meta, the node's identity files) are replaced
// with WriteFileAtomically: synced contents, rename, directory sync.
TEST(WriteFileAtomically, LeavesNeitherBytesNorNamesUnsynced) {
  testing::TempDir tmp;
  PosixFileSystem fs;
  for (int i = 0; i < 3; i++) {  // creates, then replaces
    ASSERT_TRUE(WriteFileAtomically(fs, tmp.path(), "meta", "v" + std::to_string(i)).ok());
    EXPECT_EQ(UnsyncedLogFiles(tmp.path()), std::vector<std::string>{}) << "write " << i;
    EXPECT_EQ(UnsyncedLogEntries(tmp.path()), std::vector<std::string>{}) << "write " << i;
  }
}

}  // namespace
}  // namespace raft
