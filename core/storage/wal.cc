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

void Wal::Damage(std::string what) { recovery_.damage.push_back(std::move(what)); }

Status Wal::Recover() {
  Status s = fs_.CreateDir(options_.dir);
  if (!s.ok()) return s;
  Result<std::optional<WalMeta>> read_meta = ReadWalMeta(fs_, options_.dir);
  std::optional<WalMeta> meta;
  bool meta_lost = false;
  if (read_meta.ok()) {
    meta = read_meta.value();
  } else if (read_meta.status().code() == StatusCode::kCorruption) {
    Damage(read_meta.status().message());
    meta_lost = true;
  } else {
    return read_meta.status();
  }
  if (meta && !options_.node.IsNone() && !meta->node.IsNone() && meta->node != options_.node) {
    return Corruption(options_.dir + ": the WAL belongs to node " +
                      std::to_string(meta->node.value) + ", not " +
                      std::to_string(options_.node.value));
  }

  Result<std::optional<Snapshot>> snap = snapshots_.Open();
  if (!snap.ok()) return snap.status();
  Replay replay;
  if (snap.value()) {
    replay.base = snap.value()->meta.index;
    s = cache_.ApplySnapshot(*snap.value());
    if (!s.ok()) return s;
    recovery_.snapshot_index = replay.base;
  }
  Result<std::vector<std::string>> names = fs_.List(options_.dir);
  if (!names.ok()) return names.status();
  for (const std::string& n : names.value()) {
    Segment seg{0, Index{}, n};
    if (ParseSegmentFileName(n, seg.seq, seg.first_index)) segments_.push_back(seg);
  }
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) { return a.seq < b.seq; });
  const bool initialized = meta || meta_lost || !segments_.empty() || snap.value();
  s = ReplaySegments(replay);
  if (!s.ok()) return s;
  recovery_.segments = segments_.size();
  if (replay.marker > replay.base) {
    // The log was compacted up to a snapshot whose file is gone: the entries
    // it covered are lost, so none after it can be applied either.
    Damage(replay.marker_at + ": the log records a snapshot at index " +
           std::to_string(replay.marker.value) + " but the newest snapshot file covers only " +
           std::to_string(replay.base.value));
    replay.log.clear();
  }
  if (Status v = CheckRecovered(replay.log); !v.ok()) {
    return Corruption(options_.dir + ": " + v.message());
  }
  const Index last = replay.base + replay.log.size();

  // A last segment without a record lost its header in a crash while it was
  // created; once the metadata names it, that header had been durable.
  const bool empty_last = !segments_.empty() && replay.records_end == 0 && !replay.damaged;
  if (empty_last && meta && segments_.back().seq <= meta->last_segment) {
    Damage(Path(segments_.back().name) + ": empty, but the metadata records it as created");
  }
  // What the metadata promises the log must hold.
  const bool legacy = !meta && !meta_lost && !replay.chained;
  if (initialized && !meta && !meta_lost && !legacy) {
    Damage(JoinPath(options_.dir, kWalMetaFileName) + ": missing in an initialized WAL");
  }
  if (meta) {
    const uint64_t newest = segments_.empty() ? 0 : segments_.back().seq;
    if (newest < meta->last_segment) {
      Damage(options_.dir + ": the newest segment is " +
             (segments_.empty() ? std::string("none") : segments_.back().name) +
             " but the metadata records segment " + std::to_string(meta->last_segment));
    }
    // (Below it is expected while a repair is under way.)
    if (last < meta->acked_index && !meta->repair_target) {
      Damage(options_.dir + ": the log ends at index " + std::to_string(last.value) +
             ", below index " + std::to_string(meta->acked_index.value) +
             " this node acknowledged");
    }
  }

  // Term and vote: the newer of the log's and the metadata's, so a log that
  // lost its hard state records neither goes back a term nor votes twice.
  if (meta && meta->term > hard_state_.term) {
    hard_state_.term = meta->term;
    hard_state_.vote = meta->vote;
  } else if (meta && meta->term == hard_state_.term && hard_state_.vote.IsNone()) {
    hard_state_.vote = meta->vote;
  }
  if (!recovery_.damage.empty()) {
    hard_state_.commit = std::min(hard_state_.commit, last);  // a hint; the log lost its end
  }

  meta_ = meta.value_or(WalMeta{});
  if (!options_.node.IsNone()) meta_.node = options_.node;
  meta_.term = hard_state_.term;
  meta_.vote = hard_state_.vote;
  if (!recovery_.damage.empty()) {
    // Recorded before anything is moved, so a crash from here on restarts
    // still repairing.
    meta_.repair_target =
        std::max({meta_.acked_index, last, meta_.repair_target.value_or(Index{})});
  }
  recovery_.repair_target = meta_.repair_target;
  recovery_.meta_created = legacy && initialized;
  recovery_.fresh = last == Index{} && hard_state_.IsEmpty() && !snap.value();
  cache_.Append(replay.log);
  cache_.SetHardState(hard_state_);
  cache_.SetRepairTarget(meta_.repair_target);
  durable_last_ = last;
  if (!recovery_.damage.empty()) {
    s = WriteMeta();
    if (s.ok()) s = RewriteDamagedLog(replay.log, replay.base);
    return s;
  }
  if (!initialized) {
    s = WriteMeta();  // before the first segment: an initialized WAL has one
    if (!s.ok()) return s;
  }

  // A segment whose header never became durable (crash while creating it)
  // holds no record: drop it. Writes continue in the previous segment (a
  // roll cuts that one only once the new one is durable) or in a fresh one
  // when none is left.
  if (empty_last) {
    s = fs_.Remove(Path(segments_.back().name));
    if (!s.ok()) return s;
    segments_.pop_back();
    replay.records_end = replay.previous_end;
    replay.last_crc = replay.previous_crc;
    replay.last_allocated = replay.previous_allocated;
    replay.last_short = replay.previous_short;
  }
  last_crc_ = replay.last_crc;
  if (recovery_.meta_created) {
    // A WAL from before the metadata file: what it holds now is the floor.
    meta_.last_segment = segments_.empty() ? 0 : segments_.back().seq;
    s = RefreshMeta();
    if (!s.ok()) return s;
  }
  // A last segment shorter than its allocation (cut in its unused zeros)
  // is not written on: a torn write there would look like a cut.
  if (segments_.empty() || replay.last_short) return StartSegment(0);
  Result<std::unique_ptr<WritableFile>> f =
      fs_.OpenAt(Path(segments_.back().name), replay.records_end);
  if (!f.ok()) return f.status();
  active_ = std::move(f).value();
  active_allocated_ = replay.last_allocated;
  return Status::Ok();
}

