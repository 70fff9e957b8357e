#include "net/peer_transport.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "net/channel.h"
#include "net/peer_codec.h"

namespace raft::net {

namespace {

constexpr std::chrono::milliseconds kBackoffMin{50};
constexpr std::chrono::milliseconds kBackoffMax{1000};
constexpr std::chrono::seconds kRefusalLogEvery{60};

uint64_t PayloadBytes(const Message& m) {
  uint64_t bytes = 64 + m.snapshot.data.size();
  for (const Entry& e : m.entries) bytes += 24 + e.data.size();
  return bytes;
}

}  // namespace

// One peer's stream, driven by its queue events:
//   idle -> connecting -> ready <-> writing
//   connecting/writing fail -> closing -> backoff -> idle (reconnects when
//   there is something to send).
class PeerTransport::Sender final : public CqTag {
 public:
  Sender(const Membership& members, const Member& peer, const PeerTransportOptions& options,
         grpc::CompletionQueue* cq, PeerTransport& owner)
      : self_(members.self()),
        cluster_id_(members.cluster_id()),
        peer_(peer),
        options_(options),
        cq_(cq),
        owner_(owner),
        stub_(RaftPeer::NewStub(Dial(peer.address, options.credentials))) {}

  void Enqueue(Message m) {
    if (stopped_ || queue_.size() >= options_.queue_messages_max) return;  // dropped
    queue_.push_back(std::move(m));
    if (state_ == State::kIdle) return Connect();
    if (state_ == State::kReady) WriteQueued();
  }

  void Stop() {
    stopped_ = true;
    queue_.clear();
    if (context_) context_->TryCancel();
    if (state_ == State::kBackoff) backoff_alarm_.Cancel();
  }

  void OnEvent(bool ok) override {
    if (stopped_) return;
    switch (state_) {
      case State::kConnecting:
      case State::kWriting:
        if (!ok) return Fail();
        if (!healthy_ && !RecentlyRefused()) {
          spdlog::info("peer {} at {} reachable again", peer_.name, peer_.address);
        }
        healthy_ = true;
        backoff_ = kBackoffMin;
        state_ = State::kReady;
        if (!queue_.empty()) WriteQueued();
        return;
      case State::kClosing:  // the broken call is released: wait, then retry
        LogRefusal();
        writer_.reset();
        context_.reset();
        state_ = State::kBackoff;
        backoff_alarm_.Set(cq_, std::chrono::system_clock::now() + backoff_, this);
        backoff_ = std::min(backoff_ * 2, kBackoffMax);
        return;
      case State::kBackoff:
        state_ = State::kIdle;
        if (!queue_.empty()) Connect();
        return;
      case State::kIdle:
      case State::kReady:
        return;  // no operation is in flight in these states
    }
  }
  void Discard() override {}  // owned by the transport, which outlives the drain

 private:
  enum class State { kIdle, kConnecting, kReady, kWriting, kClosing, kBackoff };

  void Connect() {
    context_ = std::make_unique<grpc::ClientContext>();
    // The receiver checks who we are before it reads a message.
    context_->AddMetadata("raft-cluster-id", cluster_id_);
    context_->AddMetadata("raft-from", self_.name);
    context_->AddMetadata("raft-from-address", self_.address);
    context_->AddMetadata("raft-to", peer_.name);
    state_ = State::kConnecting;
    writer_ = stub_->AsyncStream(context_.get(), &end_, cq_, this);
  }

  // Moves queued messages, up to the batch byte limit, into one write.
  void WriteQueued() {
    batch_.Clear();
    uint64_t bytes = 0;
    while (!queue_.empty() && (batch_.messages_size() == 0 || bytes < options_.batch_bytes_max)) {
      bytes += PayloadBytes(queue_.front());
      EncodeMessage(queue_.front(), batch_.add_messages());
      queue_.pop_front();
    }
    state_ = State::kWriting;
    writer_->Write(batch_, this);
  }

  void Fail() {
    if (healthy_ && !RecentlyRefused()) {
      spdlog::warn("peer {} at {} unreachable", peer_.name, peer_.address);
    }
    healthy_ = false;
    queue_.clear();  // stale by the time the peer is back; Raft resends
    if (owner_.on_unreachable_) owner_.on_unreachable_(peer_.id);
    context_->TryCancel();
    state_ = State::kClosing;
    writer_->Finish(&status_, this);
  }

  // A peer that refuses our identity says why: one line when the reason
  // changes, and again once a minute while it lasts (not once per retry).
  void LogRefusal() {
    const grpc::StatusCode code = status_.error_code();
    if (code != grpc::StatusCode::PERMISSION_DENIED &&
        code != grpc::StatusCode::FAILED_PRECONDITION) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    const bool again = status_.error_message() == last_refusal_ && RecentlyRefused();
    if (!again) {
      last_refusal_ = status_.error_message();
      refusal_logged_at_ = now;
      spdlog::error("peer {} at {} refused this node's stream: {}", peer_.name, peer_.address,
                    last_refusal_);
    }
    refused_at_ = now;
  }
  bool RecentlyRefused() const {
    return refused_at_ && std::chrono::steady_clock::now() - *refused_at_ < kRefusalLogEvery &&
           std::chrono::steady_clock::now() - refusal_logged_at_ < kRefusalLogEvery;
  }

  const Member self_;
  const std::string cluster_id_;
  const Member peer_;
  const PeerTransportOptions options_;
  grpc::CompletionQueue* const cq_;
  PeerTransport& owner_;
  const std::unique_ptr<RaftPeer::Stub> stub_;
  State state_ = State::kIdle;
  bool stopped_ = false;
  bool healthy_ = true;
  std::chrono::milliseconds backoff_ = kBackoffMin;
  std::deque<Message> queue_;
  PeerBatch batch_;  // the write in flight
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientAsyncWriter<PeerBatch>> writer_;
  PeerStreamEnd end_;
  grpc::Status status_;
  std::string last_refusal_;
  std::optional<std::chrono::steady_clock::time_point> refused_at_;
  std::chrono::steady_clock::time_point refusal_logged_at_;
  grpc::Alarm backoff_alarm_;
};

PeerTransport::PeerTransport(const Membership& members, const PeerTransportOptions& options,
                             grpc::CompletionQueue* cq, std::function<void(NodeId)> on_unreachable)
    : on_unreachable_(std::move(on_unreachable)) {
  for (const Member& m : members.members()) {
    if (m.id == members.self().id) continue;
    senders_.emplace(m.id, std::make_unique<Sender>(members, m, options, cq, *this));
  }
}

PeerTransport::~PeerTransport() { Stop(); }

void PeerTransport::Send(Message m) {
  auto it = senders_.find(m.to);
  if (it != senders_.end()) it->second->Enqueue(std::move(m));
}

void PeerTransport::Stop() {
  for (auto& [id, sender] : senders_) sender->Stop();
}

}  // namespace raft::net
