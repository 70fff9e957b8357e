// grpc-floor-server: raft.KeyValueService with no Raft behind it. Put
// answers at once; Get answers at once with a fixed value of --value-size
// bytes. What a client measures against it is the floor of one unary call
// on this machine: gRPC's HTTP/2 stack and loopback TCP, with no log and no
// fsync. bench/compare-etcd.sh runs raft-bench against it next to the two
// real systems, to show how much of a request's cost is the RPC itself.
//
//   grpc-floor-server --port 50600 [--value-size 256] [--mode inline|handoff|async] [--health]
//
// --mode picks the threading, to price each structure a server could have:
//   inline   callback API, each call finished inside its handler on gRPC's
//            own thread (the default; raft-server's listener setup);
//   handoff  callback API, each handler queues the call for one worker
//            thread that finishes it, as raft-server's NodeLoop does;
//   async    the completion-queue API served by one thread that also
//            finishes every call: no gRPC callback threads and no hand-off.
// --health also serves gRPC's default grpc.health.v1 service, as raft-server
// does; it is built on the callback API, so it starts gRPC's callback
// threads, which then poll the same sockets as the async thread.
//
// Built like raft-server's listener (SO_REUSEPORT off, Abseil deadlock
// detection off).
#include <absl/synchronization/mutex.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/unary_call.h"
#include "proto/raft.grpc.pb.h"

namespace {

// Runs queued work on one thread, as NodeLoop runs client calls.
class Worker {
 public:
  Worker() : thread_([this] { Run(); }) {}
  void Post(std::function<void()> fn) {
    {
      std::lock_guard lk(mu_);
      queue_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::vector<std::function<void()>> batch;
    while (true) {
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return !queue_.empty(); });
        batch.swap(queue_);
      }
      for (auto& fn : batch) fn();
      batch.clear();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> queue_;  // guarded by mu_
  std::thread thread_;                        // runs until the process ends
};

class FloorService final : public raft::KeyValueService::CallbackService {
 public:
  FloorService(std::string value, bool handoff)
      : value_(std::move(value)), worker_(handoff ? std::make_unique<Worker>() : nullptr) {}

  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context, const raft::PutRequest*,
                                raft::PutResponse* response) override {
    return Answer(context, [this, response] { response->set_index(++index_); });
  }

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context, const raft::GetRequest*,
                                raft::GetResponse* response) override {
    return Answer(context, [this, response] {
      response->set_found(true);
      response->set_value(value_);
    });
  }

 private:
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context,
                                   std::function<void()> fill) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    auto finish = [reactor, fill = std::move(fill)] {
      fill();
      reactor->Finish(grpc::Status::OK);
    };
    if (worker_) {
      worker_->Post(std::move(finish));
    } else {
      finish();
    }
    return reactor;
  }

  const std::string value_;
  std::atomic<uint64_t> index_{0};  // a made-up index, so Put's answer is not empty
  std::unique_ptr<Worker> worker_;  // handoff mode only
};

// The completion-queue API on the calling thread, with raft-server's own
// call objects (net/unary_call.h), so this mode prices its structure.
class AsyncFloor {
 public:
  explicit AsyncFloor(std::string value) : value_(std::move(value)) {}
  raft::KeyValueService::AsyncService& service() { return service_; }

  // Runs until the process ends, answering every call at once.
  void Serve(grpc::ServerCompletionQueue* cq) {
    using Service = raft::KeyValueService::AsyncService;
    using Put = raft::net::UnaryCall<Service, raft::PutRequest, raft::PutResponse>;
    using Get = raft::net::UnaryCall<Service, raft::GetRequest, raft::GetResponse>;
    // Requests posted ahead, so calls arriving together do not wait for one.
    constexpr int kPosted = 64;
    for (int i = 0; i < kPosted; i++) {
      Put::Listen(&service_, &Service::RequestPut, cq, [this](Put* call) {
        call->response().set_index(++index_);
        call->Finish(grpc::Status::OK);
      });
      Get::Listen(&service_, &Service::RequestGet, cq, [this](Get* call) {
        call->response().set_found(true);
        call->response().set_value(value_);
        call->Finish(grpc::Status::OK);
      });
    }
    while (raft::net::HandleNext(*cq, gpr_inf_future(GPR_CLOCK_MONOTONIC)) !=
           grpc::CompletionQueue::SHUTDOWN) {
    }
  }

 private:
  const std::string value_;
  uint64_t index_ = 0;
  raft::KeyValueService::AsyncService service_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"grpc-floor-server: raft.KeyValueService answering at once, no Raft"};
  int port = 0;
  int value_size = 256;
  std::string mode = "inline";
  app.add_option("--port", port, "port to listen on (loopback)")
      ->required()
      ->check(CLI::Range(1, 65535));
  app.add_option("--value-size", value_size, "bytes of the value every Get returns")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  app.add_option("--mode", mode, "threading: inline, handoff or async (see the source's header)")
      ->check(CLI::IsMember({"inline", "handoff", "async"}))
      ->capture_default_str();
  bool health = false;
  app.add_flag("--health", health, "also serve gRPC's default health service");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : 2;
  }

  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(health);
  const std::string value(static_cast<size_t>(value_size), 'v');
  FloorService callback_service(value, mode == "handoff");
  AsyncFloor async_floor(value);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &bound_port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  if (mode == "async") {
    builder.RegisterService(&async_floor.service());
    cq = builder.AddCompletionQueue();
  } else {
    builder.RegisterService(&callback_service);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    std::fprintf(stderr, "grpc-floor-server: cannot listen on 127.0.0.1:%d\n", port);
    return 1;
  }
  std::fprintf(stderr, "grpc-floor-server: listening on 127.0.0.1:%d (%s%s)\n", bound_port,
               mode.c_str(), health ? ", health" : "");
  // Runs until killed: SIGTERM's default action ends the process.
  if (cq) async_floor.Serve(cq.get());
  server->Wait();
  return 0;
}
