#include "core/kv/kv_state_machine.h"

#include "core/assert.h"

namespace raft::kv {

ApplyResult KvStateMachine::Apply(Index index, const Command& c) {
  RAFT_ASSERT_MSG(index > applied_, "entries apply in increasing order");
  applied_ = index;
  if (c.client_id != 0) {
    Session& s = sessions_[c.client_id];
    if (c.sequence != 0 && c.sequence <= s.sequence) {
      ApplyResult r = s.result;
      r.duplicate = true;
      return r;
    }
    s.sequence = c.sequence;
    s.result = Execute(c);
    return s.result;
  }
  return Execute(c);
}

ApplyResult KvStateMachine::Execute(const Command& c) {
  ApplyResult r;
  auto it = data_.find(c.key);
  r.found = it != data_.end();
  if (r.found) r.value = it->second;
  switch (c.op) {
    case Op::kPut:
      data_[c.key] = c.value;
      break;
    case Op::kDelete:
      r.ok = r.found;
      if (r.found) data_.erase(it);
      break;
    case Op::kCompareAndSwap:
      r.ok = c.expect_absent ? !r.found : (r.found && it->second == c.expected);
      if (r.ok) data_[c.key] = c.value;
      break;
    case Op::kGet:
      break;  // a read through the log changes nothing
  }
  return r;
}

std::optional<std::string> KvStateMachine::Get(const std::string& key) const {
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

uint64_t KvStateMachine::Digest() const {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a over the ordered map
  auto mix = [&h](const std::string& s) {
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  };
  for (const auto& [k, v] : data_) {
    mix(k);
    mix(v);
  }
  return h;
}

namespace {

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutString(std::string& out, const std::string& s) {
  const auto n = static_cast<uint32_t>(s.size());
  for (int i = 0; i < 4; i++) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += s;
}

class ImageReader {
 public:
  explicit ImageReader(const std::string& s) : s_(s) {}
  bool U8(uint8_t& v) {
    if (pos_ >= s_.size()) return false;
    v = static_cast<uint8_t>(s_[pos_++]);
    return true;
  }
  bool U64(uint64_t& v) { return Uint(v, 8); }
  bool String(std::string& v) {
    uint64_t n = 0;
    if (!Uint(n, 4) || n > s_.size() - pos_) return false;
    v.assign(s_, pos_, n);
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == s_.size(); }
  size_t Remaining() const { return s_.size() - pos_; }

 private:
  bool Uint(uint64_t& v, size_t n) {
    if (s_.size() - pos_ < n) return false;
    v = 0;
    for (size_t i = 0; i < n; i++) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(s_[pos_ + i])) << (8 * i);
    }
    pos_ += n;
    return true;
  }
  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

std::string KvStateMachine::Serialize() const {
  std::string out;
  out.push_back(1);
  PutU64(out, applied_.value);
  PutU64(out, data_.size());
  for (const auto& [k, v] : data_) {
    PutString(out, k);
    PutString(out, v);
  }
  PutU64(out, sessions_.size());
  for (const auto& [client, s] : sessions_) {
    PutU64(out, client);
    PutU64(out, s.sequence);
    out.push_back(static_cast<char>(s.result.ok ? 1 : 0));
    out.push_back(static_cast<char>(s.result.found ? 1 : 0));
    PutString(out, s.result.value);
  }
  return out;
}

Status KvStateMachine::Restore(const std::string& image) {
  auto bad = [] {
    return Status::Error(StatusCode::kCorruption, "kv snapshot image is malformed");
  };
  ImageReader r(image);
  uint8_t version = 0;
  uint64_t applied = 0, pairs = 0, sessions = 0;
  if (!r.U8(version) || version != 1 || !r.U64(applied) || !r.U64(pairs)) return bad();
  std::map<std::string, std::string> data;
  for (uint64_t i = 0; i < pairs; i++) {
    std::string k, v;
    if (!r.String(k) || !r.String(v)) return bad();
    data.emplace(std::move(k), std::move(v));
  }
  if (!r.U64(sessions)) return bad();
  std::map<uint64_t, Session> sess;
  for (uint64_t i = 0; i < sessions; i++) {
    uint64_t client = 0;
    Session s;
    uint8_t ok = 0, found = 0;
    if (!r.U64(client) || !r.U64(s.sequence) || !r.U8(ok) || !r.U8(found) ||
        !r.String(s.result.value)) {
      return bad();
    }
    s.result.ok = ok != 0;
    s.result.found = found != 0;
    sess.emplace(client, std::move(s));
  }
  if (!r.AtEnd()) return bad();
  data_ = std::move(data);
  sessions_ = std::move(sess);
  applied_ = Index{applied};
  return Status::Ok();
}

}  // namespace raft::kv
