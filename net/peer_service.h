// PeerService: the receiving half of peer traffic (PeerTransport is the
// sending half). Hello tells a starting peer this node's name and cluster;
// Stream reads PeerBatches and hands the decoded messages to the NodeLoop.
//
// Identity comes before content. A stream is read only once its opening
// metadata (see proto/raft.proto, service RaftPeer) names this cluster, a
// member as sender at the address recorded for it, and this node as
// receiver; otherwise it is ended at once with an error naming both sides,
// and counted and logged (RejectedInputs). Every message on an accepted
// stream must be from its sender to this node. Until Raft runs (the members
// are not yet known) streams are refused with UNAVAILABLE: the sender
// retries. Frames that do not decode are dropped and counted. What passes
// is then checked against Raft's state on the loop (core/message_validator.h).
//
// Threading: Listen/Attach/SetHello from the start-up thread; everything
// else runs on the thread polling the queue given to Listen (see cq_tag.h):
// the node's loop, or the peer server's own poller with --peer-port.
// Messages reach Raft only through NodeLoop::PostPeerMessages, which is
// thread-safe; the rest it reads is atomic or under hello_mu_.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "net/cluster_members.h"
#include "net/node_loop.h"
#include "net/rejected_inputs.h"
#include "proto/raft.grpc.pb.h"

namespace raft::net {

// What this node answers to Hello.
struct HelloInfo {
  std::string cluster_id;  // final once established, else this node's proposal
  bool established = false;
  std::vector<std::string> members;  // "name=address", when established
};

class PeerService {
 public:
  // self_address: where peers reach this node; self_client_address: where
  // clients do (the same without a separate peer port).
  PeerService(std::string self_name, std::string self_address, std::string self_client_address,
              RejectedInputs* rejected)
      : self_name_(std::move(self_name)),
        self_address_(std::move(self_address)),
        self_client_address_(std::move(self_client_address)),
        rejected_(rejected) {}

  grpc::Service* service() { return &service_; }
  // Starts accepting calls on cq, which the server was built with.
  void Listen(grpc::ServerCompletionQueue* cq);
  void SetHello(HelloInfo info);
  // From now on streams from the members of `members` (which must outlive
  // this service) are read and their messages posted to loop.
  void Attach(const Membership* members, NodeLoop* loop) {
    members_ = members;
    loop_ = loop;
  }

 private:
  class StreamReader;
  // OK with the sender's id, or the error that ends the stream.
  grpc::Status CheckStreamIdentity(const grpc::ServerContext& context, NodeId* sender);
  void Deliver(NodeId sender, PeerBatch& batch);
  void CheckHello(const HelloRequest& request);

  const std::string self_name_;
  const std::string self_address_;
  const std::string self_client_address_;
  RejectedInputs* const rejected_;
  RaftPeer::AsyncService service_;
  std::mutex hello_mu_;
  HelloInfo hello_;  // guarded by hello_mu_
  // Peers whose Raft messages reached this process (Hello's heard_from_you).
  std::mutex heard_mu_;
  std::set<NodeId> heard_from_;  // guarded by heard_mu_
  std::atomic<const Membership*> members_{nullptr};
  std::atomic<NodeLoop*> loop_{nullptr};
};

}  // namespace raft::net
