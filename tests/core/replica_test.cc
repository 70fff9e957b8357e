// The Replica's Ready loop: persist before send, answer proposals and reads
// when (and only when) they apply.
#include "core/replica.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>

namespace raft {
namespace {

struct QueueTransport final : Transport {
  std::deque<Message>* queue;
  const std::function<void(const Message&)>* on_send = nullptr;
  void Send(Message m) override {
    if (on_send != nullptr && *on_send) (*on_send)(m);
    queue->push_back(std::move(m));
  }
};

// Records the order of Save calls against sends, and can fail.
struct RecordingLog final : DurableLog {
  MemoryDurableLog inner;
  std::deque<Message>* sent = nullptr;
  size_t sent_before_last_save = 0;
  bool fail = false;
  Status Save(const std::optional<HardState>& hs, const std::vector<Entry>& entries,
              const Snapshot& snap, bool sync) override {
    if (fail) return Status::Error(StatusCode::kIoError, "disk on fire");
    sent_before_last_save = sent->size();
    return inner.Save(hs, entries, snap, sync);
  }
  Status CreateSnapshot(Index index, const std::vector<NodeId>& voters, std::string data,
                        Index compact_to) override {
    return inner.CreateSnapshot(index, voters, std::move(data), compact_to);
  }
  const Storage& storage() const override { return inner.storage(); }
};

class ReplicaCluster {
 public:
  explicit ReplicaCluster(size_t n) {
    std::vector<NodeId> voters;
    for (uint64_t i = 1; i <= n; i++) voters.push_back(NodeId{i});
    for (NodeId id : voters) {
      logs_[id.value].sent = &queue_;
      transports_[id.value].queue = &queue_;
      transports_[id.value].on_send = &on_send;
      Config c;
      c.id = id;
      c.voters = voters;
      replicas_[id.value] =
          std::make_unique<Replica>(c, SnapshotPolicy{}, logs_[id.value], transports_[id.value],
                                    std::make_unique<SplitMix64>(id.value));
    }
  }
  Replica& at(uint64_t id) { return *replicas_.at(id); }
  RecordingLog& log(uint64_t id) { return logs_.at(id); }
  void Settle() {
    for (auto& [id, r] : replicas_) ASSERT_TRUE(r->Drain().ok());
    while (!queue_.empty()) {
      Message m = std::move(queue_.front());
      queue_.pop_front();
      if (cut_.contains(m.to.value) || cut_.contains(m.from.value)) continue;
      replicas_.at(m.to.value)->Receive(m);
      ASSERT_TRUE(replicas_.at(m.to.value)->Drain().ok());
    }
  }
  // Called with every message as its sender hands it to the transport.
  std::function<void(const Message&)> on_send;
  void Isolate(uint64_t id) { cut_.insert(id); }
  void Heal() { cut_.clear(); }
  std::deque<Message>& queue() { return queue_; }

