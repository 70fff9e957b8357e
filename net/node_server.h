// NodeServer: one production node, assembled from the shared core and the
// real-world adapters:
//
//   DataDir (lock, node id, members) -> Wal on PosixFileSystem -> Replica
//   owned by a NodeLoop thread; PeerTransport (one stream per peer) out,
//   PeerService in; KvService for clients; health and reflection services.
//
// The client, peer and health services are asynchronous services on one
// completion queue, polled by the NodeLoop's thread once Raft runs (see
// cq_tag.h); until then a start-up poller thread answers them (Hello to
// starting peers, "starting" to clients).
//
// With a peer_port, the peer service (and a health service) is served by a
// second gRPC server on that port instead, with its own completion queue and
// its own polling thread, so the client port can be exposed without the
// peer service; the client server then does not serve RaftPeer. Received
// batches reach the loop through NodeLoop::PostPeerMessages; sending
// (PeerTransport) stays on the loop's queue. Each port may use TLS (tls.h).
//
// Start() does everything that can fail on bad input (data directory,
// WAL recovery, binding the port) before returning, so a start-up error is
// reported once, clearly, and the process exits non-zero; a failed start
// removes what it created on disk (start_undo.h). At a node's first start
// (no members recorded yet), a background thread asks every peer's Hello,
// round after round, until all have answered; it refuses peers that would
// mix clusters or names (CheckHelloAnswer), agrees on the cluster id
// (AgreeOnClusterId), records it and the members in the data directory and
// then starts Raft.
//
// Shutdown(): stop taking calls, let in-flight ones finish (bounded), answer
// the rest UNAVAILABLE ("shutting down"), stop the loop (which syncs the
// log), stop the gRPC servers (polling the queue meanwhile, so those answers
// go out) and the senders, then drain the completion queues.
//
// Threading: Start and Shutdown from the main thread; on_fatal may run on
// the loop thread.
#pragma once

#include <grpcpp/alarm.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/replica.h"
#include "net/cluster_members.h"
#include "net/data_dir.h"
#include "net/health_service.h"
#include "net/kv_service.h"
#include "net/node_loop.h"
#include "net/peer_service.h"
#include "net/peer_transport.h"
#include "net/start_undo.h"
#include "net/tls.h"

namespace raft::net {

struct NodeServerOptions {
  std::string name;
  std::string listen_host = "0.0.0.0";
  std::string advertise_host = "localhost";
  int port = 50051;   // clients, and peers too without a peer_port
  int peer_port = 0;  // 0: none (peers use port)
  // TLS (tls.h), read from the flags' files; nullopt: plaintext. peer_tls
  // only with a peer_port.
  std::optional<TlsPem> client_tls;
  bool client_cert_auth = false;
  std::optional<TlsPem> peer_tls;
  std::vector<PeerSpec> peers;
  std::string data_dir;
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds election_timeout{1000};
  KvServiceOptions kv;  // kv.self_name is filled in from name
  SnapshotPolicy snapshots;
  std::chrono::milliseconds drain_timeout{3000};
  // Operator override: a member whose data directory was lost may start
  // empty and repair from the leader (never the default; see the README).
  bool rejoin_after_data_loss = false;
};

class NodeServer {
 public:
  explicit NodeServer(NodeServerOptions options);
  ~NodeServer();

  Status Start();
  void Shutdown();
  // host:port where clients reach this node, and where peers do.
  std::string client_address() const;
  std::string peer_address() const;

  // A failed write or sync: the node has stopped serving; exit non-zero.
  std::function<void(const Status&)> on_fatal;

 private:
  // Start's steps; if one fails, Start removes what they created.
  Status StartNode();
  // Logs what WAL recovery found (torn tail, damage, a repair).
  void LogRecovery(const WalRecoveryInfo& recovered);
  void UndoFailedStart(StartUndo& undo);
  // What this start created on disk, undone if Raft never started.
  std::unique_ptr<StartUndo> undo_;
  bool raft_started_ = false;  // written by the bootstrap thread, read after joining it
  Status StartServing();
  // The second server on peer_port, when there is one, and its poller.
  Status StartPeerServing();
  void StopPeerServing();
  // Polls the queue on its own thread until Raft's loop takes it over.
  void StartStartupPoller();
  void StopStartupPoller();
  void Bootstrap(std::vector<Member> known);
  // The peer's answer, or nullopt with why the call failed.
  std::optional<HelloResponse> AskHello(const PeerSpec& peer, std::string* why);
  // Refuses a peer that has our name, is not the one --peers names, or
  // belongs to an established cluster that does not list this node.
  Status CheckHelloAnswer(const PeerSpec& peer, const HelloResponse& answer) const;
  Result<std::string> AgreeOnClusterId(const Membership& members,
                                       const std::vector<HelloResponse>& answers) const;
  Status StartRaft(Membership members);

  NodeServerOptions options_;
  std::unique_ptr<DataDir> data_dir_;
  std::unique_ptr<Wal> wal_;  // opened at start, handed to the loop
  bool wal_fresh_ = false;    // the WAL holds no Raft state and is not repairing
  RejectedInputs rejected_;   // before the services that count into it
  KvService kv_service_;
  PeerService peer_service_;
  HealthService health_service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;  // outlives server_
  std::unique_ptr<grpc::Server> server_;
  // How this node dials its peers (Hello, PeerTransport).
  std::shared_ptr<grpc::ChannelCredentials> peer_credentials_;

  // The peer server, with a peer_port.
  struct WakeTag final : CqTag {
    void OnEvent(bool) override {}
    void Discard() override {}
  };
  HealthService peer_health_service_;
  std::unique_ptr<grpc::ServerCompletionQueue> peer_cq_;  // outlives peer_server_
  std::unique_ptr<grpc::Server> peer_server_;
  std::thread peer_poller_;
  std::atomic<bool> peer_poller_stop_{false};
  grpc::Alarm peer_poller_wake_;  // set on peer_cq_ to end the poller's wait
  WakeTag peer_poller_wake_tag_;
  std::thread startup_poller_;
  std::atomic<bool> startup_poller_stop_{false};
  std::thread bootstrap_;
  std::string cluster_id_proposal_;  // fresh node: the id it proposes at bootstrap
  std::atomic<bool> stopping_{false};

  // Exist once the members are known.
  Membership members_;
  std::unique_ptr<PeerTransport> transport_;
  std::unique_ptr<NodeLoop> loop_;
};

}  // namespace raft::net
