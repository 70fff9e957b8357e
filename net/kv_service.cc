#include "net/kv_service.h"

#include "net/channel.h"
#include "net/grpc_status.h"

namespace raft::net {

namespace {

// Metadata a follower sets on a call it forwards to the leader.
constexpr char kForwardedBy[] = "raft-forwarded-by";

grpc::Status Unavailable(const std::string& why) { return {grpc::StatusCode::UNAVAILABLE, why}; }

grpc::Status Invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

// A forwarded call: the client's request bytes go to the leader as they
// are, and the leader's reply comes back on the node's queue and is relayed
// to the client's call as is. It has its own reply buffer, so a reply that
// completes during shutdown never writes into a call already gone; the
// client is answered once, by the reply or by Abandon (shutdown).
template <typename Call>
class ForwardCall final : public CqTag, public PendingForward {
 public:
  ForwardCall(Call* call, std::string leader, PendingForwards* pending)
      : call_(call), leader_(std::move(leader)), pending_(pending) {
    pending_->Add(this);
  }

  grpc::ClientContext& context() { return context_; }
  void Start(grpc::GenericStub* stub, const std::string& method, grpc::CompletionQueue* cq) {
    rpc_ = stub->PrepareUnaryCall(&context_, method, call_->request_bytes(), cq);
    rpc_->StartCall();
    rpc_->Finish(&reply_, &status_, this);
  }

  void OnEvent(bool) override {
    if (!answered_.exchange(true)) {
      if (status_.ok()) {
        call_->FinishWithReply(reply_);
      } else {
        call_->Finish({status_.error_code(),
                       "forwarded to leader " + leader_ + ": " + status_.error_message()});
      }
    }
    delete this;
  }
  void Discard() override { delete this; }
  void Abandon(const grpc::Status& status) override {
    if (!answered_.exchange(true)) call_->Finish(status);
    context_.TryCancel();
  }

 private:
  ~ForwardCall() { pending_->Remove(this); }

  Call* const call_;
  const std::string leader_;
  PendingForwards* const pending_;
  std::atomic<bool> answered_{false};
  grpc::ClientContext context_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> rpc_;
  grpc::ByteBuffer reply_;
  grpc::Status status_;
};

kv::Command CommandWith(kv::Op op, const std::string& key, const ClientSession& session) {
  kv::Command c;
  c.op = op;
  c.key = key;
  c.client_id = session.client_id();
  c.sequence = session.sequence();
  return c;
}

// The session rules' refusals (kv_state_machine.h) as gRPC statuses; OK for
// a command that was applied or answered as a retry.
grpc::Status SessionRefusal(const kv::ApplyResult& result, uint64_t client_id, uint64_t sequence,
                            Index index) {
  const std::string session = "session (client " + std::to_string(client_id) + ", sequence " +
                              std::to_string(sequence) + ")";
  switch (result.session) {
    case kv::SessionVerdict::kApplied:
    case kv::SessionVerdict::kDuplicate:
      return grpc::Status::OK;
    case kv::SessionVerdict::kStale:
      return {grpc::StatusCode::FAILED_PRECONDITION,
              session +
                  ": sequence is older than the client's last applied one; its result is "
                  "no longer kept"};
    case kv::SessionVerdict::kSequenceReused:
      return {grpc::StatusCode::FAILED_PRECONDITION,
              session +
                  " was already used for a different command; a retry must resend the "
                  "same command, and a new command needs the next sequence"};
    case kv::SessionVerdict::kSessionExpired:
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "session expired: " + session +
                  " is unknown and the sequence is not above log index " +
                  std::to_string(result.expired_through.value) +
                  ", up to which sessions were evicted (least recently used first), so this may "
                  "retry a write already applied; start a new client id"};
    case kv::SessionVerdict::kSequenceAhead:
      return {grpc::StatusCode::FAILED_PRECONDITION,
              session + ": the sequence is above the log index it would be applied at (" +
                  std::to_string(index.value) +
                  "); start at 1 (or one above a log index you have seen) and add one per write"};
  }
  return {grpc::StatusCode::INTERNAL, "unknown session verdict"};
}

}  // namespace

