// Distinct value types for the three numbers Raft juggles: terms, log indexes
// and node ids. Keeping them apart lets the compiler catch a term passed where
// an index was meant, which is the classic Raft transcription bug.
//
// Threading: plain values, no shared state.
#pragma once

#include <compare>
#include <cstdint>
#include <ostream>

namespace raft {

// A Raft term. Terms only ever grow; 0 means "no term yet".
struct Term {
  uint64_t value = 0;
  constexpr Term Next() const { return Term{value + 1}; }
  friend constexpr auto operator<=>(Term, Term) = default;
};

// A 1-based log position. Index 0 is the sentinel "before the first entry".
struct Index {
  uint64_t value = 0;
  constexpr Index Next() const { return Index{value + 1}; }
  constexpr Index Prev() const { return Index{value == 0 ? 0 : value - 1}; }
  friend constexpr auto operator<=>(Index, Index) = default;
  friend constexpr Index operator+(Index i, uint64_t n) { return Index{i.value + n}; }
  friend constexpr Index operator-(Index i, uint64_t n) { return Index{i.value - n}; }
  // Number of entries in the half-open range [lo, hi).
  friend constexpr uint64_t Distance(Index lo, Index hi) { return hi.value - lo.value; }
};

// A cluster member. 0 is reserved for "nobody" (no vote, no known leader).
struct NodeId {
  uint64_t value = 0;
  constexpr bool IsNone() const { return value == 0; }
  friend constexpr auto operator<=>(NodeId, NodeId) = default;
};

inline constexpr NodeId kNoNode{0};

inline std::ostream& operator<<(std::ostream& os, Term t) { return os << "t" << t.value; }
inline std::ostream& operator<<(std::ostream& os, Index i) { return os << "i" << i.value; }
inline std::ostream& operator<<(std::ostream& os, NodeId n) { return os << "n" << n.value; }

}  // namespace raft
