// Wal recovery on real files: every rule in the header comment of
// core/storage/wal.h, checked against a PosixFileSystem in a fresh temporary
// directory per test. Segments are kept tiny (512 bytes) so every test spans
// several of them.
//
// The rules:
//   - Open returns exactly what Save made durable: entries, hard state,
//     snapshot, with overwrites and snapshots applied as they were live;
//   - a torn record at the very end of the last segment is truncated away
//     (and stays truncated);
//   - any other damage (a bad record followed by valid data, a bad record in
//     an older segment, a missing segment, a gap in indexes, a missing or
//     damaged snapshot) fails Open with kCorruption naming the file and
//     offset, and leaves the files untouched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/storage/snapshot_file.h"
#include "core/storage/wal.h"
#include "core/storage/wal_record.h"
#include "net/posix_file_system.h"
#include "tests/support/entries.h"
#include "tests/support/temp_dir.h"

namespace raft {
namespace {

constexpr uint64_t kSegmentBytesMax = 512;
// The membership every locally taken snapshot records.
const std::vector<NodeId> kVoters{NodeId{1}, NodeId{2}, NodeId{3}};

// Offsets of the records of a well-formed segment, in order.
std::vector<size_t> RecordOffsets(const std::string& bytes) {
  std::vector<size_t> out;
  size_t offset = 0;
  while (offset < bytes.size()) {
    const DecodeResult r = DecodeRecord(bytes, offset);
    EXPECT_EQ(r.error, DecodeError::kNone) << "at offset " << offset;
    if (r.error != DecodeError::kNone) break;
    out.push_back(offset);
    offset += r.size;
  }
  return out;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class WalRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.dir = root_ + "/wal";
    options_.segment_bytes_max = kSegmentBytesMax;
    // Damage is crafted at a segment's end, so segments grow by appends
    // here; WalPreallocatedTest covers segments that overwrite zeros.
    options_.preallocate_segments = false;
  }

  // (Re)opens the Wal, closing any open one first; fails the test if Open
  // does.
  void Reopen() {
    wal_.reset();
    Result<std::unique_ptr<Wal>> w = Wal::Open(fs_, options_);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    wal_ = std::move(w).value();
  }
  // Opens a damaged log, which must start repairing: Open succeeds, names
  // the damage, records a repair target, keeps every segment aside for
  // inspection, and recovers a prefix of what was saved (never invents an
  // entry) with the saved term. Returns the damage lines, joined.
  std::string ReopenExpectingRepair() {
    const std::vector<std::string> segments = Segments();
    wal_.reset();
    Result<std::unique_ptr<Wal>> w = Wal::Open(fs_, options_);
    EXPECT_TRUE(w.ok()) << "a damaged log must start repairing: " << w.status().ToString();
    if (!w.ok()) return "";
    wal_ = std::move(w).value();
    const WalRecoveryInfo& info = wal_->recovery();
    EXPECT_FALSE(info.damage.empty());
    EXPECT_TRUE(info.repair_target.has_value());
    EXPECT_EQ(wal_->storage().GetInitialState().repair_target, info.repair_target);
    EXPECT_EQ(info.quarantined.size(), segments.size());
    for (const Entry& e : AllEntries(wal_->storage())) {
      EXPECT_TRUE(e.index.value <= expected_.size() && expected_[e.index.value - 1] == e)
          << "recovered entry " << e.index.value << " was never saved";
    }
    EXPECT_EQ(wal_->storage().GetInitialState().hard_state.term, hard_state_.term);
    std::string out;
    for (const std::string& d : info.damage) out += d + "\n";
    return out;
  }
  // Every file of the WAL directory, to put back after a repair moved them.
  std::map<std::string, std::string> SaveDir() {
    std::map<std::string, std::string> files;
    Result<std::vector<std::string>> names = fs_.List(options_.dir);
    EXPECT_TRUE(names.ok());
    for (const std::string& n : names.value()) files[n] = Read(n);
    return files;
  }
  void RestoreDir(const std::map<std::string, std::string>& files) {
    Result<std::vector<std::string>> names = fs_.List(options_.dir);
    ASSERT_TRUE(names.ok());
    for (const std::string& n : names.value()) ASSERT_TRUE(fs_.Remove(Path(n)).ok());
    for (const auto& [name, bytes] : files) Write(name, bytes);
  }
  // Opens expecting failure; returns the status.
  Status ReopenExpectingFailure() {
    wal_.reset();
    Result<std::unique_ptr<Wal>> w = Wal::Open(fs_, options_);
    EXPECT_FALSE(w.ok()) << "Open succeeded on a damaged log";
    return w.ok() ? Status::Ok() : w.status();
  }

  // Entries first..last in synced Saves of up to kBatch entries, each with
  // the hard state (term, vote 1, commit = its last entry), as a node
  // acknowledging batches. (Batches keep the number of real fsyncs down.)
  void SaveEach(uint64_t first, uint64_t last, uint64_t term) {
    constexpr uint64_t kBatch = 4;
    for (uint64_t i = first; i <= last; i += kBatch) {
      const uint64_t end = std::min(last, i + kBatch - 1);
      const HardState hs{Term{term}, NodeId{1}, Index{end}};
      ASSERT_TRUE(wal_->Save(hs, MakeEntries(i, end, term), Snapshot{}, true).ok());
      Model(MakeEntries(i, end, term));
      hard_state_ = hs;
    }
  }
  // One synced Save of a batch without a hard state.
  void SaveBatch(uint64_t first, uint64_t last, uint64_t term) {
    ASSERT_TRUE(wal_->Save(std::nullopt, MakeEntries(first, last, term), Snapshot{}, true).ok());
    Model(MakeEntries(first, last, term));
  }
  // The expected log: appending truncates any suffix it overwrites.
  void Model(const std::vector<Entry>& entries) {
    for (const Entry& e : entries) {
      while (!expected_.empty() && expected_.back().index >= e.index) expected_.pop_back();
      expected_.push_back(e);
    }
  }
  void ExpectContents() {
    EXPECT_EQ(AllEntries(wal_->storage()), expected_);
    EXPECT_EQ(wal_->storage().GetInitialState().hard_state, hard_state_);
  }

