// Linearizability checker for key-value histories (Wing & Gong's search with
// Lowe's memoization, as in Porcupine), in C++ so a sweep can check every
// seed.
//
// Operations on different keys commute, so the history is checked one key at
// a time against a register model whose state is "absent" or a value. An
// operation with outcome kFail never took effect and is dropped; one with
// kUnknown may take effect at any point after its invocation, or never: it is
// given an infinite completion time and any result, which is the same thing
// (taking effect after everything else is observationally "never").
//
// Threading: pure function over its input.
#pragma once

#include <string>
#include <vector>

#include "sim/history.h"

namespace raft::sim {

struct LinearizabilityReport {
  bool ok = true;
  std::string key;                  // the first key whose history is not linearizable
  std::vector<Operation> culprits;  // operations around where every order failed
  size_t states_explored = 0;
  std::string Describe() const;
};

LinearizabilityReport CheckLinearizable(const std::vector<Operation>& history);

}  // namespace raft::sim
