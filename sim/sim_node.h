// SimNode: one simulated server: a Replica (the same code the real server
// runs) over a Wal on its own SimDisk. Crash() throws away every volatile
// thing (the Replica, the Wal's open files, unsynced disk bytes, pending
// callbacks); Start() recovers the Wal from what the disk durably holds and
// rebuilds the Replica, as a real process restart would.
//
// Threading: single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/replica.h"
#include "core/storage/wal.h"
#include "sim/sim_disk.h"
#include "sim/sim_network.h"
#include "sim/sim_random.h"

namespace raft::sim {

struct SimNodeOptions {
  SnapshotPolicy snapshots;
  uint64_t segment_bytes_max = 64 << 10;  // small, so runs roll segments often
  bool preallocate_segments = true;
  // A planted bug, for tests of the checkers: the node's answers leave
  // without Message::repairing, as from a node that skips its repair.
  bool plant_ignore_repair = false;
};

class SimNode final : public Transport {
 public:
  SimNode(const Config& config, const SimNodeOptions& options, SimNetwork& network,
          const SimRandom& random);

  // Recovers from the disk; a non-ok Status means the durable state could
  // not be recovered (a bug, or corruption the run injected).
  Status Start();
  // with tear, the unsynced tail of each file may survive partly.
  void Crash(bool tear);
  bool alive() const { return replica_ != nullptr; }
  Replica& replica() { return *replica_; }
  const Replica& replica() const { return *replica_; }
  NodeId id() const { return config_.id; }
  uint64_t incarnation() const { return incarnation_; }
  SimDisk& disk() { return disk_; }

  void Send(Message m) override;
  // Crash mid-Ready: the next Drain persists, sends `sends` more messages,
  // loses the rest, and the node dies at the end of the event. This is the
  // "crash between persisting and sending" boundary.
  void ArmCrashAfterSends(uint64_t sends) { crash_after_sends_ = sends; }
  void DisarmCrash() { crash_after_sends_.reset(); }
  bool crash_pending() const { return crash_pending_; }
  // Called after every apply on the live replica (for the checkers).
  std::function<void(NodeId, const Entry&)> on_apply;
  // Called for every message that really leaves the node (for the checkers).
  std::function<void(const Message&)> on_send;
  // The (index, term) of every entry the WAL durably held when the node
  // last crashed, above its snapshot: what damage to the synced log can
  // take from it.
  const std::vector<std::pair<Index, Term>>& durable_at_crash() const { return durable_at_crash_; }

 private:
  Config config_;
  SimNodeOptions options_;
  SimNetwork& network_;
  const SimRandom& random_;
  SimDisk disk_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<Replica> replica_;
  uint64_t incarnation_ = 0;
  std::vector<std::pair<Index, Term>> durable_at_crash_;
  std::optional<uint64_t> crash_after_sends_;
  bool crash_pending_ = false;
};

}  // namespace raft::sim
