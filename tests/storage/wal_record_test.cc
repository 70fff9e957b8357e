// The on-disk formats, tested as pure functions: WAL records
// (wal_record.h), CRC32C, snapshot files (snapshot_file.h) and the KV state
// machine's snapshot image (KvStateMachine::Serialize / Restore).
//
// Every format must round-trip, and every kind of damage a disk or a crash
// can do (a cut-off write, a flipped byte, a wrong magic) must be rejected
// rather than decoded into something else: recovery relies on these
// functions to tell a torn tail from corruption.
#include "core/storage/wal_record.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/kv/command.h"
#include "core/kv/kv_state_machine.h"
#include "core/storage/crc32c.h"
#include "core/storage/snapshot_file.h"

namespace raft {
namespace {

// Arbitrary bytes, including NUL and high bytes, often empty.
rc::Gen<std::string> GenBytes() {
  return rc::gen::container<std::string>(rc::gen::arbitrary<char>());
}

rc::Gen<Entry> GenEntry() {
  return rc::gen::exec([] {
    Entry e;
    e.term = Term{*rc::gen::arbitrary<uint64_t>()};
    e.index = Index{*rc::gen::arbitrary<uint64_t>()};
    e.type = *rc::gen::element(EntryType::kNormal, EntryType::kNoop);
    e.data = *GenBytes();
    return e;
  });
}

rc::Gen<HardState> GenHardState() {
  return rc::gen::exec([] {
    return HardState{Term{*rc::gen::arbitrary<uint64_t>()}, NodeId{*rc::gen::arbitrary<uint64_t>()},
                     Index{*rc::gen::arbitrary<uint64_t>()}};
  });
}

// One encoded record of a random type, and what it must decode to.
struct EncodedRecord {
  WalRecord want;
  std::string bytes;
};

rc::Gen<EncodedRecord> GenEncodedRecord() {
  return rc::gen::exec([] {
    EncodedRecord r;
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        r.want.type = WalRecordType::kSegmentHeader;
        r.want.header.seq = *rc::gen::arbitrary<uint64_t>();
        r.want.header.first_index = Index{*rc::gen::arbitrary<uint64_t>()};
        EncodeSegmentHeader(r.want.header, r.bytes);
        break;
      case 1:
        r.want.type = WalRecordType::kEntry;
        r.want.entry = *GenEntry();
        EncodeEntry(r.want.entry, r.bytes);
        break;
      case 2:
        r.want.type = WalRecordType::kHardState;
        r.want.hard_state = *GenHardState();
        EncodeHardState(r.want.hard_state, r.bytes);
        break;
      default:
        r.want.type = WalRecordType::kSnapshot;
        r.want.snapshot_index = Index{*rc::gen::arbitrary<uint64_t>()};
        r.want.snapshot_term = Term{*rc::gen::arbitrary<uint64_t>()};
        r.want.snapshot_replaces_log = *rc::gen::arbitrary<bool>();
        EncodeSnapshotMarker(r.want.snapshot_index, r.want.snapshot_term,
                             r.want.snapshot_replaces_log, r.bytes);
        break;
    }
    return r;
  });
}

// The fields of the record's type only (the others are not decoded).
bool SameRecord(const WalRecord& a, const WalRecord& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case WalRecordType::kSegmentHeader:
      return a.header.magic == b.header.magic && a.header.version == b.header.version &&
             a.header.seq == b.header.seq && a.header.first_index == b.header.first_index;
    case WalRecordType::kEntry:
      return a.entry == b.entry;
    case WalRecordType::kHardState:
      return a.hard_state == b.hard_state;
    case WalRecordType::kSnapshot:
      return a.snapshot_index == b.snapshot_index && a.snapshot_term == b.snapshot_term &&
             a.snapshot_replaces_log == b.snapshot_replaces_log;
  }
  return false;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A record framed by hand, so a test can frame a payload the encoders never
// produce. The checksum is correct.
std::string FrameByHand(uint8_t type, const std::string& payload) {
  std::string typed(1, static_cast<char>(type));
  typed += payload;
  std::string out;
  PutU32(out, static_cast<uint32_t>(payload.size()));
  PutU32(out, Crc32c(typed));
  out += typed;
  return out;
}

// ---------------------------------------------------------------------------
// WAL records.

RC_GTEST_PROP(WalRecordProperty, EveryRecordTypeRoundTrips, ()) {
  const EncodedRecord r = *GenEncodedRecord();
  const DecodeResult d = DecodeRecord(r.bytes, 0);
  RC_ASSERT(d.error == DecodeError::kNone);
  RC_ASSERT(d.size == r.bytes.size());
  RC_ASSERT(SameRecord(d.record, r.want));
}

RC_GTEST_PROP(WalRecordProperty, ConcatenatedRecordsDecodeInSequence, ()) {
  const auto records = *rc::gen::container<std::vector<EncodedRecord>>(GenEncodedRecord());
  std::string file;
  for (const EncodedRecord& r : records) file += r.bytes;
  size_t offset = 0;
  for (const EncodedRecord& r : records) {
    const DecodeResult d = DecodeRecord(file, offset);
    RC_ASSERT(d.error == DecodeError::kNone);
    RC_ASSERT(SameRecord(d.record, r.want));
    offset += d.size;
  }
  RC_ASSERT(offset == file.size());
}

// A crash mid-write leaves a prefix of the last record: the reader must see
// it as cut off by the end of the file (a torn tail), never as bad data.
RC_GTEST_PROP(WalRecordProperty, EveryStrictPrefixIsTruncatedNotCorrupt, ()) {
  const EncodedRecord r = *GenEncodedRecord();
  const std::string before = (*GenEncodedRecord()).bytes;  // a valid record first
  const std::string file = before + r.bytes;
  for (size_t cut = before.size(); cut < file.size(); cut++) {
    const DecodeResult d = DecodeRecord(std::string_view(file).substr(0, cut), before.size());
    if (cut - before.size() < kWalRecordHeaderBytes) {
      RC_ASSERT(d.error == DecodeError::kTruncatedHeader);
    } else {
      RC_ASSERT(d.error == DecodeError::kTruncatedPayload);
    }
  }
}

// CRC32C detects every burst error of up to 32 bits, and the length field
// (which it does not cover) can only move the record's end: any single
// damaged byte is caught.
RC_GTEST_PROP(WalRecordProperty, AnySingleFlippedByteFailsToDecode, ()) {
  EncodedRecord r = *GenEncodedRecord();
  const size_t pos = *rc::gen::inRange<size_t>(0, r.bytes.size());
  const auto mask = *rc::gen::inRange<int>(1, 256);
  r.bytes[pos] = static_cast<char>(r.bytes[pos] ^ mask);
  const DecodeResult d = DecodeRecord(r.bytes, 0);
  RC_ASSERT(d.error != DecodeError::kNone);
  RC_ASSERT(d.error != DecodeError::kBadPayload);  // caught by the checksum or length
}

TEST(WalRecord, EntryWithEmptyDataRoundTrips) {
  std::string bytes;
  const Entry e{Term{3}, Index{7}, EntryType::kNoop, ""};
  EncodeEntry(e, bytes);
  EXPECT_EQ(bytes.size(), kWalRecordHeaderBytes + 17);
  const DecodeResult d = DecodeRecord(bytes, 0);
  ASSERT_EQ(d.error, DecodeError::kNone) << DecodeErrorName(d.error);
  EXPECT_EQ(d.record.type, WalRecordType::kEntry);
  EXPECT_EQ(d.record.entry, e);
}

TEST(WalRecord, EntryWithBinaryDataRoundTrips) {
  std::string data;
  for (int i = 0; i < 256; i++) data.push_back(static_cast<char>(i));
  data += std::string(3, '\0');
  const Entry e{Term{UINT64_MAX}, Index{UINT64_MAX}, EntryType::kNormal, data};
  std::string bytes;
  EncodeEntry(e, bytes);
  const DecodeResult d = DecodeRecord(bytes, 0);
  ASSERT_EQ(d.error, DecodeError::kNone) << DecodeErrorName(d.error);
  EXPECT_EQ(d.record.entry, e);
}

TEST(WalRecord, SegmentHeaderCarriesMagicAndVersion) {
  std::string bytes;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion, 9, Index{42}}, bytes);
  const DecodeResult d = DecodeRecord(bytes, 0);
  ASSERT_EQ(d.error, DecodeError::kNone);
  EXPECT_EQ(d.record.type, WalRecordType::kSegmentHeader);
  EXPECT_EQ(d.record.header.magic, kWalMagic);
  EXPECT_EQ(d.record.header.version, kWalVersion);
  EXPECT_EQ(d.record.header.seq, 9u);
  EXPECT_EQ(d.record.header.first_index, Index{42});
}

