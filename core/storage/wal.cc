#include "core/storage/wal.h"

#include <algorithm>
#include <cstdio>

#include "core/message_validator.h"
#include "core/storage/wal_record.h"

namespace raft {
namespace {

// The reused encode buffer is released after a Ready larger than this.
constexpr size_t kEncodeBufferKeepBytes = 8 << 20;

Status Corruption(const std::string& what) { return Status::Error(StatusCode::kCorruption, what); }

}  // namespace

std::string SegmentFileName(uint64_t seq, Index first_index) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "wal-%016llx-%016llx.log", static_cast<unsigned long long>(seq),
                static_cast<unsigned long long>(first_index.value));
  return buf;
}

bool ParseSegmentFileName(const std::string& name, uint64_t& seq, Index& first_index) {
  unsigned long long s = 0, f = 0;
  char tail = 0;
  if (name.size() != 4 + 16 + 1 + 16 + 4) return false;
  if (std::sscanf(name.c_str(), "wal-%16llx-%16llx.lo%c", &s, &f, &tail) != 3 || tail != 'g') {
    return false;
  }
  seq = s;
  first_index = Index{f};
  return SegmentFileName(seq, first_index) == name;  // exactly the canonical form
}

Wal::Wal(FileSystem& fs, WalOptions options)
    : fs_(fs), options_(std::move(options)), snapshots_(fs, options_.dir) {}

Result<std::unique_ptr<Wal>> Wal::Open(FileSystem& fs, const WalOptions& options) {
  std::unique_ptr<Wal> wal(new Wal(fs, options));
  Status s = wal->Recover();
  if (!s.ok()) return s;
  return wal;
}

Status Wal::Recover() {
  Status s = fs_.CreateDir(options_.dir);
  if (!s.ok()) return s;
  Result<std::optional<Snapshot>> snap = snapshots_.Open();
  if (!snap.ok()) return snap.status();
  Index base;
  if (snap.value()) {
    base = snap.value()->meta.index;
    s = cache_.ApplySnapshot(*snap.value());
    if (!s.ok()) return s;
    recovery_.snapshot_index = base;
  }

  Result<std::vector<std::string>> names = fs_.List(options_.dir);
  if (!names.ok()) return names.status();
  for (const std::string& n : names.value()) {
    Segment seg{0, Index{}, n};
    if (ParseSegmentFileName(n, seg.seq, seg.first_index)) segments_.push_back(seg);
  }
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) { return a.seq < b.seq; });
  for (size_t i = 1; i < segments_.size(); i++) {
    if (segments_[i].seq != segments_[i - 1].seq + 1) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "missing WAL segment: expected sequence %llu after %s",
                    static_cast<unsigned long long>(segments_[i - 1].seq + 1),
                    segments_[i - 1].name.c_str());
      return Corruption(options_.dir + ": " + buf);
    }
  }

  // Entries after the snapshot, rebuilt record by record.
  std::vector<Entry> log;
  Index marker;
  uint64_t records_end = 0, previous_end = 0;  // of the last two segments
  for (size_t i = 0; i < segments_.size(); i++) {
    previous_end = records_end;
    s = ReplaySegment(segments_[i], i + 1 == segments_.size(), base, log, marker, records_end);
    if (!s.ok()) return s;
  }
  recovery_.segments = segments_.size();
  if (marker > base) {
    char buf[160];
    std::snprintf(buf, sizeof(buf),
                  "the log records a snapshot at index %llu but the newest snapshot file "
                  "covers only %llu",
                  static_cast<unsigned long long>(marker.value),
                  static_cast<unsigned long long>(base.value));
    return Corruption(options_.dir + ": " + buf);
  }
  if (Status v = CheckRecovered(log); !v.ok()) return Corruption(options_.dir + ": " + v.message());
  cache_.Append(log);
  cache_.SetHardState(hard_state_);

  // A segment whose header never became durable (crash while creating it)
  // holds no record: drop it (writes continue in the previous segment,
  // whose roll already cut its zeros, or in a fresh one when none is left).
  if (!segments_.empty() && records_end == 0) {
    s = fs_.Remove(Path(segments_.back().name));
    if (!s.ok()) return s;
    segments_.pop_back();
    records_end = previous_end;
  }
  if (segments_.empty()) return StartSegment();
  Result<std::unique_ptr<WritableFile>> f = fs_.OpenAt(Path(segments_.back().name), records_end);
  if (!f.ok()) return f.status();
  active_ = std::move(f).value();
  return Status::Ok();
}

