// CheckInbound: the edge in front of Raft::Step. Each rule is shown refusing
// what it names; honest traffic of whole elections, replication and
// partitions is shown accepted; and a property steps every accepted message
// from a generator of hostile ones into live nodes: none may reach one of
// Raft's assertions (which abort the test binary).
#include "core/message_validator.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <limits>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

bool DecodesUnlessBad(const std::string& data) { return data != "bad"; }
bool ImageUnlessBad(const Snapshot& snapshot) { return snapshot.data != "bad"; }

ClusterOptions Checked() {
  return ClusterOptions{.command_ok = DecodesUnlessBad, .snapshot_ok = ImageUnlessBad};
}

// Node 1 leads term 1 (after PreVote) with entries 1..3 committed everywhere.
class Validator : public ::testing::Test {
 protected:
  Validator() : c_(3, Checked()) {
    c_.ElectLeader(1);
    for (int i = 0; i < 2; i++) EXPECT_TRUE(c_.Propose(1, "put").ok());
    c_.Stabilize();
  }
  InboundVerdict At(uint64_t id, const Message& m) { return CheckInbound(c_.raft(id), m); }
  uint64_t term() { return c_.raft(1).term().value; }

  TestCluster c_;
};

TEST_F(Validator, TermZeroAndTermsThatCouldOverflowAreRefused) {
  for (uint64_t bad : {uint64_t{0}, kWireNumberMax + 1, kMax}) {
    EXPECT_EQ(At(2, MakeHeartbeat(1, 2, bad)), InboundVerdict::kBadTerm) << bad;
    EXPECT_EQ(At(2, MakeVote(MessageType::kVote, 3, 2, bad, 3, 1)), InboundVerdict::kBadTerm);
    EXPECT_EQ(At(1, MakeResponse(MessageType::kAppendResp, 2, 1, bad)), InboundVerdict::kBadTerm);
  }
  EXPECT_EQ(At(2, MakeVote(MessageType::kVote, 3, 2, term() + 1, 3, term() + 2)),
            InboundVerdict::kBadTerm)
      << "a candidate's last log term cannot pass its term";
}

TEST_F(Validator, IndexesThatCouldWrapAreRefused) {
  EXPECT_EQ(At(2, MakeAppend(1, 2, term(), kMax, 1)), InboundVerdict::kBadIndex);
  EXPECT_EQ(At(2, MakeAppend(1, 2, term(), 3, 1, {}, kMax)), InboundVerdict::kBadIndex);
  EXPECT_EQ(At(2, MakeHeartbeat(1, 2, term(), kMax)), InboundVerdict::kBadIndex);
  EXPECT_EQ(At(2, MakeVote(MessageType::kPreVote, 3, 2, term() + 1, kMax, 1)),
            InboundVerdict::kBadIndex);
}

TEST_F(Validator, AppendEntriesMustBeContiguousWithTermsInOrder) {
  EXPECT_EQ(At(2, MakeAppend(1, 2, term(), 3, 1, EntriesFrom(4, {1, 1}))),
            InboundVerdict::kAccepted);
  EXPECT_EQ(At(2, MakeAppend(1, 2, term(), 3, 1, EntriesFrom(5, {1}))),
            InboundVerdict::kMalformedEntries)
      << "a gap after the previous entry";
  std::vector<Entry> repeated = EntriesFrom(4, {1, 1});
  repeated[1].index = Index{4};
  EXPECT_EQ(At(2, MakeAppend(1, 2, term(), 3, 1, repeated)), InboundVerdict::kMalformedEntries);
  EXPECT_EQ(At(2, MakeAppend(1, 2, term(), 3, 1, EntriesFrom(4, {2}))),
            InboundVerdict::kMalformedEntries)
      << "an entry of a term after the message's";
  EXPECT_EQ(At(2, MakeAppend(1, 2, term() + 1, 3, 1, EntriesFrom(4, {2, 1}))),
            InboundVerdict::kMalformedEntries)
      << "terms decreasing";
}

