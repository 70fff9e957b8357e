// CqTag: what a node's completion queue hands back. Every asynchronous gRPC
// operation the node starts (a call arriving, a stream read or write, an
// answer sent, a forwarded call's reply, the loop's wake-up alarm) names a
// CqTag, and the one thread polling the queue runs it. All of a node's gRPC
// traffic goes through this queue: with no gRPC callback-API service or
// stub in the process, gRPC starts no threads of its own that poll sockets,
// and the polling thread reads, handles and answers each event without
// handing it to another thread (bench/floor-structures.sh prices the
// difference: about a third of a call's CPU and 16 times fewer switches).
//
// Threading: OnEvent runs on the polling thread: the NodeLoop's, the
// start-up poller's before Raft runs, or DrainCompletionQueue's at shutdown,
// which calls Discard instead.
#pragma once

#include <grpcpp/grpcpp.h>

namespace raft::net {

class CqTag {
 public:
  // gRPC's ok for the operation: false when it failed or was cancelled.
  virtual void OnEvent(bool ok) = 0;
  // The queue is shut down: release what the tag owns, start nothing.
  virtual void Discard() = 0;

 protected:
  ~CqTag() = default;
};

// Handles at most one event, waiting until `deadline`. False once the queue
// is shut down and empty.
inline bool PollOnce(grpc::CompletionQueue& cq, gpr_timespec deadline) {
  void* tag = nullptr;
  bool ok = false;
  switch (cq.AsyncNext(&tag, &ok, deadline)) {
    case grpc::CompletionQueue::GOT_EVENT:
      static_cast<CqTag*>(tag)->OnEvent(ok);
      return true;
    case grpc::CompletionQueue::TIMEOUT:
      return true;
    case grpc::CompletionQueue::SHUTDOWN:
      return false;
  }
  return false;
}

// Shuts the queue down and discards every tag still in it. Call once the
// server is shut down and nothing else polls the queue.
inline void DrainCompletionQueue(grpc::CompletionQueue& cq) {
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) static_cast<CqTag*>(tag)->Discard();
}

}  // namespace raft::net
