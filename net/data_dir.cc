#include "net/data_dir.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "core/storage/wal_meta.h"
#include "net/cluster_members.h"

namespace raft::net {

namespace {

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<std::unique_ptr<DataDir>> DataDir::Open(const std::string& dir, const std::string& node) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::Error(StatusCode::kIoError,
                         "cannot create data directory " + dir + ": " + ec.message());
  }
  const std::string lock_path = JoinPath(dir, "LOCK");
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(lock_path, errno);
  std::unique_ptr<DataDir> d(new DataDir(dir, fd));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return Status::Error(
        StatusCode::kIoError,
        "data directory " + dir + " is in use by another process (" + lock_path + " is locked)");
  }
  const std::string id_path = JoinPath(dir, "node_id");
  if (d->fs_.Exists(id_path)) {
    Result<std::string> owner = d->fs_.ReadFile(id_path);
    if (!owner.ok()) return owner.status();
    if (Trimmed(owner.value()) != node) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "data directory " + dir + " belongs to node " + Trimmed(owner.value()) +
                               ", not " + node +
                               " (use that node's --node-id or another --data-dir)");
    }
  } else {
    // node_id is written first at a first start, so a directory that holds
    // anything else without it was damaged: adopting it would let any node
    // take another's log. Only the WAL's metadata, naming this node, proves
    // the directory is ours; then node_id is restored.
    Result<std::optional<WalMeta>> meta = ReadWalMeta(d->fs_, d->wal_dir());
    if (meta.ok() && meta.value() && meta.value()->node == NodeIdForName(node)) {
      spdlog::warn("{}/node_id is missing; the WAL metadata names this node ({}): restoring it",
                   dir, node);
    } else {
      for (const char* other : {"members", "cluster_id", "wal"}) {
        if (d->fs_.Exists(JoinPath(dir, other))) {
          return Status::Error(StatusCode::kCorruption,
                               "data directory " + dir + " holds " + other +
                                   " but no node_id file: " +
                                   "it is damaged or was not made by raft-server; restore its " +
                                   "node_id (one line, the node's name) or use another --data-dir");
        }
      }
    }
    if (Status s = WriteFileAtomically(d->fs_, dir, "node_id", node + "\n"); !s.ok()) return s;
  }
  return d;
}

DataDir::~DataDir() { ::close(lock_fd_); }

Result<std::optional<std::string>> DataDir::ReadMembers() {
  const std::string path = JoinPath(dir_, "members");
  if (!fs_.Exists(path)) return std::optional<std::string>();
  Result<std::string> text = fs_.ReadFile(path);
  if (!text.ok()) return text.status();
  return std::optional<std::string>(std::move(text).value());
}

Status DataDir::WriteMembers(const std::string& text) {
  return WriteFileAtomically(fs_, dir_, "members", text);
}

Result<std::optional<std::string>> DataDir::ReadClusterId() {
  const std::string path = JoinPath(dir_, "cluster_id");
  if (!fs_.Exists(path)) return std::optional<std::string>();
  Result<std::string> text = fs_.ReadFile(path);
  if (!text.ok()) return text.status();
  std::string id = Trimmed(std::move(text).value());
  if (Status s = ValidateClusterId(id); !s.ok()) {
    return Status::Error(StatusCode::kCorruption, path + ": " + s.message());
  }
  return std::optional<std::string>(std::move(id));
}

Status DataDir::WriteClusterId(const std::string& id) {
  return WriteFileAtomically(fs_, dir_, "cluster_id", id + "\n");
}

}  // namespace raft::net
