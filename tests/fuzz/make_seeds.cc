// Writes the fuzz targets' seed corpora: a handful of valid inputs per
// target, made with the project's own encoders so they stay in step with
// the formats. Usage: make_fuzz_seeds <corpus dir> (tests/fuzz/corpus);
// writes <dir>/<target>/<name> and replaces files of the same name.
//
// Threading: single-threaded.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/kv/command.h"
#include "core/kv/kv_state_machine.h"
#include "core/message.h"
#include "core/storage/snapshot_file.h"
#include "core/storage/wal_record.h"
#include "net/peer_codec.h"
#include "proto/raft.pb.h"

namespace raft {
namespace {

std::filesystem::path root;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  const std::filesystem::path dir = root / target;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
  std::printf("%s/%s: %zu bytes\n", target.c_str(), name.c_str(), bytes.size());
}

kv::Command Put(uint64_t sequence) {
  return kv::Command{.op = kv::Op::kPut,
                     .client_id = 7,
                     .sequence = sequence,
                     .key = "k" + std::to_string(sequence),
                     .value = "v"};
}

void CommandSeeds() {
  Write("command", "put", kv::Encode(Put(1)));
  Write("command", "delete", kv::Encode(kv::Command{.op = kv::Op::kDelete, .key = "k"}));
  Write("command", "cas",
        kv::Encode(kv::Command{.op = kv::Op::kCompareAndSwap,
                               .client_id = 9,
                               .sequence = 3,
                               .key = "k",
                               .value = "new",
                               .expected = "old"}));
  Write("command", "cas-absent",
        kv::Encode(kv::Command{
            .op = kv::Op::kCompareAndSwap, .key = "k", .value = "v", .expect_absent = true}));
  Write("command", "get", kv::Encode(kv::Command{.op = kv::Op::kGet, .key = "k"}));
}

void WalSeeds() {
  std::string segment;
  EncodeSegmentHeader(SegmentHeader{.seq = 1, .first_index = Index{1}}, segment);
  for (uint64_t i = 1; i <= 3; i++) {
    EncodeEntry(Entry{Term{1}, Index{i}, EntryType::kNormal, kv::Encode(Put(i))}, segment);
  }
  EncodeHardState(HardState{Term{1}, NodeId{1}, Index{2}}, segment);
  Write("wal_record", "segment", segment);
  std::string noop = segment;
  EncodeEntry(Entry{Term{2}, Index{4}, EntryType::kNoop, ""}, noop);
  noop.append(64, '\0');  // preallocated, unwritten tail
  Write("wal_record", "segment-zero-tail", noop);
  std::string marker;
  EncodeSegmentHeader(SegmentHeader{.seq = 1, .first_index = Index{1}}, marker);
  EncodeSnapshotMarker(Index{5}, Term{2}, true, marker);
  Write("wal_record", "snapshot-marker", marker);
  std::string torn = segment.substr(0, segment.size() - 5);
  Write("wal_record", "torn-tail", torn);
}

std::string Image(uint64_t puts) {
  kv::KvStateMachine kv;
  for (uint64_t i = 1; i <= puts; i++) (void)kv.Apply(Index{i}, Put(i));
  return kv.Serialize();
}

void SnapshotSeeds() {
  Snapshot s;
  s.meta = SnapshotMeta{Index{3}, Term{1}, {NodeId{1}, NodeId{2}, NodeId{3}}};
  s.data = Image(3);
  Write("snapshot_file", "three-puts.snap", EncodeSnapshotFile(s));
  s.meta.voters = {NodeId{1}};
  s.data = Image(0);
  Write("snapshot_file", "empty.snap", EncodeSnapshotFile(s));
  Write("snapshot_file", "image-three-puts", Image(3));
}

// Messages that the fuzz cluster (fuzz_peer_message.cc) accepts: node 1
// leads term 2 with entries 1..5 (3 puts of term 1, a no-op and a put of
// term 2) committed on nodes 1 and 2; node 3 holds 1..4 and is cut off, and
// the leader snapshotted at 5 and compacted its log.
Message Msg(MessageType type, uint64_t from, uint64_t to, uint64_t term) {
  Message m;
  m.type = type;
  m.from = NodeId{from};
  m.to = NodeId{to};
  m.term = Term{term};
  return m;
}

void PeerSeeds() {
  std::vector<Message> messages;
  Message append = Msg(MessageType::kAppend, 1, 2, 2);
  append.index = Index{5};
  append.log_term = Term{2};
  append.commit = Index{5};
  append.entries.push_back(Entry{Term{2}, Index{6}, EntryType::kNormal, kv::Encode(Put(6))});
  messages.push_back(append);
  Message ack = Msg(MessageType::kAppendResp, 2, 1, 2);
  ack.index = Index{5};
  messages.push_back(ack);
  // Node 3 (cut off, entries 1..4) answers a heartbeat: the leader starts
  // sending it the snapshot at 5; node 3 acknowledges every byte.
  messages.push_back(Msg(MessageType::kHeartbeatResp, 3, 1, 2));
  Message snapshot_ack = Msg(MessageType::kSnapshotResp, 3, 1, 2);
  snapshot_ack.index = Index{5};
  snapshot_ack.snapshot_offset = Image(5).size();
  messages.push_back(snapshot_ack);
  Message heartbeat = Msg(MessageType::kHeartbeat, 1, 3, 2);
  heartbeat.commit = Index{4};
  heartbeat.context = 1;
  messages.push_back(heartbeat);
  Message pre_vote = Msg(MessageType::kPreVote, 3, 2, 3);
  pre_vote.index = Index{5};
  pre_vote.log_term = Term{2};
  messages.push_back(pre_vote);
  Message vote = Msg(MessageType::kVote, 3, 1, 3);
  vote.index = Index{5};
  vote.log_term = Term{2};
  messages.push_back(vote);
  Message snapshot = Msg(MessageType::kSnapshot, 1, 3, 2);
  snapshot.snapshot.meta = SnapshotMeta{Index{5}, Term{2}, {NodeId{1}, NodeId{2}, NodeId{3}}};
  snapshot.snapshot.data = Image(5);
  snapshot.snapshot_total_bytes = snapshot.snapshot.data.size();
  messages.push_back(snapshot);
  messages.push_back(Msg(MessageType::kTimeoutNow, 1, 2, 2));

  PeerBatch all;
  for (const Message& m : messages) {
    PeerBatch one;
    net::EncodeMessage(m, one.add_messages());
    net::EncodeMessage(m, all.add_messages());
    Write("peer_message", MessageTypeName(m.type), one.SerializeAsString());
  }
  Write("peer_message", "batch", all.SerializeAsString());
}

}  // namespace
}  // namespace raft

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  raft::root = argv[1];
  raft::CommandSeeds();
  raft::WalSeeds();
  raft::SnapshotSeeds();
  raft::PeerSeeds();
  return 0;
}
