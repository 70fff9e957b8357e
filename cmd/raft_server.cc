// raft-server: one production node of the replicated key-value store.
//
//   raft-server --node-id node1 --port 50051 --peers localhost:50052,localhost:50053
//
// Peers are host:port (their names are learned by a handshake at the first
// start) or name=host:port. Clients use raft.KeyValueService on --port of
// any node; with --peer-port peers have a listener of their own. TLS flags
// as etcd's (net/tls.h); see README.md.
//
// Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when the node
// cannot start (port in use, data directory unwritable or another node's,
// a TLS file unreadable) or storage failed while running, 2 on malformed
// flags.
#include <absl/synchronization/mutex.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "net/grpc_log.h"
#include "net/node_server.h"
#include "net/protobuf_log.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct Flags {
  std::string node_id;
  int port = 50051;
  std::string peers;
  std::string data_dir;
  std::string listen_host = "0.0.0.0";
  std::string advertise_host = "localhost";
  std::string log_level = "info";
  int heartbeat_ms = 100;
  int election_ms = 1000;
  size_t max_key_bytes = 64 << 10;
  size_t max_value_bytes = 1 << 20;
  int request_timeout_ms = 5000;
  uint64_t snapshot_entries = 100'000;
  int peer_port = 0;
  bool rejoin_after_data_loss = false;
  raft::net::TlsFlags tls;
};

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--node-id", f.node_id, "this node's name, e.g. node1")->required();
  app.add_option("--port", f.port, "port for clients (and peers, without --peer-port)")
      ->check(CLI::Range(1, 65535));
  app.add_option(
         "--peer-port", f.peer_port,
         "a separate port for peers (on --listen-host); peers dial advertise-host:peer-port")
      ->check(CLI::Range(1, 65535));
  app.add_option("--peers", f.peers, "the other members: host:port,... or name=host:port,...");
  app.add_option("--data-dir", f.data_dir,
                 "where the log and snapshots live (default data/<node-id>)");
  app.add_option("--listen-host", f.listen_host, "address to bind")->capture_default_str();
  app.add_option("--advertise-host", f.advertise_host,
                 "host peers and clients use to reach this node")
      ->capture_default_str();
  app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.add_option("--heartbeat-ms", f.heartbeat_ms, "leader heartbeat interval (one Raft tick)")
      ->check(CLI::Range(1, 60'000))
      ->capture_default_str();
  app.add_option("--election-ms", f.election_ms,
                 "election timeout; followers wait a random time in [t, 2t)")
      ->check(CLI::Range(2, 600'000))
      ->capture_default_str();
  app.add_option("--max-key-bytes", f.max_key_bytes, "largest key accepted")
      ->check(CLI::Range(1, 1 << 24))
      ->capture_default_str();
  app.add_option("--max-value-bytes", f.max_value_bytes, "largest value accepted")
      ->check(CLI::Range(0, 16 << 20))
      ->capture_default_str();
  app.add_option("--request-timeout-ms", f.request_timeout_ms,
                 "how long a write or read may wait before DEADLINE_EXCEEDED")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
  app.add_option("--snapshot-entries", f.snapshot_entries,
                 "applied entries between snapshots (log compaction)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--cert-file", f.tls.client.cert_file, "client port TLS certificate (PEM)");
  app.add_option("--key-file", f.tls.client.key_file, "client port TLS key (PEM)");
  app.add_option("--trusted-ca-file", f.tls.client.trusted_ca_file,
                 "CA of client certificates; also trusted when forwarding to the leader");
  app.add_flag("--client-cert-auth", f.tls.client_cert_auth,
               "require a client certificate signed by --trusted-ca-file");
  app.add_option("--peer-cert-file", f.tls.peer.cert_file, "peer TLS certificate (PEM)");
  app.add_option("--peer-key-file", f.tls.peer.key_file, "peer TLS key (PEM)");
  app.add_option("--peer-trusted-ca-file", f.tls.peer.trusted_ca_file,
                 "CA of peer certificates (peer TLS is mutual)");
  app.add_flag("--rejoin-after-data-loss", f.rejoin_after_data_loss,
               "UNSAFE unless a majority of the other members is healthy: let a member whose "
               "data directory was lost start empty; it votes and counts toward no quorum until "
               "the leader has sent it everything committed (README, \"Data loss\")");
}

// The TLS files, read and checked; a failure names the flag and the path.
raft::Status LoadTls(const Flags& f, raft::net::NodeServerOptions& options) {
  auto client = raft::net::LoadTlsFiles(f.tls.client, raft::net::kClientTlsFlags);
  if (!client.ok()) return client.status();
  auto peer = raft::net::LoadTlsFiles(f.tls.peer, raft::net::kPeerTlsFlags);
  if (!peer.ok()) return peer.status();
  options.client_tls = std::move(client).value();
  options.client_cert_auth = f.tls.client_cert_auth;
  options.peer_tls = std::move(peer).value();
  return raft::Status::Ok();
}

// Waits for SIGTERM/SIGINT (blocked in every thread) or a fatal error.
int WaitForShutdown(const std::atomic<bool>& fatal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  const timespec poll{0, 100'000'000};
  while (!fatal) {
    const int sig = sigtimedwait(&set, nullptr, &poll);
    if (sig > 0) {
      spdlog::info("received {}, draining and stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      return kExitOk;
    }
  }
  return kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raft-server: a node of the Raft key-value store"};
  app.failure_message(CLI::FailureMessage::help);
  Flags f;
  AddFlags(app, f);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : kExitUsage;
  }
  raft::Result<std::vector<raft::net::PeerSpec>> peers = raft::net::ParsePeers(f.peers);
  if (!peers.ok()) {
    std::fprintf(stderr, "raft-server: --peers: %s\n%s", peers.status().message().c_str(),
                 app.help().c_str());
    return kExitUsage;
  }
  if (raft::Status s = raft::net::ValidateName(f.node_id); !s.ok()) {
    std::fprintf(stderr, "raft-server: --node-id: %s\n", s.message().c_str());
    return kExitUsage;
  }
  if (raft::Status s = raft::net::ValidateTlsFlags(f.tls, f.port, f.peer_port); !s.ok()) {
    std::fprintf(stderr, "raft-server: %s\n", s.message().c_str());
    return kExitUsage;
  }

  // Debian builds Abseil with mutex deadlock detection on, which makes every
  // absl::Mutex lock inside gRPC maintain a lock graph: a few percent of a
  // node's CPU under load, for a debugging aid.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  spdlog::set_level(spdlog::level::from_str(f.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e [" + f.node_id + "] %l: %v");
  raft::net::RouteGrpcLogsToSpdlog();
  // Rate-limited, so no request can make libprotobuf log a line per call.
  raft::net::RouteProtobufLogs();

  // Signals are taken synchronously by the main thread; block them before
  // any other thread exists so none of them receives one.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  raft::net::NodeServerOptions options;
  options.name = f.node_id;
  options.port = f.port;
  options.peer_port = f.peer_port;
  options.peers = std::move(peers).value();
  options.data_dir = f.data_dir.empty() ? "data/" + f.node_id : f.data_dir;
  options.listen_host = f.listen_host;
  options.advertise_host = f.advertise_host;
  options.heartbeat_interval = std::chrono::milliseconds(f.heartbeat_ms);
  options.election_timeout = std::chrono::milliseconds(f.election_ms);
  options.kv.key_bytes_max = f.max_key_bytes;
  options.kv.value_bytes_max = f.max_value_bytes;
  options.kv.request_timeout = std::chrono::milliseconds(f.request_timeout_ms);
  options.snapshots.every_entries = f.snapshot_entries;
  options.rejoin_after_data_loss = f.rejoin_after_data_loss;

  if (raft::Status s = LoadTls(f, options); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    std::fprintf(stderr, "raft-server: cannot start: %s\n", s.message().c_str());
    return kExitFailure;
  }

  std::atomic<bool> fatal{false};
  raft::net::NodeServer server(options);
  server.on_fatal = [&fatal](const raft::Status& s) {
    spdlog::critical("fatal: {}", s.message());
    fatal = true;
  };
  if (raft::Status s = server.Start(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    std::fprintf(stderr, "raft-server: cannot start: %s\n", s.message().c_str());
    server.Shutdown();
    return kExitFailure;
  }
  const int code = WaitForShutdown(fatal);
  server.Shutdown();
  return code;
}
