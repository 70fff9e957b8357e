// Core-only throughput: a 3-node cluster over MemoryStorage with messages
// moved by hand, no I/O and no threads. Measures proposals committed (and
// applied on the leader) per second, batched `batch` proposals per round.
#include <benchmark/benchmark.h>

#include <deque>
#include <map>
#include <memory>

#include "core/raw_node.h"

namespace {

using raft::Config;
using raft::Index;
using raft::MemoryStorage;
using raft::Message;
using raft::NodeId;
using raft::RawNode;
using raft::Ready;

class Cluster {
 public:
  explicit Cluster(uint64_t n) {
    std::vector<NodeId> voters;
    for (uint64_t i = 1; i <= n; i++) voters.push_back(NodeId{i});
    for (NodeId id : voters) {
      Config c;
      c.id = id;
      c.voters = voters;
      storages_[id.value] = std::make_unique<MemoryStorage>();
      nodes_[id.value] = std::make_unique<RawNode>(c, *storages_[id.value],
                                                   std::make_unique<raft::SplitMix64>(id.value));
    }
    nodes_[1]->Campaign();
    Settle();
  }

  // Runs Ready loops and delivers messages until quiet; returns applied count.
  uint64_t Settle() {
    uint64_t applied = 0;
    bool moved = true;
    while (moved) {
      moved = false;
      for (auto& [id, node] : nodes_) {
        while (node->HasReady()) {
          moved = true;
          Ready rd = node->GetReady();
          storages_[id]->Append(rd.entries);
          if (rd.hard_state) storages_[id]->SetHardState(*rd.hard_state);
          for (Message& m : rd.messages) queue_.push_back(std::move(m));
          if (id == 1) applied += rd.committed_entries.size();
          node->Advance(rd);
        }
      }
      while (!queue_.empty()) {
        moved = true;
        Message m = std::move(queue_.front());
        queue_.pop_front();
        (void)nodes_[m.to.value]->Step(m);
      }
    }
    return applied;
  }

  RawNode& leader() { return *nodes_[1]; }

 private:
  std::map<uint64_t, std::unique_ptr<MemoryStorage>> storages_;
  std::map<uint64_t, std::unique_ptr<RawNode>> nodes_;
  std::deque<Message> queue_;
};

void BM_CoreCommitThreeNodes(benchmark::State& state) {
  const auto batch = static_cast<int>(state.range(0));
  Cluster cluster(3);
  const std::string payload(256, 'x');
  uint64_t committed = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; i++) {
      if (!cluster.leader().Propose(payload).ok()) state.SkipWithError("lost leadership");
    }
    committed += cluster.Settle();
  }
  state.counters["proposals_per_s"] =
      benchmark::Counter(static_cast<double>(committed), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CoreCommitThreeNodes)->Arg(1)->Arg(16)->Arg(256);

}  // namespace

BENCHMARK_MAIN();
