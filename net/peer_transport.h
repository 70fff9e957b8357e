// PeerTransport: the real world's Transport (sim_network's twin). Each peer
// gets one sender thread and one long-lived client stream (RaftPeer/Stream);
// Send() only queues the message, so the node's loop never waits on the
// network. The sender drains its whole queue into one PeerBatch per write,
// which pipelines AppendEntries instead of paying a round trip per batch.
//
// Best effort, as Raft allows: a full queue drops the message, and a broken
// stream drops what was queued and reconnects with backoff. The first
// failure after a healthy period is logged once ("peer unreachable") and
// reported through on_unreachable, so Raft can fall back to probing.
//
// Threading: Send() from the loop thread; senders own their threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "core/transport.h"
#include "net/cluster_members.h"
#include "proto/raft.grpc.pb.h"

namespace raft::net {

struct PeerTransportOptions {
  size_t queue_messages_max = 4096;    // per peer, beyond which Send drops
  uint64_t batch_bytes_max = 4 << 20;  // payload bytes per PeerBatch write
};

class PeerTransport final : public Transport {
 public:
  // on_unreachable runs on a sender thread when a stream to a peer breaks.
  PeerTransport(const Membership& members, const PeerTransportOptions& options,
                std::function<void(NodeId peer)> on_unreachable);
  ~PeerTransport() override;

  void Send(Message m) override;
  // Stops every sender; queued messages are dropped. Idempotent.
  void Stop();

 private:
  class Sender;
  const std::function<void(NodeId)> on_unreachable_;
  std::map<NodeId, std::unique_ptr<Sender>> senders_;
};

}  // namespace raft::net
