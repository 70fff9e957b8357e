// FaultPlan: the fault mix and protocol knobs of one simulated run, drawn
// from its seed (swarm testing: each seed explores a different mix), and
// the schedule of crashes, restarts, partitions and disk errors drawn from
// the plan.
//
// Threading: plain values and pure functions of the Rng.
#pragma once

#include <string>

#include "core/replica.h"
#include "core/rng.h"
#include "sim/fault_schedule.h"
#include "sim/sim_network.h"

namespace raft::sim {

// The fault mix of one run, drawn from its seed.
struct FaultPlan {
  NetworkFaults network;
  double crashes_per_sec = 0;
  SimTime down_max_us = 0;
  double partitions_per_sec = 0;
  SimTime partition_max_us = 0;
  double drift_max = 0;  // max relative clock-rate error per node
  // Protocol knobs are drawn too: safety must hold for every setting, and
  // small messages and windows reach states (partial catch-up, stalled
  // pipelines) that the defaults hide.
  uint64_t append_bytes_max = 1 << 20;
  size_t inflight_msgs_max = 256;
  bool pre_vote = true;
  bool check_quorum = true;
  SnapshotPolicy snapshots;
  uint64_t segment_bytes_max = 64 << 10;
  bool preallocate_segments = true;  // WalOptions::preallocate_segments
  uint64_t snapshot_chunk_bytes_max = 1 << 20;
  bool torn_writes = false;        // a crash may keep part of unsynced writes
  double disk_errors_per_sec = 0;  // EIO on a sync or append
  std::string Describe() const;
};
FaultPlan DrawFaultPlan(Rng& rng, bool enabled);
// Node crashes, restarts and partitions for the chaos phase of a plan.
// A partition action replaces the previous one.
FaultSchedule DrawFaultSchedule(Rng& rng, const FaultPlan& plan, size_t nodes, SimTime chaos_us);

// Exponentially distributed gap for a Poisson process of the given rate.
SimTime ExponentialUs(Rng& rng, double per_sec);

}  // namespace raft::sim