TEST(WalRecord, LengthOverTheMaximumIsRejectedBeforeReading) {
  std::string bytes;
  PutU32(bytes, kWalRecordBytesMax + 1);
  PutU32(bytes, 0);
  bytes.push_back(static_cast<char>(WalRecordType::kEntry));
  const DecodeResult d = DecodeRecord(bytes, 0);
  EXPECT_EQ(d.error, DecodeError::kBadLength);
  EXPECT_EQ(d.size, 0u);
}

TEST(WalRecord, ChecksumMismatchStillReportsTheFramedSize) {
  std::string bytes;
  EncodeEntry(Entry{Term{1}, Index{1}, EntryType::kNormal, "abc"}, bytes);
  bytes.back() = 'x';
  const DecodeResult d = DecodeRecord(bytes, 0);
  EXPECT_EQ(d.error, DecodeError::kChecksumMismatch);
  EXPECT_EQ(d.size, bytes.size());
  EXPECT_NE(d.crc_expected, d.crc_found);
}

TEST(WalRecord, ValidChecksumOverAMalformedPayloadIsBadPayload) {
  const std::string short_payload(5, 'x');
  EXPECT_EQ(DecodeRecord(FrameByHand(1, short_payload), 0).error, DecodeError::kBadPayload)
      << "segment header of the wrong size";
  EXPECT_EQ(DecodeRecord(FrameByHand(2, short_payload), 0).error, DecodeError::kBadPayload)
      << "entry shorter than its fixed fields";
  std::string entry(17, '\0');
  entry[16] = 7;  // no such entry type
  EXPECT_EQ(DecodeRecord(FrameByHand(2, entry), 0).error, DecodeError::kBadPayload);
  EXPECT_EQ(DecodeRecord(FrameByHand(3, std::string(23, '\0')), 0).error, DecodeError::kBadPayload)
      << "hard state of the wrong size";
  std::string marker(17, '\0');
  marker[16] = 2;  // replaces_log is a bool
  EXPECT_EQ(DecodeRecord(FrameByHand(4, marker), 0).error, DecodeError::kBadPayload);
  EXPECT_EQ(DecodeRecord(FrameByHand(9, ""), 0).error, DecodeError::kBadPayload)
      << "unknown record type";
}

