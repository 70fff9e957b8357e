#include "net/grpc_log.h"

#include <grpc/support/log.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace raft::net {

namespace {

using Clock = std::chrono::steady_clock;

struct Source {
  uint64_t count = 0;
  uint64_t count_logged = 0;  // count when the last line was written
  Clock::time_point logged_at;
};

// Keyed by gRPC's source file and line: a bounded set.
struct Router {
  std::mutex mu;
  std::chrono::milliseconds interval{10'000};
  std::map<std::pair<std::string, int>, Source> sources;  // guarded by mu
};

Router& TheRouter() {
  static Router* router = new Router;  // never destroyed: gRPC may log at exit
  return *router;
}

spdlog::level::level_enum LevelOf(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_DEBUG:
      return spdlog::level::debug;
    case GPR_LOG_SEVERITY_INFO:
      return spdlog::level::info;
    case GPR_LOG_SEVERITY_ERROR:
      break;
  }
  return spdlog::level::err;
}

void OnGrpcLog(gpr_log_func_args* args) {
  Router& router = TheRouter();
  uint64_t left_out = 0;
  {
    std::lock_guard lk(router.mu);
    Source& source = router.sources[{args->file ? args->file : "", args->line}];
    const Clock::time_point now = Clock::now();
    ++source.count;
    if (source.count > 1 && now - source.logged_at < router.interval) return;
    left_out = source.count - source.count_logged - 1;
    source.count_logged = source.count;
    source.logged_at = now;
  }
  if (left_out == 0) {
    spdlog::log(LevelOf(args->severity), "grpc: {}", args->message);
  } else {
    spdlog::log(LevelOf(args->severity), "grpc: {} (and {} more like it since the last line)",
                args->message, left_out);
  }
}

}  // namespace

void RouteGrpcLogsToSpdlog(std::chrono::milliseconds interval) {
  {
    Router& router = TheRouter();
    std::lock_guard lk(router.mu);
    router.interval = interval;
  }
  gpr_set_log_function(OnGrpcLog);
}

}  // namespace raft::net
