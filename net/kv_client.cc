#include "net/kv_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iterator>
#include <random>
#include <string_view>
#include <thread>
#include <utility>

#include "core/assert.h"
#include "net/channel.h"

namespace raft::net {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int64_t kBackoffInitialMs = 50;
constexpr int64_t kBackoffMaxMs = 1000;

// gRPC takes system_clock deadlines; the client measures time on steady_clock.
void SetDeadline(grpc::ClientContext* context, Clock::time_point deadline) {
  context->set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - Clock::now()));
}

uint64_t RandomClientId() {
  std::random_device device;
  uint64_t id = 0;
  while (id == 0) id = (uint64_t{device()} << 32) | device();
  return id;
}

bool IsAddressChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '-' ||
         c == '_' || c == '[' || c == ']';
}

// The endpoint a server's message names (as in "forwarded to leader node2 at
// localhost:50052: ..."), if it is one of `endpoints`. A hint only: the
// message has no fixed format.
std::optional<size_t> NamedEndpoint(std::string_view message,
                                    const std::vector<std::string>& endpoints) {
  for (size_t begin = 0; begin < message.size();) {
    size_t end = begin;
    while (end < message.size() && IsAddressChar(message[end])) ++end;
    std::string_view token = message.substr(begin, end - begin);
    while (!token.empty() && (token.back() == ':' || token.back() == '.')) token.remove_suffix(1);
    const auto it = std::find(endpoints.begin(), endpoints.end(), token);
    if (!token.empty() && it != endpoints.end()) return it - endpoints.begin();
    begin = end + 1;
  }
  return std::nullopt;
}

}  // namespace

KvClient::KvClient(KvClientOptions options)
    : options_(std::move(options)), client_id_(RandomClientId()) {
  RAFT_ASSERT(!options_.endpoints.empty());
  RAFT_ASSERT(options_.attempt_timeout_ms > 0 && options_.call_timeout_ms > 0);
  for (const std::string& endpoint : options_.endpoints) {
    stubs_.push_back(KeyValueService::NewStub(Dial(endpoint, options_.credentials)));
  }
}

grpc::Status KvClient::Put(const std::string& key, const std::string& value,
                           PutResponse* response) {
  PutRequest request;
  request.set_key(key);
  request.set_value(value);
  *request.mutable_session() = NextSession();
  return Call([&](KeyValueService::Stub& stub, grpc::ClientContext* context) {
    return stub.Put(context, request, response);
  });
}

grpc::Status KvClient::Get(const std::string& key, bool stale, GetResponse* response) {
  GetRequest request;
  request.set_key(key);
  request.set_stale(stale);
  return Call([&](KeyValueService::Stub& stub, grpc::ClientContext* context) {
    return stub.Get(context, request, response);
  });
}

grpc::Status KvClient::Delete(const std::string& key, DeleteResponse* response) {
  DeleteRequest request;
  request.set_key(key);
  *request.mutable_session() = NextSession();
  return Call([&](KeyValueService::Stub& stub, grpc::ClientContext* context) {
    return stub.Delete(context, request, response);
  });
}

grpc::Status KvClient::CompareAndSwap(const std::string& key,
                                      const std::optional<std::string>& expected,
                                      const std::string& value, CompareAndSwapResponse* response) {
  CompareAndSwapRequest request;
  request.set_key(key);
  request.set_expect_absent(!expected.has_value());
  request.set_expected_value(expected.value_or(""));
  request.set_value(value);
  *request.mutable_session() = NextSession();
  return Call([&](KeyValueService::Stub& stub, grpc::ClientContext* context) {
    return stub.CompareAndSwap(context, request, response);
  });
}

grpc::Status KvClient::Status(const std::string& endpoint,
                              GetClusterStatusResponse* response) const {
  const auto it = std::find(options_.endpoints.begin(), options_.endpoints.end(), endpoint);
  std::unique_ptr<KeyValueService::Stub> own_stub;
  if (it == options_.endpoints.end()) {
    own_stub = KeyValueService::NewStub(Dial(endpoint, options_.credentials));
  }
  KeyValueService::Stub& stub = own_stub ? *own_stub : *stubs_[it - options_.endpoints.begin()];
  grpc::ClientContext context;
  SetDeadline(&context, Clock::now() + milliseconds(std::min(options_.attempt_timeout_ms,
                                                             options_.call_timeout_ms)));
  return stub.GetClusterStatus(&context, GetClusterStatusRequest(), response);
}

grpc::Status KvClient::Call(const Attempt& attempt) {
  const Clock::time_point deadline = Clock::now() + milliseconds(options_.call_timeout_ms);
  for (int64_t backoff_ms = kBackoffInitialMs;;
       backoff_ms = std::min(2 * backoff_ms, kBackoffMaxMs)) {
    grpc::ClientContext context;
    SetDeadline(&context,
                std::min(deadline, Clock::now() + milliseconds(options_.attempt_timeout_ms)));
    const grpc::Status status = attempt(*stubs_[current_], &context);
    if (status.ok() || !IsRetryable(status.error_code())) return status;
    if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
      const std::optional<size_t> leader =
          NamedEndpoint(status.error_message(), options_.endpoints);
      current_ = leader && *leader != current_ ? *leader : (current_ + 1) % stubs_.size();
    }
    std::this_thread::sleep_until(std::min(deadline, Clock::now() + milliseconds(backoff_ms)));
    if (Clock::now() >= deadline) return status;
  }
}

ClientSession KvClient::NextSession() {
  ClientSession session;
  session.set_client_id(client_id_);
  session.set_sequence(next_sequence_++);
  return session;
}

bool IsRetryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

const char* StatusCodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const auto index = static_cast<size_t>(code);
  return index < std::size(kNames) ? kNames[index] : "UNKNOWN_CODE";
}

std::optional<std::vector<std::string>> SplitEndpoints(const std::string& list) {
  std::vector<std::string> endpoints;
  for (size_t begin = 0, end = 0; end != std::string::npos; begin = end + 1) {
    end = list.find(',', begin);
    endpoints.push_back(list.substr(begin, end - begin));
    if (endpoints.back().empty()) return std::nullopt;
  }
  return endpoints;
}

}  // namespace raft::net