  std::string Path(const std::string& name) const { return JoinPath(options_.dir, name); }
  std::vector<std::string> Files(const std::string& prefix, const std::string& suffix) {
    Result<std::vector<std::string>> names = fs_.List(options_.dir);
    EXPECT_TRUE(names.ok());
    std::vector<std::string> out;
    if (!names.ok()) return out;
    for (const std::string& n : names.value()) {
      if (n.starts_with(prefix) && n.ends_with(suffix)) out.push_back(n);
    }
    return out;
  }
  std::vector<std::string> Segments() { return Files("wal-", ".log"); }
  std::vector<std::string> SnapshotFiles() { return Files("snap-", ".snap"); }
  std::string Read(const std::string& name) {
    Result<std::string> r = fs_.ReadFile(Path(name));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : "";
  }
  // Replaces a file's contents (no fsync: the damage need not survive a
  // machine crash, and real fsyncs would dominate the suite's run time).
  void Write(const std::string& name, const std::string& bytes) {
    Result<std::unique_ptr<WritableFile>> f = fs_.Create(Path(name));
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE(f.value()->Append(bytes).ok());
    ASSERT_TRUE(f.value()->Close().ok());
  }
  void Append(const std::string& name, const std::string& bytes) {
    Result<std::unique_ptr<WritableFile>> f = fs_.OpenAt(Path(name), Read(name).size());
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE(f.value()->Append(bytes).ok());
    ASSERT_TRUE(f.value()->Close().ok());
  }
  // XORs one byte in place (no truncation, so no flush-on-close).
  void FlipByte(const std::string& name, size_t pos, uint8_t mask) {
    std::fstream f(Path(name), std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.is_open());
    f.seekg(static_cast<std::streamoff>(pos));
    char c = 0;
    ASSERT_TRUE(f.get(c));
    f.seekp(static_cast<std::streamoff>(pos));
    ASSERT_TRUE(f.put(static_cast<char>(c ^ mask)));
  }

  PosixFileSystem fs_;
  raft::testing::TempDir tmp_;  // declared before wal_, so removed after it closes
  const std::string root_ = tmp_.path();
  WalOptions options_;
  std::unique_ptr<Wal> wal_;
  std::vector<Entry> expected_;
  HardState hard_state_;
};

// ---------------------------------------------------------------------------
// Clean reopen.

TEST_F(WalRecoveryTest, OpenOnAnEmptyDirectoryStartsOneEmptySegment) {
  Reopen();
  EXPECT_EQ(wal_->segment_count(), 1u);
  EXPECT_EQ(wal_->storage().LastIndex(), Index{0});
  EXPECT_TRUE(wal_->storage().GetInitialState().hard_state.IsEmpty());
  Reopen();
  EXPECT_EQ(wal_->segment_count(), 1u);
  EXPECT_EQ(Segments().size(), 1u);
}

TEST_F(WalRecoveryTest, CleanReopenReturnsExactlyWhatWasSaved) {
  Reopen();
  SaveEach(1, 40, 1);
  SaveBatch(41, 50, 2);
  ASSERT_TRUE(wal_->Save(HardState{Term{2}, NodeId{3}, Index{48}}, {}, Snapshot{}, true).ok());
  hard_state_ = HardState{Term{2}, NodeId{3}, Index{48}};
  ExpectContents();
  const size_t segments = wal_->segment_count();
  ASSERT_GE(segments, 4u) << "the test needs several segments";
  EXPECT_EQ(Segments().size(), segments);

  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->segment_count(), segments);
  EXPECT_EQ(wal_->recovery().segments, segments);
  EXPECT_EQ(wal_->recovery().truncated_bytes, 0u);
  EXPECT_EQ(wal_->storage().FirstIndex(), Index{1});
  EXPECT_EQ(wal_->storage().LastIndex(), Index{50});
}

// Records whose checksums are fine but whose contents no correct node
// writes (a term near the top of its range, terms going down) are damage.
TEST_F(WalRecoveryTest, ChecksummedButImpossibleContentsAreCorruption) {
  Reopen();
  SaveEach(1, 4, 2);
  ASSERT_TRUE(
      wal_->Save(HardState{Term{~uint64_t{0}}, NodeId{1}, Index{4}}, {}, Snapshot{}, true).ok());
  Status s = ReopenExpectingFailure();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.message();

  options_.dir = root_ + "/another-wal";
  Reopen();
  SaveEach(1, 4, 2);
  SaveBatch(5, 6, 1);  // appended at a lower term than the entries before
  s = ReopenExpectingFailure();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("terms never decrease"), std::string::npos) << s.message();
}

TEST_F(WalRecoveryTest, EntryDataOfEveryByteValueSurvivesReopen) {
  Reopen();
  std::string data;
  for (int i = 0; i < 256; i++) data.push_back(static_cast<char>(i));
  const std::vector<Entry> entries{Entry{Term{1}, Index{1}, EntryType::kNoop, ""},
                                   Entry{Term{1}, Index{2}, EntryType::kNormal, data}};
  ASSERT_TRUE(wal_->Save(std::nullopt, entries, Snapshot{}, true).ok());
  Reopen();
  EXPECT_EQ(AllEntries(wal_->storage()), entries);
}

TEST_F(WalRecoveryTest, WritesContinueAfterReopen) {
  Reopen();
  SaveEach(1, 12, 1);
  Reopen();
  SaveEach(13, 25, 2);
  Reopen();
  ExpectContents();
}

// ---------------------------------------------------------------------------
// Overwrites: a follower's conflict truncation.

TEST_F(WalRecoveryTest, SavingAtALowerIndexReplacesTheSuffixAfterReopen) {
  Reopen();
  SaveEach(1, 30, 1);
  SaveBatch(20, 24, 2);  // the new leader's entries from 20 on
  ExpectContents();
  ASSERT_EQ(wal_->storage().LastIndex(), Index{24});
  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->storage().LastIndex(), Index{24});
  Result<Term> t = wal_->storage().TermAt(Index{20});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value(), Term{2});
}

