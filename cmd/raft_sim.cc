// raft-sim: runs the deterministic simulator.
//
//   raft-sim --seed S            one run; prints a summary and the trace hash
//   raft-sim --seeds N [--start S]   sweeps N seeds; prints every failing seed
//                                with the exact command that replays it
//   raft-sim --seed S --trace    prints every event of the run
//   raft-sim ... --no-damage     never damages synced WAL data (issue 15)
//
// Each run and the sweep summary end with damage=flip:N,drop:N,...: how
// often each kind of damage to synced data fired (DamageKind).
//
// Exit status: 0 when every run passed, 1 when any failed, 2 on bad flags.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <sstream>
#include <string>

#include "sim/simulation.h"

namespace {

// The seed being run, for the crash handler: an assertion failure aborts the
// process, and a sweep must still say which seed did it.
volatile sig_atomic_t g_seed_running = 0;
uint64_t g_seed = 0;
char g_replay_prefix[512];

void OnFatalSignal(int sig) {
  if (g_seed_running) {
    char buf[700];
    const int n =
        std::snprintf(buf, sizeof(buf), "raft-sim: seed %llu crashed (signal %d)\n  replay: %s\n",
                      static_cast<unsigned long long>(g_seed), sig, g_replay_prefix);
    if (n > 0) (void)!write(STDERR_FILENO, buf, static_cast<size_t>(n));
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

using raft::sim::RunResult;
using raft::sim::SimOptions;

struct Flags {
  uint64_t seed = 1;
  uint64_t seeds = 0;
  uint64_t start = 1;
  bool trace = false;
  bool quiet = false;
  SimOptions sim;
  uint64_t chaos_ms = 10'000;
  uint64_t liveness_ms = 10'000;
  bool no_faults = false;
  bool no_damage = false;
  std::string schedule;
};

std::string ReplayCommand(const Flags& f, uint64_t seed) {
  std::ostringstream os;
  os << "raft-sim --seed " << seed << " --nodes " << f.sim.nodes << " --chaos-ms " << f.chaos_ms
     << " --liveness-ms " << f.liveness_ms << " --clients " << f.sim.clients << " --keys "
     << f.sim.keys;
  if (f.no_faults) os << " --no-faults";
  if (f.no_damage) os << " --no-damage";
  if (!f.schedule.empty()) os << " --schedule '" << f.schedule << "'";
  if (f.sim.drop_rate) os << " --drop-rate " << *f.sim.drop_rate;
  if (f.sim.duplicate_rate) os << " --dup-rate " << *f.sim.duplicate_rate;
  if (f.sim.crashes_per_sec) os << " --crashes-per-sec " << *f.sim.crashes_per_sec;
  if (f.sim.partitions_per_sec) os << " --partitions-per-sec " << *f.sim.partitions_per_sec;
  return os.str();
}

// "flip:1,drop:0,...": damage actions that fired, by kind.
std::string DamageCounts(const std::array<size_t, raft::sim::kDamageKinds>& counts) {
  std::string out;
  for (size_t k = 0; k < counts.size(); k++) {
    if (k > 0) out += ",";
    out += raft::sim::DamageKindName(static_cast<raft::sim::DamageKind>(k));
    out += ":" + std::to_string(counts[k]);
  }
  return out;
}

void PrintRun(const RunResult& r) {
  std::printf(
      "seed %llu: %s  trace=%016llx events=%llu sim=%.1fs applied=%llu leaders=%zu "
      "ops ok=%zu fail=%zu unknown=%zu crashes=%zu partitions=%zu "
      "msgs sent=%llu dropped=%llu dup=%llu snapshots=%llu damage=%s acked=%zu\n  faults: %s\n",
      static_cast<unsigned long long>(r.seed), r.ok ? "PASS" : "FAIL",
      static_cast<unsigned long long>(r.trace_hash), static_cast<unsigned long long>(r.events),
      r.end_us / 1e6, static_cast<unsigned long long>(r.max_applied), r.leaders, r.ops_ok,
      r.ops_fail, r.ops_unknown, r.crashes, r.partitions,
      static_cast<unsigned long long>(r.network.sent),
      static_cast<unsigned long long>(r.network.dropped),
      static_cast<unsigned long long>(r.network.duplicated),
      static_cast<unsigned long long>(r.network.snapshots), DamageCounts(r.damage).c_str(),
      r.acked_writes, r.fault_plan.c_str());
  if (!r.refused.empty()) {
    std::printf("  refused:");
    for (const auto& [reason, count] : r.refused) std::printf(" %s=%zu", reason.c_str(), count);
    std::printf("\n");
  }
  if (!r.ok) {
    std::printf("  failure: %s\n  schedule: %s\n", r.failure.c_str(), r.schedule.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"raft-sim: deterministic Raft cluster simulator"};
  app.add_option("--seed", f.seed, "run one seed");
  app.add_option("--seeds", f.seeds, "sweep this many seeds");
  app.add_option("--start", f.start, "first seed of a sweep");
  app.add_option("--nodes", f.sim.nodes, "cluster size")->check(CLI::IsMember({3, 5, 7}));
  app.add_option("--chaos-ms", f.chaos_ms, "virtual ms of the fault phase");
  app.add_option("--liveness-ms", f.liveness_ms, "virtual ms allowed to recover");
  app.add_option("--clients", f.sim.clients, "concurrent clients")->check(CLI::Range(1, 64));
  app.add_option("--keys", f.sim.keys, "key space size")->check(CLI::Range(1, 1000));
  app.add_flag("--no-faults", f.no_faults, "run without faults");
  app.add_flag("--no-damage", f.no_damage, "never damage synced WAL data (other faults stay)");
  auto rate = [&app](const char* name, std::optional<double>& out, double max, const char* help) {
    app.add_option_function<double>(
           name, [&out](double v) { out = v; }, help)
        ->check(CLI::Range(0.0, max));
  };
  rate("--drop-rate", f.sim.drop_rate, 1, "fixed message loss probability (0..1)");
  rate("--dup-rate", f.sim.duplicate_rate, 1, "fixed message duplication probability (0..1)");
  rate("--crashes-per-sec", f.sim.crashes_per_sec, 100, "fixed node crash rate");
  rate("--partitions-per-sec", f.sim.partitions_per_sec, 100, "fixed partition rate");
  app.add_option("--schedule", f.schedule,
                 "explicit faults instead of drawn ones, e.g. '100:crash:2;900:restart:2'");
  app.add_flag("--trace", f.trace, "print every event");
  app.add_flag("--quiet", f.quiet, "sweep: print only failures and the summary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : 2;
  }
  f.sim.chaos_us = f.chaos_ms * 1000;
  f.sim.liveness_budget_us = f.liveness_ms * 1000;
  f.sim.faults = !f.no_faults;
  f.sim.damage = !f.no_damage;
  f.sim.trace = f.trace;
  if (!f.schedule.empty()) {
    auto parsed = raft::sim::ParseSchedule(f.schedule, f.sim.nodes);
    if (!parsed.ok()) {
      std::fprintf(stderr, "raft-sim: %s\n", parsed.status().message().c_str());
      return 2;
    }
    f.sim.schedule = parsed.value();
  }

  std::signal(SIGABRT, OnFatalSignal);
  std::signal(SIGSEGV, OnFatalSignal);
  auto run = [&f](uint64_t seed) {
    g_seed = seed;
    std::snprintf(g_replay_prefix, sizeof(g_replay_prefix), "%s", ReplayCommand(f, seed).c_str());
    g_seed_running = 1;
    RunResult r = raft::sim::RunSimulation(seed, f.sim);
    g_seed_running = 0;
    return r;
  };

  if (f.seeds == 0) {
    const RunResult r = run(f.seed);
    PrintRun(r);
    if (!r.ok) std::printf("  replay: %s --trace\n", ReplayCommand(f, r.seed).c_str());
    return r.ok ? 0 : 1;
  }

  const auto t0 = std::chrono::steady_clock::now();
  uint64_t failed = 0;
  double sim_seconds = 0;
  std::array<size_t, raft::sim::kDamageKinds> damage{};
  uint64_t damaged_seeds = 0;
  for (uint64_t i = 0; i < f.seeds; i++) {
    const uint64_t seed = f.start + i;
    const RunResult r = run(seed);
    sim_seconds += r.end_us / 1e6;
    size_t fired = 0;
    for (size_t k = 0; k < damage.size(); k++) {
      damage[k] += r.damage[k];
      fired += r.damage[k];
    }
    if (fired > 0) damaged_seeds++;
    if (!r.ok) {
      failed++;
      PrintRun(r);
      std::printf("  replay: %s --trace\n", ReplayCommand(f, seed).c_str());
    } else if (!f.quiet) {
      PrintRun(r);
    }
    if (f.quiet && (i + 1) % 100 == 0) {
      std::fprintf(stderr, "progress: %llu/%llu seeds, %llu failed\n",
                   static_cast<unsigned long long>(i + 1), static_cast<unsigned long long>(f.seeds),
                   static_cast<unsigned long long>(failed));
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "raft-sim summary: seeds=%llu passed=%llu failed=%llu nodes=%zu wall=%.1fs "
      "sim_per_wall=%.0fx seeds_per_min=%.0f damage=%s damaged_seeds=%llu\n",
      static_cast<unsigned long long>(f.seeds), static_cast<unsigned long long>(f.seeds - failed),
      static_cast<unsigned long long>(failed), f.sim.nodes, wall,
      wall > 0 ? sim_seconds / wall : 0.0,
      wall > 0 ? 60.0 * static_cast<double>(f.seeds) / wall : 0.0, DamageCounts(damage).c_str(),
      static_cast<unsigned long long>(damaged_seeds));
  return failed == 0 ? 0 : 1;
}
