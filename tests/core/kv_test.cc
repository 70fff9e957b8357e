// The key-value state machine and its command encoding.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <functional>
#include <vector>

#include "core/kv/command.h"
#include "core/kv/kv_state_machine.h"

namespace raft::kv {
namespace {

Command Put(std::string k, std::string v, uint64_t client = 0, uint64_t seq = 0) {
  return Command{.op = Op::kPut, .client_id = client, .sequence = seq, .key = k, .value = v};
}

RC_GTEST_PROP(KvCommand, EncodeDecodeRoundTrips, ()) {
  Command c;
  c.op = *rc::gen::element(Op::kPut, Op::kDelete, Op::kCompareAndSwap, Op::kGet);
  c.client_id = *rc::gen::arbitrary<uint64_t>();
  c.sequence = *rc::gen::arbitrary<uint64_t>();
  c.key = *rc::gen::arbitrary<std::string>();
  c.value = *rc::gen::arbitrary<std::string>();
  c.expected = *rc::gen::arbitrary<std::string>();
  c.expect_absent = *rc::gen::arbitrary<bool>();
  Result<Command> back = Decode(Encode(c));
  RC_ASSERT(back.ok());
  RC_ASSERT(back.value() == c);
  RC_ASSERT(Decodes(Encode(c)));
}

RC_GTEST_PROP(KvCommand, EveryTruncationIsRejected, ()) {
  const std::string bytes = Encode(Put(*rc::gen::arbitrary<std::string>(), "v", 7, 9));
  const auto cut = *rc::gen::inRange<size_t>(0, bytes.size());
  RC_ASSERT(!Decode(bytes.substr(0, cut)).ok());
  RC_ASSERT(!Decodes(bytes.substr(0, cut)));
}

TEST(KvCommand, TrailingGarbageAndUnknownOpAreCorruption) {
  EXPECT_EQ(Decode(Encode(Put("k", "v")) + "x").status().code(), StatusCode::kCorruption);
  std::string bad_op = Encode(Put("k", "v"));
  bad_op[1] = 99;
  EXPECT_EQ(Decode(bad_op).status().code(), StatusCode::kCorruption);
  std::string bad_version = Encode(Put("k", "v"));
  bad_version[0] = 2;
  EXPECT_FALSE(Decode(bad_version).ok());
}

TEST(KvStateMachine, PutGetDelete) {
  KvStateMachine m;
  EXPECT_FALSE(m.Get("a").has_value());
  ApplyResult r = m.Apply(Index{1}, Put("a", "1"));
  EXPECT_FALSE(r.found);
  EXPECT_EQ(m.Get("a"), "1");
  r = m.Apply(Index{2}, Put("a", "2"));
  EXPECT_TRUE(r.found);
  EXPECT_EQ(r.value, "1");
  r = m.Apply(Index{3}, Command{.op = Op::kDelete, .key = "a"});
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(m.Get("a").has_value());
  r = m.Apply(Index{4}, Command{.op = Op::kDelete, .key = "a"});
  EXPECT_FALSE(r.ok) << "deleting a missing key reports it did not exist";
  EXPECT_EQ(m.applied(), Index{4});
}

TEST(KvStateMachine, EmptyValueIsDistinctFromAbsent) {
  KvStateMachine m;
  (void)m.Apply(Index{1}, Put("a", ""));
  ASSERT_TRUE(m.Get("a").has_value());
  EXPECT_EQ(*m.Get("a"), "");
}

TEST(KvStateMachine, CompareAndSwap) {
  KvStateMachine m;
  Command cas{.op = Op::kCompareAndSwap, .key = "a", .value = "new", .expected = "old"};
  EXPECT_FALSE(m.Apply(Index{1}, cas).ok) << "absent key does not match a value";
  Command create = cas;
  create.expect_absent = true;
  create.value = "old";
  EXPECT_TRUE(m.Apply(Index{2}, create).ok);
  EXPECT_FALSE(m.Apply(Index{3}, create).ok) << "key now exists";
  ApplyResult r = m.Apply(Index{4}, cas);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.value, "old");
  EXPECT_EQ(m.Get("a"), "new");
  EXPECT_FALSE(m.Apply(Index{5}, cas).ok) << "value is no longer the expected one";
}

TEST(KvStateMachine, SessionAppliesARetriedWriteOnce) {
  KvStateMachine m;
  (void)m.Apply(Index{1}, Put("n", "0"));
  Command cas{.op = Op::kCompareAndSwap,
              .client_id = 5,
              .sequence = 1,
              .key = "n",
              .value = "1",
              .expected = "0"};
  ApplyResult first = m.Apply(Index{2}, cas);
  EXPECT_TRUE(first.ok);
  (void)m.Apply(Index{3}, Put("n", "0"));  // someone resets it
  ApplyResult retry = m.Apply(Index{4}, cas);
  EXPECT_EQ(retry.session, SessionVerdict::kDuplicate);
  EXPECT_EQ(retry.first_applied, Index{2}) << "the retry names the original's index";
  EXPECT_TRUE(retry.ok) << "the retry gets the original answer";
  EXPECT_EQ(m.Get("n"), "0") << "and is not applied a second time";
  cas.sequence = 2;
  EXPECT_TRUE(m.Apply(Index{5}, cas).ok) << "a new sequence number applies";
  EXPECT_EQ(m.Get("n"), "1");
}

Command SessionPut(uint64_t client, uint64_t sequence, const std::string& value) {
  return Command{
      .op = Op::kPut, .client_id = client, .sequence = sequence, .key = "k", .value = value};
}

TEST(KvStateMachine, SessionRefusesASequenceOlderThanTheLastApplied) {
  KvStateMachine m;
  EXPECT_EQ(m.Apply(Index{2}, SessionPut(7, 2, "two")).session, SessionVerdict::kApplied);
  ApplyResult late = m.Apply(Index{3}, SessionPut(7, 1, "one"));
  EXPECT_EQ(late.session, SessionVerdict::kStale);
  EXPECT_EQ(m.Get("k"), "two") << "a stale retry must not overwrite a newer write";
}

TEST(KvStateMachine, SessionsExpireLeastRecentlyUsedFirst) {
  KvStateMachine m(/*sessions_max=*/2);
  (void)m.Apply(Index{1}, SessionPut(2, 1, "a"));
  (void)m.Apply(Index{2}, SessionPut(2, 2, "b"));
  (void)m.Apply(Index{3}, SessionPut(1, 1, "c"));
  (void)m.Apply(Index{4}, SessionPut(1, 2, "d"));  // client 1 is now the most recent
  EXPECT_EQ(m.sessions_evicted(), 0u);
  (void)m.Apply(Index{5}, SessionPut(3, 1, "e"));  // evicts client 2
  EXPECT_EQ(m.sessions(), 2u);
  EXPECT_EQ(m.sessions_evicted(), 1u);
  EXPECT_EQ(m.Apply(Index{6}, SessionPut(1, 2, "d")).session, SessionVerdict::kDuplicate)
      << "client 1 was used recently and kept";
  EXPECT_EQ(m.Apply(Index{7}, SessionPut(2, 2, "b")).session, SessionVerdict::kSessionExpired)
      << "client 2 was evicted";
  EXPECT_EQ(m.Get("k"), "e");
}

TEST(KvStateMachine, SessionsSurviveASnapshotAndExpireTheSameWayAfter) {
  KvStateMachine a(/*sessions_max=*/2);
  (void)a.Apply(Index{1}, SessionPut(1, 1, "a"));
  (void)a.Apply(Index{2}, SessionPut(2, 1, "b"));
  KvStateMachine b(/*sessions_max=*/2);
  ASSERT_TRUE(b.Restore(a.Serialize()).ok());
  EXPECT_EQ(b.Apply(Index{3}, SessionPut(2, 1, "b")).session, SessionVerdict::kDuplicate);
  (void)a.Apply(Index{3}, SessionPut(2, 1, "b"));
  for (KvStateMachine* m : {&a, &b}) (void)m->Apply(Index{4}, SessionPut(3, 1, "c"));
  EXPECT_EQ(a.Serialize(), b.Serialize()) << "both evicted client 1, the least recently used";
  EXPECT_EQ(b.Apply(Index{5}, SessionPut(1, 1, "a")).session, SessionVerdict::kApplied);
}

// CommandDigest covers every field: changing any one changes it.
RC_GTEST_PROP(KvCommand, DigestChangesWithEveryField, ()) {
  Command c;
  c.op = *rc::gen::element(Op::kPut, Op::kDelete, Op::kCompareAndSwap, Op::kGet);
  c.client_id = *rc::gen::arbitrary<uint64_t>();
  c.sequence = *rc::gen::arbitrary<uint64_t>();
  c.key = *rc::gen::arbitrary<std::string>();
  c.value = *rc::gen::arbitrary<std::string>();
  c.expected = *rc::gen::arbitrary<std::string>();
  c.expect_absent = *rc::gen::arbitrary<bool>();
  const uint64_t digest = CommandDigest(c);
  RC_ASSERT(digest != 0);
  const std::vector<std::function<void(Command&)>> changes = {
      [](Command& d) { d.op = d.op == Op::kPut ? Op::kDelete : Op::kPut; },
      [](Command& d) { d.client_id++; },
      [](Command& d) { d.sequence++; },
      [](Command& d) { d.key.push_back('\0'); },
      [](Command& d) { d.value.push_back('\0'); },
      [](Command& d) { d.expected.push_back('\0'); },
      [](Command& d) { d.expect_absent = !d.expect_absent; },
      // The same bytes split differently between fields.
      [](Command& d) { d.key += d.value, d.value.clear(); },
  };
  for (const auto& change : changes) {
    Command d = c;
    change(d);
    if (d != c) RC_ASSERT(CommandDigest(d) != digest);
  }
}

TEST(KvCommand, DigestIsPinned) {
  // Computed apart (tests/core/kv_digest_reference.py): replicas on other
  // machines or compilers must agree.
  EXPECT_EQ(CommandDigest(Put("k", "v", 7, 9)), 0xf4fbbd6a2241e129ULL);
  const Command cas{.op = Op::kCompareAndSwap,
                    .client_id = UINT64_MAX,
                    .sequence = 1,
                    .key = "a key of 16 byte",
                    .value = "0123456789abcdefghij",
                    .expected = std::string(9, 'x'),
                    .expect_absent = true};
  EXPECT_EQ(CommandDigest(cas), 0xbb46afb790e8ad25ULL);
}

TEST(KvStateMachine, DigestMatchesForEqualContents) {
  KvStateMachine a, b;
  (void)a.Apply(Index{1}, Put("x", "1"));
  (void)a.Apply(Index{2}, Put("y", "2"));
  (void)b.Apply(Index{1}, Put("y", "2"));
  (void)b.Apply(Index{2}, Put("x", "1"));
  EXPECT_EQ(a.Digest(), b.Digest());
  (void)b.Apply(Index{3}, Put("x", "3"));
  EXPECT_NE(a.Digest(), b.Digest());
}

}  // namespace
}  // namespace raft::kv
