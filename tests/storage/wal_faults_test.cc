// Wal under disk faults, on the simulated disk (sim::SimDisk): failed
// fsyncs and writes, a full disk, crashes that lose or tear unsynced bytes,
// and directory entries that are lost unless their directory was synced.
//
// The rules (core/storage/wal.h):
//   - after a failed write or sync the Wal refuses every further write, even
//     once the disk works again (a failed fsync is never retried);
//   - a full disk (ENOSPC) stops writes with a clear error and corrupts
//     nothing;
//   - after any crash, Open succeeds and returns a prefix of what was
//     written that includes everything a synced Save acknowledged.
// Each rule holds whether segments grow by appends or overwrite preallocated
// zeros (WalOptions::preallocate_segments), so the tests run in both modes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/storage/snapshot_file.h"
#include "core/storage/wal.h"
#include "core/storage/wal_record.h"
#include "sim/sim_disk.h"
#include "tests/support/entries.h"

namespace raft {
namespace {

constexpr uint64_t kSegmentBytesMax = 512;
// The membership every locally taken snapshot records.
const std::vector<NodeId> kVoters{NodeId{1}, NodeId{2}, NodeId{3}};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The parameter: WalOptions::preallocate_segments.
class WalFaultsTest : public ::testing::TestWithParam<bool> {
 protected:
  WalFaultsTest() : disk_(std::make_unique<SplitMix64>(1)) {
    options_.dir = "wal";
    options_.segment_bytes_max = kSegmentBytesMax;
    options_.preallocate_segments = GetParam();
  }

  void Reopen() {
    wal_.reset();
    Result<std::unique_ptr<Wal>> w = Wal::Open(disk_, options_);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    wal_ = std::move(w).value();
  }
  // The process and the machine die: open files go, unsynced bytes are lost
  // (or torn), names not made durable by SyncDir revert.
  void CrashAndReopen(bool tear) {
    wal_.reset();
    disk_.Crash(tear);
    Reopen();
  }
  // One synced Save per entry with hard state (term, vote 1, commit).
  void SaveEach(uint64_t first, uint64_t last, uint64_t term) {
    for (uint64_t i = first; i <= last; i++) {
      const HardState hs{Term{term}, NodeId{1}, Index{i}};
      ASSERT_TRUE(wal_->Save(hs, {MakeEntry(term, i)}, Snapshot{}, true).ok());
      synced_.push_back(MakeEntry(term, i));
      synced_hard_state_ = hs;
    }
  }
  void ExpectSyncedContents() {
    EXPECT_EQ(AllEntries(wal_->storage()), synced_);
    EXPECT_EQ(wal_->storage().GetInitialState().hard_state, synced_hard_state_);
  }
  Status SaveOne(uint64_t term, uint64_t index, bool sync = true) {
    return wal_->Save(HardState{Term{term}, NodeId{1}, Index{index}}, {MakeEntry(term, index)},
                      Snapshot{}, sync);
  }
  std::vector<std::string> Segments() {
    Result<std::vector<std::string>> names = disk_.List(options_.dir);
    EXPECT_TRUE(names.ok());
    std::vector<std::string> out;
    for (const std::string& n : names.value()) {
      if (n.starts_with("wal-")) out.push_back(n);
    }
    return out;
  }

