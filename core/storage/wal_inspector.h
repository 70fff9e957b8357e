// WalInspector: an offline, read-only look at a node's data directory, for
// operators (`raftctl dump`) and for tests that want to assert on what is on
// disk rather than on what recovery made of it.
//
// It reads every file through the FileSystem interface and never writes,
// truncates, renames or removes anything: inspecting a damaged directory
// must not change the evidence. It reports
//   - every WAL segment: size, record count, entry index range, how many
//     hard-state and snapshot-marker records it holds, and optionally every
//     record with its byte offset;
//   - the last hard state recovery would restore;
//   - every snapshot file with its metadata, or why it does not decode;
//   - leftover temporary files and files that belong to neither format;
//   - the problems recovery would meet, in the order it meets them, judged
//     by the same rules as Wal::Open (see wal.h): damage in the last
//     segment with no valid record starting anywhere after its first byte
//     is a torn tail that recovery truncates away (zeros up to the end of
//     the last segment are its unused preallocated space, not damage); anything else (a bad
//     record followed by valid ones, a bad record in an older
//     segment, a missing segment, a gap in indexes, a missing or corrupt
//     newest snapshot) is corruption and recovery refuses to start.
//     Recovery stops at the first corruption, so the inspector records no
//     problem after it (but still lists the remaining files).
//
// Threading: a pure function of the FileSystem's contents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/message.h"
#include "core/status.h"
#include "core/storage/file_system.h"
#include "core/storage/wal_record.h"

namespace raft {

struct WalInspectOptions {
  bool records = false;  // also list every record of every segment
};

// One decoded record, listed when WalInspectOptions::records is set.
struct WalRecordInfo {
  uint64_t offset = 0;            // byte offset of the record's header in its segment
  uint64_t size_bytes = 0;        // framed size: header plus payload
  WalRecord record;               // entry data is dropped; see entry_data_bytes
  uint64_t entry_data_bytes = 0;  // kEntry only
};

struct WalSegmentInfo {
  std::string name;
  uint64_t seq = 0;
  Index first_index;  // as named in the file name
  uint64_t size_bytes = 0;
  uint64_t record_count = 0;  // valid records before any damage
  uint64_t entry_count = 0;
  // Index of the first and last entry record in file order (0 when none).
  // An overwrite after a leader change can make last_entry < an earlier one.
  Index first_entry;
  Index last_entry;
  uint64_t hard_state_count = 0;
  uint64_t snapshot_marker_count = 0;
  // Offset of the first record that did not decode; reading stopped there.
  std::optional<uint64_t> damaged_offset;
  // Zero bytes after the last record of the last segment: preallocated
  // space not yet written (not damage).
  uint64_t unused_bytes = 0;
  std::vector<WalRecordInfo> records;  // only with WalInspectOptions::records
};

struct WalSnapshotInfo {
  std::string name;
  uint64_t size_bytes = 0;
  bool ok = false;       // checksum fine, contents parse and match the name
  std::string error;     // why not, when !ok
  bool decoded = false;  // meta and data_bytes are valid (ok, or only the name is wrong)
  SnapshotMeta meta;
  uint64_t data_bytes = 0;
  bool newest = false;  // the one recovery loads (the last by name)
};

enum class WalProblemKind : uint8_t {
  kTornTail,    // recovery truncates the segment and starts
  kCorruption,  // recovery refuses to start
};

struct WalProblem {
  WalProblemKind kind = WalProblemKind::kCorruption;
  std::string file;  // name within the directory; empty for the directory
  uint64_t offset = 0;
  uint64_t truncated_bytes = 0;  // kTornTail: what recovery would cut off
  std::string reason;            // what is wrong, e.g. "checksum mismatch (...)"
  // "torn tail (recovery would truncate 7 bytes)" or
  // "corruption (recovery refuses to start)".
  std::string Classification() const;
};

enum class WalHealth : uint8_t { kOk, kTornTail, kCorrupt };
const char* WalHealthName(WalHealth health);  // "ok", "torn-tail", "corrupt"

struct WalInspection {
  std::string dir;
  std::vector<WalSegmentInfo> segments;    // by sequence number
  std::vector<WalSnapshotInfo> snapshots;  // oldest first
  std::vector<std::string> tmp_files;      // *.tmp (recovery removes snap-*.tmp)
  std::vector<std::string> other_files;    // neither segment, snapshot nor .tmp
  uint64_t record_count = 0;               // over all segments
  std::optional<HardState> hard_state;     // the last one in replay order
  // The log recovery would rebuild: the newest snapshot covers up to
  // snapshot_index, entries follow in (snapshot_index, last_index]. When
  // recovery would fail, this is what it had read before the failure.
  Index snapshot_index;
  Index last_index;
  // In recovery's order; at most one torn tail, and a corruption, if any,
  // is the last problem.
  std::vector<WalProblem> problems;

  WalHealth health() const;
  bool HasEntries() const { return last_index > snapshot_index; }
};

// Fails only when the directory or a file in it cannot be read (kIoError):
// damage in readable files is reported in the inspection, never as an error.
Result<WalInspection> InspectWal(FileSystem& fs, const std::string& dir,
                                 const WalInspectOptions& options = {});

// Readable multi-line report; lists records when they were collected.
std::string RenderWalInspection(const WalInspection& inspection);
// One line a script can parse, e.g.
// "segments=3 records=812 entries=1..800 snapshots=1 status=ok".
std::string WalSummaryLine(const WalInspection& inspection);

}  // namespace raft
