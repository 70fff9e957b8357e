// TestCluster: a tiny deterministic harness for core tests. It owns N
// RawNodes over MemoryStorage and moves messages between them by hand, so a
// test drives the protocol only through ticks and messages: no threads, no
// sleeps, no clocks.
//
// The Ready loop here follows the production order: persist entries and hard
// state, then queue messages, then apply committed entries, then Advance.
//
// Threading: single-threaded test code.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/raw_node.h"

namespace raft::testing {

struct ClusterOptions {
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  uint64_t seed = 1;
  size_t inflight_msgs_max = 256;
};

// Builds an entry list from terms: Log({1, 1, 2}) is indexes 1..3.
std::vector<Entry> Log(const std::vector<uint64_t>& terms);

class TestCluster {
 public:
  struct Peer {
    MemoryStorage storage;
    std::unique_ptr<RawNode> node;
    std::vector<Entry> applied;  // every entry handed out for applying
    std::vector<ReadState> reads;
  };

  TestCluster(size_t size, ClusterOptions options = {});

  // Rebuilds node id as if it restarted from its storage (volatile state lost).
  void Restart(uint64_t id);
  // Replaces node id's durable state before its first use.
  void SetDurable(uint64_t id, const std::vector<Entry>& entries, HardState hs);

  RawNode& node(uint64_t id) { return *peer(id).node; }
  const Raft& raft(uint64_t id) { return peer(id).node->raft(); }
  Peer& peer(uint64_t id) { return peers_.at(NodeId{id}); }
  std::vector<uint64_t> ids() const;

  // Processes every pending Ready, queueing outgoing messages.
  void ProcessReadies();
  // Delivers queued messages (respecting cuts and the drop filter) and
  // processes readies until nothing moves. Returns messages delivered.
  size_t Stabilize(size_t deliveries_max = 100000);
  // Delivers exactly the queued messages, once, without looping.
  void DeliverQueued();
  void Tick(uint64_t id, int n = 1);
  void TickAll(int n = 1);
  void Campaign(uint64_t id);
  Result<Index> Propose(uint64_t id, std::string data);
  // Campaign on id and stabilize; asserts it won.
  void ElectLeader(uint64_t id);

  // Network faults.
  void Cut(uint64_t a, uint64_t b);  // both directions
  void CutOneWay(uint64_t from, uint64_t to);
  void Isolate(uint64_t id);
  void Heal();
  // Drop every message for which the filter returns true.
  std::function<bool(const Message&)> drop_filter;

  std::deque<Message>& queue() { return queue_; }
  // Leader id if exactly one node believes it leads in the highest term.
  uint64_t Leader() const;

 private:
  bool Reachable(NodeId from, NodeId to) const;
  void Handle(Peer& p);
  std::unique_ptr<RawNode> MakeNode(uint64_t id, Peer& p);

  ClusterOptions options_;
  std::vector<NodeId> voters_;
  std::map<NodeId, Peer> peers_;
  std::deque<Message> queue_;
  std::set<std::pair<uint64_t, uint64_t>> cuts_;
};

}  // namespace raft::testing
