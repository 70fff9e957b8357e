#include "core/message_validator.h"

#include <algorithm>

namespace raft {

namespace {

using V = InboundVerdict;

bool Absurd(uint64_t n) { return n > kWireNumberMax; }

bool IsVoter(const Raft& raft, NodeId id) {
  return std::binary_search(raft.voters().begin(), raft.voters().end(), id);
}

// Leader-only messages at our term must come from our term's one leader.
bool FromThisTermsLeader(const Raft& raft, const Message& m) {
  if (m.term != raft.term()) return true;  // another term: Raft reconciles it
  if (raft.role() == Role::kLeader) return false;
  return raft.leader().IsNone() || raft.leader() == m.from;
}

// Answers to a leader's requests that reach a node which no longer leads
// (or never led) this term change nothing in Raft: they are dropped as
// stale, not refused. (Among them is the empty AppendResp by which a node
// tells a stale leader of a newer term, when the news arrived first another
// way.) Only the leader acts on them, so only the leader checks them.

V CheckEntries(const Raft& raft, const Message& m) {
  Index expected = m.index.Next();
  Term previous = m.log_term;
  for (const Entry& e : m.entries) {
    if (e.index != expected || e.term < previous || e.term > m.term) return V::kMalformedEntries;
    if (e.type == EntryType::kNormal && raft.config().command_ok != nullptr &&
        !raft.config().command_ok(e.data)) {
      return V::kUndecodableCommand;
    }
    expected = expected.Next();
    previous = e.term;
  }
  return V::kAccepted;
}

V CheckAppend(const Raft& raft, const Message& m) {
  if (Absurd(m.index.value) || Absurd(m.commit.value)) return V::kBadIndex;
  if (m.log_term > m.term) return V::kBadTerm;
  if (m.entries.size() > kWireNumberMax - m.index.value) return V::kBadIndex;
  if (!FromThisTermsLeader(raft, m)) return V::kNotFromLeader;
  return CheckEntries(raft, m);
}

V CheckAppendResponse(const Raft& raft, const Message& m) {
  if (Absurd(m.index.value) || Absurd(m.hint_index.value) || Absurd(m.hint_term.value)) {
    return V::kBadIndex;
  }
  if (m.term != raft.term()) return V::kAccepted;  // stale, or news of a newer term
  if (raft.role() != Role::kLeader) return V::kStale;
  // We never sent an append past our last index, so no one can match past it.
  if (m.index > raft.log().LastIndex()) return V::kIndexPastLog;
  return V::kAccepted;
}

V CheckVoteResponse(const Raft& raft, const Message& m) {
  if (m.reject) return V::kAccepted;  // a refusal may carry a newer term
  if (m.type == MessageType::kPreVoteResp) {
    // A pre-vote is asked for our term + 1 and granted by echoing it. A
    // grant at or below our term is left over from an earlier pre-campaign
    // (Raft would count it as if it were for this one); one above was
    // never asked for.
    if (m.term <= raft.term()) return V::kStale;
    return m.term == raft.term().Next() ? V::kAccepted : V::kBadVoteGrant;
  }
  if (m.term < raft.term()) return V::kAccepted;  // stale: Raft drops it
  if (m.term > raft.term()) return V::kBadVoteGrant;
  return raft.vote() == raft.id() ? V::kAccepted : V::kUnsolicitedResponse;
}

V CheckSnapshot(const Raft& raft, const Message& m) {
  const SnapshotMeta& meta = m.snapshot.meta;
  if (meta.index == Index{} || Absurd(meta.index.value) || meta.term == Term{} ||
      meta.term > m.term) {
    return V::kBadSnapshot;
  }
  if (meta.voters.empty() ||
      std::any_of(meta.voters.begin(), meta.voters.end(), [](NodeId v) { return v.IsNone(); })) {
    return V::kBadSnapshot;
  }
  if (m.snapshot_total_bytes > kSnapshotBytesMax || m.snapshot_offset > m.snapshot_total_bytes ||
      m.snapshot.data.size() > m.snapshot_total_bytes - m.snapshot_offset) {
    return V::kBadSnapshot;
  }
  if (!FromThisTermsLeader(raft, m)) return V::kNotFromLeader;
  return V::kAccepted;
}

V CheckSnapshotResponse(const Raft& raft, const Message& m) {
  if (Absurd(m.index.value) || m.snapshot_offset > kSnapshotBytesMax) return V::kBadSnapshot;
  if (m.term != raft.term()) return V::kAccepted;
  return raft.role() == Role::kLeader ? V::kAccepted : V::kStale;
}

}  // namespace

const char* InboundVerdictName(InboundVerdict verdict) {
  switch (verdict) {
    case V::kAccepted:
      return "accepted";
    case V::kStale:
      return "stale";
    case V::kLocalType:
      return "local_type";
    case V::kWrongReceiver:
      return "wrong_receiver";
    case V::kUnknownSender:
      return "unknown_sender";
    case V::kBadTerm:
      return "bad_term";
    case V::kBadIndex:
      return "bad_index";
    case V::kMalformedEntries:
      return "malformed_entries";
    case V::kUndecodableCommand:
      return "undecodable_command";
    case V::kNotFromLeader:
      return "not_from_leader";
    case V::kUnsolicitedResponse:
      return "unsolicited_response";
    case V::kIndexPastLog:
      return "index_past_log";
    case V::kBadVoteGrant:
      return "bad_vote_grant";
    case V::kBadSnapshot:
      return "bad_snapshot";
    case V::kBadTimeoutNow:
      return "bad_timeout_now";
  }
  return "unknown";
}

InboundVerdict CheckInbound(const Raft& raft, const Message& m) {
  if (IsLocalMessage(m.type)) return V::kLocalType;
  if (m.to != raft.id()) return V::kWrongReceiver;
  if (m.from == raft.id() || !IsVoter(raft, m.from)) return V::kUnknownSender;
  if (m.term == Term{} || Absurd(m.term.value)) return V::kBadTerm;
  switch (m.type) {
    case MessageType::kAppend:
      return CheckAppend(raft, m);
    case MessageType::kAppendResp:
      return CheckAppendResponse(raft, m);
    case MessageType::kVote:
    case MessageType::kPreVote:
      if (Absurd(m.index.value)) return V::kBadIndex;
      return m.log_term > m.term ? V::kBadTerm : V::kAccepted;
    case MessageType::kVoteResp:
    case MessageType::kPreVoteResp:
      return CheckVoteResponse(raft, m);
    case MessageType::kHeartbeat:
      if (Absurd(m.commit.value)) return V::kBadIndex;
      return FromThisTermsLeader(raft, m) ? V::kAccepted : V::kNotFromLeader;
    case MessageType::kHeartbeatResp:
      if (m.term != raft.term()) return V::kAccepted;
      return raft.role() == Role::kLeader ? V::kAccepted : V::kStale;
    case MessageType::kSnapshot:
      return CheckSnapshot(raft, m);
    case MessageType::kSnapshotResp:
      return CheckSnapshotResponse(raft, m);
    case MessageType::kTimeoutNow:
      // Leadership transfer is asked by the current leader, of a follower
      // that is up to date in the leader's term: it never moves a term.
      if (m.term != raft.term() || raft.role() == Role::kLeader || raft.leader() != m.from) {
        return V::kBadTimeoutNow;
      }
      return V::kAccepted;
    case MessageType::kHup:
    case MessageType::kBeat:
    case MessageType::kCheckQuorum:
      break;
  }
  return V::kLocalType;
}

}  // namespace raft
