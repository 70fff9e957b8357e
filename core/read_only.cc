#include "core/read_only.h"

#include <algorithm>

namespace raft {

uint64_t ReadOnly::Add(uint64_t request_id, Index commit, NodeId self) {
  if (!HasUnsentRound()) pending_.push_back(Round{next_context_++, {}, {self}});
  Round& round = pending_.back();
  round.reads.push_back(ReadState{request_id, commit});
  return round.context;
}

uint64_t ReadOnly::MarkSent() {
  if (pending_.empty()) return 0;
  sent_ = pending_.back().context;
  return sent_;
}

std::vector<ReadState> ReadOnly::Ack(uint64_t context, NodeId from, size_t quorum) {
  if (context > sent_) return {};
  for (Round& round : pending_) {
    if (round.context > context) break;
    if (std::find(round.acks.begin(), round.acks.end(), from) == round.acks.end()) {
      round.acks.push_back(from);
    }
  }
  std::vector<ReadState> done;
  while (!pending_.empty() && pending_.front().acks.size() >= quorum) {
    done.insert(done.end(), pending_.front().reads.begin(), pending_.front().reads.end());
    pending_.pop_front();
  }
  return done;
}

size_t ReadOnly::PendingCount() const {
  size_t count = 0;
  for (const Round& round : pending_) count += round.reads.size();
  return count;
}

}  // namespace raft
