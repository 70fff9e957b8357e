// The offline inspector (wal_inspector.h), on directories written by the
// real Wal. Each damage test also opens the Wal on the same bytes, so the
// inspector's verdict (torn tail, damage and repair, refusal; file, offset)
// is checked against what recovery actually does, not against a second
// opinion; InspectorAgreesWithRecoveryOnRandomDamage does so over hundreds
// of randomly written and damaged directories.
//
// Every inspection goes through Inspect(), which also checks that the
// directory is byte-for-byte unchanged afterwards.
#include "core/storage/wal_inspector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
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

  // Recovery's verdict on the same directory (this may truncate a torn tail
  // or quarantine damaged segments).
  Result<std::unique_ptr<Wal>> Recover(uint64_t segment_bytes_max = kSmallSegmentBytes) {
    return Wal::Open(disk_, WalOptions{kDir, segment_bytes_max, false});
  }

  // Recovery starts, finds exactly the damage the inspection reported (in
  // order, naming its file and offset) and sets the same repair target.
  void ExpectRecoveryRepairs(const WalInspection& in,
                             uint64_t segment_bytes_max = kSmallSegmentBytes) {
    Result<std::unique_ptr<Wal>> wal = Recover(segment_bytes_max);
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    const WalRecoveryInfo& rec = wal.value()->recovery();
    std::vector<const WalFinding*> damage;
    for (const WalFinding& f : in.findings) {
      if (f.kind == WalFindingKind::kDamage) damage.push_back(&f);
    }
    ASSERT_EQ(rec.damage.size(), damage.size()) << RenderWalInspection(in);
    for (size_t i = 0; i < damage.size(); i++) {
      if (!damage[i]->file.empty()) {
        EXPECT_NE(rec.damage[i].find(damage[i]->file), std::string::npos) << rec.damage[i];
      }
      if (damage[i]->offset) {
        EXPECT_NE(rec.damage[i].find("offset " + std::to_string(*damage[i]->offset)),
                  std::string::npos)
            << rec.damage[i];
      }
    }
    EXPECT_TRUE(in.repair_target.has_value());
    EXPECT_EQ(rec.repair_target, in.repair_target);
    EXPECT_EQ(wal.value()->storage().LastIndex(), in.last_index);
  }

  // The only finding of a kind; fails the test if there is not exactly one.
  const WalFinding& Only(const WalInspection& in, WalFindingKind kind) {
    static const WalFinding kNone;
    EXPECT_EQ(in.Count(kind), 1u) << RenderWalInspection(in);
    for (const WalFinding& f : in.findings) {
      if (f.kind == kind) return f;
    }
    return kNone;
  }

  sim::SimDisk disk_{std::make_unique<SplitMix64>(1)};
};

TEST_F(WalInspectorTest, CleanLogCountsRecordsAndIndexRanges) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 60);
  const size_t segments = wal->segment_count();
  ASSERT_GT(segments, 2u) << "the test wants several segments";

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kOk);
  EXPECT_TRUE(in.findings.empty()) << RenderWalInspection(in);
  ASSERT_EQ(in.segments.size(), segments);
  EXPECT_EQ(in.snapshot_index, Index{0});
  EXPECT_EQ(in.last_index, Index{60});

  uint64_t records = 0, entries = 0;
  for (size_t i = 0; i < in.segments.size(); i++) {
    const WalSegmentInfo& seg = in.segments[i];
    SCOPED_TRACE(seg.name);
    EXPECT_EQ(seg.seq, i + 1);
    EXPECT_EQ(seg.name, SegmentFileName(seg.seq, seg.first_index));
    EXPECT_EQ(seg.version, kWalVersion);
    EXPECT_EQ(seg.allocated_bytes, 0u);  // appended, not preallocated
    EXPECT_FALSE(seg.damaged_offset.has_value());
    ASSERT_GT(seg.entry_count, 0u);
    EXPECT_EQ(seg.first_entry, seg.first_index);
    EXPECT_EQ(Distance(seg.first_entry, seg.last_entry) + 1, seg.entry_count);
    if (i > 0) {
      EXPECT_EQ(seg.first_entry, in.segments[i - 1].last_entry.Next());
    }
    // A header, the hard state restated after it, then the batches: each
    // its entries and a hard state (a batch never spans two segments).
    EXPECT_EQ(seg.record_count, 1 + seg.entry_count + seg.hard_state_count);
    EXPECT_EQ(seg.entry_count % 5, 0u);
    EXPECT_EQ(seg.hard_state_count, 1 + seg.entry_count / 5);
    EXPECT_EQ(seg.records.at(1).record.type, WalRecordType::kHardState);
    EXPECT_EQ(seg.records.back().record.type, WalRecordType::kHardState);
    EXPECT_EQ(seg.snapshot_marker_count, 0u);
    ASSERT_EQ(seg.records.size(), seg.record_count);
    EXPECT_EQ(seg.records.front().offset, 0u);
    EXPECT_EQ(seg.records.back().offset + seg.records.back().size_bytes, seg.size_bytes);
    records += seg.record_count;
    entries += seg.entry_count;
  }
  EXPECT_EQ(entries, 60u);
  EXPECT_EQ(in.record_count, records);
  EXPECT_EQ(in.replayed_records, records);
  ASSERT_TRUE(in.meta.has_value());
  EXPECT_EQ(in.meta->last_segment, in.segments.back().seq);
  EXPECT_EQ(WalSummaryLine(in), "status=ok segments=" + std::to_string(segments) +
                                    " records=" + std::to_string(records) +
                                    " snapshot_index=0 last_index=60 acked_index=" +
                                    std::to_string(in.meta->acked_index.value) +
                                    " torn_bytes=0 damage=0 quarantined=0 repair_target=none");

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
  // The header and the (empty) hard state it restates, the two entries,
  // and the hard state every write ends with.
  const std::vector<WalRecordInfo>& r = in.segments[0].records;
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].record.type, WalRecordType::kSegmentHeader);
  EXPECT_EQ(r[0].record.header.seq, 1u);
  EXPECT_EQ(r[1].record.type, WalRecordType::kHardState);
  EXPECT_EQ(r[2].record.type, WalRecordType::kEntry);
  EXPECT_EQ(r[2].offset, r[0].size_bytes + r[1].size_bytes);
  EXPECT_EQ(r[2].record.entry.term, Term{3});
  EXPECT_EQ(r[2].record.entry.index, Index{1});
  EXPECT_EQ(r[2].record.entry.type, EntryType::kNormal);
  EXPECT_EQ(r[2].entry_data_bytes, entries[0].data.size());
  EXPECT_EQ(r[3].record.entry.type, EntryType::kNoop);
  EXPECT_EQ(r[3].entry_data_bytes, 0u);
  EXPECT_EQ(r[4].record.type, WalRecordType::kHardState);
  EXPECT_EQ(in.hard_state, HardState{});

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
  EXPECT_EQ(in.status(), WalStatus::kOk);
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
  EXPECT_NE(WalSummaryLine(in).find("status=ok "), std::string::npos);
  EXPECT_NE(WalSummaryLine(in).find(" snapshot_index=40 last_index=50 "), std::string::npos);
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
  EXPECT_NE(WalSummaryLine(in).find(" snapshot_index=100 last_index=100 "), std::string::npos);
  // The marker, then the hard state it is written with, then Save's own.
  const std::vector<WalRecordInfo>& records = in.segments.back().records;
  ASSERT_GE(records.size(), 3u);
  const WalRecordInfo& marker = records[records.size() - 3];
  EXPECT_EQ(marker.record.type, WalRecordType::kSnapshot);
  EXPECT_TRUE(marker.record.snapshot_replaces_log);
  EXPECT_EQ(records[records.size() - 2].record.type, WalRecordType::kHardState);
  EXPECT_EQ(records.back().record.hard_state, Hs(7, 2, 100));
  EXPECT_NE(RenderWalInspection(in).find("voters=[1,2,3]"), std::string::npos);

  ASSERT_TRUE(wal->Save(std::nullopt, MakeEntries(101, 103, 7), Snapshot{}, true).ok());
  in = Inspect();
  EXPECT_EQ(in.last_index, Index{103});
  EXPECT_NE(WalSummaryLine(in).find(" last_index=103 "), std::string::npos);
}

