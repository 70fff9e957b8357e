// Fuzz target: the peer edge, as a node's event loop runs it. The input is a
// raft::PeerBatch (proto/raft.proto), the frame a peer stream carries. Each
// message is decoded (net/peer_codec.h); what decodes is checked against
// the receiver by CheckInbound (core/message_validator.h), and what is
// accepted is stepped into that node of a live three-voter cluster.
//
// The cluster: RawNodes over MemoryStorage, hosted the way core/replica.cc
// hosts one (persist, then send, then apply to a KvStateMachine, then
// Advance). Node 1 leads term 2 and nodes 2 and 3 follow; entries 1..5 are
// committed, but node 3 is cut off and holds only 1..4, and the leader has
// snapshotted at 5 and compacted its log, so node 3 needs a snapshot. The
// message's `to` picks the receiver, so the fuzzer reaches a leader, an
// up-to-date follower and a lagging one. Honest messages between nodes 1
// and 2 are delivered through the same validator, a bounded number per
// input; every node ticks once per fuzz message.
//
// What must hold: no accepted input reaches one of core's assertions
// (RAFT_ASSERT aborts), and nothing undecodable is ever committed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/assert.h"
#include "core/config.h"
#include "core/kv/command.h"
#include "core/kv/kv_state_machine.h"
#include "core/message_validator.h"
#include "core/raw_node.h"
#include "core/rng.h"
#include "core/storage.h"
#include "net/peer_codec.h"
#include "proto/raft.pb.h"

namespace raft {
namespace {

constexpr uint64_t kVoterCount = 3;
constexpr size_t kHonestMessagesMax = 512;  // per input: replies among nodes
constexpr size_t kFuzzMessagesMax = 64;     // per input: messages stepped

bool CommandDecodes(const std::string& data) { return kv::Decode(data).ok(); }
bool SnapshotRestores(const Snapshot& snapshot) {
  kv::KvStateMachine probe;
  return probe.Restore(snapshot.data).ok() && probe.applied() == snapshot.meta.index;
}

std::string PutCommand(uint64_t sequence) {
  return kv::Encode(kv::Command{.op = kv::Op::kPut,
                                .client_id = 7,
                                .sequence = sequence,
                                .key = "k" + std::to_string(sequence),
                                .value = "v"});
}

// One node and the host state around it, as core/replica.cc keeps it.
struct Node {
  MemoryStorage storage;
  std::unique_ptr<RawNode> raw;
  kv::KvStateMachine kv;
};

class Cluster {
 public:
  Cluster() {
    for (uint64_t id = 1; id <= kVoterCount; id++) {
      auto node = std::make_unique<Node>();
      std::vector<Entry> log;
      for (uint64_t i = 1; i <= 3; i++) log.push_back(Entry{Term{1}, Index{i}, {}, PutCommand(i)});
      node->storage.Append(log);
      node->storage.SetHardState(HardState{Term{1}, NodeId{}, Index{3}});
      Config config;
      config.id = NodeId{id};
      for (uint64_t v = 1; v <= kVoterCount; v++) config.voters.push_back(NodeId{v});
      node->storage.SetVoters(config.voters);
      config.command_ok = CommandDecodes;
      config.snapshot_ok = SnapshotRestores;
      node->raw =
          std::make_unique<RawNode>(config, node->storage, std::make_unique<SplitMix64>(1000 + id));
      nodes_.push_back(std::move(node));
    }
    node(1).raw->Campaign();
    DeliverHonest();
    RAFT_ASSERT_MSG(node(1).raw->raft().role() == Role::kLeader, "setup: node 1 leads");
    // Node 3 is cut off from here on: the fuzzer is its network. It misses
    // entry 5, which the leader then snapshots and compacts away (as a
    // Replica's MaybeSnapshot does), so catching node 3 up takes a snapshot.
    isolated_ = NodeId{3};
    RAFT_ASSERT(node(1).raw->Propose(PutCommand(4)).ok());
    DeliverHonest();
    Node& leader = node(1);
    RAFT_ASSERT_MSG(leader.kv.applied() == Index{5}, "setup: five entries applied");
    RAFT_ASSERT(leader.storage.CreateSnapshot(Index{5}, leader.kv.Serialize()).ok());
    leader.raw->ReportUnreachable(isolated_);
  }

