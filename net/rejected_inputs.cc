#include "net/rejected_inputs.h"

#include <spdlog/spdlog.h>

namespace raft::net {

void RejectedInputs::Count(std::string_view reason, std::string_view detail) {
  const Clock::time_point now = Clock::now();
  uint64_t unreported = 0;
  {
    std::lock_guard lk(mu_);
    auto it = reasons_.find(reason);
    if (it == reasons_.end()) it = reasons_.emplace(std::string(reason), Reason{}).first;
    Reason& r = it->second;
    r.count++;
    if (r.count > 1 && now - r.logged_at < log_interval_) return;
    unreported = r.count - r.count_logged - 1;
    r.count_logged = r.count;
    r.logged_at = now;
  }
  if (unreported == 0) {
    spdlog::warn("refused ({}): {}", reason, detail);
  } else {
    spdlog::warn("refused ({}): {} (and {} more since the last report)", reason, detail,
                 unreported);
  }
}

std::map<std::string, uint64_t> RejectedInputs::Counts() const {
  std::lock_guard lk(mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [reason, r] : reasons_) out.emplace(reason, r.count);
  return out;
}

uint64_t RejectedInputs::Total() const {
  std::lock_guard lk(mu_);
  uint64_t total = 0;
  for (const auto& [reason, r] : reasons_) total += r.count;
  return total;
}

}  // namespace raft::net
