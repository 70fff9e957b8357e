// Simulation: one seeded run of a whole cluster in a single thread.
//
// A run has two phases (after TigerBeetle's VOPR):
//   1. chaos: clients issue Put/Get/Delete/CAS while faults drawn from the
//      seed (swarm testing: the fault *rates* are drawn too) delay, drop,
//      duplicate and cut messages, crash and restart nodes, skew clocks
//      and, rarely, damage the synced WAL of a minority of nodes;
//   2. liveness: every fault heals and every node restarts; within a fixed
//      virtual-time budget a leader must exist and every pending client
//      operation must complete.
// Safety invariants are checked after every event, and on every message a
// damaged node sends (DurabilityChecker); once settled, every node must
// hold every acknowledged write. The same seed replays the same run, event
// for event; trace_hash fingerprints it.
//
// Threading: single-threaded; a run owns everything it touches.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/replica.h"
#include "sim/event_queue.h"
#include "sim/fault_plan.h"
#include "sim/fault_schedule.h"
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
  // With faults, some seeds also damage synced WAL data on a minority of
  // nodes (DamagePlan); off, those seeds run as if damage did not exist.
  bool damage = true;
  // A planted bug for the checkers' own tests (SimNodeOptions).
  bool plant_ignore_repair = false;
  bool trace = false;  // print every event to stdout
  SimTime tick_us = 10'000;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  SimTime request_timeout_us = 300'000;
  // In the chaos phase an operation unanswered this long becomes unknown.
  SimTime op_deadline_us = 2'000'000;
  // When set, these faults replace the ones drawn from the seed (network
  // loss and delay rates are still drawn). Used by RapidCheck and --schedule.
  std::optional<FaultSchedule> schedule;
  // Fixed fault rates instead of drawn ones (each unset one is still drawn).
  std::optional<double> drop_rate, duplicate_rate, crashes_per_sec, partitions_per_sec;
};

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
  std::array<size_t, kDamageKinds> damage{};  // damage actions that fired, by DamageKind
  size_t acked_writes = 0;                    // writes clients saw acknowledged
  std::map<std::string, size_t> refused;      // peer messages refused at the edge, by verdict
  NetworkStats network;
  std::string fault_plan;
  std::string schedule;  // the run's fault schedule, in --schedule form
  std::vector<Operation> history;
};

RunResult RunSimulation(uint64_t seed, const SimOptions& options);

}  // namespace raft::sim
