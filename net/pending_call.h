// PendingCall: one client call this node is serving itself, answered
// exactly once by whichever comes first: its result, its deadline, or
// shutdown. The destructor is the shutdown path: dropping the Replica (or
// the loop's queue) drops the last reference and the client hears
// UNAVAILABLE instead of hanging.
//
// Threading: Finish may race between the loop thread and the thread that
// drops the last reference; the atomic flag makes the first one win. The
// response message may be written only by the thread that then finishes
// (the loop thread), after checking finished().
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>

namespace raft::net {

// Where a call's answer goes: the response message (filled by the caller
// first) with an OK status, or the error status alone.
class Responder {
 public:
  virtual void Finish(const grpc::Status& status) = 0;

 protected:
  ~Responder() = default;
};

class PendingCall {
 public:
  explicit PendingCall(Responder* responder) : responder_(responder) {}
  ~PendingCall() {
    Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "node is shutting down before the request finished; a write's outcome "
                        "is unknown; retry another node"));
  }
  PendingCall(const PendingCall&) = delete;
  PendingCall& operator=(const PendingCall&) = delete;

  void Finish(const grpc::Status& status) {
    if (!finished_.exchange(true)) responder_->Finish(status);
  }
  bool finished() const { return finished_.load(); }

 private:
  Responder* responder_;
  std::atomic<bool> finished_{false};
};

}  // namespace raft::net