Status Wal::ReplaySegments(Replay& replay) {
  std::optional<uint32_t> prev_crc;
  for (size_t i = 0; i < segments_.size() && !replay.damaged; i++) {
    if (i > 0 && segments_[i].seq != segments_[i - 1].seq + 1) {
      Damage(Path(segments_[i - 1].name) + ": the next segment, sequence " +
             std::to_string(segments_[i - 1].seq + 1) + ", is missing (found " + segments_[i].name +
             ")");
      replay.damaged = true;
      break;
    }
    replay.previous_end = replay.records_end;
    replay.previous_crc = replay.last_crc;
    replay.previous_allocated = replay.last_allocated;
    replay.previous_short = replay.last_short;
    Status s = ReplaySegment(segments_[i], i + 1 == segments_.size(), prev_crc, replay);
    if (!s.ok()) return s;
    prev_crc = replay.last_crc;
  }
  return Status::Ok();
}

Status Wal::ReplaySegment(const Segment& seg, bool last, std::optional<uint32_t> prev_crc,
                          Replay& replay) {
  const std::string path = Path(seg.name);
  Result<std::string> read = fs_.ReadFile(path);
  if (!read.ok()) {
    Damage(path + ": unreadable: " + read.status().message());
    replay.damaged = true;
    return Status::Ok();
  }
  const std::string& bytes = read.value();
  size_t offset = 0;
  uint64_t allocated_bytes = 0;
  auto damaged = [&](const std::string& what) {
    Damage(path + ": record at offset " + std::to_string(offset) + ": " + what);
    replay.damaged = true;
    return Status::Ok();
  };
  while (offset < bytes.size()) {
    DecodeResult r = DecodeRecord(bytes, offset);
    // Unused space. In an older segment too: a roll cuts the old segment's
    // zeros only once the next segment is durable, and the chain (the next
    // header's prev crc) shows that no record is missing before them.
    if (r.error != DecodeError::kNone && (offset > 0 || last) && ZeroFrom(bytes, offset)) break;
    if (r.error != DecodeError::kNone) {
      // The checksum does not cover the length field, so the damaged
      // record's extent cannot be trusted: one flipped length bit makes a
      // record in the middle look cut off by the end of the file, or
      // swallow the records after it. Damage is a torn tail only if no
      // valid record starts anywhere after its first byte. (The price: a
      // torn record whose payload embeds a byte-exact valid record is
      // reported as damage instead of truncated; never the reverse.)
      // A torn write never shortens a preallocated file.
      const bool cut_short = allocated_bytes > 0 && bytes.size() < allocated_bytes;
      if (last && !cut_short && !ValidRecordFrom(bytes, offset + 1)) {
        // A crash mid-write: nothing after this point was ever acknowledged.
        // A preallocated segment keeps its length (the torn bytes become
        // zeros again), so a short one is never a torn one.
        const size_t end = bytes.find_last_not_of('\0') + 1;
        Status s = allocated_bytes > 0 ? ZeroRange(path, offset, end - offset)
                                       : fs_.Truncate(path, offset);
        if (!s.ok()) return s;
        recovery_.truncated_bytes = (allocated_bytes > 0 ? end : bytes.size()) - offset;
        recovery_.truncated_segment = seg.name;
        recovery_.truncated_offset = offset;
        break;
      }
      char buf[160];
      std::snprintf(buf, sizeof(buf), "%s (stored crc %08x, computed %08x)",
                    DecodeErrorName(r.error), r.crc_expected, r.crc_found);
      std::string where = !last       ? ", in a segment that is not the last"
                          : cut_short ? ", in a preallocated segment cut to " +
                                            std::to_string(bytes.size()) + " of " +
                                            std::to_string(allocated_bytes) + " bytes"
                                      : ", followed by valid records";
      return damaged(std::string(buf) + where);
    }
    const WalRecord& rec = r.record;
    if (offset == 0) {
      const SegmentHeader& h = rec.header;
      if (rec.type != WalRecordType::kSegmentHeader) return damaged("expected a segment header");
      if (h.magic != kWalMagic) return damaged("bad magic: not a WAL segment");
      if (h.version < kWalVersionOldest || h.version > kWalVersion) {
        return Corruption(path + ": unsupported WAL version " + std::to_string(h.version) +
                          " (expected " + std::to_string(kWalVersionOldest) + " to " +
                          std::to_string(kWalVersion) + ")");
      }
      if (h.seq != seg.seq || h.first_index != seg.first_index) {
        return damaged("segment header does not match the file name");
      }
      if (h.version >= 2) {
        replay.chained = true;
        allocated_bytes = h.allocated_bytes;
        if (prev_crc && h.prev_crc != *prev_crc) {
          char buf[128];
          std::snprintf(buf, sizeof(buf),
                        "chain broken: the header names a previous record with crc %08x, the "
                        "previous segment ends with %08x",
                        h.prev_crc, *prev_crc);
          return damaged(buf);
        }
      }
    } else {
      switch (rec.type) {
        case WalRecordType::kSegmentHeader:
          return damaged("unexpected segment header");
        case WalRecordType::kEntry: {
          const Entry& e = rec.entry;
          // Replayed as the cache took it when saved: ignored if a snapshot
          // already covered it, else it truncated every entry after it,
          // including any past a snapshot taken since.
          if (e.index <= replay.marker) break;
          if (e.index <= replay.base) {
            replay.log.clear();
            break;
          }
          const Index next = replay.base + (replay.log.size() + 1);
          if (e.index > next) {
            return damaged("gap in the log: expected index <= " + std::to_string(next.value) +
                           ", found " + std::to_string(e.index.value));
          }
          replay.log.resize(Distance(replay.base, e.index) - 1);  // an overwrite truncates
          replay.log.push_back(e);
          break;
        }
        case WalRecordType::kHardState:
          hard_state_ = rec.hard_state;
          break;
        case WalRecordType::kSnapshot:
          if (rec.snapshot_index > replay.marker) {
            replay.marker = rec.snapshot_index;
            replay.marker_at = path + ": record at offset " + std::to_string(offset);
          }
          if (rec.snapshot_replaces_log) replay.log.clear();
          break;
      }
    }
    offset += r.size;
    replay.last_crc = r.crc_expected;
    recovery_.records++;
  }
  if (!last && offset == 0) return damaged("no segment header: an older segment is empty");
  replay.records_end = offset;
  replay.last_allocated = allocated_bytes;
  replay.last_short = allocated_bytes > 0 && bytes.size() < allocated_bytes;
  if (last && replay.last_short && offset == bytes.size()) {
    // Records up to the very end of a cut preallocated segment: whatever
    // followed the cut (records or zeros) is gone. A roll cuts a segment
    // only once the next one is durable, so a last segment is never cut.
    return damaged("a preallocated segment cut to " + std::to_string(bytes.size()) + " of " +
                   std::to_string(allocated_bytes) + " bytes, at a record boundary");
  }
  return Status::Ok();
}

