// The peer codec carries every field of every wire message unchanged, and
// refuses frames a peer could get wrong.
#include "net/peer_codec.h"

#include <gtest/gtest.h>

namespace raft::net {
namespace {

Message FullMessage(MessageType type) {
  Message m;
  m.type = type;
  m.from = NodeId{0xabcdef0123456789ULL};
  m.to = NodeId{2};
  m.term = Term{7};
  m.index = Index{41};
  m.log_term = Term{6};
  m.entries = {Entry{Term{7}, Index{42}, EntryType::kNormal, std::string("a\0b", 3)},
               Entry{Term{7}, Index{43}, EntryType::kNoop, ""}};
  m.commit = Index{40};
  m.reject = true;
  m.hint_term = Term{5};
  m.hint_index = Index{30};
  m.context = 99;
  m.repairing = true;
  m.snapshot.meta = SnapshotMeta{Index{20}, Term{4}, {NodeId{1}, NodeId{2}, NodeId{3}}};
  m.snapshot.data = "image";
  m.snapshot_offset = 1024;
  m.snapshot_total_bytes = 4096;
  return m;
}

void ExpectSame(const Message& a, const Message& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.term, b.term);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.log_term, b.log_term);
  EXPECT_EQ(a.entries, b.entries);
  EXPECT_EQ(a.commit, b.commit);
  EXPECT_EQ(a.reject, b.reject);
  EXPECT_EQ(a.hint_term, b.hint_term);
  EXPECT_EQ(a.hint_index, b.hint_index);
  EXPECT_EQ(a.context, b.context);
  EXPECT_EQ(a.repairing, b.repairing);
  EXPECT_EQ(a.snapshot, b.snapshot);
  EXPECT_EQ(a.snapshot_offset, b.snapshot_offset);
  EXPECT_EQ(a.snapshot_total_bytes, b.snapshot_total_bytes);
}

TEST(PeerCodec, EveryWireMessageRoundTripsThroughBytes) {
  for (MessageType type :
       {MessageType::kAppend, MessageType::kAppendResp, MessageType::kVote, MessageType::kVoteResp,
        MessageType::kPreVote, MessageType::kPreVoteResp, MessageType::kHeartbeat,
        MessageType::kHeartbeatResp, MessageType::kSnapshot, MessageType::kSnapshotResp,
        MessageType::kTimeoutNow}) {
    const Message want = FullMessage(type);
    PeerMessage pm;
    EncodeMessage(want, &pm);
    PeerMessage wire;
    ASSERT_TRUE(wire.ParseFromString(pm.SerializeAsString()));
    Result<Message> got = DecodeMessage(wire);
    ASSERT_TRUE(got.ok()) << MessageTypeName(type) << ": " << got.status().message();
    SCOPED_TRACE(MessageTypeName(type));
    ExpectSame(want, got.value());
  }
}

TEST(PeerCodec, RefusesLocalOnlyAndUnknownMessageTypes) {
  for (uint32_t type :
       {static_cast<uint32_t>(MessageType::kHup), static_cast<uint32_t>(MessageType::kBeat),
        static_cast<uint32_t>(MessageType::kCheckQuorum), 200u}) {
    PeerMessage pm;
    pm.set_type(type);
    EXPECT_FALSE(DecodeMessage(pm).ok()) << "type " << type;
  }
}

TEST(PeerCodec, RefusesAnUnknownEntryType) {
  PeerMessage pm;
  EncodeMessage(FullMessage(MessageType::kAppend), &pm);
  pm.mutable_entries(0)->set_type(9);
  EXPECT_FALSE(DecodeMessage(pm).ok());
}

}  // namespace
}  // namespace raft::net
