// NodeLoop on a leader, with the peers played by the test: client writes that
// arrive while a batch is in flight wait for it to commit and then go out as
// one batch (WriteHold); a full batch, a write that waited max_wait, and work
// that is not a write never wait. The test posts from its own thread, so
// every post also exercises the alarm that wakes the loop from its poll.
#include "net/node_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <optional>

#include "core/rng.h"
#include "net/posix_file_system.h"
#include "tests/support/temp_dir.h"

namespace raft::net {
namespace {

using std::chrono::milliseconds;

constexpr NodeId kSelf{1};
constexpr NodeId kPeer{2};
constexpr auto kWaitMax = std::chrono::seconds(10);

// Waits until pred() holds; false after kWaitMax.
bool WaitUntil(const std::function<bool()>& pred) {
  const auto until = Clock::now() + kWaitMax;
  while (!pred()) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

// Keeps every message the node sends, for the test to answer.
class CapturingTransport final : public Transport {
 public:
  void Send(Message m) override {
    std::lock_guard lk(mu_);
    sent_.push_back(std::move(m));
  }
  // The first message sent that matches pred, waiting for it.
  std::optional<Message> WaitFor(const std::function<bool(const Message&)>& pred) {
    std::optional<Message> found;
    WaitUntil([&] {
      std::lock_guard lk(mu_);
      for (const Message& m : sent_) {
        if (pred(m)) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  size_t Count(const std::function<bool(const Message&)>& pred) {
    std::lock_guard lk(mu_);
    return std::count_if(sent_.begin(), sent_.end(), pred);
  }

 private:
  std::mutex mu_;
  std::vector<Message> sent_;
};

class NodeLoopWriteHoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Membership> members = Membership::Create({{"n1", "127.0.0.1:1", kSelf},
                                                     {"n2", "127.0.0.1:2", kPeer},
                                                     {"n3", "127.0.0.1:3", NodeId{3}}},
                                                    "n1");
    ASSERT_TRUE(members.ok()) << members.status().message();
    members_ = std::move(members).value();
  }
  void TearDown() override {
    if (loop_) loop_->Stop();
    DrainCompletionQueue(cq_);
  }

  // Starts node 1 of {1, 2, 3} and makes it leader with its first entry
  // committed, answering as node 2.
  void StartLeader(WriteHold hold) {
    Result<std::unique_ptr<Wal>> wal = Wal::Open(fs_, WalOptions{.dir = dir_.path()});
    ASSERT_TRUE(wal.ok()) << wal.status().message();
    Config config;
    config.id = kSelf;
    config.voters = {kSelf, kPeer, NodeId{3}};
    config.pre_vote = false;
    config.check_quorum = false;
    config.election_ticks = 1000;  // no election but the one the test starts
    auto replica = std::make_unique<Replica>(config, SnapshotPolicy{}, *wal.value(), transport_,
                                             std::make_unique<SplitMix64>(7));
    loop_ = std::make_unique<NodeLoop>(NodeLoopOptions{.write_hold = hold}, members_, &cq_);
    loop_->Start(std::move(wal).value(), std::move(replica));

    ASSERT_TRUE(loop_->Post([](Replica& r) { r.Campaign(); }));
    std::optional<Message> vote =
        transport_.WaitFor([](const Message& m) { return m.type == MessageType::kVote; });
    ASSERT_TRUE(vote.has_value());
    term_ = vote->term;
    loop_->PostPeerMessages(
        {Message{.type = MessageType::kVoteResp, .from = kPeer, .to = kSelf, .term = term_}});
    std::optional<Message> noop = NextAppend(Index{1});
    ASSERT_TRUE(noop.has_value());
    Ack(Index{1});
    ASSERT_TRUE(WaitUntil([&] { return loop_->status().commit == Index{1}; }));
  }

  // The AppendEntries to node 2 whose first entry is at `first`.
  std::optional<Message> NextAppend(Index first) {
    return transport_.WaitFor([first](const Message& m) {
      return m.type == MessageType::kAppend && m.to == kPeer && !m.entries.empty() &&
             m.entries.front().index == first;
    });
  }
  // Node 2 acknowledges its log up to `index`.
  void Ack(Index index) {
    loop_->PostPeerMessages({Message{.type = MessageType::kAppendResp,
                                     .from = kPeer,
                                     .to = kSelf,
                                     .term = term_,
                                     .index = index}});
  }
  // Posts a client write that marks `ran` when it is proposed.
  void PostWrite(const std::string& key, std::atomic<bool>& ran) {
    ASSERT_TRUE(loop_->Post(
        [key, &ran](Replica& r) {
          ran = true;
          r.Propose(kv::Command{.op = kv::Op::kPut, .key = key, .value = "v"},
                    [](const Status&, const kv::ApplyResult&, Index) {});
        },
        TaskKind::kWrite));
  }

  raft::testing::TempDir dir_;  // declared before loop_, so removed after it stops
  PosixFileSystem fs_;
  CapturingTransport transport_;
  Membership members_;
  // Polled by the loop; the test's posts wake it through an alarm on it.
  grpc::CompletionQueue cq_;
  std::unique_ptr<NodeLoop> loop_;
  Term term_;
};

TEST_F(NodeLoopWriteHoldTest, WritesWaitForTheBatchInFlightThenGoTogether) {
  StartLeader(WriteHold{.batch_max = 100, .max_wait = std::chrono::hours(1)});
  std::atomic<bool> w1{false}, w2{false}, w3{false}, read{false};
  PostWrite("a", w1);  // nothing in flight: goes at once
  ASSERT_TRUE(NextAppend(Index{2}).has_value());
  EXPECT_TRUE(w1);

  PostWrite("b", w2);
  PostWrite("c", w3);
  ASSERT_TRUE(loop_->Post([&read](Replica&) { read = true; }));
  // The read, posted last, ran in a turn that had the writes queued: they
  // were held, not lost in a race.
  ASSERT_TRUE(WaitUntil([&] { return read.load(); }));
  EXPECT_FALSE(w2) << "a write ran while the batch before it was in flight";
  EXPECT_FALSE(w3);

  Ack(Index{2});  // the batch in flight commits
  std::optional<Message> next = NextAppend(Index{3});
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(w2 && w3);
  ASSERT_EQ(next->entries.size(), 2u) << "the held writes went out as one batch";
  EXPECT_EQ(next->entries.back().index, Index{4});
  // Released in the turn the ack committed their predecessor, they carry the
  // new commit index: no AppendEntries went for the commit alone.
  EXPECT_EQ(next->commit, Index{2});
  EXPECT_EQ(transport_.Count([](const Message& m) {
    return m.type == MessageType::kAppend && m.to == kPeer && m.entries.empty() &&
           m.commit == Index{2};
  }),
            0u);
}

TEST_F(NodeLoopWriteHoldTest, AFullBatchGoesWithoutWaitingForTheCommit) {
  StartLeader(WriteHold{.batch_max = 2, .max_wait = std::chrono::hours(1)});
  std::atomic<bool> w1{false}, w2{false}, w3{false};
  PostWrite("a", w1);
  ASSERT_TRUE(NextAppend(Index{2}).has_value());
  PostWrite("b", w2);
  PostWrite("c", w3);
  // Never acknowledged, yet two queued writes are a full batch.
  std::optional<Message> next = NextAppend(Index{3});
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(w2 && w3);
}

TEST_F(NodeLoopWriteHoldTest, NoWriteWaitsLongerThanMaxWait) {
  const auto max_wait = milliseconds(50);
  StartLeader(WriteHold{.batch_max = 100, .max_wait = max_wait});
  std::atomic<bool> w1{false}, w2{false};
  PostWrite("a", w1);
  ASSERT_TRUE(NextAppend(Index{2}).has_value());
  const auto posted = Clock::now();
  PostWrite("b", w2);
  // The batch in flight never commits (node 2 stays silent).
  ASSERT_TRUE(WaitUntil([&] { return w2.load(); }));
  EXPECT_GE(Clock::now() - posted, max_wait);
  EXPECT_TRUE(NextAppend(Index{3}).has_value());
}

}  // namespace
}  // namespace raft::net
