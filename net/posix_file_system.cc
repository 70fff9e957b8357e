#include "net/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace raft {
namespace {

const char* ErrnoName(int err) {
  switch (err) {
    case ENOSPC:
      return "ENOSPC";
    case EIO:
      return "EIO";
    case ENOENT:
      return "ENOENT";
    case EACCES:
      return "EACCES";
    case EROFS:
      return "EROFS";
    case EEXIST:
      return "EEXIST";
    case EDQUOT:
      return "EDQUOT";
    case ENOTDIR:
      return "ENOTDIR";
    case EINVAL:
      return "EINVAL";
    default:
      return "errno";
  }
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t offset)
      : path_(std::move(path)), fd_(fd), offset_(offset) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset_ += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus(path_, errno);
    return Status::Ok();
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoStatus(path_, errno);
    return Status::Ok();
  }
  uint64_t Size() const override { return offset_; }

 private:
  std::string path_;
  int fd_;
  uint64_t offset_;  // the write position
};

Result<std::unique_ptr<WritableFile>> OpenForWrite(const std::string& path, int flags,
                                                   uint64_t offset) {
  const int fd = ::open(path.c_str(), flags | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(path, errno);
  struct stat st {};
  int err = ::fstat(fd, &st) != 0 ? errno : 0;
  if (err == 0 && offset > static_cast<uint64_t>(st.st_size)) err = EINVAL;  // past the end
  if (err != 0) {
    ::close(fd);
    return ErrnoStatus(path, err);
  }
  return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, offset));
}

// Creates (or truncates) path as `bytes` zero bytes and makes them durable;
// removes the file again if that fails.
Status WriteZeroFile(const std::string& path, uint64_t bytes) {
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(path, errno);
  int err = 0;
  // Reserving first makes a full disk fail here, before any zeros are written.
  if (::fallocate(fd, 0, 0, static_cast<off_t>(bytes)) != 0 && errno != EOPNOTSUPP) err = errno;
  const std::string zeros(std::min<uint64_t>(bytes, 1 << 20), '\0');
  for (uint64_t done = 0; err == 0 && done < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), bytes - done));
    const ssize_t w = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(done));
    if (w < 0 && errno != EINTR) err = errno;
    if (w > 0) done += static_cast<uint64_t>(w);
  }
  if (err == 0 && ::fdatasync(fd) != 0) err = errno;
  ::close(fd);
  if (err == 0) return Status::Ok();
  ::unlink(path.c_str());
  return ErrnoStatus(path, err);
}

// Bytes an unprivileged writer may still use on dir's file system (0 if
// unknown).
uint64_t FreeBytes(const std::string& dir) {
  struct statvfs st {};
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace

Status ErrnoStatus(const std::string& path, int err) {
  const bool full = err == ENOSPC || err == EDQUOT;
  return Status::Error(full ? StatusCode::kNoSpace : StatusCode::kIoError,
                       std::string(ErrnoName(err)) + ": " + path + ": " + std::strerror(err));
}

Status PosixFileSystem::CreateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus(dir, errno);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus(dir, errno);
  if (!S_ISDIR(st.st_mode)) return ErrnoStatus(dir, ENOTDIR);
  return Status::Ok();
}

PosixFileSystem::~PosixFileSystem() { WaitForSpare(); }

void PosixFileSystem::WaitForSpare() {
  if (spare_) spare_->written.wait();
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::Create(const std::string& path) {
  return OpenForWrite(path, O_CREAT | O_TRUNC, 0);
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::CreatePreallocated(const std::string& path,
                                                                          uint64_t bytes) {
  const std::string dir = DirOf(path);
  const std::string spare_path = JoinPath(dir, kSpareFileName);
  bool renamed = false;
  if (spare_) {
    // Usually written long ago; a failed spare is retried below on this
    // thread, so its error reaches the caller.
    const Status written = spare_->written.get();
    renamed = written.ok() && spare_->path == spare_path && spare_->bytes == bytes &&
              ::rename(spare_path.c_str(), path.c_str()) == 0;
    spare_.reset();
  }
  if (!renamed) {
    Status s = WriteZeroFile(path, bytes);
    if (!s.ok()) return s;
  }
  Result<std::unique_ptr<WritableFile>> f = OpenForWrite(path, 0, 0);
  if (!f.ok()) return f;
  // A spare keeps `bytes` of the disk in reserve: where space is short it
  // would only fill the disk sooner.
  if (FreeBytes(dir) >= kSpareFreeSpaceFactor * bytes) {
    spare_ =
        Spare{spare_path, bytes, std::async(std::launch::async, WriteZeroFile, spare_path, bytes)};
  }
  return f;
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::OpenAt(const std::string& path,
                                                              uint64_t offset) {
  return OpenForWrite(path, 0, offset);
}

Result<std::string> PosixFileSystem::ReadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  std::string out;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return ErrnoStatus(path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status PosixFileSystem::Truncate(const std::string& path, uint64_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  Status s = Status::Ok();
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fsync(fd) != 0) {
    s = ErrnoStatus(path, errno);
  }
  ::close(fd);
  return s;
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(from + " -> " + to, errno);
  return Status::Ok();
}

Status PosixFileSystem::Remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return ErrnoStatus(path, errno);
  return Status::Ok();
}

Result<std::vector<std::string>> PosixFileSystem::List(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus(dir, errno);
  std::vector<std::string> out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool PosixFileSystem::Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status PosixFileSystem::SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(dir, errno);
  Status s = Status::Ok();
  if (::fsync(fd) != 0) s = ErrnoStatus(dir, errno);
  ::close(fd);
  return s;
}

}  // namespace raft
