#include "net/node_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

#include "net/channel.h"
#include "net/library_logs.h"

namespace raft::net {

namespace {

constexpr std::chrono::milliseconds kHelloTimeout{1000};
constexpr std::chrono::milliseconds kHelloRetry{300};
constexpr std::chrono::seconds kHelloLogEvery{5};
constexpr int kPeerMessageBytesMax = 64 << 20;

Status StartError(const std::string& what) {
  return Status::Error(StatusCode::kInvalidArgument, what);
}

}  // namespace

NodeServer::NodeServer(NodeServerOptions options)
    : options_([&] {
        options.kv.self_name = options.name;
        return std::move(options);
      }()),
      kv_service_(options_.kv),
      peer_service_(options_.name, address(), &rejected_) {}

NodeServer::~NodeServer() { Shutdown(); }

std::string NodeServer::address() const {
  return options_.advertise_host + ":" + std::to_string(options_.port);
}

Status NodeServer::Start() {
  StartUndo undo(options_.data_dir);
  Status s = StartNode();
  if (!s.ok()) UndoFailedStart(undo);
  return s;
}

void NodeServer::UndoFailedStart(StartUndo& undo) {
  Shutdown();  // nothing serves or polls any more
  wal_.reset();
  if (!data_dir_) {
    // The lock was never taken: only directories left empty may go.
    undo.RemoveCreatedDirectories();
    return;
  }
  data_dir_->fs().WaitForSpare();
  undo.RemoveCreatedFiles();  // under the data directory's lock
  data_dir_.reset();
  undo.RemoveCreatedDirectories();
}

Status NodeServer::StartNode() {
  if (Status s = ValidateName(options_.name); !s.ok()) return s;
  if (options_.election_timeout < 2 * options_.heartbeat_interval) {
    return StartError("--election-ms must be at least twice --heartbeat-ms");
  }
  Result<std::unique_ptr<DataDir>> dir = DataDir::Open(options_.data_dir, options_.name);
  if (!dir.ok()) return dir.status();
  data_dir_ = std::move(dir).value();
  Result<std::unique_ptr<Wal>> wal =
      Wal::Open(data_dir_->fs(), WalOptions{.dir = data_dir_->wal_dir()});
  if (!wal.ok()) return wal.status();
  wal_ = std::move(wal).value();
  const WalRecoveryInfo& recovered = wal_->recovery();
  spdlog::info("recovered {} log records from {} segments in {}", recovered.records,
               recovered.segments, data_dir_->wal_dir());
  if (recovered.truncated_bytes > 0) {
    spdlog::warn("cut a torn tail of {} bytes from {} at offset {} (a write the crash interrupted)",
                 recovered.truncated_bytes,
                 JoinPath(data_dir_->wal_dir(), recovered.truncated_segment),
                 recovered.truncated_offset);
  }

  // Members: from the data directory after the first start, else the flags.
  Result<std::optional<std::string>> stored = data_dir_->ReadMembers();
  if (!stored.ok()) return stored.status();
  Result<std::optional<std::string>> stored_id = data_dir_->ReadClusterId();
  if (!stored_id.ok()) return stored_id.status();
  std::optional<std::string> cluster_id = std::move(stored_id).value();
  std::optional<Membership> members;
  std::vector<Member> known{Member{options_.name, address(), {}}};
  if (stored.value()) {
    Result<Membership> parsed = Membership::Parse(*stored.value(), options_.name);
    if (!parsed.ok()) return parsed.status();
    members = std::move(parsed).value();
    if (members->self().address != address()) {
      return StartError("node " + options_.name + " is recorded in " + options_.data_dir +
                        "/members at " + members->self().address + ", but would advertise " +
                        address() + ": its peers know it only by the recorded address. Start it " +
                        "with the recorded --port and --advertise-host");
    }
    if (!cluster_id) {
      // Made before cluster ids existed: every member derives the same one.
      cluster_id = ClusterIdFromMembers(*stored.value());
      if (Status s = data_dir_->WriteClusterId(*cluster_id); !s.ok()) return s;
    }
    members->set_cluster_id(*cluster_id);
    peer_service_.SetHello(
        HelloInfo{members->cluster_id(), /*established=*/true, members->Describe()});
    std::set<std::string> recorded, flagged;
    for (const Member& m : members->members()) {
      if (m.name != options_.name) recorded.insert(m.address);
    }
    for (const PeerSpec& p : options_.peers) flagged.insert(p.address);
    if (!flagged.empty() && flagged != recorded) {
      spdlog::warn("--peers differs from the members recorded in {}; using the recorded ones",
                   options_.data_dir);
    }
  } else {
    if (options_.peers.empty()) {
      return StartError("--peers is required at a node's first start");
    }
    for (const PeerSpec& p : options_.peers) {
      if (p.address == address()) {
        return StartError("--peers lists this node's own address " + p.address);
      }
      if (p.name == options_.name) {
        return StartError("--peers names " + p.name + " at " + p.address +
                          ", this node's own --node-id");
      }
    }
    // This node's proposal for the cluster id, kept across restarts until
    // bootstrap replaces it with the one the members agree on.
    if (!cluster_id) {
      cluster_id = NewClusterId();
      if (Status s = data_dir_->WriteClusterId(*cluster_id); !s.ok()) return s;
    }
    cluster_id_proposal_ = *cluster_id;
    peer_service_.SetHello(HelloInfo{cluster_id_proposal_, /*established=*/false, {}});
  }
  if (Status s = StartServing(); !s.ok()) return s;
  StartStartupPoller();
  if (members) return StartRaft(std::move(*members));
  bootstrap_ = std::thread([this, known = std::move(known)] { Bootstrap(known); });
  return Status::Ok();
}

Status NodeServer::StartServing() {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string listen = options_.listen_host + ":" + std::to_string(options_.port);
  int bound_port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &bound_port);
  // gRPC turns SO_REUSEPORT on by default, which would let a second node
  // "share" a port in use instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kPeerMessageBytesMax);
  builder.RegisterService(kv_service_.service());
  builder.RegisterService(peer_service_.service());
  builder.RegisterService(health_service_.service());
  cq_ = builder.AddCompletionQueue();
  // A failed bind makes gRPC print an error tree; it becomes one line here.
  std::optional<GrpcLogCapture> bind_log(std::in_place);
  server_ = builder.BuildAndStart();
  if (!server_ || bound_port == 0) {
    server_.reset();
    DrainCompletionQueue(*cq_);
    cq_.reset();
    const std::vector<std::string> lines = bind_log->lines();
    for (const std::string& line : lines) spdlog::debug("grpc while binding: {}", line);
    return Status::Error(StatusCode::kUnavailable,
                         "cannot listen on " + listen + ": " + BindFailureCause(lines));
  }
  const std::vector<std::string> lines = bind_log->lines();
  bind_log.reset();
  for (const std::string& line : lines) spdlog::warn("grpc while binding: {}", line);
  kv_service_.Listen(cq_.get());
  peer_service_.Listen(cq_.get());
  health_service_.Listen(cq_.get());
  spdlog::info("node {} listening on {} (advertised as {})", options_.name, listen, address());
  return Status::Ok();
}