void KvService::Listen(grpc::ServerCompletionQueue* cq) {
  cq_ = cq;
  // A few calls of each method are requested ahead, so calls that arrive
  // together are matched at once.
  constexpr int kRequestedAhead = 16;
  for (int i = 0; i < kRequestedAhead; i++) {
    Call<unchecked::PutRequest, PutResponse>::Listen(
        &service_, &Service::RequestPut, cq, [this](auto* call) { Put(call); }, &in_flight_);
    Call<unchecked::GetRequest, GetResponse>::Listen(
        &service_, &Service::RequestGet, cq, [this](auto* call) { Get(call); }, &in_flight_);
    Call<unchecked::DeleteRequest, DeleteResponse>::Listen(
        &service_, &Service::RequestDelete, cq, [this](auto* call) { Delete(call); }, &in_flight_);
    Call<unchecked::CompareAndSwapRequest, CompareAndSwapResponse>::Listen(
        &service_, &Service::RequestCompareAndSwap, cq,
        [this](auto* call) { CompareAndSwap(call); }, &in_flight_);
    Call<unchecked::GetClusterStatusRequest, GetClusterStatusResponse>::Listen(
        &service_, &Service::RequestGetClusterStatus, cq,
        [this](auto* call) { GetClusterStatus(call); });
  }
}

void KvService::Attach(const Membership* members, NodeLoop* loop, const RejectedInputs* rejected) {
  rejected_ = rejected;
  members_ = members;
  loop_ = loop;
}

grpc::Status KvService::CheckKey(const std::string& key) const {
  if (key.empty()) return Invalid("key must not be empty");
  if (key.size() > options_.key_bytes_max) {
    return Invalid("key is " + std::to_string(key.size()) + " bytes; the limit is " +
                   std::to_string(options_.key_bytes_max) + " (--max-key-bytes)");
  }
  return grpc::Status::OK;
}

grpc::Status KvService::CheckValue(const std::string& value) const {
  if (value.size() > options_.value_bytes_max) {
    return Invalid("value is " + std::to_string(value.size()) + " bytes; the limit is " +
                   std::to_string(options_.value_bytes_max) + " (--max-value-bytes)");
  }
  return grpc::Status::OK;
}

grpc::Status KvService::CheckSession(const ClientSession& session) {
  if (session.client_id() != 0 && session.sequence() == 0) {
    return Invalid("session sequence numbers start at 1");
  }
  return grpc::Status::OK;
}

void KvService::AbandonForwards() {
  forwards_.AbandonAll(Unavailable(
      "node is shutting down before the leader answered the forwarded request; a write's "
      "outcome is unknown; retry another node"));
}

template <typename Request, typename Response>
void KvService::Dispatch(Call<Request, Response>* call, CallKind kind, LocalWork local,
                         const std::string& method) {
  NodeLoop* loop = loop_.load();
  if (shutting_down_) return call->Finish(Unavailable("node is shutting down; retry another"));
  if (loop == nullptr) {
    return call->Finish(Unavailable("node is starting: waiting to learn its peers' ids"));
  }
  if (kind != CallKind::kLocalRead) {
    const auto [role, leader_id] = loop->role_and_leader();
    if (role != Role::kLeader) {
      grpc::ServerContext& ctx = call->context();
      if (ctx.client_metadata().count(kForwardedBy) > 0) {
        return call->Finish(
            Unavailable("not the leader (leadership moved while forwarding); retry"));
      }
      const Member* leader = leader_id.IsNone() ? nullptr : members_.load()->Find(leader_id);
      if (leader == nullptr) {
        return call->Finish(
            Unavailable("no leader: an election is in progress or no quorum is reachable; retry"));
      }
      auto* forward = new ForwardCall<Call<Request, Response>>(
          call, leader->name + " at " + leader->client_address, &forwards_);
      grpc::ClientContext& fctx = forward->context();
      fctx.AddMetadata(kForwardedBy, options_.self_name);
      const auto own_deadline = std::chrono::system_clock::now() + options_.request_timeout;
      fctx.set_deadline(std::min(ctx.deadline(), own_deadline));
      forward->Start(StubFor(leader->client_address),
                     "/" + std::string(KeyValueService::service_full_name()) + "/" + method, cq_);
      return;
    }
  }
  RunLocally(call, kind, std::move(local));
}

