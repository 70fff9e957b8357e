#include "net/health_service.h"

#include "net/unary_call.h"

namespace raft::net {

void HealthService::Listen(grpc::ServerCompletionQueue* cq) {
  using Request = grpc::health::v1::HealthCheckRequest;
  using Response = grpc::health::v1::HealthCheckResponse;
  using Check = UnaryCall<decltype(service_), Request, Response>;
  Check::Listen(&service_, &decltype(service_)::RequestCheck, cq, [this](Check* call) {
    const std::string& name = call->request().service();
    if (!name.empty() && name != "raft.KeyValueService") {
      return call->Finish({grpc::StatusCode::NOT_FOUND, "unknown service " + name});
    }
    call->response().set_status(serving_ ? Response::SERVING : Response::NOT_SERVING);
    call->Finish(grpc::Status::OK);
  });
}

}  // namespace raft::net
