// CheckInbound: the trust boundary in front of Raft::Step. Every message
// that arrives from a peer is checked here, against what the receiver knows,
// before Raft sees it. Raft's assertions are statements about Raft's own
// state; they assume well-formed input, and this check is what makes that
// assumption true for bytes that came off a wire.
//
// A refused message is dropped. The verdict names the reason, so the host
// can count refusals per reason and log them at a limited rate; the node goes
// on. Nothing here changes Raft's state.
//
// What is refused (everything else is legal Raft, even when stale: Raft
// itself drops stale messages):
//   - structure: local message types, a sender that is not another voter, a
//     receiver that is not this node;
//   - numbers: term 0, and terms or indexes above kWireNumberMax, so that no
//     +1 in Raft can overflow and no index range can wrap;
//   - AppendEntries: entries not contiguous after (index, log_term), entry
//     terms decreasing, below log_term or above the message term, normal
//     entries whose command does not decode (Config::command_ok), so nothing
//     undecodable can be appended, let alone committed;
//   - leader-only messages (AppendEntries, heartbeats, snapshots, TimeoutNow)
//     at our term from a node other than the leader we know for it: a term
//     has at most one leader, and we are it or we follow it;
//   - responses to requests never sent: a leader's acknowledgements of
//     indexes past its last one, granted votes for a term not asked about
//     or at our term when we did not stand in it;
//   - snapshot chunks with impossible metadata or byte ranges;
//   - TimeoutNow at a term other than ours (it never moves a term).
//
// Threading: a pure function of its arguments; call it on the thread that
// owns the Raft instance, right before Step.
#pragma once

#include <cstdint>

#include "core/message.h"
#include "core/raft.h"

namespace raft {

// Terms and indexes a healthy cluster never reaches (2^62): at one election
// per microsecond a cluster needs 146,000 years to get there.
inline constexpr uint64_t kWireNumberMax = uint64_t{1} << 62;
// The largest snapshot image a follower accepts (16 GiB).
inline constexpr uint64_t kSnapshotBytesMax = uint64_t{16} << 30;

enum class InboundVerdict : uint8_t {
  kAccepted,
  // Legal but stale, and harmful to step: dropped quietly, not counted as
  // refused input (e.g. a late pre-vote grant from an earlier pre-campaign).
  kStale,
  kLocalType,            // a type that only the node itself may produce
  kWrongReceiver,        // not addressed to this node
  kUnknownSender,        // not another voter of this cluster
  kBadTerm,              // 0, or above kWireNumberMax
  kBadIndex,             // an index or log term above kWireNumberMax
  kMalformedEntries,     // not contiguous, or terms out of order
  kUndecodableCommand,   // a normal entry the state machine cannot decode
  kNotFromLeader,        // a leader's message from a node that is not our term's leader
  kUnsolicitedResponse,  // an answer to a request this node never sent
  kIndexPastLog,         // acknowledges entries this node does not have
  kBadVoteGrant,         // a granted vote for a term that was not asked about
  kBadSnapshot,          // impossible snapshot metadata or chunk range
  kBadTimeoutNow,        // TimeoutNow not from our term's leader
};

// A short snake_case name, for counters and logs.
const char* InboundVerdictName(InboundVerdict verdict);

InboundVerdict CheckInbound(const Raft& raft, const Message& m);

}  // namespace raft
