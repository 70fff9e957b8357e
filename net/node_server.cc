#include "net/node_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <random>
#include <set>

#include "net/channel.h"

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
      peer_service_(options_.name, address()) {}

NodeServer::~NodeServer() { Shutdown(); }

std::string NodeServer::address() const {
  return options_.advertise_host + ":" + std::to_string(options_.port);
}

Status NodeServer::Start() {
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
  spdlog::info("recovered {} log records from {} segments in {}", wal_->recovery().records,
               wal_->recovery().segments, data_dir_->wal_dir());

  // Members: from the data directory after the first start, else the flags.
  Result<std::optional<std::string>> stored = data_dir_->ReadMembers();
  if (!stored.ok()) return stored.status();
  std::optional<Membership> members;
  std::vector<Member> known{Member{options_.name, address(), {}}};
  if (stored.value()) {
    Result<Membership> parsed = Membership::Parse(*stored.value(), options_.name);
    if (!parsed.ok()) return parsed.status();
    members = std::move(parsed).value();
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
      if (!p.name.empty()) known.push_back(Member{p.name, p.address, {}});
    }
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
  server_ = builder.BuildAndStart();
  if (!server_ || bound_port == 0) {
    server_.reset();
    DrainCompletionQueue(*cq_);
    cq_.reset();
    return Status::Error(StatusCode::kUnavailable,
                         "cannot listen on " + listen + ": port in use or address not available");
  }
  kv_service_.Listen(cq_.get());
  peer_service_.Listen(cq_.get());
  health_service_.Listen(cq_.get());
  spdlog::info("node {} listening on {} (advertised as {})", options_.name, listen, address());
  return Status::Ok();
}

void NodeServer::StartStartupPoller() {
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
  for (const PeerSpec& p : options_.peers) {
    if (!p.name.empty()) continue;
    std::optional<Member> m;
    while (!stopping_ && !(m = AskName(p))) {
      if (Clock::now() - last_log >= kHelloLogEvery) {
        spdlog::info(
            "waiting for peer at {} to answer Hello (its node id is needed at first start)",
            p.address);
        last_log = Clock::now();
      }
      std::this_thread::sleep_for(kHelloRetry);
    }
    if (stopping_) return;
    spdlog::info("peer at {} is {}", p.address, m->name);
    known.push_back(std::move(*m));
  }
  Result<Membership> members = Membership::Create(std::move(known), options_.name);
  Status s = members.status();
  if (s.ok()) s = data_dir_->WriteMembers(members.value().Serialize());
  if (s.ok()) s = StartRaft(std::move(members).value());
  if (!s.ok() && on_fatal) on_fatal(s);
}

std::optional<Member> NodeServer::AskName(const PeerSpec& peer) {
  auto stub = RaftPeer::NewStub(Dial(peer.address));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kHelloTimeout);
  HelloRequest req;
  req.set_node_id(options_.name);
  req.set_address(address());
  HelloResponse resp;
  if (!stub->Hello(&ctx, req, &resp).ok()) return std::nullopt;
  return Member{resp.node_id(), peer.address, {}};
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

  loop_ = std::make_unique<NodeLoop>(NodeLoopOptions{.tick_interval = options_.heartbeat_interval},
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
  StopStartupPoller();  // the loop polls the queue from now on
  loop_->Start(std::move(wal_), std::move(replica));
  peer_service_.Attach(self, loop);
  kv_service_.Attach(&members_, loop);
  health_service_.SetServing(true);
  std::string names;
  for (const Member& m : members_.members()) names += " " + m.name + "=" + m.address;
  spdlog::info("raft started; members:{}", names);
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
  if (loop_) loop_->Stop();
  StopStartupPoller();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  if (transport_) transport_->Stop();
  // Nothing polls the queue any more: release every call still in it.
  if (cq_) DrainCompletionQueue(*cq_);
  spdlog::info("node {} stopped", options_.name);
}

}  // namespace raft::net
