// LogLimiter: at most one log line per interval for an event that can
// repeat without bound (a client sending malformed requests in a loop, a
// library logging once per call). The lines held back are counted, and the
// next line that goes out reports how many there were, so a flood costs a
// counter increment per event, never a line per event.
//
// Threading: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace raft::net {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogLimiter(std::chrono::milliseconds interval) : interval_(interval) {}

  // Whether a line may be written at `now`: the first one always, then one
  // per interval. When it may, *held_back is set to the number of lines
  // held back since the last one written.
  bool Allow(Clock::time_point now, uint64_t* held_back) {
    std::lock_guard lk(mu_);
    if (written_any_ && now - written_at_ < interval_) {
      held_back_++;
      return false;
    }
    written_any_ = true;
    written_at_ = now;
    *held_back = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  bool written_any_ = false;      // guarded by mu_
  Clock::time_point written_at_;  // guarded by mu_
  uint64_t held_back_ = 0;        // guarded by mu_
};

}  // namespace raft::net
