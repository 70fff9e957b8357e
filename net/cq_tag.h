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

#include <chrono>

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

// `deadline` as gRPC's monotonic clock time.
inline gpr_timespec ToGprDeadline(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return gpr_time_0(GPR_CLOCK_MONOTONIC);
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_micros(left.count(), GPR_TIMESPAN));
}

// Waits until `deadline` for one event and runs its tag. GOT_EVENT if one
// ran, TIMEOUT, or SHUTDOWN once the queue is shut down and empty.
inline grpc::CompletionQueue::NextStatus HandleNext(grpc::CompletionQueue& cq,
                                                    gpr_timespec deadline) {
  void* tag = nullptr;
  bool ok = false;
  const grpc::CompletionQueue::NextStatus status = cq.AsyncNext(&tag, &ok, deadline);
  if (status == grpc::CompletionQueue::GOT_EVENT) static_cast<CqTag*>(tag)->OnEvent(ok);
  return status;
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
