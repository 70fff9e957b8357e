#include "core/unstable_log.h"

#include "core/assert.h"

namespace raft {

std::optional<Index> UnstableLog::MaybeFirstIndex() const {
  if (snapshot_) return snapshot_->meta.index.Next();
  return std::nullopt;
}

std::optional<Index> UnstableLog::MaybeLastIndex() const {
  if (!entries_.empty()) return offset_ + (entries_.size() - 1);
  if (snapshot_) return snapshot_->meta.index;
  return std::nullopt;
}

std::optional<Term> UnstableLog::MaybeTerm(Index i) const {
  if (i < offset_) {
    if (snapshot_ && snapshot_->meta.index == i) return snapshot_->meta.term;
    return std::nullopt;
  }
  const auto last = MaybeLastIndex();
  if (!last || i > *last) return std::nullopt;
  return entries_[Distance(offset_, i)].term;
}

void UnstableLog::TruncateAndAppend(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  const Index after = entries.front().index;
  if (after == offset_ + entries_.size()) {
    // Directly follows the unstable tail.
  } else if (after <= offset_) {
    // Replaces the whole unstable tail (and, for the host, part of storage).
    offset_ = after;
    entries_.clear();
  } else {
    // Truncates inside the unstable tail; past its end would invent entries.
    RAFT_ASSERT_MSG(after < offset_ + entries_.size(), "gap in unstable entries");
    entries_.resize(Distance(offset_, after));
  }
  for (const Entry& e : entries) {
    RAFT_ASSERT(e.index == offset_ + entries_.size());
    entries_.push_back(e);
  }
}

void UnstableLog::StableTo(Index index, Term term) {
  const auto t = MaybeTerm(index);
  if (!t || *t != term || index < offset_) return;
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<long>(Distance(offset_, index) + 1));
  offset_ = index.Next();
}

void UnstableLog::StableSnapshotTo(Index index) {
  if (snapshot_ && snapshot_->meta.index == index) snapshot_.reset();
}

void UnstableLog::Restore(const Snapshot& snapshot) {
  offset_ = snapshot.meta.index.Next();
  entries_.clear();
  snapshot_ = snapshot;
}

std::vector<Entry> UnstableLog::Slice(Index lo, Index hi) const {
  RAFT_ASSERT(lo >= offset_ && lo <= hi);
  RAFT_ASSERT(Distance(offset_, hi) <= entries_.size());
  return std::vector<Entry>(entries_.begin() + static_cast<long>(Distance(offset_, lo)),
                            entries_.begin() + static_cast<long>(Distance(offset_, hi)));
}

}  // namespace raft