void NodeServer::StartStartupPoller() {
  startup_poller_stop_ = false;
  startup_poller_ = std::thread([this] {
    // A short timeout, so StopStartupPoller is noticed without a wake-up.
    constexpr auto kPollSlice = std::chrono::milliseconds(20);
    while (!startup_poller_stop_) HandleNext(*cq_, ToGprDeadline(Clock::now() + kPollSlice));
  });
}

void NodeServer::StopStartupPoller() {
  startup_poller_stop_ = true;
  if (startup_poller_.joinable()) startup_poller_.join();
}

void NodeServer::Bootstrap(std::vector<Member> known) {
  auto last_log = Clock::now() - kHelloLogEvery;
  std::vector<HelloResponse> answers;
  for (const PeerSpec& p : options_.peers) {
    std::optional<HelloResponse> answer;
    while (!stopping_ && !(answer = AskHello(p))) {
      if (Clock::now() - last_log >= kHelloLogEvery) {
        spdlog::info(
            "waiting for peer at {} to answer Hello (its name and cluster are needed at "
            "first start)",
            p.address);
        last_log = Clock::now();
      }
      std::this_thread::sleep_for(kHelloRetry);
    }
    if (stopping_) return;
    Status s = CheckHelloAnswer(p, *answer);
    if (!s.ok()) {
      if (on_fatal) on_fatal(s);
      return;
    }
    spdlog::info("peer at {} is {}", p.address, answer->node_id());
    known.push_back(Member{answer->node_id(), p.address, {}});
    answers.push_back(std::move(*answer));
  }
  Result<Membership> members = Membership::Create(std::move(known), options_.name);
  Status s = members.status();
  Result<std::string> cluster_id =
      s.ok() ? AgreeOnClusterId(members.value(), answers) : Result<std::string>(s);
  s = cluster_id.status();
  if (s.ok()) {
    members.value().set_cluster_id(cluster_id.value());
    // The id first: a crash between the two writes restarts bootstrap, which
    // agrees on the same id again.
    s = data_dir_->WriteClusterId(cluster_id.value());
  }
  if (s.ok()) s = data_dir_->WriteMembers(members.value().Serialize());
  if (s.ok()) {
    peer_service_.SetHello(HelloInfo{cluster_id.value(), true, members.value().Describe()});
    s = StartRaft(std::move(members).value());
  }
  if (!s.ok() && on_fatal) on_fatal(s);
}