  sim::SimDisk disk_;
  WalOptions options_;
  std::unique_ptr<Wal> wal_;
  std::vector<Entry> synced_;
  HardState synced_hard_state_;
};

// ---------------------------------------------------------------------------
// A failed fsync or write poisons the Wal.

TEST_P(WalFaultsTest, FailedSyncFailsTheSaveAndEveryLaterWrite) {
  Reopen();
  SaveEach(1, 10, 1);
  disk_.FailNextSync();
  const Status failed = SaveOne(1, 11);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_TRUE(Contains(failed.message(), "EIO")) << failed.message();

  // The disk works again, but a failed fsync may have dropped pages the
  // kernel reported written: retrying would lie, so nothing is accepted.
  const uint64_t used = disk_.UsedBytes();
  EXPECT_EQ(SaveOne(1, 11).code(), StatusCode::kIoError);
  EXPECT_EQ(SaveOne(1, 12, false).code(), StatusCode::kIoError);
  EXPECT_EQ(wal_->Save(HardState{Term{2}, NodeId{2}, Index{10}}, {}, Snapshot{}, true).code(),
            StatusCode::kIoError);
  EXPECT_EQ(wal_->CreateSnapshot(Index{5}, kVoters, "image", Index{5}).code(),
            StatusCode::kIoError);
  const Snapshot received{SnapshotMeta{Index{50}, Term{3}, {}}, "image"};
  EXPECT_EQ(wal_->Save(std::nullopt, {}, received, true).code(), StatusCode::kIoError);
  EXPECT_EQ(disk_.UsedBytes(), used) << "a poisoned Wal wrote to the disk";
  EXPECT_EQ(wal_->storage().LastIndex(), Index{10}) << "a failed Save reached the read view";

  CrashAndReopen(false);
  ExpectSyncedContents();
  SaveEach(11, 15, 2);  // a new Wal over the same files works
  CrashAndReopen(false);
  ExpectSyncedContents();
}

TEST_P(WalFaultsTest, PoisonedWalNeverRetriesTheSync) {
  Reopen();
  SaveEach(1, 3, 1);
  disk_.FailNextSync();
  ASSERT_FALSE(SaveOne(1, 4).ok());
  // Arm another failure: if the Wal synced again it would consume it.
  disk_.FailNextSync();
  EXPECT_FALSE(SaveOne(1, 4).ok());
  EXPECT_FALSE(SaveOne(1, 5).ok());
  ASSERT_TRUE(disk_.CreateDir("probe").ok());
  Result<std::unique_ptr<WritableFile>> probe = disk_.Create("probe/file");
  ASSERT_TRUE(probe.ok());
  EXPECT_FALSE(probe.value()->Sync().ok()) << "the poisoned Wal called Sync";
}

TEST_P(WalFaultsTest, FailedAppendFailsTheSaveAndEveryLaterWrite) {
  Reopen();
  SaveEach(1, 10, 1);
  disk_.FailNextAppend();
  const Status failed = SaveOne(1, 11);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_EQ(SaveOne(1, 11).code(), StatusCode::kIoError);
  CrashAndReopen(false);
  ExpectSyncedContents();
}

// Wherever the failed sync lands (an ordinary Save, the sync of the old
// segment at a rollover, the new segment's header), what was synced before
// survives and the crash leaves a log that opens.
TEST_P(WalFaultsTest, FailedSyncAtAnyPointLosesNothingSyncedBefore) {
  for (uint64_t k = 0; k <= 30; k++) {
    SCOPED_TRACE("sync fails on the save of entry " + std::to_string(k + 1));
    for (const bool tear : {false, true}) {
      sim::SimDisk disk(std::make_unique<SplitMix64>(k + 1));
      Result<std::unique_ptr<Wal>> w = Wal::Open(disk, options_);
      ASSERT_TRUE(w.ok());
      for (uint64_t i = 1; i <= k; i++) {
        ASSERT_TRUE(
            w.value()
                ->Save(HardState{Term{1}, NodeId{1}, Index{i}}, {MakeEntry(1, i)}, Snapshot{}, true)
                .ok());
      }
      disk.FailNextSync();
      ASSERT_FALSE(w.value()
                       ->Save(HardState{Term{1}, NodeId{1}, Index{k + 1}}, {MakeEntry(1, k + 1)},
                              Snapshot{}, true)
                       .ok());
      w.value().reset();
      disk.Crash(tear);
      Result<std::unique_ptr<Wal>> reopened = Wal::Open(disk, options_);
      ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
      const std::vector<Entry> got = AllEntries(reopened.value()->storage());
      // The unacknowledged entry k+1 may or may not have reached the disk.
      ASSERT_GE(got.size(), k);
      ASSERT_LE(got.size(), k + 1);
      EXPECT_EQ(got, MakeEntries(1, got.size(), 1));
    }
  }
}

// ---------------------------------------------------------------------------
// A full disk.

TEST_P(WalFaultsTest, FullDiskStopsWritesWithENOSPCAndCorruptsNothing) {
  Reopen();
  SaveEach(1, 10, 1);
  disk_.SetCapacity(disk_.UsedBytes() + 20);
  // Appends fail at once; overwrites of preallocated zeros need no space, so
  // that mode fails when it rolls to the next segment.
  uint64_t next = 11;
  Status full = Status::Ok();
  while (full.ok() && next < 1000) {
    full = SaveOne(1, next);
    if (full.ok()) {
      synced_.push_back(MakeEntry(1, next));
      synced_hard_state_ = HardState{Term{1}, NodeId{1}, Index{next}};
      next++;
    }
  }
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.code(), StatusCode::kIoError);
  EXPECT_TRUE(Contains(full.message(), "ENOSPC")) << full.message();
  EXPECT_EQ(SaveOne(1, next).code(), StatusCode::kIoError) << "writes stop";

