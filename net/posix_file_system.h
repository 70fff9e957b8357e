// PosixFileSystem: the real world's FileSystem, on POSIX files.
//
// Sync() is fdatasync(2); SyncDir() opens the directory and fsync(2)s it so
// created and renamed names are durable. Errors carry errno's name and the
// path, e.g. "ENOSPC: data/wal-...log: No space left on device".
//
// CreatePreallocated hands out a spare: after each call, a helper thread
// writes the next file of the same size as <dir>/preallocated.tmp, and the
// next call renames it into place, so a WAL segment roll does not write
// and sync megabytes of zeros on the node's thread (etcd's WAL prepares
// its next segment the same way). No spare is prepared while the disk has
// less than kSpareFreeSpaceFactor times its size free.
//
// Threading: one node's event loop; no internal locking (the helper thread
// touches only the spare file, and hands it over through a future).
#pragma once

#include <future>
#include <optional>
#include <string>

#include "core/storage/file_system.h"

namespace raft {

class PosixFileSystem final : public FileSystem {
 public:
  static constexpr const char* kSpareFileName = "preallocated.tmp";
  static constexpr uint64_t kSpareFreeSpaceFactor = 4;

  PosixFileSystem() = default;
  ~PosixFileSystem() override;  // waits for a spare being written
  PosixFileSystem(const PosixFileSystem&) = delete;
  // Returns once no spare is being written (a host about to remove the
  // directory's files calls it, so none appears after).
  void WaitForSpare();
  PosixFileSystem& operator=(const PosixFileSystem&) = delete;

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
  bool Exists(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;

 private:
  struct Spare {
    std::string path;
    uint64_t bytes = 0;
    std::future<Status> written;  // Ok once path holds `bytes` durable zeros
  };
  std::optional<Spare> spare_;
};

// "ENOSPC: <path>: No space left on device" for the current errno.
Status ErrnoStatus(const std::string& path, int err);

}  // namespace raft
