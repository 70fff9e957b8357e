// The offline inspector (wal_inspector.h), on directories written by the
// real Wal. Each damage test also opens the Wal on the same bytes, so the
// inspector's verdict (torn tail vs corruption, file, offset) is checked
// against what recovery actually does, not against a second opinion.
//
// Every inspection goes through Inspect(), which also checks that the
// directory is byte-for-byte unchanged afterwards.
#include "core/storage/wal_inspector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/storage/snapshot_file.h"
#include "core/storage/wal.h"
#include "net/posix_file_system.h"
#include "sim/sim_disk.h"
#include "tests/support/temp_dir.h"

namespace raft {
namespace {

constexpr char kDir[] = "data";
constexpr uint64_t kSmallSegmentBytes = 256;  // a few entries per segment

using Contents = std::map<std::string, std::string>;

Contents ReadAll(FileSystem& fs, const std::string& dir) {
  Contents out;
  Result<std::vector<std::string>> names = fs.List(dir);
  EXPECT_TRUE(names.ok()) << names.status().message();
  if (!names.ok()) return out;
  for (const std::string& n : names.value()) {
    Result<std::string> bytes = fs.ReadFile(JoinPath(dir, n));
    EXPECT_TRUE(bytes.ok()) << bytes.status().message();
    if (bytes.ok()) out[n] = bytes.value();
  }
  return out;
}

void WriteFile(FileSystem& fs, const std::string& path, const std::string& bytes) {
  Result<std::unique_ptr<WritableFile>> f = fs.Create(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_TRUE(f.value()->Append(bytes).ok());
  ASSERT_TRUE(f.value()->Sync().ok());
}

void FlipByte(FileSystem& fs, const std::string& path, uint64_t offset) {
  Result<std::string> bytes = fs.ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  ASSERT_LT(offset, bytes.value().size());
  std::string b = bytes.value();
  b[offset] = static_cast<char>(b[offset] ^ 0x40);
  WriteFile(fs, path, b);
}

// Entries lo..hi (inclusive) of one term.
std::vector<Entry> MakeEntries(uint64_t lo, uint64_t hi, uint64_t term = 1) {
  std::vector<Entry> out;
  for (uint64_t i = lo; i <= hi; i++) {
    out.push_back(Entry{Term{term}, Index{i}, EntryType::kNormal, "command-" + std::to_string(i)});
  }
  return out;
}

HardState Hs(uint64_t term, uint64_t vote, uint64_t commit) {
  return HardState{Term{term}, NodeId{vote}, Index{commit}};
}

class WalInspectorTest : public ::testing::Test {
 protected:
  std::unique_ptr<Wal> OpenWal(uint64_t segment_bytes_max = kSmallSegmentBytes) {
    // Damage is crafted at a segment's end, so segments grow by appends.
    Result<std::unique_ptr<Wal>> wal = Wal::Open(disk_, WalOptions{kDir, segment_bytes_max, false});
    EXPECT_TRUE(wal.ok()) << wal.status().message();
    return wal.ok() ? std::move(wal).value() : nullptr;
  }

  // Saves entries 1..count in batches, each with a hard state committing it.
  void WriteLog(Wal& wal, uint64_t count, uint64_t batch = 5) {
    for (uint64_t lo = 1; lo <= count; lo += batch) {
      const uint64_t hi = std::min(count, lo + batch - 1);
      ASSERT_TRUE(wal.Save(Hs(1, 1, hi), MakeEntries(lo, hi), Snapshot{}, true).ok());
    }
  }

  // Inspects and checks the directory was not touched.
  WalInspection Inspect(bool records = true) {
    const Contents before = ReadAll(disk_, kDir);
    Result<WalInspection> in = InspectWal(disk_, kDir, WalInspectOptions{.records = records});
    EXPECT_EQ(ReadAll(disk_, kDir), before) << "the inspector modified the directory";
    EXPECT_TRUE(in.ok()) << in.status().message();
    return in.ok() ? std::move(in).value() : WalInspection{};
  }

  std::string SegmentPath(const WalSegmentInfo& seg) const { return JoinPath(kDir, seg.name); }

  // Recovery's verdict on the same directory (this may truncate a torn tail).
  Status Recover() {
    return Wal::Open(disk_, WalOptions{kDir, kSmallSegmentBytes, false}).status();
  }

  sim::SimDisk disk_{std::make_unique<SplitMix64>(1)};
};

TEST_F(WalInspectorTest, CleanLogCountsRecordsAndIndexRanges) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 60);
  const size_t segments = wal->segment_count();
  ASSERT_GT(segments, 2u) << "the test wants several segments";

