#include "core/kv/kv_state_machine.h"

#include "core/assert.h"
#include "core/byte_codec.h"

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

std::string KvStateMachine::Serialize() const {
  std::string out;
  out.push_back(1);
  PutU64(out, applied_.value);
  PutU64(out, data_.size());
  for (const auto& [k, v] : data_) {
    PutBytes(out, k);
    PutBytes(out, v);
  }
  PutU64(out, sessions_.size());
  for (const auto& [client, s] : sessions_) {
    PutU64(out, client);
    PutU64(out, s.sequence);
    out.push_back(static_cast<char>(s.result.ok ? 1 : 0));
    out.push_back(static_cast<char>(s.result.found ? 1 : 0));
    PutBytes(out, s.result.value);
  }
  return out;
}

Status KvStateMachine::Restore(const std::string& image) {
  auto bad = [] {
    return Status::Error(StatusCode::kCorruption, "kv snapshot image is malformed");
  };
  ByteReader r(image);
  uint8_t version = 0;
  uint64_t applied = 0, pairs = 0, sessions = 0;
  if (!r.U8(version) || version != 1 || !r.U64(applied) || !r.U64(pairs)) return bad();
  std::map<std::string, std::string> data;
  for (uint64_t i = 0; i < pairs; i++) {
    std::string k, v;
    if (!r.Bytes(k) || !r.Bytes(v)) return bad();
    data.emplace(std::move(k), std::move(v));
  }
  if (!r.U64(sessions)) return bad();
  std::map<uint64_t, Session> sess;
  for (uint64_t i = 0; i < sessions; i++) {
    uint64_t client = 0;
    Session s;
    uint8_t ok = 0, found = 0;
    if (!r.U64(client) || !r.U64(s.sequence) || !r.U8(ok) || !r.U8(found) ||
        !r.Bytes(s.result.value)) {
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
