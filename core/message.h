// The values that cross the core's boundary: log entries, persistent and
// volatile state, snapshots and the messages nodes exchange. The core never
// serializes them; net/ and sim/ own the wire formats.
//
// Threading: plain values.
#pragma once

#include <string>
#include <vector>

#include "core/types.h"

namespace raft {

enum class EntryType : uint8_t {
  kNormal = 0,  // a client command for the state machine
  kNoop = 1,    // appended by a new leader to commit entries of older terms
};

struct Entry {
  Term term;
  Index index;
  EntryType type = EntryType::kNormal;
  std::string data;
  friend bool operator==(const Entry&, const Entry&) = default;
};

// State that must be durable before any message that depends on it is sent
// (Figure 2, "Persistent state on all servers"). commit is persisted too so a
// restart can re-apply without waiting for a leader; it is a hint, not a
// promise (the log decides what is committed).
struct HardState {
  Term term;
  NodeId vote;
  Index commit;
  bool IsEmpty() const { return term == Term{} && vote.IsNone() && commit == Index{}; }
  friend bool operator==(const HardState&, const HardState&) = default;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);

// Volatile state reported to the host for status pages and routing.
struct SoftState {
  Role role = Role::kFollower;
  NodeId leader;
  friend bool operator==(const SoftState&, const SoftState&) = default;
};

struct SnapshotMeta {
  Index index;  // last log index covered by the snapshot
  Term term;    // term of that entry
  std::vector<NodeId> voters;
  friend bool operator==(const SnapshotMeta&, const SnapshotMeta&) = default;
};

struct Snapshot {
  SnapshotMeta meta;
  std::string data;  // opaque state machine image
  bool IsEmpty() const { return meta.index == Index{}; }
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

enum class MessageType : uint8_t {
  // Local inputs, never sent over the wire.
  kHup,          // start an election (PreVote first when enabled)
  kBeat,         // leader: broadcast heartbeats now
  kCheckQuorum,  // leader: step down unless a quorum was heard from recently
  // Wire messages.
  kAppend,  // AppendEntries RPC
  kAppendResp,
  kVote,  // RequestVote RPC
  kVoteResp,
  kPreVote,  // RequestVote with "would you vote", no term change
  kPreVoteResp,
  kHeartbeat,  // empty AppendEntries carrying only commit and read context
  kHeartbeatResp,
  kSnapshot,  // InstallSnapshot RPC: one chunk of a snapshot
  kSnapshotResp,
  kTimeoutNow,  // leadership transfer: start an election immediately
};
const char* MessageTypeName(MessageType type);
bool IsLocalMessage(MessageType type);
bool IsResponseMessage(MessageType type);

struct Message {
  MessageType type = MessageType::kHup;
  NodeId from;
  NodeId to;
  Term term;  // sender's term; 0 for local messages

  // kAppend: (index, log_term) identify the entry preceding `entries`.
  // kVote/kPreVote: (index, log_term) are the candidate's last entry.
  // kAppendResp: index is the highest index known to match, or on reject the
  // rejected probe index.
  Index index;
  Term log_term;
  std::vector<Entry> entries;
  Index commit;

  // Responses: reject is true when the request was refused.
  bool reject = false;
  // kAppendResp rejection hint (fast backtracking): the follower's term at
  // the conflicting index and the first index it holds of that term, or when
  // its log is too short, hint_term 0 and hint_index = its last index + 1.
  Term hint_term;
  Index hint_index;

  // kHeartbeat / kHeartbeatResp: ReadIndex round identifier, echoed back.
  uint64_t context = 0;

  // kAppendResp / kHeartbeatResp / kSnapshotResp from a node repairing a
  // damaged log (raft.h, "Repair"): the leader uses it to replicate but
  // counts it toward no quorum (commit, reads, check-quorum).
  bool repairing = false;

  // kSnapshot: snapshot.meta names the snapshot and snapshot.data holds the
  // chunk [snapshot_offset, snapshot_offset + size) of snapshot_total_bytes.
  // kSnapshotResp: index is the snapshot's index and snapshot_offset the
  // number of bytes the follower holds (the next offset it expects).
  Snapshot snapshot;
  uint64_t snapshot_offset = 0;
  uint64_t snapshot_total_bytes = 0;
};

}  // namespace raft
