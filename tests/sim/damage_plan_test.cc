// Damage to synced data in the fault plan (issue 15): rare (most seeds
// none), confined to a minority of nodes fixed up front, replayable from
// the seed, and drawn apart from every other fault so that seeds without
// damage still replay the runs they did before.
#include <gtest/gtest.h>

#include <set>

#include "sim/fault_plan.h"
#include "sim/sim_random.h"
#include "sim/simulation.h"

namespace raft::sim {
namespace {

size_t Damaged(const RunResult& r) {
  size_t n = 0;
  for (size_t count : r.damage) n += count;
  return n;
}

TEST(DamagePlan, RareAndConfinedToAMinorityOfNodes) {
  for (size_t nodes : {3u, 5u, 7u}) {
    size_t with_damage = 0;
    constexpr uint64_t kSeeds = 2000;
    for (uint64_t seed = 1; seed <= kSeeds; seed++) {
      SplitMix64 rng(seed);
      const DamagePlan d = DrawDamagePlan(rng, nodes, true);
      if (d.per_sec == 0) {
        EXPECT_EQ(d.nodes_mask, 0u);
        continue;
      }
      with_damage++;
      const auto damageable = static_cast<size_t>(__builtin_popcountll(d.nodes_mask));
      EXPECT_GE(damageable, 1u);
      EXPECT_LE(damageable, (nodes - 1) / 2) << "seed " << seed << ": a majority could be damaged";
      EXPECT_EQ(d.nodes_mask >> nodes, 0u) << "no such node";
      bool any_kind = false;
      for (bool on : d.kinds) any_kind |= on;
      EXPECT_TRUE(any_kind);
    }
    EXPECT_GT(with_damage, kSeeds / 10) << "damage must come up";
    EXPECT_LT(with_damage, kSeeds / 2) << "most seeds have none";
  }
  SplitMix64 rng(1);
  EXPECT_EQ(DrawDamagePlan(rng, 3, false).per_sec, 0);
}

TEST(DamagePlan, ScheduleDamagesOnlyDamageableNodesAndRestartsThem) {
  FaultPlan plan;
  plan.down_max_us = 500'000;
  plan.damage.per_sec = 2;
  plan.damage.nodes_mask = 0b00110;  // nodes 2 and 3
  plan.damage.kinds = {false, true, false, false, true};
  SplitMix64 rng(42);
  const FaultSchedule s = DrawDamageSchedule(rng, plan, 10'000'000);
  size_t damage = 0;
  std::set<uint64_t> kinds;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i].kind != FaultKind::kDamage) continue;
    damage++;
    kinds.insert(s[i].b);
    EXPECT_TRUE(s[i].a == 2 || s[i].a == 3) << FormatSchedule(s);
    bool restarted = false;
    for (size_t j = i + 1; j < s.size(); j++) {
      restarted |= s[j].kind == FaultKind::kRestart && s[j].a == s[i].a;
    }
    EXPECT_TRUE(restarted) << "damage at " << s[i].at_us << " is never followed by a restart";
  }
  EXPECT_GT(damage, 5u);
  EXPECT_EQ(kinds, (std::set<uint64_t>{1, 4})) << "only the plan's kinds";
  for (size_t i = 1; i < s.size(); i++) EXPECT_LE(s[i - 1].at_us, s[i].at_us);
}

