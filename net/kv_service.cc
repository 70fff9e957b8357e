#include "net/kv_service.h"

#include "net/channel.h"
#include "net/grpc_status.h"

namespace raft::net {

namespace {

// Metadata a follower sets on a call it forwards to the leader.
constexpr char kForwardedBy[] = "raft-forwarded-by";

grpc::Status Unavailable(const std::string& why) { return {grpc::StatusCode::UNAVAILABLE, why}; }

grpc::Status Invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

// Answers a call that failed validation at once.
grpc::ServerUnaryReactor* Rejected(grpc::ServerUnaryReactor* reactor, const grpc::Status& why) {
  reactor->Finish(why);
  return reactor;
}

kv::Command CommandWith(kv::Op op, const std::string& key, const ClientSession& session) {
  kv::Command c;
  c.op = op;
  c.key = key;
  c.client_id = session.client_id();
  c.sequence = session.sequence();
  return c;
}

}  // namespace

// Counts calls until gRPC is done with them, so shutdown can drain.
class KvService::CountedReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit CountedReactor(std::atomic<int>& in_flight) : in_flight_(in_flight) { ++in_flight_; }
  void OnDone() override {
    --in_flight_;
    delete this;
  }

 private:
  std::atomic<int>& in_flight_;
};

void KvService::Attach(const Membership* members, NodeLoop* loop) {
  members_ = members;
  loop_ = loop;
}

grpc::ServerUnaryReactor* KvService::NewReactor() { return new CountedReactor(in_flight_); }

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

void KvService::Dispatch(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
                         CallKind kind, LocalWork local, Forward forward) {
  NodeLoop* loop = loop_.load();
  if (shutting_down_) return reactor->Finish(Unavailable("node is shutting down; retry another"));
  if (loop == nullptr) {
    return reactor->Finish(Unavailable("node is starting: waiting to learn its peers' ids"));
  }
  if (kind != CallKind::kLocalRead) {
    const auto [role, leader_id] = loop->role_and_leader();
    if (role != Role::kLeader) {
      if (ctx->client_metadata().count(kForwardedBy) > 0) {
        return reactor->Finish(
            Unavailable("not the leader (leadership moved while forwarding); retry"));
      }
      const Member* leader = leader_id.IsNone() ? nullptr : members_.load()->Find(leader_id);
      if (leader == nullptr) {
        return reactor->Finish(
            Unavailable("no leader: an election is in progress or no quorum is reachable; retry"));
      }
      return ForwardTo(*leader, ctx, reactor, forward);
    }
  }
  RunLocally(reactor, kind, std::move(local));
}

