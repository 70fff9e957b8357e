// syncwatch: what a test binary has written to real files and not yet made
// durable, seen from the system calls themselves.
//
// FileSystem's durability contract (core/storage/file_system.h) is easy to
// break without any test noticing: a real file that was written but never
// fsync'd reads back fine until the machine loses power. syncwatch.cc
// defines the file system calls (open, write, pwrite, ftruncate, fallocate,
// fsync, fdatasync, rename, unlink, ...) in the test executable itself; the
// project's own code (PosixFileSystem) is linked against these definitions,
// which record what each call changed and then forward it to the C library
// (dlsym(RTLD_NEXT)). The queries below answer, at any moment:
//   - which regular files have bytes written (or a size changed) since
//     their last fsync/fdatasync;
//   - which names a directory gained, lost or renamed since the last fsync
//     of that directory.
// See tests/syncwatch/README.md for why the hooks are linked in, not
// LD_PRELOADed, and what they cannot see.
//
// Threading: every hook and query takes one internal mutex, so a helper
// thread (PosixFileSystem's spare-file writer) may write while a test queries.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace syncwatch {

struct UnsyncedFile {
  std::string path;             // absolute, as the kernel names the open file
  uint64_t unsynced_bytes = 0;  // written since the file's last fsync/fdatasync
  bool size_changed = false;    // ftruncate, truncate, fallocate or O_TRUNC since then
};

// A directory entry change not yet made durable by an fsync of its directory.
struct UnsyncedEntry {
  std::string op;  // "create", "rename", "remove", "mkdir" or "rmdir"
  std::string name;
  std::string new_name;  // the rename's target (its name in the target's directory)
  std::string Describe() const {
    return op + " " + name + (new_name.empty() ? "" : " -> " + new_name);
  }
};

// Regular files directly in dir with writes not yet synced.
std::vector<UnsyncedFile> UnsyncedFiles(const std::string& dir);
// Changes to dir's entries since dir's last fsync, oldest first.
std::vector<UnsyncedEntry> UnsyncedEntries(const std::string& dir);
// How many file system calls the hooks have seen: a test asserts it grows,
// proving the hooks sit between the code under test and the kernel.
uint64_t CallsSeen();

}  // namespace syncwatch
