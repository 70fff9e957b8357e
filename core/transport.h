// Transport: how a Replica hands messages to its peers. SimNetwork and the
// gRPC peer transport implement it. Delivery is best effort: Raft tolerates
// loss, duplication and reordering, so Send never reports failure.
//
// Threading: called only from the node's event loop.
#pragma once

#include "core/message.h"

namespace raft {

class Transport {
 public:
  virtual ~Transport() = default;
  virtual void Send(Message m) = 0;
};

}  // namespace raft