void KvService::RunLocally(Responder* responder, CallKind kind, LocalWork local) {
  NodeLoop* loop = loop_.load();
  auto call = std::make_shared<PendingCall>(responder);
  const Clock::time_point deadline = Clock::now() + options_.request_timeout;
  const auto timeout_ms = options_.request_timeout.count();
  NodeLoop::Task task = [call, loop, deadline, timeout_ms, local = std::move(local)](Replica& r) {
    loop->After(deadline, [weak = std::weak_ptr<PendingCall>(call), timeout_ms] {
      if (auto c = weak.lock()) {
        c->Finish({grpc::StatusCode::DEADLINE_EXCEEDED,
                   "not answered within " + std::to_string(timeout_ms) +
                       " ms (--request-timeout-ms); a write's outcome is unknown"});
      }
    });
    local(r, call);
  };
  if (!loop->Post(std::move(task),
                  kind == CallKind::kWrite ? TaskKind::kWrite : TaskKind::kOther)) {
    call->Finish(loop->running()
                     ? grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                    "server busy: request queue full; retry with backoff")
                     : Unavailable("node is stopping; retry another"));
  }
}

grpc::GenericStub* KvService::StubFor(const std::string& address) {
  std::unique_ptr<grpc::GenericStub>& stub = stubs_[address];
  if (!stub)
    stub = std::make_unique<grpc::GenericStub>(Dial(address, options_.forward_credentials));
  return stub.get();
}

void KvService::ProposeWrite(Replica& r, const std::shared_ptr<PendingCall>& call,
                             kv::Command command,
                             std::function<void(const kv::ApplyResult&, Index)> answer) {
  const uint64_t client_id = command.client_id, sequence = command.sequence;
  r.Propose(command, [call, client_id, sequence, answer = std::move(answer)](
                         const Status& s, const kv::ApplyResult& result, Index i) {
    if (call->finished()) return;  // timed out: the response is gone
    if (!s.ok()) return call->Finish(ToGrpcStatus(s));
    if (grpc::Status refused = SessionRefusal(result, client_id, sequence, i); !refused.ok()) {
      return call->Finish(refused);
    }
    // A retry answers with the original's index, as the original would have.
    answer(result, result.session == kv::SessionVerdict::kDuplicate ? result.first_applied : i);
    call->Finish(grpc::Status::OK);
  });
}

void KvService::Put(Call<unchecked::PutRequest, PutResponse>* call) {
  const unchecked::PutRequest* req = &call->request();
  PutResponse* resp = &call->response();
  grpc::Status bad = CheckKey(req->key());
  if (bad.ok()) bad = CheckValue(req->value());
  if (bad.ok()) bad = CheckSession(req->session());
  if (!bad.ok()) return call->Finish(bad);
  Dispatch(
      call, CallKind::kWrite,
      [this, req, resp](Replica& r, const std::shared_ptr<PendingCall>& pending) {
        kv::Command c = CommandWith(kv::Op::kPut, req->key(), req->session());
        c.value = req->value();
        ProposeWrite(r, pending, std::move(c),
                     [resp](const kv::ApplyResult&, Index i) { resp->set_index(i.value); });
      },
      "Put");
}

void KvService::Delete(Call<unchecked::DeleteRequest, DeleteResponse>* call) {
  const unchecked::DeleteRequest* req = &call->request();
  DeleteResponse* resp = &call->response();
  grpc::Status bad = CheckKey(req->key());
  if (bad.ok()) bad = CheckSession(req->session());
  if (!bad.ok()) return call->Finish(bad);
  Dispatch(
      call, CallKind::kWrite,
      [this, req, resp](Replica& r, const std::shared_ptr<PendingCall>& pending) {
        ProposeWrite(r, pending, CommandWith(kv::Op::kDelete, req->key(), req->session()),
                     [resp](const kv::ApplyResult& result, Index i) {
                       resp->set_deleted(result.ok);
                       resp->set_index(i.value);
                     });
      },
      "Delete");
}

