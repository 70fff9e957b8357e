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
// The methods are served raw (client_call.h): each request is parsed and
// its strings checked here, so malformed bytes answer INVALID_ARGUMENT
// naming the type or field; a forwarded call sends the client's bytes on
// as they are and relays the leader's reply bytes.
//
// Shutdown: BeginShutdown refuses new calls; the node then waits (bounded)
// for those in flight, and AbandonForwards answers the forwarded ones still
// waiting for the leader UNAVAILABLE ("shutting down"); calls waiting on
// the loop are answered the same way when the loop drops them
// (pending_call.h).
//
// Threading: handlers run on the thread polling the completion queue (the
// loop's once Raft runs); they touch Raft state only through NodeLoop::Post
// and the published NodeStatus.
#pragma once

#include <grpcpp/generic/generic_stub.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/replica.h"
#include "net/client_call.h"
#include "net/cluster_members.h"
#include "net/node_loop.h"
#include "net/pending_call.h"
#include "net/rejected_inputs.h"
#include "proto/raft.grpc.pb.h"
#include "proto/raft_unchecked.pb.h"

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

// A call this node forwarded to the leader, while it waits for the reply.
class PendingForward {
 public:
  // Answers the client with `status` and cancels the call to the leader,
  // unless the reply came first. Any thread.
  virtual void Abandon(const grpc::Status& status) = 0;

 protected:
  ~PendingForward() = default;
};

// The forwarded calls waiting for their reply. Thread-safe: a forward
// adds and removes itself on the polling thread; shutdown abandons them
// from the main thread.
class PendingForwards {
 public:
  void Add(PendingForward* forward) {
    std::lock_guard lk(mu_);
    forwards_.insert(forward);
  }
  // Returns once no Abandon on `forward` is running.
  void Remove(PendingForward* forward) {
    std::lock_guard lk(mu_);
    forwards_.erase(forward);
  }
  void AbandonAll(const grpc::Status& status) {
    std::lock_guard lk(mu_);
    for (PendingForward* f : forwards_) f->Abandon(status);
  }

 private:
  std::mutex mu_;
  std::set<PendingForward*> forwards_;  // guarded by mu_
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
  // Answers every forwarded call still waiting for the leader's reply
  // UNAVAILABLE ("shutting down") and cancels its call to the leader.
  void AbandonForwards();
  // Calls still in flight on this node (local or forwarded).
  int in_flight() const { return in_flight_.load(); }

 private:
  // Every method raw: requests and replies as bytes (client_call.h).
  using Service = KeyValueService::WithRawMethod_Put<KeyValueService::WithRawMethod_Get<
      KeyValueService::WithRawMethod_Delete<KeyValueService::WithRawMethod_CompareAndSwap<
          KeyValueService::WithRawMethod_GetClusterStatus<KeyValueService::Service>>>>>;
  // Request: the raft.unchecked twin of the method's request type.
  template <typename Request, typename Response>
  using Call = ClientCall<Service, Request, Response>;
  using LocalWork = std::function<void(Replica&, const std::shared_ptr<PendingCall>&)>;

  void Put(Call<unchecked::PutRequest, PutResponse>* call);
  void Get(Call<unchecked::GetRequest, GetResponse>* call);
  void Delete(Call<unchecked::DeleteRequest, DeleteResponse>* call);
  void CompareAndSwap(Call<unchecked::CompareAndSwapRequest, CompareAndSwapResponse>* call);
  void GetClusterStatus(Call<unchecked::GetClusterStatusRequest, GetClusterStatusResponse>* call);

  grpc::Status CheckKey(const std::string& key) const;
  grpc::Status CheckValue(const std::string& value) const;
  static grpc::Status CheckSession(const ClientSession& session);
  // Writes and linearizable reads need the leader (a follower forwards
  // them); local reads are served by whichever node is asked.
  enum class CallKind { kWrite, kLinearizableRead, kLocalRead };
  // A follower forwards the call's bytes to `method` on the leader.
  template <typename Request, typename Response>
  void Dispatch(Call<Request, Response>* call, CallKind kind, LocalWork local,
                const std::string& method);
  void RunLocally(Responder* call, CallKind kind, LocalWork local);
  grpc::GenericStub* StubFor(const std::string& address);
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
  std::map<std::string, std::unique_ptr<grpc::GenericStub>> stubs_;
  PendingForwards forwards_;
};

}  // namespace raft::net
