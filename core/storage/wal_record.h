// The write-ahead log's on-disk record format, version 1.
//
// A segment file is a sequence of records, possibly followed by zero bytes
// up to its end: preallocated space not yet written (a record never starts
// with a zero header, since its type byte is never 0). Only the last
// segment may end in zeros; a roll cuts the previous segment's tail.
//
//
//   +------------+------------+---------+-------------------+
//   | length u32 | crc32c u32 | type u8 | payload (length)  |
//   +------------+------------+---------+-------------------+
//
// Integers are little-endian. crc32c covers the type byte and the payload.
// length is bounded by kWalRecordBytesMax, so a corrupt length cannot make
// a reader allocate or skip gigabytes.
//
// Payloads by type:
//   kSegmentHeader  magic u64 ("RAFTWAL1"), version u32, segment seq u64,
//                   first index u64 (the index the segment starts after
//                   the previous one's last entry); version 2 adds
//                   prev crc u32 (the stored checksum of the previous
//                   segment's last record, 0 for the first segment: the
//                   chain that shows a missing, swapped or foreign
//                   segment) and allocated bytes u64 (the preallocated
//                   length, 0 for a segment that grows by appends: a
//                   shorter last segment was cut, not torn). Always the
//                   first record.
//   kEntry          term u64, index u64, entry type u8, data (rest)
//   kHardState      term u64, vote u64, commit u64
//   kSnapshot       index u64, term u64, replaces_log u8: a snapshot file
//                   covering up to index was made durable before this
//                   record. replaces_log is set for a snapshot received from
//                   a leader, which discards every entry logged before it.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/message.h"
#include "core/status.h"

namespace raft {

inline constexpr uint32_t kWalVersion = 2;
inline constexpr uint32_t kWalVersionOldest = 1;              // still read: no chain
inline constexpr uint64_t kWalMagic = 0x314c415754464152ULL;  // "RAFTWAL1"
inline constexpr size_t kWalRecordHeaderBytes = 9;
inline constexpr uint32_t kWalRecordBytesMax = 64u << 20;

enum class WalRecordType : uint8_t {
  kSegmentHeader = 1,
  kEntry = 2,
  kHardState = 3,
  kSnapshot = 4,
};
const char* WalRecordTypeName(WalRecordType type);

struct SegmentHeader {
  uint64_t magic = kWalMagic;
  uint32_t version = kWalVersion;
  uint64_t seq = 0;
  Index first_index;
  uint32_t prev_crc = 0;         // version 2
  uint64_t allocated_bytes = 0;  // version 2
};

struct WalRecord {
  WalRecordType type = WalRecordType::kEntry;
  SegmentHeader header;  // kSegmentHeader
  Entry entry;           // kEntry
  HardState hard_state;  // kHardState
  Index snapshot_index;  // kSnapshot
  Term snapshot_term;
  bool snapshot_replaces_log = false;
};

// Appends one framed record to out.
void EncodeSegmentHeader(const SegmentHeader& h, std::string& out);
void EncodeEntry(const Entry& e, std::string& out);
void EncodeHardState(const HardState& hs, std::string& out);
void EncodeSnapshotMarker(Index index, Term term, bool replaces_log, std::string& out);

enum class DecodeError : uint8_t {
  kNone,
  kTruncatedHeader,   // fewer than 9 bytes left
  kBadLength,         // length over the maximum
  kTruncatedPayload,  // the payload runs past the end of the file
  kChecksumMismatch,
  kBadPayload,  // checksum fine but the payload does not parse
};
const char* DecodeErrorName(DecodeError e);

// Decodes the record at data[offset]. size is the framed size whenever the
// length field could be read and fits in the data (so a reader can skip a
// damaged record); error says what, if anything, is wrong.
struct DecodeResult {
  DecodeError error = DecodeError::kNone;
  WalRecord record;
  size_t size = 0;
  uint32_t crc_expected = 0;
  uint32_t crc_found = 0;
};
DecodeResult DecodeRecord(std::string_view data, size_t offset);

// The stored checksum of the record framed at data[start] (the segment
// chain's link to it).
uint32_t StoredCrc(std::string_view data, size_t start);

// True if a valid record starts at any offset >= from. Recovery uses it to
// tell a torn tail (nothing valid follows the damage) from corruption.
bool ValidRecordFrom(std::string_view data, size_t from);

// True if every byte at offset >= from is zero: the unwritten, preallocated
// end of a segment.
bool ZeroFrom(std::string_view data, size_t from);

}  // namespace raft