TEST_F(Validator, AppendCarryingAnUndecodableCommandIsRefused) {
  std::vector<Entry> entries = EntriesFrom(4, {1, 1});
  entries[1].data = "bad";
  EXPECT_EQ(At(2, MakeAppend(1, 2, term(), 3, 1, entries)), InboundVerdict::kUndecodableCommand);
  entries[1].type = EntryType::kNoop;  // no command to decode
  EXPECT_EQ(At(2, MakeAppend(1, 2, term(), 3, 1, entries)), InboundVerdict::kAccepted);
}

TEST_F(Validator, LeaderMessagesAtOurTermComeOnlyFromItsLeader) {
  EXPECT_EQ(At(2, MakeHeartbeat(3, 2, term())), InboundVerdict::kNotFromLeader);
  EXPECT_EQ(At(2, MakeAppend(3, 2, term(), 3, 1)), InboundVerdict::kNotFromLeader);
  EXPECT_EQ(At(1, MakeHeartbeat(2, 1, term())), InboundVerdict::kNotFromLeader)
      << "the leader itself is the only leader of its term";
  EXPECT_EQ(At(2, MakeHeartbeat(1, 2, term())), InboundVerdict::kAccepted);
  EXPECT_EQ(At(2, MakeHeartbeat(3, 2, term() + 1)), InboundVerdict::kAccepted)
      << "a newer term's leader is legal Raft";
}

TEST_F(Validator, AppendResponsePastTheLeadersLogIsRefused) {
  const uint64_t last = c_.raft(1).log().LastIndex().value;
  EXPECT_EQ(At(1, MakeResponse(MessageType::kAppendResp, 2, 1, term(), false, last)),
            InboundVerdict::kAccepted);
  EXPECT_EQ(At(1, MakeResponse(MessageType::kAppendResp, 2, 1, term(), false, last + 1)),
            InboundVerdict::kIndexPastLog);
  EXPECT_EQ(At(1, MakeResponse(MessageType::kAppendResp, 2, 1, term(), true, last + 1000)),
            InboundVerdict::kIndexPastLog);
  EXPECT_EQ(At(2, MakeResponse(MessageType::kAppendResp, 3, 2, term(), false, 1)),
            InboundVerdict::kStale)
      << "a follower never acts on append answers";
}

TEST_F(Validator, VoteGrantsForTermsNotAskedAboutAreRefused) {
  // Node 2 follows and never stood in this term.
  EXPECT_EQ(At(2, MakeResponse(MessageType::kVoteResp, 3, 2, term())),
            InboundVerdict::kUnsolicitedResponse);
  EXPECT_EQ(At(2, MakeResponse(MessageType::kVoteResp, 3, 2, term() + 5)),
            InboundVerdict::kBadVoteGrant);
  EXPECT_EQ(At(2, MakeResponse(MessageType::kPreVoteResp, 3, 2, term() + 5)),
            InboundVerdict::kBadVoteGrant);
  EXPECT_EQ(At(2, MakeResponse(MessageType::kPreVoteResp, 3, 2, term())), InboundVerdict::kStale);
  EXPECT_EQ(At(2, MakeResponse(MessageType::kVoteResp, 3, 2, term() + 5, /*reject=*/true)),
            InboundVerdict::kAccepted)
      << "a refusal may carry a newer term";
}

TEST_F(Validator, TimeoutNowOnlyFromOurLeaderAtOurTerm) {
  Message m{.type = MessageType::kTimeoutNow, .from = NodeId{1}, .to = NodeId{2}};
  m.term = Term{term()};
  EXPECT_EQ(At(2, m), InboundVerdict::kAccepted);
  m.term = Term{term() + 1};
  EXPECT_EQ(At(2, m), InboundVerdict::kBadTimeoutNow) << "it never moves a term";
  m.term = Term{term()};
  m.from = NodeId{3};
  EXPECT_EQ(At(2, m), InboundVerdict::kBadTimeoutNow) << "only from the leader";
}

