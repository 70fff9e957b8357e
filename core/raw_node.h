// RawNode: wraps Raft and batches its outputs into a Ready, the unit of work
// the host performs between two calls into the core (etcd-io/raft's shape).
//
// The host's loop, written once in the Replica:
//   1. persist rd.snapshot, rd.entries and rd.hard_state (one sync if
//      rd.must_sync) — BEFORE sending anything, because votes and
//      append acks in rd.messages promise that this state is durable;
//   2. send rd.messages;
//   3. apply rd.committed_entries and answer rd.read_states;
//   4. call Advance(rd).
//
// Threading: single-threaded; the host's event loop owns it.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "core/raft.h"

namespace raft {

struct Ready {
  std::optional<SoftState> soft_state;   // set when role or leader changed
  std::optional<HardState> hard_state;   // set when term, vote or commit changed
  std::vector<Entry> entries;            // to append to stable storage
  Snapshot snapshot;                     // to install, if not empty
  std::vector<Entry> committed_entries;  // to apply, in order
  std::vector<Message> messages;         // to send after persisting
  std::vector<ReadState> read_states;    // reads confirmed by a quorum
  bool must_sync = false;                // entries, vote or term changed
  bool repaired = false;                 // a damaged log was repaired: record it before sending

  bool Empty() const;
};

class RawNode {
 public:
  RawNode(const Config& config, const Storage& storage, std::unique_ptr<Rng> rng);

  void Tick() { raft_.Tick(); }
  Status Step(const Message& m);
  Result<Index> Propose(std::string data) { return raft_.Propose(std::move(data)); }
  Status ReadIndex(uint64_t request_id) { return raft_.ReadIndex(request_id); }
  void Campaign();  // start an election now (tests, leadership transfer)
  void ReportUnreachable(NodeId peer) { raft_.ReportUnreachable(peer); }
  void ReportSnapshot(NodeId peer, bool ok) { raft_.ReportSnapshot(peer, ok); }

  bool HasReady() const;
  // Hands out everything pending. Exactly one Ready may be outstanding.
  Ready GetReady();
  // The host finished the Ready: entries are durable, entries applied.
  void Advance(const Ready& rd);

  const Raft& raft() const { return raft_; }
  Raft& mutable_raft() { return raft_; }

 private:
  Raft raft_;
  SoftState prev_soft_;
  HardState prev_hard_;
  bool ready_outstanding_ = false;
};

}  // namespace raft
