// PosixFileSystem: the real world's FileSystem, on POSIX files.
//
// Sync() is fdatasync(2); SyncDir() opens the directory and fsync(2)s it so
// created and renamed names are durable. Errors carry errno's name and the
// path, e.g. "ENOSPC: data/wal-...log: No space left on device".
//
// Threading: one node's event loop; no internal locking.
#pragma once

#include "core/storage/file_system.h"

namespace raft {

class PosixFileSystem final : public FileSystem {
 public:
  Status CreateDir(const std::string& dir) override;
  Result<std::unique_ptr<WritableFile>> Create(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> OpenAppend(const std::string& path) override;
  Result<std::string> ReadFile(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  bool Exists(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
};

// "ENOSPC: <path>: No space left on device" for the current errno.
Status ErrnoStatus(const std::string& path, int err);

}  // namespace raft
