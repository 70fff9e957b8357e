#include "sim/simulation.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

#include "sim/invariant_checker.h"
#include "sim/linearizability.h"
#include "sim/sim_node.h"
#include "sim/sim_random.h"

namespace raft::sim {

namespace {

// A healthy run keeps a few thousand events in flight; far more means some
// feedback loop multiplies messages, and the run fails instead of eating RAM.
constexpr size_t kPendingEventsMax = 1'000'000;

// Where a client's reply comes from.
struct Reply {
  enum Kind { kOk, kRedirect, kRetry } kind = kRetry;
  NodeId leader_hint;
  kv::ApplyResult result;
};

class World {
 public:
  World(uint64_t seed, const SimOptions& options);
  RunResult Run();

 private:
  struct Client {
    uint64_t index = 0;
    uint64_t session_id = 0;     // the client id its writes carry
    uint64_t sequence = 0;       // of its current (or last) write
    std::optional<uint64_t> op;  // current operation id
    uint64_t attempt = 0;        // ignores replies to older attempts
    NodeId target;
    uint64_t written = 0;  // values written, to make them unique
    bool stopped = false;
  };

  // Trace: every event feeds the hash; --trace prints it as well.
  void Trace(const char* kind, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0, uint64_t d = 0);
  // Checks the invariants on the one node an event touched (events touch
  // exactly one node, so this is "after every event").
  void Observe(SimNode& n);
  void OnNode(NodeId id, const std::function<void(Replica&)>& fn);
  SimNode& node(NodeId id) { return *nodes_.at(id.value - 1); }

  void ScheduleTick(NodeId id);
  void Deliver(const Message& m);

  // Faults.
  void CrashNode(NodeId id);
  void StartNode(NodeId id);
  void Apply(FaultAction f);
  NodeId CurrentLeader();

  // What keeps a run from being settled: liveness requires the clients to
  // be done, a leader, and every node caught up with it (committed and
  // applied all it committed). Checked after every event, so it builds no
  // strings; Describe formats one for the failure message.
  struct Blocker {
    enum Kind { kChaos, kClient, kNoLeader, kNodeDown, kNodeBehind } kind;
    uint64_t who = 0;
    Index committed, applied, leader_commit;
  };
  std::optional<Blocker> FindBlocker();
  static std::string Describe(const Blocker& b);
  void StartLiveness();

  // Clients.
  void StartOp(Client& c);
  void SendAttempt(Client& c);
  void HandleRequest(uint64_t client, uint64_t attempt, NodeId at, Operation op_copy,
                     uint64_t session_id, uint64_t sequence);
  // A write the session rules refused (kv_state_machine.h).
  void OnRefused(Client& c, kv::SessionVerdict verdict);
  void Respond(uint64_t client, uint64_t attempt, Reply reply);
  void OnReply(Client& c, uint64_t attempt, const Reply& reply);
  void OnTimeout(Client& c, uint64_t attempt);
  void Complete(Client& c, Outcome outcome, const kv::ApplyResult* result);
  NodeId RandomNode();

