// FaultPlan: the fault mix and protocol knobs of one simulated run, drawn
// from its seed (swarm testing: each seed explores a different mix), and
// the schedule of crashes, restarts, partitions and disk errors drawn from
// the plan.
//
// Damage to synced data (issue 15) is drawn from a stream of its own, so
// adding it left every other draw of a seed as it was: a seed without
// damage replays the run it did before damage existed.
//
// Threading: plain values and pure functions of the Rng.
#pragma once

#include <array>
#include <string>

#include "core/replica.h"
#include "core/rng.h"
#include "sim/fault_schedule.h"
#include "sim/sim_network.h"

namespace raft::sim {

// Rare damage to a down node's synced WAL (swarm: most seeds have none).
// The nodes that may be damaged are fixed up front and are at most a
// minority, (n-1)/2, so a quorum always keeps intact logs and the usual
// invariants must still hold.
struct DamagePlan {
  double per_sec = 0;                      // 0: no damage in this run
  uint64_t nodes_mask = 0;                 // bit i-1: node i may be damaged
  std::array<bool, kDamageKinds> kinds{};  // the kinds this seed draws from
  std::string Describe() const;
};

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
  DamagePlan damage;               // drawn by DrawDamagePlan, from its own stream
  std::string Describe() const;
};
FaultPlan DrawFaultPlan(Rng& rng, bool enabled);
// Draws nothing but per_sec = 0 unless enabled.
DamagePlan DrawDamagePlan(Rng& rng, size_t nodes, bool enabled);
// Node crashes, restarts and partitions for the chaos phase of a plan.
// A partition action replaces the previous one.
FaultSchedule DrawFaultSchedule(Rng& rng, const FaultPlan& plan, size_t nodes, SimTime chaos_us);
// Damage actions for the chaos phase, each followed by a restart of the
// damaged node (which stays down until then).
FaultSchedule DrawDamageSchedule(Rng& rng, const FaultPlan& plan, SimTime chaos_us);
// Merges two time-ordered schedules; at equal times, a's actions first.
FaultSchedule MergeSchedules(const FaultSchedule& a, const FaultSchedule& b);

// Exponentially distributed gap for a Poisson process of the given rate.
SimTime ExponentialUs(Rng& rng, double per_sec);

}  // namespace raft::sim
