// Command: a key-value operation as it travels through the Raft log. The
// encoding is a small fixed little-endian layout so that every node, in
// either world, applies byte-identical commands:
//
//   u8 version(=1) u8 op u64 client_id u64 sequence
//   u32 key_len key u32 value_len value u32 expected_len expected
//   u8 flags (bit 0: expect_absent)
//
// client_id 0 means "no session" (no exactly-once dedup).
//
// Threading: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace raft::kv {

enum class Op : uint8_t { kPut = 1, kDelete = 2, kCompareAndSwap = 3, kGet = 4 };
const char* OpName(Op op);

struct Command {
  Op op = Op::kPut;
  uint64_t client_id = 0;
  uint64_t sequence = 0;
  std::string key;
  std::string value;           // kPut, kCompareAndSwap: the new value
  std::string expected;        // kCompareAndSwap: required current value
  bool expect_absent = false;  // kCompareAndSwap: require the key be absent
  friend bool operator==(const Command&, const Command&) = default;
};

std::string Encode(const Command& c);
Result<Command> Decode(const std::string& bytes);
// Whether Decode would succeed, without copying the command's strings.
bool Decodes(std::string_view bytes);

// A 64-bit digest of the command's canonical fields: the encoding's fields
// in its order (version, op and flags in one word; client_id; sequence;
// key, value, expected each as its length then its bytes, little-endian
// words), mixed by fixed arithmetic, so it is the same on every machine and
// compiler, unlike std::hash. Sessions keep it to tell a retry of a command
// from a different command sent with the same (client_id, sequence). Not
// cryptographic: a client can only collide its own commands. Never 0,
// which sessions use for "digest unknown".
uint64_t CommandDigest(const Command& c);

}  // namespace raft::kv
