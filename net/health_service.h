// HealthService: grpc.health.v1.Health. The whole server ("") and
// raft.KeyValueService are NOT_SERVING until Raft runs, then SERVING; Check
// on any other service name is NOT_FOUND, as gRPC's own service answers.
//
// Check is answered on the node's completion queue: gRPC's built-in health
// service runs on the callback API, whose threads would poll the node's
// sockets too (see cq_tag.h). Watch, a stream a client keeps open, runs on
// one of gRPC's synchronous-service threads (as server reflection does),
// which only waits: it sends the status, then every change, and
// SERVICE_UNKNOWN for a service name it does not know.
//
// Threading: Check on the polling thread; Watch on gRPC's sync threads;
// SetServing on any thread.
#pragma once

#include <atomic>

#include "proto/health.grpc.pb.h"

namespace raft::net {

class HealthService {
 public:
  grpc::Service* service() { return &service_; }
  // Starts accepting Check calls on cq, which the server was built with.
  void Listen(grpc::ServerCompletionQueue* cq);
  void SetServing(bool serving) { serving_ = serving; }

 private:
  using Health = grpc::health::v1::Health;
  using Response = grpc::health::v1::HealthCheckResponse;

  class Service final : public Health::WithAsyncMethod_Check<Health::Service> {
   public:
    explicit Service(HealthService& owner) : owner_(owner) {}
    grpc::Status Watch(grpc::ServerContext* ctx, const grpc::health::v1::HealthCheckRequest* req,
                       grpc::ServerWriter<Response>* writer) override;

   private:
    HealthService& owner_;
  };

  static bool Known(const std::string& name) {
    return name.empty() || name == "raft.KeyValueService";
  }
  Response::ServingStatus Current() const {
    return serving_ ? Response::SERVING : Response::NOT_SERVING;
  }

  Service service_{*this};
  std::atomic<bool> serving_{false};
};

}  // namespace raft::net
