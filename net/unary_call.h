// UnaryCall: one server-side unary call of an asynchronous gRPC service, on
// the node's completion queue (see cq_tag.h). It asks gRPC for the next
// call of its method; when one arrives it first puts a fresh UnaryCall in
// its place, so calls keep being accepted, then hands itself to the
// handler, which answers through Finish, at once or later. It deletes
// itself once the answer is sent, or when the server shuts down.
//
// Threading: OnEvent and the handler run on the thread polling the queue;
// Finish may run on any thread, once.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include "net/cq_tag.h"
#include "net/pending_call.h"

namespace raft::net {

template <typename Service, typename Request, typename Response>
class UnaryCall final : public CqTag, public Responder {
 public:
  using RequestMethod = void (Service::*)(grpc::ServerContext*, Request*,
                                          grpc::ServerAsyncResponseWriter<Response>*,
                                          grpc::CompletionQueue*, grpc::ServerCompletionQueue*,
                                          void*);
  using Handler = std::function<void(UnaryCall*)>;

  // Starts accepting calls of `method` on `cq`. in_flight, if given, counts
  // the calls that have arrived and are not yet answered.
  static void Listen(Service* service, RequestMethod method, grpc::ServerCompletionQueue* cq,
                     Handler handler, std::atomic<int>* in_flight = nullptr) {
    new UnaryCall(service, method, cq, std::make_shared<const Handler>(std::move(handler)),
                  in_flight);
  }

  grpc::ServerContext& context() { return context_; }
  const Request& request() const { return request_; }
  Response& response() { return response_; }

  void Finish(const grpc::Status& status) override {
    answering_ = true;
    if (status.ok()) {
      writer_.Finish(response_, status, this);
    } else {
      writer_.FinishWithError(status, this);
    }
  }

  void OnEvent(bool ok) override {
    // The answer went out (or could not), or the server is shutting down
    // and no call arrived.
    if (answering_ || !ok) return delete this;
    new UnaryCall(service_, method_, cq_, handler_, in_flight_);
    if (in_flight_ != nullptr) {
      ++*in_flight_;
      counted_ = true;
    }
    (*handler_)(this);
  }
  void Discard() override { delete this; }

 private:
  UnaryCall(Service* service, RequestMethod method, grpc::ServerCompletionQueue* cq,
            std::shared_ptr<const Handler> handler, std::atomic<int>* in_flight)
      : service_(service),
        method_(method),
        cq_(cq),
        handler_(std::move(handler)),
        in_flight_(in_flight) {
    (service_->*method_)(&context_, &request_, &writer_, cq_, cq_, this);
  }
  ~UnaryCall() {
    if (counted_) --*in_flight_;
  }

  Service* const service_;
  const RequestMethod method_;
  grpc::ServerCompletionQueue* const cq_;
  const std::shared_ptr<const Handler> handler_;
  std::atomic<int>* const in_flight_;
  grpc::ServerContext context_;
  Request request_;
  Response response_;
  grpc::ServerAsyncResponseWriter<Response> writer_{&context_};
  bool answering_ = false;
  bool counted_ = false;
};

}  // namespace raft::net