void KvService::RunLocally(grpc::ServerUnaryReactor* reactor, CallKind kind, LocalWork local) {
  NodeLoop* loop = loop_.load();
  auto call = std::make_shared<PendingCall>(reactor);
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

void KvService::ForwardTo(const Member& leader, grpc::CallbackServerContext* ctx,
                          grpc::ServerUnaryReactor* reactor, const Forward& forward) {
  auto* fctx = new grpc::ClientContext();
  fctx->AddMetadata(kForwardedBy, options_.self_name);
  const auto own_deadline = std::chrono::system_clock::now() + options_.request_timeout;
  fctx->set_deadline(std::min(ctx->deadline(), own_deadline));
  forward(StubFor(leader.address)->async(), fctx,
          [fctx, reactor, where = leader.name + " at " + leader.address](grpc::Status s) {
            delete fctx;
            if (s.ok()) return reactor->Finish(s);
            reactor->Finish(
                {s.error_code(), "forwarded to leader " + where + ": " + s.error_message()});
          });
}

KeyValueService::Stub* KvService::StubFor(const std::string& address) {
  std::lock_guard lk(stubs_mu_);
  std::unique_ptr<KeyValueService::Stub>& stub = stubs_[address];
  if (!stub) {
    stub = KeyValueService::NewStub(Dial(address));
  }
  return stub.get();
}

void KvService::ProposeWrite(Replica& r, const std::shared_ptr<PendingCall>& call,
                             kv::Command command,
                             std::function<void(const kv::ApplyResult&, Index)> answer) {
  r.Propose(command, [call, answer = std::move(answer)](const Status& s,
                                                        const kv::ApplyResult& result, Index i) {
    if (call->finished()) return;  // timed out: the response is gone
    if (!s.ok()) return call->Finish(ToGrpcStatus(s));
    if (result.session == kv::SessionVerdict::kStale) {
      return call->Finish({grpc::StatusCode::FAILED_PRECONDITION,
                           "session sequence is older than the client's last applied one; "
                           "its result is no longer kept"});
    }
    // A retry answers with the original's index, as the original would have.
    answer(result, result.session == kv::SessionVerdict::kDuplicate ? result.first_applied : i);
    call->Finish(grpc::Status::OK);
  });
}

grpc::ServerUnaryReactor* KvService::Put(grpc::CallbackServerContext* ctx, const PutRequest* req,
                                         PutResponse* resp) {
  grpc::ServerUnaryReactor* reactor = NewReactor();
  grpc::Status bad = CheckKey(req->key());
  if (bad.ok()) bad = CheckValue(req->value());
  if (bad.ok()) bad = CheckSession(req->session());
  if (!bad.ok()) return Rejected(reactor, bad);
  Dispatch(
      ctx, reactor, CallKind::kWrite,
      [this, req, resp](Replica& r, const std::shared_ptr<PendingCall>& call) {
        kv::Command c = CommandWith(kv::Op::kPut, req->key(), req->session());
        c.value = req->value();
        ProposeWrite(r, call, std::move(c),
                     [resp](const kv::ApplyResult&, Index i) { resp->set_index(i.value); });
      },
      [req, resp](auto* stub, grpc::ClientContext* c, auto done) {
        stub->Put(c, req, resp, std::move(done));
      });
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Delete(grpc::CallbackServerContext* ctx,
                                            const DeleteRequest* req, DeleteResponse* resp) {
  grpc::ServerUnaryReactor* reactor = NewReactor();
  grpc::Status bad = CheckKey(req->key());
  if (bad.ok()) bad = CheckSession(req->session());
  if (!bad.ok()) return Rejected(reactor, bad);
  Dispatch(
      ctx, reactor, CallKind::kWrite,
      [this, req, resp](Replica& r, const std::shared_ptr<PendingCall>& call) {
        ProposeWrite(r, call, CommandWith(kv::Op::kDelete, req->key(), req->session()),
                     [resp](const kv::ApplyResult& result, Index i) {
                       resp->set_deleted(result.ok);
                       resp->set_index(i.value);
                     });
      },
      [req, resp](auto* stub, grpc::ClientContext* c, auto done) {
        stub->Delete(c, req, resp, std::move(done));
      });
  return reactor;
}

grpc::ServerUnaryReactor* KvService::CompareAndSwap(grpc::CallbackServerContext* ctx,
                                                    const CompareAndSwapRequest* req,
                                                    CompareAndSwapResponse* resp) {
  grpc::ServerUnaryReactor* reactor = NewReactor();
  grpc::Status bad = CheckKey(req->key());
  if (bad.ok()) bad = CheckValue(req->value());
  if (bad.ok()) bad = CheckValue(req->expected_value());
  if (bad.ok()) bad = CheckSession(req->session());
  if (bad.ok() && req->expect_absent() && !req->expected_value().empty()) {
    bad = Invalid("expect_absent and expected_value exclude each other");
  }
  if (!bad.ok()) return Rejected(reactor, bad);
  Dispatch(
      ctx, reactor, CallKind::kWrite,
      [this, req, resp](Replica& r, const std::shared_ptr<PendingCall>& call) {
        kv::Command c = CommandWith(kv::Op::kCompareAndSwap, req->key(), req->session());
        c.value = req->value();
        c.expected = req->expected_value();
        c.expect_absent = req->expect_absent();
        ProposeWrite(r, call, std::move(c), [resp](const kv::ApplyResult& result, Index i) {
          resp->set_swapped(result.ok);
          resp->set_found(result.found);
          resp->set_current_value(result.value);
          resp->set_index(i.value);
        });
      },
      [req, resp](auto* stub, grpc::ClientContext* c, auto done) {
        stub->CompareAndSwap(c, req, resp, std::move(done));
      });
  return reactor;
}

grpc::ServerUnaryReactor* KvService::Get(grpc::CallbackServerContext* ctx, const GetRequest* req,
                                         GetResponse* resp) {
  grpc::ServerUnaryReactor* reactor = NewReactor();
  if (grpc::Status bad = CheckKey(req->key()); !bad.ok()) return Rejected(reactor, bad);
  auto read = [req, resp](const Replica& r, Index index) {
    std::optional<std::string> value = r.state_machine().Get(req->key());
    resp->set_found(value.has_value());
    if (value) resp->set_value(std::move(*value));
    resp->set_index(index.value);
  };
  Dispatch(
      ctx, reactor, req->stale() ? CallKind::kLocalRead : CallKind::kLinearizableRead,
      [req, read](Replica& r, const std::shared_ptr<PendingCall>& call) {
        if (req->stale()) {
          read(r, r.state_machine().applied());
          return call->Finish(grpc::Status::OK);
        }
        r.ReadBarrier([&r, call, read](const Status& s, Index index) {
          if (call->finished()) return;
          if (!s.ok()) return call->Finish(ToGrpcStatus(s));
          read(r, index);
          call->Finish(grpc::Status::OK);
        });
      },
      [req, resp](auto* stub, grpc::ClientContext* c, auto done) {
        stub->Get(c, req, resp, std::move(done));
      });
  return reactor;
}

grpc::ServerUnaryReactor* KvService::GetClusterStatus(grpc::CallbackServerContext*,
                                                      const GetClusterStatusRequest*,
                                                      GetClusterStatusResponse* resp) {
  grpc::ServerUnaryReactor* reactor = NewReactor();
  resp->set_node_id(options_.self_name);
  NodeLoop* loop = loop_.load();
  const Membership* members = members_.load();
  if (loop == nullptr || members == nullptr) {
    resp->set_role("starting");
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  const NodeStatus status = loop->status();
  resp->set_role(RoleName(status.role));
  resp->set_term(status.term.value);
  resp->set_commit_index(status.commit.value);
  resp->set_applied_index(status.applied.value);
  if (const Member* leader = members->Find(status.leader)) {
    resp->set_leader_id(leader->name);
    resp->set_leader_address(leader->address);
  }
  for (const Member& m : members->members()) {
    raft::Member* out = resp->add_members();
    out->set_id(m.name);
    out->set_address(m.address);
    for (const PeerStatus& p : status.peers) {
      if (p.id != m.id) continue;
      out->set_match_index(p.match.value);
      out->set_progress(p.progress);
    }
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace raft::net