TEST_F(WalInspectorTest, CutOffLastRecordIsATornTail) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 30);
  wal.reset();
  WalSegmentInfo last = Inspect().segments.back();
  const uint64_t offset = last.records.back().offset;
  ASSERT_TRUE(disk_.Truncate(SegmentPath(last), offset + 5).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kTornTail);
  ASSERT_EQ(in.findings.size(), 1u) << RenderWalInspection(in);
  const WalFinding& f = in.findings[0];
  EXPECT_EQ(f.kind, WalFindingKind::kTornTail);
  EXPECT_EQ(f.file, last.name);
  EXPECT_EQ(f.offset, offset);
  EXPECT_EQ(f.truncated_bytes, 5u);
  EXPECT_EQ(f.Line(), "torn-tail: " + last.name + ":" + std::to_string(offset) +
                          ": torn tail of 5 bytes (truncated record header): "
                          "recovery cuts it");
  EXPECT_EQ(in.segments.back().damaged_offset, offset);
  EXPECT_EQ(in.segments.back().record_count, last.record_count - 1);
  EXPECT_NE(WalSummaryLine(in).find("status=torn-tail "), std::string::npos);
  EXPECT_NE(WalSummaryLine(in).find(" torn_bytes=5 "), std::string::npos);
  EXPECT_FALSE(in.repair_target.has_value());

  // Recovery agrees: it truncates exactly that and starts.
  std::unique_ptr<Wal> reopened = OpenWal();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->recovery().truncated_bytes, 5u);
  EXPECT_EQ(reopened->recovery().truncated_segment, last.name);
  EXPECT_EQ(reopened->recovery().truncated_offset, offset);
  EXPECT_TRUE(reopened->recovery().damage.empty());
  EXPECT_EQ(reopened->recovery().records, in.replayed_records);
}

TEST_F(WalInspectorTest, GarbledLastRecordOfTheLastSegmentIsATornTail) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 10);
  wal.reset();
  const WalSegmentInfo seg = Inspect().segments.back();
  const WalRecordInfo& r = seg.records.back();
  FlipByte(disk_, SegmentPath(seg), r.offset + kWalRecordHeaderBytes + 2);

  const WalInspection in = Inspect();
  const WalFinding& f = Only(in, WalFindingKind::kTornTail);
  EXPECT_EQ(in.status(), WalStatus::kTornTail);
  EXPECT_EQ(f.offset, r.offset);
  EXPECT_EQ(f.truncated_bytes, r.size_bytes);
  EXPECT_NE(f.reason.find("checksum mismatch"), std::string::npos);

  std::unique_ptr<Wal> reopened = OpenWal(1 << 20);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->recovery().truncated_bytes, r.size_bytes);
}

TEST_F(WalInspectorTest, FlippedByteMidSegmentIsDamageAndRecoveryRepairs) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 20);
  wal.reset();
  const WalSegmentInfo seg = Inspect().segments.back();
  const WalRecordInfo& r = seg.records.at(8);  // header, hard state, 5 entries, hard state
  ASSERT_EQ(r.record.type, WalRecordType::kEntry);
  ASSERT_EQ(r.record.entry.index, Index{6});
  FlipByte(disk_, SegmentPath(seg), r.offset + kWalRecordHeaderBytes + 10);

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kDamaged);
  const WalFinding& f = Only(in, WalFindingKind::kDamage);
  EXPECT_EQ(f.file, seg.name);
  EXPECT_EQ(f.offset, r.offset);
  EXPECT_NE(f.reason.find("corrupt record: checksum mismatch"), std::string::npos) << f.reason;
  EXPECT_NE(f.reason.find("followed by valid records"), std::string::npos) << f.reason;
  EXPECT_EQ(f.Line().rfind("damage: " + seg.name + ":" + std::to_string(r.offset) + ": ", 0), 0u)
      << f.Line();
  // What recovery keeps: entries before the bad one.
  EXPECT_EQ(in.last_index, r.record.entry.index.Prev());
  EXPECT_NE(WalSummaryLine(in).find("status=damaged "), std::string::npos);
  EXPECT_NE(WalSummaryLine(in).find(" damage=1 "), std::string::npos);
  ExpectRecoveryRepairs(in, 1 << 20);
}

// The length field is outside the checksum: a flipped high bit makes a
// record in the middle look cut off by the end of the file. Valid records
// follow, so it is damage, not a tail to truncate.
TEST_F(WalInspectorTest, LengthFlipThatLooksCutOffIsDamage) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 20);
  wal.reset();
  const WalSegmentInfo seg = Inspect().segments.back();
  const WalRecordInfo& r = seg.records.at(4);
  FlipByte(disk_, SegmentPath(seg), r.offset + 2);  // bit 22 of the length

  const WalInspection in = Inspect();
  const WalFinding& f = in.findings.at(0);
  EXPECT_EQ(f.kind, WalFindingKind::kDamage);
  EXPECT_EQ(f.offset, r.offset);
  EXPECT_NE(f.reason.find("runs past the end"), std::string::npos) << f.reason;
  EXPECT_EQ(in.Count(WalFindingKind::kTornTail), 0u);
  ExpectRecoveryRepairs(in, 1 << 20);
}

TEST_F(WalInspectorTest, DamagedTailOfAnOlderSegmentIsDamage) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 30);
  wal.reset();
  const WalSegmentInfo first = Inspect().segments.front();
  ASSERT_TRUE(disk_.Truncate(SegmentPath(first), first.size_bytes - 3).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kDamaged);
  const WalFinding& f = in.findings.at(0);
  EXPECT_EQ(f.kind, WalFindingKind::kDamage);
  EXPECT_EQ(f.file, first.name);
  EXPECT_EQ(f.offset, first.records.back().offset);
  EXPECT_NE(f.reason.find("not the last"), std::string::npos);
  ExpectRecoveryRepairs(in);
}