TEST_F(Validator, SnapshotChunksWithImpossibleMetadataAreRefused) {
  Message m{.type = MessageType::kSnapshot, .from = NodeId{1}, .to = NodeId{2}};
  m.term = Term{term()};
  m.snapshot.meta = SnapshotMeta{Index{10}, Term{1}, {NodeId{1}, NodeId{2}, NodeId{3}}};
  m.snapshot.data = "abc";
  m.snapshot_total_bytes = 6;
  EXPECT_EQ(At(2, m), InboundVerdict::kAccepted);
  Message past_end = m;
  past_end.snapshot_offset = 4;
  EXPECT_EQ(At(2, past_end), InboundVerdict::kBadSnapshot);
  Message huge = m;
  huge.snapshot_total_bytes = kMax;
  EXPECT_EQ(At(2, huge), InboundVerdict::kBadSnapshot);
  Message future_term = m;
  future_term.snapshot.meta.term = Term{term() + 1};
  EXPECT_EQ(At(2, future_term), InboundVerdict::kBadSnapshot);
  Message no_voters = m;
  no_voters.snapshot.meta.voters.clear();
  EXPECT_EQ(At(2, no_voters), InboundVerdict::kBadSnapshot);
}

TEST_F(Validator, StrangersAndMisaddressedMessagesAreRefused) {
  EXPECT_EQ(At(2, MakeHeartbeat(9, 2, term())), InboundVerdict::kUnknownSender);
  EXPECT_EQ(At(2, MakeHeartbeat(2, 2, term())), InboundVerdict::kUnknownSender);
  EXPECT_EQ(At(2, MakeHeartbeat(1, 3, term())), InboundVerdict::kWrongReceiver);
  EXPECT_EQ(At(2, Message{.type = MessageType::kHup, .from = NodeId{1}, .to = NodeId{2}}),
            InboundVerdict::kLocalType);
}

TEST(ValidatorPayload, ProposalThatDoesNotDecodeIsRefusedAtTheLeader) {
  TestCluster c(3, Checked());
  c.ElectLeader(1);
  const Index last = c.raft(1).log().LastIndex();
  Result<Index> refused = c.Propose(1, "bad");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.raft(1).log().LastIndex(), last);
}

TEST(ValidatorPayload, SnapshotImageThatDoesNotParseReplacesNothing) {
  TestCluster c(3, Checked());
  c.ElectLeader(1);
  c.Stabilize();
  const Term term = c.raft(2).term();
  const Index last = c.raft(2).log().LastIndex();
  Message m{.type = MessageType::kSnapshot, .from = NodeId{1}, .to = NodeId{2}, .term = term};
  m.snapshot.meta = SnapshotMeta{Index{50}, term, {NodeId{1}, NodeId{2}, NodeId{3}}};
  m.snapshot.data = "bad";
  m.snapshot_total_bytes = 3;
  ASSERT_EQ(CheckInbound(c.raft(2), m), InboundVerdict::kAccepted);
  c.Deliver(m);
  EXPECT_EQ(c.raft(2).log().LastIndex(), last) << "the image was installed";
  EXPECT_EQ(c.raft(2).snapshot_images_refused(), 1u);
  std::vector<Message> answers = OfType(c.TakeQueued(), MessageType::kSnapshotResp, 1);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0].reject);
  EXPECT_EQ(answers[0].snapshot_offset, 0u) << "the transfer restarts from the top";

  m.snapshot.data = "good";
  m.snapshot_total_bytes = 4;
  c.Deliver(m);
  EXPECT_EQ(c.raft(2).log().LastIndex(), Index{50});
}

// The validator must not refuse the protocol itself: every message of
// elections, replication, partitions and their healing is accepted (or, for
// leftovers of an earlier round, dropped as stale).
TEST(ValidatorHonestTraffic, EveryMessageOfARunWithPartitionsIsAccepted) {
  for (uint64_t seed = 1; seed <= 10; seed++) {
    ClusterOptions options = Checked();
    options.seed = seed;
    TestCluster c(5, options);
    size_t refused = 0;
    c.deliver_observer = [&](const Message& m) {
      const InboundVerdict v = CheckInbound(c.raft(m.to.value), m);
      if (v != InboundVerdict::kAccepted && v != InboundVerdict::kStale) {
        ADD_FAILURE() << "seed " << seed << ": " << MessageTypeName(m.type) << " from " << m.from
                      << " refused: " << InboundVerdictName(v);
        refused++;
      }
    };
    for (int round = 0; round < 60; round++) {
      if (round == 20) c.Isolate(c.Leader() ? c.Leader() : 1);
      if (round == 40) c.Heal();
      c.TickAll();
      if (uint64_t leader = c.Leader()) (void)c.Propose(leader, "put");
      c.Stabilize();
    }
    EXPECT_EQ(refused, 0u);
  }
}

