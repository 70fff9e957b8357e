// What a WAL directory on PosixFileSystem holds that a power cut could
// still take back, as syncwatch sees it, described for test messages.
// Shared by the Wal and Replica durability tests.
//
// Threading: test code; safe while PosixFileSystem's helper thread writes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/storage/snapshot_file.h"
#include "net/posix_file_system.h"
#include "tests/syncwatch/syncwatch.h"

namespace raft::testing {

// The spare segment PosixFileSystem prepares on a helper thread is not part
// of the log until it is renamed into place (which the roll syncs).
inline bool IsSpareSegment(const std::string& name) {
  return name == PosixFileSystem::kSpareFileName;
}

// Changes to dir's entries not yet made durable, described. Two are left
// out: the spare's, and the removal of a superseded snapshot file, which
// SnapshotStore::Save does not sync (a crash may bring the old file back;
// the newest snapshot, whose name is durable, still wins, and the next
// snapshot removes the old one again).
inline std::vector<std::string> UnsyncedLogEntries(const std::string& dir) {
  std::vector<std::string> out;
  for (const syncwatch::UnsyncedEntry& e : syncwatch::UnsyncedEntries(dir)) {
    if (IsSpareSegment(e.name) || IsSpareSegment(e.new_name)) continue;
    if (e.op == "remove" && IsSnapshotFileName(e.name)) continue;
    out.push_back(e.Describe());
  }
  return out;
}

// Files of dir (the spare aside) with unsynced writes, as "name: N bytes".
inline std::vector<std::string> UnsyncedLogFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const syncwatch::UnsyncedFile& f : syncwatch::UnsyncedFiles(dir)) {
    const std::string name = f.path.substr(f.path.rfind('/') + 1);
    if (IsSpareSegment(name)) continue;
    out.push_back(name + ": " + std::to_string(f.unsynced_bytes) + " bytes" +
                  (f.size_changed ? ", size changed" : ""));
  }
  return out;
}

// Unsynced bytes of dir's files (the spare aside); a changed size counts as one.
inline uint64_t UnsyncedLogBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const syncwatch::UnsyncedFile& f : syncwatch::UnsyncedFiles(dir)) {
    if (IsSpareSegment(f.path.substr(f.path.rfind('/') + 1))) continue;
    total += f.unsynced_bytes + (f.size_changed ? 1 : 0);
  }
  return total;
}

}  // namespace raft::testing
