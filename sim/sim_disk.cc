#include "sim/sim_disk.h"

#include <algorithm>

#include "core/assert.h"

namespace raft::sim {

namespace {

Status NotFound(const std::string& path) {
  return Status::Error(StatusCode::kIoError, "ENOENT: " + path);
}

}  // namespace

class SimFile final : public WritableFile {
 public:
  SimFile(SimDisk& disk, std::shared_ptr<SimDisk::Inode> inode, size_t offset)
      : disk_(disk), inode_(std::move(inode)), offset_(offset) {}
  Status Append(std::string_view bytes) override {
    SimDisk::Inode& inode = *inode_;
    const size_t end = offset_ + bytes.size();
    Status s = disk_.CheckAppend(end > inode.data.size() ? end - inode.data.size() : 0);
    if (!s.ok()) return s;
    if (end > inode.data.size()) inode.data.resize(end);
    inode.data.replace(offset_, bytes.size(), bytes);
    inode.dirty_from = std::min(inode.dirty_from, offset_);
    inode.dirty_to = std::max(inode.dirty_to, end);
    offset_ = end;
    return Status::Ok();
  }
  Status Sync() override {
    Status s = disk_.CheckSync();
    if (!s.ok()) return s;
    SimDisk::Inode& inode = *inode_;
    if (inode.dirty_from < inode.dirty_to) {
      if (inode.durable.size() < inode.dirty_to) inode.durable.resize(inode.dirty_to);
      inode.durable.replace(inode.dirty_from, inode.dirty_to - inode.dirty_from, inode.data,
                            inode.dirty_from, inode.dirty_to - inode.dirty_from);
    }
    inode.dirty_from = SIZE_MAX;
    inode.dirty_to = 0;
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  uint64_t Size() const override { return offset_; }

 private:
  SimDisk& disk_;
  std::shared_ptr<SimDisk::Inode> inode_;
  size_t offset_;  // the write position
};

Status SimDisk::CheckAppend(size_t grow_bytes) {
  if (fail_next_append_) {
    fail_next_append_ = false;
    return Status::Error(StatusCode::kIoError, "EIO: simulated write error");
  }
  if (UsedBytes() + grow_bytes > capacity_bytes_) {
    return Status::Error(StatusCode::kNoSpace, "ENOSPC: no space left on device");
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
  read_errors_.erase(path);  // a new file, on other sectors
  return std::unique_ptr<WritableFile>(new SimFile(*this, inode, 0));
}

Result<std::unique_ptr<WritableFile>> SimDisk::CreatePreallocated(const std::string& path,
                                                                  uint64_t bytes) {
  if (!dirs_.contains(DirOf(path))) return NotFound(DirOf(path));
  Status s = CheckAppend(bytes);
  if (!s.ok()) return s;
  auto inode = std::make_shared<Inode>();
  inode->data.assign(bytes, '\0');
  inode->durable = inode->data;  // the zeros are synced before the file is handed out
  names_[path] = inode;
  read_errors_.erase(path);
  return std::unique_ptr<WritableFile>(new SimFile(*this, inode, 0));
}

Result<std::unique_ptr<WritableFile>> SimDisk::OpenAt(const std::string& path, uint64_t offset) {
  auto it = names_.find(path);
  if (it == names_.end()) return NotFound(path);
  if (offset > it->second->data.size()) {
    return Status::Error(StatusCode::kIoError, "EINVAL: " + path + ": offset past the end");
  }
  return std::unique_ptr<WritableFile>(new SimFile(*this, it->second, offset));
}

Result<std::string> SimDisk::ReadFile(const std::string& path) {
  auto it = names_.find(path);
  if (it == names_.end()) return NotFound(path);
  if (read_errors_.contains(path)) {
    return Status::Error(StatusCode::kIoError, "EIO: simulated read error: " + path);
  }
  return it->second->data;
}

Status SimDisk::Truncate(const std::string& path, uint64_t size) {
  auto it = names_.find(path);
  if (it == names_.end()) return NotFound(path);
  Inode& inode = *it->second;
  // Modelled as durable at once; recovery repeats it after another crash.
  if (size < inode.data.size()) inode.data.resize(size);
  if (size < inode.durable.size()) inode.durable.resize(size);
  inode.dirty_to = std::min(inode.dirty_to, inode.data.size());
  return Status::Ok();
}

Status SimDisk::Rename(const std::string& from, const std::string& to) {
  auto it = names_.find(from);
  if (it == names_.end()) return NotFound(from);
  names_[to] = it->second;
  names_.erase(from);
  // The bad sector stays with the old data; the name moves to good data
  // (a rename is how a writer replaces a file it rewrote).
  read_errors_.erase(from);
  read_errors_.erase(to);
  return Status::Ok();
}

Status SimDisk::Remove(const std::string& path) {
  if (names_.erase(path) == 0) return NotFound(path);
  read_errors_.erase(path);
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
    std::string written = std::move(inode->data);
    inode->data = inode->durable;
    if (tear && inode->dirty_from < inode->dirty_to) {
      // The disk got as far as some byte of what was written since the sync.
      const size_t kept = rng_->Uniform(inode->dirty_to - inode->dirty_from + 1);
      const size_t end = inode->dirty_from + kept;
      if (inode->data.size() < end) inode->data.resize(end);
      inode->data.replace(inode->dirty_from, kept, written, inode->dirty_from, kept);
      inode->durable = inode->data;
    }
    inode->dirty_from = SIZE_MAX;
    inode->dirty_to = 0;
  }
  fail_next_sync_ = fail_next_append_ = false;
}

Status SimDisk::FlipBit(const std::string& path, uint64_t bit) {
  auto it = names_.find(path);
  if (it == names_.end()) return NotFound(path);
  Inode& inode = *it->second;
  RAFT_ASSERT(inode.dirty_from == SIZE_MAX);  // damage hits a node that is down
  if (bit / 8 >= inode.durable.size()) {
    return Status::Error(StatusCode::kInvalidArgument, "bit past the end of " + path);
  }
  const auto mask = static_cast<char>(1u << (bit % 8));
  inode.durable[bit / 8] ^= mask;
  if (bit / 8 < inode.data.size()) inode.data[bit / 8] ^= mask;
  return Status::Ok();
}

Status SimDisk::CutDurably(const std::string& path, uint64_t size) {
  auto it = names_.find(path);
  if (it == names_.end()) return NotFound(path);
  RAFT_ASSERT(it->second->dirty_from == SIZE_MAX);
  if (size > it->second->durable.size()) {
    return Status::Error(StatusCode::kInvalidArgument, "cut past the end of " + path);
  }
  return Truncate(path, size);  // durable at once
}

Status SimDisk::RemoveDurably(const std::string& path) {
  if (names_.erase(path) == 0) return NotFound(path);
  synced_names_.erase(path);
  read_errors_.erase(path);
  return Status::Ok();
}

Status SimDisk::SetReadError(const std::string& path) {
  if (!names_.contains(path)) return NotFound(path);
  read_errors_.insert(path);
  return Status::Ok();
}

}  // namespace raft::sim
