#include "core/config.h"

namespace raft {

Status Config::Validate() const {
  if (id.IsNone()) return Status::Error(StatusCode::kInvalidArgument, "id must be non-zero");
  if (heartbeat_ticks <= 0) {
    return Status::Error(StatusCode::kInvalidArgument, "heartbeat_ticks must be positive");
  }
  if (election_ticks <= heartbeat_ticks) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "election_ticks must be greater than heartbeat_ticks");
  }
  if (inflight_msgs_max == 0) {
    return Status::Error(StatusCode::kInvalidArgument, "inflight_msgs_max must be positive");
  }
  if (append_bytes_max == 0 || committed_bytes_per_ready_max == 0 ||
      snapshot_chunk_bytes_max == 0) {
    return Status::Error(StatusCode::kInvalidArgument, "byte limits must be positive");
  }
  return Status::Ok();
}

}  // namespace raft
