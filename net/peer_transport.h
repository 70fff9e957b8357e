// PeerTransport: the real world's Transport (sim_network's twin). Each peer
// gets one long-lived client stream (RaftPeer/Stream) on the node's
// completion queue (see cq_tag.h). Send() queues the message and, if no
// write is in flight on that stream, writes the queue as one PeerBatch at
// once; messages sent while a write is in flight go together in the next
// one. This pipelines AppendEntries instead of paying a round trip per
// batch, and never blocks the loop: a write only hands the batch to gRPC.
//
// Best effort, as Raft allows: a full queue drops the message, and a broken
// stream drops what was queued and reconnects with backoff. The first
// failure after a healthy period is logged once ("peer unreachable") and
// reported through on_unreachable, so Raft can fall back to probing.
//
// Threading: Send(), queue events and on_unreachable run on the thread
// polling the queue (the loop's); Stop() once that thread has stopped.
#pragma once

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>

#include "core/transport.h"
#include "net/cluster_members.h"
#include "net/cq_tag.h"
#include "proto/raft.grpc.pb.h"

namespace raft::net {

struct PeerTransportOptions {
  size_t queue_messages_max = 4096;    // per peer, beyond which Send drops
  uint64_t batch_bytes_max = 4 << 20;  // payload bytes per PeerBatch write
  // How peers are dialled (tls.h); null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

class PeerTransport final : public Transport {
 public:
  PeerTransport(const Membership& members, const PeerTransportOptions& options,
                grpc::CompletionQueue* cq, std::function<void(NodeId peer)> on_unreachable);
  ~PeerTransport() override;

  void Send(Message m) override;
  // Cancels every stream and backoff; queued messages are dropped. The
  // queue's owner then drains it. Idempotent.
  void Stop();

 private:
  class Sender;
  const std::function<void(NodeId)> on_unreachable_;
  std::map<NodeId, std::unique_ptr<Sender>> senders_;
};

}  // namespace raft::net
