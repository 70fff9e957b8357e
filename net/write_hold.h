// WriteHold: when a leader's loop proposes the client writes queued for it.
//
// Each batch of writes costs fixed work on every node whatever its size: a
// WAL fdatasync each, an AppendEntries and an ack per follower, and the
// thread switches around them. Proposing whatever a turn found would send a
// small batch every turn (one per ack that woke the loop). Instead, while a
// batch is in flight (appended on the leader, not yet committed), new writes
// wait and go together once it commits: the batch size follows the load, as
// in Nagle's algorithm with the commit as the ack. With one client nothing
// is in flight when its next write arrives, so nothing waits.
//
// Bounded: a full batch (batch_max writes) goes at once, and so does one
// whose oldest write has waited max_wait, so a batch that never commits (a
// lost quorum, a slow disk) delays the writes behind it by at most max_wait.
// Only writes wait; reads and everything else run in the turn they arrive.
//
// batch_max: with 64 clients, a cap of 16, 32 or 64 measured 10,717,
// 12,932 and 13,576 puts/s side by side (one thread per node, BENCHMARKS.md):
// the leader's thread is the bottleneck, and each batch costs it an
// fdatasync, so fewer, larger batches win. (With a thread per gRPC poller
// and per peer, before, 16 or 32 was best: 64 let the pipeline idle.)
#pragma once

#include <chrono>
#include <cstddef>

namespace raft::net {

struct WriteHold {
  using Clock = std::chrono::steady_clock;

  size_t batch_max = 64;
  Clock::duration max_wait = std::chrono::milliseconds(5);

  // Whether `queued` writes, the oldest queued at `oldest`, go now.
  bool Release(bool batch_in_flight, size_t queued, Clock::time_point oldest,
               Clock::time_point now) const {
    if (queued == 0) return false;
    return !batch_in_flight || queued >= batch_max || now - oldest >= max_wait;
  }
  // The latest time held writes, the oldest queued at `oldest`, may wait to.
  Clock::time_point Deadline(Clock::time_point oldest) const { return oldest + max_wait; }
};

}  // namespace raft::net
