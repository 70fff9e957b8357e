// HealthService: grpc.health.v1.Health/Check, answered on the node's
// completion queue (gRPC's built-in health service runs on the callback
// API, whose threads would poll the node's sockets; see cq_tag.h). The
// whole server ("") and raft.KeyValueService are NOT_SERVING until Raft
// runs, then SERVING; any other service name is NOT_FOUND, as gRPC's own
// service answers. Watch is not offered (UNIMPLEMENTED).
//
// Threading: Check runs on the polling thread; SetServing on any thread.
#pragma once

#include <atomic>

#include "proto/health.grpc.pb.h"

namespace raft::net {

class HealthService {
 public:
  grpc::Service* service() { return &service_; }
  // Starts accepting calls on cq, which the server was built with.
  void Listen(grpc::ServerCompletionQueue* cq);
  void SetServing(bool serving) { serving_ = serving; }

 private:
  using Health = grpc::health::v1::Health;
  Health::WithAsyncMethod_Check<Health::Service> service_;
  std::atomic<bool> serving_{false};
};

}  // namespace raft::net