TEST_F(WalRecoveryTest, OverwriteBelowTheActiveSegmentsFirstIndexReplacesTheSuffix) {
  Reopen();
  SaveEach(1, 40, 1);
  ASSERT_GE(wal_->segment_count(), 4u);
  SaveBatch(3, 5, 2);  // back into the first segment's range
  SaveEach(6, 8, 2);
  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->storage().LastIndex(), Index{8});
}

// ---------------------------------------------------------------------------
// Torn tails: a crash in the middle of the last write.

TEST_F(WalRecoveryTest, RecordCutOffAtTheEndOfTheLastSegmentIsTruncated) {
  Reopen();
  SaveEach(1, 20, 1);
  ASSERT_TRUE(wal_->Save(std::nullopt, {MakeEntry(1, 21)}, Snapshot{}, true).ok());
  wal_.reset();
  const std::string last = Segments().back();
  const std::string bytes = Read(last);
  const size_t torn_at = RecordOffsets(bytes).back();
  const size_t keep = torn_at + (bytes.size() - torn_at) / 2;
  ASSERT_TRUE(fs_.Truncate(Path(last), keep).ok());

  Reopen();
  ExpectContents();  // entries 1..20: entry 21 was torn
  EXPECT_EQ(wal_->storage().LastIndex(), Index{20});
  EXPECT_EQ(wal_->recovery().truncated_bytes, keep - torn_at);
  EXPECT_EQ(wal_->recovery().truncated_segment, last);
  EXPECT_EQ(Read(last).size(), torn_at);

  Reopen();
  EXPECT_EQ(wal_->recovery().truncated_bytes, 0u) << "the first reopen truncated the file";
  ExpectContents();
}

TEST_F(WalRecoveryTest, CutsAnywhereInsideTheLastRecordAreATornTail) {
  Reopen();
  SaveEach(1, 10, 1);
  ASSERT_TRUE(wal_->Save(std::nullopt, {MakeEntry(1, 11)}, Snapshot{}, true).ok());
  wal_.reset();
  const std::string last = Segments().back();
  const std::string bytes = Read(last);
  const size_t torn_at = RecordOffsets(bytes).back();
  // Inside the length, the checksum, at the type byte, inside the payload.
  // (Every cut of every record type is covered by the pure property in
  // wal_record_test.cc; here each reopen costs real fsyncs.)
  for (const size_t cut :
       {size_t{1}, size_t{4}, size_t{8}, size_t{9}, size_t{20}, bytes.size() - torn_at - 1}) {
    const size_t keep = torn_at + cut;
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(bytes.size()));
    Write(last, bytes.substr(0, keep));
    Reopen();
    EXPECT_EQ(wal_->recovery().truncated_bytes, keep - torn_at);
    ExpectContents();
  }
}

TEST_F(WalRecoveryTest, GarbageAppendedToTheLastSegmentIsTruncated) {
  Reopen();
  SaveEach(1, 20, 1);
  wal_.reset();
  const std::string last = Segments().back();
  const size_t size = Read(last).size();
  Append(last, std::string("\x13\x37\xbe\xef\x01", 5));
  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->recovery().truncated_bytes, 5u);
  EXPECT_EQ(Read(last).size(), size);
  Reopen();
  EXPECT_EQ(wal_->recovery().truncated_bytes, 0u);
  ExpectContents();
}

TEST_F(WalRecoveryTest, LongerGarbageWithNoValidRecordAfterItIsTruncated) {
  Reopen();
  SaveEach(1, 20, 1);
  wal_.reset();
  const std::string last = Segments().back();
  std::string garbage;
  uint32_t x = 12345;
  for (int i = 0; i < 100; i++) {
    x = x * 1103515245 + 12345;
    garbage.push_back(static_cast<char>(x >> 24));
  }
  Append(last, garbage);
  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->recovery().truncated_bytes, garbage.size());
}

TEST_F(WalRecoveryTest, ZeroFilledTailIsUnusedSpaceWhereWritingResumes) {
  Reopen();
  SaveEach(1, 20, 1);
  wal_.reset();
  Append(Segments().back(), std::string(64, '\0'));
  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->recovery().truncated_bytes, 0u);
  SaveEach(21, 22, 1);  // over the zeros, not after them
  Reopen();
  ExpectContents();
}

TEST_F(WalRecoveryTest, PartialRecordHeaderAtTheEndIsTruncated) {
  Reopen();
  SaveEach(1, 20, 1);
  wal_.reset();
  std::string record;
  EncodeEntry(MakeEntry(1, 21), record);
  Append(Segments().back(), record.substr(0, kWalRecordHeaderBytes - 3));
  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->recovery().truncated_bytes, kWalRecordHeaderBytes - 3);
  Reopen();
  EXPECT_EQ(wal_->recovery().truncated_bytes, 0u);
}

TEST_F(WalRecoveryTest, WritesAfterATruncatedTailSurviveTheNextReopen) {
  Reopen();
  SaveEach(1, 20, 1);
  wal_.reset();
  Append(Segments().back(), "torn");
  Reopen();
  SaveEach(21, 30, 1);
  Reopen();
  EXPECT_EQ(wal_->recovery().truncated_bytes, 0u);
  ExpectContents();
}

TEST_F(WalRecoveryTest, SegmentWithATornHeaderIsDroppedAndReplaced) {
  Reopen();
  SaveEach(1, 20, 1);
  const size_t segments = wal_->segment_count();
  wal_.reset();
  // A crash while creating the next segment, before its header was synced.
  std::string header;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion, segments + 1, Index{21}}, header);
  const std::string torn = SegmentFileName(segments + 1, Index{21});
  Write(torn, header.substr(0, 11));
  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->recovery().truncated_bytes, 11u);
  EXPECT_FALSE(fs_.Exists(Path(torn)));
  EXPECT_EQ(wal_->segment_count(), segments);
  SaveEach(21, 22, 1);
  Reopen();
  ExpectContents();
}

