#include "sim/fault_plan.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <sstream>

#include "sim/sim_random.h"

namespace raft::sim {

std::string FaultPlan::Describe() const {
  std::ostringstream os;
  os.precision(3);
  os << "drop=" << network.drop_rate << " dup=" << network.duplicate_rate
     << " delay=" << network.delay_min_us << ".." << network.delay_max_us
     << "us slow=" << network.slow_rate << " crash/s=" << crashes_per_sec
     << " partition/s=" << partitions_per_sec << " drift=" << drift_max << " torn=" << torn_writes
     << " disk_errors/s=" << disk_errors_per_sec << "\n  knobs: append_bytes=" << append_bytes_max
     << " inflight=" << inflight_msgs_max << " prevote=" << pre_vote
     << " checkquorum=" << check_quorum << " snapshot_every=" << snapshots.every_entries << "/"
     << snapshots.every_bytes << "B"
     << " keep=" << snapshots.keep_entries << " segment=" << segment_bytes_max
     << (preallocate_segments ? " preallocated" : " appended")
     << " chunk=" << snapshot_chunk_bytes_max;
  if (damage.per_sec > 0) os << "\n  " << damage.Describe();
  return os.str();
}

std::string DamagePlan::Describe() const {
  std::ostringstream os;
  os.precision(3);
  os << "damage/s=" << per_sec << " nodes=";
  const char* sep = "";
  for (uint64_t i = 1; i <= 64; i++) {
    if ((nodes_mask >> (i - 1)) & 1) {
      os << sep << i;
      sep = ",";
    }
  }
  os << " kinds=";
  sep = "";
  for (size_t k = 0; k < kDamageKinds; k++) {
    if (kinds[k]) {
      os << sep << DamageKindName(static_cast<DamageKind>(k));
      sep = ",";
    }
  }
  return os.str();
}

DamagePlan DrawDamagePlan(Rng& rng, size_t nodes, bool enabled) {
  DamagePlan d;
  const size_t damageable_max = (nodes - 1) / 2;
  // Rare: one seed in four damages anything, at a low rate.
  if (!enabled || damageable_max == 0 || !Chance(rng, 0.25)) return d;
  d.per_sec = 0.05 + 0.35 * UniformReal(rng);
  const size_t damageable = 1 + rng.Uniform(damageable_max);
  while (static_cast<size_t>(__builtin_popcountll(d.nodes_mask)) < damageable) {
    d.nodes_mask |= 1ULL << rng.Uniform(nodes);
  }
  // Swarm within the damage too: each kind on with probability 1/2, and
  // at least one.
  bool any = false;
  for (bool& on : d.kinds) any |= (on = Chance(rng, 0.5));
  if (!any) d.kinds[rng.Uniform(kDamageKinds)] = true;
  return d;
}

FaultPlan DrawFaultPlan(Rng& rng, bool enabled) {
  FaultPlan p;
  p.network.delay_min_us = Between(rng, 50, 500);
  p.network.delay_max_us = p.network.delay_min_us + Between(rng, 100, 5000);
  // Protocol and storage knobs vary even without faults.
  constexpr uint64_t kAppendBytes[] = {1, 200, 4096, 1 << 20};
  constexpr size_t kInflight[] = {1, 4, 256};
  constexpr uint64_t kSnapshotEvery[] = {0, 20, 200, 2000};
  constexpr uint64_t kKeep[] = {0, 5, 100};
  constexpr uint64_t kChunk[] = {64, 1024, 1 << 20};
  p.append_bytes_max = kAppendBytes[rng.Uniform(4)];
  p.inflight_msgs_max = kInflight[rng.Uniform(3)];
  p.pre_vote = Chance(rng, 0.75);
  p.check_quorum = Chance(rng, 0.75);
  p.snapshots.every_entries = kSnapshotEvery[rng.Uniform(4)];
  constexpr uint64_t kSnapshotBytes[] = {0, 4096, 1 << 20};
  p.snapshots.every_bytes = kSnapshotBytes[rng.Uniform(3)];
  p.snapshots.keep_entries = kKeep[rng.Uniform(3)];
  p.segment_bytes_max = Chance(rng, 0.5) ? 4096 : 64 << 10;
  p.snapshot_chunk_bytes_max = kChunk[rng.Uniform(3)];
  p.preallocate_segments = Chance(rng, 0.5);
  if (!enabled) return p;
  // Each fault is switched on with probability 1/2, at a rate drawn from a
  // range, so seeds explore very different mixes (swarm testing).
  auto maybe = [&rng](double lo, double hi) {
    return Chance(rng, 0.5) ? lo + (hi - lo) * UniformReal(rng) : 0.0;
  };
  p.network.drop_rate = maybe(0.001, 0.2);
  p.network.duplicate_rate = maybe(0.001, 0.1);
  p.network.slow_rate = maybe(0.001, 0.05);
  p.network.slow_delay_max_us = Between(rng, 10'000, 200'000);
  p.crashes_per_sec = maybe(0.05, 1.0);
  p.down_max_us = Between(rng, 50'000, 2'000'000);
  p.partitions_per_sec = maybe(0.05, 1.0);
  p.partition_max_us = Between(rng, 100'000, 3'000'000);
  p.drift_max = maybe(0.0, 0.1);
  p.torn_writes = Chance(rng, 0.5);
  p.disk_errors_per_sec = maybe(0.01, 0.3);
  return p;
}

FaultSchedule DrawDamageSchedule(Rng& rng, const FaultPlan& plan, SimTime chaos_us) {
  FaultSchedule out;
  const DamagePlan& d = plan.damage;
  if (d.per_sec <= 0 || d.nodes_mask == 0) return out;
  std::vector<uint64_t> victims;
  for (uint64_t i = 1; i <= 64; i++) {
    if ((d.nodes_mask >> (i - 1)) & 1) victims.push_back(i);
  }
  std::vector<uint64_t> kinds;
  for (size_t k = 0; k < kDamageKinds; k++) {
    if (d.kinds[k]) kinds.push_back(k);
  }
  const SimTime down_max_us = plan.down_max_us > 0 ? plan.down_max_us : 1'000'000;
  for (SimTime t = ExponentialUs(rng, d.per_sec); t < chaos_us;
       t += ExponentialUs(rng, d.per_sec)) {
    const uint64_t victim = victims[rng.Uniform(victims.size())];
    out.push_back({t, FaultKind::kDamage, victim, kinds[rng.Uniform(kinds.size())]});
    out.push_back({t + Between(rng, 1000, down_max_us), FaultKind::kRestart, victim, 0});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const FaultAction& x, const FaultAction& y) { return x.at_us < y.at_us; });
  return out;
}

FaultSchedule MergeSchedules(const FaultSchedule& a, const FaultSchedule& b) {
  FaultSchedule out;
  out.reserve(a.size() + b.size());
  std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out),
             [](const FaultAction& x, const FaultAction& y) { return x.at_us < y.at_us; });
  return out;
}

