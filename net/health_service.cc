#include "net/health_service.h"

#include <chrono>
#include <optional>
#include <thread>

#include "net/unary_call.h"

namespace raft::net {

void HealthService::Listen(grpc::ServerCompletionQueue* cq) {
  using Check = UnaryCall<Service, grpc::health::v1::HealthCheckRequest, Response>;
  Check::Listen(&service_, &Service::RequestCheck, cq, [this](Check* call) {
    const std::string& name = call->request().service();
    if (!Known(name)) return call->Finish({grpc::StatusCode::NOT_FOUND, "unknown service " + name});
    call->response().set_status(Current());
    call->Finish(grpc::Status::OK);
  });
}

grpc::Status HealthService::Service::Watch(grpc::ServerContext* ctx,
                                           const grpc::health::v1::HealthCheckRequest* req,
                                           grpc::ServerWriter<Response>* writer) {
  // Serving changes once in a node's life, so polling the flag is enough;
  // the period also bounds how long a cancelled watch (or shutdown) waits.
  constexpr auto kPollEvery = std::chrono::milliseconds(50);
  const bool known = Known(req->service());
  std::optional<Response::ServingStatus> sent;
  while (!ctx->IsCancelled()) {
    const Response::ServingStatus now = known ? owner_.Current() : Response::SERVICE_UNKNOWN;
    if (now != sent) {
      Response r;
      r.set_status(now);
      if (!writer->Write(r)) break;  // the client went away
      sent = now;
    }
    std::this_thread::sleep_for(kPollEvery);
  }
  return grpc::Status::OK;
}

}  // namespace raft::net
