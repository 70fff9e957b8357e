#include "sim/history.h"

#include <sstream>

namespace raft::sim {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPending:
      return "pending";
    case Outcome::kOk:
      return "ok";
    case Outcome::kFail:
      return "fail";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

std::string Describe(const Operation& op) {
  std::ostringstream os;
  os << "#" << op.id << " c" << op.client << " " << kv::OpName(op.op) << "(" << op.key;
  if (op.op == kv::Op::kPut) os << "=" << op.value;
  if (op.op == kv::Op::kCompareAndSwap) {
    os << ", " << (op.expect_absent ? "<absent>" : op.expected) << " -> " << op.value;
  }
  os << ") [" << op.invoke_us << ", " << op.complete_us << "] " << OutcomeName(op.outcome);
  if (op.outcome == Outcome::kOk) {
    if (op.op == kv::Op::kGet) os << (op.result_found ? " = " + op.result_value : " = <absent>");
    if (op.op == kv::Op::kCompareAndSwap || op.op == kv::Op::kDelete) {
      os << (op.result_ok ? " applied" : " refused");
    }
  }
  return os.str();
}

Operation& History::Invoke(Operation op) {
  op.id = ops_.size();
  ops_.push_back(std::move(op));
  return ops_.back();
}

size_t History::Count(Outcome o) const {
  size_t n = 0;
  for (const Operation& op : ops_) n += op.outcome == o;
  return n;
}

}  // namespace raft::sim