// A segment that lost whole records at its end still decodes; the next
// segment's header names the lost last record, so the chain shows it.
TEST_F(WalInspectorTest, OlderSegmentCutAtARecordBoundaryBreaksTheChain) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 30);
  wal.reset();
  const WalInspection clean = Inspect();
  ASSERT_GE(clean.segments.size(), 3u);
  const WalSegmentInfo& first = clean.segments[0];
  const WalSegmentInfo& second = clean.segments[1];
  ASSERT_TRUE(disk_.Truncate(SegmentPath(first), first.records.back().offset).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kDamaged);
  const WalFinding& f = in.findings.at(0);
  EXPECT_EQ(f.kind, WalFindingKind::kDamage);
  EXPECT_EQ(f.file, second.name);
  EXPECT_EQ(f.offset, 0u);
  EXPECT_EQ(f.reason.rfind("chain broken between " + first.name + " and " + second.name + ": ", 0),
            0u)
      << f.reason;
  ExpectRecoveryRepairs(in);
}

TEST_F(WalInspectorTest, MissingSegmentIsDamage) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 40);
  wal.reset();
  const WalInspection clean = Inspect();
  ASSERT_GE(clean.segments.size(), 3u);
  ASSERT_TRUE(disk_.Remove(SegmentPath(clean.segments[1])).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kDamaged);
  EXPECT_EQ(in.segments.size(), clean.segments.size() - 1);
  const WalFinding& f = in.findings.at(0);
  EXPECT_EQ(f.kind, WalFindingKind::kDamage);
  EXPECT_EQ(f.file, clean.segments[0].name);
  EXPECT_FALSE(f.offset.has_value());
  EXPECT_EQ(f.reason, "missing segment: sequence 2 (between " + clean.segments[0].name + " and " +
                          clean.segments[2].name + ")");
  // The remaining segments are still listed in full.
  EXPECT_EQ(in.segments[1].record_count, clean.segments[2].record_count);
  ExpectRecoveryRepairs(in);
}

TEST_F(WalInspectorTest, NewestSegmentOlderThanTheMetadataIsDamage) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 40);
  wal.reset();
  const WalInspection clean = Inspect();
  ASSERT_GE(clean.segments.size(), 2u);
  ASSERT_TRUE(disk_.Remove(SegmentPath(clean.segments.back())).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kDamaged);
  ASSERT_GE(in.findings.size(), 1u);
  EXPECT_EQ(in.findings[0].kind, WalFindingKind::kDamage);
  EXPECT_EQ(in.findings[0].reason,
            "missing segment: the newest segment is " + in.segments.back().name +
                " but the metadata records segment " + std::to_string(clean.segments.back().seq));
  ExpectRecoveryRepairs(in);
}

TEST_F(WalInspectorTest, LogEndingBelowTheAcknowledgedIndexIsDamage) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 20);
  ASSERT_TRUE(wal->Sync().ok());  // the metadata now records 20 as acknowledged
  wal.reset();
  const WalInspection clean = Inspect();
  ASSERT_EQ(clean.meta->acked_index, Index{20});
  // Cut whole records: what is left decodes, but ends at 15.
  const WalSegmentInfo& seg = clean.segments.back();
  const auto cut = std::find_if(seg.records.begin(), seg.records.end(), [](const WalRecordInfo& r) {
    return r.record.type == WalRecordType::kEntry && r.record.entry.index == Index{16};
  });
  ASSERT_NE(cut, seg.records.end());
  ASSERT_TRUE(disk_.Truncate(SegmentPath(seg), cut->offset).ok());

  const WalInspection in = Inspect();
  const WalFinding& f = Only(in, WalFindingKind::kDamage);
  EXPECT_EQ(f.reason, "the log ends at index 15, below index 20 this node acknowledged");
  EXPECT_EQ(in.Count(WalFindingKind::kTornTail), 0u);
  EXPECT_EQ(in.repair_target, Index{20});
  ExpectRecoveryRepairs(in, 1 << 20);
}

TEST_F(WalInspectorTest, PartialRecordInAPreallocatedSegmentCutShortIsDamage) {
  constexpr uint64_t kSegmentBytes = 4096;
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(disk_, WalOptions{kDir, kSegmentBytes, true});
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    WriteLog(*wal.value(), 10);
  }
  const WalSegmentInfo seg = Inspect().segments.back();
  ASSERT_EQ(seg.allocated_bytes, kSegmentBytes);
  const WalRecordInfo& r = seg.records.back();
  // A torn write keeps a preallocated file's length: this was cut.
  ASSERT_TRUE(disk_.Truncate(SegmentPath(seg), r.offset + 3).ok());

  const WalInspection in = Inspect();
  const WalFinding& f = in.findings.at(0);
  EXPECT_EQ(f.kind, WalFindingKind::kDamage);
  EXPECT_EQ(f.offset, r.offset);
  EXPECT_NE(f.reason.find("in a preallocated segment cut to " + std::to_string(r.offset + 3) +
                          " of " + std::to_string(kSegmentBytes) + " bytes"),
            std::string::npos)
      << f.reason;
  ExpectRecoveryRepairs(in, kSegmentBytes);
}

TEST_F(WalInspectorTest, TwoSegmentsWithOneSequenceNumberAreDamage) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 20);
  wal.reset();
  const WalSegmentInfo first = Inspect().segments.front();
  const std::string twin = SegmentFileName(first.seq, Index{9999});
  WriteFile(disk_, JoinPath(kDir, twin), "");

  const WalInspection in = Inspect();
  const WalFinding& f = in.findings.at(0);
  EXPECT_EQ(f.kind, WalFindingKind::kDamage);
  EXPECT_EQ(f.file, first.name);
  EXPECT_NE(f.reason.find("duplicate segment sequence 1 (also " + twin + ")"), std::string::npos);
  ExpectRecoveryRepairs(in);
}

TEST_F(WalInspectorTest, IndexGapIsDamageAndAVersion2LogWithoutMetadataToo) {
  ASSERT_TRUE(disk_.CreateDir(kDir).ok());
  std::string bytes;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion, 1, Index{1}}, bytes);
  for (const Entry& e : MakeEntries(1, 2)) EncodeEntry(e, bytes);
  const uint64_t gap_offset = bytes.size();
  for (const Entry& e : MakeEntries(4, 5)) EncodeEntry(e, bytes);
  const std::string name = SegmentFileName(1, Index{1});
  WriteFile(disk_, JoinPath(kDir, name), bytes);

  const WalInspection in = Inspect();
  ASSERT_EQ(in.Count(WalFindingKind::kDamage), 2u) << RenderWalInspection(in);
  EXPECT_EQ(in.findings[0].file, name);
  EXPECT_EQ(in.findings[0].offset, gap_offset);
  EXPECT_EQ(in.findings[0].reason, "gap in the log: expected index <= 3, found 4");
  EXPECT_EQ(in.findings[1].file, "meta");
  EXPECT_EQ(in.findings[1].reason,
            "metadata missing in an initialized WAL (its segments are version 2)");
  EXPECT_EQ(in.segments[0].entry_count, 4u);
  EXPECT_EQ(in.last_index, Index{2});
  ExpectRecoveryRepairs(in);
}

