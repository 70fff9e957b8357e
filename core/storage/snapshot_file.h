// SnapshotStore: state machine snapshots as files, one per snapshot.
//
// File name: snap-<index 16 hex>-<term 16 hex>.snap. Format, version 1:
//
//   magic u64 ("RAFTSNP1") | version u32 | index u64 | term u64 |
//   voter count u32 | voters u64... | data length u64 | data | crc32c u32
//
// crc32c covers every byte before it. A snapshot is written to a .tmp file,
// synced, renamed into place and the directory synced, so a crash leaves
// either the whole new snapshot or none of it; leftover .tmp files are
// removed when the store opens. The newest snapshot wins; older ones beyond
// snapshots_kept are removed.
//
// Threading: single-threaded, owned by the Wal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/message.h"
#include "core/storage/file_system.h"

namespace raft {

std::string EncodeSnapshotFile(const Snapshot& snapshot);
// Fails with kCorruption naming what is wrong.
Result<Snapshot> DecodeSnapshotFile(const std::string& bytes);
std::string SnapshotFileName(Index index, Term term);
// True for names of the form SnapshotFileName produces.
bool IsSnapshotFileName(const std::string& name);

class SnapshotStore {
 public:
  SnapshotStore(FileSystem& fs, std::string dir, size_t snapshots_kept = 2)
      : fs_(fs), dir_(std::move(dir)), snapshots_kept_(snapshots_kept) {}

  // Removes leftover temporary files and returns the newest snapshot, if
  // any. A snapshot file that fails its checksum is corruption.
  Result<std::optional<Snapshot>> Open();
  Status Save(const Snapshot& snapshot);
  // Snapshot file names in the directory, oldest first.
  Result<std::vector<std::string>> ListFiles();

 private:
  FileSystem& fs_;
  std::string dir_;
  size_t snapshots_kept_;
};

}  // namespace raft