void KvService::CompareAndSwap(
    Call<unchecked::CompareAndSwapRequest, CompareAndSwapResponse>* call) {
  const unchecked::CompareAndSwapRequest* req = &call->request();
  CompareAndSwapResponse* resp = &call->response();
  grpc::Status bad = CheckKey(req->key());
  if (bad.ok()) bad = CheckValue(req->value());
  if (bad.ok()) bad = CheckValue(req->expected_value());
  if (bad.ok()) bad = CheckSession(req->session());
  if (bad.ok() && req->expect_absent() && !req->expected_value().empty()) {
    bad = Invalid("expect_absent and expected_value exclude each other");
  }
  if (!bad.ok()) return call->Finish(bad);
  Dispatch(
      call, CallKind::kWrite,
      [this, req, resp](Replica& r, const std::shared_ptr<PendingCall>& pending) {
        kv::Command c = CommandWith(kv::Op::kCompareAndSwap, req->key(), req->session());
        c.value = req->value();
        c.expected = req->expected_value();
        c.expect_absent = req->expect_absent();
        ProposeWrite(r, pending, std::move(c), [resp](const kv::ApplyResult& result, Index i) {
          resp->set_swapped(result.ok);
          resp->set_found(result.found);
          resp->set_current_value(result.value);
          resp->set_index(i.value);
        });
      },
      "CompareAndSwap");
}

void KvService::Get(Call<unchecked::GetRequest, GetResponse>* call) {
  const unchecked::GetRequest* req = &call->request();
  GetResponse* resp = &call->response();
  if (grpc::Status bad = CheckKey(req->key()); !bad.ok()) return call->Finish(bad);
  auto read = [req, resp](const Replica& r, Index index) {
    std::optional<std::string> value = r.state_machine().Get(req->key());
    resp->set_found(value.has_value());
    if (value) resp->set_value(std::move(*value));
    resp->set_index(index.value);
  };
  Dispatch(
      call, req->stale() ? CallKind::kLocalRead : CallKind::kLinearizableRead,
      [req, read](Replica& r, const std::shared_ptr<PendingCall>& pending) {
        if (req->stale()) {
          read(r, r.state_machine().applied());
          return pending->Finish(grpc::Status::OK);
        }
        r.ReadBarrier([&r, pending, read](const Status& s, Index index) {
          if (pending->finished()) return;
          if (!s.ok()) return pending->Finish(ToGrpcStatus(s));
          read(r, index);
          pending->Finish(grpc::Status::OK);
        });
      },
      "Get");
}

void KvService::GetClusterStatus(
    Call<unchecked::GetClusterStatusRequest, GetClusterStatusResponse>* call) {
  GetClusterStatusResponse* resp = &call->response();
  resp->set_node_id(options_.self_name);
  NodeLoop* loop = loop_.load();
  const Membership* members = members_.load();
  if (loop == nullptr || members == nullptr) {
    resp->set_role("starting");
    return call->Finish(grpc::Status::OK);
  }
  const NodeStatus status = loop->status();
  resp->set_cluster_id(members->cluster_id());
  if (const RejectedInputs* rejected = rejected_.load()) {
    for (const auto& [reason, count] : rejected->Counts()) {
      (*resp->mutable_rejected_inputs())[reason] = count;
    }
  }
  resp->set_role(RoleName(status.role));
  resp->set_term(status.term.value);
  resp->set_commit_index(status.commit.value);
  resp->set_applied_index(status.applied.value);
  resp->set_repairing(status.repairing);
  if (const Member* leader = members->Find(status.leader)) {
    resp->set_leader_id(leader->name);
    resp->set_leader_address(leader->client_address);
  }
  for (const Member& m : members->members()) {
    raft::Member* out = resp->add_members();
    out->set_id(m.name);
    out->set_address(m.client_address);
    out->set_peer_address(m.address);
    for (const PeerStatus& p : status.peers) {
      if (p.id != m.id) continue;
      out->set_match_index(p.match.value);
      out->set_progress(p.progress);
    }
  }
  call->Finish(grpc::Status::OK);
}

}  // namespace raft::net
