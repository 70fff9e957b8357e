// Wal: the write-ahead log, the node's durable Raft state, over a FileSystem.
//
// The log is a directory of segment files wal-<seq 16 hex>-<first index 16
// hex>.log (record format in wal_record.h) next to snapshot files
// (snapshot_file.h). Each Save() appends the Ready's entries and hard state
// as records and makes them durable with one Sync() (group commit). A new
// segment starts once the active one passes segment_bytes_max; it opens with
// a header and the current hard state, so older segments can be deleted
// once a snapshot covers their entries. With preallocate_segments, a new
// segment is created as segment_bytes_max durable zeros that records then
// overwrite, so a Save's sync does not wait to make the file's growth
// durable; the roll cuts the old segment's unused zeros. A disk too full
// for the zeros gets an appended segment instead.
//
// Recovery (Open) never loses an acknowledged write and never invents one.
// It tells a torn tail (a crash mid-write: nothing there was acknowledged)
// from damage (something acknowledged is gone), using the segment chain
// (wal_record.h) and the metadata file (wal_meta.h):
//   - the last segment's records end where only zeros follow (its unused
//     preallocated space) or at the end of the file; writing resumes there;
//   - a torn or partial record at the very end of the last segment is
//     truncated away, with any zeros after it, and logged (file, offset,
//     bytes). A preallocated last segment shorter than its allocation
//     cannot have been torn (a torn write keeps the length): a partial
//     record there is damage;
//   - damage: a bad record followed by valid ones or in an older segment,
//     a missing, unreadable or unchained segment, a last segment older than
//     the metadata's, a log ending below the acknowledged index, a missing
//     or unreadable metadata file in an initialized directory. The log
//     keeps the intact prefix before the first damage; the metadata records
//     a repair target first; every segment is then renamed aside
//     (<name>.damaged-<seq>, kept for inspection) and the kept prefix is
//     rewritten as one fresh segment. The node starts repairing
//     (InitialState::repair_target, raft.h "Repair"): it keeps its term and
//     vote (the metadata's, if the log lost them) but neither votes nor
//     acknowledges until a leader has restored what it lost.
//   - errors that are not the log's content (a snapshot that fails its
//     checksum, a log a correct node cannot write, another node's metadata)
//     make Open fail with the file and what was expected.
// After a failed write or sync the Wal refuses all further writes: a failed
// fsync may have dropped data the kernel already reported written, and
// retrying it would lie (the "fsyncgate" lesson). The host must exit.
//
// Threading: single-threaded; the node's event loop owns it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/durable_log.h"
#include "core/storage/file_system.h"
#include "core/storage/snapshot_file.h"
#include "core/storage/wal_meta.h"

namespace raft {

struct WalOptions {
  std::string dir;
  uint64_t segment_bytes_max = 64ULL << 20;
  bool preallocate_segments = true;  // see above; off, segments grow by appends
  // Recorded in the metadata file; a file naming another node is refused.
  // 0: not checked. (The cluster id comes later: AdoptClusterId.)
  NodeId node;
  // The metadata's acknowledged index is refreshed at least this often.
  uint64_t meta_every_entries = 10'000;
};

// What recovery found, for logs and the offline inspector.
struct WalRecoveryInfo {
  size_t segments = 0;
  size_t records = 0;
  uint64_t truncated_bytes = 0;  // torn tail removed from the last segment
  std::string truncated_segment;
  uint64_t truncated_offset = 0;  // where the torn tail began in that segment
  Index snapshot_index;
  // Damage found, one line each (file, offset, what), in the order found.
  std::vector<std::string> damage;
  // Segment files renamed aside because of damage.
  std::vector<std::string> quarantined;
  // Set when the node starts repairing (a new or an unfinished repair).
  std::optional<Index> repair_target;
  bool meta_created = false;  // a directory from before the metadata file
  // The WAL holds no Raft state (no entry, hard state or snapshot): new,
  // or its node never ran Raft. Such a node acknowledged nothing.
  bool fresh = false;
};

class Wal final : public DurableLog {
 public:
  static Result<std::unique_ptr<Wal>> Open(FileSystem& fs, const WalOptions& options);

