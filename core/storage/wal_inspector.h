// WalInspector: an offline, read-only look at a node's WAL directory, for
// operators (`raftctl check` and `raftctl dump`) and for tests that want to
// assert on what is on disk rather than on what recovery made of it.
//
// It reads every file through the FileSystem interface and never writes,
// truncates, renames or removes anything: inspecting a damaged directory
// must not change the evidence. It reports
//   - the metadata file (wal_meta.h): missing, unreadable, or its fields;
//   - every WAL segment: header version, sequence, first index, allocated
//     bytes, record counts, entry index range, unused zero tail, and
//     optionally every record with its byte offset;
//   - every snapshot file with its metadata, or why it does not decode;
//   - quarantined segments (<name>.damaged-<seq>, left by an earlier
//     recovery), leftover temporary files and files of neither format;
//   - findings: what Wal::Open would do about the directory, judged by the
//     same rules, in the order recovery meets them (wal.h "Recovery"):
//       torn tail   the unsynced end of the last segment, cut by recovery
//                   (zeroed, keeping the length, in a preallocated one);
//                   nothing acknowledged is lost;
//       damage      a corrupt record (followed by valid ones, in an older
//                   segment, or a partial record in a preallocated segment
//                   cut short), a last preallocated segment cut short at a
//                   record boundary, a broken chain between two segments, a
//                   missing segment, missing or unreadable metadata, a log
//                   ending below the acknowledged index: recovery keeps the
//                   intact prefix and the node repairs from its peers;
//       repair      an unfinished repair recorded in the metadata;
//       refusal     what makes Open fail (a bad newest snapshot, an
//                   unsupported version, a log no correct node writes);
//                   recovery stops there, and so do the findings;
//       note        informational: quarantined segments, what a repair keeps.
//   The log replay stops at the first damage, as recovery's does: later
//   segments are still listed, but judged no further.
// The property test in tests/storage/wal_inspector_test.cc checks that the
// verdict matches what Wal::Open then does, over many kinds of damage.
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
#include "core/storage/wal_meta.h"
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
  // From the header record, when it decodes (version 0: no header).
  uint32_t version = 0;
  uint64_t allocated_bytes = 0;  // version 2: preallocated length, 0 if appended
  uint32_t prev_crc = 0;         // version 2: the previous segment's last record
  uint64_t record_count = 0;     // valid records before any damage
  uint64_t entry_count = 0;
  // Index of the first and last entry record in file order (0 when none).
  // An overwrite after a leader change can make last_entry < an earlier one.
  Index first_entry;
  Index last_entry;
  uint64_t hard_state_count = 0;
  uint64_t snapshot_marker_count = 0;
  // Offset of the first record that did not decode; reading stopped there.
  std::optional<uint64_t> damaged_offset;
  // Zero bytes after the last record: preallocated space not yet written
  // (not damage; in an older segment, a roll crashed before cutting them).
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

// Ordered by how much they change what recovery does.
enum class WalFindingKind : uint8_t {
  kNote,      // informational; recovery ignores it
  kTornTail,  // recovery cuts (zeroes, if preallocated) or removes an empty segment; starts
  kRepair,    // an unfinished repair: the node starts repairing
  kDamage,    // recovery keeps the prefix before it; the node starts repairing
  kRefusal,   // recovery refuses to start
};
const char* WalFindingKindName(WalFindingKind kind);  // "note", "torn-tail", ...

struct WalFinding {
  WalFindingKind kind = WalFindingKind::kNote;
  std::string file;                // name within the directory; empty for the directory
  std::optional<uint64_t> offset;  // for a finding at a record
  uint64_t truncated_bytes = 0;    // kTornTail: what recovery cuts off (or zeroes)
  std::string reason;              // what is wrong, e.g. "corrupt record: checksum mismatch (...)"
  // "<kind>: <file>:<offset>: <reason>", one line.
  std::string Line() const;
};

// The verdict on a directory; the names are `raftctl check`'s status words.
enum class WalStatus : uint8_t {
  kOk,          // recovery starts as is
  kTornTail,    // recovery cuts a torn tail; nothing acknowledged is lost
  kRepairing,   // an unfinished repair: the node starts repairing
  kDamaged,     // recovery finds damage: the node starts repairing from its peers
  kRefused,     // recovery (or the server) refuses to start
  kEmpty,       // no WAL file at all: a node would start with an empty log
  kNotAWal,     // no WAL file, but other files: not a WAL directory
  kMissing,     // the directory does not exist (decided by the caller)
  kUnreadable,  // an I/O error (decided by the caller)
};
const char* WalStatusName(WalStatus status);  // "ok", "torn-tail", "not-a-wal", ...

struct WalInspection {
  std::string dir;
  // The metadata file: absent, present and decoded (meta), or present and
  // not decodable (meta_error).
  bool meta_present = false;
  std::optional<WalMeta> meta;
  std::string meta_error;
  std::vector<WalSegmentInfo> segments;    // by sequence number
  std::vector<WalSnapshotInfo> snapshots;  // oldest first
  std::vector<std::string> quarantined;    // <segment>.damaged-<seq>
  std::vector<std::string> tmp_files;      // *.tmp (recovery removes snap-*.tmp)
  std::vector<std::string> other_files;    // none of the above
  uint64_t record_count = 0;               // over all segments
  uint64_t replayed_records = 0;           // the records recovery reads (up to damage)
  std::optional<HardState> hard_state;     // the last one in replay order
  // The log recovery would keep: the newest snapshot covers up to
  // snapshot_index, entries follow in (snapshot_index, last_index]. With
  // damage, the intact prefix before it; with a refusal, what recovery had
  // read before it stopped.
  Index snapshot_index;
  Index last_index;
  // Set when the node would start repairing (a new or an unfinished repair):
  // it neither votes nor acknowledges until it holds this index again.
  std::optional<Index> repair_target;
  std::vector<WalFinding> findings;  // in recovery's order

  // Any metadata, segment or snapshot file (what makes recovery treat the
  // directory as a log, not as a new one).
  bool Initialized() const { return meta_present || !segments.empty() || !snapshots.empty(); }
  WalStatus status() const;
  bool HasEntries() const { return last_index > snapshot_index; }
  uint64_t TornBytes() const;
  size_t Count(WalFindingKind kind) const;
};

// Fails only when the directory or a file in it cannot be read (kIoError):
// damage in readable files is reported in the inspection, never as an error.
Result<WalInspection> InspectWal(FileSystem& fs, const std::string& dir,
                                 const WalInspectOptions& options = {});

// Readable multi-line report; lists records when they were collected.
std::string RenderWalInspection(const WalInspection& inspection);
// One line per file (metadata, segment, snapshot, temporary, other), e.g.
// "segment wal-...log: version=2 seq=1 first_index=1 ...".
std::vector<std::string> WalFileLines(const WalInspection& inspection);
// One line a script can parse, e.g. "status=ok segments=3 records=812
// snapshot_index=0 last_index=800 acked_index=800 torn_bytes=0 damage=0
// quarantined=0 repair_target=none".
std::string WalSummaryLine(const WalInspection& inspection);

}  // namespace raft
