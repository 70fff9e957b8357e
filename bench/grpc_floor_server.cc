// grpc-floor-server: raft.KeyValueService with no Raft behind it. Put
// answers at once; Get answers at once with a fixed value of --value-size
// bytes. Each call is finished inside its handler, on gRPC's own thread, so
// what a client measures against it is the floor of one unary call on this
// machine: gRPC's HTTP/2 stack and loopback TCP, with no hand-off, no log,
// no fsync. bench/compare-etcd.sh runs raft-bench against it next to the two
// real systems, to show how much of a request's cost is the RPC itself.
//
//   grpc-floor-server --port 50600 [--value-size 256]
//
// Built like raft-server's listener (callback API, SO_REUSEPORT off, Abseil
// deadlock detection off).
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "proto/raft.grpc.pb.h"

namespace {

class FloorService final : public raft::KeyValueService::CallbackService {
 public:
  explicit FloorService(std::string value) : value_(std::move(value)) {}

  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context, const raft::PutRequest*,
                                raft::PutResponse* response) override {
    response->set_index(++index_);
    return Done(context);
  }

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context, const raft::GetRequest*,
                                raft::GetResponse* response) override {
    response->set_found(true);
    response->set_value(value_);
    return Done(context);
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  const std::string value_;
  std::atomic<uint64_t> index_{0};  // a made-up index, so Put's answer is not empty
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"grpc-floor-server: raft.KeyValueService answering at once, no Raft"};
  int port = 0;
  int value_size = 256;
  app.add_option("--port", port, "port to listen on (loopback)")
      ->required()
      ->check(CLI::Range(1, 65535));
  app.add_option("--value-size", value_size, "bytes of the value every Get returns")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : 2;
  }

  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  FloorService service(std::string(static_cast<size_t>(value_size), 'v'));
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &bound_port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    std::fprintf(stderr, "grpc-floor-server: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  std::fprintf(stderr, "grpc-floor-server: listening on 127.0.0.1:%d\n", bound_port);
  // Runs until killed: SIGTERM's default action ends the process.
  server->Wait();
  return 0;
}
