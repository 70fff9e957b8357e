// DurabilityChecker tests: a damaged node that votes or acknowledges before
// its log again holds what it lost must fire, and so must an acknowledged
// write missing from a node's log; the healthy twins (the node answers as
// repairing, or has its entries back; the write is held, or covered by a
// snapshot) must not.
#include "sim/durability_checker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/storage.h"

namespace raft::sim {
namespace {

Entry At(uint64_t index, uint64_t term) {
  return Entry{Term{term}, Index{index}, EntryType::kNormal, "x" + std::to_string(index)};
}

// A log (over storage that outlives it) holding entries 1..last of term 1.
struct TestLog {
  explicit TestLog(uint64_t last) {
    std::vector<Entry> entries;
    for (uint64_t i = 1; i <= last; i++) entries.push_back(At(i, 1));
    storage.Append(entries);
    log = std::make_unique<RaftLog>(storage);
  }
  MemoryStorage storage;
  std::unique_ptr<RaftLog> log;
};

Message From(uint64_t from, MessageType type, bool reject = false, bool repairing = false) {
  Message m;
  m.type = type;
  m.from = NodeId{from};
  m.to = NodeId{from % 3 + 1};
  m.term = Term{2};
  m.reject = reject;
  m.repairing = repairing;
  return m;
}

std::vector<DurabilityChecker::EntryId> Lost(uint64_t first, uint64_t last) {
  std::vector<DurabilityChecker::EntryId> out;
  for (uint64_t i = first; i <= last; i++) out.emplace_back(Index{i}, Term{1});
  return out;
}

TEST(RepairBeforeVoice, DamagedNodeGrantingAVoteFires) {
  for (MessageType type : {MessageType::kVoteResp, MessageType::kPreVoteResp}) {
    DurabilityChecker c;
    TestLog damaged(5);  // lost 6..8
    c.ObserveDamagedRestart(NodeId{1}, Lost(6, 8), "damage drop of wal-2");
    c.ObserveSend(From(1, type, /*reject=*/true), *damaged.log);
    EXPECT_TRUE(c.ok()) << "a refused vote is no vote";
    c.ObserveSend(From(1, type), *damaged.log);
    ASSERT_FALSE(c.ok()) << MessageTypeName(type);
    EXPECT_NE(c.violation().find("repair: damaged node n1"), std::string::npos) << c.violation();
    EXPECT_NE(c.violation().find("entry i6 of t1"), std::string::npos) << c.violation();
    EXPECT_NE(c.violation().find("; damage drop of wal-2"), std::string::npos) << c.violation();
  }
}

TEST(RepairBeforeVoice, DamagedNodeAcknowledgingWithoutRepairingFires) {
  for (MessageType type :
       {MessageType::kAppendResp, MessageType::kHeartbeatResp, MessageType::kSnapshotResp}) {
    DurabilityChecker c;
    TestLog damaged(5);
    c.ObserveDamagedRestart(NodeId{1}, Lost(6, 8));
    c.ObserveSend(From(1, type, false, /*repairing=*/true), *damaged.log);
    EXPECT_TRUE(c.ok()) << "answering as repairing is what a damaged node must do";
    c.ObserveSend(From(1, MessageType::kVote), *damaged.log);  // asking is fine
    EXPECT_TRUE(c.ok());
    c.ObserveSend(From(1, type), *damaged.log);
    EXPECT_FALSE(c.ok()) << MessageTypeName(type);
  }
}

TEST(RepairBeforeVoice, RepairedNodeMayVoteAndAcknowledge) {
  DurabilityChecker c;
  c.ObserveDamagedRestart(NodeId{1}, Lost(6, 8));
  TestLog partly(7);
  c.ObserveSend(From(1, MessageType::kAppendResp, false, true), *partly.log);
  EXPECT_TRUE(c.Unrepaired(NodeId{1}));
  TestLog repaired(9);  // holds 6..8 again, and more
  c.ObserveSend(From(1, MessageType::kVoteResp), *repaired.log);
  c.ObserveSend(From(1, MessageType::kAppendResp), *repaired.log);
  EXPECT_TRUE(c.ok()) << c.violation();
  EXPECT_FALSE(c.Unrepaired(NodeId{1}));
  // Other nodes were never damaged.
  c.ObserveSend(From(2, MessageType::kVoteResp), *partly.log);
  EXPECT_TRUE(c.ok());
}

TEST(RepairBeforeVoice, AnEntryOfAnotherTermIsNotARepair) {
  DurabilityChecker c;
  c.ObserveDamagedRestart(NodeId{1}, {{Index{3}, Term{2}}});
  TestLog wrong_term(5);  // holds index 3, but of term 1
  c.ObserveSend(From(1, MessageType::kHeartbeatResp), *wrong_term.log);
  EXPECT_FALSE(c.ok());
}

TEST(RepairBeforeVoice, ASnapshotCoveringTheLostEntriesIsARepair) {
  DurabilityChecker c;
  c.ObserveDamagedRestart(NodeId{1}, Lost(6, 8));
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(Snapshot{SnapshotMeta{Index{10}, Term{1}, {}}, "img"}).ok());
  RaftLog log(storage);
  c.ObserveSend(From(1, MessageType::kSnapshotResp), log);
  EXPECT_TRUE(c.ok()) << c.violation();
}

TEST(RepairBeforeVoice, NothingLostOwesNothing) {
  DurabilityChecker c;
  c.ObserveDamagedRestart(NodeId{1}, {});
  TestLog short_log(1);
  c.ObserveSend(From(1, MessageType::kVoteResp), *short_log.log);
  EXPECT_TRUE(c.ok());
}

TEST(NoLostAcknowledgedWrite, MissingAcknowledgedEntryFires) {
  DurabilityChecker c;
  c.ObserveAck(Index{4}, Term{1});
  c.ObserveAck(Index{7}, Term{1});
  TestLog complete(7), truncated(6);
  c.CheckAcknowledged(NodeId{2}, *complete.log);
  EXPECT_TRUE(c.ok()) << c.violation();
  c.CheckAcknowledged(NodeId{3}, *truncated.log);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.violation().find("acknowledged write lost: node n3 lacks entry i7 of t1"),
            std::string::npos)
      << c.violation();
}

TEST(NoLostAcknowledgedWrite, OverwrittenAcknowledgedEntryFires) {
  DurabilityChecker c;
  c.ObserveAck(Index{3}, Term{2});  // acknowledged in term 2; the log holds term 1 there
  TestLog log(5);
  c.CheckAcknowledged(NodeId{1}, *log.log);
  EXPECT_FALSE(c.ok());
}

TEST(NoLostAcknowledgedWrite, SnapshotCoversAcknowledgedEntries) {
  DurabilityChecker c;
  c.ObserveAck(Index{3}, Term{1});
  MemoryStorage storage;
  ASSERT_TRUE(storage.ApplySnapshot(Snapshot{SnapshotMeta{Index{10}, Term{1}, {}}, "img"}).ok());
  RaftLog log(storage);
  c.CheckAcknowledged(NodeId{1}, log);
  EXPECT_TRUE(c.ok()) << c.violation();
}

}  // namespace
}  // namespace raft::sim
