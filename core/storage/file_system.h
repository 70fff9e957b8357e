// FileSystem: every byte the storage layer reads or writes goes through this
// interface (LevelDB's Env idea). The server passes PosixFileSystem; the
// simulator passes SimDisk, which loses unsynced bytes on a crash, can tear
// the last write, and injects EIO/ENOSPC. The WAL and snapshot code cannot
// tell them apart, so crash recovery is tested on the code that ships.
//
// Paths are plain strings ("dir/name"); directories are one level deep.
// Durability contract (POSIX semantics):
//   - bytes appended to a file survive a crash only after Sync();
//   - a created, renamed or removed name survives only after SyncDir() of
//     its directory.
//
// Threading: one node's event loop uses it; implementations need not lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace raft {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // fdatasync: the appended bytes are durable once this returns Ok. A
  // failed Sync leaves the file in an unknown state: callers must stop.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;
  // Reserves space without changing the file's size, so later appends
  // cannot fail for lack of space mid-record (best effort).
  virtual Status Preallocate(uint64_t bytes) = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Status CreateDir(const std::string& dir) = 0;  // ok if it exists
  // Creates (or truncates) path for appending.
  virtual Result<std::unique_ptr<WritableFile>> Create(const std::string& path) = 0;
  // Opens an existing file for appending at its end.
  virtual Result<std::unique_ptr<WritableFile>> OpenAppend(const std::string& path) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  // Names (not paths) of the entries of dir, sorted.
  virtual Result<std::vector<std::string>> List(const std::string& dir) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual Status SyncDir(const std::string& dir) = 0;
};

inline std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// Replaces dir/name with data so that a crash leaves the old file or the
// new one, never a mix: write name.tmp, sync, rename, sync the directory.
Status WriteFileAtomically(FileSystem& fs, const std::string& dir, const std::string& name,
                           std::string_view data);

}  // namespace raft