Status Wal::RewriteDamagedLog(const std::vector<Entry>& log, Index base) {
  const uint64_t seq = segments_.empty() ? meta_.last_segment + 1
                                         : std::max(segments_.back().seq, meta_.last_segment) + 1;
  for (const Segment& seg : segments_) {
    const std::string aside = seg.name + ".damaged-" + std::to_string(seq);
    Status s = fs_.Rename(Path(seg.name), Path(aside));
    if (!s.ok()) return s;
    recovery_.quarantined.push_back(aside);
  }
  segments_.clear();
  Status s = fs_.SyncDir(options_.dir);
  if (!s.ok()) return s;
  // One fresh segment holds the snapshot marker, the hard state and the
  // whole kept log, so no older segment is needed to replay it.
  const std::string name = SegmentFileName(seq, base.Next());
  Result<std::unique_ptr<WritableFile>> f = fs_.Create(Path(name));
  if (!f.ok()) return f.status();
  std::string bytes;
  EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion, seq, base.Next(), 0, 0}, bytes);
  if (base > Index{}) {
    Result<Term> base_term = cache_.TermAt(base);
    if (!base_term.ok()) return base_term.status();
    EncodeSnapshotMarker(base, base_term.value(), false, bytes);
  }
  size_t last_start = 0;
  for (const Entry& e : log) {
    last_start = bytes.size();
    EncodeEntry(e, bytes);
  }
  last_start = bytes.size();
  EncodeHardState(hard_state_, bytes);
  s = f.value()->Append(bytes);
  if (s.ok()) s = f.value()->Sync();
  if (s.ok()) s = fs_.SyncDir(options_.dir);
  if (!s.ok()) return s;
  segments_.push_back(Segment{seq, base.Next(), name});
  active_ = std::move(f).value();
  last_crc_ = StoredCrc(bytes, last_start);
  meta_.last_segment = seq;
  return WriteMeta();
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