// ---------------------------------------------------------------------------
// Damage that is not a torn tail: Open keeps the intact prefix, moves every
// segment aside and starts repairing; a file that is not this WAL's at all
// is refused.

class WalCorruptionTest : public WalRecoveryTest {
 protected:
  // Writes entries 1..40 over several segments and stops cleanly (the
  // metadata then records 40 as acknowledged).
  void WriteLog() {
    Reopen();
    SaveEach(1, 40, 1);
    ASSERT_GE(wal_->segment_count(), 4u);
    ASSERT_TRUE(wal_->Sync().ok());
    wal_.reset();
  }
  // Flips byte pos of segment name with mask, expects Open to start a
  // repair that keeps the damaged bytes aside, and puts the directory back.
  // Returns the damage lines.
  std::string ExpectRepairAfterFlip(const std::string& name, size_t pos, uint8_t mask) {
    const std::map<std::string, std::string> before = SaveDir();
    FlipByte(name, pos, mask);
    const std::string damaged = Read(name);
    const std::string message = ReopenExpectingRepair();
    if (wal_) {
      for (const std::string& q : wal_->recovery().quarantined) {
        if (q.starts_with(name + ".damaged-")) {
          EXPECT_EQ(Read(q), damaged);
        }
      }
    }
    wal_.reset();
    RestoreDir(before);
    return message;
  }
};

TEST_F(WalCorruptionTest, FlippedByteInTheMiddleOfTheLastSegmentStartsARepair) {
  WriteLog();
  const std::string last = Segments().back();
  const std::vector<size_t> offsets = RecordOffsets(Read(last));
  ASSERT_GE(offsets.size(), 4u);
  const size_t record = offsets[offsets.size() / 2];  // valid records follow it
  const std::string offset_text = "offset " + std::to_string(record);
  const size_t record_end = offsets[offsets.size() / 2 + 1];
  // Every byte of the record: length, checksum, type, payload.
  for (size_t pos = record; pos < record_end; pos++) {
    for (const uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      SCOPED_TRACE("byte " + std::to_string(pos) + " ^ " + std::to_string(mask));
      const std::string message = ExpectRepairAfterFlip(last, pos, mask);
      EXPECT_TRUE(Contains(message, last)) << message;
      EXPECT_TRUE(Contains(message, offset_text)) << message;
    }
  }
  Reopen();  // restored: the log is whole again
  ExpectContents();
  EXPECT_FALSE(wal_->recovery().repair_target.has_value());
}

TEST_F(WalCorruptionTest, FlippedByteInAnOlderSegmentStartsARepair) {
  WriteLog();
  const std::string older = Segments()[1];
  const std::string bytes = Read(older);
  const std::vector<size_t> offsets = RecordOffsets(bytes);
  ASSERT_GE(offsets.size(), 3u);
  // A middle record and the older segment's last record: nothing follows
  // the latter in its file, but an older segment never has a torn tail.
  for (const size_t record : {offsets[1], offsets.back()}) {
    for (size_t pos = record; pos < record + kWalRecordHeaderBytes + 2; pos++) {
      SCOPED_TRACE("byte " + std::to_string(pos));
      const std::string message = ExpectRepairAfterFlip(older, pos, 0x10);
      EXPECT_TRUE(Contains(message, older)) << message;
      EXPECT_TRUE(Contains(message, "offset " + std::to_string(record))) << message;
    }
  }
  (void)ExpectRepairAfterFlip(older, bytes.size() - 1, 0xff);
}

TEST_F(WalCorruptionTest, RepairKeepsThePrefixBeforeTheDamageAndRestartsStillRepairing) {
  WriteLog();
  const std::string older = Segments()[1];
  const std::vector<size_t> offsets = RecordOffsets(Read(older));
  FlipByte(older, offsets[2] + kWalRecordHeaderBytes, 0x04);  // an entry record's payload
  const std::string message = ReopenExpectingRepair();
  const Index kept = wal_->storage().LastIndex();
  EXPECT_GT(kept, Index{0});
  EXPECT_LT(kept, Index{40});
  EXPECT_EQ(wal_->recovery().repair_target, Index{40}) << message;
  EXPECT_EQ(wal_->segment_count(), 1u) << "the kept prefix is rewritten as one segment";
  // A restart before the repair finished goes on repairing, without new
  // damage, and the rewritten prefix is intact.
  Reopen();
  EXPECT_TRUE(wal_->recovery().damage.empty()) << wal_->recovery().damage.at(0);
  EXPECT_EQ(wal_->recovery().repair_target, Index{40});
  EXPECT_EQ(wal_->storage().LastIndex(), kept);
  // Entries fetched from a leader, then the end of the repair.
  SaveEach(kept.value + 1, 45, 1);
  ASSERT_TRUE(wal_->MarkRepaired().ok());
  EXPECT_FALSE(wal_->storage().GetInitialState().repair_target.has_value());
  Reopen();
  EXPECT_FALSE(wal_->recovery().repair_target.has_value());
  EXPECT_TRUE(wal_->recovery().damage.empty());
  ExpectContents();
}

TEST_F(WalCorruptionTest, TruncatedOlderSegmentStartsARepair) {
  WriteLog();
  const std::string older = Segments()[1];
  const std::string bytes = Read(older);
  ASSERT_TRUE(fs_.Truncate(Path(older), bytes.size() - 3).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, older)) << message;
}

TEST_F(WalCorruptionTest, DeletedMiddleSegmentStartsARepair) {
  WriteLog();
  const std::vector<std::string> segments = Segments();
  ASSERT_TRUE(fs_.Remove(Path(segments[2])).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "sequence 3, is missing")) << message;
  EXPECT_TRUE(Contains(message, segments[1])) << message;
}