  // Decoded bytes from outside: validated against the receiver, stepped if
  // accepted, then the cluster reacts.
  void Receive(const Message& m) {
    const uint64_t to = m.to.value;
    Node& receiver = node(to >= 1 && to <= kVoterCount ? to : 1);
    const InboundVerdict verdict = CheckInbound(receiver.raw->raft(), m);
    if (verbose_) {
      std::fprintf(stderr, "%s %llu->%llu term %llu: %s\n", MessageTypeName(m.type),
                   static_cast<unsigned long long>(m.from.value),
                   static_cast<unsigned long long>(to),
                   static_cast<unsigned long long>(m.term.value), InboundVerdictName(verdict));
    }
    if (verdict == InboundVerdict::kAccepted) (void)receiver.raw->Step(m);
    for (auto& n : nodes_) n->raw->Tick();
    DeliverHonest();
  }

 private:
  Node& node(uint64_t id) { return *nodes_[id - 1]; }

  // persist -> send -> apply -> advance, for every node with work.
  void HandleReadies() {
    for (auto& n : nodes_) {
      while (n->raw->HasReady()) {
        Ready rd = n->raw->GetReady();
        if (!rd.snapshot.IsEmpty()) RAFT_ASSERT(n->storage.ApplySnapshot(rd.snapshot).ok());
        n->storage.Append(rd.entries);
        if (rd.hard_state) n->storage.SetHardState(*rd.hard_state);
        for (Message& m : rd.messages) queue_.push_back(std::move(m));
        if (!rd.snapshot.IsEmpty()) {
          RAFT_ASSERT_MSG(n->kv.Restore(rd.snapshot.data).ok(), "installed image restores");
        }
        for (const Entry& e : rd.committed_entries) Apply(*n, e);
        n->raw->Advance(rd);
      }
    }
  }

  static void Apply(Node& n, const Entry& e) {
    if (e.type != EntryType::kNormal) {
      n.kv.SkipTo(e.index);
      return;
    }
    Result<kv::Command> command = kv::Decode(e.data);
    RAFT_ASSERT_MSG(command.ok(), "an undecodable command was committed");
    (void)n.kv.Apply(e.index, command.value());
  }

  void DeliverHonest() {
    size_t delivered = 0;
    HandleReadies();
    while (!queue_.empty() && delivered < kHonestMessagesMax) {
      const Message m = std::move(queue_.front());
      queue_.pop_front();
      delivered++;
      if (verbose_) std::fprintf(stderr, "  honest %s\n", MessageTypeName(m.type));
      // A snapshot from outside may name other voters: no node, no delivery.
      if (m.to.value < 1 || m.to.value > kVoterCount) continue;
      if (m.to == isolated_ || m.from == isolated_) continue;
      Node& receiver = node(m.to.value);
      if (CheckInbound(receiver.raw->raft(), m) == InboundVerdict::kAccepted) {
        (void)receiver.raw->Step(m);
      }
      HandleReadies();
    }
    queue_.clear();
  }

  std::vector<std::unique_ptr<Node>> nodes_;
  std::deque<Message> queue_;
  NodeId isolated_;  // no honest message reaches or leaves it
  // RAFT_FUZZ_VERBOSE=1 prints each fuzz message's verdict (to check seeds).
  const bool verbose_ = std::getenv("RAFT_FUZZ_VERBOSE") != nullptr;
};

}  // namespace
}  // namespace raft

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  raft::PeerBatch batch;
  if (!batch.ParseFromArray(data, static_cast<int>(size))) return 0;
  raft::Cluster cluster;
  size_t stepped = 0;
  for (raft::PeerMessage& wire : *batch.mutable_messages()) {
    if (stepped++ == raft::kFuzzMessagesMax) break;
    raft::Result<raft::Message> m = raft::net::DecodeMessage(wire);
    if (!m.ok()) continue;
    cluster.Receive(m.value());
  }
  return 0;
}
