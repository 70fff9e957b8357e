// Every promise a node makes leaves only after the real files behind it are
// synced: three Replicas, each over a Wal on PosixFileSystem in its own
// directory, with syncwatch watching the system calls. Whenever
//   - a vote grant (kVoteResp, not rejected),
//   - an append acknowledgement (kAppendResp, not rejected), or
//   - any other message from a node that is not the leader
// is handed to the transport, and whenever a proposal is answered (the
// client's reply, on the leader), the power is cut in the test's mind:
//   1. the sender's WAL directory must hold no unsynced byte and no
//      created, renamed or removed name its directory has not synced, so
//      what is on disk now is what a power cut would leave;
//   2. a copy of that directory, opened as a fresh Wal, must hold what the
//      message promises: the term it carries, the vote it grants or asks
//      for, the entries it acknowledges, the entry whose write it answers.
// (A leader's own messages may leave first: it counts itself towards
// commit only once its entries are durable.) The first check fails when a
// sync is missing; the second when a message leaves before its state was
// even written.
//
// One exception to the first, checked rather than assumed: Raft asks for no
// sync when a Ready changes only the commit index (a follower relearns it
// from the leader), so the bytes of exactly such Saves may stay unsynced
// until the next sync; the second check ignores the commit index.
// tests/core/replica_test.cc checks the same ordering against a fake log;
// this checks that the real Wal and PosixFileSystem keep it.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include "core/replica.h"
#include "core/storage/wal.h"
#include "net/posix_file_system.h"
#include "tests/support/temp_dir.h"
#include "tests/syncwatch/unsynced_log.h"

namespace raft {
namespace {

using testing::UnsyncedLogBytes;
using testing::UnsyncedLogEntries;

// What a message or reply promises is durable on its sender (zero: nothing).
struct Promise {
  Term term;
  NodeId vote;
  Index last_index;
};

// The node's Wal, measuring what each Save leaves unsynced. A Save without
// sync must carry nothing but a new commit index; only its bytes may stay
// unsynced, until a file sync makes the log clean again.
class WatchedLog final : public DurableLog {
 public:
  // scratch: where power cuts copy the log to reopen it.
  WatchedLog(std::unique_ptr<Wal> wal, std::string dir, std::string scratch)
      : wal_(std::move(wal)), dir_(std::move(dir)), scratch_(std::move(scratch)) {}

  Status Save(const std::optional<HardState>& hard_state, const std::vector<Entry>& entries,
              const Snapshot& snapshot, bool sync) override {
    if (!sync) {
      EXPECT_TRUE(entries.empty() && snapshot.IsEmpty()) << "an unsynced Save carries entries";
      if (hard_state) {
        EXPECT_TRUE(hard_state->term == hard_state_.term && hard_state->vote == hard_state_.vote)
            << "an unsynced Save changes the term or vote";
      }
    }
    if (!snapshot.IsEmpty()) received_snapshots_++;
    const uint64_t before = UnsyncedLogBytes(dir_);
    const size_t segments_before = wal_->segment_count();
    Status s = wal_->Save(hard_state, entries, snapshot, sync);
    if (wal_->segment_count() > segments_before) rolls_++;
    const uint64_t after = UnsyncedLogBytes(dir_);
    if (after == 0) {
      commit_only_bytes_ = 0;
    } else if (!sync && after > before) {
      commit_only_bytes_ += after - before;
    }
    if (hard_state) hard_state_ = *hard_state;
    return s;
  }
  Status CreateSnapshot(Index index, const std::vector<NodeId>& voters, std::string data,
                        Index compact_to) override {
    snapshots_++;
    return wal_->CreateSnapshot(index, voters, std::move(data), compact_to);
  }
  const Storage& storage() const override { return wal_->storage(); }