Status Wal::ReplaySegment(const Segment& seg, bool last, Index base, std::vector<Entry>& log,
                          Index& marker, uint64_t& records_end) {
  const std::string path = Path(seg.name);
  Result<std::string> read = fs_.ReadFile(path);
  if (!read.ok()) return read.status();
  const std::string& bytes = read.value();
  size_t offset = 0;
  auto corrupt = [&](const std::string& what) {
    return Corruption(path + ": record at offset " + std::to_string(offset) + ": " + what);
  };
  while (offset < bytes.size()) {
    DecodeResult r = DecodeRecord(bytes, offset);
    if (r.error != DecodeError::kNone && last && ZeroFrom(bytes, offset)) break;  // unused space
    if (r.error != DecodeError::kNone) {
      // The checksum does not cover the length field, so the damaged
      // record's extent cannot be trusted: one flipped length bit makes a
      // record in the middle look cut off by the end of the file, or
      // swallow the records after it. Damage is a torn tail only if no
      // valid record starts anywhere after its first byte. (The price: a
      // torn record whose payload embeds a byte-exact valid record is
      // reported as corruption instead of truncated; never the reverse.)
      if (last && !ValidRecordFrom(bytes, offset + 1)) {
        // A crash mid-write: nothing after this point was ever acknowledged.
        Status s = fs_.Truncate(path, offset);
        if (!s.ok()) return s;
        recovery_.truncated_bytes = bytes.size() - offset;
        recovery_.truncated_segment = seg.name;
        recovery_.truncated_offset = offset;
        break;
      }
      char buf[128];
      std::snprintf(buf, sizeof(buf), "%s (stored crc %08x, computed %08x)",
                    DecodeErrorName(r.error), r.crc_expected, r.crc_found);
      return corrupt(std::string(buf) + (last ? ", followed by valid records"
                                              : ", in a segment that is not the last"));
    }
    const WalRecord& rec = r.record;
    if (offset == 0) {
      const SegmentHeader& h = rec.header;
      if (rec.type != WalRecordType::kSegmentHeader) return corrupt("expected a segment header");
      if (h.magic != kWalMagic) return corrupt("bad magic: not a WAL segment");
      if (h.version != kWalVersion) {
        return corrupt("unsupported WAL version " + std::to_string(h.version) + " (expected " +
                       std::to_string(kWalVersion) + ")");
      }
      if (h.seq != seg.seq || h.first_index != seg.first_index) {
        return corrupt("segment header does not match the file name");
      }
    } else {
      switch (rec.type) {
        case WalRecordType::kSegmentHeader:
          return corrupt("unexpected segment header");
        case WalRecordType::kEntry: {
          const Entry& e = rec.entry;
          // Replayed as the cache took it when saved: ignored if a snapshot
          // already covered it, else it truncated every entry after it,
          // including any past a snapshot taken since.
          if (e.index <= marker) break;
          if (e.index <= base) {
            log.clear();
            break;
          }
          const Index next = base + (log.size() + 1);
          if (e.index > next) {
            return corrupt("gap in the log: expected index <= " + std::to_string(next.value) +
                           ", found " + std::to_string(e.index.value));
          }
          log.resize(Distance(base, e.index) - 1);  // an overwrite truncates
          log.push_back(e);
          break;
        }
        case WalRecordType::kHardState:
          hard_state_ = rec.hard_state;
          break;
        case WalRecordType::kSnapshot:
          marker = std::max(marker, rec.snapshot_index);
          if (rec.snapshot_replaces_log) log.clear();
          break;
      }
    }
    offset += r.size;
    recovery_.records++;
  }
  records_end = offset;
  return Status::Ok();
}

// Checksums prove that records are what was written, not that a correct
// program wrote them. Raft never writes a term or index near the top of its
// range (kWireNumberMax, as on the wire), and a log's terms never decrease.
Status Wal::CheckRecovered(const std::vector<Entry>& log) const {
  if (hard_state_.term.value > kWireNumberMax || hard_state_.commit.value > kWireNumberMax) {
    return Status::Error(StatusCode::kCorruption,
                         "hard state term " + std::to_string(hard_state_.term.value) +
                             " or commit " + std::to_string(hard_state_.commit.value) +
                             " is out of range");
  }
  Term previous;
  for (const Entry& e : log) {
    if (e.term.value > kWireNumberMax || e.index.value > kWireNumberMax || e.term < previous) {
      return Status::Error(StatusCode::kCorruption,
                           "entry " + std::to_string(e.index.value) + " has term " +
                               std::to_string(e.term.value) + " after term " +
                               std::to_string(previous.value) + " (terms never decrease)");
    }
    previous = e.term;
  }
  return Status::Ok();
}

Status Wal::Fail(Status s) {
  failed_ = Status::Error(StatusCode::kIoError,
                          "wal: " + s.message() + " (the log accepts no more writes)");
  return *failed_;
}

Status Wal::Write(const std::string& bytes, bool sync) {
  if (failed_) return *failed_;
  Status s = active_->Append(bytes);
  if (!s.ok()) return Fail(s);
  if (sync) {
    s = active_->Sync();
    if (!s.ok()) return Fail(s);
  }
  return Status::Ok();
}