// Hostile traffic: numbers at and around the interesting edges, entries with
// arbitrary indexes and terms, any message type, any sender.
uint64_t EdgyNumber(uint64_t near) {
  return *rc::gen::oneOf(rc::gen::element(uint64_t{0}, uint64_t{1}, uint64_t{2}, kWireNumberMax,
                                          kWireNumberMax + 1, kMax - 1, kMax),
                         rc::gen::inRange<uint64_t>(near > 3 ? near - 3 : 0, near + 4));
}

Message HostileMessage(uint64_t to, uint64_t term, uint64_t last) {
  Message m;
  m.type = static_cast<MessageType>(*rc::gen::inRange<int>(
      static_cast<int>(MessageType::kAppend), static_cast<int>(MessageType::kTimeoutNow) + 1));
  m.from = NodeId{*rc::gen::inRange<uint64_t>(0, 5)};
  m.to = NodeId{*rc::gen::element(to, to, to, uint64_t{0}, uint64_t{7})};
  m.term = Term{EdgyNumber(term)};
  m.index = Index{EdgyNumber(last)};
  m.log_term = Term{EdgyNumber(term)};
  m.commit = Index{EdgyNumber(last)};
  m.reject = *rc::gen::arbitrary<bool>();
  m.hint_term = Term{EdgyNumber(term)};
  m.hint_index = Index{EdgyNumber(last)};
  m.context = EdgyNumber(3);
  const auto count = *rc::gen::inRange<size_t>(0, 4);
  const bool contiguous = *rc::gen::arbitrary<bool>();
  for (size_t i = 0; i < count; i++) {
    Entry e{.term = Term{EdgyNumber(term)},
            .index = contiguous ? m.index + (i + 1) : Index{EdgyNumber(last)},
            .type = *rc::gen::element(EntryType::kNormal, EntryType::kNoop),
            .data = *rc::gen::element<std::string>("put", "bad", "")};
    m.entries.push_back(std::move(e));
  }
  m.snapshot.meta.index = Index{EdgyNumber(last)};
  m.snapshot.meta.term = Term{EdgyNumber(term)};
  if (*rc::gen::arbitrary<bool>()) m.snapshot.meta.voters = {NodeId{1}, NodeId{2}, NodeId{3}};
  m.snapshot.data = *rc::gen::element<std::string>("", "good", "bad");
  m.snapshot_offset = EdgyNumber(0);
  m.snapshot_total_bytes = EdgyNumber(4);
  return m;
}

RC_GTEST_PROP(ValidatorProperty, NoAcceptedMessageReachesAnAssertion, ()) {
  TestCluster c(3, Checked());
  c.ElectLeader(*rc::gen::inRange<uint64_t>(1, 4));
  const auto proposals = *rc::gen::inRange(0, 5);
  for (int i = 0; i < proposals; i++) (void)c.Propose(c.Leader(), "put");
  c.Stabilize();
  const auto steps = *rc::gen::inRange(1, 25);
  for (int s = 0; s < steps; s++) {
    const auto to = *rc::gen::inRange<uint64_t>(1, 4);
    const Raft& r = c.raft(to);
    const Message m = HostileMessage(to, r.term().value, r.log().LastIndex().value);
    if (CheckInbound(r, m) == InboundVerdict::kAccepted) c.Deliver(m);
    if (*rc::gen::arbitrary<bool>()) c.TickAll();
    c.Stabilize();
  }
}

}  // namespace
}  // namespace raft::testing