  CrashAndReopen(false);  // the disk is still full: Open needs no space
  EXPECT_EQ(wal_->recovery().truncated_bytes, 0u);
  ExpectSyncedContents();

  disk_.SetCapacity(UINT64_MAX);  // the operator frees space
  Reopen();
  SaveEach(next, next + 20, 1);
  CrashAndReopen(false);
  ExpectSyncedContents();
}

// Too full for a preallocated segment, the Wal rolls to one that grows by
// appends, so preallocation never stops writes sooner than appending would.
TEST_P(WalFaultsTest, DiskTooFullForPreallocationStillTakesWrites) {
  Reopen();
  SaveEach(1, 10, 1);
  disk_.SetCapacity(disk_.UsedBytes() + kSegmentBytesMax / 2);
  const size_t segments = wal_->segment_count();
  Status s = Status::Ok();
  for (uint64_t next = 11; s.ok() && next < 1000; next++) {
    s = SaveOne(1, next);
    if (s.ok()) {
      synced_.push_back(MakeEntry(1, next));
      synced_hard_state_ = HardState{Term{1}, NodeId{1}, Index{next}};
    }
  }
  EXPECT_TRUE(Contains(s.message(), "ENOSPC")) << s.message();
  if (GetParam()) {
    ASSERT_GT(wal_->segment_count(), segments) << "the roll did not happen";
    Result<std::string> last = disk_.ReadFile(JoinPath(options_.dir, Segments().back()));
    ASSERT_TRUE(last.ok());
    EXPECT_LT(last.value().size(), kSegmentBytesMax) << "the new segment grew by appends";
  }
  CrashAndReopen(false);
  ExpectSyncedContents();
}

TEST_P(WalFaultsTest, FullDiskWithoutACrashReopensCleanly) {
  Reopen();
  SaveEach(1, 10, 1);
  disk_.SetCapacity(disk_.UsedBytes() + 50);
  Status s = Status::Ok();
  uint64_t next = 11;
  while (s.ok()) {  // fill the disk, rolling segments as it goes
    s = SaveOne(1, next);
    if (s.ok()) {
      synced_.push_back(MakeEntry(1, next));
      synced_hard_state_ = HardState{Term{1}, NodeId{1}, Index{next}};
      next++;
    }
  }
  EXPECT_TRUE(Contains(s.message(), "ENOSPC")) << s.message();
  Reopen();  // the process restarts; the machine did not crash
  ExpectSyncedContents();
}

TEST_P(WalFaultsTest, FullDiskWhileStartingASegmentCorruptsNothing) {
  for (uint64_t extra = 0; extra < 120; extra += 7) {
    SCOPED_TRACE("room for " + std::to_string(extra) + " more bytes");
    sim::SimDisk disk(std::make_unique<SplitMix64>(extra));
    Result<std::unique_ptr<Wal>> w = Wal::Open(disk, options_);
    ASSERT_TRUE(w.ok());
    uint64_t index = 0;
    while (w.value()->segment_count() < 3) {
      index++;
      ASSERT_TRUE(w.value()->Save(std::nullopt, {MakeEntry(1, index)}, Snapshot{}, true).ok());
    }
    disk.SetCapacity(disk.UsedBytes() + extra);
    uint64_t synced = index;
    while (w.value()->Save(std::nullopt, {MakeEntry(1, synced + 1)}, Snapshot{}, true).ok()) {
      synced++;
    }
    w.value().reset();
    disk.Crash(false);
    Result<std::unique_ptr<Wal>> reopened = Wal::Open(disk, options_);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    EXPECT_EQ(AllEntries(reopened.value()->storage()), MakeEntries(1, synced, 1));
  }
}

TEST_P(WalFaultsTest, FullDiskWhileWritingASnapshotKeepsTheLog) {
  Reopen();
  SaveEach(1, 30, 1);
  disk_.SetCapacity(disk_.UsedBytes() + 10);
  const Status s = wal_->CreateSnapshot(Index{20}, kVoters, std::string(100, 'x'), Index{20});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.message(), "ENOSPC")) << s.message();
  disk_.SetCapacity(UINT64_MAX);
  CrashAndReopen(false);
  ExpectSyncedContents();
  Result<Snapshot> snap = wal_->storage().GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(snap.value().IsEmpty());
  Result<std::vector<std::string>> names = disk_.List(options_.dir);
  ASSERT_TRUE(names.ok());
  for (const std::string& n : names.value()) EXPECT_FALSE(n.ends_with(".tmp")) << n;
}

