#include "net/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
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
    default:
      return "errno";
  }
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      size_ += static_cast<uint64_t>(n);
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
  uint64_t Size() const override { return size_; }
  Status Preallocate(uint64_t bytes) override {
    // KEEP_SIZE: reserve blocks without moving the end of file, so appends
    // still land right after the last record.
    if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes)) != 0) {
      return ErrnoStatus(path_, errno);
    }
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_WRONLY | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoStatus(path, err);
  }
  return std::unique_ptr<WritableFile>(
      new PosixWritableFile(path, fd, static_cast<uint64_t>(st.st_size)));
}

}  // namespace

Status ErrnoStatus(const std::string& path, int err) {
  return Status::Error(StatusCode::kIoError,
                       std::string(ErrnoName(err)) + ": " + path + ": " + std::strerror(err));
}

Status PosixFileSystem::CreateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus(dir, errno);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus(dir, errno);
  if (!S_ISDIR(st.st_mode)) return ErrnoStatus(dir, ENOTDIR);
  return Status::Ok();
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::Create(const std::string& path) {
  return OpenForAppend(path, O_CREAT | O_TRUNC);
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::OpenAppend(const std::string& path) {
  return OpenForAppend(path, 0);
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