TEST_F(WalInspectorTest, Version1LogWithoutMetadataIsOk) {
  ASSERT_TRUE(disk_.CreateDir(kDir).ok());
  std::string bytes;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, 1, 1, Index{1}}, bytes);
  for (const Entry& e : MakeEntries(1, 3)) EncodeEntry(e, bytes);
  WriteFile(disk_, JoinPath(kDir, SegmentFileName(1, Index{1})), bytes);

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kOk);
  EXPECT_EQ(in.segments[0].version, 1u);
  EXPECT_NE(Only(in, WalFindingKind::kNote).reason.find("recovery creates it"), std::string::npos);
  Result<std::unique_ptr<Wal>> wal = Recover();
  ASSERT_TRUE(wal.ok()) << wal.status().message();
  EXPECT_TRUE(wal.value()->recovery().meta_created);
  EXPECT_TRUE(wal.value()->recovery().damage.empty());
}

TEST_F(WalInspectorTest, MetadataFieldsAreReported) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 30);
  ASSERT_TRUE(wal->Save(Hs(4, 2, 28), {}, Snapshot{}, true).ok());
  ASSERT_TRUE(wal->Sync().ok());
  wal.reset();

  const WalInspection in = Inspect();
  ASSERT_TRUE(in.meta_present);
  ASSERT_TRUE(in.meta.has_value());
  EXPECT_EQ(in.meta->term, Term{4});
  EXPECT_EQ(in.meta->vote, NodeId{2});
  EXPECT_EQ(in.meta->acked_index, Index{30});
  EXPECT_EQ(in.meta->last_segment, in.segments.back().seq);
  const std::vector<std::string> lines = WalFileLines(in);
  ASSERT_EQ(lines.size(), 1 + in.segments.size());
  EXPECT_EQ(lines[0], "meta: node=0 cluster=- term=4 vote=2 acked_index=30 last_segment=" +
                          std::to_string(in.segments.back().seq) + " repair_target=none");
  EXPECT_EQ(
      lines[1].rfind("segment " + in.segments[0].name + ": version=2 seq=1 first_index=1 size=" +
                         std::to_string(in.segments[0].size_bytes) + " allocated=0 records=",
                     0),
      0u)
      << lines[1];
}

TEST_F(WalInspectorTest, MissingMetadataIsDamage) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 20);
  wal.reset();
  ASSERT_TRUE(disk_.Remove(JoinPath(kDir, "meta")).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kDamaged);
  EXPECT_EQ(WalFileLines(in)[0], "meta: missing");
  const WalFinding& f = Only(in, WalFindingKind::kDamage);
  EXPECT_EQ(f.Line(),
            "damage: meta: metadata missing in an initialized WAL (its segments are "
            "version 2)");
  EXPECT_EQ(in.last_index, Index{20});  // nothing lost, but nothing proves it
  ExpectRecoveryRepairs(in);
}

TEST_F(WalInspectorTest, UnreadableMetadataIsDamage) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 20);
  wal.reset();
  FlipByte(disk_, JoinPath(kDir, "meta"), 12);

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kDamaged);
  EXPECT_FALSE(in.meta.has_value());
  EXPECT_NE(in.meta_error.find("checksum mismatch"), std::string::npos) << in.meta_error;
  EXPECT_EQ(WalFileLines(in)[0], "meta: unreadable: " + in.meta_error);
  const WalFinding& f = Only(in, WalFindingKind::kDamage);
  EXPECT_EQ(f.file, "meta");
  ExpectRecoveryRepairs(in);
}

// After recovery found damage: the quarantined segments are listed, and the
// unfinished repair keeps the node repairing until it is marked done.
TEST_F(WalInspectorTest, AnUnfinishedRepairAndQuarantinedSegmentsAreReported) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 40);
  wal.reset();
  const size_t segments = Inspect().segments.size();
  ASSERT_TRUE(disk_.Remove(JoinPath(kDir, "meta")).ok());  // damage that loses no entry
  Result<std::unique_ptr<Wal>> repairing = Recover();
  ASSERT_TRUE(repairing.ok()) << repairing.status().message();
  ASSERT_EQ(repairing.value()->recovery().repair_target, Index{40});

  WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kRepairing) << RenderWalInspection(in);
  EXPECT_EQ(in.repair_target, Index{40});
  EXPECT_EQ(in.quarantined, repairing.value()->recovery().quarantined);
  EXPECT_EQ(in.quarantined.size(), segments);
  EXPECT_EQ(Only(in, WalFindingKind::kRepair).Line(),
            "repairing: meta: unfinished repair: the node repairs up to index 40 from its peers "
            "before it votes or acknowledges");
  EXPECT_EQ(in.Count(WalFindingKind::kNote), in.quarantined.size());
  EXPECT_NE(WalSummaryLine(in).find("status=repairing "), std::string::npos);
  EXPECT_NE(
      WalSummaryLine(in).find(" quarantined=" + std::to_string(segments) + " repair_target=40"),
      std::string::npos);

  ASSERT_TRUE(repairing.value()->MarkRepaired().ok());
  repairing.value().reset();
  in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kOk);  // the quarantined files are notes only
  EXPECT_FALSE(in.repair_target.has_value());
  EXPECT_EQ(in.Count(WalFindingKind::kNote), in.quarantined.size());
}

TEST_F(WalInspectorTest, MissingSnapshotFileIsDamage) {
  std::unique_ptr<Wal> wal = OpenWal(1 << 20);
  WriteLog(*wal, 20);
  ASSERT_TRUE(
      wal->CreateSnapshot(Index{15}, {NodeId{1}, NodeId{2}, NodeId{3}}, "image", Index{15}).ok());
  wal.reset();
  const WalInspection clean = Inspect();
  ASSERT_EQ(clean.snapshots.size(), 1u);
  ASSERT_TRUE(disk_.Remove(JoinPath(kDir, clean.snapshots[0].name)).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kDamaged);
  // The lost snapshot, then the log's end below the acknowledged index.
  ASSERT_EQ(in.Count(WalFindingKind::kDamage), 2u);
  const WalFinding& f = *std::find_if(in.findings.begin(), in.findings.end(), [](const auto& x) {
    return x.kind == WalFindingKind::kDamage;
  });
  const WalSegmentInfo& seg = in.segments.back();
  EXPECT_EQ(f.file, seg.name);
  // The marker, followed by the hard state written with it.
  ASSERT_GE(seg.records.size(), 2u);
  const WalRecordInfo& marker = seg.records[seg.records.size() - 2];
  EXPECT_EQ(marker.record.type, WalRecordType::kSnapshot);
  EXPECT_EQ(f.offset, marker.offset);
  EXPECT_EQ(f.reason,
            "the log records a snapshot at index 15 but the newest snapshot file covers only 0");
  EXPECT_EQ(in.last_index, Index{0}) << "none of the log after the lost snapshot is kept";
  EXPECT_TRUE(Recover().ok());
}