TEST(DamagePlan, ScheduleTextRoundTripsDamage) {
  Result<FaultSchedule> s = ParseSchedule("100:crash:1;200:damage:2:4;300:restart:0", 3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s.value().size(), 3u);
  EXPECT_EQ(s.value()[1], (FaultAction{200'000, FaultKind::kDamage, 2, 4}));
  EXPECT_EQ(FormatSchedule(s.value()), "100:crash:1;200:damage:2:4;300:restart:0");
  EXPECT_FALSE(ParseSchedule("200:damage:2:5", 3).ok()) << "no damage kind 5";
  EXPECT_FALSE(ParseSchedule("200:damage:4:0", 3).ok()) << "no node 4";
  EXPECT_FALSE(ParseSchedule("200:damage:2", 3).ok());
}

SimOptions Short(size_t nodes) {
  SimOptions o;
  o.nodes = nodes;
  o.chaos_us = 3'000'000;
  return o;
}

// The first seed from `from` whose run damages some node.
uint64_t FirstDamagedSeed(uint64_t from, size_t nodes) {
  for (uint64_t seed = from;; seed++) {
    if (Damaged(RunSimulation(seed, Short(nodes))) > 0) return seed;
  }
}

TEST(DamagePlan, DamagedSeedReplaysExactly) {
  const uint64_t seed = FirstDamagedSeed(1, 3);
  const RunResult a = RunSimulation(seed, Short(3));
  const RunResult b = RunSimulation(seed, Short(3));
  EXPECT_EQ(a.trace_hash, b.trace_hash) << "seed " << seed;
  EXPECT_EQ(a.schedule, b.schedule);
  EXPECT_EQ(a.damage, b.damage);
  EXPECT_NE(a.schedule.find(":damage:"), std::string::npos) << a.schedule;
}

TEST(DamagePlan, TurningDamageOffLeavesEveryOtherDrawAlone) {
  const uint64_t seed = FirstDamagedSeed(1, 5);
  SimOptions off = Short(5);
  off.damage = false;
  const RunResult with = RunSimulation(seed, Short(5));
  const RunResult without = RunSimulation(seed, off);
  EXPECT_EQ(Damaged(without), 0u);
  EXPECT_EQ(without.schedule.find(":damage:"), std::string::npos);
  // The same plan, plus a damage line.
  EXPECT_EQ(with.fault_plan.rfind(without.fault_plan, 0), 0u) << with.fault_plan << "\nvs\n"
                                                              << without.fault_plan;
  EXPECT_NE(with.fault_plan.find("damage/s="), std::string::npos);
  // A seed that draws no damage runs the same either way.
  for (uint64_t s = 1;; s++) {
    const RunResult on = RunSimulation(s, Short(3));
    if (on.fault_plan.find("damage/s=") != std::string::npos) continue;
    SimOptions o = Short(3);
    o.damage = false;
    EXPECT_EQ(on.trace_hash, RunSimulation(s, o).trace_hash) << "seed " << s;
    break;
  }
}

TEST(DamagePlan, OneDamagePerDownTime) {
  // Removing the metadata file and then the newest segment would leave no
  // trace that the log was ever longer: the second damage must not fire
  // until the node has started again.
  SimOptions o = Short(3);
  o.schedule = ParseSchedule("500:damage:1:3;600:damage:1:1;900:restart:1", 3).value();
  const RunResult once = RunSimulation(7, o);
  EXPECT_EQ(once.damage[static_cast<size_t>(DamageKind::kMeta)], 1u);
  EXPECT_EQ(once.damage[static_cast<size_t>(DamageKind::kDrop)], 0u);
  o.schedule =
      ParseSchedule("500:damage:1:3;900:restart:1;1500:damage:1:1;1900:restart:1", 3).value();
  const RunResult twice = RunSimulation(7, o);
  EXPECT_EQ(twice.damage[static_cast<size_t>(DamageKind::kMeta)], 1u);
  EXPECT_EQ(twice.damage[static_cast<size_t>(DamageKind::kDrop)], 1u) << "after a restart, again";
}

// The planted bug: a damaged node that answers without Message::repairing
// (as one that skipped its repair would) is caught by the repair check,
// which judges the node by its log, not by the flag it sends; the same runs
// without the bug pass.
TEST(DamagePlan, RepairCheckCatchesANodeThatIgnoresItsRepair) {
  for (uint64_t seed = 1; seed <= 4; seed++) {
    SimOptions o = Short(3);
    o.schedule = ParseSchedule("1000:damage:1:1;1300:restart:1", 3).value();  // drop a segment
    const RunResult clean = RunSimulation(seed, o);
    EXPECT_TRUE(clean.ok) << "seed " << seed << ": " << clean.failure;
    o.plant_ignore_repair = true;
    const RunResult planted = RunSimulation(seed, o);
    ASSERT_FALSE(planted.ok) << "seed " << seed;
    EXPECT_NE(planted.failure.find("repair: damaged node n1 sent"), std::string::npos)
        << planted.failure;
  }
}

}  // namespace
}  // namespace raft::sim