// ---------------------------------------------------------------------------
// Crashes that tear the unsynced tail.

TEST_P(WalFaultsTest, TornUnsyncedTailRecoversAPrefixKeepingEverySyncedEntry) {
  // One segment for all 20 entries: a roll syncs the segment it closes,
  // which would make the first ten durable even if their Saves skipped
  // their syncs.
  WalOptions options = options_;
  options.segment_bytes_max = 64 << 10;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    sim::SimDisk disk(std::make_unique<SplitMix64>(seed));
    Result<std::unique_ptr<Wal>> w = Wal::Open(disk, options);
    ASSERT_TRUE(w.ok());
    for (uint64_t i = 1; i <= 10; i++) {
      ASSERT_TRUE(w.value()->Save(std::nullopt, {MakeEntry(1, i)}, Snapshot{}, true).ok());
    }
    for (uint64_t i = 11; i <= 16; i++) {
      ASSERT_TRUE(w.value()->Save(std::nullopt, {MakeEntry(1, i)}, Snapshot{}, false).ok());
    }
    ASSERT_TRUE(w.value()->Save(std::nullopt, MakeEntries(17, 20, 1), Snapshot{}, false).ok());
    ASSERT_EQ(w.value()->segment_count(), 1u);
    w.value().reset();
    disk.Crash(true);
    Result<std::unique_ptr<Wal>> reopened = Wal::Open(disk, options);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    const std::vector<Entry> got = AllEntries(reopened.value()->storage());
    ASSERT_GE(got.size(), 10u);
    EXPECT_EQ(got, MakeEntries(1, got.size(), 1));
  }
}

// The whole-history property. Each seed draws a run of Saves (batches,
// overwrites of an uncommitted suffix, hard states, synced or not) and
// snapshots, crashes with a tear, reopens, and repeats. After each crash the
// recovered (snapshot, entries, hard state) must be the state after some
// prefix of the records written, no earlier than the last synced Save; Open
// must never report corruption.
class History {
 public:
  struct State {
    Index snapshot;
    std::vector<Entry> log;  // entries after the snapshot
    HardState hard_state;
    bool operator==(const State&) const = default;
  };
  struct SaveOp {
    std::vector<Entry> entries;
    std::optional<HardState> hard_state;
    bool sync;
  };

  explicit History(State durable) : durable_(std::move(durable)) {}

  void Record(const SaveOp& op) { pending_.push_back(op); }
  // A synced Save makes everything before it durable too.
  void Synced() {
    durable_ = Current();
    pending_.clear();
  }
  // CreateSnapshot syncs its marker, and with it everything before.
  void Snapshotted(Index index) {
    Synced();
    durable_.snapshot = index;
    std::erase_if(durable_.log, [index](const Entry& e) { return e.index <= index; });
  }
  State Current() const {
    State s = durable_;
    for (const SaveOp& op : pending_) s = Apply(s, op, op.entries.size(), true);
    return s;
  }
  // Every state a crash may leave: durable, then each record of each
  // pending Save in turn (entries first, then the hard state).
  std::vector<State> Candidates() const {
    std::vector<State> out{durable_};
    State s = durable_;
    for (const SaveOp& op : pending_) {
      for (size_t m = 1; m <= op.entries.size(); m++) out.push_back(Apply(s, op, m, false));
      s = Apply(s, op, op.entries.size(), true);
      out.push_back(s);
    }
    return out;
  }
  void Reset(State recovered) {
    durable_ = std::move(recovered);
    pending_.clear();
  }

