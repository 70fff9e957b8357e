// Config: everything a Raft instance is told at construction. All timing is
// in ticks; the host decides how long a tick is.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/message.h"
#include "core/status.h"
#include "core/types.h"

namespace raft {

struct Config {
  NodeId id;
  // Voters when storage holds none (a fresh cluster). Ignored on restart.
  std::vector<NodeId> voters;
  // A follower starts an election after a random timeout in
  // [election_ticks, 2 * election_ticks).
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  // Index already applied by the host's state machine (on restart).
  Index applied;
  uint64_t append_bytes_max = 1 << 20;  // per AppendEntries message
  uint64_t committed_bytes_per_ready_max = 4 << 20;
  size_t inflight_msgs_max = 256;               // per follower window
  uint64_t snapshot_chunk_bytes_max = 1 << 20;  // InstallSnapshot chunk size

  // The application's payload checks (its command and snapshot decoders).
  // What fails is refused before it enters the log or replaces any state:
  // a proposal that does not decode is refused at Propose, an append that
  // carries one is refused at the edge (message_validator.h), a received
  // snapshot whose image does not parse, or does not end where its
  // metadata says, is dropped before it is installed. So nothing
  // undecodable can ever commit. Null accepts everything.
  bool (*command_ok)(const std::string& data) = nullptr;
  bool (*snapshot_ok)(const Snapshot& snapshot) = nullptr;

  Status Validate() const;
};

}  // namespace raft
