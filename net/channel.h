// Dial: how a node (and raftctl's KvClient) opens a channel to a node. gRPC's
// default reconnect backoff grows to two minutes, far longer than an
// election: a restarted peer would sit unreached long after it is back. Peers
// and clients retry within a second instead.
//
// Threading: thread-safe (gRPC channels are).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace raft::net {

inline std::shared_ptr<grpc::Channel> Dial(const std::string& address) {
  grpc::ChannelArguments args;
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also takes it as the connect
  // timeout, which must stay generous on a loaded machine.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace raft::net
