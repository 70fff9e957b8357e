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

}  // namespace raft::kv
