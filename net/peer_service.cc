#include "net/peer_service.h"

#include <spdlog/spdlog.h>

#include "net/cq_tag.h"
#include "net/peer_codec.h"
#include "net/unary_call.h"

namespace raft::net {

// One peer's stream: waits for it to open (then puts a fresh reader in its
// place), reads batches until the peer closes it or it breaks, answers the
// close and deletes itself.
class PeerService::StreamReader final : public CqTag {
 public:
  StreamReader(PeerService& service, grpc::ServerCompletionQueue* cq) : service_(service), cq_(cq) {
    service_.service_.RequestStream(&context_, &reader_, cq_, cq_, this);
  }

  void OnEvent(bool ok) override {
    switch (state_) {
      case State::kWaiting:
        if (!ok) return delete this;  // the server is shutting down
        new StreamReader(service_, cq_);
        state_ = State::kReading;
        return reader_.Read(&batch_, this);
      case State::kReading:
        if (!ok) {  // closed by the peer, or broken
          state_ = State::kClosing;
          return reader_.Finish(end_, grpc::Status::OK, this);
        }
        service_.Deliver(batch_);
        batch_.Clear();
        return reader_.Read(&batch_, this);
      case State::kClosing:
        return delete this;
    }
  }
  void Discard() override { delete this; }

 private:
  enum class State { kWaiting, kReading, kClosing };
  PeerService& service_;
  grpc::ServerCompletionQueue* const cq_;
  grpc::ServerContext context_;
  grpc::ServerAsyncReader<PeerStreamEnd, PeerBatch> reader_{&context_};
  PeerBatch batch_;
  PeerStreamEnd end_;
  State state_ = State::kWaiting;
};

void PeerService::Listen(grpc::ServerCompletionQueue* cq) {
  using Hello = UnaryCall<RaftPeer::AsyncService, HelloRequest, HelloResponse>;
  Hello::Listen(&service_, &RaftPeer::AsyncService::RequestHello, cq, [this](Hello* call) {
    spdlog::debug("hello from {} at {}", call->request().node_id(), call->request().address());
    call->response().set_node_id(self_name_);
    call->response().set_address(self_address_);
    call->Finish(grpc::Status::OK);
  });
  // One reader waits for each stream a peer may open next.
  new StreamReader(*this, cq);
}

void PeerService::Deliver(PeerBatch& batch) {
  NodeLoop* loop = loop_.load();
  if (loop == nullptr) return;
  const NodeId self = self_.load();
  std::vector<Message> messages;
  messages.reserve(batch.messages_size());
  for (PeerMessage& pm : *batch.mutable_messages()) {
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

}  // namespace raft::net
