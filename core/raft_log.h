// RaftLog: the node's whole log as Raft sees it, stitched from the durable
// part (Storage, owned by the host) and the unstable tail (not yet durable).
//
//   storage:  [snapshot] [first ............ stable last]
//   unstable:                         [offset .............. last]
//
// Invariant: applied <= committed <= LastIndex().
// Invariant: committed never decreases (a committed entry is never removed).
//
// Threading: single-threaded, owned by Raft.
#pragma once

#include <optional>
#include <vector>

#include "core/storage.h"
#include "core/unstable_log.h"

namespace raft {

class RaftLog {
 public:
  explicit RaftLog(const Storage& storage);

  Index FirstIndex() const;
  Index LastIndex() const;
  Term LastTerm() const;
  // Term of entry i; index 0 and the snapshot index are answerable.
  Result<Term> TermAt(Index i) const;
  // TermAt, with 0 for anything compacted or missing.
  Term TermOrZero(Index i) const;
  bool MatchTerm(Index i, Term t) const;

  // Follower side of AppendEntries (Figure 2, receiver rules 2-5). Returns the
  // index of the last new entry when (prev_index, prev_term) matches.
  std::optional<Index> MaybeAppend(Index prev_index, Term prev_term, Index leader_commit,
                                   const std::vector<Entry>& entries);
  // Leader side: appends entries at LastIndex()+1.
  Index Append(const std::vector<Entry>& entries);

  // First index where entries disagree with the log (a term mismatch or a new
  // index), or nullopt when every entry is already present. Matching entries
  // are never truncated: that is what makes stale appends harmless.
  std::optional<Index> FindConflict(const std::vector<Entry>& entries) const;
  // First index of the term held at index i, scanning back no further than
  // the first available entry. Used for the rejection hint.
  Index FirstIndexOfTerm(Index i) const;
  // Largest index <= i whose term is <= term (0 if none is known).
  Index LastIndexAtOrBelowTerm(Index i, Term term) const;

  // Election restriction (section 5.4.1): is (last_index, last_term) at
  // least as up-to-date as this log?
  bool IsUpToDate(Index last_index, Term last_term) const;

  // Commits max_index if it holds an entry of `term` (Figure 8 rule).
  bool MaybeCommit(Index max_index, Term term);
  void CommitTo(Index i);
  void AppliedTo(Index i);

  // Entries in [lo, hi), up to max_bytes (always at least one).
  Result<std::vector<Entry>> Slice(Index lo, Index hi, uint64_t max_bytes) const;
  // Committed entries not yet handed out for applying.
  std::vector<Entry> NextCommittedEntries(uint64_t max_bytes) const;
  bool HasNextCommittedEntries() const;

  const std::vector<Entry>& UnstableEntries() const { return unstable_.entries(); }
  const std::optional<Snapshot>& UnstableSnapshot() const { return unstable_.snapshot(); }
  // Last index already durable on this node.
  Index LastStableIndex() const { return unstable_.offset().Prev(); }
  void StableTo(Index i, Term t) { unstable_.StableTo(i, t); }
  void StableSnapshotTo(Index i) { unstable_.StableSnapshotTo(i); }
  // Installs a snapshot; false when the log already covers it (in which case
  // the commit index is fast-forwarded).
  bool Restore(const Snapshot& snapshot);
  Result<Snapshot> GetSnapshot() const;

  Index committed() const { return committed_; }
  Index applied() const { return applied_; }

 private:
  const Storage& storage_;
  UnstableLog unstable_;
  Index committed_;  // Invariant: monotonic, <= LastIndex()
  Index applied_;    // Invariant: monotonic, <= committed_
};

}  // namespace raft
