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
  uint64_t append_bytes_max = 1 << 20;  // 1 makes every Append carry one entry
  uint64_t committed_bytes_per_ready_max = 4 << 20;
  uint64_t snapshot_chunk_bytes_max = 1 << 20;
  bool (*command_ok)(const std::string&) = nullptr;
  bool (*snapshot_ok)(const Snapshot&) = nullptr;
};

// Builds an entry list from terms: Log({1, 1, 2}) is indexes 1..3.
std::vector<Entry> Log(const std::vector<uint64_t>& terms);
// Entries with the given terms at consecutive indexes from first, with the
// same payloads as Log(), so EntriesFrom(1, t) == Log(t).
std::vector<Entry> EntriesFrom(uint64_t first, const std::vector<uint64_t>& terms);

// Hand-made wire messages, for tests that step one node directly.
Message MakeAppend(uint64_t from, uint64_t to, uint64_t term, uint64_t prev_index,
                   uint64_t prev_term, std::vector<Entry> entries = {}, uint64_t commit = 0);
Message MakeHeartbeat(uint64_t from, uint64_t to, uint64_t term, uint64_t commit = 0,
                      uint64_t context = 0);
// kVote or kPreVote from a candidate whose last entry is (last_index, last_term).
Message MakeVote(MessageType type, uint64_t from, uint64_t to, uint64_t term, uint64_t last_index,
                 uint64_t last_term);
Message MakeResponse(MessageType type, uint64_t from, uint64_t to, uint64_t term,
                     bool reject = false, uint64_t index = 0);
// The messages of one type (optionally only those to `to`), in order.
std::vector<Message> OfType(const std::vector<Message>& msgs, MessageType type, uint64_t to = 0);

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
  // Processes node id's pending Readies only (the others may hold one).
  void ProcessReady(uint64_t id);
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

  // Called with every Ready before the harness persists it.
  std::function<void(uint64_t id, const Ready&)> ready_observer;
  // Called with every message just before its recipient steps it.
  std::function<void(const Message&)> deliver_observer;

  // Processes readies, then removes and returns every queued message.
  std::vector<Message> TakeQueued();
  // Steps m into its recipient now, bypassing cuts and the drop filter, and
  // processes readies (responses are queued).
  void Deliver(const Message& m);
  // Delivers, once, the queued messages pred selects (respecting cuts and
  // the drop filter); the others stay queued in order. Returns how many
  // were selected.
  size_t DeliverIf(const std::function<bool(const Message&)>& pred);

  // Node id's whole log, durable and unstable, from its first index.
  std::vector<Entry> LogOf(uint64_t id);
  // Just the terms of LogOf(id), for compact comparisons.
  std::vector<uint64_t> TermsOf(uint64_t id);

  std::deque<Message>& queue() { return queue_; }
  // Leader id if exactly one node believes it leads in the highest term.
  uint64_t Leader() const;

 private:
  bool Reachable(NodeId from, NodeId to) const;
  void StepOne(const Message& m);
  void Handle(Peer& p);
  std::unique_ptr<RawNode> MakeNode(uint64_t id, Peer& p);

  ClusterOptions options_;
  std::vector<NodeId> voters_;
  std::map<NodeId, Peer> peers_;
  std::deque<Message> queue_;
  std::set<std::pair<uint64_t, uint64_t>> cuts_;
};

// SafetyChecker: the safety properties of the Raft paper (Figure 3) checked
// over a TestCluster, meant to run after every delivery round of a test.
// It remembers what it saw across calls (leaders per term, committed
// entries), so a violation spread over time is caught too.
//
//   Election Safety:      at most one leader per term, over the whole run.
//   Log Matching:         two logs holding an entry with the same index and
//                         term are identical up to that index.
//   State Machine Safety: every node's committed prefix (and everything it
//                         applied) agrees with every other node's.
//   Leader Completeness:  an entry seen committed while every node's term was
//                         <= T is in the log of every leader of a term > T.
class SafetyChecker {
 public:
  // Returns a description of the first violation found, or "" if none.
  std::string Check(TestCluster& c);

 private:
  std::string CheckElectionSafety(TestCluster& c);
  std::string CheckLogMatching(TestCluster& c);
  std::string CheckStateMachineSafety(TestCluster& c);
  std::string CheckLeaderCompleteness(TestCluster& c);

  std::map<uint64_t, uint64_t> leader_by_term_;
  std::map<uint64_t, Entry> committed_;               // index -> entry
  std::map<uint64_t, uint64_t> committed_seen_term_;  // index -> max term then
};

}  // namespace raft::testing
