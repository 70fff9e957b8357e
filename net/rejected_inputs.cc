#include "net/rejected_inputs.h"

#include <spdlog/spdlog.h>

namespace raft::net {

void RejectedInputs::Count(std::string_view reason, std::string_view detail) {
  LogLimiter* limiter = nullptr;
  {
    std::lock_guard lk(mu_);
    auto it = reasons_.find(reason);
    if (it == reasons_.end()) it = reasons_.try_emplace(std::string(reason), log_interval_).first;
    it->second.count++;
    limiter = &it->second.limiter;  // entries are never erased
  }
  uint64_t held_back = 0;
  if (!limiter->Allow(LogLimiter::Clock::now(), &held_back)) return;
  if (held_back == 0) {
    spdlog::warn("refused ({}): {}", reason, detail);
  } else {
    spdlog::warn("refused ({}): {} (and {} more since the last report)", reason, detail, held_back);
  }
}

std::map<std::string, uint64_t> RejectedInputs::Counts() const {
  std::lock_guard lk(mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [reason, r] : reasons_) out.emplace(reason, r.count);
  return out;
}

}  // namespace raft::net
