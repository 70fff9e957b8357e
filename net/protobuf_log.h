// RouteProtobufLogs: libprotobuf's own log lines (written to stderr by
// default) go to spdlog instead (INFO at debug, WARNING and ERROR at warn),
// at most one per 10 s with the count of those held back: input that makes
// the library complain on every call (a string field that is not UTF-8, in
// a service the node does not parse itself) cannot flood the node's log.
// FATAL lines are written at once; the library then aborts as before.
// (gRPC's own lines: grpc_log.h.)
//
// Threading: call once from main before other threads log (libprotobuf's
// SetLogHandler is not thread-safe); the handler itself is thread-safe.
#pragma once

namespace raft::net {

void RouteProtobufLogs();

}  // namespace raft::net
