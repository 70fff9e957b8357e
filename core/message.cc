#include "core/message.h"

namespace raft {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kHup:
      return "Hup";
    case MessageType::kBeat:
      return "Beat";
    case MessageType::kCheckQuorum:
      return "CheckQuorum";
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendResp:
      return "AppendResp";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResp:
      return "VoteResp";
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResp:
      return "PreVoteResp";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResp:
      return "HeartbeatResp";
    case MessageType::kSnapshot:
      return "Snapshot";
    case MessageType::kSnapshotResp:
      return "SnapshotResp";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
  }
  return "Unknown";
}

bool IsLocalMessage(MessageType type) {
  return type == MessageType::kHup || type == MessageType::kBeat ||
         type == MessageType::kCheckQuorum;
}

bool IsResponseMessage(MessageType type) {
  return type == MessageType::kAppendResp || type == MessageType::kVoteResp ||
         type == MessageType::kPreVoteResp || type == MessageType::kHeartbeatResp ||
         type == MessageType::kSnapshotResp;
}

}  // namespace raft
