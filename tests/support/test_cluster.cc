#include "tests/support/test_cluster.h"

#include <gtest/gtest.h>

namespace raft::testing {

std::vector<Entry> Log(const std::vector<uint64_t>& terms) {
  std::vector<Entry> out;
  for (size_t i = 0; i < terms.size(); i++) {
    out.push_back(Entry{Term{terms[i]}, Index{i + 1}, EntryType::kNormal,
                        "e" + std::to_string(i + 1)});
  }
  return out;
}

TestCluster::TestCluster(size_t size, ClusterOptions options) : options_(options) {
  for (uint64_t id = 1; id <= size; id++) voters_.push_back(NodeId{id});
  for (NodeId id : voters_) {
    Peer& p = peers_[id];
    p.node = MakeNode(id.value, p);
  }
}

std::unique_ptr<RawNode> TestCluster::MakeNode(uint64_t id, Peer& p) {
  Config c;
  c.id = NodeId{id};
  c.voters = voters_;
  c.election_ticks = options_.election_ticks;
  c.heartbeat_ticks = options_.heartbeat_ticks;
  c.pre_vote = options_.pre_vote;
  c.check_quorum = options_.check_quorum;
  c.inflight_msgs_max = options_.inflight_msgs_max;
  if (!p.applied.empty()) c.applied = p.applied.back().index;
  return std::make_unique<RawNode>(c, p.storage,
                                   std::make_unique<SplitMix64>(options_.seed * 1000 + id));
}

void TestCluster::Restart(uint64_t id) {
  Peer& p = peer(id);
  p.node = MakeNode(id, p);
}

void TestCluster::SetDurable(uint64_t id, const std::vector<Entry>& entries, HardState hs) {
  Peer& p = peer(id);
  p.storage = MemoryStorage();
  p.storage.Append(entries);
  p.storage.SetHardState(hs);
  p.applied.clear();
  p.node = MakeNode(id, p);
}

std::vector<uint64_t> TestCluster::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, p] : peers_) out.push_back(id.value);
  return out;
}

void TestCluster::Handle(Peer& p) {
  while (p.node->HasReady()) {
    Ready rd = p.node->GetReady();
    // 1. persist
    if (!rd.snapshot.IsEmpty()) {
      EXPECT_TRUE(p.storage.ApplySnapshot(rd.snapshot).ok());
    }
    p.storage.Append(rd.entries);
    if (rd.hard_state) p.storage.SetHardState(*rd.hard_state);
    // 2. send
    for (Message& m : rd.messages) queue_.push_back(std::move(m));
    // 3. apply
    for (const Entry& e : rd.committed_entries) p.applied.push_back(e);
    for (const ReadState& rs : rd.read_states) p.reads.push_back(rs);
    // 4. advance
    p.node->Advance(rd);
  }
}

void TestCluster::ProcessReadies() {
  for (auto& [id, p] : peers_) Handle(p);
}

bool TestCluster::Reachable(NodeId from, NodeId to) const {
  return !cuts_.contains({from.value, to.value});
}

void TestCluster::DeliverQueued() {
  ProcessReadies();
  std::deque<Message> batch;
  batch.swap(queue_);
  for (const Message& m : batch) {
    if (!Reachable(m.from, m.to)) continue;
    if (drop_filter && drop_filter(m)) continue;
    auto it = peers_.find(m.to);
    if (it == peers_.end()) continue;
    (void)it->second.node->Step(m);
  }
  ProcessReadies();
}

size_t TestCluster::Stabilize(size_t deliveries_max) {
  size_t delivered = 0;
  ProcessReadies();
  while (!queue_.empty()) {
    EXPECT_LT(delivered, deliveries_max) << "cluster does not settle";
    if (delivered >= deliveries_max) break;
    delivered += queue_.size();
    DeliverQueued();
  }
  return delivered;
}

void TestCluster::Tick(uint64_t id, int n) {
  for (int i = 0; i < n; i++) node(id).Tick();
  ProcessReadies();
}

void TestCluster::TickAll(int n) {
  for (int i = 0; i < n; i++) {
    for (auto& [id, p] : peers_) p.node->Tick();
  }
  ProcessReadies();
}

void TestCluster::Campaign(uint64_t id) {
  node(id).Campaign();
  ProcessReadies();
}

Result<Index> TestCluster::Propose(uint64_t id, std::string data) {
  Result<Index> r = node(id).Propose(std::move(data));
  ProcessReadies();
  return r;
}

void TestCluster::ElectLeader(uint64_t id) {
  Campaign(id);
  Stabilize();
  ASSERT_EQ(raft(id).role(), Role::kLeader) << "node " << id << " did not win";
}

void TestCluster::Cut(uint64_t a, uint64_t b) {
  cuts_.insert({a, b});
  cuts_.insert({b, a});
}

void TestCluster::CutOneWay(uint64_t from, uint64_t to) { cuts_.insert({from, to}); }

void TestCluster::Isolate(uint64_t id) {
  for (uint64_t other : ids()) {
    if (other != id) Cut(id, other);
  }
}

void TestCluster::Heal() {
  cuts_.clear();
  drop_filter = nullptr;
}

uint64_t TestCluster::Leader() const {
  uint64_t leader = 0;
  Term best;
  for (const auto& [id, p] : peers_) {
    const Raft& r = p.node->raft();
    if (r.role() == Role::kLeader && r.term() >= best) {
      best = r.term();
      leader = id.value;
    }
  }
  return leader;
}

}  // namespace raft::testing
