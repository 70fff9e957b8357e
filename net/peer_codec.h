// Peer codec: core Messages <-> the PeerMessage wire form (proto/raft.proto).
// The core never serializes; this is the real world's only encoding of Raft
// traffic. Decoding validates what a peer could get wrong (an unknown or
// local-only message type, an unknown entry type) so a bad frame is dropped
// at the edge instead of reaching the protocol.
//
// Threading: pure functions.
#pragma once

#include "core/message.h"
#include "core/status.h"
#include "proto/raft.pb.h"

namespace raft::net {

void EncodeMessage(const Message& m, PeerMessage* out);
// Moves the entries' and snapshot's bytes out of `in`.
Result<Message> DecodeMessage(PeerMessage& in);

}  // namespace raft::net
