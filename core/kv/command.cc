#include "core/kv/command.h"

namespace raft::kv {
namespace {

constexpr uint8_t kVersion = 1;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutBytes(std::string& out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// Bounds-checked reader: every read fails cleanly on truncated input.
class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  bool U8(uint8_t& v) {
    if (pos_ + 1 > s_.size()) return false;
    v = static_cast<uint8_t>(s_[pos_++]);
    return true;
  }
  bool U32(uint32_t& v) { return Uint(v, 4); }
  bool U64(uint64_t& v) { return Uint(v, 8); }
  bool Bytes(std::string& v) {
    uint32_t n = 0;
    if (!U32(n) || n > s_.size() - pos_) return false;
    v.assign(s_, pos_, n);
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == s_.size(); }

 private:
  template <typename T>
  bool Uint(T& v, size_t n) {
    if (pos_ + n > s_.size()) return false;
    v = 0;
    for (size_t i = 0; i < n; i++) {
      v |= static_cast<T>(static_cast<uint8_t>(s_[pos_ + i])) << (8 * i);
    }
    pos_ += n;
    return true;
  }
  const std::string& s_;
  size_t pos_ = 0;
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

Result<Command> Decode(const std::string& bytes) {
  Reader r(bytes);
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
