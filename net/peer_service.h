// PeerService: the receiving half of peer traffic (PeerTransport is the
// sending half). Hello tells a starting peer this node's name; Stream reads
// PeerBatches and hands the decoded messages to the NodeLoop. Frames that do
// not decode, or messages addressed to another node, are dropped here.
//
// Threading: gRPC threads; messages reach Raft only through the loop.
#pragma once

#include <atomic>

#include "net/node_loop.h"
#include "proto/raft.grpc.pb.h"

namespace raft::net {

class PeerService final : public RaftPeer::CallbackService {
 public:
  PeerService(std::string self_name, std::string self_address)
      : self_name_(std::move(self_name)), self_address_(std::move(self_address)) {}

  // Until attached, incoming peer messages are dropped.
  void Attach(NodeId self, NodeLoop* loop) {
    self_ = self;
    loop_ = loop;
  }

  grpc::ServerUnaryReactor* Hello(grpc::CallbackServerContext* ctx, const HelloRequest* req,
                                  HelloResponse* resp) override;
  grpc::ServerReadReactor<PeerBatch>* Stream(grpc::CallbackServerContext* ctx,
                                             PeerStreamEnd* end) override;

 private:
  class StreamReader;
  const std::string self_name_;
  const std::string self_address_;
  std::atomic<NodeId> self_{};
  std::atomic<NodeLoop*> loop_{nullptr};
};

}  // namespace raft::net
