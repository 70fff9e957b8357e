#include "core/raft_log.h"

#include <algorithm>

namespace raft {

RaftLog::RaftLog(const Storage& storage)
    : storage_(storage), unstable_(storage.LastIndex().Next()) {
  const Index first = storage.FirstIndex();
  // A restarted node has applied at least up to its snapshot.
  committed_ = first.Prev();
  applied_ = first.Prev();
}

Index RaftLog::FirstIndex() const {
  if (auto i = unstable_.MaybeFirstIndex()) return *i;
  return storage_.FirstIndex();
}

Index RaftLog::LastIndex() const {
  if (auto i = unstable_.MaybeLastIndex()) return *i;
  return storage_.LastIndex();
}

Term RaftLog::LastTerm() const {
  Result<Term> t = TermAt(LastIndex());
  RAFT_ASSERT_MSG(t.ok(), "term of the last entry is always known");
  return t.value();
}

Result<Term> RaftLog::TermAt(Index i) const {
  const Index dummy = FirstIndex().Prev();
  if (i < dummy) return Status::Error(StatusCode::kCompacted, "compacted");
  if (i > LastIndex()) return Status::Error(StatusCode::kUnavailable, "past last index");
  if (auto t = unstable_.MaybeTerm(i)) return *t;
  return storage_.TermAt(i);
}

Term RaftLog::TermOrZero(Index i) const {
  Result<Term> t = TermAt(i);
  return t.ok() ? t.value() : Term{};
}

bool RaftLog::MatchTerm(Index i, Term t) const {
  Result<Term> got = TermAt(i);
  return got.ok() && got.value() == t;
}

std::optional<Index> RaftLog::MaybeAppend(Index prev_index, Term prev_term, Index leader_commit,
                                          const std::vector<Entry>& entries) {
  if (!MatchTerm(prev_index, prev_term)) return std::nullopt;
  const Index last_new = prev_index + entries.size();
  if (auto conflict = FindConflict(entries)) {
    RAFT_ASSERT_MSG(*conflict > committed_, "conflict with a committed entry");
    const size_t skip = Distance(prev_index.Next(), *conflict);
    Append(std::vector<Entry>(entries.begin() + static_cast<long>(skip), entries.end()));
  }
  // Figure 2, AppendEntries rule 5: commit = min(leaderCommit, last new entry).
  CommitTo(std::min(leader_commit, last_new));
  return last_new;
}

Index RaftLog::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return LastIndex();
  RAFT_ASSERT_MSG(entries.front().index > committed_, "overwriting a committed entry");
  unstable_.TruncateAndAppend(entries);
  return LastIndex();
}

std::optional<Index> RaftLog::FindConflict(const std::vector<Entry>& entries) const {
  for (const Entry& e : entries) {
    if (!MatchTerm(e.index, e.term)) return e.index;
  }
  return std::nullopt;
}

Index RaftLog::FirstIndexOfTerm(Index i) const {
  const Term term = TermOrZero(i);
  const Index floor = FirstIndex();
  while (i > floor && TermOrZero(i.Prev()) == term) i = i.Prev();
  return i;
}

Index RaftLog::LastIndexAtOrBelowTerm(Index i, Term term) const {
  i = std::min(i, LastIndex());
  while (true) {
    Result<Term> t = TermAt(i);
    if (!t.ok()) return Index{};
    if (t.value() <= term) return i;
    if (i == Index{}) return i;
    i = i.Prev();
  }
}

bool RaftLog::IsUpToDate(Index last_index, Term last_term) const {
  const Term my_term = LastTerm();
  return last_term > my_term || (last_term == my_term && last_index >= LastIndex());
}

bool RaftLog::MaybeCommit(Index max_index, Term term) {
  if (max_index > committed_ && TermOrZero(max_index) == term) {
    CommitTo(max_index);
    return true;
  }
  return false;
}

void RaftLog::CommitTo(Index i) {
  if (i <= committed_) return;  // never decrease
  RAFT_ASSERT_MSG(i <= LastIndex(), "commit index past the last index");
  committed_ = i;
}

void RaftLog::AppliedTo(Index i) {
  if (i == Index{}) return;
  RAFT_ASSERT_MSG(i <= committed_ && i >= applied_, "applied out of range");
  applied_ = i;
}

Result<std::vector<Entry>> RaftLog::Slice(Index lo, Index hi, uint64_t max_bytes) const {
  RAFT_ASSERT(lo <= hi);
  if (lo == hi) return std::vector<Entry>{};
  if (lo < FirstIndex()) return Status::Error(StatusCode::kCompacted, "compacted");
  RAFT_ASSERT_MSG(hi <= LastIndex().Next(), "slice past the last index");
  std::vector<Entry> out;
  const Index split = unstable_.offset();
  if (lo < split) {
    Result<std::vector<Entry>> stored = storage_.Entries(lo, std::min(hi, split), max_bytes);
    if (!stored.ok()) return stored.status();
    out = std::move(stored).value();
    // Storage stopped early on the byte limit: do not splice unstable entries.
    if (out.size() < Distance(lo, std::min(hi, split))) return out;
  }
  if (hi > split) {
    const Index from = std::max(lo, split);
    uint64_t bytes = 0;
    for (const Entry& e : out) bytes += EntrySizeBytes(e);
    for (Entry& e : unstable_.Slice(from, hi)) {
      bytes += EntrySizeBytes(e);
      if (!out.empty() && bytes > max_bytes) break;
      out.push_back(std::move(e));
    }
  }
  return out;
}

bool RaftLog::HasNextCommittedEntries() const {
  return committed_ > std::max(applied_, FirstIndex().Prev());
}

std::vector<Entry> RaftLog::NextCommittedEntries(uint64_t max_bytes) const {
  if (!HasNextCommittedEntries()) return {};
  const Index lo = std::max(applied_.Next(), FirstIndex());
  Result<std::vector<Entry>> ents = Slice(lo, committed_.Next(), max_bytes);
  RAFT_ASSERT_MSG(ents.ok(), "committed entries must be readable");
  return std::move(ents).value();
}

bool RaftLog::Restore(const Snapshot& snapshot) {
  const Index idx = snapshot.meta.index;
  if (idx <= committed_) return false;
  if (MatchTerm(idx, snapshot.meta.term)) {
    CommitTo(idx);
    return false;
  }
  unstable_.Restore(snapshot);
  committed_ = idx;
  return true;
}

Result<Snapshot> RaftLog::GetSnapshot() const {
  if (unstable_.snapshot()) return *unstable_.snapshot();
  return storage_.GetSnapshot();
}

}  // namespace raft