TEST_F(WalCorruptionTest, DeletedLastSegmentStartsARepair) {
  WriteLog();
  ASSERT_TRUE(fs_.Remove(Path(Segments().back())).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "the metadata records segment")) << message;
}

TEST_F(WalCorruptionTest, EveryDeletedSegmentStartsARepairWithTheTermKept) {
  WriteLog();
  for (const std::string& name : Segments()) ASSERT_TRUE(fs_.Remove(Path(name)).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_EQ(wal_->storage().LastIndex(), Index{0});
  EXPECT_EQ(wal_->recovery().repair_target, Index{40}) << message;
}

TEST_F(WalCorruptionTest, LogCutAtARecordBoundaryBelowTheAcknowledgedIndexStartsARepair) {
  WriteLog();
  const std::string last = Segments().back();
  const std::vector<size_t> offsets = RecordOffsets(Read(last));
  ASSERT_TRUE(fs_.Truncate(Path(last), offsets[offsets.size() / 2]).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "below index 40 this node acknowledged")) << message;
}

TEST_F(WalCorruptionTest, DeletedMetadataFileStartsARepair) {
  WriteLog();
  ASSERT_TRUE(fs_.Remove(Path(kWalMetaFileName)).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "meta: missing")) << message;
  EXPECT_EQ(wal_->storage().LastIndex(), Index{40}) << "an intact log is kept whole";
}

TEST_F(WalCorruptionTest, UnreadableMetadataFileStartsARepair) {
  WriteLog();
  FlipByte(kWalMetaFileName, 10, 0x01);
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "checksum mismatch")) << message;
}

TEST_F(WalCorruptionTest, SwappedSegmentBreaksTheChain) {
  WriteLog();
  // Another log's segment of the same name and first index: its header is
  // valid, but it does not continue this log's previous segment.
  const std::vector<std::string> segments = Segments();
  const std::string theirs_dir = root_ + "/theirs";
  {
    WalOptions other = options_;
    other.dir = theirs_dir;
    Result<std::unique_ptr<Wal>> w = Wal::Open(fs_, other);
    ASSERT_TRUE(w.ok());
    // Same indexes, another term: a different last record in each segment.
    for (uint64_t i = 1; i <= 40; i += 4) {
      const HardState hs{Term{2}, NodeId{1}, Index{i + 3}};
      ASSERT_TRUE(w.value()->Save(hs, MakeEntries(i, i + 3, 2), Snapshot{}, true).ok());
    }
  }
  Result<std::vector<std::string>> theirs = fs_.List(theirs_dir);
  ASSERT_TRUE(theirs.ok());
  ASSERT_NE(std::find(theirs.value().begin(), theirs.value().end(), segments[2]),
            theirs.value().end());
  Result<std::string> bytes = fs_.ReadFile(JoinPath(theirs_dir, segments[2]));
  ASSERT_TRUE(bytes.ok());
  Write(segments[2], bytes.value());
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "chain broken")) << message;
  EXPECT_TRUE(Contains(message, segments[2])) << message;
  uint64_t seq = 0;
  Index first;
  ASSERT_TRUE(ParseSegmentFileName(segments[2], seq, first));
  EXPECT_EQ(wal_->storage().LastIndex().Next(), first) << "the chain breaks before it";
}

TEST_F(WalCorruptionTest, DeletedOldestSegmentWithoutASnapshotStartsARepair) {
  WriteLog();
  ASSERT_TRUE(fs_.Remove(Path(Segments().front())).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "gap")) << message;
  EXPECT_EQ(wal_->storage().LastIndex(), Index{0});
}

TEST_F(WalCorruptionTest, GapInIndexesWithinASegmentStartsARepair) {
  ASSERT_TRUE(fs_.CreateDir(options_.dir).ok());
  std::string bytes;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion, 1, Index{1}}, bytes);
  EncodeEntry(MakeEntry(1, 1), bytes);
  EncodeEntry(MakeEntry(1, 2), bytes);
  const size_t gap_at = bytes.size();
  EncodeEntry(MakeEntry(1, 4), bytes);  // index 3 is missing
  EncodeEntry(MakeEntry(1, 5), bytes);
  const std::string name = SegmentFileName(1, Index{1});
  Write(name, bytes);
  expected_ = {MakeEntry(1, 1), MakeEntry(1, 2)};
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "gap")) << message;
  EXPECT_TRUE(Contains(message, name)) << message;
  EXPECT_TRUE(Contains(message, "offset " + std::to_string(gap_at))) << message;
  EXPECT_EQ(wal_->storage().LastIndex(), Index{2});
}

TEST_F(WalCorruptionTest, GapBetweenSegmentsStartsARepair) {
  ASSERT_TRUE(fs_.CreateDir(options_.dir).ok());
  // Version 1 segments (no chain), so the gap is the first thing wrong.
  std::string first;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersionOldest, 1, Index{1}}, first);
  for (uint64_t i = 1; i <= 3; i++) EncodeEntry(MakeEntry(1, i), first);
  std::string second;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersionOldest, 2, Index{6}}, second);
  for (uint64_t i = 6; i <= 8; i++) EncodeEntry(MakeEntry(1, i), second);
  Write(SegmentFileName(1, Index{1}), first);
  Write(SegmentFileName(2, Index{6}), second);
  expected_ = {MakeEntry(1, 1), MakeEntry(1, 2), MakeEntry(1, 3)};
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "gap")) << message;
  EXPECT_TRUE(Contains(message, SegmentFileName(2, Index{6}))) << message;
}

TEST_F(WalCorruptionTest, SegmentWhoseHeaderDisagreesWithItsNameStartsARepair) {
  WriteLog();
  const std::vector<std::string> segments = Segments();
  // Renamed to claim a different first index.
  const std::string bytes = Read(segments[1]);
  ASSERT_TRUE(fs_.Remove(Path(segments[1])).ok());
  uint64_t seq = 0;
  ASSERT_EQ(std::sscanf(segments[1].c_str(), "wal-%16lx", &seq), 1);
  Write(SegmentFileName(seq, Index{999}), bytes);
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "does not match the file name")) << message;
}

