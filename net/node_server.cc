#include "net/node_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/server_builder_option.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "net/channel.h"
#include "net/grpc_log.h"

namespace raft::net {

namespace {

constexpr std::chrono::milliseconds kHelloTimeout{1000};
constexpr std::chrono::milliseconds kHelloRetry{300};
constexpr std::chrono::seconds kHelloLogEvery{5};
constexpr int kPeerMessageBytesMax = 64 << 20;

// Removes every server plugin: gRPC's reflection plugin, which a static
// initializer adds to every server of the process, has no place on the peer
// port (RaftPeer and health only).
class WithoutPlugins final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->clear();
  }
};

Status StartError(const std::string& what) {
  return Status::Error(StatusCode::kInvalidArgument, what);
}

}  // namespace

NodeServer::NodeServer(NodeServerOptions options)
    : options_([&] {
        options.kv.self_name = options.name;
        // A follower forwards to the leader's client port as a client of it.
        options.kv.forward_credentials = ChannelCredentialsFor(options.client_tls);
        return std::move(options);
      }()),
      kv_service_(options_.kv),
      peer_service_(options_.name, peer_address(), client_address(), &rejected_),
      // Without a peer port, peers are served on the client port.
      peer_credentials_(options_.peer_port != 0 ? ChannelCredentialsFor(options_.peer_tls)
                                                : options_.kv.forward_credentials) {}

NodeServer::~NodeServer() { Shutdown(); }

std::string NodeServer::client_address() const {
  return options_.advertise_host + ":" + std::to_string(options_.port);
}

std::string NodeServer::peer_address() const {
  const int port = options_.peer_port != 0 ? options_.peer_port : options_.port;
  return options_.advertise_host + ":" + std::to_string(port);
}