TEST(WalRecord, EmptyInputIsATruncatedHeader) {
  EXPECT_EQ(DecodeRecord("", 0).error, DecodeError::kTruncatedHeader);
  std::string bytes;
  EncodeHardState(HardState{Term{1}, NodeId{2}, Index{3}}, bytes);
  EXPECT_EQ(DecodeRecord(bytes, bytes.size()).error, DecodeError::kTruncatedHeader);
}

// ---------------------------------------------------------------------------
// CRC32C.

// Bit-at-a-time reference, straight from the definition.
uint32_t Crc32cReference(std::string_view data) {
  uint32_t c = 0xffffffffu;
  for (unsigned char ch : data) {
    c ^= ch;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
  }
  return ~c;
}

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);  // RFC 3720 B.4
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32cPortable("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable(std::string(32, '\xff')), 0x62A8AB43u);
}

RC_GTEST_PROP(Crc32cProperty, HardwareAndSlicingBy8MatchTheBitwiseDefinition, ()) {
  const std::string data = *GenBytes();
  RC_ASSERT(Crc32c(data) == Crc32cReference(data));
  RC_ASSERT(Crc32cPortable(data) == Crc32cReference(data));
}

RC_GTEST_PROP(Crc32cProperty, ExtendingACrcEqualsTheCrcOfTheConcatenation, ()) {
  const std::string a = *GenBytes();
  const std::string b = *GenBytes();
  RC_ASSERT(Crc32c(b, Crc32c(a)) == Crc32c(a + b));
}