TEST_F(WalCorruptionTest, SegmentThatIsNotAWalFileStartsARepairAndAnUnknownVersionIsRefused) {
  ASSERT_TRUE(fs_.CreateDir(options_.dir).ok());
  std::string bytes;
  SegmentHeader h{kWalMagic ^ 1, kWalVersion, 1, Index{1}};
  EncodeSegmentHeader(h, bytes);
  EncodeEntry(MakeEntry(1, 1), bytes);
  Write(SegmentFileName(1, Index{1}), bytes);
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "bad magic")) << message;

  // A version this build does not know is not damage: a newer build wrote
  // it, and rewriting it would destroy it.
  const std::string dir = options_.dir;
  options_.dir = root_ + "/newer";
  ASSERT_TRUE(fs_.CreateDir(options_.dir).ok());
  bytes.clear();
  h.magic = kWalMagic;
  h.version = kWalVersion + 1;
  EncodeSegmentHeader(h, bytes);
  EncodeEntry(MakeEntry(1, 1), bytes);
  Write(SegmentFileName(1, Index{1}), bytes);
  const Status s = ReopenExpectingFailure();
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "unsupported WAL version")) << s.message();
  EXPECT_EQ(Read(SegmentFileName(1, Index{1})), bytes) << "left as it was";
  options_.dir = dir;
}

// ---------------------------------------------------------------------------
// Snapshots.

TEST_F(WalRecoveryTest, CreateSnapshotRemovesOldSegmentsAndReopenRestoresIt) {
  Reopen();
  SaveEach(1, 40, 1);
  const size_t before = wal_->segment_count();
  ASSERT_GE(before, 4u);
  ASSERT_TRUE(wal_->CreateSnapshot(Index{30}, kVoters, "image at 30", Index{30}).ok());
  EXPECT_LT(wal_->segment_count(), before);
  EXPECT_EQ(Segments().size(), wal_->segment_count());
  EXPECT_EQ(SnapshotFiles(), std::vector<std::string>{SnapshotFileName(Index{30}, Term{1})});
  SaveEach(41, 45, 2);

  Reopen();
  EXPECT_EQ(wal_->recovery().snapshot_index, Index{30});
  Result<Snapshot> snap = wal_->storage().GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().meta.index, Index{30});
  EXPECT_EQ(snap.value().meta.term, Term{1});
  EXPECT_EQ(snap.value().data, "image at 30");
  EXPECT_EQ(snap.value().meta.voters, kVoters);
  EXPECT_EQ(wal_->storage().GetInitialState().voters, kVoters);
  EXPECT_EQ(wal_->storage().FirstIndex(), Index{31});
  EXPECT_EQ(wal_->storage().LastIndex(), Index{45});
  EXPECT_EQ(AllEntries(wal_->storage()),
            std::vector<Entry>(expected_.begin() + 30, expected_.end()));
  EXPECT_EQ(wal_->storage().GetInitialState().hard_state, hard_state_);
  EXPECT_EQ(wal_->storage().Entries(Index{30}, Index{31}, UINT64_MAX).status().code(),
            StatusCode::kCompacted);
}

TEST_F(WalRecoveryTest, SecondSnapshotCompactsFurtherAndSurvivesReopen) {
  Reopen();
  SaveEach(1, 40, 1);
  ASSERT_TRUE(wal_->CreateSnapshot(Index{20}, kVoters, "image at 20", Index{20}).ok());
  SaveEach(41, 60, 1);
  const size_t before = wal_->segment_count();
  ASSERT_TRUE(wal_->CreateSnapshot(Index{55}, kVoters, "image at 55", Index{55}).ok());
  EXPECT_LT(wal_->segment_count(), before);
  Reopen();
  Result<Snapshot> snap = wal_->storage().GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().meta.index, Index{55});
  EXPECT_EQ(snap.value().data, "image at 55");
  EXPECT_EQ(AllEntries(wal_->storage()),
            std::vector<Entry>(expected_.begin() + 55, expected_.end()));
}

TEST_F(WalRecoveryTest, DeletedSnapshotFileStartsARepair) {
  Reopen();
  SaveEach(1, 40, 1);
  ASSERT_TRUE(wal_->CreateSnapshot(Index{30}, kVoters, "image", Index{30}).ok());
  SaveEach(41, 42, 1);
  wal_.reset();
  const std::vector<std::string> snaps = SnapshotFiles();
  ASSERT_EQ(snaps.size(), 1u);
  ASSERT_TRUE(fs_.Remove(Path(snaps[0])).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_FALSE(wal_->storage().GetSnapshot().value().meta.index > Index{0});
}

// With no segment compacted away, the only evidence of the snapshot is the
// marker record: Open must still notice its file is gone.
TEST_F(WalRecoveryTest, SnapshotMarkerWhoseFileIsMissingStartsARepair) {
  Reopen();
  SaveEach(1, 40, 1);
  const size_t segments = wal_->segment_count();
  ASSERT_TRUE(wal_->CreateSnapshot(Index{30}, kVoters, "image", Index{0}).ok());
  ASSERT_EQ(wal_->segment_count(), segments) << "compact_to 0 keeps every segment";
  wal_.reset();
  ASSERT_TRUE(fs_.Remove(Path(SnapshotFiles().at(0))).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "snapshot at index 30")) << message;
}

