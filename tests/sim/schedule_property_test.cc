// RapidCheck over fault schedules: random lists of timed crashes, restarts
// and partitions must never break safety or linearizability, and must heal.
// A failure shrinks to a minimal schedule and prints the raft-sim command
// that replays it.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "sim/simulation.h"

namespace raft::sim {
namespace {

constexpr uint64_t kChaosMs = 2000;

rc::Gen<FaultAction> GenAction(size_t nodes) {
  return rc::gen::exec([nodes] {
    FaultAction f;
    f.at_us = *rc::gen::inRange<uint64_t>(0, kChaosMs) * 1000;
    f.kind = static_cast<FaultKind>(*rc::gen::inRange(0, static_cast<int>(FaultKind::kHeal) + 1));
    f.a = *rc::gen::inRange<uint64_t>(0, nodes + 1);  // 0: the leader
    switch (f.kind) {
      case FaultKind::kCrashMid:
        f.b = *rc::gen::inRange<uint64_t>(0, 3);
        break;
      case FaultKind::kSplit:
        f.a = *rc::gen::inRange<uint64_t>(1, (1ULL << nodes) - 1);
        break;
      case FaultKind::kOneWay:
      case FaultKind::kPartial:
        f.b = f.a % nodes + 1;
        break;
      case FaultKind::kHeal:
        f.a = 0;
        break;
      default:
        break;
    }
    return f;
  });
}

void CheckSchedule(size_t nodes, uint64_t seed, FaultSchedule schedule) {
  std::stable_sort(schedule.begin(), schedule.end(),
                   [](const FaultAction& x, const FaultAction& y) { return x.at_us < y.at_us; });
  SimOptions o;
  o.nodes = nodes;
  o.chaos_us = kChaosMs * 1000;
  o.liveness_budget_us = 10'000'000;
  o.schedule = schedule;
  const RunResult r = RunSimulation(seed, o);
  RC_LOG() << "replay: raft-sim --seed " << seed << " --nodes " << nodes << " --chaos-ms "
           << kChaosMs << " --schedule '" << FormatSchedule(schedule) << "' --trace\n"
           << "failure: " << r.failure << "\n";
  RC_ASSERT(r.ok);
}

RC_GTEST_PROP(FaultSchedules, ThreeNodesStaySafeAndLive, ()) {
  const auto seed = *rc::gen::inRange<uint64_t>(1, 1000);
  const auto schedule = *rc::gen::container<FaultSchedule>(GenAction(3));
  CheckSchedule(3, seed, schedule);
}

RC_GTEST_PROP(FaultSchedules, FiveNodesStaySafeAndLive, ()) {
  const auto seed = *rc::gen::inRange<uint64_t>(1, 1000);
  const auto schedule = *rc::gen::container<FaultSchedule>(GenAction(5));
  CheckSchedule(5, seed, schedule);
}

TEST(FaultSchedules, TextFormRoundTrips) {
  const std::string text =
      "100:crash:2;300:restart:2;400:isolate:1;900:split:3;1000:oneway:1:2;"
      "1100:partial:2:3;1200:crash-mid:3:1;1500:heal";
  Result<FaultSchedule> parsed = ParseSchedule(text, 3);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed.value().size(), 8u);
  EXPECT_EQ(FormatSchedule(parsed.value()), text);
}

TEST(FaultSchedules, BadTextIsRejectedWithAReason) {
  for (const char* bad : {"x:crash:1", "100:boom:1", "100:crash", "100:crash:9", "100:oneway:1:0",
                          "100:split:7", "100:oneway:1:1", "200:heal;100:heal"}) {
    Result<FaultSchedule> parsed = ParseSchedule(bad, 3);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("bad schedule action"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace raft::sim
