#include <algorithm>

#include "core/storage.h"

namespace raft {

MemoryStorage::MemoryStorage() { entries_.push_back(Entry{}); }

InitialState MemoryStorage::GetInitialState() const {
  return InitialState{hard_state_, voters_, repair_target_};
}

Index MemoryStorage::FirstIndex() const { return Offset().Next(); }

Index MemoryStorage::LastIndex() const { return Offset() + (entries_.size() - 1); }

Result<Term> MemoryStorage::TermAt(Index i) const {
  if (i < Offset()) return Status::Error(StatusCode::kCompacted, "compacted");
  if (i > LastIndex()) return Status::Error(StatusCode::kUnavailable, "unavailable");
  return entries_[Distance(Offset(), i)].term;
}

Result<std::vector<Entry>> MemoryStorage::Entries(Index lo, Index hi, uint64_t max_bytes) const {
  if (lo <= Offset()) return Status::Error(StatusCode::kCompacted, "compacted");
  RAFT_ASSERT_MSG(hi <= LastIndex().Next(), "entries past the last index");
  std::vector<Entry> out;
  uint64_t bytes = 0;
  for (Index i = lo; i < hi; i = i.Next()) {
    const Entry& e = entries_[Distance(Offset(), i)];
    bytes += EntrySizeBytes(e);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

Result<Snapshot> MemoryStorage::GetSnapshot() const { return snapshot_; }

void MemoryStorage::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  const Index first = FirstIndex();
  const Index last = entries.back().index;
  if (last < first) return;  // all covered by the snapshot
  size_t skip = 0;
  if (entries.front().index < first) skip = Distance(entries.front().index, first);
  const Index start = entries[skip].index;
  RAFT_ASSERT_MSG(start <= LastIndex().Next(), "gap in appended entries");
  entries_.resize(Distance(Offset(), start));
  entries_.insert(entries_.end(), entries.begin() + static_cast<long>(skip), entries.end());
}

Status MemoryStorage::ApplySnapshot(const Snapshot& snapshot) {
  if (snapshot.meta.index <= snapshot_.meta.index) {
    return Status::Error(StatusCode::kInvalidArgument, "snapshot out of date");
  }
  snapshot_ = snapshot;
  entries_.assign(1, Entry{snapshot.meta.term, snapshot.meta.index, EntryType::kNoop, {}});
  voters_ = snapshot.meta.voters;
  return Status::Ok();
}

Status MemoryStorage::CreateSnapshot(Index index, std::string data,
                                     std::optional<Index> compact_to) {
  if (index <= snapshot_.meta.index) {
    return Status::Error(StatusCode::kInvalidArgument, "snapshot out of date");
  }
  // Below the sentinel the term is gone (compacted without a snapshot).
  if (index < Offset()) return Status::Error(StatusCode::kCompacted, "compacted");
  RAFT_ASSERT_MSG(index <= LastIndex(), "snapshot past the last index");
  snapshot_.meta.index = index;
  snapshot_.meta.term = entries_[Distance(Offset(), index)].term;
  snapshot_.meta.voters = voters_;
  snapshot_.data = std::move(data);
  const Index compact = std::min(compact_to.value_or(index), index);
  if (compact <= Offset()) return Status::Ok();  // already compacted that far
  return Compact(compact);
}

Status MemoryStorage::Compact(Index compact_index) {
  if (compact_index <= Offset()) {
    return Status::Error(StatusCode::kCompacted, "already compacted");
  }
  RAFT_ASSERT_MSG(compact_index <= LastIndex(), "compact past the last index");
  const auto drop = static_cast<long>(Distance(Offset(), compact_index));
  entries_.erase(entries_.begin(), entries_.begin() + drop);
  entries_.front().data.clear();
  return Status::Ok();
}

}  // namespace raft
