// ClientCall: one server-side call of a raft.KeyValueService method, served
// raw on the node's completion queue (see cq_tag.h). Like UnaryCall
// (unary_call.h) it asks gRPC for the next call of its method, puts a fresh
// ClientCall in its place when one arrives, hands itself to the handler and
// deletes itself once the answer is sent or the server shuts down. Unlike
// UnaryCall it receives the request as bytes and parses it itself
// (client_request.h), so a request that does not parse, or whose string
// fields are not UTF-8, is answered INVALID_ARGUMENT naming the type or the
// field before the handler runs, and no library logs a line for it.
//
// Request is the raft.unchecked twin of the method's request type; Response
// is raft.proto's response type, serialized here when the call finishes
// OK. A forwarded call (kv_service.cc) relays the leader's reply bytes as
// they are, through FinishWithReply.
//
// Threading: OnEvent and the handler run on the thread polling the queue;
// Finish or FinishWithReply may run on any thread, once.
#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include "core/assert.h"
#include "net/client_request.h"
#include "net/cq_tag.h"
#include "net/pending_call.h"

namespace raft::net {

template <typename Service, typename Request, typename Response>
class ClientCall final : public CqTag, public Responder {
 public:
  using RequestMethod = void (Service::*)(grpc::ServerContext*, grpc::ByteBuffer*,
                                          grpc::ServerAsyncResponseWriter<grpc::ByteBuffer>*,
                                          grpc::CompletionQueue*, grpc::ServerCompletionQueue*,
                                          void*);
  using Handler = std::function<void(ClientCall*)>;

  // Starts accepting calls of `method` on `cq`. in_flight, if given, counts
  // the calls that have arrived and are not yet answered.
  static void Listen(Service* service, RequestMethod method, grpc::ServerCompletionQueue* cq,
                     Handler handler, std::atomic<int>* in_flight = nullptr) {
    new ClientCall(service, method, cq, std::make_shared<const Handler>(std::move(handler)),
                   in_flight);
  }

  // raft.proto's request type, e.g. raft.PutRequest.
  static const google::protobuf::Descriptor* Checked() {
    static const google::protobuf::Descriptor* const checked = [] {
      const google::protobuf::Descriptor* d = CheckedTwin(Request::descriptor());
      RAFT_ASSERT(d != nullptr);
      return d;
    }();
    return checked;
  }

  grpc::ServerContext& context() { return context_; }
  // Parsed, with its string fields checked.
  const Request& request() const { return request_; }
  // The request as received, to forward as it is.
  const grpc::ByteBuffer& request_bytes() const { return request_bytes_; }
  Response& response() { return response_; }

  void Finish(const grpc::Status& status) override {
    answering_ = true;
    if (!status.ok()) return writer_.FinishWithError(status, this);
    grpc::ByteBuffer reply;
    bool own_buffer = false;
    const grpc::Status serialized =
        grpc::SerializationTraits<Response>::Serialize(response_, &reply, &own_buffer);
    if (!serialized.ok()) return writer_.FinishWithError(serialized, this);
    writer_.Finish(reply, grpc::Status::OK, this);
  }

  // Answers OK with `reply`, the serialized Response of another node.
  void FinishWithReply(const grpc::ByteBuffer& reply) {
    answering_ = true;
    writer_.Finish(reply, grpc::Status::OK, this);
  }

  void OnEvent(bool ok) override {
    // The answer went out (or could not), or the server is shutting down
    // and no call arrived.
    if (answering_ || !ok) return delete this;
    new ClientCall(service_, method_, cq_, handler_, in_flight_);
    if (in_flight_ != nullptr) {
      ++*in_flight_;
      counted_ = true;
    }
    if (grpc::Status bad = ParseClientRequest(request_bytes_, Checked(), request_); !bad.ok()) {
      LogRefusedClientRequest(Checked(), context_.peer(), bad);
      return Finish(bad);
    }
    (*handler_)(this);
  }
  void Discard() override { delete this; }

 private:
  ClientCall(Service* service, RequestMethod method, grpc::ServerCompletionQueue* cq,
             std::shared_ptr<const Handler> handler, std::atomic<int>* in_flight)
      : service_(service),
        method_(method),
        cq_(cq),
        handler_(std::move(handler)),
        in_flight_(in_flight) {
    (service_->*method_)(&context_, &request_bytes_, &writer_, cq_, cq_, this);
  }
  ~ClientCall() {
    if (counted_) --*in_flight_;
  }

  Service* const service_;
  const RequestMethod method_;
  grpc::ServerCompletionQueue* const cq_;
  const std::shared_ptr<const Handler> handler_;
  std::atomic<int>* const in_flight_;
  grpc::ServerContext context_;
  grpc::ByteBuffer request_bytes_;
  Request request_;
  Response response_;
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> writer_{&context_};
  bool answering_ = false;
  bool counted_ = false;
};

}  // namespace raft::net
