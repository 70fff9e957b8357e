// DataDir: a node's directory, claimed by one process and one node id.
//
//   <dir>/LOCK      flock(2)ed while the process runs: two processes on one
//                   directory would corrupt the log, so the second refuses
//   <dir>/node_id   the name this directory belongs to, written at first
//                   start; starting another node on it is refused
//   <dir>/cluster_id  the cluster id (16 hex digits). Until the members are
//                   known it is this node's proposal, drawn at the first
//                   start; at bootstrap it is replaced by the id the members
//                   agreed on (see NodeServer), before the members file
//   <dir>/members   the cluster's members ("name address" lines), written
//                   atomically (temp file, fsync, rename, directory fsync)
//                   once every peer's name is known
//   <dir>/wal/      the write-ahead log and snapshots (core/storage/wal.h)
//
// Threading: used by the start-up thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "net/posix_file_system.h"

namespace raft::net {

class DataDir {
 public:
  // Creates the directory (and parents) if needed, takes the lock and checks
  // or records the node id. Errors name the path and the cause.
  static Result<std::unique_ptr<DataDir>> Open(const std::string& dir, const std::string& node);
  ~DataDir();
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  // The members file's text, or nullopt before the first complete start.
  Result<std::optional<std::string>> ReadMembers();
  Status WriteMembers(const std::string& text);
  // The cluster id file's content, or nullopt when there is none.
  Result<std::optional<std::string>> ReadClusterId();
  Status WriteClusterId(const std::string& id);
  std::string wal_dir() const { return JoinPath(dir_, "wal"); }
  PosixFileSystem& fs() { return fs_; }

 private:
  DataDir(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

  std::string dir_;
  int lock_fd_;
  PosixFileSystem fs_;
};

}  // namespace raft::net
