#include "core/storage/snapshot_file.h"

#include <cstdio>

#include "core/byte_codec.h"
#include "core/storage/crc32c.h"

namespace raft {
namespace {

constexpr uint64_t kSnapMagic = 0x31504e5354464152ULL;  // "RAFTSNP1"
constexpr uint32_t kSnapVersion = 1;
constexpr uint32_t kVotersMax = 1024;

Status Corrupt(const std::string& why) {
  return Status::Error(StatusCode::kCorruption, "snapshot file: " + why);
}

}  // namespace

bool IsSnapshotFileName(const std::string& name) {
  return name.size() == 5 + 16 + 1 + 16 + 5 && name.starts_with("snap-") && name.ends_with(".snap");
}

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
  const auto stored = static_cast<uint32_t>(LoadUint(bytes, body, 4));
  const uint32_t actual = Crc32c(std::string_view(bytes).substr(0, body));
  if (actual != stored) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "checksum mismatch (stored %08x, computed %08x)", stored,
                  actual);
    return Corrupt(buf);
  }
  ByteReader r(std::string_view(bytes).substr(0, body));
  uint64_t magic = 0, index = 0, term = 0, len = 0;
  uint32_t version = 0, voters = 0;
  if (!r.U64(magic) || magic != kSnapMagic) return Corrupt("bad magic");
  if (!r.U32(version) || version != kSnapVersion) return Corrupt("unsupported version");
  if (!r.U64(index) || !r.U64(term) || !r.U32(voters) || voters > kVotersMax) {
    return Corrupt("bad header");
  }
  Snapshot s;
  s.meta.index = Index{index};
  s.meta.term = Term{term};
  for (uint32_t i = 0; i < voters; i++) {
    uint64_t v = 0;
    if (!r.U64(v)) return Corrupt("truncated voter list");
    s.meta.voters.push_back(NodeId{v});
  }
  if (!r.U64(len) || !r.Raw(s.data, len) || !r.AtEnd()) return Corrupt("bad data length");
  return s;
}

Result<std::vector<std::string>> SnapshotStore::ListFiles() {
  Result<std::vector<std::string>> names = fs_.List(dir_);
  if (!names.ok()) return names.status();
  std::vector<std::string> out;
  for (const std::string& n : names.value()) {
    if (IsSnapshotFileName(n)) out.push_back(n);  // hex names sort by index
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
  Status s = WriteFileAtomically(fs_, dir_, name, EncodeSnapshotFile(snapshot));
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
