// raft-bench: a load generator for the Raft key-value store, and for etcd's
// KV API so that the two can be compared on one machine (in the manner of
// etcd's `benchmark put`).
//
//   raft-bench --endpoints localhost:50051 --mode put --clients 64 --total 100000
//   raft-bench --target etcd --endpoints 127.0.0.1:2379 --mode get --duration 10
//
// Targets: raft (raft.KeyValueService Put and Get, proto/raft.proto) and etcd
// (etcdserverpb.KV Put and Range, bench/etcd_kv.proto). Modes: put; get
// (linearizable); get-stale (raft: GetRequest.stale, etcd: a serializable
// Range, each served from the answering node's copy); mixed (linearizable
// gets with probability --read-ratio, else puts). Keys are drawn uniformly
// from --key-space distinct keys, each the zero-padded decimal of its number,
// --key-size bytes long; every value is the same --val-size printable bytes.
// The get modes first write every key of the key space once (the preload, not
// measured) unless --no-preload.
//
// How: asynchronous gRPC (the callback API). Each of --clients slots keeps
// one request in flight and issues its next request from the completion
// callback of its last one, on gRPC's callback threads, so one process keeps
// hundreds of requests in flight without a thread each. --conns channels,
// each its own TCP connection (a distinct channel argument and a local
// subchannel pool stop gRPC from sharing one), are spread round-robin over
// --endpoints; slot i sends on channel i mod --conns. Requests are not
// retried: a failure is counted and the slot moves on.
//
// Output: a progress line on stderr every second
//   progress: 12.0s ops=123456 ops/s=10234 errors=0
// (ops: successful requests so far; ops/s: over the last second), then a
// table on stdout and one last line for scripts:
//   raft-bench summary: target=raft mode=put clients=64 conns=8 ops=100000 errors=0
//       seconds=9.81 ops_per_sec=10193 p50_ms=5.91 p90_ms=7.20 p99_ms=9.80 p999_ms=14.1
//       max_ms=30.2 client_cpu_pct=35
// (on one line). ops counts successful requests, errors failed ones; seconds
// runs from the first request to the last completion; latencies are those of
// successful requests, exact percentiles (nearest rank) of every sample;
// client_cpu_pct is this process's CPU time (user + system) over wall time,
// as a percentage of one core, so a reader sees whether the tool itself was
// the bottleneck. On errors the first one's code and message follow the table.
//
// Exit status: 0 if every request succeeded, 1 if some failed (or an endpoint
// could not be reached, or the preload failed), 2 on bad flags.
//
// Threading: a slot's state is touched only by its own chain of requests, one
// callback at a time; the shared counters are atomics; the main thread prints
// progress and waits, under mu_, for the last slot to retire.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bench/etcd_kv.grpc.pb.h"
#include "core/assert.h"
#include "net/kv_client.h"
#include "proto/raft.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitOk = 0;
constexpr int kExitErrors = 1;
constexpr int kExitUsage = 2;

constexpr int kClientsMax = 100'000;
constexpr int kConnsMax = 4096;
constexpr int kKeySizeMax = 1 << 16;
constexpr int kValSizeMax = 16 << 20;
constexpr int64_t kRequestTimeoutMsMax = 3'600'000;  // also keeps latencies_us in a uint32_t
// Latency samples kept (4 bytes each); later requests are counted, not kept.
constexpr uint64_t kSamplesMax = 100'000'000;
constexpr uint64_t kTotalMax = uint64_t{1} << 40;
constexpr int64_t kConnectTimeoutMs = 10'000;
constexpr auto kProgressInterval = std::chrono::seconds(1);

enum class Target { kRaft, kEtcd };
enum class Mode { kPut, kGet, kGetStale, kMixed };
enum class Op { kPut, kGet, kGetStale };

struct Flags {
  std::string endpoints = "localhost:50051";  // comma-separated host:port
  std::string target = "raft";
  std::string mode = "put";
  double read_ratio = 0.5;
  int clients = 64;
  int conns = 8;
  uint64_t total = 100'000;
  double duration_s = 0;  // > 0: run for this long instead of --total requests
  int key_size = 16;
  int val_size = 256;
  uint64_t key_space = 100'000;
  bool no_preload = false;
  int64_t request_timeout_ms = 10'000;
};

