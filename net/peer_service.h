// PeerService: the receiving half of peer traffic (PeerTransport is the
// sending half). Hello tells a starting peer this node's name; Stream reads
// PeerBatches and hands the decoded messages to the NodeLoop. Frames that do
// not decode, or messages addressed to another node, are dropped here.
//
// Threading: everything runs on the thread polling the node's completion
// queue (see cq_tag.h); messages reach Raft only through the loop.
#pragma once

#include <atomic>
#include <string>

#include "net/node_loop.h"
#include "proto/raft.grpc.pb.h"

namespace raft::net {

class PeerService {
 public:
  PeerService(std::string self_name, std::string self_address)
      : self_name_(std::move(self_name)), self_address_(std::move(self_address)) {}

  grpc::Service* service() { return &service_; }
  // Starts accepting calls on cq, which the server was built with.
  void Listen(grpc::ServerCompletionQueue* cq);
  // Until attached, incoming peer messages are dropped.
  void Attach(NodeId self, NodeLoop* loop) {
    self_ = self;
    loop_ = loop;
  }

 private:
  class StreamReader;
  void Deliver(PeerBatch& batch);

  const std::string self_name_;
  const std::string self_address_;
  RaftPeer::AsyncService service_;
  std::atomic<NodeId> self_{};
  std::atomic<NodeLoop*> loop_{nullptr};
};

}  // namespace raft::net
