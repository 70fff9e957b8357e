#include "net/library_logs.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <mutex>

#include "core/assert.h"
#include "net/log_limiter.h"

namespace raft::net {

namespace {

constexpr std::chrono::seconds kLibraryLogEvery{10};

void ProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                 const std::string& message) {
  if (level == google::protobuf::LOGLEVEL_FATAL) {
    spdlog::critical("libprotobuf {}:{}: {}", filename, line, message);
    return;
  }
  static LogLimiter limiter(kLibraryLogEvery);
  uint64_t held_back = 0;
  if (!limiter.Allow(LogLimiter::Clock::now(), &held_back)) return;
  const auto spd_level =
      level == google::protobuf::LOGLEVEL_INFO ? spdlog::level::debug : spdlog::level::warn;
  if (held_back == 0) {
    spdlog::log(spd_level, "libprotobuf {}:{}: {}", filename, line, message);
  } else {
    spdlog::log(spd_level, "libprotobuf {}:{}: {} ({} more libprotobuf lines held back)", filename,
                line, message, held_back);
  }
}

// The active capture's lines; gpr_log's hook is a plain function.
std::mutex capture_mu;
std::vector<std::string>* captured = nullptr;  // guarded by capture_mu

void CaptureGrpcLog(gpr_log_func_args* args) {
  std::lock_guard lk(capture_mu);
  if (captured != nullptr) captured->emplace_back(args->message);
}

}  // namespace

void RouteProtobufLogs() { google::protobuf::SetLogHandler(&ProtobufLog); }

GrpcLogCapture::GrpcLogCapture() {
  {
    std::lock_guard lk(capture_mu);
    RAFT_ASSERT(captured == nullptr);
    captured = new std::vector<std::string>();
  }
  gpr_set_log_function(&CaptureGrpcLog);
}

GrpcLogCapture::~GrpcLogCapture() {
  gpr_set_log_function(nullptr);  // gRPC's default: stderr
  std::lock_guard lk(capture_mu);
  delete captured;
  captured = nullptr;
}

std::vector<std::string> GrpcLogCapture::lines() const {
  std::lock_guard lk(capture_mu);
  return *captured;
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
