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
// Recovery (Open) never loses an acknowledged write and never invents one:
//   - the last segment's records end where only zeros follow (its unused
//     preallocated space) or at the end of the file; writing resumes there;
//   - a torn or partial record at the very end of the last segment (a crash
//     mid-write) is truncated away, with any zeros after it, and the node
//     starts;
//   - any other bad record (a checksum failure followed by valid data, a
//     bad record in an older segment, a missing segment, a gap in indexes,
//     a missing snapshot) is corruption: Open fails with the file, offset
//     and what was expected. It never truncates there, because that could
//     roll back committed entries.
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

namespace raft {

struct WalOptions {
  std::string dir;
  uint64_t segment_bytes_max = 64ULL << 20;
  bool preallocate_segments = true;  // see above; off, segments grow by appends
};

// What recovery found, for logs and the offline inspector.
struct WalRecoveryInfo {
  size_t segments = 0;
  size_t records = 0;
  uint64_t truncated_bytes = 0;  // torn tail removed from the last segment
  std::string truncated_segment;
  uint64_t truncated_offset = 0;  // where the torn tail began in that segment
  Index snapshot_index;
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

  const WalRecoveryInfo& recovery() const { return recovery_; }
  size_t segment_count() const { return segments_.size(); }

 private:
  struct Segment {
    uint64_t seq;
    Index first_index;
    std::string name;
  };
  Wal(FileSystem& fs, WalOptions options);
  Status Recover();
  // Refuses a recovered log that a correct node cannot have written.
  Status CheckRecovered(const std::vector<Entry>& log) const;
  // Replays one segment into log (entries after base), tracking the newest
  // snapshot marker. Truncates a torn tail of the last segment. records_end:
  // the offset after its last valid record, where writing would resume.
  Status ReplaySegment(const Segment& seg, bool last, Index base, std::vector<Entry>& log,
                       Index& marker, uint64_t& records_end);
  Status StartSegment();
  Status Write(const std::string& bytes, bool sync);
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
};

std::string SegmentFileName(uint64_t seq, Index first_index);
// The inverse: accepts exactly the names SegmentFileName produces.
bool ParseSegmentFileName(const std::string& name, uint64_t& seq, Index& first_index);

}  // namespace raft
