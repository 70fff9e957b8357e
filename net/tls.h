// TLS for a node's two ports and for its clients, in the manner of etcd.
//
// A node has a client port (--port: raft.KeyValueService, health,
// reflection) and, with --peer-port, a separate peer port (raft.RaftPeer and
// health only), so the client port can be exposed without exposing the peer
// service. Each port has its own certificate, key and trusted CA:
//
//   client port  --cert-file, --key-file, --trusted-ca-file; with
//                --client-cert-auth every client must present a certificate
//                signed by the trusted CA (otherwise one is verified if sent)
//   peer port    --peer-cert-file, --peer-key-file, --peer-trusted-ca-file;
//                always mutual: a node presents its peer certificate when it
//                dials a peer and verifies the peer's certificate against the
//                peer CA, and its peer port requires a certificate signed by
//                the peer CA
//
// As in etcd, each certificate serves both roles: a follower forwarding a
// call to the leader's client port presents --cert-file as its client
// certificate and verifies the leader against --trusted-ca-file (so that flag
// is required with --cert-file). Without --peer-port the one port carries
// peer traffic too, and peers dial it with the client-port credentials.
//
// The files are read and checked once at start (a certificate that does not
// parse or a key that does not match it is named with its flag and path), so
// a bad file is one clear line instead of a failed handshake later.
//
// Threading: plain values and free functions; the credentials gRPC returns
// are thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>

#include "core/status.h"

namespace raft::net {

// One port's files, as given by the flags (empty: not given).
struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string trusted_ca_file;
  bool any() const { return !cert_file.empty() || !key_file.empty() || !trusted_ca_file.empty(); }
};

// raft-server's TLS flags.
struct TlsFlags {
  TlsFiles client;  // --cert-file, --key-file, --trusted-ca-file
  bool client_cert_auth = false;
  TlsFiles peer;  // --peer-cert-file, --peer-key-file, --peer-trusted-ca-file
};

// Refuses partial or contradictory flag sets (a usage error): cert without
// key, --client-cert-auth without client TLS, peer TLS without a --peer-port
// (0: none) distinct from --port.
Status ValidateTlsFlags(const TlsFlags& flags, int port, int peer_port);

// The PEM contents of one port's files.
struct TlsPem {
  std::string cert_chain;   // empty for a client without a certificate
  std::string private_key;  // likewise
  std::string root_certs;   // empty: gRPC's default roots (clients only)
};

// Names of the flags a TlsFiles came from, for error messages.
struct TlsFlagNames {
  const char* cert;
  const char* key;
  const char* trusted_ca;
};
inline constexpr TlsFlagNames kClientTlsFlags{"--cert-file", "--key-file", "--trusted-ca-file"};
inline constexpr TlsFlagNames kPeerTlsFlags{"--peer-cert-file", "--peer-key-file",
                                            "--peer-trusted-ca-file"};

// Reads and checks the given files: each certificate file holds at least one
// PEM certificate, the key parses and matches the first certificate. An
// error names the flag and the path. nullopt when no file is given.
Result<std::optional<TlsPem>> LoadTlsFiles(const TlsFiles& files, const TlsFlagNames& names);

// A server's credentials: insecure without pem; otherwise TLS with pem's
// certificate, verifying client certificates against pem's roots, required
// when require_client_cert.
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const std::optional<TlsPem>& pem,
                                                              bool require_client_cert);
// A channel's credentials: insecure without pem; otherwise TLS verifying the
// server against pem's roots, presenting pem's certificate if it has one.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const std::optional<TlsPem>& pem);

}  // namespace raft::net
