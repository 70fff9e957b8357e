#include "net/peer_service.h"

#include <spdlog/spdlog.h>

#include "net/peer_codec.h"

namespace raft::net {

class PeerService::StreamReader final : public grpc::ServerReadReactor<PeerBatch> {
 public:
  explicit StreamReader(PeerService& service) : service_(service) { StartRead(&batch_); }

  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::OK);
    NodeLoop* loop = service_.loop_.load();
    if (loop != nullptr) {
      const NodeId self = service_.self_.load();
      std::vector<Message> messages;
      messages.reserve(batch_.messages_size());
      for (PeerMessage& pm : *batch_.mutable_messages()) {
        Result<Message> m = DecodeMessage(pm);
        if (!m.ok()) {
          spdlog::debug("dropped a peer message: {}", m.status().message());
          continue;
        }
        if (m.value().to != self) continue;
        messages.push_back(std::move(m).value());
      }
      if (!messages.empty()) loop->PostPeerMessages(std::move(messages));
    }
    batch_.Clear();
    StartRead(&batch_);
  }

  void OnDone() override { delete this; }

 private:
  PeerService& service_;
  PeerBatch batch_;
};

grpc::ServerUnaryReactor* PeerService::Hello(grpc::CallbackServerContext* ctx,
                                             const HelloRequest* req, HelloResponse* resp) {
  spdlog::debug("hello from {} at {}", req->node_id(), req->address());
  resp->set_node_id(self_name_);
  resp->set_address(self_address_);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerReadReactor<PeerBatch>* PeerService::Stream(grpc::CallbackServerContext*,
                                                        PeerStreamEnd*) {
  return new StreamReader(*this);
}

}  // namespace raft::net
