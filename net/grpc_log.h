// RouteGrpcLogsToSpdlog: gRPC's own log lines (gpr_log, written to stderr by
// default) go to spdlog instead, each source line of gRPC at a limited
// rate: its first line at once, then at most one per interval, saying how
// many were left out. A TLS handshake that fails is one such line, written
// by gRPC on the server for every attempt; a peer with a rogue certificate
// retrying its Hello (or anyone who can reach a port) would otherwise fill
// the node's log.
//
// Threading: install once from main before any gRPC object exists; the
// router itself is thread-safe (gRPC logs from its own threads).
#pragma once

#include <chrono>

namespace raft::net {

void RouteGrpcLogsToSpdlog(std::chrono::milliseconds interval = std::chrono::seconds(10));

}  // namespace raft::net