  // Unsynced bytes beyond those of commit-index-only Saves: each one is a
  // promise that a power cut could take back.
  uint64_t ForbiddenUnsyncedBytes() const {
    const uint64_t unsynced = UnsyncedLogBytes(dir_);
    return unsynced > commit_only_bytes_ ? unsynced - commit_only_bytes_ : 0;
  }
  // Why a power cut now would break the promise, or "" if it would not.
  std::string PowerCutBreaks(const Promise& promise) const {
    if (const uint64_t unsynced = ForbiddenUnsyncedBytes(); unsynced > 0) {
      return std::to_string(unsynced) + " bytes of its log unsynced";
    }
    if (const std::vector<std::string> names = UnsyncedLogEntries(dir_); !names.empty()) {
      return "its log directory not synced after " + names.front();
    }
    Result<std::string> reopened = ReopenCopy(promise);
    if (!reopened.ok()) return "its log, cut now, does not open: " + reopened.status().ToString();
    return reopened.value().empty() ? "" : "its log, cut now, holds" + reopened.value();
  }
  size_t rolls() const { return rolls_; }
  size_t snapshots() const { return snapshots_; }
  size_t received_snapshots() const { return received_snapshots_; }

 private:
  // With nothing unsynced, the log's files are what a power cut leaves:
  // copies them (not the spare) and opens the copy as a restarted node would.
  Result<std::string> ReopenCopy(const Promise& promise) const {
    std::filesystem::remove_all(scratch_);
    std::filesystem::create_directory(scratch_);
    PosixFileSystem fs;
    Result<std::vector<std::string>> names = fs.List(dir_);
    if (!names.ok()) return names.status();
    for (const std::string& name : names.value()) {
      if (name == PosixFileSystem::kSpareFileName) continue;
      Result<std::string> bytes = fs.ReadFile(dir_ + "/" + name);
      if (!bytes.ok()) return bytes.status();
      std::ofstream(scratch_ + "/" + name, std::ios::binary) << bytes.value();
    }
    Result<std::unique_ptr<Wal>> copy = Wal::Open(fs, WalOptions{.dir = scratch_});
    if (!copy.ok()) return copy.status();
    const Storage& durable = copy.value()->storage();
    const HardState hs = durable.GetInitialState().hard_state;
    std::string broken;
    if (promise.term != Term{} && hs.term != promise.term) {
      broken += " term " + std::to_string(hs.term.value) + ", not " +
                std::to_string(promise.term.value) + ";";
    }
    if (promise.vote != NodeId{} && hs.vote != promise.vote) {
      broken += " vote " + std::to_string(hs.vote.value) + ", not " +
                std::to_string(promise.vote.value) + ";";
    }
    if (durable.LastIndex() < promise.last_index) {
      broken += " entries up to " + std::to_string(durable.LastIndex().value) + ", not " +
                std::to_string(promise.last_index.value) + ";";
    }
    return broken;
  }

  std::unique_ptr<Wal> wal_;
  std::string dir_;
  std::string scratch_;
  HardState hard_state_;
  uint64_t commit_only_bytes_ = 0;
  size_t rolls_ = 0;  // Saves that started a new segment
  size_t snapshots_ = 0;
  size_t received_snapshots_ = 0;
};

struct ForwardingTransport final : Transport {
  std::function<void(Message)> send;
  void Send(Message m) override { send(std::move(m)); }
};

// What a check saw: how often each kind of promise left, and the first
// that left too early.
struct Tally {
  size_t checked = 0;
  size_t early = 0;
  std::string first_early;
};

class DurableCluster {
 public:
  DurableCluster(size_t n, bool preallocate) {
    std::vector<NodeId> voters;
    for (uint64_t i = 1; i <= n; i++) voters.push_back(NodeId{i});
    for (NodeId id : voters) {
      Node& node = nodes_[id.value];
      node.dir = tmp_.path() + "/node" + std::to_string(id.value);
      WalOptions options;
      options.dir = node.dir;
      options.segment_bytes_max = 4096;  // rolls every dozen or so writes
      options.preallocate_segments = preallocate;
      Result<std::unique_ptr<Wal>> wal = Wal::Open(node.fs, options);
      // Thrown, so that googletest fails the test that needed the log.
      if (!wal.ok()) throw std::runtime_error(wal.status().ToString());
      node.log = std::make_unique<WatchedLog>(std::move(wal).value(), node.dir,
                                              tmp_.path() + "/power-cut");
      node.transport.send = [this](Message m) { OnSend(std::move(m)); };
      Config c;
      c.id = id;
      c.voters = voters;
      SnapshotPolicy policy;
      policy.every_entries = 12;
      policy.keep_entries = 4;  // small enough that a lagging node needs a snapshot
      node.replica = std::make_unique<Replica>(c, policy, *node.log, node.transport,
                                               std::make_unique<SplitMix64>(id.value));
    }
  }

