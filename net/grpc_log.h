// RouteGrpcLogsToSpdlog: gRPC's own log lines (gpr_log, written to stderr by
// default) go to spdlog instead, each source line of gRPC at a limited
// rate: its first line at once, then at most one per interval, saying how
// many were left out. A TLS handshake that fails is one such line, written
// by gRPC on the server for every attempt; a peer with a rogue certificate
// retrying its Hello (or anyone who can reach a port) would otherwise fill
// the node's log.
//
// GrpcLogCapture diverts gRPC's lines into a list while it exists. Binding
// a port that is in use makes gRPC log a multi-line error tree before
// BuildAndStart fails; the node captures it while it binds and reports one
// line naming the cause (BindFailureCause). Lines not taken are routed as
// usual when the capture ends, so nothing logged during a bind that worked
// is hidden.
//
// Threading: install once from main before any gRPC object exists; the
// router itself is thread-safe (gRPC logs from its own threads). One
// GrpcLogCapture at a time.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace raft::net {

void RouteGrpcLogsToSpdlog(std::chrono::milliseconds interval = std::chrono::seconds(10));

class GrpcLogCapture {
 public:
  GrpcLogCapture();
  ~GrpcLogCapture();  // routes the lines not taken
  GrpcLogCapture(const GrpcLogCapture&) = delete;
  GrpcLogCapture& operator=(const GrpcLogCapture&) = delete;

  // The messages captured so far, oldest first; they are not routed.
  std::vector<std::string> Take();
};

// Why gRPC could not bind, from its captured lines: the operating system's
// error (`os_error:"Address already in use"` -> "address already in use"),
// else a generic cause.
std::string BindFailureCause(const std::vector<std::string>& grpc_lines);

}  // namespace raft::net