  const WalInspection in = Inspect();
  EXPECT_EQ(in.health(), WalHealth::kOk);
  EXPECT_TRUE(in.problems.empty());
  ASSERT_EQ(in.segments.size(), segments);
  EXPECT_EQ(in.snapshot_index, Index{0});
  EXPECT_EQ(in.last_index, Index{60});

  uint64_t records = 0, entries = 0;
  for (size_t i = 0; i < in.segments.size(); i++) {
    const WalSegmentInfo& seg = in.segments[i];
    SCOPED_TRACE(seg.name);
    EXPECT_EQ(seg.seq, i + 1);
    EXPECT_EQ(seg.name, SegmentFileName(seg.seq, seg.first_index));
    EXPECT_FALSE(seg.damaged_offset.has_value());
    ASSERT_GT(seg.entry_count, 0u);
    EXPECT_EQ(seg.first_entry, seg.first_index);
    EXPECT_EQ(Distance(seg.first_entry, seg.last_entry) + 1, seg.entry_count);
    if (i > 0) {
      EXPECT_EQ(seg.first_entry, in.segments[i - 1].last_entry.Next());
    }
    // A header, the entries, a hard state per batch, and from the second
    // segment on the hard state restated after the header.
    EXPECT_EQ(seg.record_count, 1 + seg.entry_count + seg.hard_state_count);
    EXPECT_EQ(seg.hard_state_count, seg.entry_count / 5 + (i > 0 ? 1 : 0));
    EXPECT_EQ(seg.snapshot_marker_count, 0u);
    ASSERT_EQ(seg.records.size(), seg.record_count);
    EXPECT_EQ(seg.records.front().offset, 0u);
    EXPECT_EQ(seg.records.back().offset + seg.records.back().size_bytes, seg.size_bytes);
    records += seg.record_count;
    entries += seg.entry_count;
  }
  EXPECT_EQ(entries, 60u);
  EXPECT_EQ(in.record_count, records);
  EXPECT_EQ(WalSummaryLine(in), "segments=" + std::to_string(segments) +
                                    " records=" + std::to_string(records) +
                                    " entries=1..60 snapshots=0 status=ok");

  // Recovery reads the same number of records.
  wal.reset();
  std::unique_ptr<Wal> reopened = OpenWal();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->recovery().records, in.record_count);
  EXPECT_EQ(reopened->recovery().segments, in.segments.size());
}

TEST_F(WalInspectorTest, EntryRecordsCarryTermIndexTypeAndDataSize) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  std::vector<Entry> entries = MakeEntries(1, 2, 3);
  entries[1].type = EntryType::kNoop;
  entries[1].data.clear();
  ASSERT_TRUE(wal->Save(std::nullopt, entries, Snapshot{}, true).ok());

  const WalInspection in = Inspect();
  ASSERT_EQ(in.segments.size(), 1u);
  const std::vector<WalRecordInfo>& r = in.segments[0].records;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].record.type, WalRecordType::kSegmentHeader);
  EXPECT_EQ(r[0].record.header.seq, 1u);
  EXPECT_EQ(r[1].record.type, WalRecordType::kEntry);
  EXPECT_EQ(r[1].offset, r[0].size_bytes);
  EXPECT_EQ(r[1].record.entry.term, Term{3});
  EXPECT_EQ(r[1].record.entry.index, Index{1});
  EXPECT_EQ(r[1].record.entry.type, EntryType::kNormal);
  EXPECT_EQ(r[1].entry_data_bytes, entries[0].data.size());
  EXPECT_EQ(r[2].record.entry.type, EntryType::kNoop);
  EXPECT_EQ(r[2].entry_data_bytes, 0u);
  EXPECT_FALSE(in.hard_state.has_value());

  // Without the option, counts only.
  EXPECT_TRUE(Inspect(false).segments[0].records.empty());
}

TEST_F(WalInspectorTest, ReportsTheLastHardStateAcrossSegments) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 30);
  ASSERT_TRUE(wal->Save(Hs(4, 2, 28), {}, Snapshot{}, true).ok());
  ASSERT_TRUE(wal->Save(Hs(5, 0, 29), {}, Snapshot{}, true).ok());

  const WalInspection in = Inspect();
  ASSERT_TRUE(in.hard_state.has_value());
  EXPECT_EQ(*in.hard_state, Hs(5, 0, 29));
  EXPECT_NE(RenderWalInspection(in).find("hard state: term=5 vote=0 commit=29"), std::string::npos);
}

