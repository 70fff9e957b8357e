// Fuzz target: the state machine's command decoder (core/kv/command.h).
// Every committed log entry goes through kv::Decode on every replica, so it
// must refuse any bytes cleanly, and whatever it accepts must survive a
// round trip: Encode(Decode(x)) decodes to the same command.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/assert.h"
#include "core/kv/command.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  raft::Result<raft::kv::Command> decoded = raft::kv::Decode(bytes);
  if (!decoded.ok()) return 0;
  const std::string encoded = raft::kv::Encode(decoded.value());
  raft::Result<raft::kv::Command> again = raft::kv::Decode(encoded);
  RAFT_ASSERT_MSG(again.ok(), "a decoded command re-encodes to bytes that do not decode");
  RAFT_ASSERT_MSG(again.value() == decoded.value(), "command round trip changed the command");
  RAFT_ASSERT_MSG(raft::kv::Encode(again.value()) == encoded, "command encoding is not stable");
  (void)raft::kv::OpName(decoded.value().op);
  return 0;
}
