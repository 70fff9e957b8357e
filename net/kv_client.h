// KvClient: a synchronous client of raft.KeyValueService (proto/raft.proto)
// for tools and tests, such as raftctl.
//
// Any node accepts every call (a follower forwards to its leader), so the
// client sends to its current endpoint and moves on only when that fails.
// UNAVAILABLE and DEADLINE_EXCEEDED (no leader, node down, forwarding failed,
// write not committed in time) move to the next endpoint, or to the endpoint
// the server's message names as leader if it is one of ours; RESOURCE_EXHAUSTED
// (server queue full) retries the same one. Retries back off from 50 ms,
// doubling to 1 s, until the call's overall timeout; every other code is final
// and returned at once (INVALID_ARGUMENT, FAILED_PRECONDITION, UNIMPLEMENTED).
//
// Exactly once: the client is one session, a random nonzero client_id and a
// sequence that starts at 1 and grows by one per write. Every retry of a write
// carries that write's (client_id, sequence), so the cluster applies it once
// however many attempts reached it. A write that fails with a retryable code
// has an unknown outcome: it may or may not have been applied.
//
// Threading: Put, Get, Delete and CompareAndSwap move the current endpoint and
// the session sequence, so one thread at a time; Status may be called from any
// thread, concurrently with anything.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/raft.grpc.pb.h"
#include "proto/raft.pb.h"

namespace raft::net {

struct KvClientOptions {
  std::vector<std::string> endpoints;  // host:port, at least one
  int64_t attempt_timeout_ms = 2000;   // one RPC to one node
  int64_t call_timeout_ms = 10000;     // all attempts of one call, backoff included
  // TLS credentials (tls.h: ChannelCredentialsFor); null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

class KvClient {
 public:
  explicit KvClient(KvClientOptions options);

  grpc::Status Put(const std::string& key, const std::string& value, PutResponse* response);
  // stale: served from the answering node's copy, without a ReadIndex round.
  grpc::Status Get(const std::string& key, bool stale, GetResponse* response);
  grpc::Status Delete(const std::string& key, DeleteResponse* response);
  // Swaps in `value` if the key holds `expected`, or, with no `expected`, if
  // the key is absent.
  grpc::Status CompareAndSwap(const std::string& key, const std::optional<std::string>& expected,
                              const std::string& value, CompareAndSwapResponse* response);
  // One attempt at one node, not retried: that node's view of the cluster.
  grpc::Status Status(const std::string& endpoint, GetClusterStatusResponse* response) const;

  uint64_t client_id() const { return client_id_; }

 private:
  using Attempt = std::function<grpc::Status(KeyValueService::Stub&, grpc::ClientContext*)>;

  // Runs `attempt` against the current endpoint, retrying as the header says.
  grpc::Status Call(const Attempt& attempt);
  ClientSession NextSession();

  const KvClientOptions options_;
  std::vector<std::unique_ptr<KeyValueService::Stub>> stubs_;  // one per endpoint
  size_t current_ = 0;                                         // index into stubs_
  const uint64_t client_id_;
  uint64_t next_sequence_ = 1;
};

// "h:p,h:p" split at the commas; nullopt if any endpoint is empty.
std::optional<std::vector<std::string>> SplitEndpoints(const std::string& list);

// Whether Call retries a failure with this code (see the header comment).
bool IsRetryable(grpc::StatusCode code);

// "UNAVAILABLE" for grpc::StatusCode::UNAVAILABLE, and so on.
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace raft::net