// ---------------------------------------------------------------------------
// Snapshot files.

rc::Gen<Snapshot> GenSnapshot() {
  return rc::gen::exec([] {
    Snapshot s;
    s.meta.index = Index{*rc::gen::arbitrary<uint64_t>()};
    s.meta.term = Term{*rc::gen::arbitrary<uint64_t>()};
    const auto voters = *rc::gen::container<std::vector<uint64_t>>(rc::gen::arbitrary<uint64_t>());
    for (uint64_t v : voters) s.meta.voters.push_back(NodeId{v});
    s.data = *GenBytes();
    return s;
  });
}

Snapshot SampleSnapshot() {
  return Snapshot{SnapshotMeta{Index{12}, Term{3}, {NodeId{1}, NodeId{2}, NodeId{3}}},
                  std::string("state\0machine", 13)};
}

// Replaces the trailing checksum so a test can damage a field and still get
// past the checksum to the field's own validation.
std::string Reseal(std::string bytes) {
  bytes.resize(bytes.size() - 4);
  PutU32(bytes, Crc32c(bytes));
  return bytes;
}

RC_GTEST_PROP(SnapshotFileProperty, RoundTrips, ()) {
  const Snapshot s = *GenSnapshot();
  Result<Snapshot> d = DecodeSnapshotFile(EncodeSnapshotFile(s));
  RC_ASSERT(d.ok());
  RC_ASSERT(d.value() == s);
}

RC_GTEST_PROP(SnapshotFileProperty, AnyFlippedByteIsCorruption, ()) {
  std::string bytes = EncodeSnapshotFile(*GenSnapshot());
  const size_t pos = *rc::gen::inRange<size_t>(0, bytes.size());
  bytes[pos] = static_cast<char>(bytes[pos] ^ *rc::gen::inRange<int>(1, 256));
  Result<Snapshot> d = DecodeSnapshotFile(bytes);
  RC_ASSERT(!d.ok());
  RC_ASSERT(d.status().code() == StatusCode::kCorruption);
}

TEST(SnapshotFile, EmptyDataRoundTrips) {
  const Snapshot s{SnapshotMeta{Index{1}, Term{1}, {}}, ""};
  Result<Snapshot> d = DecodeSnapshotFile(EncodeSnapshotFile(s));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d.value(), s);
}

TEST(SnapshotFile, BadChecksumIsCorruption) {
  std::string bytes = EncodeSnapshotFile(SampleSnapshot());
  bytes[bytes.size() - 1] ^= 0x01;
  Result<Snapshot> d = DecodeSnapshotFile(bytes);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
  EXPECT_NE(d.status().message().find("checksum mismatch"), std::string::npos)
      << d.status().message();
}

TEST(SnapshotFile, EveryTruncationIsCorruption) {
  const std::string bytes = EncodeSnapshotFile(SampleSnapshot());
  for (size_t cut = 0; cut < bytes.size(); cut++) {
    Result<Snapshot> d = DecodeSnapshotFile(bytes.substr(0, cut));
    ASSERT_FALSE(d.ok()) << "cut at " << cut;
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption) << "cut at " << cut;
  }
}

TEST(SnapshotFile, BadMagicIsCorruptionEvenWithAValidChecksum) {
  std::string bytes = EncodeSnapshotFile(SampleSnapshot());
  bytes[0] ^= 0x20;
  Result<Snapshot> d = DecodeSnapshotFile(Reseal(bytes));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
  EXPECT_NE(d.status().message().find("bad magic"), std::string::npos) << d.status().message();
}

TEST(SnapshotFile, UnsupportedVersionIsCorruption) {
  std::string bytes = EncodeSnapshotFile(SampleSnapshot());
  bytes[8] = 2;  // version u32 follows the u64 magic
  Result<Snapshot> d = DecodeSnapshotFile(Reseal(bytes));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("unsupported version"), std::string::npos)
      << d.status().message();
}

