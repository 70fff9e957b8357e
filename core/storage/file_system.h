// FileSystem: every byte the storage layer reads or writes goes through this
// interface (LevelDB's Env idea). The server passes PosixFileSystem; the
// simulator passes SimDisk, which loses unsynced bytes on a crash, can tear
// the last write, and injects EIO/ENOSPC. The WAL and snapshot code cannot
// tell them apart, so crash recovery is tested on the code that ships.
//
// Paths are plain strings ("dir/name"); directories are one level deep.
// Durability contract (POSIX semantics):
//   - bytes written to a file survive a crash only after Sync(); until then
//     a crash leaves what was there before (nothing, or zeros when
//     preallocated), or, torn, part of the new bytes;
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

// Writes go to the file's write position, which starts at 0 for a created
// file and at the given offset for OpenAt; they overwrite what is there
// and extend the file past its end.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes data at the write position and advances it.
  virtual Status Append(std::string_view data) = 0;
  // fdatasync: the written bytes are durable once this returns Ok. A
  // failed Sync leaves the file in an unknown state: callers must stop.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // The write position: bytes written since offset 0, not the file's length.
  virtual uint64_t Size() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Status CreateDir(const std::string& dir) = 0;  // ok if it exists
  // Creates (or truncates) path, empty, for writing from offset 0.
  virtual Result<std::unique_ptr<WritableFile>> Create(const std::string& path) = 0;
  // Creates (or replaces) path as `bytes` zero bytes that are already
  // durable, for writing from offset 0. Writes then overwrite allocated
  // blocks instead of growing the file, so their sync need not also make a
  // new length and new blocks durable (on ext4, fdatasync after an append
  // waits for a journal commit; after an overwrite it does not). The name,
  // as for Create, is durable only after SyncDir.
  virtual Result<std::unique_ptr<WritableFile>> CreatePreallocated(const std::string& path,
                                                                   uint64_t bytes) = 0;
  // Opens an existing file for writing at offset (at most its length).
  virtual Result<std::unique_ptr<WritableFile>> OpenAt(const std::string& path,
                                                       uint64_t offset) = 0;
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

// The inverse: the directory part of a path ("" for a bare name).
inline std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// Replaces dir/name with data so that a crash leaves the old file or the
// new one, never a mix: write name.tmp, sync, rename, sync the directory.
Status WriteFileAtomically(FileSystem& fs, const std::string& dir, const std::string& name,
                           std::string_view data);

}  // namespace raft