Status Wal::Write(const std::string& bytes, bool sync, uint32_t last_crc) {
  if (failed_) return *failed_;
  Status s = active_->Append(bytes);
  if (!s.ok()) return Fail(s);
  last_crc_ = last_crc;
  if (sync) {
    s = active_->Sync();
    if (!s.ok()) return Fail(s);
  }
  return Status::Ok();
}

Status Wal::WriteMeta() {
  Status s = WriteWalMeta(fs_, options_.dir, meta_);
  return s.ok() ? s : Fail(s);
}

Status Wal::RefreshMeta() {
  meta_.term = hard_state_.term;
  meta_.vote = hard_state_.vote;
  meta_.acked_index = durable_last_;
  return WriteMeta();
}

Status Wal::LowerAckedIndexTo(Index last) {
  if (meta_.acked_index <= last) return Status::Ok();
  meta_.acked_index = last;
  return WriteMeta();
}

Status Wal::ZeroRange(const std::string& path, uint64_t offset, uint64_t bytes) {
  Result<std::unique_ptr<WritableFile>> f = fs_.OpenAt(path, offset);
  if (!f.ok()) return f.status();
  Status s = f.value()->Append(std::string(bytes, '\0'));
  if (s.ok()) s = f.value()->Sync();
  if (s.ok()) s = f.value()->Close();
  return s;
}

