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
// batch_max: with 64 clients, 16 or 32 gave 17% more puts than no hold and
// 16% less server CPU per put; 64 and more (a single batch in flight) gave
// nothing, as the pipeline then idles while the batch commits. 32 also gave
// +29% at 8 clients and +3% at 256 (BENCHMARKS.md).
#pragma once

#include <chrono>
#include <cstddef>

namespace raft::net {

struct WriteHold {
  using Clock = std::chrono::steady_clock;

  size_t batch_max = 32;
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