  Replica& at(uint64_t id) { return *nodes_.at(id).replica; }
  WatchedLog& log(uint64_t id) { return *nodes_.at(id).log; }

  void Settle() {
    for (auto& [id, node] : nodes_) ASSERT_TRUE(node.replica->Drain().ok());
    while (!queue_.empty()) {
      Message m = std::move(queue_.front());
      queue_.pop_front();
      if (cut_.contains(m.to.value) || cut_.contains(m.from.value)) continue;
      at(m.to.value).Receive(m);
      ASSERT_TRUE(at(m.to.value).Drain().ok());
    }
  }
  void TickAndSettle(const std::set<uint64_t>& ids) {
    for (uint64_t id : ids) {
      at(id).Tick();
      Settle();
    }
  }
  // Proposes a put on the leader; its reply checks the leader's log.
  void Put(uint64_t leader, const std::string& key, const std::string& value) {
    at(leader).Propose(kv::Command{.op = kv::Op::kPut, .key = key, .value = value},
                       [this, leader, key](const Status& s, const kv::ApplyResult&, Index at) {
                         replies_ok_ += s.ok() ? 1 : 0;
                         Check(replies_, leader, Promise{.last_index = at}, "reply to put " + key);
                       });
  }
  void Isolate(uint64_t id) { cut_.insert(id); }
  void Heal() { cut_.clear(); }

  const Tally& vote_grants() const { return vote_grants_; }
  const Tally& append_acks() const { return append_acks_; }
  const Tally& non_leader_messages() const { return non_leader_messages_; }
  const Tally& replies() const { return replies_; }
  size_t replies_ok() const { return replies_ok_; }

 private:
  struct Node {
    std::string dir;
    PosixFileSystem fs;
    std::unique_ptr<WatchedLog> log;
    ForwardingTransport transport;
    std::unique_ptr<Replica> replica;
  };

  void OnSend(Message m) {
    const uint64_t from = m.from.value;
    const std::string what = std::string(MessageTypeName(m.type)) + " from " +
                             std::to_string(from) + " to " + std::to_string(m.to.value) +
                             " in term " + std::to_string(m.term.value);
    // Pre-votes carry the term their sender would campaign in, not its own.
    const bool pre_vote = m.type == MessageType::kPreVote || m.type == MessageType::kPreVoteResp;
    const Term term = pre_vote ? Term{} : m.term;
    if (m.type == MessageType::kVoteResp && !m.reject) {
      Check(vote_grants_, from, Promise{.term = term, .vote = m.to}, what);
    } else if (m.type == MessageType::kAppendResp && !m.reject) {
      Check(append_acks_, from, Promise{.term = term, .last_index = m.index}, what);
    } else if (at(from).role() != Role::kLeader) {
      const NodeId vote = m.type == MessageType::kVote ? m.from : NodeId{};
      Check(non_leader_messages_, from, Promise{.term = term, .vote = vote}, what);
    }
    queue_.push_back(std::move(m));
  }
  void Check(Tally& tally, uint64_t id, const Promise& promise, const std::string& what) {
    tally.checked++;
    const std::string broken = log(id).PowerCutBreaks(promise);
    if (broken.empty()) return;
    if (tally.early++ == 0) tally.first_early = what + " left too early: " + broken;
  }

