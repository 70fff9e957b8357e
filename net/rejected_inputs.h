// RejectedInputs: what this node refused at its edges, counted per reason:
// peer streams whose identity does not match (wrong cluster, unknown sender,
// wrong receiver), peer messages that fail validation against Raft's state
// (core/message_validator.h). The counts are shown in GetClusterStatus.
//
// Each reason is logged at a limited rate: its first refusal at once, then
// at most one line per reason per log interval, carrying how many were
// refused since the last line. A flood of forged traffic costs a counter
// increment per message, never a log line per message.
//
// Threading: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "net/log_limiter.h"

namespace raft::net {

class RejectedInputs {
 public:
  explicit RejectedInputs(std::chrono::milliseconds log_interval = std::chrono::seconds(10))
      : log_interval_(log_interval) {}

  // Counts one refusal; `detail` says what was refused and from whom.
  void Count(std::string_view reason, std::string_view detail);
  std::map<std::string, uint64_t> Counts() const;

 private:
  struct Reason {
    explicit Reason(std::chrono::milliseconds log_interval) : limiter(log_interval) {}
    uint64_t count = 0;
    LogLimiter limiter;
  };
  const std::chrono::milliseconds log_interval_;
  mutable std::mutex mu_;
  std::map<std::string, Reason, std::less<>> reasons_;  // guarded by mu_
};

}  // namespace raft::net