  uint64_t seed_;
  SimOptions options_;
  SimRandom random_;
  std::unique_ptr<SplitMix64> net_rng_, fault_rng_, work_rng_;
  FaultPlan plan_;
  EventQueue events_;
  std::unique_ptr<SimNetwork> network_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<double> drift_;
  std::vector<Client> clients_;
  uint64_t next_session_id_ = 1;
  History history_;
  InvariantChecker checker_;
  uint64_t trace_hash_ = 1469598103934665603ULL;
  bool liveness_ = false;
  size_t crashes_ = 0, partitions_ = 0;
  std::map<std::string, size_t> refused_;  // peer messages the edge refused, by verdict
  std::optional<std::string> failure_;
  FaultSchedule schedule_;
};

World::World(uint64_t seed, const SimOptions& options)
    : seed_(seed),
      options_(options),
      random_(seed),
      net_rng_(random_.Stream("network")),
      fault_rng_(random_.Stream("faults")),
      work_rng_(random_.Stream("workload")) {
  auto plan_rng = random_.Stream("plan");
  plan_ = DrawFaultPlan(*plan_rng, options.faults);
  if (options.drop_rate) plan_.network.drop_rate = *options.drop_rate;
  if (options.duplicate_rate) plan_.network.duplicate_rate = *options.duplicate_rate;
  if (options.crashes_per_sec) {
    plan_.crashes_per_sec = *options.crashes_per_sec;
    if (plan_.down_max_us == 0) plan_.down_max_us = 1'000'000;
  }
  if (options.partitions_per_sec) {
    plan_.partitions_per_sec = *options.partitions_per_sec;
    if (plan_.partition_max_us == 0) plan_.partition_max_us = 1'000'000;
  }
  schedule_ = options.schedule
                  ? *options.schedule
                  : DrawFaultSchedule(*plan_rng, plan_, options.nodes, options.chaos_us);
  network_ = std::make_unique<SimNetwork>(events_, *net_rng_, plan_.network,
                                          [this](const Message& m) { Deliver(m); });
  std::vector<NodeId> voters;
  for (uint64_t i = 1; i <= options.nodes; i++) voters.push_back(NodeId{i});
  for (NodeId id : voters) {
    Config c;
    c.id = id;
    c.voters = voters;
    c.election_ticks = options.election_ticks;
    c.heartbeat_ticks = options.heartbeat_ticks;
    c.append_bytes_max = plan_.append_bytes_max;
    c.inflight_msgs_max = plan_.inflight_msgs_max;
    c.pre_vote = plan_.pre_vote;
    c.check_quorum = plan_.check_quorum;
    c.snapshot_chunk_bytes_max = plan_.snapshot_chunk_bytes_max;
    SimNodeOptions node_options;
    node_options.snapshots = plan_.snapshots;
    node_options.segment_bytes_max = plan_.segment_bytes_max;
    node_options.preallocate_segments = plan_.preallocate_segments;
    nodes_.push_back(std::make_unique<SimNode>(c, node_options, *network_, random_));
    nodes_.back()->on_apply = [this](NodeId n, const Entry& e) { checker_.ObserveApply(n, e); };
    drift_.push_back(1.0 + plan_.drift_max * (2 * UniformReal(*plan_rng) - 1));
  }
  for (uint64_t i = 0; i < options.clients; i++) {
    clients_.push_back(Client{.index = i, .session_id = next_session_id_++});
  }
}

void World::Trace(const char* kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  // Word-at-a-time mixing: this runs for every event, so it must be cheap.
  auto mix = [this](uint64_t v) {
    trace_hash_ = (trace_hash_ ^ v) * 0x100000001b3ULL;
    trace_hash_ ^= trace_hash_ >> 29;
  };
  mix(events_.now());
  uint64_t k = 0;
  for (const char* p = kind; *p; p++) k = k * 131 + static_cast<uint8_t>(*p);
  mix(k);
  mix(a);
  mix(b);
  mix(c);
  mix(d);
  if (options_.trace) {
    std::printf("%10.6f %-15s %llu %llu %llu %llu\n", events_.now() / 1e6, kind,
                static_cast<unsigned long long>(a), static_cast<unsigned long long>(b),
                static_cast<unsigned long long>(c), static_cast<unsigned long long>(d));
  }
}

NodeId World::RandomNode() { return NodeId{1 + work_rng_->Uniform(options_.nodes)}; }

void World::Observe(SimNode& n) {
  if (n.alive()) checker_.ObserveNode(n.id(), n.incarnation(), n.replica().node().raft());
  if (!checker_.ok() && !failure_) failure_ = checker_.violation();
}

void World::OnNode(NodeId id, const std::function<void(Replica&)>& fn) {
  SimNode& n = node(id);
  if (!n.alive()) return;
  const Role before = n.replica().role();
  fn(n.replica());
  const Status s = n.replica().Drain();
  if (!s.ok()) {
    // The real server exits on a storage error; so does the simulated one.
    Trace("io-error", id.value);
    CrashNode(id);
    return;
  }
  const Raft& r = n.replica().node().raft();
  if (r.role() != before) Trace("role", id.value, static_cast<uint64_t>(r.role()), r.term().value);
  Observe(n);
  if (n.crash_pending()) {
    Trace("crash-mid-ready", id.value);
    CrashNode(id);
  }
}

void World::ScheduleTick(NodeId id) {
  const auto interval =
      static_cast<SimTime>(static_cast<double>(options_.tick_us) * drift_[id.value - 1]);
  events_.After(interval, [this, id] {
    if (node(id).alive()) {
      Trace("tick", id.value);
      OnNode(id, [](Replica& r) { r.Tick(); });
    }
    ScheduleTick(id);
  });
}

void World::Deliver(const Message& m) {
  if (!node(m.to).alive()) return;
  Trace("deliver", static_cast<uint64_t>(m.type) << 32 | m.from.value << 16 | m.to.value,
        m.term.value, m.index.value, m.entries.size());
  OnNode(m.to, [this, &m](Replica& r) {
    const InboundVerdict verdict = r.Receive(m);
    if (verdict == InboundVerdict::kAccepted || verdict == InboundVerdict::kStale) return;
    // The network only duplicates, delays and reorders honest messages, so
    // what the edge refuses here is stale traffic it judged unsafe to step.
    Trace("refused", static_cast<uint64_t>(verdict), m.to.value);
    refused_[InboundVerdictName(verdict)]++;
  });
}

// --- faults -----------------------------------------------------------------

void World::CrashNode(NodeId id) {
  crashes_++;
  node(id).Crash(plan_.torn_writes && Chance(*fault_rng_, 0.5));
}

void World::StartNode(NodeId id) {
  Trace("restart", id.value);
  Status s = node(id).Start();
  if (s.code() == StatusCode::kIoError) {
    // An injected disk error hit recovery's own writes: the process exits
    // and its supervisor starts it again (the fault was one-shot).
    Trace("restart-after-io-error", id.value);
    node(id).disk().ClearFaults();
    s = node(id).Start();
  }
  if (!s.ok()) {
    if (!failure_)
      failure_ = "node " + std::to_string(id.value) + " failed to recover: " + s.ToString();
    return;
  }
  OnNode(id, [](Replica&) {});
}

NodeId World::CurrentLeader() {
  NodeId best;
  Term best_term;
  for (auto& n : nodes_) {
    if (!n->alive() || n->replica().role() != Role::kLeader) continue;
    const Term t = n->replica().node().raft().term();
    if (best.IsNone() || t > best_term) {
      best = n->id();
      best_term = t;
    }
  }
  return best;
}

void World::Apply(FaultAction f) {
  if (liveness_) return;
  // Node 0 names whoever leads right now: faults aimed at the leader reach
  // the interesting states (a deposed leader with unreplicated entries).
  const bool two_nodes = f.kind == FaultKind::kOneWay || f.kind == FaultKind::kPartial;
  if (f.kind == FaultKind::kRestart && f.a == 0) {
    for (auto& n : nodes_) {
      if (!n->alive()) Apply(FaultAction{f.at_us, FaultKind::kRestart, n->id().value, 0});
    }
    return;
  }
  if (f.kind != FaultKind::kSplit && f.kind != FaultKind::kHeal && f.a == 0) {
    const NodeId leader = CurrentLeader();
    f.a = leader.IsNone() ? 1 : leader.value;
    if (two_nodes && f.b == f.a) f.b = f.a % options_.nodes + 1;
  }
  Trace("fault", static_cast<uint64_t>(f.kind), f.a, f.b);
  const uint64_t n = options_.nodes;
  auto cut = [this](uint64_t a, uint64_t b) {
    network_->Block(NodeId{a}, NodeId{b});
    network_->Block(NodeId{b}, NodeId{a});
  };
  switch (f.kind) {
    case FaultKind::kCrash:
      if (node(NodeId{f.a}).alive()) CrashNode(NodeId{f.a});
      break;
    case FaultKind::kCrashMid:
      if (node(NodeId{f.a}).alive()) node(NodeId{f.a}).ArmCrashAfterSends(f.b);
      break;
    case FaultKind::kRestart:
      if (!node(NodeId{f.a}).alive()) StartNode(NodeId{f.a});
      break;
    case FaultKind::kIsolate:
      partitions_++;
      network_->HealAll();
      for (uint64_t i = 1; i <= n; i++) {
        if (i != f.a) cut(f.a, i);
      }
      break;
    case FaultKind::kSplit:
      partitions_++;
      network_->HealAll();
      for (uint64_t i = 1; i <= n; i++) {
        for (uint64_t j = 1; j <= n; j++) {
          const bool in_i = (f.a >> (i - 1)) & 1, in_j = (f.a >> (j - 1)) & 1;
          if (in_i && !in_j) cut(i, j);
        }
      }
      break;
    case FaultKind::kOneWay:
      partitions_++;
      network_->HealAll();
      network_->Block(NodeId{f.a}, NodeId{f.b});
      break;
    case FaultKind::kPartial:
      partitions_++;
      network_->HealAll();
      cut(f.a, f.b);
      break;
    case FaultKind::kHeal:
      network_->HealAll();
      break;
    case FaultKind::kDiskError:
      if (f.b == 0) {
        node(NodeId{f.a}).disk().FailNextSync();
      } else {
        node(NodeId{f.a}).disk().FailNextAppend();
      }
      break;
  }
}

void World::StartLiveness() {
  liveness_ = true;
  Trace("liveness");
  network_->HealAll();
  NetworkFaults calm = network_->faults();
  calm.drop_rate = calm.duplicate_rate = calm.slow_rate = 0;
  network_->set_faults(calm);
  for (auto& n : nodes_) {
    n->DisarmCrash();
    n->disk().ClearFaults();
    if (!n->alive()) StartNode(n->id());
  }
  for (Client& c : clients_) {
    if (!c.op) c.stopped = true;
  }
}

// --- clients ----------------------------------------------------------------

void World::StartOp(Client& c) {
  if (liveness_) {
    c.stopped = true;
    return;
  }
  Operation op;
  op.client = c.index;
  op.key = "k" + std::to_string(work_rng_->Uniform(options_.keys));
  const uint64_t roll = work_rng_->Uniform(100);
  const std::string fresh = "v" + std::to_string(c.index) + "." + std::to_string(++c.written);
  if (roll < 40) {
    op.op = kv::Op::kPut;
    op.value = fresh;
  } else if (roll < 70) {
    op.op = kv::Op::kGet;
  } else if (roll < 80) {
    op.op = kv::Op::kDelete;
  } else {
    op.op = kv::Op::kCompareAndSwap;
    op.value = fresh;
    // Expect a value some client may have written, or absence.
    if (work_rng_->Uniform(4) == 0) {
      op.expect_absent = true;
    } else {
      const uint64_t who = work_rng_->Uniform(options_.clients);
      op.expected = "v" + std::to_string(who) + "." +
                    std::to_string(1 + work_rng_->Uniform(clients_[who].written + 1));
    }
  }
  op.invoke_us = events_.now();
  c.op = history_.Invoke(op).id;
  // One sequence per write, as clients must: the state machine refuses a
  // sequence above the log index its write lands at.
  if (op.op != kv::Op::kGet) c.sequence++;
  Trace("invoke", c.index, *c.op, static_cast<uint64_t>(op.op));
  SendAttempt(c);
}

void World::SendAttempt(Client& c) {
  const uint64_t attempt = ++c.attempt;
  if (c.target.IsNone()) c.target = RandomNode();
  const NodeId to = c.target;
  const Operation op = history_.at(*c.op);
  const uint64_t client = c.index;
  const uint64_t session_id = c.session_id, sequence = c.sequence;
  events_.After(network_->DrawDelay(), [this, client, attempt, to, op, session_id, sequence] {
    HandleRequest(client, attempt, to, op, session_id, sequence);
  });
  events_.After(options_.request_timeout_us,
                [this, client, attempt] { OnTimeout(clients_[client], attempt); });
}

void World::HandleRequest(uint64_t client, uint64_t attempt, NodeId at, Operation op,
                          uint64_t session_id, uint64_t sequence) {
  if (!node(at).alive()) return;  // the request is lost; the client times out
  Trace("request", client, attempt, at.value);
  OnNode(at, [&](Replica& r) {
    auto reply_not_ok = [this, client, attempt, &r](const Status& s) {
      Reply reply;
      reply.kind = s.code() == StatusCode::kNotLeader ? Reply::kRedirect : Reply::kRetry;
      reply.leader_hint = r.leader();
      Respond(client, attempt, reply);
    };
    if (op.op == kv::Op::kGet) {
      const std::string key = op.key;
      r.ReadBarrier([this, client, attempt, key, &r, reply_not_ok](const Status& s, Index) {
        if (!s.ok()) return reply_not_ok(s);
        Reply reply{.kind = Reply::kOk};
        if (auto v = r.state_machine().Get(key)) {
          reply.result.found = true;
          reply.result.value = *v;
        }
        Respond(client, attempt, reply);
      });
      return;
    }
    kv::Command cmd{.op = op.op,
                    .client_id = session_id,
                    .sequence = sequence,
                    .key = op.key,
                    .value = op.value,
                    .expected = op.expected,
                    .expect_absent = op.expect_absent};
    r.Propose(cmd, [this, client, attempt, reply_not_ok](const Status& s,
                                                         const kv::ApplyResult& res, Index) {
      if (!s.ok()) return reply_not_ok(s);
      Respond(client, attempt, Reply{.kind = Reply::kOk, .result = res});
    });
  });
}

void World::Respond(uint64_t client, uint64_t attempt, Reply reply) {
  events_.After(network_->DrawDelay(),
                [this, client, attempt, reply] { OnReply(clients_[client], attempt, reply); });
}

void World::OnReply(Client& c, uint64_t attempt, const Reply& reply) {
  if (attempt != c.attempt || !c.op) return;  // a reply to an abandoned attempt
  Trace("reply", c.index, attempt, reply.kind);
  switch (reply.kind) {
    case Reply::kOk:
      if (reply.result.session == kv::SessionVerdict::kApplied ||
          reply.result.session == kv::SessionVerdict::kDuplicate) {
        Complete(c, Outcome::kOk, &reply.result);
      } else {
        OnRefused(c, reply.result.session);
      }
      return;
    case Reply::kRedirect:
      c.target = reply.leader_hint.IsNone() ? RandomNode() : reply.leader_hint;
      break;
    case Reply::kRetry:
      c.target = RandomNode();
      break;
  }
  const uint64_t next = ++c.attempt;  // invalidate this attempt's timer
  events_.After(Between(*work_rng_, 1000, 20'000), [this, &c, next] {
    if (c.attempt == next && c.op) SendAttempt(c);
  });
}

void World::OnRefused(Client& c, kv::SessionVerdict verdict) {
  Trace("refused", c.index, static_cast<uint64_t>(verdict));
  if (verdict == kv::SessionVerdict::kStale || verdict == kv::SessionVerdict::kSequenceReused) {
    // Each client sends one write at a time and resends it unchanged.
    if (!failure_) {
      failure_ = "client " + std::to_string(c.index) + " (session " + std::to_string(c.session_id) +
                 ", sequence " + std::to_string(c.sequence) + ") was refused as " +
                 kv::SessionVerdictName(verdict);
    }
    return;
  }
  // Expired, or ahead of the log: whether an earlier attempt took effect is
  // unknown. Go on in a new session, with an id no client used.
  c.session_id = next_session_id_++;
  c.sequence = 0;
  Complete(c, Outcome::kUnknown, nullptr);
}

void World::OnTimeout(Client& c, uint64_t attempt) {
  if (attempt != c.attempt || !c.op) return;
  Trace("timeout", c.index, attempt);
  const Operation& op = history_.at(*c.op);
  if (!liveness_ && events_.now() - op.invoke_us >= options_.op_deadline_us) {
    // A read has no effect, so giving up on it is a definite failure.
    Complete(c, op.op == kv::Op::kGet ? Outcome::kFail : Outcome::kUnknown, nullptr);
    return;
  }
  c.target = RandomNode();
  SendAttempt(c);
}

void World::Complete(Client& c, Outcome outcome, const kv::ApplyResult* result) {
  Operation& op = history_.at(*c.op);
  op.outcome = outcome;
  op.complete_us = events_.now();
  if (result) {
    op.result_ok = result->ok;
    op.result_found = result->found;
    op.result_value = result->value;
  }
  Trace("complete", c.index, op.id, static_cast<uint64_t>(outcome));
  c.op.reset();
  c.attempt++;
  const uint64_t think = Between(*work_rng_, 0, 20'000);
  events_.After(think, [this, &c] { StartOp(c); });
}

std::optional<World::Blocker> World::FindBlocker() {
  if (!liveness_) return Blocker{Blocker::kChaos};
  for (const Client& c : clients_) {
    if (!c.stopped || c.op) return Blocker{Blocker::kClient, c.index};
  }
  const NodeId leader = CurrentLeader();
  if (leader.IsNone()) return Blocker{Blocker::kNoLeader};
  const Index commit = node(leader).replica().node().raft().log().committed();
  for (auto& n : nodes_) {
    if (!n->alive()) return Blocker{Blocker::kNodeDown, n->id().value};
    const RaftLog& log = n->replica().node().raft().log();
    if (log.committed() != commit || log.applied() != commit) {
      return Blocker{Blocker::kNodeBehind, n->id().value, log.committed(), log.applied(), commit};
    }
  }
  return std::nullopt;
}

std::string World::Describe(const Blocker& b) {
  const std::string who = std::to_string(b.who);
  switch (b.kind) {
    case Blocker::kChaos:
      return "still in the chaos phase";
    case Blocker::kClient:
      return "client " + who + " has an unfinished operation";
    case Blocker::kNoLeader:
      return "no leader";
    case Blocker::kNodeDown:
      return "node " + who + " is down";
    case Blocker::kNodeBehind:
      return "node " + who + " has committed " + std::to_string(b.committed.value) +
             " and applied " + std::to_string(b.applied.value) + " of the leader's " +
             std::to_string(b.leader_commit.value);
  }
  return "?";
}

RunResult World::Run() {
  for (auto& n : nodes_) {
    StartNode(n->id());
    ScheduleTick(n->id());
  }
  for (Client& c : clients_) {
    events_.After(Between(*work_rng_, 0, 50'000), [this, &c] { StartOp(c); });
  }
  for (const FaultAction& f : schedule_) {
    events_.At(f.at_us, [this, f] { Apply(f); });
  }
  events_.At(options_.chaos_us, [this] { StartLiveness(); });

  const SimTime deadline = options_.chaos_us + options_.liveness_budget_us;
  while (!failure_ && FindBlocker() && events_.RunNext(deadline)) {
    if (events_.size() > kPendingEventsMax) {
      failure_ = "message storm: more than " + std::to_string(kPendingEventsMax) +
                 " events pending (something amplifies traffic)";
    }
  }

  for (auto& n : nodes_) {
    if (n->alive()) checker_.CheckWholeLog(n->id(), n->replica().node().raft().log());
  }
  if (!checker_.ok() && !failure_) failure_ = checker_.violation();
  RunResult r;
  r.seed = seed_;
  if (!failure_) {
    if (const std::optional<Blocker> blocker = FindBlocker()) {
      failure_ = "liveness: " + std::to_string(options_.liveness_budget_us / 1000) +
                 " ms after faults healed: " + Describe(*blocker);
    }
  }
  if (!failure_) {
    const LinearizabilityReport lin = CheckLinearizable(history_.ops());
    if (!lin.ok) failure_ = "linearizability: " + lin.Describe();
  }
  r.ok = !failure_.has_value();
  if (failure_) r.failure = *failure_;
  r.trace_hash = trace_hash_;
  r.events = events_.executed();
  r.end_us = events_.now();
  r.ops_ok = history_.Count(Outcome::kOk);
  r.ops_fail = history_.Count(Outcome::kFail);
  r.ops_unknown = history_.Count(Outcome::kUnknown);
  r.leaders = checker_.leaders_seen();
  r.max_applied = checker_.max_applied().value;
  r.crashes = crashes_;
  r.refused = refused_;
  r.partitions = partitions_;
  r.network = network_->stats();
  r.fault_plan = plan_.Describe();
  r.schedule = FormatSchedule(schedule_);
  r.history = history_.ops();
  return r;
}

}  // namespace

RunResult RunSimulation(uint64_t seed, const SimOptions& options) {
  World world(seed, options);
  return world.Run();
}

}  // namespace raft::sim