// What one Run does: which requests, how many, and whether they are measured.
struct PhaseSpec {
  const char* label;  // prefix of the progress lines
  bool preload;       // puts of keys 0, 1, ... in order, latencies not kept
  uint64_t total;     // requests to issue; 0: until `duration_s` has passed
  double duration_s;
};

struct FirstError {
  grpc::StatusCode code;
  std::string message;
  Op op;
};

struct PhaseResult {
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t misses = 0;  // raft gets that found no key
  double seconds = 0;
  double cpu_seconds = 0;
  std::vector<uint32_t> latencies_us;  // sorted
  uint64_t samples_dropped = 0;        // beyond kSamplesMax
  std::optional<FirstError> first_error;
};

const char* OpName(Op op) {
  switch (op) {
    case Op::kPut:
      return "put";
    case Op::kGet:
      return "get";
    case Op::kGetStale:
      return "get-stale";
  }
  return "?";
}

// Key number `index` as zero-padded decimal, `size` bytes (the index fits:
// flags are checked against the key space).
void FormatKey(uint64_t index, size_t size, std::string* out) {
  out->assign(size, '0');
  for (size_t i = size; i > 0 && index > 0; --i) {
    (*out)[i - 1] = static_cast<char>('0' + index % 10);
    index /= 10;
  }
  RAFT_ASSERT(index == 0);
}

