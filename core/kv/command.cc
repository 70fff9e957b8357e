#include "core/kv/command.h"

#include "core/byte_codec.h"

namespace raft::kv {
namespace {

constexpr uint8_t kVersion = 1;

// FNV-1a (64-bit) fed the same little-endian layout PutU8/PutU32/PutU64 and
// PutBytes write.
class Fnv1a64 {
 public:
  void U8(uint8_t v) { hash_ = (hash_ ^ v) * 1099511628211ULL; }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; i++) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; i++) U8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void Bytes(const std::string& s) {
    U32(static_cast<uint32_t>(s.size()));
    for (unsigned char ch : s) U8(ch);
  }
  uint64_t hash() const { return hash_; }

 private:
  uint64_t hash_ = 14695981039346656037ULL;
};

}  // namespace

const char* OpName(Op op) {
  switch (op) {
    case Op::kPut:
      return "put";
    case Op::kDelete:
      return "delete";
    case Op::kCompareAndSwap:
      return "cas";
    case Op::kGet:
      return "get";
  }
  return "unknown";
}

std::string Encode(const Command& c) {
  std::string out;
  out.reserve(40 + c.key.size() + c.value.size() + c.expected.size());
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(c.op));
  PutU64(out, c.client_id);
  PutU64(out, c.sequence);
  PutBytes(out, c.key);
  PutBytes(out, c.value);
  PutBytes(out, c.expected);
  out.push_back(static_cast<char>(c.expect_absent ? 1 : 0));
  return out;
}

uint64_t CommandDigest(const Command& c) {
  // Field for field what Encode writes; a test holds the two together.
  Fnv1a64 h;
  h.U8(kVersion);
  h.U8(static_cast<uint8_t>(c.op));
  h.U64(c.client_id);
  h.U64(c.sequence);
  h.Bytes(c.key);
  h.Bytes(c.value);
  h.Bytes(c.expected);
  h.U8(c.expect_absent ? 1 : 0);
  return h.hash() == 0 ? 1 : h.hash();
}

Result<Command> Decode(const std::string& bytes) {
  ByteReader r(bytes);
  Command c;
  uint8_t version = 0, op = 0, flags = 0;
  if (!r.U8(version) || version != kVersion) {
    return Status::Error(StatusCode::kCorruption, "command: unknown version");
  }
  const bool ok = r.U8(op) && r.U64(c.client_id) && r.U64(c.sequence) && r.Bytes(c.key) &&
                  r.Bytes(c.value) && r.Bytes(c.expected) && r.U8(flags) && r.AtEnd();
  if (!ok) return Status::Error(StatusCode::kCorruption, "command: truncated or malformed");
  if (op < static_cast<uint8_t>(Op::kPut) || op > static_cast<uint8_t>(Op::kGet)) {
    return Status::Error(StatusCode::kCorruption, "command: unknown op");
  }
  c.op = static_cast<Op>(op);
  c.expect_absent = (flags & 1) != 0;
  return c;
}

}  // namespace raft::kv
