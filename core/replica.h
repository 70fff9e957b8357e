// Replica: one node's Raft plus its key-value state machine, and the one
// place where the Ready loop is written:
//
//   persist (entries + hard state, one sync)  ->  send messages
//     ->  apply committed entries, answer proposals and reads  ->  Advance
//
// except that a leader sends before it persists (its fsync then overlaps
// the followers'; it counts itself towards commit only once durable).
//
// Both worlds run exactly this code; they differ only in the DurableLog and
// Transport they pass in and in who calls Tick/Receive/Drain.
//
// Proposals are answered when their entry applies. If another entry is
// applied at that index (the proposal was overwritten by a new leader), the
// proposal fails with kDropped. A proposal whose entry is neither committed
// nor overwritten stays pending: its outcome is unknown to the client, which
// must treat it so (it may still commit later).
//
// Threading: single-threaded; the node's event loop owns it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/durable_log.h"
#include "core/kv/kv_state_machine.h"
#include "core/message_validator.h"
#include "core/raw_node.h"
#include "core/storage.h"
#include "core/transport.h"

namespace raft {

// When the Replica snapshots its state machine and compacts the log.
struct SnapshotPolicy {
  // A snapshot is taken once either limit is passed since the last one; 0
  // disables that limit (both 0: never).
  uint64_t every_entries = 100'000;  // applied entries between snapshots (as etcd)
  uint64_t every_bytes = 64 << 20;   // applied entry payload bytes between snapshots
  uint64_t keep_entries = 5'000;     // log tail kept below a snapshot for laggards
};

class Replica {
 public:
  using ProposeDone = std::function<void(const Status&, const kv::ApplyResult&, Index)>;
  using ReadDone = std::function<void(const Status&, Index)>;

  // log and transport must outlive the replica. A restarted replica
  // restores the state machine from the log's snapshot, then re-applies the
  // committed entries after it. If the snapshot does not restore, the
  // replica must not run: recovery_status() says why.
  Replica(const Config& config, const SnapshotPolicy& policy, DurableLog& log, Transport& transport,
          std::unique_ptr<Rng> rng);

  void Tick() { node_.Tick(); }
  // A message from a peer. It is checked against this node's state first
  // (message_validator.h); a refused one is dropped and its verdict returned.
  InboundVerdict Receive(const Message& m);
  void Campaign() { node_.Campaign(); }
  // The transport lost its connection to peer: replicate by probing again.
  void ReportUnreachable(NodeId peer) { node_.ReportUnreachable(peer); }
  // Leader only; otherwise done is called at once with kNotLeader.
  void Propose(const kv::Command& command, ProposeDone done);
  // Linearizable read barrier: done(Ok, index) once the state machine has
  // applied everything committed when the read arrived, so the caller may
  // read the state machine right away.
  void ReadBarrier(ReadDone done);
  // Runs the Ready loop until nothing is pending. A non-ok Status means
  // persistence failed; the node must stop (no retry after a failed sync).
  Status Drain();

  const Status& recovery_status() const { return restore_status_; }
  const RawNode& node() const { return node_; }
  const kv::KvStateMachine& state_machine() const { return kv_; }
  NodeId id() const { return node_.raft().id(); }
  Role role() const { return node_.raft().role(); }
  NodeId leader() const { return node_.raft().leader(); }
  size_t pending_proposals() const { return proposals_.size(); }
  // Committed entries that did not decode and were applied as no-ops.
  uint64_t undecodable_entries_skipped() const { return undecodable_entries_skipped_; }

  // Observers for checkers and tests: every applied entry, in order.
  std::function<void(const Entry&)> on_apply;

 private:
  struct PendingProposal {
    Term term;
    ProposeDone done;
  };
  struct PendingRead {
    Index index;
    ReadDone done;
  };
  void Send(std::vector<Message>& messages);
  void ApplyEntry(const Entry& e);
  Status MaybeSnapshot();
  void OnSoftState(const SoftState& soft);
  void ServeReads();

  SnapshotPolicy policy_;
  DurableLog& log_;
  Transport& transport_;
  RawNode node_;
  kv::KvStateMachine kv_;
  std::map<Index, PendingProposal> proposals_;
  std::map<uint64_t, ReadDone> reads_waiting_quorum_;
  std::vector<PendingRead> reads_waiting_apply_;
  uint64_t next_read_id_ = 1;
  Index snapshot_index_;  // newest snapshot of the state machine
  uint64_t bytes_since_snapshot_ = 0;
  uint64_t undecodable_entries_skipped_ = 0;
  Status restore_status_;
};

}  // namespace raft