size_t DecimalDigits(uint64_t n) {
  size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

double CpuSeconds() {
  rusage usage{};
  RAFT_ASSERT(getrusage(RUSAGE_SELF, &usage) == 0);
  const auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double SecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// The endpoints of --endpoints; throws CLI::ValidationError on an empty one.
std::vector<std::string> SplitEndpoints(const std::string& list) {
  std::optional<std::vector<std::string>> endpoints = raft::net::SplitEndpoints(list);
  if (!endpoints) throw CLI::ValidationError("--endpoints", "empty endpoint");
  return std::move(*endpoints);
}

// One channel per connection. gRPC shares subchannels (and so TCP
// connections) between channels with equal arguments through a global pool;
// a local pool and an argument that differs per channel keep them apart.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& endpoint, int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("raft_bench.channel_index", index);
  return grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
}

// Runs phases of requests over a fixed set of channels and slots.
class Bench {
 public:
  Bench(const Flags& flags, Target target, Mode mode,
        const std::vector<std::shared_ptr<grpc::Channel>>& channels)
      : flags_(flags), target_(target), mode_(mode), value_(MakeValue(flags.val_size)) {
    RAFT_ASSERT(!channels.empty());
    for (const auto& channel : channels) {
      if (target_ == Target::kRaft) {
        raft_stubs_.push_back(raft::KeyValueService::NewStub(channel));
      } else {
        etcd_stubs_.push_back(etcdserverpb::KV::NewStub(channel));
      }
    }
    for (int i = 0; i < flags_.clients; ++i) {
      auto slot = std::make_unique<Slot>();
      slot->channel = static_cast<size_t>(i) % channels.size();
      slot->rng.seed(0x5eed0000u + static_cast<uint64_t>(i));
      slots_.push_back(std::move(slot));
    }
  }

  // Issues the phase's requests from every slot, printing progress to stderr
  // every second, and returns when every slot has retired.
  PhaseResult Run(const PhaseSpec& spec) {
    phase_ = spec;
    issued_ = 0;
    ok_ = 0;
    failed_ = 0;
    stop_ = false;
    first_error_.reset();
    active_ = slots_.size();
    for (auto& slot : slots_) {
      slot->latencies_us.clear();
      slot->misses = 0;
    }
    const double cpu_start = CpuSeconds();
    start_ = Clock::now();
    for (auto& slot : slots_) Issue(*slot);
    WaitWithProgress();

    PhaseResult result;
    result.seconds = SecondsBetween(start_, end_);
    result.cpu_seconds = CpuSeconds() - cpu_start;
    result.ok = ok_;
    result.failed = failed_;
    for (const auto& slot : slots_) {
      result.misses += slot->misses;
      result.latencies_us.insert(result.latencies_us.end(), slot->latencies_us.begin(),
                                 slot->latencies_us.end());
    }
    std::sort(result.latencies_us.begin(), result.latencies_us.end());
    if (!spec.preload) result.samples_dropped = result.ok - result.latencies_us.size();
    result.first_error = first_error_;
    return result;
  }

 private:
  // One in-flight "client": the request it has outstanding and what it saw.
  struct Slot {
    size_t channel = 0;
    std::mt19937_64 rng;
    std::unique_ptr<grpc::ClientContext> context;  // of the outstanding request
    Clock::time_point sent;
    raft::PutRequest raft_put;
    raft::PutResponse raft_put_response;
    raft::GetRequest raft_get;
    raft::GetResponse raft_get_response;
    etcdserverpb::PutRequest etcd_put;
    etcdserverpb::PutResponse etcd_put_response;
    etcdserverpb::RangeRequest etcd_range;
    etcdserverpb::RangeResponse etcd_range_response;
    std::vector<uint32_t> latencies_us;  // of this slot's successful requests
    uint64_t misses = 0;
  };

  static std::string MakeValue(int size) {
    std::string value(static_cast<size_t>(size), 'v');
    for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>('a' + i % 26);
    return value;
  }

  Op NextOp(Slot& slot) {
    if (phase_.preload) return Op::kPut;
    switch (mode_) {
      case Mode::kPut:
        return Op::kPut;
      case Mode::kGet:
        return Op::kGet;
      case Mode::kGetStale:
        return Op::kGetStale;
      case Mode::kMixed:
        return std::uniform_real_distribution<double>(0, 1)(slot.rng) < flags_.read_ratio
                   ? Op::kGet
                   : Op::kPut;
    }
    return Op::kPut;
  }

  // Sends the slot's next request, or retires the slot when the phase is
  // over. Called from the main thread once per slot, then from callbacks.
  void Issue(Slot& slot) {
    if (stop_.load(std::memory_order_relaxed)) return Retire();
    const uint64_t ticket = issued_.fetch_add(1, std::memory_order_relaxed);
    if (phase_.total != 0 && ticket >= phase_.total) return Retire();
    const uint64_t key_index =
        phase_.preload ? ticket
                       : std::uniform_int_distribution<uint64_t>(0, flags_.key_space - 1)(slot.rng);
    const Op op = NextOp(slot);
    const auto key_size = static_cast<size_t>(flags_.key_size);

    slot.context = std::make_unique<grpc::ClientContext>();
    slot.context->set_deadline(std::chrono::system_clock::now() +
                               std::chrono::milliseconds(flags_.request_timeout_ms));
    auto done = [this, &slot, op](grpc::Status status) { OnDone(slot, op, status); };
    slot.sent = Clock::now();
    grpc::ClientContext* context = slot.context.get();
    if (target_ == Target::kRaft) {
      auto* stub = raft_stubs_[slot.channel]->async();
      if (op == Op::kPut) {
        FormatKey(key_index, key_size, slot.raft_put.mutable_key());
        slot.raft_put.set_value(value_);
        stub->Put(context, &slot.raft_put, &slot.raft_put_response, std::move(done));
      } else {
        FormatKey(key_index, key_size, slot.raft_get.mutable_key());
        slot.raft_get.set_stale(op == Op::kGetStale);
        stub->Get(context, &slot.raft_get, &slot.raft_get_response, std::move(done));
      }
    } else {
      auto* stub = etcd_stubs_[slot.channel]->async();
      if (op == Op::kPut) {
        FormatKey(key_index, key_size, slot.etcd_put.mutable_key());
        slot.etcd_put.set_value(value_);
        stub->Put(context, &slot.etcd_put, &slot.etcd_put_response, std::move(done));
      } else {
        FormatKey(key_index, key_size, slot.etcd_range.mutable_key());
        slot.etcd_range.set_serializable(op == Op::kGetStale);
        stub->Range(context, &slot.etcd_range, &slot.etcd_range_response, std::move(done));
      }
    }
  }

  // A request's completion, on a gRPC callback thread.
  void OnDone(Slot& slot, Op op, const grpc::Status& status) {
    const auto latency = Clock::now() - slot.sent;
    if (status.ok()) {
      const uint64_t n = ok_.fetch_add(1, std::memory_order_relaxed);  // numbers the samples
      if (!phase_.preload && n < kSamplesMax) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
        RAFT_ASSERT(us >= 0 && us <= int64_t{UINT32_MAX});
        slot.latencies_us.push_back(static_cast<uint32_t>(us));
      }
      if (target_ == Target::kRaft && op != Op::kPut && !slot.raft_get_response.found()) {
        ++slot.misses;
      }
    } else {
      failed_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard<std::mutex> lock(mu_);
      if (!first_error_) first_error_ = FirstError{status.error_code(), status.error_message(), op};
    }
    Issue(slot);
  }

  void Retire() {
    std::lock_guard<std::mutex> lock(mu_);
    RAFT_ASSERT(active_ > 0);
    if (--active_ == 0) {
      end_ = Clock::now();
      cv_.notify_all();
    }
  }

  void WaitWithProgress() {
    std::unique_lock<std::mutex> lock(mu_);
    const bool timed = phase_.duration_s > 0;
    const auto stop_at = start_ + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(timed ? phase_.duration_s : 0));
    auto next = start_ + kProgressInterval;
    uint64_t ok_before = 0;
    auto printed = start_;
    while (active_ > 0) {
      const auto wake = timed && !stop_ ? std::min(next, stop_at) : next;
      if (cv_.wait_until(lock, wake, [this] { return active_ == 0; })) break;
      const auto now = Clock::now();
      if (timed && now >= stop_at) stop_ = true;
      if (now < next) continue;
      const uint64_t ok = ok_.load(std::memory_order_relaxed);
      std::fprintf(stderr, "%s: %.1fs ops=%llu ops/s=%.0f errors=%llu\n", phase_.label,
                   SecondsBetween(start_, now), static_cast<unsigned long long>(ok),
                   static_cast<double>(ok - ok_before) / SecondsBetween(printed, now),
                   static_cast<unsigned long long>(failed_.load(std::memory_order_relaxed)));
      ok_before = ok;
      printed = now;
      next += kProgressInterval;
    }
  }

  const Flags flags_;
  const Target target_;
  const Mode mode_;
  const std::string value_;
  std::vector<std::unique_ptr<raft::KeyValueService::Stub>> raft_stubs_;  // one per channel
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> etcd_stubs_;       // one per channel
  std::vector<std::unique_ptr<Slot>> slots_;

  PhaseSpec phase_{};  // written by Run before any request of the phase
  Clock::time_point start_;
  std::atomic<uint64_t> issued_{0};  // tickets handed out, including past the total
  std::atomic<uint64_t> ok_{0};      // successful requests
  std::atomic<uint64_t> failed_{0};  // failed requests
  std::atomic<bool> stop_{false};    // --duration reached: slots retire

  std::mutex mu_;
  std::condition_variable cv_;
  size_t active_ = 0;                      // slots not yet retired; guarded by mu_
  Clock::time_point end_;                  // when the last slot retired; guarded by mu_
  std::optional<FirstError> first_error_;  // guarded by mu_
};

