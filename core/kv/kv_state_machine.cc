#include "core/kv/kv_state_machine.h"

#include <algorithm>
#include <vector>

#include "core/assert.h"
#include "core/byte_codec.h"

namespace raft::kv {
namespace {

// Snapshot image versions (see Serialize in the header).
constexpr uint8_t kImageVersion = 3;
constexpr uint8_t kImageVersionNoDigest = 2;

// A command the session rules refused: nothing was executed.
ApplyResult Refused(SessionVerdict verdict) {
  ApplyResult r;
  r.ok = false;
  r.session = verdict;
  return r;
}

}  // namespace

ApplyResult KvStateMachine::Apply(Index index, const Command& c) {
  RAFT_ASSERT_MSG(index > applied_, "entries apply in increasing order");
  applied_ = index;
  return c.client_id == 0 ? Execute(c) : ApplyInSession(index, c);
}

const char* SessionVerdictName(SessionVerdict v) {
  switch (v) {
    case SessionVerdict::kApplied:
      return "applied";
    case SessionVerdict::kDuplicate:
      return "duplicate";
    case SessionVerdict::kStale:
      return "stale";
    case SessionVerdict::kSequenceReused:
      return "sequence-reused";
    case SessionVerdict::kSessionExpired:
      return "session-expired";
    case SessionVerdict::kSequenceAhead:
      return "sequence-ahead";
  }
  return "unknown";
}

Index KvStateMachine::sessions_expired_through() const {
  if (sessions_.size() < sessions_max_) return Index{0};
  RAFT_ASSERT(!sessions_by_use_.empty());
  return sessions_by_use_.begin()->first.Prev();
}

ApplyResult KvStateMachine::ApplyInSession(Index index, const Command& c) {
  auto it = sessions_.find(c.client_id);
  const bool fresh = it == sessions_.end();
  if (!fresh && c.sequence <= it->second.sequence) return AnswerRetry(it->second, c);
  if (fresh && c.sequence != 1 && c.sequence <= sessions_expired_through().value) {
    ApplyResult r = Refused(SessionVerdict::kSessionExpired);
    r.expired_through = sessions_expired_through();
    return r;
  }
  if (c.sequence > index.value) return Refused(SessionVerdict::kSequenceAhead);
  if (fresh) {
    it = sessions_.try_emplace(c.client_id).first;
  } else {
    sessions_by_use_.erase(it->second.last_used);
  }
  Session& s = it->second;
  s.sequence = c.sequence;
  s.digest = CommandDigest(c);
  s.result = Execute(c);
  // Only a compare-and-swap answers with the old value; keeping it for
  // other commands would hold up to a value's size per client for nothing.
  if (c.op != Op::kCompareAndSwap) s.result.value.clear();
  s.last_used = index;
  sessions_by_use_[index] = c.client_id;
  ApplyResult result = s.result;
  while (sessions_.size() > sessions_max_) EvictLeastRecentlyUsed();
  RAFT_ASSERT(sessions_.size() == sessions_by_use_.size());
  return result;
}

ApplyResult KvStateMachine::AnswerRetry(const Session& s, const Command& c) {
  RAFT_ASSERT(c.sequence <= s.sequence);
  if (c.sequence < s.sequence) return Refused(SessionVerdict::kStale);
  if (s.digest != 0 && s.digest != CommandDigest(c)) {
    return Refused(SessionVerdict::kSequenceReused);
  }
  ApplyResult r = s.result;
  r.session = SessionVerdict::kDuplicate;
  r.first_applied = s.last_used;
  return r;
}

void KvStateMachine::EvictLeastRecentlyUsed() {
  RAFT_ASSERT(!sessions_by_use_.empty());
  auto oldest = sessions_by_use_.begin();
  const size_t erased = sessions_.erase(oldest->second);
  RAFT_ASSERT(erased == 1);
  sessions_by_use_.erase(oldest);
  sessions_evicted_++;
}

ApplyResult KvStateMachine::Execute(const Command& c) {
  ApplyResult r;
  auto it = data_.find(c.key);
  r.found = it != data_.end();
  if (r.found) r.value = it->second;
  const auto store = [&] {
    if (r.found) {
      it->second = c.value;
    } else {
      data_.emplace(c.key, c.value);
    }
  };
  switch (c.op) {
    case Op::kPut:
      store();
      break;
    case Op::kDelete:
      r.ok = r.found;
      if (r.found) data_.erase(it);
      break;
    case Op::kCompareAndSwap:
      r.ok = c.expect_absent ? !r.found : (r.found && it->second == c.expected);
      if (r.ok) store();
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
  // FNV-1a per pair, summed: the same for equal contents in any order.
  const auto mix = [](uint64_t h, const std::string& s) {
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
  };
  uint64_t sum = 0;
  for (const auto& [k, v] : data_) sum += mix(mix(1469598103934665603ULL, k), v);
  return sum;
}

std::string KvStateMachine::Serialize() const {
  std::string out;
  out.push_back(static_cast<char>(kImageVersion));
  PutU64(out, applied_.value);
  PutU64(out, data_.size());
  std::vector<const std::pair<const std::string, std::string>*> sorted;
  sorted.reserve(data_.size());
  for (const auto& kv : data_) sorted.push_back(&kv);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* kv : sorted) {
    PutBytes(out, kv->first);
    PutBytes(out, kv->second);
  }
  PutU64(out, sessions_.size());
  for (const auto& [client, s] : sessions_) {
    PutU64(out, client);
    PutU64(out, s.sequence);
    PutU64(out, s.digest);
    out.push_back(static_cast<char>(s.result.ok ? 1 : 0));
    out.push_back(static_cast<char>(s.result.found ? 1 : 0));
    PutBytes(out, s.result.value);
    PutU64(out, s.last_used.value);
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
  if (!r.U8(version) || (version != kImageVersion && version != kImageVersionNoDigest) ||
      !r.U64(applied) || !r.U64(pairs)) {
    return bad();
  }
  std::unordered_map<std::string, std::string> data;
  data.reserve(static_cast<size_t>(std::min<uint64_t>(pairs, image.size() / 8)));
  for (uint64_t i = 0; i < pairs; i++) {
    std::string k, v;
    if (!r.Bytes(k) || !r.Bytes(v)) return bad();
    if (!data.emplace(std::move(k), std::move(v)).second) return bad();
  }
  if (!r.U64(sessions)) return bad();
  std::map<uint64_t, Session> sess;
  std::map<Index, uint64_t> by_use;
  for (uint64_t i = 0; i < sessions; i++) {
    uint64_t client = 0, last_used = 0;
    Session s;
    uint8_t ok = 0, found = 0;
    const bool has_digest = version != kImageVersionNoDigest;
    if (!r.U64(client) || !r.U64(s.sequence) || (has_digest && !r.U64(s.digest)) || !r.U8(ok) ||
        !r.U8(found) || !r.Bytes(s.result.value) || !r.U64(last_used)) {
      return bad();
    }
    s.result.ok = ok != 0;
    s.result.found = found != 0;
    s.last_used = Index{last_used};
    if (!by_use.emplace(s.last_used, client).second) return bad();
    if (!sess.emplace(client, std::move(s)).second) return bad();
  }
  if (!r.AtEnd()) return bad();
  data_ = std::move(data);
  sessions_ = std::move(sess);
  sessions_by_use_ = std::move(by_use);
  applied_ = Index{applied};
  return Status::Ok();
}

}  // namespace raft::kv
