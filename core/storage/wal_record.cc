#include "core/storage/wal_record.h"

#include "core/byte_codec.h"
#include "core/storage/crc32c.h"

namespace raft {
namespace {

// Builds one record in place at the end of out, so each payload byte is
// copied once: Begin reserves the header, the caller appends the payload,
// End fills in the length and the checksum of type + payload.
size_t BeginRecord(WalRecordType type, std::string& out) {
  const size_t start = out.size();
  out.append(8, '\0');  // length and crc, patched by EndRecord
  PutU8(out, static_cast<uint8_t>(type));
  return start;
}

void EndRecord(size_t start, std::string& out) {
  const size_t payload = out.size() - start - kWalRecordHeaderBytes;
  RAFT_ASSERT_MSG(payload <= kWalRecordBytesMax, "WAL record over the size limit");
  const uint32_t crc = Crc32c(std::string_view(out).substr(start + 8));
  std::string header;
  PutU32(header, static_cast<uint32_t>(payload));
  PutU32(header, crc);
  out.replace(start, 8, header);
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
  const size_t start = BeginRecord(WalRecordType::kSegmentHeader, out);
  PutU64(out, h.magic);
  PutU32(out, h.version);
  PutU64(out, h.seq);
  PutU64(out, h.first_index.value);
  if (h.version >= 2) {
    PutU32(out, h.prev_crc);
    PutU64(out, h.allocated_bytes);
  }
  EndRecord(start, out);
}

void EncodeEntry(const Entry& e, std::string& out) {
  const size_t start = BeginRecord(WalRecordType::kEntry, out);
  PutU64(out, e.term.value);
  PutU64(out, e.index.value);
  PutU8(out, static_cast<uint8_t>(e.type));
  out.append(e.data);
  EndRecord(start, out);
}

void EncodeHardState(const HardState& hs, std::string& out) {
  const size_t start = BeginRecord(WalRecordType::kHardState, out);
  PutU64(out, hs.term.value);
  PutU64(out, hs.vote.value);
  PutU64(out, hs.commit.value);
  EndRecord(start, out);
}

void EncodeSnapshotMarker(Index index, Term term, bool replaces_log, std::string& out) {
  const size_t start = BeginRecord(WalRecordType::kSnapshot, out);
  PutU64(out, index.value);
  PutU64(out, term.value);
  PutU8(out, replaces_log ? 1 : 0);
  EndRecord(start, out);
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
      ok = p.size() == 28 || p.size() == 40;
      if (ok) {
        SegmentHeader& h = r.record.header;
        h = SegmentHeader{LoadUint(p, 0, 8), static_cast<uint32_t>(LoadUint(p, 8, 4)),
                          LoadUint(p, 12, 8), Index{LoadUint(p, 20, 8)}};
        // Version 1 has no chain fields; version 2 and later must.
        ok = (h.version >= 2) == (p.size() == 40);
        if (ok && p.size() == 40) {
          h.prev_crc = static_cast<uint32_t>(LoadUint(p, 28, 4));
          h.allocated_bytes = LoadUint(p, 32, 8);
        }
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

uint32_t StoredCrc(std::string_view data, size_t start) {
  return static_cast<uint32_t>(LoadUint(data, start + 4, 4));
}

bool ValidRecordFrom(std::string_view data, size_t from) {
  for (size_t pos = from; pos + kWalRecordHeaderBytes <= data.size(); pos++) {
    // A record's header is never all zero: skip a preallocated zero run in
    // one step instead of decoding at each of its (up to 64 MiB) offsets.
    const size_t nonzero = data.find_first_not_of('\0', pos);
    if (nonzero == std::string_view::npos) return false;
    if (nonzero >= pos + kWalRecordHeaderBytes) pos = nonzero - (kWalRecordHeaderBytes - 1);
    if (DecodeRecord(data, pos).error == DecodeError::kNone) return true;
  }
  return false;
}

bool ZeroFrom(std::string_view data, size_t from) {
  return from >= data.size() || data.find_first_not_of('\0', from) == std::string_view::npos;
}

}  // namespace raft