TEST_F(WalInspectorTest, CorruptNewestSnapshotIsARefusal) {
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
  EXPECT_EQ(Only(in, WalFindingKind::kRefusal).file, snap);
  // Recovery stops before the log, but the segments are still listed.
  ASSERT_EQ(in.segments.size(), 1u);
  EXPECT_EQ(in.segments[0].entry_count, 20u);
  EXPECT_EQ(Recover().status().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, UnsupportedVersionIsARefusal) {
  ASSERT_TRUE(disk_.CreateDir(kDir).ok());
  std::string bytes;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion + 1, 1, Index{1}}, bytes);
  WriteFile(disk_, JoinPath(kDir, SegmentFileName(1, Index{1})), bytes);

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kRefused);
  EXPECT_NE(Only(in, WalFindingKind::kRefusal).reason.find("unsupported WAL version"),
            std::string::npos);
  EXPECT_EQ(Recover().status().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, DecreasingTermsAreARefusal) {
  ASSERT_TRUE(disk_.CreateDir(kDir).ok());
  std::string bytes;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, 1, 1, Index{1}}, bytes);
  for (const Entry& e : MakeEntries(1, 2, 5)) EncodeEntry(e, bytes);
  for (const Entry& e : MakeEntries(3, 3, 4)) EncodeEntry(e, bytes);
  WriteFile(disk_, JoinPath(kDir, SegmentFileName(1, Index{1})), bytes);

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kRefused);
  EXPECT_EQ(Only(in, WalFindingKind::kRefusal).reason,
            "entry 3 has term 4 after term 5 (terms never decrease)");
  EXPECT_EQ(Recover().status().code(), StatusCode::kCorruption);
}

TEST_F(WalInspectorTest, EmptyLastSegmentIsATornTail) {
  std::unique_ptr<Wal> wal = OpenWal();
  WriteLog(*wal, 10);
  const uint64_t next_seq = wal->segment_count() + 1;
  wal.reset();
  const std::string name = SegmentFileName(next_seq, Index{11});
  WriteFile(disk_, JoinPath(kDir, name), "");

  const WalInspection in = Inspect();
  const WalFinding& f = Only(in, WalFindingKind::kTornTail);
  EXPECT_EQ(f.file, name);
  EXPECT_EQ(f.reason, "holds no record (a crash while creating it): recovery removes the segment");
  EXPECT_EQ(in.status(), WalStatus::kTornTail);
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
  EXPECT_EQ(in.status(), WalStatus::kOk);
  EXPECT_TRUE(in.findings.empty());
  EXPECT_EQ(in.last_index, Index{30});
  for (size_t i = 0; i + 1 < in.segments.size(); i++) EXPECT_EQ(in.segments[i].unused_bytes, 0u);
  const WalSegmentInfo& last = in.segments.back();
  EXPECT_EQ(last.size_bytes, kSegmentBytes);
  EXPECT_EQ(last.allocated_bytes, kSegmentBytes);
  ASSERT_FALSE(last.records.empty());
  EXPECT_GT(last.unused_bytes, 0u);
  EXPECT_EQ(last.records.back().offset + last.records.back().size_bytes + last.unused_bytes,
            last.size_bytes);
  EXPECT_NE(RenderWalInspection(in).find(" unused=" + std::to_string(last.unused_bytes)),
            std::string::npos);
}

// A roll cuts the old segment's zeros only after the new segment and the
// metadata are durable; a crash before that leaves them in an older segment.
TEST_F(WalInspectorTest, ZerosAfterTheRecordsOfAnOlderSegmentAreUnused) {
  constexpr uint64_t kSegmentBytes = 1024;
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(disk_, WalOptions{kDir, kSegmentBytes, true});
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    WriteLog(*wal.value(), 30);
    ASSERT_EQ(wal.value()->segment_count(), 2u);
  }
  const WalSegmentInfo first = Inspect().segments.front();
  ASSERT_EQ(first.allocated_bytes, kSegmentBytes);
  ASSERT_LT(first.size_bytes, kSegmentBytes);
  Result<std::string> bytes = disk_.ReadFile(SegmentPath(first));
  ASSERT_TRUE(bytes.ok());
  std::string padded = bytes.value();
  padded.resize(kSegmentBytes, '\0');
  WriteFile(disk_, SegmentPath(first), padded);

  WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kOk);
  EXPECT_TRUE(in.findings.empty()) << RenderWalInspection(in);
  EXPECT_EQ(in.segments.front().unused_bytes, kSegmentBytes - first.size_bytes);
  EXPECT_EQ(in.segments.front().record_count, first.record_count);
  EXPECT_EQ(in.last_index, Index{30});
  {
    Result<std::unique_ptr<Wal>> wal = Recover(kSegmentBytes);
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    EXPECT_TRUE(wal.value()->recovery().damage.empty());
    EXPECT_EQ(wal.value()->recovery().records, in.replayed_records);
    EXPECT_EQ(wal.value()->storage().LastIndex(), Index{30});
  }

  // Zeros from an older segment's first byte on: its header is lost.
  WriteFile(disk_, SegmentPath(first), std::string(kSegmentBytes, '\0'));
  in = Inspect();
  const WalFinding& f = in.findings.at(0);  // then: the log ends below the acknowledged index
  EXPECT_EQ(f.kind, WalFindingKind::kDamage);
  EXPECT_EQ(f.file, first.name);
  EXPECT_EQ(f.offset, 0u);
  EXPECT_NE(f.reason.find("in a segment that is not the last"), std::string::npos) << f.reason;
  ExpectRecoveryRepairs(in, kSegmentBytes);
}

// A torn write never shortens a preallocated segment, and recovery does not
// either: it zeroes the torn bytes, up to the last non-zero one.
TEST_F(WalInspectorTest, TornTailInAPreallocatedSegmentIsZeroedNotCut) {
  constexpr uint64_t kSegmentBytes = 4096;
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(disk_, WalOptions{kDir, kSegmentBytes, true});
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    WriteLog(*wal.value(), 10);
  }
  const WalSegmentInfo seg = Inspect().segments.back();
  const uint64_t end = seg.records.back().offset + seg.records.back().size_bytes;
  std::string torn;
  EncodeEntry(Entry{Term{1}, Index{11}, EntryType::kNormal, "torn write"}, torn);
  torn.resize(11);
  Result<std::string> bytes = disk_.ReadFile(SegmentPath(seg));
  ASSERT_TRUE(bytes.ok());
  std::string b = bytes.value();
  b.replace(end, torn.size(), torn);
  WriteFile(disk_, SegmentPath(seg), b);

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kTornTail);
  const WalFinding& f = Only(in, WalFindingKind::kTornTail);
  EXPECT_EQ(f.offset, end);
  const uint64_t torn_bytes = b.find_last_not_of('\0') + 1 - end;
  EXPECT_EQ(f.truncated_bytes, torn_bytes);
  EXPECT_EQ(f.reason.rfind("torn tail of " + std::to_string(torn_bytes) + " bytes (", 0), 0u)
      << f.reason;
  EXPECT_TRUE(f.reason.ends_with("): recovery zeroes it")) << f.reason;

  {
    Result<std::unique_ptr<Wal>> wal = Recover(kSegmentBytes);
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    EXPECT_EQ(wal.value()->recovery().truncated_bytes, torn_bytes);
    EXPECT_EQ(wal.value()->recovery().truncated_offset, end);
    EXPECT_TRUE(wal.value()->recovery().damage.empty());
    EXPECT_EQ(wal.value()->segment_count(), in.segments.size());  // writes on in it
  }
  const WalInspection after = Inspect();
  EXPECT_EQ(after.status(), WalStatus::kOk) << RenderWalInspection(after);
  EXPECT_EQ(after.segments.back().size_bytes, kSegmentBytes);
  EXPECT_EQ(after.segments.back().unused_bytes, kSegmentBytes - end);
}

