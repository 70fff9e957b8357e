#include "sim/event_queue.h"

#include "core/assert.h"

namespace raft::sim {

void EventQueue::At(SimTime when, std::function<void()> fn) {
  RAFT_ASSERT_MSG(when >= now_, "events cannot be scheduled in the past");
  heap_.push(Event{when, next_seq_++, std::move(fn)});
}

bool EventQueue::RunNext(SimTime until) {
  if (heap_.empty() || heap_.top().when > until) return false;
  // Move the callback out before popping; it may schedule more events.
  Event e = std::move(const_cast<Event&>(heap_.top()));
  heap_.pop();
  now_ = e.when;
  executed_++;
  e.fn();
  return true;
}

}  // namespace raft::sim
