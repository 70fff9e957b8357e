// NodeLoop: the one thread that owns a node's Replica (and through it the
// Wal and the state machine). Everything that touches Raft state runs here.
// It is also the thread that polls the node's gRPC completion queue (see
// cq_tag.h): client calls and peer batches arrive as events on this thread
// and queue their work through Post(), a bounded queue, without a hand-off
// to another thread. Other threads (tests, tools) may Post too; an alarm on
// the queue then wakes the loop. Status readers use the published NodeStatus.
//
// Each turn of the loop handles the queue's events, then runs every queued
// task (client calls, peer batches),
// ticks Raft when the tick interval has passed, fires due timers, then
// drains the Replica's Ready loop (persist -> send -> apply -> answer). Work
// that queues up while a turn is fsyncing is proposed together in the next
// turn, so one sync covers many writes (group commit) without a timer; on
// the leader, client writes also wait for the batch in flight to commit
// (WriteHold), so one batch covers what arrived during its round trip.
//
// A failed write or sync is fatal: the loop stops and calls on_fatal; the
// process must exit (the Wal refuses further writes, see wal.h).
//
// Threading: Post, PostPeerMessages, After-from-tasks, status() and Stop()
// are thread-safe; tasks, timers and queue events run on the loop thread.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/replica.h"
#include "core/storage/wal.h"
#include "net/cluster_members.h"
#include "net/cq_tag.h"
#include "net/rejected_inputs.h"
#include "net/write_hold.h"

namespace raft::net {

using Clock = std::chrono::steady_clock;

struct NodeLoopOptions {
  std::chrono::milliseconds tick_interval{100};
  size_t client_tasks_max = 16384;     // queued client calls before RESOURCE_EXHAUSTED
  WriteHold write_hold;                // when queued client writes are proposed
  size_t peer_batches_max = 65536;     // queued peer batches before they are dropped
  RejectedInputs* rejected = nullptr;  // counts refused peer messages; may be null
};

struct PeerStatus {
  NodeId id;
  Index match;
  std::string progress;  // probe / replicate / snapshot
};

// What the loop publishes after every turn, for routing and status calls.
struct NodeStatus {
  Role role = Role::kFollower;
  Term term;
  NodeId leader;
  Index commit;
  Index applied;
  bool repairing = false;         // Raft::repairing()
  std::vector<PeerStatus> peers;  // filled on the leader only
};

// What a posted task does, for WriteHold: a client write may wait to join
// the next batch; anything else runs in the next turn.
enum class TaskKind { kWrite, kOther };

class NodeLoop {
 public:
  using Task = std::function<void(Replica&)>;

  // cq: the queue this loop polls once started; it must outlive the loop
  // and be shut down and drained by its owner after Stop().
  NodeLoop(const NodeLoopOptions& options, const Membership& members, grpc::CompletionQueue* cq);
  ~NodeLoop();

  // Takes ownership of the Wal and starts the thread running `replica`.
  void Start(std::unique_ptr<Wal> wal, std::unique_ptr<Replica> replica);
  // Stops the thread and destroys the Replica, which drops (and thereby
  // answers) every call still waiting on it. Idempotent.
  void Stop();

  // Client work: false when the queue is full or the loop is not running.
  bool Post(Task task, TaskKind kind = TaskKind::kOther);
  // Peer traffic: dropped when the queue is full (Raft tolerates loss).
  void PostPeerMessages(std::vector<Message> messages);
  // Loop thread only: runs fn on the loop thread at or after `at`.
  void After(Clock::time_point at, std::function<void()> fn);

  NodeStatus status() const;
  // The routing-relevant part of status(), without a lock or a copy.
  std::pair<Role, NodeId> role_and_leader() const { return {role_.load(), leader_.load()}; }
  bool running() const;

  std::function<void(const Status&)> on_fatal;

 private:
  struct Timer {
    Clock::time_point at;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  // Wakes the loop from its poll for work posted by another thread.
  class WakeTag final : public CqTag {
   public:
    explicit WakeTag(NodeLoop& loop) : loop_(loop) {}
    void OnEvent(bool) override;
    void Discard() override {}

   private:
    NodeLoop& loop_;
  };

  void Run();
  // Handles the queue's events until `deadline` or the first event, then
  // those already queued (a bounded number). False once the queue is shut down.
  bool PollEvents(Clock::time_point deadline);
  bool OnLoopThread() const { return std::this_thread::get_id() == loop_thread_.load(); }
  void WakeLocked();  // mu_ held
  // Leader with appended entries not yet committed: writes may wait.
  bool WriteBatchInFlight() const;
  // Whether the queued writes go now (mu_ held).
  bool WritesReleased(bool batch_in_flight) const;
  void RunTimers(Clock::time_point now);
  void Publish();
  void LogTransitions(const NodeStatus& now, Index snapshot_index);
  std::string Name(NodeId id) const;
  void CountRefused(const Message& m, InboundVerdict verdict);
  void CountRefusedPayloads();

  NodeLoopOptions options_;
  const Membership& members_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<Replica> replica_;  // loop thread only while running
  std::thread thread_;

  grpc::CompletionQueue* const cq_;
  std::atomic<std::thread::id> loop_thread_{};
  WakeTag wake_tag_{*this};
  grpc::Alarm wake_alarm_;  // set under mu_ only

  mutable std::mutex mu_;
  bool wake_armed_ = false;         // guarded by mu_: wake_alarm_ is set and not yet handled
  std::vector<Task> client_tasks_;  // guarded by mu_
  std::vector<Task> write_tasks_;   // guarded by mu_; see WriteHold
  Clock::time_point oldest_write_;  // queued time of write_tasks_[0]; mu_
  std::vector<std::vector<Message>> peer_batches_;  // guarded by mu_
  bool running_ = false;                            // guarded by mu_
  bool stop_ = false;                               // guarded by mu_
  NodeStatus status_;                               // guarded by mu_
  std::atomic<Role> role_{Role::kFollower};         // status_.role, readable without mu_
  std::atomic<NodeId> leader_{};                    // status_.leader, likewise

  // Loop thread only.
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  uint64_t timer_seq_ = 0;
  Index logged_snapshot_;
  uint64_t snapshot_images_counted_ = 0;
  uint64_t undecodable_entries_counted_ = 0;
  // Batching counters (calls per turn), logged at debug level every 10 s.
  uint64_t turns_ = 0;
  uint64_t client_tasks_run_ = 0;
  Clock::time_point stats_logged_ = Clock::now();
};

}  // namespace raft::net
