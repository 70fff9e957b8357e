#include "core/inflights.h"

#include "core/assert.h"

namespace raft {

void Inflights::Add(Index last_index) {
  RAFT_ASSERT_MSG(!Full(), "inflight window overflow");
  RAFT_ASSERT(indexes_.empty() || indexes_.back() < last_index);
  indexes_.push_back(last_index);
}

void Inflights::FreeLE(Index index) {
  while (!indexes_.empty() && indexes_.front() <= index) indexes_.pop_front();
}

}  // namespace raft
