// Storage: the core's read-only view of what the host has made durable.
//
// The core never writes storage. It hands new entries, hard state and
// snapshots out through Ready; the host persists them and then appends them
// to its Storage implementation before calling Advance. MemoryStorage is the
// pure in-memory implementation used by tests and as the cache in front of
// the write-ahead log.
//
// Threading: single-threaded, owned by the node's event loop.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/message.h"
#include "core/status.h"

namespace raft {

struct InitialState {
  HardState hard_state;
  std::vector<NodeId> voters;  // empty when the log starts fresh
  // Set when recovery found the log damaged below what this node had
  // acknowledged: the node starts repairing (raft.h, "Repair") and must
  // hold a leader-confirmed log up to at least this index before it votes
  // or acknowledges again.
  std::optional<Index> repair_target;
};

class Storage {
 public:
  virtual ~Storage() = default;
  virtual InitialState GetInitialState() const = 0;
  // Entries in [lo, hi), at least one if any, stopping once max_bytes is
  // exceeded. kCompacted if lo <= the snapshot index.
  virtual Result<std::vector<Entry>> Entries(Index lo, Index hi, uint64_t max_bytes) const = 0;
  // Term of entry i; for the snapshot index, the snapshot's term.
  // kCompacted below it, kUnavailable past the last index.
  virtual Result<Term> TermAt(Index i) const = 0;
  virtual Index FirstIndex() const = 0;  // first entry still held
  virtual Index LastIndex() const = 0;   // FirstIndex()-1 when empty
  virtual Result<Snapshot> GetSnapshot() const = 0;
};

// In-memory storage. entries_[0] is a sentinel holding the snapshot's index
// and term, so Term(snapshot index) is always answerable.
class MemoryStorage final : public Storage {
 public:
  MemoryStorage();

  InitialState GetInitialState() const override;
  Result<std::vector<Entry>> Entries(Index lo, Index hi, uint64_t max_bytes) const override;
  Result<Term> TermAt(Index i) const override;
  Index FirstIndex() const override;
  Index LastIndex() const override;
  Result<Snapshot> GetSnapshot() const override;

  void SetHardState(const HardState& hs) { hard_state_ = hs; }
  void SetVoters(std::vector<NodeId> voters) { voters_ = std::move(voters); }
  void SetRepairTarget(std::optional<Index> target) { repair_target_ = target; }
  // Appends entries, truncating any existing suffix they overwrite. Entries
  // already covered by the snapshot are ignored.
  void Append(const std::vector<Entry>& entries);
  // Replaces everything with the snapshot; older snapshots are ignored.
  Status ApplySnapshot(const Snapshot& snapshot);
  // Records a snapshot of the state machine at index (<= last index) and
  // discards entries up to compact_to (default: index). Keeping a tail below
  // the snapshot lets slightly lagging followers catch up from the log.
  Status CreateSnapshot(Index index, std::string data, std::optional<Index> compact_to = {});
  // Discards entries before compact_index (keeping it as the sentinel).
  Status Compact(Index compact_index);

 private:
  Index Offset() const { return entries_.front().index; }

  HardState hard_state_;
  std::vector<NodeId> voters_;
  std::optional<Index> repair_target_;
  Snapshot snapshot_;
  // A deque: appends never move old entries and compaction pops the front.
  std::deque<Entry> entries_;  // Invariant: non-empty, contiguous indexes
};

// Serialized size used for byte limits: payload plus a fixed overhead.
inline uint64_t EntrySizeBytes(const Entry& e) { return e.data.size() + 24; }

}  // namespace raft