  testing::TempDir tmp_;
  std::map<uint64_t, Node> nodes_;
  std::deque<Message> queue_;
  std::set<uint64_t> cut_;
  Tally vote_grants_, append_acks_, non_leader_messages_, replies_;
  size_t replies_ok_ = 0;
};

class ReplicaDurabilityTest : public ::testing::TestWithParam<bool> {};

TEST_P(ReplicaDurabilityTest, NoPromiseLeavesBeforeTheRealFilesAreSynced) {
  DurableCluster c(3, GetParam());
  c.at(1).Campaign();
  c.Settle();
  ASSERT_EQ(c.at(1).role(), Role::kLeader);
  const std::string value(300, 'v');
  for (int i = 0; i < 30; i++) {
    c.Put(1, "a" + std::to_string(i), value);
    c.Settle();
  }
  // Node 1 is cut off; the others elect a leader (after their election
  // timeout: CheckQuorum's lease ignores candidates before) and go on.
  c.Isolate(1);
  uint64_t leader = 0;
  for (int tick = 0; tick < 100 && leader == 0; tick++) {
    c.TickAndSettle({2, 3});
    for (uint64_t id : {2, 3}) {
      if (c.at(id).role() == Role::kLeader) leader = id;
    }
  }
  ASSERT_NE(leader, 0u) << "no new leader among nodes 2 and 3";
  for (int i = 0; i < 30; i++) {
    c.Put(leader, "b" + std::to_string(i), value);
    c.Settle();
  }
  // Node 1 rejoins far behind the compacted log: it steps down and catches
  // up through a snapshot.
  c.Heal();
  for (int tick = 0; tick < 20; tick++) c.TickAndSettle({1, 2, 3});
  c.Put(c.at(2).leader().value, "after", value);
  for (int tick = 0; tick < 5; tick++) c.TickAndSettle({1, 2, 3});
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_EQ(c.at(id).state_machine().Get("after"), value) << "node " << id;
  }

  // The run exercised what it checks ...
  EXPECT_GE(c.vote_grants().checked, 2u);
  EXPECT_GE(c.append_acks().checked, 100u);
  EXPECT_GE(c.non_leader_messages().checked, 50u);
  EXPECT_EQ(c.replies().checked, 61u);
  EXPECT_EQ(c.replies_ok(), 61u);
  EXPECT_GE(c.log(1).received_snapshots(), 1u) << "node 1 caught up without a snapshot";
  for (uint64_t id : {1, 2, 3}) {
    EXPECT_GE(c.log(id).rolls(), 1u) << "node " << id << " never rolled a segment";
    EXPECT_GE(c.log(id).snapshots(), 1u) << "node " << id << " never took a snapshot";
  }
  for (const auto& [name, tally] : {std::pair{"vote_grants", c.vote_grants()},
                                    {"append_acks", c.append_acks()},
                                    {"non_leader_messages", c.non_leader_messages()},
                                    {"replies", c.replies()}}) {
    RecordProperty(std::string(name) + "_checked", std::to_string(tally.checked));
  }
  // ... and no promise left before the sync it depends on.
  EXPECT_EQ(c.vote_grants().early, 0u) << c.vote_grants().first_early;
  EXPECT_EQ(c.append_acks().early, 0u) << c.append_acks().first_early;
  EXPECT_EQ(c.non_leader_messages().early, 0u) << c.non_leader_messages().first_early;
  EXPECT_EQ(c.replies().early, 0u) << c.replies().first_early;
}

INSTANTIATE_TEST_SUITE_P(Segments, ReplicaDurabilityTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Preallocated" : "Appended";
                         });

}  // namespace
}  // namespace raft