Status NodeServer::Start() {
  undo_ = std::make_unique<StartUndo>(options_.data_dir);
  Status s = StartNode();
  if (!s.ok()) UndoFailedStart(*undo_);
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

void NodeServer::LogRecovery(const WalRecoveryInfo& recovered) {
  // A WAL without Raft state that is not repairing: if peers heard from
  // this node, it lost its state (see CheckHelloAnswer).
  wal_fresh_ = recovered.fresh && !recovered.repair_target;
  spdlog::info("recovered {} log records from {} segments in {}", recovered.records,
               recovered.segments, data_dir_->wal_dir());
  if (recovered.truncated_bytes > 0) {
    spdlog::warn("cut a torn tail of {} bytes from {} at offset {} (a write the crash interrupted)",
                 recovered.truncated_bytes,
                 JoinPath(data_dir_->wal_dir(), recovered.truncated_segment),
                 recovered.truncated_offset);
  }
  for (const std::string& damage : recovered.damage) spdlog::error("WAL damage: {}", damage);
  for (const std::string& aside : recovered.quarantined) {
    spdlog::warn("moved damaged WAL segment aside as {} (kept for inspection)",
                 JoinPath(data_dir_->wal_dir(), aside));
  }
  if (recovered.repair_target) {
    spdlog::warn(
        "repairing: this node lost log entries it had acknowledged (up to index {}); it will "
        "fetch them from the leader and neither vote nor count toward any quorum until then",
        recovered.repair_target->value);
  }
}

Status NodeServer::StartNode() {
  if (Status s = ValidateName(options_.name); !s.ok()) return s;
  if (options_.election_timeout < 2 * options_.heartbeat_interval) {
    return StartError("--election-ms must be at least twice --heartbeat-ms");
  }
  if (options_.peer_port == options_.port || (options_.peer_tls && options_.peer_port == 0)) {
    return StartError("--peer-port must differ from --port, and peer TLS needs a --peer-port");
  }
  Result<std::unique_ptr<DataDir>> dir = DataDir::Open(options_.data_dir, options_.name);
  if (!dir.ok()) return dir.status();
  data_dir_ = std::move(dir).value();
  Result<std::unique_ptr<Wal>> wal =
      Wal::Open(data_dir_->fs(),
                WalOptions{.dir = data_dir_->wal_dir(), .node = NodeIdForName(options_.name)});
  if (!wal.ok()) return wal.status();
  wal_ = std::move(wal).value();
  LogRecovery(wal_->recovery());

  // Members: from the data directory after the first start, else the flags.
  Result<std::optional<std::string>> stored = data_dir_->ReadMembers();
  if (!stored.ok()) return stored.status();
  Result<std::optional<std::string>> stored_id = data_dir_->ReadClusterId();
  if (!stored_id.ok()) return stored_id.status();
  std::optional<std::string> cluster_id = std::move(stored_id).value();
  std::optional<Membership> members;
  std::vector<Member> known{Member{options_.name, peer_address(), {}, client_address()}};
  if (stored.value()) {
    Result<Membership> parsed = Membership::Parse(*stored.value(), options_.name);
    if (!parsed.ok()) return parsed.status();
    members = std::move(parsed).value();
    if (wal_fresh_) {
      // The members file is written before Raft first runs, so this node
      // may have acknowledged entries in a log that is now gone.
      spdlog::error("{} records the members but {} holds no log: repairing from the leader",
                    options_.data_dir, data_dir_->wal_dir());
      if (Status s = wal_->BeginRepair(Index{}); !s.ok()) return s;
      wal_fresh_ = false;
    }
    const Member& self = members->self();
    if (self.address != peer_address() || self.client_address != client_address()) {
      return StartError("node " + options_.name + " is recorded in " + options_.data_dir +
                        "/members at " + self.address + " (clients " + self.client_address +
                        "), but would advertise " + peer_address() + " (clients " +
                        client_address() + "): its peers know it only by the recorded " +
                        "addresses. Start it with the recorded --port, --peer-port and " +
                        "--advertise-host");
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
      if (p.address == peer_address() || p.address == client_address()) {
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
  if (Status s = StartPeerServing(); !s.ok()) return s;
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
  builder.AddListeningPort(
      listen, ServerCredentialsFor(options_.client_tls, options_.client_cert_auth), &bound_port);
  // gRPC turns SO_REUSEPORT on by default, which would let a second node
  // "share" a port in use instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kPeerMessageBytesMax);
  builder.RegisterService(kv_service_.service());
  const bool serves_peers = options_.peer_port == 0;  // else the peer server does
  if (serves_peers) builder.RegisterService(peer_service_.service());
  builder.RegisterService(health_service_.service());
  cq_ = builder.AddCompletionQueue();
  // A failed bind makes gRPC print an error tree; it becomes one line here.
  std::optional<GrpcLogCapture> bind_log(std::in_place);
  server_ = builder.BuildAndStart();
  if (!server_ || bound_port == 0) {
    server_.reset();
    DrainCompletionQueue(*cq_);
    cq_.reset();
    const std::vector<std::string> lines = bind_log->Take();
    for (const std::string& line : lines) spdlog::debug("grpc while binding: {}", line);
    return Status::Error(StatusCode::kUnavailable,
                         "cannot listen on " + listen + ": " + BindFailureCause(lines));
  }
  bind_log.reset();
  kv_service_.Listen(cq_.get());
  if (serves_peers) peer_service_.Listen(cq_.get());
  health_service_.Listen(cq_.get());
  spdlog::info("node {} listening on {} (advertised as {}){}", options_.name, listen,
               client_address(), options_.client_tls ? " with TLS" : "");
  return Status::Ok();
}

Status NodeServer::StartPeerServing() {
  if (options_.peer_port == 0) return Status::Ok();
  grpc::ServerBuilder builder;
  const std::string listen = options_.listen_host + ":" + std::to_string(options_.peer_port);
  int bound_port = 0;
  // Peer TLS is always mutual: a peer must present a certificate of the peer CA.
  builder.AddListeningPort(listen, ServerCredentialsFor(options_.peer_tls, true), &bound_port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kPeerMessageBytesMax);
  builder.SetOption(std::make_unique<WithoutPlugins>());
  builder.RegisterService(peer_service_.service());
  builder.RegisterService(peer_health_service_.service());
  peer_cq_ = builder.AddCompletionQueue();
  std::optional<GrpcLogCapture> bind_log(std::in_place);  // see StartServing
  peer_server_ = builder.BuildAndStart();
  if (!peer_server_ || bound_port == 0) {
    peer_server_.reset();
    DrainCompletionQueue(*peer_cq_);
    peer_cq_.reset();
    const std::vector<std::string> lines = bind_log->Take();
    for (const std::string& line : lines) spdlog::debug("grpc while binding: {}", line);
    return Status::Error(
        StatusCode::kUnavailable,
        "cannot listen on " + listen + " (--peer-port): " + BindFailureCause(lines));
  }
  bind_log.reset();
  peer_service_.Listen(peer_cq_.get());
  peer_health_service_.Listen(peer_cq_.get());
  // Its own thread: peer streams and Hello are answered from the start, and
  // what arrives is posted to the loop (NodeLoop::PostPeerMessages).
  peer_poller_ = std::thread([this] {
    while (!peer_poller_stop_) HandleNext(*peer_cq_, gpr_inf_future(GPR_CLOCK_MONOTONIC));
  });
  spdlog::info("node {} listening for peers on {} (advertised as {}){}", options_.name, listen,
               peer_address(), options_.peer_tls ? " with mutual TLS" : "");
  return Status::Ok();
}

void NodeServer::StopPeerServing() {
  if (!peer_server_) return;
  peer_poller_stop_ = true;
  peer_poller_wake_.Set(peer_cq_.get(), gpr_now(GPR_CLOCK_MONOTONIC), &peer_poller_wake_tag_);
  if (peer_poller_.joinable()) peer_poller_.join();
  peer_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  // Nothing polls the queue any more: release every call still in it.
  DrainCompletionQueue(*peer_cq_);
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
  // Every peer is asked in turn, round after round, so that one that is
  // down does not keep the others' answers (and a refusal) waiting.
  auto last_log = Clock::now() - kHelloLogEvery;
  std::map<size_t, HelloResponse> answered;  // by position in --peers
  while (answered.size() < options_.peers.size()) {
    std::string waiting;
    for (size_t i = 0; i < options_.peers.size() && !stopping_; i++) {
      if (answered.contains(i)) continue;
      const PeerSpec& p = options_.peers[i];
      std::string why;
      std::optional<HelloResponse> answer = AskHello(p, &why);
      if (!answer) {
        waiting += (waiting.empty() ? "peer at " : "; peer at ") + p.address + ": " + why;
        continue;
      }
      if (Status s = CheckHelloAnswer(p, *answer); !s.ok()) {
        if (on_fatal) on_fatal(s);
        return;
      }
      spdlog::info("peer at {} is {}", p.address, answer->node_id());
      answered.emplace(i, std::move(*answer));
    }
    if (stopping_) return;
    if (waiting.empty()) break;
    if (Clock::now() - last_log >= kHelloLogEvery) {
      spdlog::info(
          "waiting for Hello answers (names and the cluster id are needed at first start): {}",
          waiting);
      last_log = Clock::now();
    }
    std::this_thread::sleep_for(kHelloRetry);
  }
  std::vector<HelloResponse> answers;
  for (auto& [i, answer] : answered) {
    known.push_back(
        Member{answer.node_id(), options_.peers[i].address, {}, answer.client_address()});
    answers.push_back(std::move(answer));
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
  const bool joins_established = std::any_of(
      answers.begin(), answers.end(), [](const HelloResponse& a) { return a.established(); });
  if (s.ok() && joins_established && wal_fresh_ && options_.rejoin_after_data_loss) {
    // The operator says this member lost its state: it must not vote or
    // count until a leader has restored everything committed.
    spdlog::warn("--rejoin-after-data-loss: starting empty and repairing from the leader");
    s = wal_->BeginRepair(Index{});
  }
  if (s.ok()) s = data_dir_->WriteMembers(members.value().Serialize());
  if (s.ok()) {
    peer_service_.SetHello(HelloInfo{cluster_id.value(), true, members.value().Describe()});
    s = StartRaft(std::move(members).value());
  }
  if (!s.ok() && on_fatal) on_fatal(s);
}

std::optional<HelloResponse> NodeServer::AskHello(const PeerSpec& peer, std::string* why) {
  auto stub = RaftPeer::NewStub(Dial(peer.address, peer_credentials_));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kHelloTimeout);
  HelloRequest req;
  req.set_node_id(options_.name);
  req.set_address(peer_address());
  req.set_cluster_id(cluster_id_proposal_);
  HelloResponse resp;
  const grpc::Status status = stub->Hello(&ctx, req, &resp);
  if (!status.ok()) {
    *why = status.error_message();
    const bool tls =
        options_.peer_port != 0 ? options_.peer_tls.has_value() : options_.client_tls.has_value();
    if (tls && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      // With TLS 1.3 the server checks our certificate after the client's
      // side of the handshake is done: a refusal looks like a closed socket.
      *why += " (over TLS this is also how a peer refuses this node's certificate)";
    }
    return std::nullopt;
  }
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
  const std::string self = options_.name + "=" + peer_address();
  const auto& members = answer.members();
  for (const std::string& m : members) {
    if (m != self && m.starts_with(options_.name + "=")) {
      return StartError("cluster " + answer.cluster_id() + " already has a member named " +
                        options_.name + " at " + m.substr(options_.name.size() + 1) +
                        "; this node at " + peer_address() +
                        " cannot also be it: every member needs its own --node-id (or start " +
                        options_.name + " on its recorded address)");
    }
  }
  if (answer.heard_from_you() && wal_fresh_ && !options_.rejoin_after_data_loss &&
      std::find(members.begin(), members.end(), self) != members.end()) {
    return StartError(
        "node " + options_.name + " is a member of cluster " + answer.cluster_id() + " and " +
        there + " has heard from it, but its data directory " + options_.data_dir +
        " holds no log: the state this node acknowledged is lost, and starting it empty could "
        "undo committed writes. Restore the data directory from a backup, or, while a majority "
        "of the other members is healthy, start it with --rejoin-after-data-loss to fetch "
        "everything from the leader before it votes (README, \"Data loss\")");
  }
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
  if (Status s = wal_->AdoptClusterId(members_.cluster_id()); !s.ok()) return s;
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
      members_, PeerTransportOptions{.credentials = peer_credentials_}, cq_.get(),
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
  peer_health_service_.SetServing(true);
  std::string names;
  for (const Member& m : members_.members()) names += " " + m.name + "=" + m.address;
  spdlog::info("raft started in cluster {}; members:{}", members_.cluster_id(), names);
  raft_started_ = true;
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
  StopPeerServing();
  // Those answers go out while the server shuts down, which needs the queue
  // polled; calls still unanswered at its deadline are cancelled.
  if (cq_) StartStartupPoller();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  StopStartupPoller();
  if (transport_) transport_->Stop();
  // Nothing polls the queue any more: release every call still in it.
  if (cq_) DrainCompletionQueue(*cq_);
  // Stopped (or refused) before Raft ever ran, say while asking peers at a
  // first start: leave the disk as it was found, as a failed start does.
  if (undo_ && !raft_started_) UndoFailedStart(*undo_);
  spdlog::info("node {} stopped", options_.name);
}

}  // namespace raft::net
