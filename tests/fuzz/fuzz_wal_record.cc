// Fuzz target: the WAL's record reader (core/storage/wal_record.h) and
// recovery (core/storage/wal.h) over bytes no writer produced.
//
// The input is read twice: as it is, and with every record's checksum
// patched to match, so the fuzzer reaches the payload parsers and recovery's
// segment logic instead of stopping at a CRC it cannot forge. Each pass
// decodes record by record (every record that decodes must re-encode to
// the same bytes), probes ValidRecordFrom/ZeroFrom at each offset a reader
// would, then recovers a Wal whose only segment holds the bytes, on the
// simulator's in-memory disk. Recovery may refuse; it must not crash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/assert.h"
#include "core/byte_codec.h"
#include "core/rng.h"
#include "core/storage/crc32c.h"
#include "core/storage/file_system.h"
#include "core/storage/wal.h"
#include "core/storage/wal_record.h"
#include "sim/sim_disk.h"

namespace raft {
namespace {

std::string Reencode(const WalRecord& r) {
  std::string out;
  switch (r.type) {
    case WalRecordType::kSegmentHeader:
      EncodeSegmentHeader(r.header, out);
      break;
    case WalRecordType::kEntry:
      EncodeEntry(r.entry, out);
      break;
    case WalRecordType::kHardState:
      EncodeHardState(r.hard_state, out);
      break;
    case WalRecordType::kSnapshot:
      EncodeSnapshotMarker(r.snapshot_index, r.snapshot_term, r.snapshot_replaces_log, out);
      break;
  }
  return out;
}

// Walks the records as recovery does: decode, skip a damaged record whose
// size is known, stop where nothing can be framed.
void DecodeAll(std::string_view data) {
  size_t offset = 0;
  while (offset < data.size()) {
    if (ZeroFrom(data, offset)) return;
    const DecodeResult r = DecodeRecord(data, offset);
    (void)DecodeErrorName(r.error);
    if (r.error == DecodeError::kNone) {
      RAFT_ASSERT_MSG(Reencode(r.record) == data.substr(offset, r.size),
                      "a decoded WAL record does not re-encode to its bytes");
      (void)WalRecordTypeName(r.record.type);
    } else {
      (void)ValidRecordFrom(data, offset + 1);
    }
    if (r.size == 0) return;
    RAFT_ASSERT(r.size <= data.size() - offset);
    offset += r.size;
  }
}

// The input with each framed record's checksum set to match its contents.
std::string WithChecksumsFixed(std::string data) {
  size_t offset = 0;
  while (data.size() - offset >= kWalRecordHeaderBytes) {
    const auto length = static_cast<uint32_t>(LoadUint(data, offset, 4));
    if (length > data.size() - offset - kWalRecordHeaderBytes) break;
    std::string crc;
    PutU32(crc, Crc32c(std::string_view(data).substr(offset + 8, length + 1)));
    data.replace(offset + 4, 4, crc);
    offset += kWalRecordHeaderBytes + length;
  }
  return data;
}

void Recover(const std::string& segment) {
  sim::SimDisk disk(std::make_unique<SplitMix64>(1));
  const WalOptions options{
      .dir = "wal", .segment_bytes_max = 1 << 20, .preallocate_segments = false};
  RAFT_ASSERT(disk.CreateDir(options.dir).ok());
  Result<std::unique_ptr<WritableFile>> file =
      disk.Create(JoinPath(options.dir, SegmentFileName(1, Index{1})));
  RAFT_ASSERT(file.ok());
  RAFT_ASSERT(file.value()->Append(segment).ok());
  RAFT_ASSERT(file.value()->Sync().ok());
  Result<std::unique_ptr<Wal>> wal = Wal::Open(disk, options);
  if (!wal.ok()) return;
  const Storage& storage = wal.value()->storage();
  const Index first = storage.FirstIndex();
  const Index last = storage.LastIndex();
  if (first <= last) {
    Result<std::vector<Entry>> entries = storage.Entries(first, last.Next(), UINT64_MAX);
    RAFT_ASSERT_MSG(entries.ok(), "recovered entries are not readable");
  }
  (void)storage.GetInitialState();
}

}  // namespace
}  // namespace raft

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string fixed = raft::WithChecksumsFixed(bytes);
  raft::DecodeAll(bytes);
  raft::Recover(bytes);
  if (fixed != bytes) {
    raft::DecodeAll(fixed);
    raft::Recover(fixed);
  }
  return 0;
}
