#include "core/storage/wal_record.h"

#include "core/byte_codec.h"
#include "core/storage/crc32c.h"

namespace raft {
namespace {

// Frames a payload as a record: length, checksum, type, payload.
void Frame(WalRecordType type, std::string_view payload, std::string& out) {
  RAFT_ASSERT_MSG(payload.size() <= kWalRecordBytesMax, "WAL record over the size limit");
  std::string typed;
  typed.reserve(payload.size() + 1);
  typed.push_back(static_cast<char>(type));
  typed.append(payload);
  PutU32(out, static_cast<uint32_t>(payload.size()));
  PutU32(out, Crc32c(typed));
  out.append(typed);
}

}  // namespace

const char* WalRecordTypeName(WalRecordType type) {
  switch (type) {
    case WalRecordType::kSegmentHeader:
      return "segment-header";
    case WalRecordType::kEntry:
      return "entry";
    case WalRecordType::kHardState:
      return "hard-state";
    case WalRecordType::kSnapshot:
      return "snapshot";
  }
  return "unknown";
}

const char* DecodeErrorName(DecodeError e) {
  switch (e) {
    case DecodeError::kNone:
      return "ok";
    case DecodeError::kTruncatedHeader:
      return "truncated record header";
    case DecodeError::kBadLength:
      return "record length over the maximum";
    case DecodeError::kTruncatedPayload:
      return "record runs past the end of the file";
    case DecodeError::kChecksumMismatch:
      return "checksum mismatch";
    case DecodeError::kBadPayload:
      return "malformed record payload";
  }
  return "unknown";
}

void EncodeSegmentHeader(const SegmentHeader& h, std::string& out) {
  std::string p;
  PutU64(p, h.magic);
  PutU32(p, h.version);
  PutU64(p, h.seq);
  PutU64(p, h.first_index.value);
  Frame(WalRecordType::kSegmentHeader, p, out);
}

void EncodeEntry(const Entry& e, std::string& out) {
  std::string p;
  p.reserve(17 + e.data.size());
  PutU64(p, e.term.value);
  PutU64(p, e.index.value);
  PutU8(p, static_cast<uint8_t>(e.type));
  p.append(e.data);
  Frame(WalRecordType::kEntry, p, out);
}

void EncodeHardState(const HardState& hs, std::string& out) {
  std::string p;
  PutU64(p, hs.term.value);
  PutU64(p, hs.vote.value);
  PutU64(p, hs.commit.value);
  Frame(WalRecordType::kHardState, p, out);
}

void EncodeSnapshotMarker(Index index, Term term, bool replaces_log, std::string& out) {
  std::string p;
  PutU64(p, index.value);
  PutU64(p, term.value);
  PutU8(p, replaces_log ? 1 : 0);
  Frame(WalRecordType::kSnapshot, p, out);
}

DecodeResult DecodeRecord(std::string_view data, size_t offset) {
  DecodeResult r;
  if (data.size() - offset < kWalRecordHeaderBytes) {
    r.error = DecodeError::kTruncatedHeader;
    return r;
  }
  const auto length = static_cast<uint32_t>(LoadUint(data, offset, 4));
  r.crc_expected = static_cast<uint32_t>(LoadUint(data, offset + 4, 4));
  if (length > kWalRecordBytesMax) {
    r.error = DecodeError::kBadLength;
    return r;
  }
  if (data.size() - offset - kWalRecordHeaderBytes < length) {
    r.error = DecodeError::kTruncatedPayload;
    return r;
  }
  // From here on the framed size is known, even if the record is bad.
  r.size = kWalRecordHeaderBytes + length;
  const std::string_view typed = data.substr(offset + 8, length + 1);
  r.crc_found = Crc32c(typed);
  if (r.crc_found != r.crc_expected) {
    r.error = DecodeError::kChecksumMismatch;
    return r;
  }
  const std::string_view p = typed.substr(1);
  const auto type = static_cast<WalRecordType>(static_cast<uint8_t>(typed[0]));
  r.record.type = type;
  bool ok = false;
  switch (type) {
    case WalRecordType::kSegmentHeader:
      ok = p.size() == 28;
      if (ok) {
        r.record.header = SegmentHeader{LoadUint(p, 0, 8), static_cast<uint32_t>(LoadUint(p, 8, 4)),
                                        LoadUint(p, 12, 8), Index{LoadUint(p, 20, 8)}};
      }
      break;
    case WalRecordType::kEntry:
      ok = p.size() >= 17 && static_cast<uint8_t>(p[16]) <= 1;
      if (ok) {
        r.record.entry =
            Entry{Term{LoadUint(p, 0, 8)}, Index{LoadUint(p, 8, 8)},
                  static_cast<EntryType>(static_cast<uint8_t>(p[16])), std::string(p.substr(17))};
      }
      break;
    case WalRecordType::kHardState:
      ok = p.size() == 24;
      if (ok) {
        r.record.hard_state = HardState{Term{LoadUint(p, 0, 8)}, NodeId{LoadUint(p, 8, 8)},
                                        Index{LoadUint(p, 16, 8)}};
      }
      break;
    case WalRecordType::kSnapshot:
      ok = p.size() == 17 && static_cast<uint8_t>(p[16]) <= 1;
      if (ok) {
        r.record.snapshot_index = Index{LoadUint(p, 0, 8)};
        r.record.snapshot_term = Term{LoadUint(p, 8, 8)};
        r.record.snapshot_replaces_log = p[16] == 1;
      }
      break;
  }
  if (!ok) r.error = DecodeError::kBadPayload;
  return r;
}

}  // namespace raft
