// UnstableLog: the tail of the log that the core has accepted but the host
// has not yet made durable, plus an incoming snapshot waiting to be saved.
//
// Invariant: entries are contiguous and entries[0].index == offset_; when a
// snapshot is pending, offset_ == snapshot index + 1.
//
// Threading: single-threaded, owned by RaftLog.
#pragma once

#include <optional>
#include <vector>

#include "core/message.h"

namespace raft {

class UnstableLog {
 public:
  explicit UnstableLog(Index offset) : offset_(offset) {}

  std::optional<Index> MaybeFirstIndex() const;
  std::optional<Index> MaybeLastIndex() const;
  std::optional<Term> MaybeTerm(Index i) const;

  // Writes entries at their indexes, dropping any unstable suffix they
  // replace. Callers have already skipped entries that match.
  void TruncateAndAppend(const std::vector<Entry>& entries);
  // The host persisted everything up to (index, term): drop it from here.
  // Ignored when the entry at index has since been replaced.
  void StableTo(Index index, Term term);
  void StableSnapshotTo(Index index);
  void Restore(const Snapshot& snapshot);

  const std::vector<Entry>& entries() const { return entries_; }
  const std::optional<Snapshot>& snapshot() const { return snapshot_; }
  Index offset() const { return offset_; }
  // Entries in [lo, hi), which must lie inside the unstable range.
  std::vector<Entry> Slice(Index lo, Index hi) const;

 private:
  std::optional<Snapshot> snapshot_;
  std::vector<Entry> entries_;
  Index offset_;
};

}  // namespace raft