Status Wal::StartSegment() {
  if (failed_) return *failed_;
  if (active_) {
    // Only the last segment may end in unused zeros (see wal_record.h): cut
    // them durably before the next segment's name can become durable.
    const uint64_t records_end = active_->Size();
    Status s = active_->Sync();
    if (s.ok()) s = active_->Close();
    if (s.ok()) s = fs_.Truncate(Path(segments_.back().name), records_end);
    if (!s.ok()) return Fail(s);
    active_.reset();
  }
  const Segment seg{segments_.empty() ? 1 : segments_.back().seq + 1, cache_.LastIndex().Next(),
                    ""};
  const std::string name = SegmentFileName(seg.seq, seg.first_index);
  Result<std::unique_ptr<WritableFile>> f =
      options_.preallocate_segments ? fs_.CreatePreallocated(Path(name), options_.segment_bytes_max)
                                    : fs_.Create(Path(name));
  // Short of space for the zeros: this segment grows by appends, so
  // preallocation never stops a node sooner than appending would.
  if (!f.ok() && f.status().code() == StatusCode::kNoSpace) f = fs_.Create(Path(name));
  if (!f.ok()) return Fail(f.status());
  // Each segment restates the hard state and newest snapshot, so deleting
  // older segments never loses them.
  std::string head;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion, seg.seq, seg.first_index}, head);
  if (!hard_state_.IsEmpty()) EncodeHardState(hard_state_, head);
  Result<Snapshot> snap = cache_.GetSnapshot();
  if (snap.ok() && !snap.value().IsEmpty()) {
    EncodeSnapshotMarker(snap.value().meta.index, snap.value().meta.term, false, head);
  }
  Status s = f.value()->Append(head);
  if (s.ok()) s = f.value()->Sync();
  if (s.ok()) s = fs_.SyncDir(options_.dir);
  if (!s.ok()) return Fail(s);
  segments_.push_back(Segment{seg.seq, seg.first_index, name});
  active_ = std::move(f).value();
  return Status::Ok();
}

Status Wal::Save(const std::optional<HardState>& hard_state, const std::vector<Entry>& entries,
                 const Snapshot& snapshot, bool sync) {
  if (failed_) return *failed_;
  if (!snapshot.IsEmpty()) {
    Status s = SaveReceivedSnapshot(snapshot);
    if (!s.ok()) return s;
  }
  if (!entries.empty() && active_->Size() >= options_.segment_bytes_max) {
    Status s = StartSegment();
    if (!s.ok()) return s;
  }
  // One reused buffer: a fresh allocation per Ready costs page faults on
  // the critical path between the client's write and its fdatasync.
  std::string& buf = encode_buffer_;
  buf.clear();
  for (const Entry& e : entries) EncodeEntry(e, buf);
  if (hard_state) EncodeHardState(*hard_state, buf);
  if (!buf.empty()) {
    Status s = Write(buf, sync);
    if (buf.capacity() > kEncodeBufferKeepBytes) std::string().swap(buf);
    if (!s.ok()) return s;
  }
  cache_.Append(entries);
  if (hard_state) {
    hard_state_ = *hard_state;
    cache_.SetHardState(*hard_state);
  }
  return Status::Ok();
}

Status Wal::Sync() {
  if (failed_) return *failed_;
  Status s = active_->Sync();
  return s.ok() ? s : Fail(s);
}

Status Wal::SaveReceivedSnapshot(const Snapshot& snapshot) {
  Status s = snapshots_.Save(snapshot);
  if (!s.ok()) return Fail(s);
  std::string buf;
  EncodeSnapshotMarker(snapshot.meta.index, snapshot.meta.term, true, buf);
  s = Write(buf, true);
  if (!s.ok()) return s;
  s = cache_.ApplySnapshot(snapshot);
  if (!s.ok()) return s;
  return RemoveSegmentsBelow(snapshot.meta.index);
}

Status Wal::CreateSnapshot(Index index, const std::vector<NodeId>& voters, std::string data,
                           Index compact_to) {
  if (failed_) return *failed_;
  Result<Term> term = cache_.TermAt(index);
  if (!term.ok()) return term.status();
  Snapshot snap;
  snap.meta = SnapshotMeta{index, term.value(), voters};
  snap.data = std::move(data);
  Status s = snapshots_.Save(snap);
  if (!s.ok()) return Fail(s);
  std::string buf;
  EncodeSnapshotMarker(index, term.value(), false, buf);
  s = Write(buf, true);
  if (!s.ok()) return s;
  cache_.SetVoters(voters);
  s = cache_.CreateSnapshot(index, std::move(snap.data), compact_to);
  if (!s.ok()) return s;
  return RemoveSegmentsBelow(std::min(compact_to, index));
}

Status Wal::RemoveSegmentsBelow(Index compact_to) {
  // Every entry written to segment i precedes segment i+1's first index.
  size_t removable = 0;
  while (removable + 1 < segments_.size() &&
         segments_[removable + 1].first_index.Prev() <= compact_to) {
    removable++;
  }
  if (removable == 0) return Status::Ok();
  for (size_t i = 0; i < removable; i++) {
    Status s = fs_.Remove(Path(segments_[i].name));
    if (!s.ok()) return Fail(s);
  }
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<long>(removable));
  Status s = fs_.SyncDir(options_.dir);
  if (!s.ok()) return Fail(s);
  return Status::Ok();
}

}  // namespace raft
