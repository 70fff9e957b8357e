#include "sim/sim_disk.h"

namespace raft::sim {

namespace {

std::string DirOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

Status NotFound(const std::string& path) {
  return Status::Error(StatusCode::kIoError, "ENOENT: " + path);
}

}  // namespace

class SimFile final : public WritableFile {
 public:
  SimFile(SimDisk& disk, std::shared_ptr<SimDisk::Inode> inode)
      : disk_(disk), inode_(std::move(inode)) {}
  Status Append(std::string_view data) override {
    Status s = disk_.CheckAppend(data.size());
    if (!s.ok()) return s;
    inode_->data.append(data);
    return Status::Ok();
  }
  Status Sync() override {
    Status s = disk_.CheckSync();
    if (!s.ok()) return s;
    inode_->synced_bytes = inode_->data.size();
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  uint64_t Size() const override { return inode_->data.size(); }
  Status Preallocate(uint64_t) override { return Status::Ok(); }

 private:
  SimDisk& disk_;
  std::shared_ptr<SimDisk::Inode> inode_;
};

Status SimDisk::CheckAppend(size_t bytes) {
  if (fail_next_append_) {
    fail_next_append_ = false;
    return Status::Error(StatusCode::kIoError, "EIO: simulated write error");
  }
  if (UsedBytes() + bytes > capacity_bytes_) {
    return Status::Error(StatusCode::kIoError, "ENOSPC: no space left on device");
  }
  return Status::Ok();
}

Status SimDisk::CheckSync() {
  if (fail_next_sync_) {
    fail_next_sync_ = false;
    return Status::Error(StatusCode::kIoError, "EIO: simulated fsync failure");
  }
  return Status::Ok();
}

uint64_t SimDisk::UsedBytes() const {
  uint64_t used = 0;
  for (const auto& [name, inode] : names_) used += inode->data.size();
  return used;
}

Status SimDisk::CreateDir(const std::string& dir) {
  dirs_[dir] = true;
  return Status::Ok();
}

Result<std::unique_ptr<WritableFile>> SimDisk::Create(const std::string& path) {
  if (!dirs_.contains(DirOf(path))) return NotFound(DirOf(path));
  auto inode = std::make_shared<Inode>();
  names_[path] = inode;
  return std::unique_ptr<WritableFile>(new SimFile(*this, inode));
}

Result<std::unique_ptr<WritableFile>> SimDisk::OpenAppend(const std::string& path) {
  auto it = names_.find(path);
  if (it == names_.end()) return NotFound(path);
  return std::unique_ptr<WritableFile>(new SimFile(*this, it->second));
}

Result<std::string> SimDisk::ReadFile(const std::string& path) {
  auto it = names_.find(path);
  if (it == names_.end()) return NotFound(path);
  return it->second->data;
}

Status SimDisk::Truncate(const std::string& path, uint64_t size) {
  auto it = names_.find(path);
  if (it == names_.end()) return NotFound(path);
  Inode& inode = *it->second;
  if (size < inode.data.size()) inode.data.resize(size);
  // Modelled as durable at once; recovery repeats it after another crash.
  if (inode.synced_bytes > inode.data.size()) inode.synced_bytes = inode.data.size();
  return Status::Ok();
}

Status SimDisk::Rename(const std::string& from, const std::string& to) {
  auto it = names_.find(from);
  if (it == names_.end()) return NotFound(from);
  names_[to] = it->second;
  names_.erase(from);
  return Status::Ok();
}

Status SimDisk::Remove(const std::string& path) {
  if (names_.erase(path) == 0) return NotFound(path);
  return Status::Ok();
}

Result<std::vector<std::string>> SimDisk::List(const std::string& dir) {
  if (!dirs_.contains(dir)) return NotFound(dir);
  std::vector<std::string> out;
  for (const auto& [path, inode] : names_) {
    if (DirOf(path) == dir) out.push_back(path.substr(dir.empty() ? 0 : dir.size() + 1));
  }
  return out;  // std::map order: sorted
}

Status SimDisk::SyncDir(const std::string& dir) {
  for (auto it = synced_names_.begin(); it != synced_names_.end();) {
    it = DirOf(it->first) == dir ? synced_names_.erase(it) : std::next(it);
  }
  for (const auto& [path, inode] : names_) {
    if (DirOf(path) == dir) synced_names_[path] = inode;
  }
  return Status::Ok();
}

void SimDisk::Crash(bool tear) {
  names_ = synced_names_;
  for (auto& [path, inode] : names_) {
    size_t keep = inode->synced_bytes;
    const size_t unsynced = inode->data.size() - keep;
    if (tear && unsynced > 0) keep += rng_->Uniform(unsynced + 1);
    inode->data.resize(keep);
    inode->synced_bytes = keep;
  }
  fail_next_sync_ = fail_next_append_ = false;
}

}  // namespace raft::sim
