#include "net/node_loop.h"

#include <spdlog/spdlog.h>

namespace raft::net {

namespace {

// Events handled per poll before the loop runs a turn, so a flood of calls
// cannot hold back the Ready that answers them.
constexpr int kEventsPerPollMax = 256;

}  // namespace

NodeLoop::NodeLoop(const NodeLoopOptions& options, const Membership& members,
                   grpc::CompletionQueue* cq)
    : options_(options), members_(members), cq_(cq) {}

NodeLoop::~NodeLoop() { Stop(); }

void NodeLoop::Start(std::unique_ptr<Wal> wal, std::unique_ptr<Replica> replica) {
  RAFT_ASSERT(!thread_.joinable());
  wal_ = std::move(wal);
  replica_ = std::move(replica);
  logged_snapshot_ = replica_->node().raft().log().FirstIndex().Prev();
  {
    std::lock_guard lk(mu_);
    running_ = true;
  }
  Publish();
  thread_ = std::thread([this] { Run(); });
}

void NodeLoop::Stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
    running_ = false;
    if (thread_.joinable()) WakeLocked();
  }
  if (thread_.joinable()) thread_.join();
  // Dropping the Replica, the timers and the queued tasks releases every
  // pending call, whose destructor answers it.
  replica_.reset();
  if (wal_) {
    if (Status s = wal_->Sync(); !s.ok()) spdlog::error("final log sync failed: {}", s.message());
  }
  wal_.reset();
  timers_ = {};
  std::vector<Task> dropped;
  std::vector<Task> dropped_writes;
  std::lock_guard lk(mu_);
  dropped.swap(client_tasks_);
  dropped_writes.swap(write_tasks_);
  peer_batches_.clear();
}

bool NodeLoop::Post(Task task, TaskKind kind) {
  {
    std::lock_guard lk(mu_);
    if (!running_ || client_tasks_.size() + write_tasks_.size() >= options_.client_tasks_max) {
      return false;
    }
    if (kind == TaskKind::kWrite) {
      if (write_tasks_.empty()) oldest_write_ = Clock::now();
      write_tasks_.push_back(std::move(task));
    } else {
      client_tasks_.push_back(std::move(task));
    }
    WakeLocked();
  }
  return true;
}

void NodeLoop::PostPeerMessages(std::vector<Message> messages) {
  {
    std::lock_guard lk(mu_);
    if (!running_ || peer_batches_.size() >= options_.peer_batches_max) return;
    peer_batches_.push_back(std::move(messages));
    WakeLocked();
  }
}

void NodeLoop::WakeLocked() {
  // The loop's own posts (from queue events) are taken in the same turn.
  if (OnLoopThread() || wake_armed_) return;
  wake_armed_ = true;
  wake_alarm_.Set(cq_, gpr_now(GPR_CLOCK_MONOTONIC), &wake_tag_);
}

void NodeLoop::WakeTag::OnEvent(bool) {
  std::lock_guard lk(loop_.mu_);
  loop_.wake_armed_ = false;
}

bool NodeLoop::PollEvents(Clock::time_point deadline) {
  grpc::CompletionQueue::NextStatus status = HandleNext(*cq_, ToGprDeadline(deadline));
  for (int handled = 1; status == grpc::CompletionQueue::GOT_EVENT && handled < kEventsPerPollMax;
       ++handled) {
    status = HandleNext(*cq_, gpr_time_0(GPR_CLOCK_MONOTONIC));
  }
  return status != grpc::CompletionQueue::SHUTDOWN;
}

void NodeLoop::After(Clock::time_point at, std::function<void()> fn) {
  timers_.push(Timer{at, timer_seq_++, std::move(fn)});
}

NodeStatus NodeLoop::status() const {
  std::lock_guard lk(mu_);
  return status_;
}

bool NodeLoop::running() const {
  std::lock_guard lk(mu_);
  return running_;
}

void NodeLoop::Run() {
  Clock::time_point next_tick = Clock::now() + options_.tick_interval;
  std::vector<Task> tasks;
  std::vector<Task> writes;
  std::vector<std::vector<Message>> batches;
  const WriteHold& hold = options_.write_hold;
  loop_thread_ = std::this_thread::get_id();
  while (true) {
    // Computed before polling; acks that commit the batch arrive as peer
    // batches, and the turn that runs them releases the writes (below).
    const bool in_flight = WriteBatchInFlight();
    const auto release = [&] { return WritesReleased(in_flight); };  // mu_ held
    const auto work_queued = [&] {                                   // mu_ held
      return !client_tasks_.empty() || !peer_batches_.empty() || release();
    };
    Clock::time_point wake = next_tick;
    bool ready = false;
    {
      std::lock_guard lk(mu_);
      if (stop_) return;
      if (!timers_.empty()) wake = std::min(wake, timers_.top().at);
      if (!write_tasks_.empty()) wake = std::min(wake, hold.Deadline(oldest_write_));
      ready = work_queued();
    }
    // Events queue work (or just complete); the turn below runs it.
    if (!PollEvents(ready ? Clock::now() : wake)) return;
    {
      std::lock_guard lk(mu_);
      if (stop_) return;
      if (!work_queued() && Clock::now() < wake) continue;  // nothing to run yet
      tasks.swap(client_tasks_);
      if (release()) writes.swap(write_tasks_);
      batches.swap(peer_batches_);
    }
    // Peer traffic first: acks advance the commit index for the clients.
    for (std::vector<Message>& batch : batches) {
      for (const Message& m : batch) {
        const InboundVerdict verdict = replica_->Receive(m);
        if (verdict != InboundVerdict::kAccepted && verdict != InboundVerdict::kStale) {
          CountRefused(m, verdict);
        }
      }
    }
    if (!batches.empty() && writes.empty()) {
      // Acks that just committed the batch in flight release the held writes
      // in this turn, so they leave with the new commit index in one
      // AppendEntries per follower (Raft defers that broadcast to the Ready).
      std::lock_guard lk(mu_);
      if (WritesReleased(WriteBatchInFlight())) writes.swap(write_tasks_);
    }
    batches.clear();
    for (Task& t : writes) t(*replica_);
    for (Task& t : tasks) t(*replica_);
    turns_++;
    client_tasks_run_ += writes.size() + tasks.size();
    writes.clear();
    tasks.clear();
    const Clock::time_point now = Clock::now();
    if (now >= next_tick) {
      replica_->Tick();
      // One tick per interval; a turn that overran (a slow fsync) does not
      // replay the missed ticks in a burst.
      next_tick = std::max(next_tick + options_.tick_interval, now);
    }
    RunTimers(now);
    if (Status s = replica_->Drain(); !s.ok()) {
      spdlog::critical("storage failed, stopping the node: {}", s.message());
      {
        std::lock_guard lk(mu_);
        running_ = false;
      }
      if (on_fatal) on_fatal(s);
      return;
    }
    if (now - stats_logged_ >= std::chrono::seconds(10)) {
      spdlog::debug("loop: {} turns, {} client calls ({:.1f} per turn) in the last {} s", turns_,
                    client_tasks_run_, turns_ ? double(client_tasks_run_) / turns_ : 0.0,
                    std::chrono::duration_cast<std::chrono::seconds>(now - stats_logged_).count());
      turns_ = client_tasks_run_ = 0;
      stats_logged_ = now;
    }
    CountRefusedPayloads();
    Publish();
  }
}

