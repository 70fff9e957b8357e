#include "net/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <string>

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

}  // namespace

void RouteProtobufLogs() { google::protobuf::SetLogHandler(&ProtobufLog); }

}  // namespace raft::net
