#include "core/storage/wal_meta.h"

#include "core/byte_codec.h"
#include "core/storage/crc32c.h"

namespace raft {
namespace {

constexpr uint64_t kMetaMagic = 0x4154454d54464152ULL;  // "RAFTMETA"
constexpr uint32_t kMetaVersion = 1;

Status Corruption(const std::string& what) {
  return Status::Error(StatusCode::kCorruption, "WAL metadata: " + what);
}

}  // namespace

std::string EncodeWalMeta(const WalMeta& meta) {
  std::string out;
  PutU64(out, kMetaMagic);
  PutU32(out, kMetaVersion);
  PutU64(out, meta.node.value);
  PutBytes(out, meta.cluster_id);
  PutU64(out, meta.term.value);
  PutU64(out, meta.vote.value);
  PutU64(out, meta.acked_index.value);
  PutU64(out, meta.last_segment);
  PutU8(out, meta.repair_target ? 1 : 0);
  PutU64(out, meta.repair_target.value_or(Index{}).value);
  PutU32(out, Crc32c(out));
  return out;
}

Result<WalMeta> DecodeWalMeta(std::string_view bytes) {
  if (bytes.size() < 4) return Corruption("file is " + std::to_string(bytes.size()) + " bytes");
  const std::string_view body = bytes.substr(0, bytes.size() - 4);
  const auto stored = static_cast<uint32_t>(LoadUint(bytes, bytes.size() - 4, 4));
  if (Crc32c(body) != stored) return Corruption("checksum mismatch");
  ByteReader r(body);
  uint64_t magic = 0, node = 0, term = 0, vote = 0, acked = 0, target = 0;
  uint32_t version = 0;
  uint8_t repairing = 0;
  WalMeta meta;
  if (!r.U64(magic) || magic != kMetaMagic) return Corruption("bad magic: not a metadata file");
  if (!r.U32(version) || version != kMetaVersion) {
    return Corruption("unsupported version " + std::to_string(version));
  }
  if (!r.U64(node) || !r.Bytes(meta.cluster_id) || !r.U64(term) || !r.U64(vote) || !r.U64(acked) ||
      !r.U64(meta.last_segment) || !r.U8(repairing) || !r.U64(target) || repairing > 1 ||
      r.Remaining() != 0) {
    return Corruption("malformed fields");
  }
  meta.node = NodeId{node};
  meta.term = Term{term};
  meta.vote = NodeId{vote};
  meta.acked_index = Index{acked};
  if (repairing == 1) meta.repair_target = Index{target};
  return meta;
}

Result<std::optional<WalMeta>> ReadWalMeta(FileSystem& fs, const std::string& dir) {
  const std::string path = JoinPath(dir, kWalMetaFileName);
  if (!fs.Exists(path)) return std::optional<WalMeta>();
  Result<std::string> bytes = fs.ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  Result<WalMeta> meta = DecodeWalMeta(bytes.value());
  if (!meta.ok()) return Status::Error(meta.status().code(), path + ": " + meta.status().message());
  return std::optional<WalMeta>(std::move(meta).value());
}

Status WriteWalMeta(FileSystem& fs, const std::string& dir, const WalMeta& meta) {
  return WriteFileAtomically(fs, dir, kWalMetaFileName, EncodeWalMeta(meta));
}

}  // namespace raft