// Nearest-rank percentile of sorted samples, in ms (0 with no samples).
double PercentileMs(const std::vector<uint32_t>& sorted_us, double p) {
  if (sorted_us.empty()) return 0;
  const auto n = static_cast<double>(sorted_us.size());
  auto rank = static_cast<size_t>(std::ceil(p * n));
  rank = std::clamp<size_t>(rank, 1, sorted_us.size());
  return sorted_us[rank - 1] / 1000.0;
}

// About three significant digits: 0.412, 5.91, 14.1, 230.
std::string FormatMs(double ms) {
  char buf[32];
  const char* format = ms < 1 ? "%.3f" : ms < 10 ? "%.2f" : ms < 100 ? "%.1f" : "%.0f";
  std::snprintf(buf, sizeof(buf), format, ms);
  return buf;
}

void PrintRow(const char* name, const std::string& value) {
  std::printf("  %-18s %s\n", name, value.c_str());
}

std::string Str(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

void PrintReport(const Flags& f, const PhaseResult& r, const std::optional<PhaseResult>& preload) {
  const std::vector<uint32_t>& lat = r.latencies_us;
  const double ops_per_sec = r.seconds > 0 ? r.ok / r.seconds : 0;
  const double cpu_pct = r.seconds > 0 ? 100 * r.cpu_seconds / r.seconds : 0;
  double mean_ms = 0;
  for (const uint32_t us : lat) mean_ms += us;
  if (!lat.empty()) mean_ms /= 1000.0 * lat.size();

  std::string mode = f.mode;
  if (f.mode == "mixed") mode += Str(" (%.0f%% linearizable gets)", 100 * f.read_ratio);
  std::printf("raft-bench results\n");
  PrintRow("target", f.target);
  PrintRow("endpoints", f.endpoints);
  PrintRow("mode", mode);
  PrintRow("clients / conns", std::to_string(f.clients) + " / " + std::to_string(f.conns));
  PrintRow("key / value bytes", std::to_string(f.key_size) + " / " + std::to_string(f.val_size));
  PrintRow("key space", std::to_string(f.key_space));
  if (preload) {
    PrintRow("preload",
             std::to_string(preload->ok) + " puts in " + Str("%.2f s", preload->seconds) +
                 Str(" (%.0f/s)", preload->seconds > 0 ? preload->ok / preload->seconds : 0));
  }
  PrintRow("ok", std::to_string(r.ok));
  PrintRow("errors", std::to_string(r.failed));
  if (f.target == "raft" && f.mode != "put") PrintRow("gets not found", std::to_string(r.misses));
  PrintRow("seconds", Str("%.2f", r.seconds));
  PrintRow("ops/s", Str("%.0f", ops_per_sec));
  PrintRow("latency min ms", FormatMs(lat.empty() ? 0 : lat.front() / 1000.0));
  PrintRow("latency mean ms", FormatMs(mean_ms));
  PrintRow("latency p50 ms", FormatMs(PercentileMs(lat, 0.50)));
  PrintRow("latency p90 ms", FormatMs(PercentileMs(lat, 0.90)));
  PrintRow("latency p99 ms", FormatMs(PercentileMs(lat, 0.99)));
  PrintRow("latency p99.9 ms", FormatMs(PercentileMs(lat, 0.999)));
  PrintRow("latency max ms", FormatMs(lat.empty() ? 0 : lat.back() / 1000.0));
  PrintRow("client cpu", Str("%.0f%% of one core", cpu_pct));
  if (r.samples_dropped > 0) {
    PrintRow("samples not kept", std::to_string(r.samples_dropped) + " (beyond the first " +
                                     std::to_string(kSamplesMax) + ")");
  }
  if (r.first_error) {
    std::printf("  first error: %s: %s (%s)\n", raft::net::StatusCodeName(r.first_error->code),
                r.first_error->message.c_str(), OpName(r.first_error->op));
  }
  std::printf(
      "raft-bench summary: target=%s mode=%s clients=%d conns=%d ops=%llu errors=%llu "
      "seconds=%.2f ops_per_sec=%.0f p50_ms=%s p90_ms=%s p99_ms=%s p999_ms=%s max_ms=%s "
      "client_cpu_pct=%.0f\n",
      f.target.c_str(), f.mode.c_str(), f.clients, f.conns, static_cast<unsigned long long>(r.ok),
      static_cast<unsigned long long>(r.failed), r.seconds, ops_per_sec,
      FormatMs(PercentileMs(lat, 0.50)).c_str(), FormatMs(PercentileMs(lat, 0.90)).c_str(),
      FormatMs(PercentileMs(lat, 0.99)).c_str(), FormatMs(PercentileMs(lat, 0.999)).c_str(),
      FormatMs(lat.empty() ? 0 : lat.back() / 1000.0).c_str(), cpu_pct);
  std::fflush(stdout);
}

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--endpoints", f.endpoints, "comma-separated host:port list")
      ->capture_default_str();
  app.add_option("--target", f.target, "raft (raft.KeyValueService) or etcd (etcdserverpb.KV)")
      ->check(CLI::IsMember({"raft", "etcd"}))
      ->capture_default_str();
  app.add_option("--mode", f.mode,
                 "put, get (linearizable), get-stale (local copy) or mixed (see --read-ratio)")
      ->check(CLI::IsMember({"put", "get", "get-stale", "mixed"}))
      ->capture_default_str();
  app.add_option("--read-ratio", f.read_ratio, "mixed: share of linearizable gets")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--clients", f.clients, "requests in flight")
      ->check(CLI::Range(1, kClientsMax))
      ->capture_default_str();
  app.add_option("--conns", f.conns, "gRPC channels (TCP connections), round-robin on endpoints")
      ->check(CLI::Range(1, kConnsMax))
      ->capture_default_str();
  CLI::Option* total = app.add_option("--total", f.total, "requests to send")
                           ->check(CLI::Range(uint64_t{1}, kTotalMax))
                           ->capture_default_str();
  app.add_option("--duration", f.duration_s, "run for SECONDS instead of --total requests")
      ->check(CLI::Range(0.001, 1e7))
      ->excludes(total);
  app.add_option("--key-size", f.key_size, "key bytes (zero-padded decimal)")
      ->check(CLI::Range(1, kKeySizeMax))
      ->capture_default_str();
  app.add_option("--val-size", f.val_size, "value bytes")
      ->check(CLI::Range(0, kValSizeMax))
      ->capture_default_str();
  app.add_option("--key-space", f.key_space, "distinct keys")
      ->check(CLI::Range(uint64_t{1}, kTotalMax))
      ->capture_default_str();
  app.add_flag("--no-preload", f.no_preload, "get modes: do not write the key space first");
  app.add_option("--request-timeout-ms", f.request_timeout_ms, "deadline of each request")
      ->check(CLI::Range(int64_t{1}, kRequestTimeoutMsMax))
      ->capture_default_str();
}

