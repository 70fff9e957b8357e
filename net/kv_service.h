// KvService: raft.KeyValueService on every node. Each call is validated at
// the edge, then routed:
//
//   - writes and linearizable Gets on the leader go to the NodeLoop, which
//     proposes them (or runs a ReadIndex barrier) and answers when applied;
//   - on a follower they are forwarded to the leader's KeyValueService with
//     an asynchronous call, whose answer is relayed as is (a forwarded call
//     is never forwarded again, so a stale view cannot make a loop);
//   - with no known leader the answer is UNAVAILABLE, never a guess;
//   - stale Gets and GetClusterStatus are answered from this node.
//
// No handler blocks: every call arrives on the node's completion queue
// (asynchronous API, see cq_tag.h) and is finished later from the loop
// thread or when the forwarded call's reply comes back on the same queue.
//
// Threading: handlers run on the thread polling the completion queue (the
// loop's once Raft runs); they touch Raft state only through NodeLoop::Post
// and the published NodeStatus.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/replica.h"
#include "net/cluster_members.h"
#include "net/node_loop.h"
#include "net/pending_call.h"
#include "net/rejected_inputs.h"
#include "net/unary_call.h"
#include "proto/raft.grpc.pb.h"

namespace raft::net {

struct KvServiceOptions {
  std::string self_name;
  size_t key_bytes_max = 64 << 10;
  size_t value_bytes_max = 1 << 20;
  std::chrono::milliseconds request_timeout{5000};
  // How a follower dials the leader's client port to forward a call
  // (tls.h); null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> forward_credentials;
};

class KvService {
 public:
  explicit KvService(const KvServiceOptions& options) : options_(options) {}

  grpc::Service* service() { return &service_; }
  // Starts accepting calls on cq, which the server was built with.
  void Listen(grpc::ServerCompletionQueue* cq);
  // Called once the members are known and the loop runs; before that every
  // call but GetClusterStatus answers UNAVAILABLE ("starting").
  void Attach(const Membership* members, NodeLoop* loop, const RejectedInputs* rejected);
  // From now on new calls answer UNAVAILABLE ("shutting down").
  void BeginShutdown() { shutting_down_ = true; }
  // Calls still in flight on this node (local or forwarded).
  int in_flight() const { return in_flight_.load(); }

 private:
  using Service = KeyValueService::AsyncService;
  template <typename Request, typename Response>
  using Call = UnaryCall<Service, Request, Response>;
  using LocalWork = std::function<void(Replica&, const std::shared_ptr<PendingCall>&)>;

  void Put(Call<PutRequest, PutResponse>* call);
  void Get(Call<GetRequest, GetResponse>* call);
  void Delete(Call<DeleteRequest, DeleteResponse>* call);
  void CompareAndSwap(Call<CompareAndSwapRequest, CompareAndSwapResponse>* call);
  void GetClusterStatus(Call<GetClusterStatusRequest, GetClusterStatusResponse>* call);

  grpc::Status CheckKey(const std::string& key) const;
  grpc::Status CheckValue(const std::string& value) const;
  static grpc::Status CheckSession(const ClientSession& session);
  // Writes and linearizable reads need the leader (a follower forwards
  // them); local reads are served by whichever node is asked.
  enum class CallKind { kWrite, kLinearizableRead, kLocalRead };
  // start_forward(stub, context, cq) starts the same call to the leader.
  template <typename Request, typename Response, typename StartForward>
  void Dispatch(Call<Request, Response>* call, CallKind kind, LocalWork local,
                StartForward start_forward);
  void RunLocally(Responder* call, CallKind kind, LocalWork local);
  KeyValueService::Stub* StubFor(const std::string& address);
  // Proposes a write; `answer` fills the response from the apply result.
  void ProposeWrite(Replica& r, const std::shared_ptr<PendingCall>& call, kv::Command command,
                    std::function<void(const kv::ApplyResult&, Index)> answer);

  const KvServiceOptions options_;
  Service service_;
  grpc::ServerCompletionQueue* cq_ = nullptr;
  std::atomic<const Membership*> members_{nullptr};
  std::atomic<NodeLoop*> loop_{nullptr};
  std::atomic<const RejectedInputs*> rejected_{nullptr};
  std::atomic<bool> shutting_down_{false};
  std::atomic<int> in_flight_{0};
  // Stubs to the leader for forwarding, used on the polling thread only.
  std::map<std::string, std::unique_ptr<KeyValueService::Stub>> stubs_;
};

}  // namespace raft::net