 private:
  static State Apply(State s, const SaveOp& op, size_t entries, bool with_hard_state) {
    for (size_t i = 0; i < entries; i++) {
      const Entry& e = op.entries[i];
      if (e.index <= s.snapshot) continue;
      while (!s.log.empty() && s.log.back().index >= e.index) s.log.pop_back();
      s.log.push_back(e);
    }
    if (with_hard_state && op.hard_state) s.hard_state = *op.hard_state;
    return s;
  }

  State durable_;
  std::vector<SaveOp> pending_;
};

std::string Describe(const History::State& s) {
  std::string out = "snapshot " + std::to_string(s.snapshot.value) + " hs(t" +
                    std::to_string(s.hard_state.term.value) + " c" +
                    std::to_string(s.hard_state.commit.value) + ") log:";
  for (const Entry& e : s.log) {
    out += " " + std::to_string(e.index.value) + "/t" + std::to_string(e.term.value);
  }
  return out;
}

TEST_P(WalFaultsTest, TornCrashesRecoverAPrefixThatKeepsEverySyncedSave) {
  constexpr uint64_t kSeeds = 200;
  constexpr int kCrashesPerSeed = 3;
  constexpr uint64_t kSavesMax = 24;
  const WalOptions options = options_;
  for (uint64_t seed = 1; seed <= kSeeds; seed++) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    SplitMix64 rng(seed);
    sim::SimDisk disk(std::make_unique<SplitMix64>(seed * 7919));
    History history(History::State{});
    uint64_t term = 1;
    for (int crash = 0; crash < kCrashesPerSeed; crash++) {
      Result<std::unique_ptr<Wal>> w = Wal::Open(disk, options);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      const uint64_t saves = 1 + rng.Uniform(kSavesMax);
      for (uint64_t n = 0; n < saves; n++) {
        const Index last = w.value()->storage().LastIndex();
        const Index snapshot = history.Current().snapshot;
        if (last > snapshot && rng.Uniform(8) == 0) {  // snapshot and compact
          const Index at = snapshot + (1 + rng.Uniform(Distance(snapshot, last)));
          ASSERT_TRUE(w.value()->CreateSnapshot(at, kVoters, "image", at).ok());
          history.Snapshotted(at);
          continue;
        }
        uint64_t first = last.value + 1;
        if (last > snapshot && rng.Uniform(4) == 0) {  // a follower's conflict
          first -= std::min<uint64_t>(Distance(snapshot, last), 1 + rng.Uniform(4));
          term++;
        }
        History::SaveOp op;
        op.entries = MakeEntries(first, first + rng.Uniform(4), term);
        if (rng.Uniform(2) == 0) {
          op.hard_state = HardState{Term{term}, NodeId{1 + rng.Uniform(3)}, Index{first}};
        }
        op.sync = rng.Uniform(3) == 0;
        ASSERT_TRUE(w.value()->Save(op.hard_state, op.entries, Snapshot{}, op.sync).ok());
        history.Record(op);
        if (op.sync) history.Synced();
      }
      ASSERT_EQ(AllEntries(w.value()->storage()), history.Current().log);
      w.value().reset();
      disk.Crash(true);

      Result<std::unique_ptr<Wal>> reopened = Wal::Open(disk, options);
      ASSERT_TRUE(reopened.ok()) << "a crash must never look like corruption: "
                                 << reopened.status().ToString();
      const Storage& storage = reopened.value()->storage();
      const History::State got{storage.FirstIndex().Prev(), AllEntries(storage),
                               storage.GetInitialState().hard_state};
      const std::vector<History::State> candidates = history.Candidates();
      for (const std::string& d : reopened.value()->recovery().damage) {
        ADD_FAILURE() << "a crash must never look like damage: " << d;
      }
      ASSERT_TRUE(std::find(candidates.begin(), candidates.end(), got) != candidates.end())
          << "recovered " << Describe(got) << "\nlast synced " << Describe(candidates.front())
          << "\nwritten " << Describe(history.Current());
      history.Reset(got);
    }
  }
}

// ---------------------------------------------------------------------------
// Directory durability: names are durable only once the directory is synced.