// Payloads refused inside Raft and the Replica (they are checked where they
// are complete): received snapshots, and old log entries that do not decode.
void NodeLoop::CountRefusedPayloads() {
  if (options_.rejected == nullptr) return;
  const uint64_t images = replica_->node().raft().snapshot_images_refused();
  for (; snapshot_images_counted_ < images; snapshot_images_counted_++) {
    options_.rejected->Count("bad_snapshot_image",
                             "a received snapshot whose image does not restore to its index");
  }
  const uint64_t skipped = replica_->undecodable_entries_skipped();
  for (; undecodable_entries_counted_ < skipped; undecodable_entries_counted_++) {
    options_.rejected->Count("undecodable_entry_skipped",
                             "a committed entry that does not decode, applied as a no-op");
  }
}

bool NodeLoop::WritesReleased(bool batch_in_flight) const {
  return options_.write_hold.Release(batch_in_flight, write_tasks_.size(), oldest_write_,
                                     Clock::now());
}

bool NodeLoop::WriteBatchInFlight() const {
  const Raft& raft = replica_->node().raft();
  return raft.role() == Role::kLeader && raft.log().LastIndex() > raft.log().committed();
}

void NodeLoop::RunTimers(Clock::time_point now) {
  while (!timers_.empty() && timers_.top().at <= now) {
    std::function<void()> fn = std::move(const_cast<Timer&>(timers_.top()).fn);
    timers_.pop();
    fn();
  }
}

void NodeLoop::Publish() {
  const Raft& raft = replica_->node().raft();
  NodeStatus s;
  s.role = raft.role();
  s.term = raft.term();
  s.leader = raft.leader();
  s.commit = raft.log().committed();
  s.applied = raft.log().applied();
  s.repairing = raft.repairing();
  if (s.role == Role::kLeader) {
    for (const auto& [id, pr] : raft.progress()) {
      const bool self = id == raft.id();
      s.peers.push_back(PeerStatus{id, self ? raft.log().LastIndex() : pr.match(),
                                   self ? "self" : ProgressStateName(pr.state())});
    }
  }
  LogTransitions(s, raft.log().FirstIndex().Prev());
  role_ = s.role;
  leader_ = s.leader;
  std::lock_guard lk(mu_);
  status_ = std::move(s);
}

// One line per significant event, never one per message.
void NodeLoop::LogTransitions(const NodeStatus& now, Index snapshot_index) {
  // role_ and leader_ still hold what the previous turn published.
  const Role was_role = role_.load();
  const NodeId was_leader = leader_.load();
  if (now.role != was_role || now.leader != was_leader) {
    if (now.role == Role::kLeader) {
      spdlog::info("elected leader at term {}", now.term.value);
    } else if (was_role == Role::kLeader) {
      spdlog::warn("stepped down at term {}; leader is {}", now.term.value, Name(now.leader));
    } else if (!now.leader.IsNone()) {
      spdlog::info("following leader {} at term {}", Name(now.leader), now.term.value);
    } else if (!was_leader.IsNone()) {
      spdlog::info("lost leader {} at term {}", Name(was_leader), now.term.value);
    }
  }
  if (snapshot_index != logged_snapshot_) {
    spdlog::info("snapshot installed or taken; log compacted through index {}",
                 snapshot_index.value);
    logged_snapshot_ = snapshot_index;
  }
}

void NodeLoop::CountRefused(const Message& m, InboundVerdict verdict) {
  if (options_.rejected == nullptr) return;
  options_.rejected->Count(
      InboundVerdictName(verdict),
      fmt::format("{} from {} at term {} (ours {})", MessageTypeName(m.type), Name(m.from),
                  m.term.value, replica_->node().raft().term().value));
}

std::string NodeLoop::Name(NodeId id) const {
  if (id.IsNone()) return "unknown";
  const Member* m = members_.Find(id);
  return m ? m->name : "n" + std::to_string(id.value);
}

}  // namespace raft::net