  Status Save(const std::optional<HardState>& hard_state, const std::vector<Entry>& entries,
              const Snapshot& snapshot, bool sync) override;
  Status CreateSnapshot(Index index, const std::vector<NodeId>& voters, std::string data,
                        Index compact_to) override;
  const Storage& storage() const override { return cache_; }
  // Makes every record written so far durable; a host calls it before a
  // clean exit (Saves without sync leave only commit-index hints unsynced).
  Status Sync();
  Status MarkRepaired() override;
  // Starts a repair at open, before Raft reads the storage: the host knows
  // this node lost state the WAL cannot see (a data directory made anew
  // for a node that ran as a member). Target as in InitialState.
  Status BeginRepair(Index target);
  // Records the cluster id once the host knows it; a WAL of another cluster
  // is refused.
  Status AdoptClusterId(const std::string& cluster_id);

  const WalRecoveryInfo& recovery() const { return recovery_; }
  size_t segment_count() const { return segments_.size(); }

 private:
  struct Segment {
    uint64_t seq;
    Index first_index;
    std::string name;
  };
  // What replaying the segments found (Recover's working state).
  struct Replay {
    Index base;              // the snapshot's index
    std::vector<Entry> log;  // entries after base
    Index marker;            // the newest snapshot marker
    std::string marker_at;   // where it was recorded: "<file>: record at offset N"
    uint64_t records_end = 0;
    uint32_t last_crc = 0;        // stored checksum of the last record replayed
    bool damaged = false;         // stop: nothing after the damage is used
    bool chained = false;         // a segment of version 2 or later was seen
    uint64_t last_allocated = 0;  // the last segment's preallocated length
    bool last_short = false;      // preallocated, and shorter than allocated
    uint64_t previous_end = 0;    // records_end and last_crc of the segment
    uint32_t previous_crc = 0;    // before the last one
    uint64_t previous_allocated = 0;
    bool previous_short = false;
  };
  Wal(FileSystem& fs, WalOptions options);
  Status Recover();
  Status ReplaySegments(Replay& replay);
  // Refuses a recovered log that a correct node cannot have written.
  Status CheckRecovered(const std::vector<Entry>& log) const;
  // Replays one segment into replay.log, tracking the newest snapshot
  // marker. Truncates a torn tail of the last segment; records damage and
  // stops there. prev_crc: the previous segment's last record, if replayed.
  Status ReplaySegment(const Segment& seg, bool last, std::optional<uint32_t> prev_crc,
                       Replay& replay);
  void Damage(std::string what);
  // Renames every segment aside and writes the kept log as one segment.
  Status RewriteDamagedLog(const std::vector<Entry>& log, Index base);
  // Opens the next segment, big enough for a first write of that many bytes.
  Status StartSegment(uint64_t first_write_bytes);
  // Rolls to a new segment first if a write of that many bytes would run
  // past the active one's end (its preallocated length, or the maximum).
  Status EnsureRoom(uint64_t bytes);
  Status ZeroRange(const std::string& path, uint64_t offset, uint64_t bytes);
  // A snapshot marker record, then the hard state.
  Status WriteSnapshotMarker(Index index, Term term, bool replaces_log);
  Status Write(const std::string& bytes, bool sync, uint32_t last_crc);
  // Rewrites the metadata file as meta_ holds it.
  Status WriteMeta();
  // The same, with the current term, vote and durable log end.
  Status RefreshMeta();
  // Lowers the acknowledged index before the log shrinks below it.
  Status LowerAckedIndexTo(Index last);
  Status SaveReceivedSnapshot(const Snapshot& snapshot);
  Status RemoveSegmentsBelow(Index compact_to);
  Status Fail(Status s);
  std::string Path(const std::string& name) const { return JoinPath(options_.dir, name); }

  FileSystem& fs_;
  WalOptions options_;
  SnapshotStore snapshots_;
  MemoryStorage cache_;  // the durable log's contents, as Raft reads them
  HardState hard_state_;
  std::vector<Segment> segments_;  // Invariant: consecutive seqs, last is active
  std::unique_ptr<WritableFile> active_;
  std::optional<Status> failed_;  // set once a write or sync failed
  std::string encode_buffer_;     // reused by Save
  WalRecoveryInfo recovery_;
  WalMeta meta_;                   // Invariant: what the metadata file holds
  uint32_t last_crc_ = 0;          // stored checksum of the active segment's last record
  uint64_t active_allocated_ = 0;  // its preallocated length, 0 if it grows by appends
  uint64_t head_bytes_ = 0;        // its header records' length, when this Wal wrote them
  Index durable_last_;             // the log's last index as of the last sync
};

std::string SegmentFileName(uint64_t seq, Index first_index);
// The inverse: accepts exactly the names SegmentFileName produces.
bool ParseSegmentFileName(const std::string& name, uint64_t& seq, Index& first_index);

}  // namespace raft
