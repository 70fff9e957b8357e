// History: what the simulated clients saw, one record per operation, in the
// form a linearizability checker consumes. An operation is invoked at one
// virtual time and completes at a later one with:
//   kOk       it took effect (result fields are meaningful);
//   kFail     it definitely did not take effect;
//   kUnknown  the client cannot tell (timeout, leader lost): it may take
//             effect at any time after invocation, or never.
//
// Threading: single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/kv/command.h"
#include "sim/event_queue.h"

namespace raft::sim {

enum class Outcome : uint8_t { kPending, kOk, kFail, kUnknown };
const char* OutcomeName(Outcome o);

struct Operation {
  uint64_t id = 0;
  uint64_t client = 0;
  kv::Op op = kv::Op::kGet;
  std::string key;
  std::string value;     // put/cas: new value
  std::string expected;  // cas: expected value
  bool expect_absent = false;
  SimTime invoke_us = 0;
  SimTime complete_us = 0;
  Outcome outcome = Outcome::kPending;
  // Results when kOk: get: found/value; cas: ok; delete: ok (existed).
  bool result_ok = false;
  bool result_found = false;
  std::string result_value;
};

std::string Describe(const Operation& op);

class History {
 public:
  Operation& Invoke(Operation op);
  Operation& at(uint64_t id) { return ops_.at(id); }
  const std::vector<Operation>& ops() const { return ops_; }
  size_t Count(Outcome o) const;

 private:
  std::vector<Operation> ops_;  // ops_[i].id == i
};

}  // namespace raft::sim
