#include "sim/linearizability.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_set>

namespace raft::sim {
namespace {

using Value = std::optional<std::string>;  // nullopt: the key is absent

// Applies op to the register; false if the recorded result contradicts it.
bool Step(const Operation& op, Value& state) {
  const bool known = op.outcome == Outcome::kOk;
  switch (op.op) {
    case kv::Op::kGet:
      if (!known) return true;
      return op.result_found == state.has_value() && (!state || *state == op.result_value);
    case kv::Op::kPut:
      state = op.value;
      return true;
    case kv::Op::kDelete: {
      const bool existed = state.has_value();
      state.reset();
      return !known || op.result_ok == existed;
    }
    case kv::Op::kCompareAndSwap: {
      const bool match =
          op.expect_absent ? !state.has_value() : (state.has_value() && *state == op.expected);
      if (match) state = op.value;
      return !known || op.result_ok == match;
    }
  }
  return false;
}

// The search walks a doubly linked list of call/return events in time order.
struct Event {
  bool is_call;
  size_t op;          // index into ops
  size_t match;       // call <-> return partner (event index)
  size_t prev, next;  // list links (event indexes; kHead sentinel is events.size())
};

struct CacheKey {
  std::vector<uint64_t> linearized;
  Value state;
  bool operator==(const CacheKey&) const = default;
};
struct CacheHash {
  size_t operator()(const CacheKey& k) const {
    uint64_t h = 1469598103934665603ULL;
    for (uint64_t w : k.linearized) h = (h ^ w) * 1099511628211ULL;
    h ^= k.state ? std::hash<std::string>()(*k.state) + 1 : 0;
    return static_cast<size_t>(h * 1099511628211ULL);
  }
};

class KeySearch {
 public:
  explicit KeySearch(std::vector<Operation> ops) : ops_(std::move(ops)) { Build(); }

  bool Run(LinearizabilityReport& report);

 private:
  void Build();
  void Lift(size_t call);
  void Unlift(size_t call);
  void ReportCulprits(const Operation& stuck, LinearizabilityReport& report) const;

  std::vector<Operation> ops_;
  std::vector<Event> events_;
  size_t head_ = 0;  // sentinel index
};

void KeySearch::Build() {
  constexpr SimTime kNever = std::numeric_limits<SimTime>::max();
  struct Point {
    SimTime time;
    bool is_call;
    size_t op;
  };
  std::vector<Point> points;
  for (size_t i = 0; i < ops_.size(); i++) {
    const bool open = ops_[i].outcome != Outcome::kOk;  // unknown or still pending
    const SimTime done = open ? kNever : ops_[i].complete_us;
    points.push_back({ops_[i].invoke_us, true, i});
    points.push_back({done, false, i});
  }
  // At equal times calls sort first: touching intervals count as concurrent.
  std::stable_sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
    return a.time != b.time ? a.time < b.time : (a.is_call && !b.is_call);
  });
  const size_t n = points.size();
  head_ = n;
  events_.resize(n + 1);
  std::vector<size_t> call_of(ops_.size()), ret_of(ops_.size());
  for (size_t i = 0; i < n; i++) {
    events_[i] = Event{points[i].is_call, points[i].op, 0, i == 0 ? head_ : i - 1,
                       i + 1 == n ? head_ : i + 1};
    (points[i].is_call ? call_of : ret_of)[points[i].op] = i;
  }
  for (size_t o = 0; o < ops_.size(); o++) {
    events_[call_of[o]].match = ret_of[o];
    events_[ret_of[o]].match = call_of[o];
  }
  events_[head_] = Event{false, 0, 0, n == 0 ? head_ : n - 1, n == 0 ? head_ : 0};
}

void KeySearch::Lift(size_t call) {
  for (size_t e : {call, events_[call].match}) {
    events_[events_[e].prev].next = events_[e].next;
    events_[events_[e].next].prev = events_[e].prev;
  }
}