Status Wal::EnsureRoom(uint64_t bytes) {
  const uint64_t used = active_->Size();
  const bool full =
      active_allocated_ > 0 ? used + bytes > active_allocated_ : used >= options_.segment_bytes_max;
  // A segment holding only its head takes the write whatever its size.
  if (!full || used <= head_bytes_) return Status::Ok();
  return StartSegment(bytes);
}

Status Wal::StartSegment(uint64_t first_write_bytes) {
  if (failed_) return *failed_;
  // The new header chains to the previous segment's last record, which
  // must therefore be durable first.
  if (active_) {
    Status s = active_->Sync();
    if (!s.ok()) return Fail(s);
  }
  const Segment seg{segments_.empty() ? meta_.last_segment + 1 : segments_.back().seq + 1,
                    cache_.LastIndex().Next(), ""};
  const std::string name = SegmentFileName(seg.seq, seg.first_index);
  // Each segment restates the hard state and newest snapshot, so deleting
  // older segments never loses them.
  std::string head;
  size_t head_last = 0;  // where its last record starts
  const auto encode_head = [&](uint64_t allocated_bytes) {
    head.clear();
    EncodeSegmentHeader(SegmentHeader{kWalMagic, kWalVersion, seg.seq, seg.first_index,
                                      segments_.empty() ? 0 : last_crc_, allocated_bytes},
                        head);
    Result<Snapshot> snap = cache_.GetSnapshot();
    if (snap.ok() && !snap.value().IsEmpty()) {
      EncodeSnapshotMarker(snap.value().meta.index, snap.value().meta.term, false, head);
    }
    head_last = head.size();
    EncodeHardState(hard_state_, head);
  };
  encode_head(0);
  // Records never run past a preallocated segment's end: one that does not
  // fit gets a segment of its own size.
  uint64_t allocated_bytes =
      options_.preallocate_segments
          ? std::max<uint64_t>(options_.segment_bytes_max, head.size() + first_write_bytes)
          : 0;
  Result<std::unique_ptr<WritableFile>> f =
      allocated_bytes > 0 ? fs_.CreatePreallocated(Path(name), allocated_bytes)
                          : fs_.Create(Path(name));
  // Short of space for the zeros: this segment grows by appends, so
  // preallocation never stops a node sooner than appending would.
  if (!f.ok() && f.status().code() == StatusCode::kNoSpace) {
    allocated_bytes = 0;
    f = fs_.Create(Path(name));
  }
  if (!f.ok()) return Fail(f.status());
  encode_head(allocated_bytes);
  Status s = f.value()->Append(head);
  if (s.ok()) s = f.value()->Sync();
  if (s.ok()) s = fs_.SyncDir(options_.dir);
  if (!s.ok()) return Fail(s);
  // The previous segment's last record is durable (every write syncs
  // before its answer leaves; a roll only follows a sync).
  std::unique_ptr<WritableFile> previous = std::move(active_);
  const uint64_t previous_end = previous ? previous->Size() : 0;
  segments_.push_back(Segment{seg.seq, seg.first_index, name});
  active_ = std::move(f).value();
  active_allocated_ = allocated_bytes;
  head_bytes_ = head.size();
  last_crc_ = StoredCrc(head, head_last);
  // Once the segment is durable: from now on its absence is damage.
  meta_.last_segment = seg.seq;
  s = RefreshMeta();
  if (!s.ok() || !previous) return s;
  // Only then cut the previous segment's unused zeros: a crash before
  // this leaves them in a segment that is no longer the last (allowed:
  // the chain shows nothing is missing before them), never a cut last one.
  s = previous->Close();
  if (s.ok()) s = fs_.Truncate(Path(segments_[segments_.size() - 2].name), previous_end);
  return s.ok() ? s : Fail(s);
}

