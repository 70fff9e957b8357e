// Client sessions' rules (kv_state_machine.h, rules 1-5): a reused sequence,
// an evicted client's retry, a sequence ahead of the log, and the digests and
// old images snapshots carry.
#include <gtest/gtest.h>

#include "core/byte_codec.h"
#include "core/kv/command.h"
#include "core/kv/kv_state_machine.h"

namespace raft::kv {
namespace {

Command SessionPut(uint64_t client, uint64_t sequence, const std::string& value) {
  return Command{
      .op = Op::kPut, .client_id = client, .sequence = sequence, .key = "k", .value = value};
}

Command SessionDelete(uint64_t client, uint64_t sequence) {
  return Command{.op = Op::kDelete, .client_id = client, .sequence = sequence, .key = "k"};
}

// Rule 1: the reply of a Put must not answer a Delete sent with its sequence.
TEST(KvSessions, ReusedSequenceWithADifferentCommandIsRefused) {
  KvStateMachine m;
  ASSERT_EQ(m.Apply(Index{1}, SessionPut(5, 1, "a")).session, SessionVerdict::kApplied);
  const ApplyResult reused = m.Apply(Index{2}, SessionDelete(5, 1));
  EXPECT_EQ(reused.session, SessionVerdict::kSequenceReused);
  EXPECT_FALSE(reused.ok) << "no deleted:true borrowed from the Put's answer";
  EXPECT_EQ(m.Get("k"), "a") << "the Delete was not applied";
  EXPECT_EQ(m.Apply(Index{3}, SessionPut(5, 1, "other")).session, SessionVerdict::kSequenceReused)
      << "the same op with another value is another command";
  const ApplyResult retry = m.Apply(Index{4}, SessionPut(5, 1, "a"));
  EXPECT_EQ(retry.session, SessionVerdict::kDuplicate) << "refusals left the session as it was";
  EXPECT_EQ(retry.first_applied, Index{1});
}

// Rule 1: a retry of the very command is still answered from the session.
TEST(KvSessions, SameCommandRetriedAnswersTheOriginal) {
  KvStateMachine m;
  (void)m.Apply(Index{1}, Command{.op = Op::kPut, .key = "k", .value = "x"});
  EXPECT_TRUE(m.Apply(Index{2}, SessionDelete(5, 1)).ok);
  (void)m.Apply(Index{3}, Command{.op = Op::kPut, .key = "k", .value = "y"});
  const ApplyResult retry = m.Apply(Index{4}, SessionDelete(5, 1));
  EXPECT_EQ(retry.session, SessionVerdict::kDuplicate);
  EXPECT_TRUE(retry.ok) << "deleted:true, as the original answered";
  EXPECT_EQ(retry.first_applied, Index{2});
  EXPECT_EQ(m.Get("k"), "y") << "and not applied a second time";
}

// Rule 3: once client 1 is evicted, its retries are refused, not reapplied.
TEST(KvSessions, EvictedClientsRetryIsRefusedAsExpired) {
  KvStateMachine m(/*sessions_max=*/2);
  (void)m.Apply(Index{1}, SessionPut(1, 1, "a"));
  (void)m.Apply(Index{2}, SessionPut(1, 2, "b"));
  EXPECT_EQ(m.sessions_expired_through(), Index{0}) << "nothing can have expired yet";
  (void)m.Apply(Index{3}, SessionPut(2, 1, "c"));
  (void)m.Apply(Index{4}, SessionPut(3, 1, "d"));  // evicts client 1
  EXPECT_EQ(m.sessions_evicted(), 1u);
  EXPECT_EQ(m.sessions_expired_through(), Index{2}) << "client 2, the oldest kept, used 3";
  const ApplyResult retry = m.Apply(Index{5}, SessionPut(1, 2, "b"));
  EXPECT_EQ(retry.session, SessionVerdict::kSessionExpired);
  EXPECT_EQ(retry.expired_through, Index{2});
  EXPECT_EQ(m.Get("k"), "d") << "the retry was not applied again";
  EXPECT_EQ(m.sessions(), 2u) << "and opened no session";
  EXPECT_EQ(m.Apply(Index{6}, SessionPut(1, 3, "e")).session, SessionVerdict::kApplied)
      << "a sequence above the watermark is a new write: the client may go on";
  EXPECT_EQ(m.Apply(Index{7}, SessionPut(1, 2, "b")).session, SessionVerdict::kStale);
  EXPECT_EQ(m.Get("k"), "e");
}

// Rule 5: sequence 1 opens a session even when the table is full and some
// were evicted (which is also the documented hole for an evicted client's
// first write), and an unknown client opens at any sequence while nothing
// has expired (its first writes may have been lost).
TEST(KvSessions, SequenceOneOfANewClientOpensASession) {
  KvStateMachine m(/*sessions_max=*/2);
  EXPECT_EQ(m.Apply(Index{5}, SessionPut(9, 4, "a")).session, SessionVerdict::kApplied);
  for (uint64_t client = 1; client <= 3; client++) {
    EXPECT_EQ(m.Apply(Index{5 + client}, SessionPut(client, 1, "x")).session,
              SessionVerdict::kApplied);
  }
  EXPECT_EQ(m.sessions_evicted(), 2u);
  EXPECT_EQ(m.sessions(), 2u);
  EXPECT_EQ(m.Apply(Index{9}, SessionPut(3, 1, "x")).session, SessionVerdict::kDuplicate)
      << "the newest session is kept";
}

// Rules 3 and 4 together: a client that starts one above an index it has
// seen is covered for its first write too.
TEST(KvSessions, ClientStartingAboveASeenIndexIsCoveredForItsFirstWrite) {
  KvStateMachine m(/*sessions_max=*/1);
  (void)m.Apply(Index{1}, SessionPut(1, 1, "a"));
  (void)m.Apply(Index{2}, SessionPut(2, 1, "b"));  // evicts client 1
  // Client 3 saw index 2, starts at 3; its write lands at 3.
  EXPECT_EQ(m.Apply(Index{3}, SessionPut(3, 3, "c")).session, SessionVerdict::kApplied);
  (void)m.Apply(Index{4}, SessionPut(4, 1, "d"));  // evicts client 3
  EXPECT_EQ(m.Apply(Index{5}, SessionPut(3, 3, "c")).session, SessionVerdict::kSessionExpired);
  EXPECT_EQ(m.Get("k"), "d");
}

// Rule 4: a sequence above the log index is refused, so an evicted client's
// sequences are always at or below the expiry watermark.
TEST(KvSessions, SequenceAheadOfTheLogIsRefused) {
  KvStateMachine m;
  const ApplyResult ahead = m.Apply(Index{3}, SessionPut(1, 4, "a"));
  EXPECT_EQ(ahead.session, SessionVerdict::kSequenceAhead);
  EXPECT_FALSE(m.Get("k").has_value());
  EXPECT_EQ(m.sessions(), 0u);
  EXPECT_EQ(m.Apply(Index{4}, SessionPut(1, 4, "a")).session, SessionVerdict::kApplied);
  EXPECT_EQ(m.Apply(Index{5}, SessionPut(1, 9, "b")).session, SessionVerdict::kSequenceAhead)
      << "a kept session may not run ahead either";
  EXPECT_EQ(m.Get("k"), "a");
}

TEST(KvSessions, SnapshotRoundTripKeepsDigests) {
  KvStateMachine a;
  (void)a.Apply(Index{1}, SessionPut(5, 1, "a"));
  KvStateMachine b;
  ASSERT_TRUE(b.Restore(a.Serialize()).ok());
  EXPECT_EQ(b.Serialize(), a.Serialize());
  EXPECT_EQ(b.Apply(Index{2}, SessionDelete(5, 1)).session, SessionVerdict::kSequenceReused)
      << "the restored session still knows which command its sequence was";
  EXPECT_EQ(b.Apply(Index{3}, SessionPut(5, 1, "a")).session, SessionVerdict::kDuplicate);
  EXPECT_EQ(b.Get("k"), "a");
}

TEST(KvSessions, RestoredMachineExpiresTheSameWay) {
  KvStateMachine a(/*sessions_max=*/2);
  (void)a.Apply(Index{1}, SessionPut(1, 1, "a"));
  (void)a.Apply(Index{2}, SessionPut(1, 2, "b"));
  (void)a.Apply(Index{3}, SessionPut(2, 1, "c"));
  (void)a.Apply(Index{4}, SessionPut(3, 1, "d"));  // evicts client 1
  KvStateMachine b(/*sessions_max=*/2);
  ASSERT_TRUE(b.Restore(a.Serialize()).ok());
  EXPECT_EQ(b.sessions_expired_through(), a.sessions_expired_through())
      << "derived from the session table, which the image carries";
  EXPECT_EQ(b.Apply(Index{5}, SessionPut(1, 2, "b")).session, SessionVerdict::kSessionExpired);
}

// A version-2 image, byte for byte as the previous release wrote it: one
// pair and one session (client 9, sequence 1, a delete that found the key).
std::string VersionTwoImage() {
  std::string image;
  PutU8(image, 2);
  PutU64(image, 7);  // applied
  PutU64(image, 1);  // pairs
  PutBytes(image, "k");
  PutBytes(image, "v");
  PutU64(image, 1);  // sessions
  PutU64(image, 9);  // client
  PutU64(image, 1);  // sequence
  PutU8(image, 1);   // ok
  PutU8(image, 1);   // found
  PutBytes(image, "");
  PutU64(image, 6);  // last_used
  return image;
}

TEST(KvSessions, VersionTwoImageStillRestores) {
  KvStateMachine m;
  ASSERT_TRUE(m.Restore(VersionTwoImage()).ok());
  EXPECT_EQ(m.applied(), Index{7});
  EXPECT_EQ(m.Get("k"), "v");
  EXPECT_EQ(m.sessions(), 1u);
  // Its digest is unknown, so any command with the saved sequence is taken
  // for a retry, as before.
  const ApplyResult retry = m.Apply(Index{8}, SessionPut(9, 1, "anything"));
  EXPECT_EQ(retry.session, SessionVerdict::kDuplicate);
  EXPECT_TRUE(retry.ok);
  EXPECT_EQ(retry.first_applied, Index{6});
  EXPECT_EQ(m.Get("k"), "v");
  // Written back as version 3 with the unknown digest, it reads the same.
  const std::string image = m.Serialize();
  EXPECT_EQ(image[0], 3);
  KvStateMachine again;
  ASSERT_TRUE(again.Restore(image).ok());
  EXPECT_EQ(again.Apply(Index{9}, SessionDelete(9, 1)).session, SessionVerdict::kDuplicate);
  EXPECT_EQ(again.Apply(Index{10}, SessionPut(9, 2, "w")).session, SessionVerdict::kApplied);
  EXPECT_EQ(again.Apply(Index{11}, SessionDelete(9, 2)).session, SessionVerdict::kSequenceReused)
      << "a session written to after the restore has a digest again";
}

TEST(KvSessions, VersionTwoImageCutShortIsCorruption) {
  const std::string image = VersionTwoImage();
  KvStateMachine m;
  for (size_t cut = 0; cut < image.size(); cut++) {
    EXPECT_EQ(m.Restore(image.substr(0, cut)).code(), StatusCode::kCorruption) << cut;
  }
}

TEST(KvSessions, VerdictNames) {
  EXPECT_STREQ(SessionVerdictName(SessionVerdict::kSequenceReused), "sequence-reused");
  EXPECT_STREQ(SessionVerdictName(SessionVerdict::kSessionExpired), "session-expired");
  EXPECT_STREQ(SessionVerdictName(SessionVerdict::kSequenceAhead), "sequence-ahead");
}

}  // namespace
}  // namespace raft::kv
