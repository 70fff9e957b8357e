// SimRandom: every random choice of a run comes from one 64-bit seed,
// split into independent named streams (network, faults, workload, one per
// node) so that adding a draw in one place does not shift the others.
//
// Threading: single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/rng.h"

namespace raft::sim {

// FNV-1a: a stable 64-bit hash of bytes (stream names, entry payloads).
inline uint64_t Fnv1a(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
  return h;
}

class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : seed_(seed) {}
  // A fresh generator for the named stream (and an optional index).
  std::unique_ptr<SplitMix64> Stream(std::string_view name, uint64_t index = 0) const {
    SplitMix64 mix(seed_ ^ Fnv1a(name) ^ (index * 0x9e3779b97f4a7c15ULL));
    return std::make_unique<SplitMix64>(mix.Next());
  }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
};

// Helpers over an Rng.
inline double UniformReal(Rng& r) { return static_cast<double>(r.Next() >> 11) * 0x1.0p-53; }
inline bool Chance(Rng& r, double p) { return p > 0 && UniformReal(r) < p; }
inline uint64_t Between(Rng& r, uint64_t lo, uint64_t hi) {  // inclusive
  return lo + r.Uniform(hi - lo + 1);
}

}  // namespace raft::sim