void KeySearch::Unlift(size_t call) {
  for (size_t e : {events_[call].match, call}) {
    events_[events_[e].prev].next = e;
    events_[events_[e].next].prev = e;
  }
}

// The operation that could not be placed, everything concurrent with it, and
// the few operations that completed just before it started.
void KeySearch::ReportCulprits(const Operation& stuck, LinearizabilityReport& report) const {
  constexpr size_t kEarlierMax = 4;
  std::vector<const Operation*> earlier;
  for (const Operation& o : ops_) {
    const bool open = o.outcome != Outcome::kOk;
    if (o.invoke_us <= stuck.complete_us && (open || o.complete_us >= stuck.invoke_us)) {
      report.culprits.push_back(o);
    } else if (!open && o.complete_us < stuck.invoke_us) {
      earlier.push_back(&o);
    }
  }
  std::sort(earlier.begin(), earlier.end(),
            [](const Operation* a, const Operation* b) { return a->complete_us > b->complete_us; });
  for (size_t i = 0; i < earlier.size() && i < kEarlierMax; i++) {
    report.culprits.push_back(*earlier[i]);
  }
  std::sort(report.culprits.begin(), report.culprits.end(),
            [](const Operation& a, const Operation& b) { return a.invoke_us < b.invoke_us; });
}

bool KeySearch::Run(LinearizabilityReport& report) {
  const size_t words = (ops_.size() + 63) / 64;
  CacheKey current{std::vector<uint64_t>(words, 0), std::nullopt};
  std::unordered_set<CacheKey, CacheHash> seen;
  struct Frame {
    size_t call;
    Value state_before;
  };
  std::vector<Frame> stack;
  // For the report: the return that blocked the deepest partial order.
  size_t blocked_depth = 0;
  size_t blocked_at = head_;

  size_t e = events_[head_].next;
  while (events_[head_].next != head_) {
    report.states_explored++;
    if (events_[e].is_call) {
      const size_t op = events_[e].op;
      Value next = current.state;
      if (Step(ops_[op], next)) {
        CacheKey candidate = current;
        candidate.linearized[op / 64] |= 1ULL << (op % 64);
        candidate.state = next;
        if (seen.insert(candidate).second) {
          stack.push_back(Frame{e, current.state});
          current = std::move(candidate);
          Lift(e);
          e = events_[head_].next;
          continue;
        }
      }
      e = events_[e].next;
      continue;
    }
    // A return whose operation is not yet linearized: every order of the
    // pending calls before it failed. Backtrack.
    if (blocked_at == head_ || stack.size() >= blocked_depth) {
      blocked_at = e;
      blocked_depth = stack.size();
    }
    if (stack.empty()) {
      ReportCulprits(ops_[events_[blocked_at].op], report);
      return false;
    }
    Frame f = stack.back();
    stack.pop_back();
    const size_t op = events_[f.call].op;
    current.linearized[op / 64] &= ~(1ULL << (op % 64));
    current.state = f.state_before;
    Unlift(f.call);
    e = events_[f.call].next;
  }
  return true;
}

}  // namespace

std::string LinearizabilityReport::Describe() const {
  if (ok) return "linearizable";
  std::ostringstream os;
  os << "history of key " << key << " is not linearizable; operations around the failure:";
  for (const Operation& o : culprits) os << "\n    " << sim::Describe(o);
  return os.str();
}

LinearizabilityReport CheckLinearizable(const std::vector<Operation>& history) {
  std::map<std::string, std::vector<Operation>> by_key;
  for (const Operation& op : history) {
    if (op.outcome == Outcome::kFail) continue;  // definitely had no effect
    by_key[op.key].push_back(op);
  }
  LinearizabilityReport report;
  for (auto& [key, ops] : by_key) {
    KeySearch search(std::move(ops));
    if (!search.Run(report)) {
      report.ok = false;
      report.key = key;
      return report;
    }
  }
  return report;
}

}  // namespace raft::sim