TEST_F(WalInspectorTest, ListsTheSnapshotAfterCreateSnapshot) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 50);
  ASSERT_TRUE(
      wal->CreateSnapshot(Index{40}, {NodeId{1}, NodeId{2}, NodeId{3}}, "state-image", Index{30})
          .ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.health(), WalHealth::kOk);
  ASSERT_EQ(in.snapshots.size(), 1u);
  const WalSnapshotInfo& s = in.snapshots[0];
  EXPECT_EQ(s.name, SnapshotFileName(Index{40}, Term{1}));
  EXPECT_TRUE(s.ok) << s.error;
  EXPECT_TRUE(s.newest);
  EXPECT_EQ(s.meta.index, Index{40});
  EXPECT_EQ(s.meta.term, Term{1});
  EXPECT_EQ(s.data_bytes, std::string("state-image").size());
  EXPECT_EQ(in.snapshot_index, Index{40});
  EXPECT_EQ(in.last_index, Index{50});
  EXPECT_EQ(in.segments.back().snapshot_marker_count, 1u);
  // Segments wholly below compact_to are gone; the first left holds 30.
  EXPECT_LE(in.segments.front().first_entry, Index{31});
  EXPECT_GT(in.segments.front().seq, 1u);
  EXPECT_NE(WalSummaryLine(in).find(" entries=41..50 snapshots=1 status=ok"), std::string::npos);
}

TEST_F(WalInspectorTest, ListsVotersOfAReceivedSnapshot) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 10);
  Snapshot snap;
  snap.meta = SnapshotMeta{Index{100}, Term{7}, {NodeId{1}, NodeId{2}, NodeId{3}}};
  snap.data = "image";
  ASSERT_TRUE(wal->Save(Hs(7, 2, 100), {}, snap, true).ok());

  WalInspection in = Inspect();
  ASSERT_EQ(in.snapshots.size(), 1u);
  EXPECT_EQ(in.snapshots[0].meta.voters, (std::vector<NodeId>{NodeId{1}, NodeId{2}, NodeId{3}}));
  EXPECT_EQ(in.snapshot_index, Index{100});
  EXPECT_FALSE(in.HasEntries());
  EXPECT_NE(WalSummaryLine(in).find(" entries=none "), std::string::npos);
  const WalRecordInfo& marker =
      in.segments.back().records.at(in.segments.back().records.size() - 2);
  EXPECT_EQ(marker.record.type, WalRecordType::kSnapshot);
  EXPECT_TRUE(marker.record.snapshot_replaces_log);
  EXPECT_NE(RenderWalInspection(in).find("voters=[1,2,3]"), std::string::npos);

  ASSERT_TRUE(wal->Save(std::nullopt, MakeEntries(101, 103, 7), Snapshot{}, true).ok());
  in = Inspect();
  EXPECT_EQ(in.last_index, Index{103});
  EXPECT_NE(WalSummaryLine(in).find(" entries=101..103 "), std::string::npos);
}

TEST_F(WalInspectorTest, CutOffLastRecordIsATornTail) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 30);
  wal.reset();
  WalSegmentInfo last = Inspect().segments.back();
  const uint64_t offset = last.records.back().offset;
  ASSERT_TRUE(disk_.Truncate(SegmentPath(last), offset + 5).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.health(), WalHealth::kTornTail);
  ASSERT_EQ(in.problems.size(), 1u);
  const WalProblem& p = in.problems[0];
  EXPECT_EQ(p.kind, WalProblemKind::kTornTail);
  EXPECT_EQ(p.file, last.name);
  EXPECT_EQ(p.offset, offset);
  EXPECT_EQ(p.truncated_bytes, 5u);
  EXPECT_EQ(p.Classification(), "torn tail (recovery would truncate 5 bytes)");
  EXPECT_EQ(in.segments.back().damaged_offset, offset);
  EXPECT_EQ(in.segments.back().record_count, last.record_count - 1);
  EXPECT_NE(WalSummaryLine(in).find("status=torn-tail"), std::string::npos);
  EXPECT_NE(RenderWalInspection(in).find(last.name + " at offset " + std::to_string(offset) +
                                         ": torn tail (recovery would truncate 5 bytes)"),
            std::string::npos);

  // Recovery agrees: it truncates exactly that and starts.
  std::unique_ptr<Wal> reopened = OpenWal();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->recovery().truncated_bytes, 5u);
  EXPECT_EQ(reopened->recovery().truncated_segment, last.name);
  EXPECT_EQ(reopened->recovery().truncated_offset, offset);
}

