#include "core/read_only.h"

namespace raft {

uint64_t ReadOnly::Add(uint64_t request_id, Index commit, NodeId self) {
  const uint64_t context = next_context_++;
  pending_.push_back(Round{context, ReadState{request_id, commit}, {self}});
  return context;
}

std::vector<ReadState> ReadOnly::Ack(uint64_t context, NodeId from, size_t quorum) {
  // A context never handed out proves nothing about any round: ignore it.
  if (context >= next_context_) return {};
  // An ack of round c proves leadership after every round <= c started.
  for (Round& round : pending_) {
    if (round.context > context) break;
    round.acks.insert(from);
  }
  // Earlier rounds hold a superset of later rounds' acks, so pop in order.
  std::vector<ReadState> done;
  while (!pending_.empty() && pending_.front().acks.size() >= quorum) {
    done.push_back(pending_.front().read);
    pending_.pop_front();
  }
  return done;
}

uint64_t ReadOnly::LastContext() const { return pending_.empty() ? 0 : pending_.back().context; }

}  // namespace raft
