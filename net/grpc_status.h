// Mapping of core Status codes to gRPC status codes: the one place where an
// operating error becomes what a client sees.
//
//   kNotLeader, kDropped, kUnavailable -> UNAVAILABLE (retry, maybe elsewhere)
//   kInvalidArgument                   -> INVALID_ARGUMENT
//   kCompacted, kCorruption, kIoError  -> INTERNAL
//
// Threading: pure function.
#pragma once

#include <grpcpp/grpcpp.h>

#include "core/status.h"

namespace raft::net {

inline grpc::Status ToGrpcStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return grpc::Status::OK;
    case StatusCode::kNotLeader:
      return {grpc::StatusCode::UNAVAILABLE, "not the leader (leadership changed); retry"};
    case StatusCode::kDropped:
      return {grpc::StatusCode::UNAVAILABLE,
              "write lost to a leader change and not applied; retry"};
    case StatusCode::kUnavailable:
      return {grpc::StatusCode::UNAVAILABLE, s.message()};
    case StatusCode::kInvalidArgument:
      return {grpc::StatusCode::INVALID_ARGUMENT, s.message()};
    default:
      return {grpc::StatusCode::INTERNAL, s.message()};
  }
}

}  // namespace raft::net
