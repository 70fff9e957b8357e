#include "core/durable_log.h"

namespace raft {

Status MemoryDurableLog::Save(const std::optional<HardState>& hard_state,
                              const std::vector<Entry>& entries, const Snapshot& snapshot,
                              bool /*sync*/) {
  if (!snapshot.IsEmpty()) {
    Status s = storage_.ApplySnapshot(snapshot);
    if (!s.ok()) return s;
  }
  storage_.Append(entries);
  if (hard_state) storage_.SetHardState(*hard_state);
  return Status::Ok();
}

}  // namespace raft
