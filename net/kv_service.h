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
// No handler blocks a gRPC thread: every call is finished later from the
// loop thread or from the forwarded call's callback (callback API).
//
// Threading: handlers run on gRPC threads; they touch Raft state only
// through NodeLoop::Post and the published NodeStatus.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/replica.h"
#include "net/cluster_members.h"
#include "net/node_loop.h"
#include "net/pending_call.h"
#include "proto/raft.grpc.pb.h"

namespace raft::net {

struct KvServiceOptions {
  std::string self_name;
  size_t key_bytes_max = 64 << 10;
  size_t value_bytes_max = 1 << 20;
  std::chrono::milliseconds request_timeout{5000};
};

class KvService final : public KeyValueService::CallbackService {
 public:
  explicit KvService(const KvServiceOptions& options) : options_(options) {}

  // Called once the members are known and the loop runs; before that every
  // call but GetClusterStatus answers UNAVAILABLE ("starting").
  void Attach(const Membership* members, NodeLoop* loop);
  // From now on new calls answer UNAVAILABLE ("shutting down").
  void BeginShutdown() { shutting_down_ = true; }
  // Calls still in flight on this node (local or forwarded).
  int in_flight() const { return in_flight_.load(); }

  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const PutRequest* req,
                                PutResponse* resp) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const GetRequest* req,
                                GetResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const DeleteRequest* req,
                                   DeleteResponse* resp) override;
  grpc::ServerUnaryReactor* CompareAndSwap(grpc::CallbackServerContext* ctx,
                                           const CompareAndSwapRequest* req,
                                           CompareAndSwapResponse* resp) override;
  grpc::ServerUnaryReactor* GetClusterStatus(grpc::CallbackServerContext* ctx,
                                             const GetClusterStatusRequest* req,
                                             GetClusterStatusResponse* resp) override;

 private:
  using LocalWork = std::function<void(Replica&, const std::shared_ptr<PendingCall>&)>;
  using Forward = std::function<void(KeyValueService::StubInterface::async_interface*,
                                     grpc::ClientContext*, std::function<void(grpc::Status)>)>;
  class CountedReactor;

  grpc::ServerUnaryReactor* NewReactor();
  grpc::Status CheckKey(const std::string& key) const;
  grpc::Status CheckValue(const std::string& value) const;
  static grpc::Status CheckSession(const ClientSession& session);
  // Writes and linearizable reads need the leader (a follower forwards
  // them); local reads are served by whichever node is asked.
  enum class CallKind { kWrite, kLinearizableRead, kLocalRead };
  void Dispatch(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor, CallKind kind,
                LocalWork local, Forward forward);
  void RunLocally(grpc::ServerUnaryReactor* reactor, CallKind kind, LocalWork local);
  void ForwardTo(const Member& leader, grpc::CallbackServerContext* ctx,
                 grpc::ServerUnaryReactor* reactor, const Forward& forward);
  KeyValueService::Stub* StubFor(const std::string& address);
  // Proposes a write; `answer` fills the response from the apply result.
  void ProposeWrite(Replica& r, const std::shared_ptr<PendingCall>& call, kv::Command command,
                    std::function<void(const kv::ApplyResult&, Index)> answer);

  const KvServiceOptions options_;
  std::atomic<const Membership*> members_{nullptr};
  std::atomic<NodeLoop*> loop_{nullptr};
  std::atomic<bool> shutting_down_{false};
  std::atomic<int> in_flight_{0};
  std::mutex stubs_mu_;
  std::map<std::string, std::unique_ptr<KeyValueService::Stub>> stubs_;  // guarded by stubs_mu_
};

}  // namespace raft::net
