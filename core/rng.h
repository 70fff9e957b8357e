// Rng: the injected random source. The core draws every random choice
// (election timeouts) from one of these, never from a global source, so a
// seed replays the same run. SplitMix64 is a tiny, well-studied generator
// that is enough for timeouts and the simulator's streams.
//
// Threading: not thread-safe; one per node.
#pragma once

#include <cstdint>

#include "core/assert.h"

namespace raft {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual uint64_t Next() = 0;
  // Uniform in [0, bound). Bias is negligible for the small bounds used.
  uint64_t Uniform(uint64_t bound) {
    RAFT_ASSERT(bound > 0);
    return Next() % bound;
  }
};

class SplitMix64 final : public Rng {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() override {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace raft