TEST(SnapshotFile, DataLengthDisagreeingWithTheFileIsCorruption) {
  const Snapshot s = SampleSnapshot();
  std::string bytes = EncodeSnapshotFile(s);
  // magic 8 + version 4 + index 8 + term 8 + voter count 4 + voters 8 each.
  const size_t len_at = 32 + 8 * s.meta.voters.size();
  for (const uint8_t len : {uint8_t{0}, uint8_t{12}, uint8_t{14}, uint8_t{255}}) {
    std::string damaged = bytes;
    damaged[len_at] = static_cast<char>(len);
    Result<Snapshot> d = DecodeSnapshotFile(Reseal(damaged));
    ASSERT_FALSE(d.ok()) << "length " << int{len};
    EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
  }
}

TEST(SnapshotFile, VoterCountOverTheLimitIsCorruption) {
  std::string bytes = EncodeSnapshotFile(SampleSnapshot());
  bytes[31] = 0x7f;  // high byte of the voter count
  Result<Snapshot> d = DecodeSnapshotFile(Reseal(bytes));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kCorruption);
}

TEST(SnapshotFile, NameSortsByIndex) {
  EXPECT_EQ(SnapshotFileName(Index{0x1a}, Term{2}), "snap-000000000000001a-0000000000000002.snap");
  EXPECT_LT(SnapshotFileName(Index{9}, Term{100}), SnapshotFileName(Index{10}, Term{1}));
}

}  // namespace

// ---------------------------------------------------------------------------
// The KV state machine's snapshot image.