// A roll cuts a segment only once the next one is durable, so a last
// preallocated segment is never cut: records up to a short end lost what
// followed them.
TEST_F(WalInspectorTest, LastPreallocatedSegmentCutAtARecordBoundaryIsDamage) {
  constexpr uint64_t kSegmentBytes = 4096;
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(disk_, WalOptions{kDir, kSegmentBytes, true});
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    WriteLog(*wal.value(), 10);
  }
  const WalSegmentInfo seg = Inspect().segments.back();
  const uint64_t end = seg.records.back().offset + seg.records.back().size_bytes;
  ASSERT_TRUE(disk_.Truncate(SegmentPath(seg), end).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kDamaged);
  const WalFinding& f = in.findings.at(0);
  EXPECT_EQ(f.kind, WalFindingKind::kDamage);
  EXPECT_EQ(f.Line(), "damage: " + seg.name + ":" + std::to_string(end) +
                          ": a preallocated segment cut to " + std::to_string(end) + " of " +
                          std::to_string(kSegmentBytes) + " bytes, at a record boundary");
  EXPECT_EQ(in.last_index, Index{10});
  ExpectRecoveryRepairs(in, kSegmentBytes);
}

// Cut within its unused zeros: nothing lost, but recovery does not write on
// in it (a torn write there would look like a cut) and opens a new segment.
TEST_F(WalInspectorTest, LastPreallocatedSegmentCutInItsZerosIsOk) {
  constexpr uint64_t kSegmentBytes = 4096;
  {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(disk_, WalOptions{kDir, kSegmentBytes, true});
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    WriteLog(*wal.value(), 10);
  }
  const WalSegmentInfo seg = Inspect().segments.back();
  const uint64_t end = seg.records.back().offset + seg.records.back().size_bytes;
  ASSERT_TRUE(disk_.Truncate(SegmentPath(seg), end + 100).ok());

  const WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kOk);
  EXPECT_TRUE(in.findings.empty()) << RenderWalInspection(in);
  EXPECT_EQ(in.segments.back().unused_bytes, 100u);
  Result<std::unique_ptr<Wal>> wal = Recover(kSegmentBytes);
  ASSERT_TRUE(wal.ok()) << wal.status().message();
  EXPECT_TRUE(wal.value()->recovery().damage.empty());
  EXPECT_EQ(wal.value()->segment_count(), in.segments.size() + 1);
}

TEST_F(WalInspectorTest, EmptyDirectoryIsEmptyAndOtherFilesAreNotAWal) {
  ASSERT_TRUE(disk_.CreateDir(kDir).ok());
  WalInspection in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kEmpty);
  EXPECT_FALSE(in.Initialized());
  EXPECT_NE(WalSummaryLine(in).find("status=empty segments=0 records=0 "), std::string::npos);

  WriteFile(disk_, JoinPath(kDir, "notes.txt"), "not a log");
  in = Inspect();
  EXPECT_EQ(in.status(), WalStatus::kNotAWal);
  EXPECT_EQ(in.other_files, std::vector<std::string>{"notes.txt"});
}

// What check prints for each status, and that every status has its own word.
TEST(WalStatusTest, NamesAreDistinct) {
  std::vector<std::string> names;
  for (WalStatus s : {WalStatus::kOk, WalStatus::kTornTail, WalStatus::kRepairing,
                      WalStatus::kDamaged, WalStatus::kRefused, WalStatus::kEmpty,
                      WalStatus::kNotAWal, WalStatus::kMissing, WalStatus::kUnreadable}) {
    names.push_back(WalStatusName(s));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"ok", "torn-tail", "repairing", "damaged", "refused",
                                             "empty", "not-a-wal", "missing", "unreadable"}));
}

// The property the inspector exists for: on a WAL written by the real Wal
// (random segment sizes, preallocation, overwrites, snapshots, unsynced
// writes and torn crashes) and then damaged in random ways, its verdict is
// what Wal::Open then does: refuses; finds the same damage (file, offset) and
// repairs to the same target; cuts the same torn tail; or starts as is. And
// after recovery, the inspector finds nothing left to cut or repair anew.
class WalInspectorAgreementTest : public ::testing::Test {
 protected:
  struct Case {
    uint64_t segment_bytes_max = 0;
    bool preallocate = false;
    std::vector<std::string> damage;  // what was done, for the failure message
  };

  WalOptions Options(const Case& c) const {
    return WalOptions{.dir = kDir,
                      .segment_bytes_max = c.segment_bytes_max,
                      .preallocate_segments = c.preallocate};
  }

  // Writes a random log; may end with unsynced writes lost or torn by a crash.
  void WriteRandomLog(SplitMix64& rng, sim::SimDisk& disk, Case& c) {
    c.segment_bytes_max = std::vector<uint64_t>{200, 400, 1000, 4096}[rng.Uniform(4)];
    c.preallocate = rng.Uniform(2) == 0;
    Result<std::unique_ptr<Wal>> opened = Wal::Open(disk, Options(c));
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    Wal& wal = *opened.value();
    uint64_t term = 1, last = 0, snapshot = 0;
    const uint64_t saves = 1 + rng.Uniform(30);
    for (uint64_t i = 0; i < saves; i++) {
      const uint64_t pick = rng.Uniform(20);
      if (pick == 0 && last > snapshot) {
        snapshot = last - rng.Uniform(std::min<uint64_t>(3, last - snapshot));
        const uint64_t compact_to = snapshot - rng.Uniform(snapshot);
        ASSERT_TRUE(wal.CreateSnapshot(Index{snapshot}, {NodeId{1}, NodeId{2}, NodeId{3}}, "image",
                                       Index{compact_to})
                        .ok());
        continue;
      }
      if (pick == 1) {
        ASSERT_TRUE(wal.Sync().ok());  // refreshes the acknowledged index
        continue;
      }
      // A new leader may overwrite an uncommitted suffix (never below a snapshot).
      uint64_t from = last + 1;
      if (pick == 2 && last > snapshot) {
        from = last - rng.Uniform(std::min<uint64_t>(3, last - snapshot));
        term++;
      }
      const uint64_t to = from + rng.Uniform(5);
      const bool sync = rng.Uniform(8) != 0;
      std::optional<HardState> hs;
      if (rng.Uniform(2) == 0) hs = Hs(term, 1, std::min(to, from - 1));
      ASSERT_TRUE(wal.Save(hs, MakeEntries(from, to, term), Snapshot{}, sync).ok());
      last = to;
    }
    opened.value().reset();
    if (rng.Uniform(3) == 0) {
      c.damage.push_back("crash");
      disk.Crash(/*tear=*/rng.Uniform(2) == 0);
    }
  }

