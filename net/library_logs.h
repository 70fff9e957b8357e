// Library logs: libprotobuf and gRPC print their own lines to stderr, in
// their own formats, outside spdlog's level.
//
// RouteProtobufLogs sends libprotobuf's lines to spdlog (INFO at debug,
// WARNING and ERROR at warn), at most one per 10 s with the count of those
// held back: input that makes the library complain on every call (a
// string field that is not UTF-8) cannot flood the node's log. FATAL lines
// are written at once; the library then aborts as before.
//
// GrpcLogCapture collects gRPC's lines (gpr_log) while it exists instead
// of printing them. A port already in use makes gRPC print a multi-line
// error tree before BuildAndStart reports failure; the node captures that
// while it binds and reports one line naming the cause (BindFailureCause).
// Outside a capture gRPC prints as usual, so later errors are not hidden.
//
// Threading: RouteProtobufLogs once, before other threads log (libprotobuf's
// SetLogHandler is not thread-safe). One GrpcLogCapture at a time, created
// and destroyed on one thread; lines may arrive from any thread.
#pragma once

#include <string>
#include <vector>

namespace raft::net {

void RouteProtobufLogs();

class GrpcLogCapture {
 public:
  GrpcLogCapture();
  ~GrpcLogCapture();  // gRPC prints to stderr again
  GrpcLogCapture(const GrpcLogCapture&) = delete;
  GrpcLogCapture& operator=(const GrpcLogCapture&) = delete;

  // The messages logged so far, oldest first.
  std::vector<std::string> lines() const;
};

// Why gRPC could not bind, from its captured lines: the operating system's
// error (`os_error:"Address already in use"` -> "address already in use"),
// else a generic cause.
std::string BindFailureCause(const std::vector<std::string>& grpc_lines);

}  // namespace raft::net
