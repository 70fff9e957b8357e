// Fuzz target: the snapshot reader (core/storage/snapshot_file.h) and the
// key-value image inside it (kv::KvStateMachine::Restore).
//
// The input is tried as a snapshot file twice: as it is, and with a valid
// checksum appended (so the fuzzer explores the header and voter parsing
// behind the CRC it cannot forge). A file that decodes must re-encode to the
// same bytes. The input, and the data of any file that decodes, is then
// restored as a key-value image: a restore may refuse, but what it accepts
// must serialize to an image that restores to the same state.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/assert.h"
#include "core/byte_codec.h"
#include "core/kv/kv_state_machine.h"
#include "core/storage/crc32c.h"
#include "core/storage/snapshot_file.h"

namespace raft {
namespace {

void RestoreImage(const std::string& image) {
  kv::KvStateMachine kv;
  if (!kv.Restore(image).ok()) return;
  const std::string serialized = kv.Serialize();
  kv::KvStateMachine again;
  RAFT_ASSERT_MSG(again.Restore(serialized).ok(), "a restored image re-serializes unreadably");
  RAFT_ASSERT(again.applied() == kv.applied());
  RAFT_ASSERT(again.data() == kv.data());
  RAFT_ASSERT(again.sessions() == kv.sessions());
  RAFT_ASSERT_MSG(again.Serialize() == serialized, "image serialization is not stable");
}

void DecodeFile(const std::string& bytes) {
  Result<Snapshot> snapshot = DecodeSnapshotFile(bytes);
  if (!snapshot.ok()) return;
  RAFT_ASSERT_MSG(EncodeSnapshotFile(snapshot.value()) == bytes,
                  "a decoded snapshot file does not re-encode to its bytes");
  RestoreImage(snapshot.value().data);
}

}  // namespace
}  // namespace raft

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  raft::DecodeFile(bytes);
  std::string sealed = bytes;
  raft::PutU32(sealed, raft::Crc32c(bytes));
  raft::DecodeFile(sealed);
  raft::RestoreImage(bytes);
  return 0;
}
