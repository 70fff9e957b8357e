#include "net/peer_transport.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

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

class PeerTransport::Sender {
 public:
  Sender(const Member& peer, const PeerTransportOptions& options, PeerTransport& owner)
      : peer_(peer), options_(options), owner_(owner), thread_([this] { Run(); }) {}

  void Enqueue(Message m) {
    {
      std::lock_guard lk(mu_);
      if (stop_ || queue_.size() >= options_.queue_messages_max) return;  // dropped
      queue_.push_back(std::move(m));
    }
    cv_.notify_one();
  }

  void Stop() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
      if (context_) context_->TryCancel();
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    auto stub = RaftPeer::NewStub(Dial(peer_.address));
    std::chrono::milliseconds backoff = kBackoffMin;
    bool healthy = true;
    PeerBatch batch;
    while (TakeBatch(batch)) {
      if (!writer_) Connect(*stub);
      if (writer_ && writer_->Write(batch)) {
        if (!healthy) spdlog::info("peer {} at {} reachable again", peer_.name, peer_.address);
        healthy = true;
        backoff = kBackoffMin;
        continue;
      }
      Disconnect();
      if (healthy) spdlog::warn("peer {} at {} unreachable", peer_.name, peer_.address);
      healthy = false;
      if (owner_.on_unreachable_) owner_.on_unreachable_(peer_.id);
      std::unique_lock lk(mu_);
      queue_.clear();  // stale by the time the peer is back; Raft resends
      cv_.wait_for(lk, backoff, [&] { return stop_; });
      backoff = std::min(backoff * 2, kBackoffMax);
    }
    Disconnect();
  }

  // Moves queued messages, up to the batch byte limit, into batch. False
  // once stopped.
  bool TakeBatch(PeerBatch& batch) {
    batch.Clear();
    std::deque<Message> taken;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return false;
      uint64_t bytes = 0;
      while (!queue_.empty() && (taken.empty() || bytes < options_.batch_bytes_max)) {
        bytes += PayloadBytes(queue_.front());
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    for (const Message& m : taken) EncodeMessage(m, batch.add_messages());
    return true;
  }

  void Connect(RaftPeer::Stub& stub) {
    auto context = std::make_unique<grpc::ClientContext>();
    {
      std::lock_guard lk(mu_);
      if (stop_) return;
      context_ = std::move(context);
    }
    writer_ = stub.Stream(context_.get(), &end_);
  }

  void Disconnect() {
    if (writer_) {
      context_->TryCancel();
      (void)writer_->Finish();
      writer_.reset();
    }
    std::lock_guard lk(mu_);
    context_.reset();
  }

  const Member peer_;
  const PeerTransportOptions options_;
  PeerTransport& owner_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> queue_;                              // guarded by mu_
  bool stop_ = false;                                      // guarded by mu_
  std::unique_ptr<grpc::ClientContext> context_;           // guarded by mu_; written by the thread
  std::unique_ptr<grpc::ClientWriter<PeerBatch>> writer_;  // sender thread only
  PeerStreamEnd end_;
  std::thread thread_;  // last: starts once everything above exists
};

PeerTransport::PeerTransport(const Membership& members, const PeerTransportOptions& options,
                             std::function<void(NodeId)> on_unreachable)
    : on_unreachable_(std::move(on_unreachable)) {
  for (const Member& m : members.members()) {
    if (m.id == members.self().id) continue;
    senders_.emplace(m.id, std::make_unique<Sender>(m, options, *this));
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
