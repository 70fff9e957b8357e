// syncwatch: file system call hooks that record what is not yet durable.
//
// This file defines open, write, pwrite, ftruncate, fallocate, fsync,
// fdatasync, rename, unlink and their variants with C linkage. Linked into
// a test executable (CMake object library `syncwatch`), these definitions
// take the place of the C library's for every call made by code linked into
// that executable, and for calls from shared libraries that resolve through
// its exported symbols. Each hook forwards to the next definition
// (dlsym(RTLD_NEXT): the sanitizer runtime's interceptor in the ASan build,
// else the C library) and, when the call succeeded, records:
//   - per regular file (device and inode): bytes written and size changes
//     since its last fsync or fdatasync;
//   - per directory (canonical path): names created, renamed, removed since
//     its last fsync or fdatasync.
// sync() and syncfs() clear everything. Queries are in syncwatch.h.
//
// Limits: writes through stdio buffers, mmap, copy_file_range or sendfile,
// and calls made inside the C library itself (fclose's write) are not seen;
// the project's PosixFileSystem uses none of them. Only calls that succeed
// are recorded.
#undef _FORTIFY_SOURCE  // the fortified inline open() would clash with ours

#include "tests/syncwatch/syncwatch.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <utility>

namespace syncwatch {
namespace {

using FileKey = std::pair<dev_t, ino_t>;

struct State {
  std::mutex mu;
  std::map<FileKey, UnsyncedFile> files;                      // only files with unsynced changes
  std::map<std::string, std::vector<UnsyncedEntry>> entries;  // by canonical directory
  std::atomic<uint64_t> calls{0};
};

// Never destroyed: hooks may run during static destruction at exit.
State& St() {
  static State* state = new State;
  return *state;
}

// The next definition of a hooked function, or abort: a hook that cannot
// forward would silently change what the code under test does.
void* Next(const char* name) {
  void* f = ::dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    ::fprintf(stderr, "syncwatch: no next definition of %s\n", name);
    ::abort();
  }
  return f;
}
#define SYNCWATCH_REAL(name) \
  static const auto real = reinterpret_cast<decltype(&::name)>(::syncwatch::Next(#name))

// The path the kernel gives an open file descriptor ("" if none).
std::string FdPath(int fd) {
  char link[64];
  char buf[PATH_MAX];
  ::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  const ssize_t n = ::readlink(link, buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string Canonical(const std::string& dir) {
  char buf[PATH_MAX];
  return ::realpath(dir.c_str(), buf) != nullptr ? std::string(buf) : dir;
}

struct DirAndName {
  std::string dir;  // canonical when it exists
  std::string name;
};

DirAndName Split(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// path as openat(dirfd, path) resolves it; its directory must exist.
DirAndName Resolve(int dirfd, const char* path) {
  DirAndName dn = Split(path);
  if (dn.dir[0] != '/' && dirfd != AT_FDCWD) dn.dir = FdPath(dirfd) + "/" + dn.dir;
  dn.dir = Canonical(dn.dir);
  return dn;
}

bool Lstat(int dirfd, const char* path, struct stat& st) {
  return ::fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

void AddEntry(const std::string& dir, UnsyncedEntry entry) {
  std::lock_guard<std::mutex> lock(St().mu);
  St().entries[dir].push_back(std::move(entry));
}

// A write of `bytes` (or, with bytes 0, a size change) through fd.
void RecordWrite(int fd, uint64_t bytes, bool size_changed) {
  St().calls++;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  std::string path = FdPath(fd);
  std::lock_guard<std::mutex> lock(St().mu);
  UnsyncedFile& f = St().files[{st.st_dev, st.st_ino}];
  f.path = std::move(path);
  f.unsynced_bytes += bytes;
  f.size_changed = f.size_changed || size_changed;
}

void RecordSync(int fd) {
  St().calls++;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    const std::string dir = FdPath(fd);
    std::lock_guard<std::mutex> lock(St().mu);
    St().entries.erase(dir);
  } else if (S_ISREG(st.st_mode)) {
    std::lock_guard<std::mutex> lock(St().mu);
    St().files.erase({st.st_dev, st.st_ino});
  }
}

// The last name of a regular file is going away: its unsynced bytes no
// longer matter.
void ForgetIfLastLink(const struct stat& st) {
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1) return;
  std::lock_guard<std::mutex> lock(St().mu);
  St().files.erase({st.st_dev, st.st_ino});
}

// Everything open() needs to know before the call, to record after it.
struct OpenProbe {
  bool existed = false;
  off_t size = 0;
};

OpenProbe ProbeOpen(int dirfd, const char* path, int flags) {
  OpenProbe probe;
  if ((flags & (O_CREAT | O_TRUNC)) == 0 || (flags & O_TMPFILE) == O_TMPFILE) return probe;
  struct stat st {};
  probe.existed = ::fstatat(dirfd, path, &st, 0) == 0;
  probe.size = probe.existed ? st.st_size : 0;
  return probe;
}

int RecordOpen(int fd, int flags, const OpenProbe& probe) {
  St().calls++;
  if (fd < 0 || (flags & O_TMPFILE) == O_TMPFILE) return fd;
  const int saved_errno = errno;
  if ((flags & O_CREAT) != 0 && !probe.existed) {
    const DirAndName dn = Split(FdPath(fd));
    AddEntry(dn.dir, UnsyncedEntry{"create", dn.name, ""});
  }
  if ((flags & O_TRUNC) != 0 && probe.existed && probe.size > 0) RecordWrite(fd, 0, true);
  errno = saved_errno;
  return fd;
}

int RecordRename(int rc, const struct stat* moved, const struct stat* replaced,
                 const DirAndName& src, const DirAndName& dst) {
  St().calls++;
  if (rc != 0) return rc;
  const int saved_errno = errno;
  if (replaced != nullptr && (moved == nullptr || replaced->st_ino != moved->st_ino)) {
    ForgetIfLastLink(*replaced);
  }
  if (moved != nullptr) {
    std::lock_guard<std::mutex> lock(St().mu);
    auto it = St().files.find({moved->st_dev, moved->st_ino});
    if (it != St().files.end()) it->second.path = dst.dir + "/" + dst.name;
  }
  AddEntry(src.dir, UnsyncedEntry{"rename", src.name, dst.name});
  if (dst.dir != src.dir) AddEntry(dst.dir, UnsyncedEntry{"rename", src.name, dst.name});
  errno = saved_errno;
  return rc;
}

int Rename(int old_dirfd, const char* from, int new_dirfd, const char* to,
           int (*real)(int, const char*, int, const char*)) {
  const DirAndName src = Resolve(old_dirfd, from);
  const DirAndName dst = Resolve(new_dirfd, to);
  struct stat moved {
  }, replaced{};
  const bool have_moved = Lstat(old_dirfd, from, moved);
  const bool have_replaced = Lstat(new_dirfd, to, replaced);
  const int rc = real(old_dirfd, from, new_dirfd, to);
  return RecordRename(rc, have_moved ? &moved : nullptr, have_replaced ? &replaced : nullptr, src,
                      dst);
}

int Unlink(int dirfd, const char* path, int flags, int (*real)(int, const char*, int)) {
  const DirAndName dn = Resolve(dirfd, path);
  struct stat st {};
  const bool have = Lstat(dirfd, path, st);
  const int rc = real(dirfd, path, flags);
  St().calls++;
  if (rc != 0) return rc;
  const int saved_errno = errno;
  if (have) ForgetIfLastLink(st);
  AddEntry(dn.dir, UnsyncedEntry{(flags & AT_REMOVEDIR) != 0 ? "rmdir" : "remove", dn.name, ""});
  errno = saved_errno;
  return rc;
}

int Mkdir(int dirfd, const char* path, int rc) {
  St().calls++;
  if (rc != 0) return rc;
  const int saved_errno = errno;
  const DirAndName dn = Resolve(dirfd, path);
  AddEntry(dn.dir, UnsyncedEntry{"mkdir", dn.name, ""});
  errno = saved_errno;
  return rc;
}

template <typename T>
T RecordBytes(int fd, T written) {
  if (written > 0) {
    const int saved_errno = errno;
    RecordWrite(fd, static_cast<uint64_t>(written), false);
    errno = saved_errno;
  }
  return written;
}

int RecordSizeChange(int fd, int rc) {
  if (rc == 0) {
    const int saved_errno = errno;
    RecordWrite(fd, 0, true);
    errno = saved_errno;
  }
  return rc;
}

int RecordSyncCall(int fd, int rc) {
  if (rc == 0) {
    const int saved_errno = errno;
    RecordSync(fd);
    errno = saved_errno;
  }
  return rc;
}

mode_t ModeArg(int flags, va_list args) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE
             ? static_cast<mode_t>(va_arg(args, int))
             : 0;
}

int RealRenameAt(int od, const char* f, int nd, const char* t) {
  SYNCWATCH_REAL(renameat);
  return real(od, f, nd, t);
}

int RealUnlinkAt(int d, const char* p, int flags) {
  SYNCWATCH_REAL(unlinkat);
  return real(d, p, flags);
}

}  // namespace

std::vector<UnsyncedFile> UnsyncedFiles(const std::string& dir) {
  const std::string canonical = Canonical(dir);
  std::lock_guard<std::mutex> lock(St().mu);
  std::vector<UnsyncedFile> out;
  for (const auto& [key, f] : St().files) {
    if (Split(f.path).dir == canonical) out.push_back(f);
  }
  return out;
}

std::vector<UnsyncedEntry> UnsyncedEntries(const std::string& dir) {
  const std::string canonical = Canonical(dir);
  std::lock_guard<std::mutex> lock(St().mu);
  auto it = St().entries.find(canonical);
  return it == St().entries.end() ? std::vector<UnsyncedEntry>() : it->second;
}

uint64_t CallsSeen() { return St().calls.load(); }

}  // namespace syncwatch

// ---- the hooks, with the C library's names and signatures ----

using syncwatch::ModeArg;
using syncwatch::ProbeOpen;
using syncwatch::RecordBytes;
using syncwatch::RecordOpen;
using syncwatch::RecordSizeChange;
using syncwatch::RecordSyncCall;

extern "C" {

int open(const char* path, int flags, ...) {
  SYNCWATCH_REAL(open);
  va_list args;
  va_start(args, flags);
  const mode_t mode = ModeArg(flags, args);
  va_end(args);
  const auto probe = ProbeOpen(AT_FDCWD, path, flags);
  return RecordOpen(real(path, flags, mode), flags, probe);
}

int open64(const char* path, int flags, ...) {
  SYNCWATCH_REAL(open64);
  va_list args;
  va_start(args, flags);
  const mode_t mode = ModeArg(flags, args);
  va_end(args);
  const auto probe = ProbeOpen(AT_FDCWD, path, flags);
  return RecordOpen(real(path, flags, mode), flags, probe);
}

int openat(int dirfd, const char* path, int flags, ...) {
  SYNCWATCH_REAL(openat);
  va_list args;
  va_start(args, flags);
  const mode_t mode = ModeArg(flags, args);
  va_end(args);
  const auto probe = ProbeOpen(dirfd, path, flags);
  return RecordOpen(real(dirfd, path, flags, mode), flags, probe);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  SYNCWATCH_REAL(openat64);
  va_list args;
  va_start(args, flags);
  const mode_t mode = ModeArg(flags, args);
  va_end(args);
  const auto probe = ProbeOpen(dirfd, path, flags);
  return RecordOpen(real(dirfd, path, flags, mode), flags, probe);
}

// What fortified (_FORTIFY_SOURCE) callers call for open without a mode.
int __open_2(const char* path, int flags) { return open(path, flags); }
int __open64_2(const char* path, int flags) { return open64(path, flags); }
int __openat_2(int dirfd, const char* path, int flags) { return openat(dirfd, path, flags); }
int __openat64_2(int dirfd, const char* path, int flags) { return openat64(dirfd, path, flags); }

int creat(const char* path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
int creat64(const char* path, mode_t mode) {
  return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

ssize_t write(int fd, const void* buf, size_t n) {
  SYNCWATCH_REAL(write);
  return RecordBytes(fd, real(fd, buf, n));
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
  SYNCWATCH_REAL(pwrite);
  return RecordBytes(fd, real(fd, buf, n, offset));
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t offset) {
  SYNCWATCH_REAL(pwrite64);
  return RecordBytes(fd, real(fd, buf, n, offset));
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  SYNCWATCH_REAL(writev);
  return RecordBytes(fd, real(fd, iov, count));
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  SYNCWATCH_REAL(pwritev);
  return RecordBytes(fd, real(fd, iov, count, offset));
}

ssize_t pwritev2(int fd, const struct iovec* iov, int count, off_t offset, int flags) {
  SYNCWATCH_REAL(pwritev2);
  return RecordBytes(fd, real(fd, iov, count, offset, flags));
}

int ftruncate(int fd, off_t length) {
  SYNCWATCH_REAL(ftruncate);
  return RecordSizeChange(fd, real(fd, length));
}

int ftruncate64(int fd, off64_t length) {
  SYNCWATCH_REAL(ftruncate64);
  return RecordSizeChange(fd, real(fd, length));
}

int truncate(const char* path, off_t length) {
  // Through a descriptor, so that the change is recorded against the file.
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const int rc = ftruncate(fd, length);
  const int saved_errno = errno;
  ::close(fd);
  errno = saved_errno;
  return rc;
}

int fallocate(int fd, int mode, off_t offset, off_t length) {
  SYNCWATCH_REAL(fallocate);
  const int rc = real(fd, mode, offset, length);
  return (mode & FALLOC_FL_KEEP_SIZE) != 0 ? rc : RecordSizeChange(fd, rc);
}

int fallocate64(int fd, int mode, off64_t offset, off64_t length) {
  SYNCWATCH_REAL(fallocate64);
  const int rc = real(fd, mode, offset, length);
  return (mode & FALLOC_FL_KEEP_SIZE) != 0 ? rc : RecordSizeChange(fd, rc);
}

int fsync(int fd) {
  SYNCWATCH_REAL(fsync);
  return RecordSyncCall(fd, real(fd));
}

int fdatasync(int fd) {
  SYNCWATCH_REAL(fdatasync);
  return RecordSyncCall(fd, real(fd));
}

void sync(void) {
  SYNCWATCH_REAL(sync);
  real();
  std::lock_guard<std::mutex> lock(syncwatch::St().mu);
  syncwatch::St().files.clear();
  syncwatch::St().entries.clear();
}

int syncfs(int fd) {
  SYNCWATCH_REAL(syncfs);
  const int rc = real(fd);
  if (rc == 0) {
    std::lock_guard<std::mutex> lock(syncwatch::St().mu);
    syncwatch::St().files.clear();
    syncwatch::St().entries.clear();
  }
  return rc;
}

int rename(const char* from, const char* to) {
  return syncwatch::Rename(AT_FDCWD, from, AT_FDCWD, to, syncwatch::RealRenameAt);
}

int renameat(int old_dirfd, const char* from, int new_dirfd, const char* to) {
  return syncwatch::Rename(old_dirfd, from, new_dirfd, to, syncwatch::RealRenameAt);
}

int renameat2(int old_dirfd, const char* from, int new_dirfd, const char* to, unsigned flags) {
  if (flags != 0) {  // RENAME_EXCHANGE and friends: forwarded, not modelled
    SYNCWATCH_REAL(renameat2);
    return real(old_dirfd, from, new_dirfd, to, flags);
  }
  return syncwatch::Rename(old_dirfd, from, new_dirfd, to, syncwatch::RealRenameAt);
}

int unlink(const char* path) {
  return syncwatch::Unlink(AT_FDCWD, path, 0, syncwatch::RealUnlinkAt);
}

int unlinkat(int dirfd, const char* path, int flags) {
  return syncwatch::Unlink(dirfd, path, flags, syncwatch::RealUnlinkAt);
}

int rmdir(const char* path) {
  return syncwatch::Unlink(AT_FDCWD, path, AT_REMOVEDIR, syncwatch::RealUnlinkAt);
}

int mkdir(const char* path, mode_t mode) {
  SYNCWATCH_REAL(mkdir);
  return syncwatch::Mkdir(AT_FDCWD, path, real(path, mode));
}

int mkdirat(int dirfd, const char* path, mode_t mode) {
  SYNCWATCH_REAL(mkdirat);
  return syncwatch::Mkdir(dirfd, path, real(dirfd, path, mode));
}

}  // extern "C"
