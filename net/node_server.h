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
// Start() does everything that can fail on bad input (data directory,
// WAL recovery, binding the port) before returning, so a start-up error is
// reported once, clearly, and the process exits non-zero. If the peers'
// names are not yet known (first start with bare --peers addresses), a
// background thread asks each peer's Hello until all have answered, records
// the members in the data directory and then starts Raft.
//
// Shutdown(): stop taking calls, let in-flight ones finish (bounded), stop
// the loop (which syncs the log), stop the gRPC server and the senders,
// then drain the completion queue.
//
// Threading: Start and Shutdown from the main thread; on_fatal may run on
// the loop thread.
#pragma once

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

namespace raft::net {

struct NodeServerOptions {
  std::string name;
  std::string listen_host = "0.0.0.0";
  std::string advertise_host = "localhost";
  int port = 50051;
  std::vector<PeerSpec> peers;
  std::string data_dir;
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds election_timeout{1000};
  KvServiceOptions kv;  // kv.self_name is filled in from name
  SnapshotPolicy snapshots;
  std::chrono::milliseconds drain_timeout{3000};
};

class NodeServer {
 public:
  explicit NodeServer(NodeServerOptions options);
  ~NodeServer();

  Status Start();
  void Shutdown();
  std::string address() const;

  // A failed write or sync: the node has stopped serving; exit non-zero.
  std::function<void(const Status&)> on_fatal;

 private:
  // Start's steps; if one fails, Start removes what they created.
  Status StartNode();
  void UndoFailedStart(StartUndo& undo);
  Status StartServing();
  // Polls the queue on its own thread until Raft's loop takes it over.
  void StartStartupPoller();
  void StopStartupPoller();
  void Bootstrap(std::vector<Member> known);
  std::optional<HelloResponse> AskHello(const PeerSpec& peer);
  // Refuses a peer that has our name, is not the one --peers names, or
  // belongs to an established cluster that does not list this node.
  Status CheckHelloAnswer(const PeerSpec& peer, const HelloResponse& answer) const;
  Result<std::string> AgreeOnClusterId(const Membership& members,
                                       const std::vector<HelloResponse>& answers) const;
  Status StartRaft(Membership members);

  NodeServerOptions options_;
  std::unique_ptr<DataDir> data_dir_;
  std::unique_ptr<Wal> wal_;  // opened at start, handed to the loop
  RejectedInputs rejected_;   // before the services that count into it
  KvService kv_service_;
  PeerService peer_service_;
  HealthService health_service_;
  std::unique_ptr<grpc::ServerCompletionQueue> cq_;  // outlives server_
  std::unique_ptr<grpc::Server> server_;
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