SimTime ExponentialUs(Rng& rng, double per_sec) {
  const double u = std::max(UniformReal(rng), 1e-12);
  return static_cast<SimTime>(-std::log(u) / per_sec * 1e6);
}

FaultSchedule DrawFaultSchedule(Rng& rng, const FaultPlan& plan, size_t nodes, SimTime chaos_us) {
  FaultSchedule out;
  auto node = [&rng, nodes] { return 1 + rng.Uniform(nodes); };
  auto victim_or_leader = [&] { return Chance(rng, 0.5) ? 0 : node(); };
  if (plan.crashes_per_sec > 0) {
    for (SimTime t = ExponentialUs(rng, plan.crashes_per_sec); t < chaos_us;
         t += ExponentialUs(rng, plan.crashes_per_sec)) {
      const uint64_t victim = victim_or_leader();
      if (Chance(rng, 0.5)) {
        out.push_back({t, FaultKind::kCrash, victim, 0});
      } else {
        out.push_back({t, FaultKind::kCrashMid, victim, rng.Uniform(3)});
      }
      out.push_back({t + Between(rng, 1000, plan.down_max_us), FaultKind::kRestart, victim, 0});
    }
  }
  if (plan.partitions_per_sec > 0) {
    for (SimTime t = ExponentialUs(rng, plan.partitions_per_sec); t < chaos_us;
         t += ExponentialUs(rng, plan.partitions_per_sec)) {
      const uint64_t a = victim_or_leader();
      uint64_t b = node();
      if (b == a) b = a % nodes + 1;
      switch (rng.Uniform(4)) {
        case 0:
          out.push_back({t, FaultKind::kIsolate, a, 0});
          break;
        case 1: {  // a random minority
          uint64_t mask = 0;
          const uint64_t minority = 1 + rng.Uniform(nodes / 2);
          while (static_cast<uint64_t>(__builtin_popcountll(mask)) < minority) {
            mask |= 1ULL << (node() - 1);
          }
          out.push_back({t, FaultKind::kSplit, mask, 0});
          break;
        }
        case 2:
          out.push_back({t, FaultKind::kOneWay, a, b});
          break;
        default:
          out.push_back({t, FaultKind::kPartial, a, b});
          break;
      }
      out.push_back({t + Between(rng, 10'000, plan.partition_max_us), FaultKind::kHeal, 0, 0});
    }
  }
  if (plan.disk_errors_per_sec > 0) {
    for (SimTime t = ExponentialUs(rng, plan.disk_errors_per_sec); t < chaos_us;
         t += ExponentialUs(rng, plan.disk_errors_per_sec)) {
      out.push_back({t, FaultKind::kDiskError, victim_or_leader(), rng.Uniform(2)});
      out.push_back({t + Between(rng, 1000, 500'000), FaultKind::kRestart, 0, 0});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const FaultAction& x, const FaultAction& y) { return x.at_us < y.at_us; });
  return out;
}

}  // namespace raft::sim