std::optional<HelloResponse> NodeServer::AskHello(const PeerSpec& peer) {
  auto stub = RaftPeer::NewStub(Dial(peer.address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kHelloTimeout);
  HelloRequest req;
  req.set_node_id(options_.name);
  req.set_address(address());
  req.set_cluster_id(cluster_id_proposal_);
  HelloResponse resp;
  if (!stub->Hello(&ctx, req, &resp).ok()) return std::nullopt;
  return resp;
}

Status NodeServer::CheckHelloAnswer(const PeerSpec& peer, const HelloResponse& answer) const {
  const std::string there = "the node at " + peer.address + " (" + answer.node_id() + ")";
  if (Status s = ValidateName(answer.node_id()); !s.ok()) {
    return StartError(there + " answered Hello with an invalid name: " + s.message());
  }
  if (answer.node_id() == options_.name) {
    return StartError(there + " has this node's own --node-id " + options_.name +
                      ": every member needs its own name");
  }
  if (!peer.name.empty() && peer.name != answer.node_id()) {
    return StartError("--peers names " + peer.name + " at " + peer.address + ", but " + there +
                      " is " + answer.node_id());
  }
  if (Status s = ValidateClusterId(answer.cluster_id()); !s.ok()) {
    return StartError(there + " answered Hello without a valid cluster id: " + s.message());
  }
  if (!answer.established()) return Status::Ok();
  const std::string self = options_.name + "=" + address();
  const auto& members = answer.members();
  if (std::find(members.begin(), members.end(), self) == members.end()) {
    std::string listed;
    for (const std::string& m : members) listed += (listed.empty() ? "" : ",") + m;
    return StartError(there + " belongs to cluster " + answer.cluster_id() + " (members " + listed +
                      "), which does not include this node " + self +
                      ": refusing to join or mix with another cluster; check --peers");
  }
  return Status::Ok();
}

// Fresh members agree on one cluster id without a round of their own: each
// adopts the proposal of the member whose name sorts first (the founder),
// which every member hears in its Hello answers. A member that already
// established the cluster (it finished bootstrap first) has that same id,
// and it wins over any proposal.
Result<std::string> NodeServer::AgreeOnClusterId(const Membership& members,
                                                 const std::vector<HelloResponse>& answers) const {
  std::optional<std::string> established;
  for (const HelloResponse& a : answers) {
    if (!a.established()) continue;
    if (established && *established != a.cluster_id()) {
      return StartError("peers answered Hello with two different established clusters, " +
                        *established + " and " + a.cluster_id());
    }
    established = a.cluster_id();
  }
  if (established) return *established;
  const Member& founder = members.members().front();  // sorted by name
  if (founder.name == options_.name) return cluster_id_proposal_;
  for (const HelloResponse& a : answers) {
    if (a.node_id() == founder.name) return a.cluster_id();
  }
  return StartError("no Hello answer from " + founder.name);
}

Status NodeServer::StartRaft(Membership members) {
  members_ = std::move(members);
  const NodeId self = members_.self().id;
  Config config;
  config.id = self;
  config.voters = members_.ids();
  config.heartbeat_ticks = 1;
  config.election_ticks = static_cast<int>(options_.election_timeout / options_.heartbeat_interval);
  if (Status s = config.Validate(); !s.ok()) return s;

  loop_ = std::make_unique<NodeLoop>(
      NodeLoopOptions{.tick_interval = options_.heartbeat_interval, .rejected = &rejected_},
      members_, cq_.get());
  NodeLoop* loop = loop_.get();
  transport_ = std::make_unique<PeerTransport>(
      members_, PeerTransportOptions{}, cq_.get(),
      [loop](NodeId p) { (void)loop->Post([p](Replica& r) { r.ReportUnreachable(p); }); });
  loop_->on_fatal = [this](const Status& s) {
    if (on_fatal) on_fatal(s);
  };
  auto replica = std::make_unique<Replica>(config, options_.snapshots, *wal_, *transport_,
                                           std::make_unique<SplitMix64>(std::random_device{}()));
  if (!replica->recovery_status().ok()) {
    return Status::Error(replica->recovery_status().code(),
                         "the snapshot in " + data_dir_->wal_dir() +
                             " does not restore: " + replica->recovery_status().message());
  }
  StopStartupPoller();  // the loop polls the queue from now on
  loop_->Start(std::move(wal_), std::move(replica));
  peer_service_.Attach(&members_, loop);
  kv_service_.Attach(&members_, loop, &rejected_);
  health_service_.SetServing(true);
  std::string names;
  for (const Member& m : members_.members()) names += " " + m.name + "=" + m.address;
  spdlog::info("raft started in cluster {}; members:{}", members_.cluster_id(), names);
  return Status::Ok();
}

void NodeServer::Shutdown() {
  if (stopping_.exchange(true)) return;
  kv_service_.BeginShutdown();
  if (bootstrap_.joinable()) bootstrap_.join();
  const auto drain_until = Clock::now() + options_.drain_timeout;
  while (kv_service_.in_flight() > 0 && Clock::now() < drain_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (kv_service_.in_flight() > 0) {
    spdlog::warn("{} calls still in flight after the drain timeout", kv_service_.in_flight());
  }
  // Calls still waiting are cut off, each with UNAVAILABLE ("shutting
  // down"): forwarded ones now, those waiting on the loop as it drops them.
  kv_service_.AbandonForwards();
  if (loop_) loop_->Stop();
  StopStartupPoller();
  // Those answers go out while the server shuts down, which needs the queue
  // polled; calls still unanswered at its deadline are cancelled.
  if (cq_) StartStartupPoller();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  StopStartupPoller();
  if (transport_) transport_->Stop();
  // Nothing polls the queue any more: release every call still in it.
  if (cq_) DrainCompletionQueue(*cq_);
  spdlog::info("node {} stopped", options_.name);
}

}  // namespace raft::net
