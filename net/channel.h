// Dial: how a node (and raftctl's KvClient) opens a channel to a node. gRPC's
// default reconnect backoff grows to two minutes, far longer than an
// election: a restarted peer would sit unreached long after it is back. Peers
// and clients retry within a second instead. Without credentials the
// channel is plaintext; TLS credentials come from tls.h.
//
// Threading: thread-safe (gRPC channels are).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace raft::net {

inline std::shared_ptr<grpc::Channel> Dial(
    const std::string& address, std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr) {
  grpc::ChannelArguments args;
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also takes it as the connect
  // timeout, which must stay generous on a loaded machine.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetMaxReceiveMessageSize(64 << 20);
  if (!credentials) credentials = grpc::InsecureChannelCredentials();
  return grpc::CreateCustomChannel(address, credentials, args);
}

}  // namespace raft::net