TEST_F(WalInspectorTest, GarbledLastRecordOfTheLastSegmentIsATornTail) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 10);
  wal.reset();
  const WalSegmentInfo seg = Inspect().segments.back();
  const WalRecordInfo& r = seg.records.back();
  FlipByte(disk_, SegmentPath(seg), r.offset + kWalRecordHeaderBytes + 2);

  const WalInspection in = Inspect();
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].kind, WalProblemKind::kTornTail);
  EXPECT_EQ(in.problems[0].offset, r.offset);
  EXPECT_EQ(in.problems[0].truncated_bytes, r.size_bytes);
  EXPECT_NE(in.problems[0].reason.find("checksum mismatch"), std::string::npos);

  std::unique_ptr<Wal> reopened = OpenWal(1 << 20);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->recovery().truncated_bytes, r.size_bytes);
}

TEST_F(WalInspectorTest, FlippedByteMidSegmentIsCorruption) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 20);
  wal.reset();
  const WalSegmentInfo seg = Inspect().segments.back();
  const WalRecordInfo& r = seg.records.at(7);
  ASSERT_EQ(r.record.type, WalRecordType::kEntry);
  FlipByte(disk_, SegmentPath(seg), r.offset + kWalRecordHeaderBytes + 10);

  const WalInspection in = Inspect();
  EXPECT_EQ(in.health(), WalHealth::kCorrupt);
  ASSERT_EQ(in.problems.size(), 1u);
  const WalProblem& p = in.problems[0];
  EXPECT_EQ(p.kind, WalProblemKind::kCorruption);
  EXPECT_EQ(p.file, seg.name);
  EXPECT_EQ(p.offset, r.offset);
  EXPECT_NE(p.reason.find("checksum mismatch"), std::string::npos) << p.reason;
  EXPECT_NE(p.reason.find("followed by valid records"), std::string::npos) << p.reason;
  EXPECT_EQ(p.Classification(), "corruption (recovery refuses to start)");
  // What recovery had read before it stopped: entries before the bad one.
  EXPECT_EQ(in.last_index, r.record.entry.index.Prev());
  EXPECT_NE(WalSummaryLine(in).find("status=corrupt"), std::string::npos);

  const Status s = Recover();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find(seg.name + ": record at offset " + std::to_string(r.offset)),
            std::string::npos)
      << s.message();
}

