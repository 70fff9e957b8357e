#include "net/peer_transport.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/channel.h"
#include "net/peer_codec.h"

namespace raft::net {

namespace {

constexpr std::chrono::milliseconds kBackoffMin{50};
constexpr std::chrono::milliseconds kBackoffMax{1000};

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
  Sender(const Member& peer, const PeerTransportOptions& options, grpc::CompletionQueue* cq,
         PeerTransport& owner)
      : peer_(peer),
        options_(options),
        cq_(cq),
        owner_(owner),
        stub_(RaftPeer::NewStub(Dial(peer.address))) {}

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
        if (!healthy_) spdlog::info("peer {} at {} reachable again", peer_.name, peer_.address);
        healthy_ = true;
        backoff_ = kBackoffMin;
        state_ = State::kReady;
        if (!queue_.empty()) WriteQueued();
        return;
      case State::kClosing:  // the broken call is released: wait, then retry
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
    if (healthy_) spdlog::warn("peer {} at {} unreachable", peer_.name, peer_.address);
    healthy_ = false;
    queue_.clear();  // stale by the time the peer is back; Raft resends
    if (owner_.on_unreachable_) owner_.on_unreachable_(peer_.id);
    context_->TryCancel();
    state_ = State::kClosing;
    writer_->Finish(&status_, this);
  }

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
  grpc::Alarm backoff_alarm_;
};

PeerTransport::PeerTransport(const Membership& members, const PeerTransportOptions& options,
                             grpc::CompletionQueue* cq, std::function<void(NodeId)> on_unreachable)
    : on_unreachable_(std::move(on_unreachable)) {
  for (const Member& m : members.members()) {
    if (m.id == members.self().id) continue;
    senders_.emplace(m.id, std::make_unique<Sender>(m, options, cq, *this));
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
