// Simulator speed: more seeds per hour find more bugs. One iteration is one
// whole seeded run of a 5-node cluster under client load with faults; the
// counters report simulated seconds per wall second and seeds per minute.
#include <benchmark/benchmark.h>

#include "sim/simulation.h"

namespace {

void BM_SimulateFiveNodes(benchmark::State& state) {
  raft::sim::SimOptions o;
  o.nodes = 5;
  o.chaos_us = static_cast<uint64_t>(state.range(0)) * 1'000'000;
  uint64_t seed = 1;
  double simulated_s = 0;
  uint64_t seeds = 0;
  for (auto _ : state) {
    const raft::sim::RunResult r = raft::sim::RunSimulation(seed++, o);
    if (!r.ok) state.SkipWithError(r.failure.c_str());
    simulated_s += static_cast<double>(r.end_us) / 1e6;
    seeds++;
  }
  state.counters["sim_s_per_wall_s"] = benchmark::Counter(simulated_s, benchmark::Counter::kIsRate);
  state.counters["seeds_per_min"] =
      benchmark::Counter(static_cast<double>(seeds) * 60, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulateFiveNodes)->Arg(60)->Unit(benchmark::kMillisecond)->MinTime(10);

}  // namespace

BENCHMARK_MAIN();