  // Names of the files in the directory recovery treats as segments.
  static std::vector<std::string> Segments(sim::SimDisk& disk) {
    std::vector<std::string> out;
    const Result<std::vector<std::string>> names = disk.List(kDir);
    for (const std::string& n : names.value()) {
      uint64_t seq = 0;
      Index first;
      if (ParseSegmentFileName(n, seq, first)) out.push_back(n);
    }
    return out;
  }

  static std::string Pick(SplitMix64& rng, const std::vector<std::string>& names) {
    return names[rng.Uniform(names.size())];
  }

  void Damage(SplitMix64& rng, sim::SimDisk& disk, Case& c) {
    const std::vector<std::string> segments = Segments(disk);
    const std::string meta = JoinPath(kDir, "meta");
    const uint64_t kind = rng.Uniform(13);
    if (segments.empty() && (kind < 9 || kind == 12)) return;
    const std::string seg = segments.empty() ? "" : Pick(rng, segments);
    const std::string last = segments.empty() ? "" : segments.back();
    const std::string bytes = seg.empty() ? "" : disk.ReadFile(JoinPath(kDir, seg)).value();
    std::string what;
    switch (kind) {
      case 0: {  // truncate any segment anywhere
        const uint64_t size = rng.Uniform(bytes.size() + 1);
        ASSERT_TRUE(disk.Truncate(JoinPath(kDir, seg), size).ok());
        what = "truncate " + seg + " to " + std::to_string(size);
        break;
      }
      case 1:
      case 2: {  // flip a byte; the last segment more often
        const std::string& name = kind == 1 ? seg : last;
        const uint64_t size = disk.ReadFile(JoinPath(kDir, name)).value().size();
        if (size == 0) return;
        const uint64_t offset = rng.Uniform(size);
        FlipByte(disk, JoinPath(kDir, name), offset);
        what = "flip " + name + "@" + std::to_string(offset);
        break;
      }
      case 3: {  // zero a range
        if (bytes.empty()) return;
        std::string b = bytes;
        const uint64_t from = rng.Uniform(b.size());
        const uint64_t n = 1 + rng.Uniform(std::min<uint64_t>(64, b.size() - from));
        std::fill(b.begin() + static_cast<long>(from), b.begin() + static_cast<long>(from + n), 0);
        WriteFile(disk, JoinPath(kDir, seg), b);
        what = "zero " + seg + "@" + std::to_string(from) + "+" + std::to_string(n);
        break;
      }
      case 4: {  // delete a segment
        ASSERT_TRUE(disk.Remove(JoinPath(kDir, seg)).ok());
        what = "remove " + seg;
        break;
      }
      case 5:
      case 6: {  // a torn write at the end of the last segment: part of a record, or garbage
        std::string tail;
        EncodeEntry(Entry{Term{9}, Index{999}, EntryType::kNormal, "torn"}, tail);
        tail.resize(1 + rng.Uniform(tail.size() - 1));
        if (kind == 6) {
          for (char& ch : tail) ch = static_cast<char>(rng.Uniform(256));
        }
        const std::string path = JoinPath(kDir, last);
        const std::string old = disk.ReadFile(path).value();
        // Written where the records end (inside preallocated zeros, if any).
        const size_t end =
            old.find_last_not_of('\0') == std::string::npos ? 0 : old.find_last_not_of('\0') + 1;
        std::string b = old;
        b.replace(end, std::min(tail.size(), b.size() - end), tail);
        WriteFile(disk, path, b);
        what = "tear " + last + " +" + std::to_string(tail.size()) + (kind == 6 ? " garbage" : "");
        break;
      }
      case 7: {  // an extra empty last segment, as a crash while creating it
        uint64_t seq = 0;
        Index first;
        ASSERT_TRUE(ParseSegmentFileName(last, seq, first));
        const std::string name = SegmentFileName(seq + 1, first + 1000);
        WriteFile(disk, JoinPath(kDir, name), std::string(rng.Uniform(2) * 64, '\0'));
        what = "empty segment " + name;
        break;
      }
      case 8: {  // cut a segment (the last one more often) at a record boundary
        Result<WalInspection> in = InspectWal(disk, kDir, WalInspectOptions{.records = true});
        ASSERT_TRUE(in.ok());
        const std::vector<WalSegmentInfo>& all = in.value().segments;
        const WalSegmentInfo& s = rng.Uniform(2) == 0 ? all.back() : all[rng.Uniform(all.size())];
        if (s.records.empty()) return;
        const uint64_t offset = s.records[rng.Uniform(s.records.size())].offset;
        ASSERT_TRUE(disk.Truncate(JoinPath(kDir, s.name), offset).ok());
        what = "cut " + s.name + " at record " + std::to_string(offset);
        break;
      }
      case 9: {  // delete or garble the metadata
        if (!disk.Exists(meta)) return;
        if (rng.Uniform(2) == 0) {
          ASSERT_TRUE(disk.Remove(meta).ok());
          what = "remove meta";
        } else {
          const uint64_t offset = rng.Uniform(disk.ReadFile(meta).value().size());
          FlipByte(disk, meta, offset);
          what = "flip meta@" + std::to_string(offset);
        }
        break;
      }
      case 10: {  // an unfinished repair in the metadata
        Result<std::optional<WalMeta>> m = ReadWalMeta(disk, kDir);
        if (!m.ok() || !m.value()) return;
        WalMeta changed = *m.value();
        changed.repair_target = Index{rng.Uniform(50)};
        ASSERT_TRUE(WriteWalMeta(disk, kDir, changed).ok());
        what = "repair target " + std::to_string(changed.repair_target->value);
        break;
      }
      case 11: {  // delete or garble the newest snapshot
        std::vector<std::string> snaps;
        const Result<std::vector<std::string>> names = disk.List(kDir);
        for (const std::string& n : names.value()) {
          if (IsSnapshotFileName(n)) snaps.push_back(n);
        }
        if (snaps.empty()) return;
        const std::string path = JoinPath(kDir, snaps.back());
        if (rng.Uniform(2) == 0) {
          ASSERT_TRUE(disk.Remove(path).ok());
          what = "remove " + snaps.back();
        } else {
          FlipByte(disk, path, rng.Uniform(disk.ReadFile(path).value().size()));
          what = "flip " + snaps.back();
        }
        break;
      }
      case 12: {  // an older preallocated segment keeps its zeros: a roll crashed before the cut
        Result<WalInspection> in = InspectWal(disk, kDir);
        ASSERT_TRUE(in.ok());
        const std::vector<WalSegmentInfo>& all = in.value().segments;
        if (all.size() < 2) return;
        const WalSegmentInfo& s = all[rng.Uniform(all.size() - 1)];
        if (s.allocated_bytes <= s.size_bytes) return;
        std::string b = disk.ReadFile(JoinPath(kDir, s.name)).value();
        b.resize(s.allocated_bytes, '\0');
        WriteFile(disk, JoinPath(kDir, s.name), b);
        what = "pad " + s.name + " with zeros to " + std::to_string(s.allocated_bytes);
        break;
      }
    }
    c.damage.push_back(what);
  }

