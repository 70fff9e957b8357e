#include "core/storage/snapshot_file.h"

#include <cstdio>

#include "core/storage/crc32c.h"

namespace raft {
namespace {

constexpr uint64_t kSnapMagic = 0x31504e5354464152ULL;  // "RAFTSNP1"
constexpr uint32_t kSnapVersion = 1;
constexpr uint32_t kVotersMax = 1024;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class Reader {
 public:
  explicit Reader(const std::string& s, size_t end) : s_(s), end_(end) {}
  bool Uint(uint64_t& v, int n) {
    if (end_ - pos_ < static_cast<size_t>(n)) return false;
    v = 0;
    for (int i = 0; i < n; i++) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(s_[pos_ + static_cast<size_t>(i)]))
           << (8 * i);
    }
    pos_ += static_cast<size_t>(n);
    return true;
  }
  bool Bytes(std::string& v, uint64_t n) {
    if (end_ - pos_ < n) return false;
    v.assign(s_, pos_, n);
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == end_; }

 private:
  const std::string& s_;
  size_t end_;
  size_t pos_ = 0;
};

Status Corrupt(const std::string& why) {
  return Status::Error(StatusCode::kCorruption, "snapshot file: " + why);
}

bool IsSnapshotName(const std::string& name) {
  return name.size() == 5 + 16 + 1 + 16 + 5 && name.starts_with("snap-") && name.ends_with(".snap");
}

}  // namespace

std::string SnapshotFileName(Index index, Term term) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "snap-%016llx-%016llx.snap",
                static_cast<unsigned long long>(index.value),
                static_cast<unsigned long long>(term.value));
  return buf;
}

std::string EncodeSnapshotFile(const Snapshot& s) {
  std::string out;
  out.reserve(64 + s.data.size() + 8 * s.meta.voters.size());
  PutU64(out, kSnapMagic);
  PutU32(out, kSnapVersion);
  PutU64(out, s.meta.index.value);
  PutU64(out, s.meta.term.value);
  PutU32(out, static_cast<uint32_t>(s.meta.voters.size()));
  for (NodeId v : s.meta.voters) PutU64(out, v.value);
  PutU64(out, s.data.size());
  out.append(s.data);
  PutU32(out, Crc32c(out));
  return out;
}

Result<Snapshot> DecodeSnapshotFile(const std::string& bytes) {
  if (bytes.size() < 4) return Corrupt("shorter than a checksum");
  const size_t body = bytes.size() - 4;
  uint64_t crc = 0;
  Reader tail(bytes, bytes.size());
  std::string skip;
  (void)tail.Bytes(skip, body);
  (void)tail.Uint(crc, 4);
  const uint32_t actual = Crc32c(std::string_view(bytes).substr(0, body));
  if (actual != crc) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "checksum mismatch (stored %08x, computed %08x)",
                  static_cast<unsigned>(crc), actual);
    return Corrupt(buf);
  }
  Reader r(bytes, body);
  uint64_t magic = 0, version = 0, index = 0, term = 0, voters = 0, len = 0;
  if (!r.Uint(magic, 8) || magic != kSnapMagic) return Corrupt("bad magic");
  if (!r.Uint(version, 4) || version != kSnapVersion) return Corrupt("unsupported version");
  if (!r.Uint(index, 8) || !r.Uint(term, 8) || !r.Uint(voters, 4) || voters > kVotersMax) {
    return Corrupt("bad header");
  }
  Snapshot s;
  s.meta.index = Index{index};
  s.meta.term = Term{term};
  for (uint64_t i = 0; i < voters; i++) {
    uint64_t v = 0;
    if (!r.Uint(v, 8)) return Corrupt("truncated voter list");
    s.meta.voters.push_back(NodeId{v});
  }
  if (!r.Uint(len, 8) || !r.Bytes(s.data, len) || !r.AtEnd()) return Corrupt("bad data length");
  return s;
}

Result<std::vector<std::string>> SnapshotStore::ListFiles() {
  Result<std::vector<std::string>> names = fs_.List(dir_);
  if (!names.ok()) return names.status();
  std::vector<std::string> out;
  for (const std::string& n : names.value()) {
    if (IsSnapshotName(n)) out.push_back(n);  // hex names sort by index
  }
  return out;
}

Result<std::optional<Snapshot>> SnapshotStore::Open() {
  Result<std::vector<std::string>> names = fs_.List(dir_);
  if (!names.ok()) return names.status();
  for (const std::string& n : names.value()) {
    if (n.starts_with("snap-") && n.ends_with(".tmp")) {
      Status s = fs_.Remove(JoinPath(dir_, n));
      if (!s.ok()) return s;
    }
  }
  Result<std::vector<std::string>> files = ListFiles();
  if (!files.ok()) return files.status();
  if (files.value().empty()) return std::optional<Snapshot>();
  const std::string path = JoinPath(dir_, files.value().back());
  Result<std::string> bytes = fs_.ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  Result<Snapshot> snap = DecodeSnapshotFile(bytes.value());
  if (!snap.ok()) {
    return Status::Error(StatusCode::kCorruption, path + ": " + snap.status().message());
  }
  if (SnapshotFileName(snap.value().meta.index, snap.value().meta.term) != files.value().back()) {
    return Status::Error(StatusCode::kCorruption, path + ": name does not match its contents");
  }
  return std::optional<Snapshot>(std::move(snap).value());
}

Status SnapshotStore::Save(const Snapshot& snapshot) {
  const std::string name = SnapshotFileName(snapshot.meta.index, snapshot.meta.term);
  const std::string tmp = JoinPath(dir_, name + ".tmp");
  Result<std::unique_ptr<WritableFile>> f = fs_.Create(tmp);
  if (!f.ok()) return f.status();
  Status s = f.value()->Append(EncodeSnapshotFile(snapshot));
  if (s.ok()) s = f.value()->Sync();
  if (s.ok()) s = f.value()->Close();
  if (s.ok()) s = fs_.Rename(tmp, JoinPath(dir_, name));
  if (s.ok()) s = fs_.SyncDir(dir_);
  if (!s.ok()) return s;
  Result<std::vector<std::string>> files = ListFiles();
  if (!files.ok()) return files.status();
  for (size_t i = 0; i + snapshots_kept_ < files.value().size(); i++) {
    s = fs_.Remove(JoinPath(dir_, files.value()[i]));
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace raft
