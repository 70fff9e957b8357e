#include "tests/support/test_cluster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <sstream>

namespace raft::testing {

std::vector<Entry> Log(const std::vector<uint64_t>& terms) {
  std::vector<Entry> out;
  for (size_t i = 0; i < terms.size(); i++) {
    out.push_back(
        Entry{Term{terms[i]}, Index{i + 1}, EntryType::kNormal, "e" + std::to_string(i + 1)});
  }
  return out;
}

std::vector<Entry> EntriesFrom(uint64_t first, const std::vector<uint64_t>& terms) {
  std::vector<Entry> out;
  for (size_t i = 0; i < terms.size(); i++) {
    const uint64_t index = first + i;
    out.push_back(
        Entry{Term{terms[i]}, Index{index}, EntryType::kNormal, "e" + std::to_string(index)});
  }
  return out;
}

Message MakeAppend(uint64_t from, uint64_t to, uint64_t term, uint64_t prev_index,
                   uint64_t prev_term, std::vector<Entry> entries, uint64_t commit) {
  return Message{.type = MessageType::kAppend,
                 .from = NodeId{from},
                 .to = NodeId{to},
                 .term = Term{term},
                 .index = Index{prev_index},
                 .log_term = Term{prev_term},
                 .entries = std::move(entries),
                 .commit = Index{commit}};
}

Message MakeHeartbeat(uint64_t from, uint64_t to, uint64_t term, uint64_t commit,
                      uint64_t context) {
  return Message{.type = MessageType::kHeartbeat,
                 .from = NodeId{from},
                 .to = NodeId{to},
                 .term = Term{term},
                 .commit = Index{commit},
                 .context = context};
}

Message MakeVote(MessageType type, uint64_t from, uint64_t to, uint64_t term, uint64_t last_index,
                 uint64_t last_term) {
  return Message{.type = type,
                 .from = NodeId{from},
                 .to = NodeId{to},
                 .term = Term{term},
                 .index = Index{last_index},
                 .log_term = Term{last_term}};
}

Message MakeResponse(MessageType type, uint64_t from, uint64_t to, uint64_t term, bool reject,
                     uint64_t index) {
  return Message{.type = type,
                 .from = NodeId{from},
                 .to = NodeId{to},
                 .term = Term{term},
                 .index = Index{index},
                 .reject = reject};
}

std::vector<Message> OfType(const std::vector<Message>& msgs, MessageType type, uint64_t to) {
  std::vector<Message> out;
  for (const Message& m : msgs) {
    if (m.type == type && (to == 0 || m.to == NodeId{to})) out.push_back(m);
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
  c.append_bytes_max = options_.append_bytes_max;
  c.snapshot_chunk_bytes_max = options_.snapshot_chunk_bytes_max;
  c.committed_bytes_per_ready_max = options_.committed_bytes_per_ready_max;
  c.command_ok = options_.command_ok;
  c.snapshot_ok = options_.snapshot_ok;
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
    if (ready_observer) ready_observer(p.node->raft().id().value, rd);
    // 1. persist
    if (!rd.snapshot.IsEmpty()) {
      EXPECT_TRUE(p.storage.ApplySnapshot(rd.snapshot).ok());
    }
    p.storage.Append(rd.entries);
    if (rd.hard_state) p.storage.SetHardState(*rd.hard_state);
    if (rd.repaired) p.storage.SetRepairTarget(std::nullopt);
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

void TestCluster::ProcessReady(uint64_t id) { Handle(peer(id)); }

bool TestCluster::Reachable(NodeId from, NodeId to) const {
  return !cuts_.contains({from.value, to.value});
}

void TestCluster::StepOne(const Message& m) {
  auto it = peers_.find(m.to);
  if (it == peers_.end()) return;
  if (deliver_observer) deliver_observer(m);
  (void)it->second.node->Step(m);
}

void TestCluster::DeliverQueued() {
  ProcessReadies();
  std::deque<Message> batch;
  batch.swap(queue_);
  for (const Message& m : batch) {
    if (!Reachable(m.from, m.to)) continue;
    if (drop_filter && drop_filter(m)) continue;
    StepOne(m);
  }
  ProcessReadies();
}

std::vector<Message> TestCluster::TakeQueued() {
  ProcessReadies();
  std::vector<Message> out(queue_.begin(), queue_.end());
  queue_.clear();
  return out;
}

void TestCluster::Deliver(const Message& m) {
  StepOne(m);
  ProcessReadies();
}

size_t TestCluster::DeliverIf(const std::function<bool(const Message&)>& pred) {
  ProcessReadies();
  std::deque<Message> batch;
  batch.swap(queue_);
  std::deque<Message> kept;
  size_t selected = 0;
  for (Message& m : batch) {
    if (!pred(m)) {
      kept.push_back(std::move(m));
      continue;
    }
    selected++;
    if (!Reachable(m.from, m.to)) continue;
    if (drop_filter && drop_filter(m)) continue;
    StepOne(m);
  }
  ProcessReadies();
  // Responses produced above were queued after the kept messages' slots;
  // keep the untouched ones first, in their original order.
  kept.insert(kept.end(), queue_.begin(), queue_.end());
  queue_.swap(kept);
  return selected;
}

std::vector<Entry> TestCluster::LogOf(uint64_t id) {
  const RaftLog& log = raft(id).log();
  Result<std::vector<Entry>> ents =
      log.Slice(log.FirstIndex(), log.LastIndex().Next(), std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(ents.ok()) << "node " << id;
  return ents.ok() ? std::move(ents).value() : std::vector<Entry>{};
}

std::vector<uint64_t> TestCluster::TermsOf(uint64_t id) {
  std::vector<uint64_t> out;
  for (const Entry& e : LogOf(id)) out.push_back(e.term.value);
  return out;
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

// ---------------------------------------------------------------------------
// SafetyChecker

std::string SafetyChecker::Check(TestCluster& c) {
  for (auto check :
       {&SafetyChecker::CheckElectionSafety, &SafetyChecker::CheckLogMatching,
        &SafetyChecker::CheckStateMachineSafety, &SafetyChecker::CheckLeaderCompleteness}) {
    std::string violation = (this->*check)(c);
    if (!violation.empty()) return violation;
  }
  return "";
}

std::string SafetyChecker::CheckElectionSafety(TestCluster& c) {
  for (uint64_t id : c.ids()) {
    const Raft& r = c.raft(id);
    if (r.role() != Role::kLeader) continue;
    auto [it, inserted] = leader_by_term_.emplace(r.term().value, id);
    if (!inserted && it->second != id) {
      std::ostringstream os;
      os << "Election Safety: nodes " << it->second << " and " << id << " both led term "
         << r.term().value;
      return os.str();
    }
  }
  return "";
}

std::string SafetyChecker::CheckLogMatching(TestCluster& c) {
  std::map<uint64_t, std::vector<Entry>> logs;
  for (uint64_t id : c.ids()) logs[id] = c.LogOf(id);
  for (auto a = logs.begin(); a != logs.end(); ++a) {
    for (auto b = std::next(a); b != logs.end(); ++b) {
      const std::vector<Entry>& la = a->second;
      const std::vector<Entry>& lb = b->second;
      // Both start at index 1 (no compaction in core tests).
      size_t agree = 0;  // highest index with equal terms
      for (size_t i = 0; i < std::min(la.size(), lb.size()); i++) {
        if (la[i].term == lb[i].term) agree = i + 1;
      }
      for (size_t i = 0; i < agree; i++) {
        if (la[i] != lb[i]) {
          std::ostringstream os;
          os << "Log Matching: nodes " << a->first << " and " << b->first << " share index "
             << agree << " term " << la[agree - 1].term.value << " but differ at index " << i + 1;
          return os.str();
        }
      }
    }
  }
  return "";
}

std::string SafetyChecker::CheckStateMachineSafety(TestCluster& c) {
  uint64_t term_max = 0;
  for (uint64_t id : c.ids()) term_max = std::max(term_max, c.raft(id).term().value);
  for (uint64_t id : c.ids()) {
    const std::vector<Entry> log = c.LogOf(id);
    const uint64_t committed = c.raft(id).log().committed().value;
    std::vector<Entry> seen(
        log.begin(), log.begin() + static_cast<long>(std::min<uint64_t>(committed, log.size())));
    seen.insert(seen.end(), c.peer(id).applied.begin(), c.peer(id).applied.end());
    for (const Entry& e : seen) {
      auto [it, inserted] = committed_.emplace(e.index.value, e);
      if (inserted) committed_seen_term_[e.index.value] = term_max;
      if (it->second != e) {
        std::ostringstream os;
        os << "State Machine Safety: node " << id << " committed index " << e.index.value
           << " term " << e.term.value << " but term " << it->second.term.value
           << " was committed there before";
        return os.str();
      }
    }
  }
  return "";
}

std::string SafetyChecker::CheckLeaderCompleteness(TestCluster& c) {
  for (uint64_t id : c.ids()) {
    const Raft& r = c.raft(id);
    if (r.role() != Role::kLeader) continue;
    for (const auto& [index, entry] : committed_) {
      if (r.term().value <= committed_seen_term_[index]) continue;
      const Result<Term> t = r.log().TermAt(Index{index});
      if (!t.ok() || t.value() != entry.term) {
        std::ostringstream os;
        os << "Leader Completeness: leader " << id << " of term " << r.term().value
           << " lacks committed index " << index << " term " << entry.term.value;
        return os.str();
      }
    }
  }
  return "";
}

}  // namespace raft::testing
