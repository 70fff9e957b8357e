// EventQueue: the simulated world's only clock. Events run in (time,
// sequence) order; the sequence number breaks ties by scheduling order, so
// two events at the same virtual microsecond always run in the same order.
//
// Threading: single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace raft::sim {

using SimTime = uint64_t;  // virtual microseconds since the start of a run

class EventQueue {
 public:
  void At(SimTime when, std::function<void()> fn);
  void After(SimTime delay, std::function<void()> fn) { At(now_ + delay, std::move(fn)); }
  // Runs the next event; false when none is left or it is past `until`.
  bool RunNext(SimTime until);
  SimTime now() const { return now_; }
  size_t size() const { return heap_.size(); }
  uint64_t executed() const { return executed_; }

 private:
  struct Event {
    SimTime when;
    uint64_t seq;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.when != b.when ? a.when > b.when : a.seq > b.seq;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
  SimTime now_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t executed_ = 0;
};

}  // namespace raft::sim