  // Wal::Open's verdict matches the inspection; then inspects again.
  void ExpectAgreement(sim::SimDisk& disk, const WalInspection& in, const Case& c,
                       bool check_after = true) {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(disk, Options(c));
    if (in.status() == WalStatus::kRefused) {
      EXPECT_FALSE(wal.ok()) << RenderWalInspection(in);
      if (!wal.ok()) {
        EXPECT_EQ(wal.status().code(), StatusCode::kCorruption) << wal.status().message();
      }
      return;
    }
    ASSERT_TRUE(wal.ok()) << wal.status().message() << "\n" << RenderWalInspection(in);
    const WalRecoveryInfo rec = wal.value()->recovery();  // a copy: outlives the Wal
    std::vector<const WalFinding*> damage, torn;
    for (const WalFinding& f : in.findings) {
      if (f.kind == WalFindingKind::kDamage) damage.push_back(&f);
      if (f.kind == WalFindingKind::kTornTail) torn.push_back(&f);
    }
    ASSERT_EQ(rec.damage.size(), damage.size()) << RenderWalInspection(in);
    for (size_t i = 0; i < damage.size(); i++) {
      if (!damage[i]->file.empty()) {
        EXPECT_NE(rec.damage[i].find(damage[i]->file), std::string::npos)
            << rec.damage[i] << " vs " << damage[i]->Line();
      }
      if (damage[i]->offset) {
        EXPECT_NE(rec.damage[i].find("offset " + std::to_string(*damage[i]->offset)),
                  std::string::npos)
            << rec.damage[i] << " vs " << damage[i]->Line();
      }
    }
    EXPECT_EQ(rec.repair_target, in.repair_target);
    EXPECT_EQ(rec.records, in.replayed_records);
    EXPECT_EQ(wal.value()->storage().LastIndex(), in.last_index);
    EXPECT_EQ(rec.snapshot_index, in.snapshot_index);
    EXPECT_EQ(rec.truncated_bytes, in.TornBytes());
    ASSERT_LE(torn.size(), 1u);
    if (!torn.empty() && torn[0]->offset && torn[0]->truncated_bytes > 0) {
      EXPECT_EQ(rec.truncated_segment, torn[0]->file);
      EXPECT_EQ(rec.truncated_offset, *torn[0]->offset);
    }
    if (damage.empty()) {
      // Recovery removes an empty last segment exactly when the inspector says so.
      const bool removes =
          !torn.empty() && torn[0]->reason.find("removes the segment") != std::string::npos;
      const size_t kept = in.segments.size() - (removes ? 1 : 0);
      // Writing never goes on in a preallocated segment shorter than its
      // allocation (cut by a roll): recovery opens a new one. A torn tail
      // in a preallocated segment is zeroed, keeping its length, so writing
      // goes on there.
      bool opens_new = false;
      if (kept > 0) {
        const WalSegmentInfo& last = in.segments[kept - 1];
        opens_new = last.allocated_bytes > 0 && last.size_bytes < last.allocated_bytes;
      }
      EXPECT_EQ(wal.value()->segment_count(), std::max<size_t>(kept + (opens_new ? 1 : 0), 1));
      if (!in.Initialized()) {
        EXPECT_TRUE(in.status() == WalStatus::kEmpty || in.status() == WalStatus::kNotAWal);
      } else {
        EXPECT_EQ(in.status(), !rec.repair_target
                                   ? (torn.empty() ? WalStatus::kOk : WalStatus::kTornTail)
                                   : WalStatus::kRepairing);
      }
    } else {
      EXPECT_EQ(in.status(), WalStatus::kDamaged);
      EXPECT_EQ(rec.quarantined.size(), in.segments.size());
    }
    wal.value().reset();
    if (!check_after) return;

    // Recovery left nothing to cut or refuse. (A restart mid-repair may
    // find the log below the acknowledged index again: damage, as before.)
    Result<WalInspection> after = InspectWal(disk, kDir);
    ASSERT_TRUE(after.ok());
    const WalStatus status = after.value().status();
    if (rec.repair_target) {
      EXPECT_TRUE(status == WalStatus::kRepairing || status == WalStatus::kDamaged)
          << RenderWalInspection(after.value());
    } else {
      EXPECT_EQ(status, WalStatus::kOk) << RenderWalInspection(after.value());
    }
    EXPECT_EQ(after.value().last_index, in.last_index);
    // And the inspector agrees with recovery on what recovery left.
    ExpectAgreement(disk, after.value(), c, /*check_after=*/false);
  }
};

TEST_F(WalInspectorAgreementTest, InspectorAgreesWithRecoveryOnRandomDamage) {
  constexpr uint64_t kCases = 2000;
  std::map<WalStatus, int> seen;
  for (uint64_t seed = 1; seed <= kCases; seed++) {
    SplitMix64 rng(seed);
    sim::SimDisk disk(std::make_unique<SplitMix64>(seed));
    Case c;
    WriteRandomLog(rng, disk, c);
    const uint64_t damages = rng.Uniform(3);
    for (uint64_t i = 0; i < damages; i++) Damage(rng, disk, c);
    std::string described;
    for (const std::string& d : c.damage) described += d + "; ";
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 ": segment_bytes_max=" + std::to_string(c.segment_bytes_max) +
                 (c.preallocate ? " preallocated" : "") + "; " + described);
    const Contents before = ReadAll(disk, kDir);
    Result<WalInspection> in = InspectWal(disk, kDir);
    ASSERT_TRUE(in.ok()) << in.status().message();
    ASSERT_EQ(ReadAll(disk, kDir), before) << "the inspector modified the directory";
    seen[in.value().status()]++;
    ExpectAgreement(disk, in.value(), c);
    if (HasFatalFailure()) return;
  }
  // The cases reach every verdict recovery can give.
  for (WalStatus s : {WalStatus::kOk, WalStatus::kTornTail, WalStatus::kRepairing,
                      WalStatus::kDamaged, WalStatus::kRefused}) {
    EXPECT_GE(seen[s], 5) << WalStatusName(s);
  }
  for (const auto& [status, n] : seen) std::printf("%s: %d cases\n", WalStatusName(status), n);
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

  EXPECT_EQ(in.value().status(), WalStatus::kTornTail);
  ASSERT_EQ(in.value().Count(WalFindingKind::kTornTail), 1u);
  EXPECT_EQ(in.value().TornBytes(), 3u);
  EXPECT_EQ(in.value().tmp_files,
            std::vector<std::string>{SnapshotFileName(Index{30}, Term{2}) + ".tmp"});
  EXPECT_EQ(WalFileLines(in.value()).back(),
            "temporary " + SnapshotFileName(Index{30}, Term{2}) + ".tmp: recovery removes it");
  EXPECT_EQ(in.value().snapshot_index, Index{25});
  EXPECT_EQ(in.value().last_index, Index{30});
}

}  // namespace
}  // namespace raft