// The length field is outside the checksum: a flipped high bit makes a
// record in the middle look cut off by the end of the file. Valid records
// follow, so it is corruption, not a tail to truncate.
TEST_F(WalInspectorTest, LengthFlipThatLooksCutOffIsCorruption) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 20);
  wal.reset();
  const WalSegmentInfo seg = Inspect().segments.back();
  const WalRecordInfo& r = seg.records.at(4);
  FlipByte(disk_, SegmentPath(seg), r.offset + 2);  // bit 22 of the length

  const WalInspection in = Inspect();
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].kind, WalProblemKind::kCorruption);
  EXPECT_EQ(in.problems[0].offset, r.offset);
  EXPECT_NE(in.problems[0].reason.find("runs past the end"), std::string::npos)
      << in.problems[0].reason;
  EXPECT_EQ(Recover().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, DamagedTailOfAnOlderSegmentIsCorruption) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 30);
  wal.reset();
  const WalSegmentInfo first = Inspect().segments.front();
  ASSERT_TRUE(disk_.Truncate(SegmentPath(first), first.size_bytes - 3).ok());

  const WalInspection in = Inspect();
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].kind, WalProblemKind::kCorruption);
  EXPECT_EQ(in.problems[0].file, first.name);
  EXPECT_EQ(in.problems[0].offset, first.records.back().offset);
  EXPECT_NE(in.problems[0].reason.find("not the last"), std::string::npos);
  EXPECT_EQ(Recover().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, MissingSegmentIsCorruption) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 40);
  wal.reset();
  const WalInspection clean = Inspect();
  ASSERT_GE(clean.segments.size(), 3u);
  ASSERT_TRUE(disk_.Remove(SegmentPath(clean.segments[1])).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.health(), WalHealth::kCorrupt);
  EXPECT_EQ(in.segments.size(), clean.segments.size() - 1);
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].file, clean.segments[2].name);
  EXPECT_EQ(in.problems[0].offset, 0u);
  EXPECT_EQ(in.problems[0].reason,
            "missing WAL segment: expected sequence 2 after " + clean.segments[0].name);
  // The remaining segments are still listed in full.
  EXPECT_EQ(in.segments[1].record_count, clean.segments[2].record_count);
  EXPECT_EQ(Recover().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, TwoSegmentsWithOneSequenceNumberAreCorruption) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 20);
  wal.reset();
  const WalSegmentInfo first = Inspect().segments.front();
  const std::string twin = SegmentFileName(first.seq, Index{9999});
  WriteFile(disk_, JoinPath(kDir, twin), "");

  const WalInspection in = Inspect();
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].kind, WalProblemKind::kCorruption);
  EXPECT_EQ(in.problems[0].file, twin);
  EXPECT_EQ(Recover().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, IndexGapIsCorruption) {
  ASSERT_TRUE(disk_.CreateDir(kDir).ok());
  std::string bytes;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion, 1, Index{1}}, bytes);
  for (const Entry& e : MakeEntries(1, 2)) EncodeEntry(e, bytes);
  const uint64_t gap_offset = bytes.size();
  for (const Entry& e : MakeEntries(4, 5)) EncodeEntry(e, bytes);
  const std::string name = SegmentFileName(1, Index{1});
  WriteFile(disk_, JoinPath(kDir, name), bytes);

  const WalInspection in = Inspect();
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].kind, WalProblemKind::kCorruption);
  EXPECT_EQ(in.problems[0].file, name);
  EXPECT_EQ(in.problems[0].offset, gap_offset);
  EXPECT_EQ(in.problems[0].reason, "gap in the log: expected index <= 3, found 4");
  EXPECT_EQ(in.segments[0].entry_count, 4u);
  EXPECT_EQ(in.last_index, Index{2});
  EXPECT_EQ(Recover().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, MissingSnapshotFileIsCorruption) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 20);
  ASSERT_TRUE(
      wal->CreateSnapshot(Index{15}, {NodeId{1}, NodeId{2}, NodeId{3}}, "image", Index{15}).ok());
  wal.reset();
  const WalInspection clean = Inspect();
  ASSERT_EQ(clean.snapshots.size(), 1u);
  ASSERT_TRUE(disk_.Remove(JoinPath(kDir, clean.snapshots[0].name)).ok());

  const WalInspection in = Inspect();
  ASSERT_EQ(in.problems.size(), 1u);
  const WalSegmentInfo& seg = in.segments.back();
  EXPECT_EQ(in.problems[0].file, seg.name);
  EXPECT_EQ(in.problems[0].offset, seg.records.back().offset);
  EXPECT_EQ(in.problems[0].reason,
            "the log records a snapshot at index 15 but the newest snapshot file covers only 0");
  EXPECT_EQ(Recover().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, CorruptNewestSnapshotIsCorruption) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 20);
  ASSERT_TRUE(
      wal->CreateSnapshot(Index{15}, {NodeId{1}, NodeId{2}, NodeId{3}}, "image", Index{15}).ok());
  wal.reset();
  const std::string snap = SnapshotFileName(Index{15}, Term{1});
  FlipByte(disk_, JoinPath(kDir, snap), 30);

  const WalInspection in = Inspect();
  ASSERT_EQ(in.snapshots.size(), 1u);
  EXPECT_FALSE(in.snapshots[0].ok);
  EXPECT_NE(in.snapshots[0].error.find("checksum mismatch"), std::string::npos);
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].kind, WalProblemKind::kCorruption);
  EXPECT_EQ(in.problems[0].file, snap);
  // Recovery stops before the log, but the segments are still listed.
  ASSERT_EQ(in.segments.size(), 1u);
  EXPECT_EQ(in.segments[0].entry_count, 20u);
  EXPECT_EQ(Recover().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, EmptyLastSegmentIsATornTail) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 10);
  const uint64_t next_seq = wal->segment_count() + 1;
  wal.reset();
  const std::string name = SegmentFileName(next_seq, Index{11});
  WriteFile(disk_, JoinPath(kDir, name), "");

  const WalInspection in = Inspect();
  ASSERT_EQ(in.problems.size(), 1u);
  EXPECT_EQ(in.problems[0].file, name);
  EXPECT_EQ(in.problems[0].Classification(), "torn tail (recovery would remove the empty segment)");
  EXPECT_EQ(in.health(), WalHealth::kTornTail);
  EXPECT_TRUE(Recover().ok());
  EXPECT_FALSE(disk_.Exists(JoinPath(kDir, name)));
}