Mode ParseMode(const std::string& mode) {
  if (mode == "get") return Mode::kGet;
  if (mode == "get-stale") return Mode::kGetStale;
  if (mode == "mixed") return Mode::kMixed;
  RAFT_ASSERT(mode == "put");
  return Mode::kPut;
}

// Connects every channel (in parallel); false, with a message, if one fails.
bool ConnectAll(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                const std::vector<std::string>& channel_endpoints) {
  const auto deadline =
      std::chrono::system_clock::now() + std::chrono::milliseconds(kConnectTimeoutMs);
  for (const auto& channel : channels) channel->GetState(/*try_to_connect=*/true);
  for (size_t i = 0; i < channels.size(); ++i) {
    if (!channels[i]->WaitForConnected(deadline)) {
      std::fprintf(stderr, "raft-bench: cannot connect to %s within %lld ms\n",
                   channel_endpoints[i].c_str(), static_cast<long long>(kConnectTimeoutMs));
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raft-bench: load generator for raft.KeyValueService and etcd's KV API"};
  app.failure_message(CLI::FailureMessage::help);
  Flags f;
  AddFlags(app, f);
  std::vector<std::string> endpoints;
  try {
    app.parse(argc, argv);
    endpoints = SplitEndpoints(f.endpoints);
    if (DecimalDigits(f.key_space - 1) > static_cast<size_t>(f.key_size)) {
      throw CLI::ValidationError("--key-space", "key numbers need more digits than --key-size");
    }
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : kExitUsage;
  }
  const Target target = f.target == "etcd" ? Target::kEtcd : Target::kRaft;
  const Mode mode = ParseMode(f.mode);

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::string> channel_endpoints;
  for (int i = 0; i < f.conns; ++i) {
    channel_endpoints.push_back(endpoints[static_cast<size_t>(i) % endpoints.size()]);
    channels.push_back(NewChannel(channel_endpoints.back(), i));
  }
  if (!ConnectAll(channels, channel_endpoints)) return kExitErrors;

  Bench bench(f, target, mode, channels);
  std::optional<PhaseResult> preload;
  if (mode != Mode::kPut && !f.no_preload) {
    preload = bench.Run(
        PhaseSpec{.label = "preload", .preload = true, .total = f.key_space, .duration_s = 0});
    if (preload->failed > 0) {
      const FirstError& e = *preload->first_error;
      std::fprintf(stderr, "raft-bench: preload: %llu of %llu puts failed; first: %s: %s\n",
                   static_cast<unsigned long long>(preload->failed),
                   static_cast<unsigned long long>(f.key_space), raft::net::StatusCodeName(e.code),
                   e.message.c_str());
      return kExitErrors;
    }
  }
  const PhaseResult result = bench.Run(PhaseSpec{.label = "progress",
                                                 .preload = false,
                                                 .total = f.duration_s > 0 ? 0 : f.total,
                                                 .duration_s = f.duration_s});
  PrintReport(f, result, preload);
  if (result.first_error) {
    std::fprintf(stderr, "raft-bench: %llu requests failed; first: %s: %s (%s)\n",
                 static_cast<unsigned long long>(result.failed),
                 raft::net::StatusCodeName(result.first_error->code),
                 result.first_error->message.c_str(), OpName(result.first_error->op));
  }
  return result.failed == 0 ? kExitOk : kExitErrors;
}