// Two snapshot files are kept; losing the newest must not silently fall
// back to the older one (the log was compacted up to the newest).
TEST_F(WalRecoveryTest, DeletedNewestOfTwoSnapshotFilesStartsARepair) {
  Reopen();
  SaveEach(1, 40, 1);
  ASSERT_TRUE(wal_->CreateSnapshot(Index{10}, kVoters, "image at 10", Index{10}).ok());
  ASSERT_TRUE(wal_->CreateSnapshot(Index{35}, kVoters, "image at 35", Index{35}).ok());
  wal_.reset();
  const std::vector<std::string> snaps = SnapshotFiles();
  ASSERT_EQ(snaps.size(), 2u);
  ASSERT_TRUE(fs_.Remove(Path(snaps.back())).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_EQ(wal_->storage().GetSnapshot().value().meta.index, Index{10})
      << "the older snapshot is kept, the log after it is not trusted";
}

TEST_F(WalRecoveryTest, CorruptSnapshotFileIsCorruption) {
  Reopen();
  SaveEach(1, 40, 1);
  ASSERT_TRUE(wal_->CreateSnapshot(Index{30}, kVoters, "image at 30", Index{30}).ok());
  wal_.reset();
  const std::string snap = SnapshotFiles().at(0);
  std::string bytes = Read(snap);
  bytes[bytes.size() / 2] ^= 0x04;
  Write(snap, bytes);
  const Status s = ReopenExpectingFailure();
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), snap)) << s.message();
  EXPECT_EQ(Read(snap), bytes);
}

TEST_F(WalRecoveryTest, LeftoverSnapshotTempFileIsRemovedOnOpen) {
  Reopen();
  SaveEach(1, 40, 1);
  ASSERT_TRUE(wal_->CreateSnapshot(Index{30}, kVoters, "image at 30", Index{30}).ok());
  wal_.reset();
  // A crash while writing the next snapshot, before its rename.
  const std::string tmp = SnapshotFileName(Index{38}, Term{1}) + ".tmp";
  Write(tmp, "half a snapshot");
  Reopen();
  EXPECT_FALSE(fs_.Exists(Path(tmp)));
  Result<Snapshot> snap = wal_->storage().GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().meta.index, Index{30});
  EXPECT_EQ(wal_->storage().LastIndex(), Index{40});
}

// A follower truncates a conflicting suffix, commits the new entries and
// snapshots them. The truncated entries were past the snapshot: they must
// stay gone after a restart, whatever segment they sit in.
TEST_F(WalRecoveryTest, EntriesTruncatedBeforeASnapshotStayTruncatedAfterReopen) {
  Reopen();
  SaveEach(1, 15, 1);
  SaveBatch(5, 10, 2);  // conflict at 5: entries 11..15 of term 1 are gone
  ASSERT_TRUE(wal_->CreateSnapshot(Index{10}, kVoters, "image at 10", Index{10}).ok());
  ASSERT_EQ(wal_->storage().LastIndex(), Index{10});
  Reopen();
  EXPECT_EQ(wal_->storage().LastIndex(), Index{10}) << "truncated entries were resurrected";
  EXPECT_EQ(AllEntries(wal_->storage()), std::vector<Entry>{});
  SaveEach(11, 12, 2);
  Reopen();
  EXPECT_EQ(AllEntries(wal_->storage()), MakeEntries(11, 12, 2));
}

TEST_F(WalRecoveryTest, EntriesTruncatedAcrossSegmentsBeforeASnapshotStayTruncated) {
  Reopen();
  SaveEach(1, 40, 1);
  ASSERT_GE(wal_->segment_count(), 4u);
  SaveBatch(8, 12, 2);  // conflict inside the first segment
  ASSERT_TRUE(wal_->CreateSnapshot(Index{12}, kVoters, "image at 12", Index{12}).ok());
  ASSERT_EQ(wal_->storage().LastIndex(), Index{12});
  Reopen();
  EXPECT_EQ(wal_->storage().LastIndex(), Index{12}) << "entries 13..40 of term 1 came back";
  SaveEach(13, 14, 2);
  Reopen();
  EXPECT_EQ(wal_->storage().LastIndex(), Index{14});
  EXPECT_EQ(AllEntries(wal_->storage()), MakeEntries(13, 14, 2));
}

// ---------------------------------------------------------------------------
// A snapshot received from the leader (InstallSnapshot).

TEST_F(WalRecoveryTest, ReceivedSnapshotBeyondTheLogIsNotUndoneByRestart) {
  Reopen();
  SaveEach(1, 20, 1);
  const Snapshot snap{SnapshotMeta{Index{50}, Term{3}, {NodeId{1}, NodeId{2}, NodeId{3}}},
                      "leader's image"};
  const HardState hs{Term{3}, NodeId{2}, Index{50}};
  ASSERT_TRUE(wal_->Save(hs, {}, snap, true).ok());
  hard_state_ = hs;
  expected_.clear();
  SaveEach(51, 55, 3);
  Reopen();
  Result<Snapshot> got = wal_->storage().GetSnapshot();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), snap);
  EXPECT_EQ(wal_->storage().FirstIndex(), Index{51});
  ExpectContents();  // 51..55 only: 1..20 were superseded
  EXPECT_EQ(wal_->storage().GetInitialState().voters,
            (std::vector<NodeId>{NodeId{1}, NodeId{2}, NodeId{3}}));
  EXPECT_EQ(wal_->storage().TermAt(Index{20}).status().code(), StatusCode::kCompacted);
}

TEST_F(WalRecoveryTest, ReceivedSnapshotInsideTheLogDiscardsTheConflictingTail) {
  Reopen();
  SaveEach(1, 20, 1);
  const Snapshot snap{SnapshotMeta{Index{10}, Term{2}, {NodeId{1}}}, "leader's image"};
  ASSERT_TRUE(wal_->Save(std::nullopt, {}, snap, true).ok());
  ASSERT_EQ(wal_->storage().LastIndex(), Index{10});
  Reopen();
  EXPECT_EQ(wal_->storage().LastIndex(), Index{10}) << "entries 11..20 of term 1 came back";
  expected_.clear();
  SaveEach(11, 13, 2);
  Reopen();
  ExpectContents();
  Result<Term> t = wal_->storage().TermAt(Index{10});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value(), Term{2});
}