TEST_F(WalInspectorTest, PreallocatedSpaceAfterTheLastRecordIsUnusedNotDamage) {
  // Five batches fill the first segment; the second holds one.
  constexpr uint64_t kSegmentBytes = 1024;
  Result<std::unique_ptr<Wal>> wal = Wal::Open(disk_, WalOptions{kDir, kSegmentBytes, true});
  ASSERT_TRUE(wal.ok()) << wal.status().message();
  WriteLog(*wal.value(), 30);
  ASSERT_EQ(wal.value()->segment_count(), 2u);
  wal.value().reset();

  const WalInspection in = Inspect();
  EXPECT_EQ(in.health(), WalHealth::kOk);
  EXPECT_TRUE(in.problems.empty());
  EXPECT_EQ(in.last_index, Index{30});
  for (size_t i = 0; i + 1 < in.segments.size(); i++) EXPECT_EQ(in.segments[i].unused_bytes, 0u);
  const WalSegmentInfo& last = in.segments.back();
  EXPECT_EQ(last.size_bytes, kSegmentBytes);
  ASSERT_FALSE(last.records.empty());
  EXPECT_GT(last.unused_bytes, 0u);
  EXPECT_EQ(last.records.back().offset + last.records.back().size_bytes + last.unused_bytes,
            last.size_bytes);
  EXPECT_NE(RenderWalInspection(in).find(" unused=" + std::to_string(last.unused_bytes)),
            std::string::npos);
}

TEST_F(WalInspectorTest, MissingDirectoryIsAnError) {
  Result<WalInspection> in = InspectWal(disk_, "nowhere");
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().code(), StatusCode::kIoError);
}

// On real files: a torn tail and a leftover snapshot .tmp, both of which
// recovery would repair, survive inspection untouched.
TEST(WalInspectorPosixTest, NeverModifiesTheDirectory) {
  raft::testing::TempDir temp_dir;
  const std::string dir = temp_dir.path();
  PosixFileSystem fs;
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(fs, WalOptions{dir, kSmallSegmentBytes, false});
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    for (uint64_t lo = 1; lo <= 30; lo += 5) {
      ASSERT_TRUE(
          wal.value()->Save(Hs(2, 1, lo + 4), MakeEntries(lo, lo + 4, 2), Snapshot{}, true).ok());
    }
    ASSERT_TRUE(
        wal.value()
            ->CreateSnapshot(Index{25}, {NodeId{1}, NodeId{2}, NodeId{3}}, "image", Index{20})
            .ok());
  }
  const std::string tmp = JoinPath(dir, SnapshotFileName(Index{30}, Term{2}) + ".tmp");
  WriteFile(fs, tmp, "half a snapshot");
  Result<std::vector<std::string>> names = fs.List(dir);
  ASSERT_TRUE(names.ok());
  const std::string last_segment = JoinPath(dir, names.value().back());  // wal-* sort last
  ASSERT_TRUE(last_segment.ends_with(".log")) << last_segment;
  Result<std::string> last_bytes = fs.ReadFile(last_segment);
  ASSERT_TRUE(last_bytes.ok());
  Result<std::unique_ptr<WritableFile>> f = fs.OpenAt(last_segment, last_bytes.value().size());
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value()->Append(std::string("\x20\x00\x00", 3)).ok());  // a torn header
  ASSERT_TRUE(f.value()->Close().ok());

  const Contents before = ReadAll(fs, dir);
  Result<WalInspection> in = InspectWal(fs, dir, WalInspectOptions{.records = true});
  ASSERT_TRUE(in.ok()) << in.status().message();
  (void)RenderWalInspection(in.value());
  EXPECT_EQ(ReadAll(fs, dir), before);

  EXPECT_EQ(in.value().health(), WalHealth::kTornTail);
  ASSERT_EQ(in.value().problems.size(), 1u);
  EXPECT_EQ(in.value().problems[0].truncated_bytes, 3u);
  EXPECT_EQ(in.value().tmp_files,
            std::vector<std::string>{SnapshotFileName(Index{30}, Term{2}) + ".tmp"});
  EXPECT_EQ(in.value().snapshot_index, Index{25});
  EXPECT_EQ(in.value().last_index, Index{30});
}

}  // namespace
}  // namespace raft