Status Wal::Save(const std::optional<HardState>& hard_state, const std::vector<Entry>& entries,
                 const Snapshot& snapshot, bool sync) {
  if (failed_) return *failed_;
  if (!snapshot.IsEmpty()) {
    Status s = SaveReceivedSnapshot(snapshot);
    if (!s.ok()) return s;
  }
  if (!entries.empty() && entries.front().index <= cache_.LastIndex()) {
    // A leader overwrites our uncommitted suffix: until the new entries are
    // durable, a crash may leave the log ending just before them.
    durable_last_ = std::min(durable_last_, entries.front().index.Prev());
    Status s = LowerAckedIndexTo(durable_last_);
    if (!s.ok()) return s;
  }
  // One reused buffer: a fresh allocation per Ready costs page faults on
  // the critical path between the client's write and its fdatasync.
  std::string& buf = encode_buffer_;
  buf.clear();
  for (const Entry& e : entries) EncodeEntry(e, buf);
  // Every write ends with the hard state: then a damaged record is always
  // followed by a valid one, except in a write's last record, and a torn
  // tail can never hide the loss of an acknowledged entry.
  const size_t last_start = buf.size();
  if (hard_state || !entries.empty()) EncodeHardState(hard_state ? *hard_state : hard_state_, buf);
  if (!buf.empty()) {
    Status s = EnsureRoom(buf.size());
    if (!s.ok()) return s;
  }
  if (!buf.empty()) {
    Status s = Write(buf, sync, StoredCrc(buf, last_start));
    if (buf.capacity() > kEncodeBufferKeepBytes) std::string().swap(buf);
    if (!s.ok()) return s;
  }
  cache_.Append(entries);
  if (hard_state) {
    hard_state_ = *hard_state;
    cache_.SetHardState(*hard_state);
  }
  if (sync) durable_last_ = cache_.LastIndex();
  // The metadata keeps the newest term and vote before any message of them
  // leaves, and the acknowledged index within meta_every_entries.
  const bool vote_changed =
      sync && hard_state && (hard_state->term != meta_.term || hard_state->vote != meta_.vote);
  const bool acked_stale = sync && durable_last_ >= meta_.acked_index + options_.meta_every_entries;
  if (vote_changed || acked_stale) return RefreshMeta();
  return Status::Ok();
}

Status Wal::Sync() {
  if (failed_) return *failed_;
  Status s = active_->Sync();
  if (!s.ok()) return Fail(s);
  durable_last_ = cache_.LastIndex();
  return RefreshMeta();
}

Status Wal::MarkRepaired() {
  if (failed_) return *failed_;
  meta_.repair_target.reset();
  cache_.SetRepairTarget(std::nullopt);
  return RefreshMeta();
}

Status Wal::BeginRepair(Index target) {
  if (failed_) return *failed_;
  meta_.repair_target = std::max(meta_.repair_target.value_or(Index{}), target);
  cache_.SetRepairTarget(meta_.repair_target);
  recovery_.repair_target = meta_.repair_target;
  return WriteMeta();
}

Status Wal::AdoptClusterId(const std::string& cluster_id) {
  if (failed_) return *failed_;
  if (meta_.cluster_id == cluster_id) return Status::Ok();
  if (!meta_.cluster_id.empty()) {
    return Status::Error(StatusCode::kCorruption, options_.dir + ": the WAL belongs to cluster " +
                                                      meta_.cluster_id + ", not " + cluster_id);
  }
  meta_.cluster_id = cluster_id;
  return WriteMeta();
}

Status Wal::WriteSnapshotMarker(Index index, Term term, bool replaces_log) {
  std::string buf;
  EncodeSnapshotMarker(index, term, replaces_log, buf);
  const size_t last_start = buf.size();
  EncodeHardState(hard_state_, buf);  // last, as in every write (see Save)
  Status s = EnsureRoom(buf.size());
  return s.ok() ? Write(buf, true, StoredCrc(buf, last_start)) : s;
}

Status Wal::SaveReceivedSnapshot(const Snapshot& snapshot) {
  // The snapshot replaces the log, which then ends at its index.
  Status s = LowerAckedIndexTo(snapshot.meta.index);
  if (!s.ok()) return s;
  s = snapshots_.Save(snapshot);
  if (!s.ok()) return Fail(s);
  s = WriteSnapshotMarker(snapshot.meta.index, snapshot.meta.term, true);
  if (!s.ok()) return s;
  s = cache_.ApplySnapshot(snapshot);
  if (!s.ok()) return s;
  durable_last_ = cache_.LastIndex();
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
  s = WriteSnapshotMarker(index, term.value(), false);
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
