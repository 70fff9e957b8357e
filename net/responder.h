// Responder: finishes client calls on its own thread. gRPC's Finish() writes
// the response to the socket on the calling thread; done on the NodeLoop it
// would delay the next Ready (and its fsync) by a syscall per answer. The
// loop hands answers here instead, one wake-up per batch.
//
// Threading: Finish from any thread; Stop from the owner once no thread
// will call Finish again (it answers whatever is still queued).
#pragma once

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace raft::net {

class Responder {
 public:
  Responder() : thread_([this] { Run(); }) {}
  ~Responder() { Stop(); }
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  void Finish(grpc::ServerUnaryReactor* reactor, grpc::Status status) {
    bool inline_finish = false;
    {
      std::lock_guard lk(mu_);
      if (stopped_) {
        inline_finish = true;
      } else {
        queue_.emplace_back(reactor, std::move(status));
      }
    }
    if (inline_finish) return reactor->Finish(status);
    cv_.notify_one();
  }

  void Stop() {
    {
      std::lock_guard lk(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

 private:
  void Run() {
    std::vector<std::pair<grpc::ServerUnaryReactor*, grpc::Status>> batch;
    while (true) {
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stopped_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopped and drained
        batch.swap(queue_);
      }
      for (auto& [reactor, status] : batch) reactor->Finish(status);
      batch.clear();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<grpc::ServerUnaryReactor*, grpc::Status>> queue_;  // guarded by mu_
  bool stopped_ = false;                                                   // guarded by mu_
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace raft::net