 private:
  std::deque<Message> queue_;
  std::map<uint64_t, RecordingLog> logs_;
  std::map<uint64_t, QueueTransport> transports_;
  std::map<uint64_t, std::unique_ptr<Replica>> replicas_;
  std::set<uint64_t> cut_;
};

kv::Command Put(std::string k, std::string v) {
  return kv::Command{.op = kv::Op::kPut, .key = std::move(k), .value = std::move(v)};
}

TEST(Replica, ProposalIsAnsweredOnlyOnceApplied) {
  ReplicaCluster c(3);
  c.at(1).Campaign();
  c.Settle();
  ASSERT_EQ(c.at(1).role(), Role::kLeader);
  bool answered = false;
  Index at;
  c.at(1).Propose(Put("a", "1"), [&](const Status& s, const kv::ApplyResult&, Index i) {
    EXPECT_TRUE(s.ok());
    answered = true;
    at = i;
  });
  EXPECT_FALSE(answered) << "not before replication";
  c.Settle();
  EXPECT_TRUE(answered);
  EXPECT_EQ(at, Index{2});  // after the leader's no-op
  for (uint64_t id : {1, 2, 3}) EXPECT_EQ(c.at(id).state_machine().Get("a"), "1");
}

TEST(Replica, FollowerRefusesProposalsAndReadsWithNotLeader) {
  ReplicaCluster c(3);
  c.at(1).Campaign();
  c.Settle();
  Status got;
  c.at(2).Propose(Put("a", "1"), [&](const Status& s, const kv::ApplyResult&, Index) { got = s; });
  EXPECT_EQ(got.code(), StatusCode::kNotLeader);
  Status read;
  c.at(2).ReadBarrier([&](const Status& s, Index) { read = s; });
  EXPECT_EQ(read.code(), StatusCode::kNotLeader);
  EXPECT_EQ(c.at(2).leader(), NodeId{1}) << "the follower knows whom to redirect to";
}

TEST(Replica, ReadBarrierCompletesAfterQuorumAndApply) {
  ReplicaCluster c(3);
  c.at(1).Campaign();
  c.Settle();
  bool done = false;
  c.at(1).ReadBarrier([&](const Status& s, Index) {
    EXPECT_TRUE(s.ok());
    done = true;
  });
  EXPECT_FALSE(done) << "needs a heartbeat round first";
  c.Settle();
  EXPECT_TRUE(done);
}

TEST(Replica, IsolatedLeaderNeverConfirmsARead) {
  ReplicaCluster c(3);
  c.at(1).Campaign();
  c.Settle();
  c.Isolate(1);
  bool done = false;
  c.at(1).ReadBarrier([&](const Status&, Index) { done = true; });
  c.Settle();
  EXPECT_FALSE(done);
}

TEST(Replica, NothingIsSentWhenPersistenceFails) {
  ReplicaCluster c(3);
  c.log(1).fail = true;
  c.at(1).Campaign();
  const Status s = c.at(1).Drain();
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_TRUE(c.queue().empty()) << "vote requests must not leave before the vote is durable";
}

TEST(Replica, PersistsBeforeSendingEachReady) {
  ReplicaCluster c(3);
  c.at(1).Campaign();
  // The Save for the campaign happens before any of its messages are queued.
  ASSERT_TRUE(c.at(1).Drain().ok());
  EXPECT_EQ(c.log(1).sent_before_last_save, 0u);
  EXPECT_FALSE(c.queue().empty());
}

// Every message that promises durable state leaves only once that state is
// durable on its sender, in every Ready of a run: vote requests and grants
// after the term and vote they carry, append acknowledgements after the
// entries they acknowledge. (A leader's own appends may leave first: it
// counts itself only once its entries are durable.)
TEST(Replica, NoMessageLeavesBeforeTheStateItPromisesIsDurable) {
  ReplicaCluster c(3);
  size_t checked = 0;
  c.on_send = [&](const Message& m) {
    const Storage& durable = c.log(m.from.value).inner.storage();
    const HardState hs = durable.GetInitialState().hard_state;
    switch (m.type) {
      case MessageType::kVote:
        EXPECT_EQ(hs.term, m.term) << "vote request before its term is durable";
        EXPECT_EQ(hs.vote, m.from) << "vote request before the self-vote is durable";
        checked++;
        break;
      case MessageType::kVoteResp:
        if (m.reject) break;
        EXPECT_EQ(hs.term, m.term) << "vote granted before its term is durable";
        EXPECT_EQ(hs.vote, m.to) << "vote granted before it is durable";
        checked++;
        break;
      case MessageType::kAppendResp:
        if (m.reject) break;
        EXPECT_GE(durable.LastIndex(), m.index) << "append acknowledged before it is durable";
        checked++;
        break;
      default:
        break;
    }
  };
  c.at(1).Campaign();
  c.Settle();
  for (int i = 0; i < 20; i++) {
    c.at(1).Propose(Put("k" + std::to_string(i), "v"), [](const Status&, auto&, Index) {});
    c.Settle();
  }
  c.Isolate(1);  // a new election among the others, then node 1 rejoins
  c.at(2).Campaign();
  c.Settle();
  c.Heal();
  c.at(2).Propose(Put("after", "v"), [](const Status&, auto&, Index) {});
  c.Settle();
  EXPECT_GE(checked, 40u) << "the run did not exercise votes and acknowledgements";
}

TEST(Replica, OverwrittenProposalFailsWithDropped) {
  ReplicaCluster c(3);
  c.at(1).Campaign();
  c.Settle();
  c.Isolate(1);
  std::optional<Status> got;
  c.at(1).Propose(Put("lost", "x"),
                  [&](const Status& s, const kv::ApplyResult&, Index) { got = s; });
  c.Settle();
  EXPECT_FALSE(got.has_value()) << "cannot commit without a quorum";
  // The majority side elects a new leader once its election timeout passes
  // (before that, CheckQuorum's lease makes followers ignore candidates).
  uint64_t leader = 0;
  for (int tick = 0; tick < 100 && leader == 0; tick++) {
    for (uint64_t id : {2, 3}) {
      c.at(id).Tick();
      c.Settle();
      if (c.at(id).role() == Role::kLeader) leader = id;
    }
  }
  ASSERT_NE(leader, 0u);
  c.Heal();
  // The new leader commits a different entry at the same index.
  c.at(leader).Propose(Put("won", "y"), [](const Status&, const kv::ApplyResult&, Index) {});
  for (int tick = 0; tick < 5; tick++) {  // heartbeats reach the old leader
    c.at(leader).Tick();
    c.Settle();
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->code(), StatusCode::kDropped);
  EXPECT_FALSE(c.at(1).state_machine().Get("lost").has_value());
  EXPECT_EQ(c.at(1).state_machine().Get("won"), "y");
}

TEST(Replica, SnapshotsOnceAppliedBytesPassTheLimit) {
  MemoryDurableLog log;
  std::deque<Message> queue;
  QueueTransport transport;
  transport.queue = &queue;
  Config c;
  c.id = NodeId{1};
  c.voters = {NodeId{1}};
  SnapshotPolicy policy;
  policy.every_entries = 0;  // bytes only
  policy.every_bytes = 1000;
  policy.keep_entries = 0;
  Replica r(c, policy, log, transport, std::make_unique<SplitMix64>(1));
  r.Campaign();
  ASSERT_TRUE(r.Drain().ok());
  for (int i = 0; i < 3; i++) {
    r.Propose(Put("k" + std::to_string(i), std::string(300, 'v')),
              [](const Status&, const kv::ApplyResult&, Index) {});
    ASSERT_TRUE(r.Drain().ok());
  }
  EXPECT_TRUE(log.storage().GetSnapshot().value().IsEmpty()) << "900 bytes: not yet";
  r.Propose(Put("k3", std::string(300, 'v')), [](const Status&, const kv::ApplyResult&, Index) {});
  ASSERT_TRUE(r.Drain().ok());
  const Snapshot snap = log.storage().GetSnapshot().value();
  EXPECT_EQ(snap.meta.index, Index{5}) << "no-op + four puts";
  EXPECT_EQ(snap.meta.voters, std::vector<NodeId>{NodeId{1}});
  kv::KvStateMachine restored;
  ASSERT_TRUE(restored.Restore(snap.data).ok());
  EXPECT_EQ(restored.Digest(), r.state_machine().Digest());
}

// One replica of a three-voter cluster over `log`, its messages queued.
struct LoneReplica {
  LoneReplica(uint64_t id, DurableLog& log)
      : replica(Config{.id = NodeId{id}, .voters = {NodeId{1}, NodeId{2}, NodeId{3}}},
                SnapshotPolicy{}, log, transport, std::make_unique<SplitMix64>(id)) {
    transport.queue = &queue;
  }
  std::deque<Message> queue;
  QueueTransport transport;
  Replica replica;
};

// A log written before commands were checked at the edge may hold one that
// does not decode. Every replica skips it the same way instead of aborting
// at every restart.
TEST(Replica, CommittedEntryThatDoesNotDecodeIsAppliedAsANoop) {
  MemoryDurableLog log;
  const std::vector<Entry> entries{
      Entry{Term{1}, Index{1}, EntryType::kNormal, "\x01garbage"},
      Entry{Term{1}, Index{2}, EntryType::kNormal, kv::Encode(Put("k", "v"))}};
  ASSERT_TRUE(log.Save(HardState{Term{1}, NodeId{1}, Index{2}}, entries, Snapshot{}, true).ok());
  LoneReplica lone(1, log);
  Replica& r = lone.replica;
  ASSERT_TRUE(r.Drain().ok());
  EXPECT_EQ(r.state_machine().applied(), Index{2});
  EXPECT_EQ(r.state_machine().Get("k"), "v");
  EXPECT_EQ(r.undecodable_entries_skipped(), 1u);
}

// A received snapshot replaces the state machine only if its image restores
// to exactly the index its metadata names.
TEST(Replica, ReceivedSnapshotMustRestoreToItsOwnIndex) {
  MemoryDurableLog log;
  LoneReplica lone(2, log);
  Replica& r = lone.replica;
  kv::KvStateMachine source;
  for (uint64_t i = 1; i <= 3; i++) (void)source.Apply(Index{i}, Put("k", std::to_string(i)));
  Message m{.type = MessageType::kSnapshot, .from = NodeId{1}, .to = NodeId{2}, .term = Term{1}};
  m.snapshot.meta = SnapshotMeta{Index{5}, Term{1}, {NodeId{1}, NodeId{2}, NodeId{3}}};
  m.snapshot.data = source.Serialize();  // restores to index 3, not 5
  m.snapshot_total_bytes = m.snapshot.data.size();
  EXPECT_EQ(r.Receive(m), InboundVerdict::kAccepted);
  ASSERT_TRUE(r.Drain().ok());
  EXPECT_EQ(r.node().raft().snapshot_images_refused(), 1u);
  EXPECT_EQ(r.state_machine().applied(), Index{});
  EXPECT_EQ(r.node().raft().log().LastIndex(), Index{});

  m.snapshot.meta.index = Index{3};
  EXPECT_EQ(r.Receive(m), InboundVerdict::kAccepted);
  ASSERT_TRUE(r.Drain().ok());
  EXPECT_EQ(r.state_machine().applied(), Index{3});
  EXPECT_EQ(r.state_machine().Get("k"), "3");
}

// A snapshot on disk is input like any other: one that does not restore
// (or restores to another index) stops the replica with a reason instead
// of aborting the process.
TEST(Replica, SnapshotOnDiskThatDoesNotRestoreIsReportedNotFatal) {
  for (const std::string& image : {std::string("garbage"), kv::KvStateMachine().Serialize()}) {
    MemoryDurableLog log;
    const std::vector<Entry> entries{Entry{Term{1}, Index{1}, EntryType::kNoop, ""},
                                     Entry{Term{1}, Index{2}, EntryType::kNoop, ""}};
    ASSERT_TRUE(log.Save(HardState{Term{1}, NodeId{1}, Index{2}}, entries, Snapshot{}, true).ok());
    ASSERT_TRUE(
        log.CreateSnapshot(Index{2}, {NodeId{1}, NodeId{2}, NodeId{3}}, image, Index{}).ok());
    LoneReplica lone(1, log);
    EXPECT_EQ(lone.replica.recovery_status().code(), StatusCode::kCorruption)
        << lone.replica.recovery_status().message();
  }
}

}  // namespace
}  // namespace raft
