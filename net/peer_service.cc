#include "net/peer_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/cq_tag.h"
#include "net/peer_codec.h"
#include "net/unary_call.h"

namespace raft::net {

namespace {

std::string Metadata(const grpc::ServerContext& context, const char* key) {
  const auto& md = context.client_metadata();
  auto it = md.find(key);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

std::string JoinedMembers(const Membership& members) {
  std::string out;
  for (const std::string& m : members.Describe()) out += (out.empty() ? "" : ",") + m;
  return out;
}

}  // namespace

// One peer's stream: waits for it to open (then puts a fresh reader in its
// place), checks the sender's identity, reads batches until the peer closes
// it or it breaks, answers the close and deletes itself.
class PeerService::StreamReader final : public CqTag {
 public:
  StreamReader(PeerService& service, grpc::ServerCompletionQueue* cq) : service_(service), cq_(cq) {
    service_.service_.RequestStream(&context_, &reader_, cq_, cq_, this);
  }

  void OnEvent(bool ok) override {
    switch (state_) {
      case State::kWaiting: {
        if (!ok) return delete this;  // the server is shutting down
        new StreamReader(service_, cq_);
        const grpc::Status identity = service_.CheckStreamIdentity(context_, &sender_);
        if (!identity.ok()) {
          state_ = State::kClosing;
          return reader_.Finish(end_, identity, this);
        }
        state_ = State::kReading;
        return reader_.Read(&batch_, this);
      }
      case State::kReading:
        if (!ok) {  // closed by the peer, or broken
          state_ = State::kClosing;
          return reader_.Finish(end_, grpc::Status::OK, this);
        }
        service_.Deliver(sender_, batch_);
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
  NodeId sender_;
  State state_ = State::kWaiting;
};

void PeerService::Listen(grpc::ServerCompletionQueue* cq) {
  using Hello = UnaryCall<RaftPeer::AsyncService, HelloRequest, HelloResponse>;
  Hello::Listen(&service_, &RaftPeer::AsyncService::RequestHello, cq, [this](Hello* call) {
    spdlog::debug("hello from {} at {}", call->request().node_id(), call->request().address());
    CheckHello(call->request());
    HelloResponse& resp = call->response();
    resp.set_node_id(self_name_);
    resp.set_address(self_address_);
    resp.set_client_address(self_client_address_);
    {
      std::lock_guard lk(heard_mu_);
      resp.set_heard_from_you(heard_from_.contains(NodeIdForName(call->request().node_id())));
    }
    {
      std::lock_guard lk(hello_mu_);
      resp.set_cluster_id(hello_.cluster_id);
      resp.set_established(hello_.established);
      for (const std::string& m : hello_.members) resp.add_members(m);
    }
    call->Finish(grpc::Status::OK);
  });
  // One reader waits for each stream a peer may open next.
  new StreamReader(*this, cq);
}

void PeerService::SetHello(HelloInfo info) {
  std::lock_guard lk(hello_mu_);
  hello_ = std::move(info);
}

// Hello is answered to anyone (a starting node must learn who we are to
// refuse a wrong --peers clearly), but a stranger asking is worth a line.
void PeerService::CheckHello(const HelloRequest& req) {
  const std::string who = req.node_id() + " at " + req.address();
  if (req.node_id() == self_name_) {
    rejected_->Count("duplicate_node_id",
                     "Hello from another node named " + who + ", this node's own --node-id");
    return;
  }
  std::lock_guard lk(hello_mu_);
  if (!hello_.established) return;
  const std::string as_member = req.node_id() + "=" + req.address();
  if (std::find(hello_.members.begin(), hello_.members.end(), as_member) == hello_.members.end()) {
    rejected_->Count("hello_from_stranger", "Hello from " + who + " (cluster " + req.cluster_id() +
                                                "), which is not a member of this cluster " +
                                                hello_.cluster_id);
  }
}

grpc::Status PeerService::CheckStreamIdentity(const grpc::ServerContext& context, NodeId* sender) {
  const Membership* members = members_.load();
  if (members == nullptr) return {grpc::StatusCode::UNAVAILABLE, "node is starting"};
  const std::string cluster = Metadata(context, "raft-cluster-id");
  const std::string from = Metadata(context, "raft-from");
  const std::string from_address = Metadata(context, "raft-from-address");
  const std::string to = Metadata(context, "raft-to");
  const std::string ours = members->cluster_id();
  const std::string peer = context.peer();
  auto refuse = [&](const char* reason, grpc::StatusCode code, const std::string& why) {
    rejected_->Count(reason, "peer stream from " + peer + ": " + why);
    return grpc::Status(code, why);
  };
  if (cluster.empty() || from.empty() || to.empty()) {
    return refuse("stream_without_identity", grpc::StatusCode::PERMISSION_DENIED,
                  "peer stream without raft-cluster-id, raft-from and raft-to metadata; " +
                      self_name_ + " serves cluster " + ours);
  }
  if (cluster != ours) {
    return refuse("wrong_cluster", grpc::StatusCode::PERMISSION_DENIED,
                  from + " of cluster " + cluster + " reached " + self_name_ + " of cluster " +
                      ours + ": the two are different clusters (check --peers)");
  }
  const Member* m = members->Find(NodeIdForName(from));
  if (m == nullptr || m->name != from || m->id == members->self().id) {
    return refuse("unknown_sender", grpc::StatusCode::PERMISSION_DENIED,
                  from + " is not another member of cluster " + ours + " (members of " +
                      self_name_ + ": " + JoinedMembers(*members) + ")");
  }
  if (from_address != m->address) {
    return refuse("sender_address_mismatch", grpc::StatusCode::FAILED_PRECONDITION,
                  from + " advertises " + from_address + " but is recorded at " + m->address +
                      " by " + self_name_ + ": restart it on its recorded address");
  }
  if (to != self_name_) {
    return refuse("wrong_receiver", grpc::StatusCode::FAILED_PRECONDITION,
                  from + " meant this stream for " + to + ", but " + self_address_ + " is " +
                      self_name_ + " (the sender's members map addresses differently)");
  }
  *sender = m->id;
  return grpc::Status::OK;
}

void PeerService::Deliver(NodeId sender, PeerBatch& batch) {
  NodeLoop* loop = loop_.load();
  const Membership* members = members_.load();
  if (loop == nullptr || members == nullptr) return;
  const NodeId self = members->self().id;
  std::vector<Message> messages;
  messages.reserve(batch.messages_size());
  for (PeerMessage& pm : *batch.mutable_messages()) {
    Result<Message> m = DecodeMessage(pm);
    if (!m.ok()) {
      rejected_->Count("undecodable_message", m.status().message());
      continue;
    }
    if (m.value().from != sender || m.value().to != self) {
      rejected_->Count("message_identity_mismatch",
                       "a message on " + members->Find(sender)->name +
                           "'s stream claims another sender or receiver");
      continue;
    }
    messages.push_back(std::move(m).value());
  }
  if (messages.empty()) return;
  {
    std::lock_guard lk(heard_mu_);
    heard_from_.insert(sender);
  }
  loop->PostPeerMessages(std::move(messages));
}

}  // namespace raft::net