namespace kv {
namespace {

constexpr uint64_t kClientsMax = 4;

// A random put / delete / cas over a few keys, from no client (0) or one of
// a few sessions; a session command is sometimes a retry of its last one.
struct Script {
  std::vector<Command> commands;
};

Script GenScript() {
  Script s;
  std::map<uint64_t, uint64_t> next_seq;
  std::map<uint64_t, Command> last;
  const int n = *rc::gen::inRange(0, 60);
  for (int i = 0; i < n; i++) {
    Command c;
    c.op = *rc::gen::element(Op::kPut, Op::kDelete, Op::kCompareAndSwap);
    c.key = *rc::gen::element<std::string>("a", "b", "c", std::string("\0k", 2));
    c.value = *GenBytes();
    c.expected = *rc::gen::element<std::string>("", "x", "y");
    c.expect_absent = *rc::gen::arbitrary<bool>();
    c.client_id = *rc::gen::inRange<uint64_t>(0, kClientsMax + 1);
    if (c.client_id != 0) {
      uint64_t& seq = next_seq[c.client_id];
      // A retry repeats the last command, or (a client's bug) sends another
      // one with its sequence.
      const bool retry = seq > 0 && *rc::gen::inRange(0, 4) == 0;
      if (retry && *rc::gen::arbitrary<bool>()) c = last[c.client_id];
      if (!retry) seq++;
      c.sequence = seq;
      last[c.client_id] = c;
    }
    s.commands.push_back(std::move(c));
  }
  return s;
}

KvStateMachine Run(const Script& s) {
  KvStateMachine m;
  uint64_t index = 0;
  for (const Command& c : s.commands) m.Apply(Index{++index}, c);
  return m;
}

RC_GTEST_PROP(KvSnapshotProperty, RestoredMachineIsIndistinguishable, ()) {
  const Script script = GenScript();
  KvStateMachine original = Run(script);
  KvStateMachine restored;
  restored.Apply(Index{1}, Command{Op::kPut, 0, 0, "stale", "state"});
  const Status s = restored.Restore(original.Serialize());
  RC_ASSERT(s.ok());
  RC_ASSERT(restored.Digest() == original.Digest());
  RC_ASSERT(restored.data() == original.data());
  RC_ASSERT(restored.applied() == original.applied());
  RC_ASSERT(restored.Serialize() == original.Serialize());

  // Every session's last command, retried after the restore, is answered
  // from the restored session exactly as the original answers it.
  std::map<uint64_t, Command> last;
  for (const Command& c : script.commands) {
    if (c.client_id != 0) last[c.client_id] = c;
  }
  Index next = original.applied().Next();
  for (const auto& [client, c] : last) {
    const ApplyResult want = original.Apply(next, c);
    const ApplyResult got = restored.Apply(next, c);
    RC_ASSERT(want.session != SessionVerdict::kApplied);
    RC_ASSERT(got == want);
    next = next.Next();
  }
  // And new commands keep agreeing.
  const Command fresh{Op::kCompareAndSwap, 1, 1000, "a", "new", "x", false};
  RC_ASSERT(restored.Apply(next, fresh) == original.Apply(next, fresh));
  RC_ASSERT(restored.Digest() == original.Digest());
}

RC_GTEST_PROP(KvSnapshotProperty, EveryStrictPrefixOfAnImageIsRejected, ()) {
  const std::string image = Run(GenScript()).Serialize();
  KvStateMachine m;
  m.Apply(Index{1}, Command{Op::kPut, 0, 0, "keep", "me"});
  const uint64_t digest = m.Digest();
  for (size_t cut = 0; cut < image.size(); cut++) {
    const Status s = m.Restore(image.substr(0, cut));
    RC_ASSERT(s.code() == StatusCode::kCorruption);
  }
  RC_ASSERT(m.Digest() == digest);  // a failed restore changes nothing
  RC_ASSERT(m.applied() == Index{1});
}

// A failed restore refuses cleanly and leaves the machine as it was.
RC_GTEST_PROP(KvSnapshotProperty, ArbitraryBytesRestoreOrFailCleanly, ()) {
  const std::string junk = *GenBytes();
  KvStateMachine m;
  m.Apply(Index{1}, Command{Op::kPut, 7, 1, "k", "v"});
  m.Apply(Index{2}, Command{Op::kPut, 0, 0, "other", "w"});
  const std::string before = m.Serialize();
  const Status s = m.Restore(junk);
  RC_ASSERT(s.ok() || s.code() == StatusCode::kCorruption);
  if (!s.ok()) {
    RC_ASSERT(m.Serialize() == before);
    RC_ASSERT(m.applied() == Index{2});
    RC_ASSERT(m.Get("k") == std::optional<std::string>("v"));
  }
}

TEST(KvSnapshot, TrailingBytesAreCorruption) {
  KvStateMachine m;
  m.Apply(Index{1}, Command{Op::kPut, 7, 1, "k", "v"});
  KvStateMachine other;
  EXPECT_EQ(other.Restore(m.Serialize() + "x").code(), StatusCode::kCorruption);
}

TEST(KvSnapshot, UnknownVersionIsCorruption) {
  KvStateMachine m;
  for (char version : {0, 1, 4}) {
    std::string image = m.Serialize();
    image[0] = version;
    KvStateMachine other;
    const Status s = other.Restore(image);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << int{version};
    EXPECT_NE(s.message().find("malformed"), std::string::npos) << s.message();
  }
}

TEST(KvSnapshot, HugeCountsFailWithoutAllocating) {
  std::string image(1, '\x03');
  image += std::string(8, '\0');    // applied
  image += std::string(8, '\xff');  // pair count 2^64 - 1
  KvStateMachine m;
  EXPECT_EQ(m.Restore(image).code(), StatusCode::kCorruption);
  std::string sessions(1, '\x03');
  sessions += std::string(8, '\0');    // applied
  sessions += std::string(8, '\0');    // no pairs
  sessions += std::string(8, '\xff');  // session count 2^64 - 1
  EXPECT_EQ(m.Restore(sessions).code(), StatusCode::kCorruption);
}

TEST(KvSnapshot, EmptyMachineRoundTrips) {
  KvStateMachine m;
  KvStateMachine other;
  ASSERT_TRUE(other.Restore(m.Serialize()).ok());
  EXPECT_EQ(other.size(), 0u);
  EXPECT_EQ(other.applied(), Index{});
  EXPECT_EQ(other.Digest(), m.Digest());
}

}  // namespace
}  // namespace kv
}  // namespace raft