TEST_F(WalRecoveryTest, ReceivedSnapshotSurvivesLaterSegmentRollovers) {
  Reopen();
  SaveEach(1, 20, 1);
  const Snapshot snap{SnapshotMeta{Index{50}, Term{3}, {NodeId{1}}}, "leader's image"};
  ASSERT_TRUE(wal_->Save(std::nullopt, {}, snap, true).ok());
  expected_.clear();
  SaveEach(51, 90, 3);
  ASSERT_GE(wal_->segment_count(), 4u);
  Reopen();
  Result<Snapshot> got = wal_->storage().GetSnapshot();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), snap);
  ExpectContents();
}

// ---------------------------------------------------------------------------
// Preallocated segments: records overwrite durable zeros (the default).

class WalPreallocatedTest : public WalRecoveryTest {
 protected:
  void SetUp() override {
    WalRecoveryTest::SetUp();
    options_.preallocate_segments = true;
  }
  // Offset after the last record of a segment whose tail is zeros.
  size_t RecordsEnd(const std::string& name) {
    const std::string bytes = Read(name);
    size_t offset = 0;
    while (!ZeroFrom(bytes, offset)) {
      const DecodeResult r = DecodeRecord(bytes, offset);
      EXPECT_EQ(r.error, DecodeError::kNone) << name << " at offset " << offset;
      if (r.error != DecodeError::kNone) break;
      offset += r.size;
    }
    return offset;
  }
};

TEST_F(WalPreallocatedTest, NewSegmentsAreFullSizeAndTheRollCutsTheOldOnesZeros) {
  Reopen();
  SaveEach(1, 40, 1);
  const size_t count = wal_->segment_count();
  for (uint64_t next = 41; wal_->segment_count() == count; next++) SaveEach(next, next, 1);
  const std::vector<std::string> segments = Segments();
  ASSERT_GE(segments.size(), 3u);
  for (size_t i = 0; i + 1 < segments.size(); i++) {
    SCOPED_TRACE(segments[i]);
    EXPECT_EQ(RecordsEnd(segments[i]), Read(segments[i]).size())
        << "an older segment ends in zeros";
  }
  EXPECT_EQ(Read(segments.back()).size(), kSegmentBytesMax);
  EXPECT_LT(RecordsEnd(segments.back()), kSegmentBytesMax) << "one Save fills less than a segment";
}

// Entries 1..4 take one Save, less than a segment.
TEST_F(WalPreallocatedTest, ReopenResumesWritingAfterTheLastRecordOverTheZeros) {
  Reopen();
  SaveEach(1, 4, 1);
  const std::string last = Segments().back();
  const size_t end = RecordsEnd(last);
  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->recovery().truncated_bytes, 0u) << "unused space is not a torn tail";
  SaveEach(5, 5, 1);
  EXPECT_EQ(Segments().back(), last);
  EXPECT_GT(RecordsEnd(last), end);
  EXPECT_EQ(Read(last).size(), kSegmentBytesMax) << "written over the zeros, not after them";
  Reopen();
  ExpectContents();
}

TEST_F(WalPreallocatedTest, TornRecordInTheZerosIsTruncatedWithThem) {
  Reopen();
  SaveEach(1, 4, 1);
  wal_.reset();
  const std::string last = Segments().back();
  const size_t end = RecordsEnd(last);
  std::string record;
  EncodeEntry(MakeEntry(1, 5), record);
  {  // a crash mid-write: the record's first half reached the disk
    Result<std::unique_ptr<WritableFile>> f = fs_.OpenAt(Path(last), end);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    ASSERT_TRUE(f.value()->Append(record.substr(0, record.size() / 2)).ok());
    ASSERT_TRUE(f.value()->Close().ok());
  }
  Reopen();
  ExpectContents();
  EXPECT_EQ(wal_->recovery().truncated_bytes, kSegmentBytesMax - end);
  EXPECT_EQ(Read(last).size(), end);
  SaveEach(5, 30, 1);  // appends now, then new preallocated segments
  Reopen();
  ExpectContents();
}

TEST_F(WalPreallocatedTest, SegmentOfOnlyZerosIsDroppedAndWritingGoesOnInANewSegment) {
  Reopen();
  SaveEach(1, 20, 1);
  const std::vector<std::string> before = Segments();
  wal_.reset();
  // A crash while rolling: the old segment's zeros were cut, the new
  // segment was created but its header never synced.
  ASSERT_TRUE(fs_.Truncate(Path(before.back()), RecordsEnd(before.back())).ok());
  const std::string empty = SegmentFileName(before.size() + 1, Index{21});
  ASSERT_TRUE(fs_.CreatePreallocated(Path(empty), kSegmentBytesMax).ok());
  Reopen();
  ExpectContents();
  // The previous segment was cut: a torn write there could not be told
  // from a cut, so writing goes on in a new full-size segment.
  const std::vector<std::string> after = Segments();
  ASSERT_EQ(after.size(), before.size() + 1);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), after.begin()));
  EXPECT_EQ(Read(after.back()).size(), kSegmentBytesMax);
  SaveEach(21, 22, 1);
  Reopen();
  ExpectContents();
}

TEST_F(WalPreallocatedTest, ZerosAtTheEndOfAnOlderSegmentStartARepair) {
  Reopen();
  SaveEach(1, 40, 1);
  wal_.reset();
  const std::vector<std::string> segments = Segments();
  ASSERT_GE(segments.size(), 2u);
  Append(segments[0], std::string(64, '\0'));
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, segments[0])) << message;
}

// A torn write never shortens a preallocated segment: a partial record at
// the end of one cut below its allocation was cut there, after it was
// acknowledged.
TEST_F(WalPreallocatedTest, PartialRecordInASegmentCutBelowItsAllocationStartsARepair) {
  Reopen();
  SaveEach(1, 12, 1);
  wal_.reset();
  const std::string last = Segments().back();
  const std::vector<size_t> offsets = RecordOffsets(Read(last));
  ASSERT_GE(offsets.size(), 3u);
  ASSERT_TRUE(fs_.Truncate(Path(last), offsets[offsets.size() / 2] + 5).ok());
  const std::string message = ReopenExpectingRepair();
  EXPECT_TRUE(Contains(message, "preallocated segment cut to")) << message;
}

}  // namespace
}  // namespace raft
