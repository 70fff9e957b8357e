// SimDisk: the simulated world's FileSystem, with the failure modes of a
// real disk under a crash-prone process:
//
//   - written bytes are volatile until Sync(); Crash() brings back each
//     file's contents as of its last sync (zeros where it was preallocated)
//     plus, when tearing, a random prefix of what was written since, so the
//     last write may survive torn;
//   - created, renamed and removed names are volatile until SyncDir(); a
//     crash reverts the directory to its last synced state;
//   - I/O errors on demand: the next sync or append fails with EIO, and a
//     capacity limit makes writes that grow the disk (appends, creating a
//     preallocated file, but not overwriting one) fail with ENOSPC;
//   - damage to synced data, for a node that is down (issue 15): a flipped
//     bit, a file cut short or lost, and a latent read error (a bad sector:
//     reads of the file fail until it is removed or renamed over). Each
//     changes what a reader sees and what survives a crash alike, since the
//     medium itself changed.
//
// Files are inodes shared between names, as on POSIX, so a rename followed
// by a crash without SyncDir brings back the old name with the same data.
//
// Threading: single-threaded (one simulated node's event loop).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/rng.h"
#include "core/storage/file_system.h"

namespace raft::sim {

class SimDisk final : public FileSystem {
 public:
  explicit SimDisk(std::unique_ptr<Rng> rng) : rng_(std::move(rng)) {}

  Status CreateDir(const std::string& dir) override;
  Result<std::unique_ptr<WritableFile>> Create(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> CreatePreallocated(const std::string& path,
                                                           uint64_t bytes) override;
  Result<std::unique_ptr<WritableFile>> OpenAt(const std::string& path, uint64_t offset) override;
  Result<std::string> ReadFile(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  bool Exists(const std::string& path) override { return names_.contains(path); }
  Status SyncDir(const std::string& dir) override;

  // Loses everything not yet synced; with tear, keeps a random prefix of
  // each file's unsynced tail.
  void Crash(bool tear);
  void FailNextSync() { fail_next_sync_ = true; }
  void FailNextAppend() { fail_next_append_ = true; }
  void ClearFaults() { fail_next_sync_ = fail_next_append_ = false; }
  // Appends that would grow the disk past this many bytes fail (ENOSPC).
  void SetCapacity(uint64_t bytes) { capacity_bytes_ = bytes; }
  uint64_t UsedBytes() const;

  // Damage to durable data. Call only while the disk's node is down, when
  // nothing is unsynced; each changes the visible and the durable image.
  // Flips bit `bit` (0 = the low bit of byte 0) of path's contents.
  Status FlipBit(const std::string& path, uint64_t bit);
  // Cuts path to size bytes (no longer than it is).
  Status CutDurably(const std::string& path, uint64_t size);
  // Removes path as if the removal had been synced.
  Status RemoveDurably(const std::string& path);
  // ReadFile(path) fails with kIoError until path is removed, renamed or
  // replaced (Create, CreatePreallocated, a Rename onto it).
  Status SetReadError(const std::string& path);
  bool HasReadError(const std::string& path) const { return read_errors_.contains(path); }

  struct Inode {
    std::string data;     // what a reader sees now
    std::string durable;  // what survives a crash
    // data[dirty_from, dirty_to) holds every byte written since the last
    // sync; elsewhere data equals durable (or lies past its end).
    size_t dirty_from = SIZE_MAX;
    size_t dirty_to = 0;
  };

 private:
  friend class SimFile;
  Status CheckAppend(size_t grow_bytes);
  Status CheckSync();

  std::unique_ptr<Rng> rng_;
  std::map<std::string, std::shared_ptr<Inode>> names_;         // what a reader sees now
  std::map<std::string, std::shared_ptr<Inode>> synced_names_;  // what survives a crash
  std::map<std::string, bool> dirs_;
  std::set<std::string> read_errors_;  // paths with a latent read error
  bool fail_next_sync_ = false;
  bool fail_next_append_ = false;
  uint64_t capacity_bytes_ = UINT64_MAX;
};

}  // namespace raft::sim