TEST_P(WalFaultsTest, SegmentWhoseDirectoryWasNotSyncedDisappearsOnCrash) {
  Reopen();
  SaveEach(1, 10, 1);
  const std::vector<std::string> before = Segments();
  // A crash between creating (and even syncing) the next segment and
  // syncing the directory.
  const std::string name = SegmentFileName(before.size() + 1, Index{11});
  std::string head;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion, before.size() + 1, Index{11}}, head);
  Result<std::unique_ptr<WritableFile>> f = disk_.Create(JoinPath(options_.dir, name));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f.value()->Append(head).ok());
  ASSERT_TRUE(f.value()->Sync().ok());
  ASSERT_TRUE(disk_.Exists(JoinPath(options_.dir, name)));

  CrashAndReopen(false);
  EXPECT_FALSE(disk_.Exists(JoinPath(options_.dir, name)));
  EXPECT_EQ(Segments(), before);
  ExpectSyncedContents();
  SaveEach(11, 20, 1);
  CrashAndReopen(true);
  ExpectSyncedContents();
}

TEST_P(WalFaultsTest, SegmentCreatedByAFailedRolloverDisappearsOnCrash) {
  Reopen();
  // Fill the active segment to the brim so the next Save starts a segment.
  uint64_t index = 0;
  auto active_bytes = [&] {  // up to the end of its records, before any unused zeros
    Result<std::string> bytes = disk_.ReadFile(JoinPath(options_.dir, Segments().back()));
    size_t end = 0;
    while (bytes.ok() && !ZeroFrom(bytes.value(), end))
      end += DecodeRecord(bytes.value(), end).size;
    return end;
  };
  while (wal_->segment_count() < 2 || active_bytes() < kSegmentBytesMax) {
    index++;
    SaveEach(index, index, 1);
  }
  const std::vector<std::string> full = Segments();
  // No room for the new segment's header: the file is created, never
  // synced, and its directory entry never made durable.
  disk_.SetCapacity(disk_.UsedBytes());
  ASSERT_FALSE(SaveOne(1, index + 1).ok());
  // (Too full for a preallocated one, it is created to grow by appends.)
  EXPECT_EQ(Segments().size(), full.size() + 1) << "the new segment exists until the crash";

  disk_.SetCapacity(UINT64_MAX);
  CrashAndReopen(false);
  EXPECT_EQ(Segments(), full);
  ExpectSyncedContents();
}

TEST_P(WalFaultsTest, CompactionSurvivesACrash) {
  Reopen();
  SaveEach(1, 40, 1);
  ASSERT_TRUE(wal_->CreateSnapshot(Index{30}, kVoters, "image at 30", Index{30}).ok());
  const std::vector<std::string> after = Segments();
  CrashAndReopen(true);
  EXPECT_EQ(Segments(), after) << "removed segments came back";
  Result<Snapshot> snap = wal_->storage().GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().meta.index, Index{30});
  EXPECT_EQ(snap.value().data, "image at 30");
  EXPECT_EQ(AllEntries(wal_->storage()), MakeEntries(31, 40, 1));
}

TEST_P(WalFaultsTest, ReceivedSnapshotSurvivesACrash) {
  Reopen();
  SaveEach(1, 20, 1);
  const Snapshot snap{SnapshotMeta{Index{50}, Term{3}, {NodeId{1}, NodeId{2}}}, "image"};
  ASSERT_TRUE(wal_->Save(std::nullopt, {}, snap, true).ok());
  synced_.clear();
  SaveEach(51, 53, 3);
  CrashAndReopen(true);
  Result<Snapshot> got = wal_->storage().GetSnapshot();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), snap);
  ExpectSyncedContents();
}

TEST_P(WalFaultsTest, FailedSnapshotSyncLeavesNoSnapshotAfterACrash) {
  Reopen();
  SaveEach(1, 30, 1);
  disk_.FailNextSync();  // the snapshot file's sync
  ASSERT_FALSE(wal_->CreateSnapshot(Index{20}, kVoters, "image", Index{20}).ok());
  EXPECT_FALSE(SaveOne(1, 31).ok()) << "the Wal is poisoned";
  CrashAndReopen(false);
  ExpectSyncedContents();
  Result<Snapshot> snap = wal_->storage().GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(snap.value().IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Segments, WalFaultsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Preallocated" : "Appended";
                         });

}  // namespace
}  // namespace raft
