#include "net/grpc_log.h"

#include <grpc/support/log.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/assert.h"

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

struct CapturedLine {
  std::string file;
  int line;
  gpr_log_severity severity;
  std::string message;
};

std::mutex capture_mu;
std::vector<CapturedLine>* capture = nullptr;  // guarded by capture_mu; the active one

void Route(const std::string& file, int line, gpr_log_severity severity,
           const std::string& message) {
  Router& router = TheRouter();
  uint64_t left_out = 0;
  {
    std::lock_guard lk(router.mu);
    Source& source = router.sources[{file, line}];
    const Clock::time_point now = Clock::now();
    ++source.count;
    if (source.count > 1 && now - source.logged_at < router.interval) return;
    left_out = source.count - source.count_logged - 1;
    source.count_logged = source.count;
    source.logged_at = now;
  }
  if (left_out == 0) {
    spdlog::log(LevelOf(severity), "grpc: {}", message);
  } else {
    spdlog::log(LevelOf(severity), "grpc: {} (and {} more like it since the last line)", message,
                left_out);
  }
}

void OnGrpcLog(gpr_log_func_args* args) {
  const std::string file = args->file ? args->file : "";
  {
    std::lock_guard lk(capture_mu);
    if (capture != nullptr) {
      capture->push_back(CapturedLine{file, args->line, args->severity, args->message});
      return;
    }
  }
  Route(file, args->line, args->severity, args->message);
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

GrpcLogCapture::GrpcLogCapture() {
  {
    std::lock_guard lk(capture_mu);
    RAFT_ASSERT(capture == nullptr);
    capture = new std::vector<CapturedLine>();
  }
  gpr_set_log_function(OnGrpcLog);  // routes as RouteGrpcLogsToSpdlog does once this ends
}

GrpcLogCapture::~GrpcLogCapture() {
  std::vector<CapturedLine>* lines = nullptr;
  {
    std::lock_guard lk(capture_mu);
    std::swap(lines, capture);
  }
  for (const CapturedLine& l : *lines) Route(l.file, l.line, l.severity, l.message);
  delete lines;
}

std::vector<std::string> GrpcLogCapture::Take() {
  std::lock_guard lk(capture_mu);
  std::vector<std::string> out;
  for (CapturedLine& l : *capture) out.push_back(std::move(l.message));
  capture->clear();
  return out;
}

std::string BindFailureCause(const std::vector<std::string>& grpc_lines) {
  constexpr std::string_view kOsError = "os_error:\"";
  for (const std::string& line : grpc_lines) {
    const size_t at = line.find(kOsError);
    if (at == std::string::npos) continue;
    const size_t from = at + kOsError.size();
    const size_t to = line.find('"', from);
    if (to == std::string::npos || to == from) continue;
    std::string cause = line.substr(from, to - from);
    cause[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(cause[0])));
    return cause;
  }
  return "port in use or address not available";
}

}  // namespace raft::net
