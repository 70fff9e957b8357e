// Simulation: one seeded run of a whole cluster in a single thread.
//
// A run has two phases (after TigerBeetle's VOPR):
//   1. chaos: clients issue Put/Get/Delete/CAS while faults drawn from the
//      seed (swarm testing: the fault *rates* are drawn too) delay, drop,
//      duplicate and cut messages, crash and restart nodes, and skew clocks;
//   2. liveness: every fault heals and every node restarts; within a fixed
//      virtual-time budget a leader must exist and every pending client
//      operation must complete.
// Safety invariants are checked after every event. The same seed replays
// the same run, event for event; trace_hash fingerprints it.
//
// Threading: single-threaded; a run owns everything it touches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/event_queue.h"
#include "sim/history.h"
#include "sim/sim_network.h"

namespace raft::sim {

struct SimOptions {
  size_t nodes = 3;
  SimTime chaos_us = 10'000'000;
  SimTime liveness_budget_us = 10'000'000;
  size_t clients = 4;
  size_t keys = 4;
  bool faults = true;
  bool trace = false;  // print every event to stdout
  SimTime tick_us = 10'000;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  SimTime request_timeout_us = 300'000;
  // In the chaos phase an operation unanswered this long becomes unknown.
  SimTime op_deadline_us = 2'000'000;
};

// The fault mix of one run, drawn from its seed.
struct FaultPlan {
  NetworkFaults network;
  double crashes_per_sec = 0;
  SimTime down_max_us = 0;
  double partitions_per_sec = 0;
  SimTime partition_max_us = 0;
  double drift_max = 0;  // max relative clock-rate error per node
  std::string Describe() const;
};
FaultPlan DrawFaultPlan(Rng& rng, bool enabled);

struct RunResult {
  uint64_t seed = 0;
  bool ok = true;
  std::string failure;
  uint64_t trace_hash = 0;
  uint64_t events = 0;
  SimTime end_us = 0;
  size_t ops_ok = 0, ops_fail = 0, ops_unknown = 0;
  size_t leaders = 0;  // distinct (term, leader) pairs seen
  uint64_t max_applied = 0;
  size_t crashes = 0, partitions = 0;
  NetworkStats network;
  std::string fault_plan;
  std::vector<Operation> history;
};

RunResult RunSimulation(uint64_t seed, const SimOptions& options);

}  // namespace raft::sim
