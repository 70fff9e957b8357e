#include "core/storage/wal_inspector.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/message_validator.h"
#include "core/storage/snapshot_file.h"
#include "core/storage/wal.h"

namespace raft {
namespace {

std::string U64(uint64_t v) { return std::to_string(v); }

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

Result<WalSnapshotInfo> InspectSnapshot(FileSystem& fs, const std::string& dir,
                                        const std::string& name) {
  Result<std::string> bytes = fs.ReadFile(JoinPath(dir, name));
  if (!bytes.ok()) return bytes.status();
  WalSnapshotInfo info;
  info.name = name;
  info.size_bytes = bytes.value().size();
  Result<Snapshot> snap = DecodeSnapshotFile(bytes.value());
  if (!snap.ok()) {
    info.error = snap.status().message();
    return info;
  }
  info.decoded = true;
  info.meta = snap.value().meta;
  info.data_bytes = snap.value().data.size();
  if (SnapshotFileName(info.meta.index, info.meta.term) != name) {
    info.error = "name does not match its contents (index " + U64(info.meta.index.value) +
                 ", term " + U64(info.meta.term.value) + ")";
    return info;
  }
  info.ok = true;
  return info;
}

// Replays the directory the way Wal::Recover does (wal.cc), step for step,
// recording what recovery would make of it instead of doing it, while
// counting everything readable for the listing. Keep the two in step: the
// property test in wal_inspector_test.cc compares them.
class Replay {
 public:
  Replay(WalInspection& out, const WalInspectOptions& options) : out_(out), options_(options) {}

  // Recovery stops replaying the log at the first damage, and stops
  // altogether at a refusal.
  bool log_stopped() const { return log_stopped_ || refused_; }

  void Add(WalFindingKind kind, const std::string& file, std::optional<uint64_t> offset,
           const std::string& reason, uint64_t truncated_bytes = 0) {
    RAFT_ASSERT(!refused_);
    RAFT_ASSERT(kind == WalFindingKind::kTornTail || truncated_bytes == 0);
    out_.findings.push_back(WalFinding{kind, file, offset, truncated_bytes, reason});
    if (kind == WalFindingKind::kDamage) log_stopped_ = true;
    if (kind == WalFindingKind::kRefusal) refused_ = true;
  }

  void SetBase(Index base) {
    base_ = base;
    out_.snapshot_index = base;
    out_.last_index = base;
  }

  // Mirrors Wal::ReplaySegments' sequence check before segment i.
  void CheckSequence(size_t i) {
    if (i == 0 || log_stopped()) return;
    const WalSegmentInfo& prev = out_.segments[i - 1];
    const WalSegmentInfo& seg = out_.segments[i];
    if (seg.seq == prev.seq + 1) return;
    Add(WalFindingKind::kDamage, prev.name, std::nullopt,
        seg.seq == prev.seq
            ? "duplicate segment sequence " + U64(seg.seq) + " (also " + seg.name + ")"
            : "missing segment: sequence " + U64(prev.seq + 1) + " (between " + prev.name +
                  " and " + seg.name + ")");
  }

  // Mirrors Wal::ReplaySegment; counts every readable record for the listing.
  void Segment(const std::string& bytes, bool last, WalSegmentInfo& seg) {
    const bool replayed = !log_stopped();
    if (replayed) segment_records_end_ = 0;
    size_t offset = 0;
    while (offset < bytes.size()) {
      const DecodeResult r = DecodeRecord(bytes, offset);
      // Unused space, in an older segment too (a roll cuts the old
      // segment's zeros only once the next one is durable; the chain shows
      // no record is missing). Zeros from the first byte on are unused only
      // in the last segment: elsewhere the header is lost.
      if (r.error != DecodeError::kNone && (offset > 0 || last) && ZeroFrom(bytes, offset)) {
        seg.unused_bytes = bytes.size() - offset;  // preallocated, not yet written
        break;
      }
      if (r.error != DecodeError::kNone) {
        seg.damaged_offset = offset;
        if (!log_stopped()) Damage(bytes, offset, r, last, seg);
        if (replayed && !log_stopped()) segment_records_end_ = offset;  // a torn tail, cut
        return;
      }
      RAFT_ASSERT(r.size >= kWalRecordHeaderBytes && offset + r.size <= bytes.size());
      Count(r, offset, seg);
      if (!log_stopped()) Apply(r, offset, seg);
      offset += r.size;
      if (replayed && !log_stopped()) segment_records_end_ = offset;
    }
    // An older segment of no bytes at all has lost its header.
    if (!last && !log_stopped() && offset == 0) {
      Add(WalFindingKind::kDamage, seg.name, 0, "no segment header: an older segment is empty");
      return;
    }
    // Records up to the very end of a last preallocated segment shorter than
    // its allocation: whatever followed the cut is gone (a roll cuts a
    // segment only once the next one is durable, so a last one never is).
    if (last && !log_stopped() && seg.allocated_bytes > 0 && bytes.size() < seg.allocated_bytes &&
        offset == bytes.size()) {
      Add(WalFindingKind::kDamage, seg.name, offset,
          "a preallocated segment cut to " + U64(bytes.size()) + " of " + U64(seg.allocated_bytes) +
              " bytes, at a record boundary");
    }
  }

  // Between segments, as ReplaySegments passes the previous one's crc on.
  void EndSegment(const WalSegmentInfo& seg) {
    if (log_stopped()) return;
    prev_crc_ = last_crc_;  // as recovery: 0 if no record was replayed yet
    prev_name_ = seg.name;
  }

  // After the last segment, as Wal::Recover after ReplaySegments.
  void Finish() {
    if (refused_) return;
    // Damage in the segments themselves; a lost snapshot (below) does not
    // stop recovery from finding an empty last segment.
    const bool replay_damaged = log_stopped();
    if (marker_ > base_) {
      // The entries the snapshot covered are lost, so recovery keeps none.
      Add(WalFindingKind::kDamage, marker_file_, marker_offset_,
          "the log records a snapshot at index " + U64(marker_.value) +
              " but the newest snapshot file covers only " + U64(base_.value));
      log_terms_.clear();
      out_.last_index = base_;
    }
    if (!CheckRecovered()) return;
    // A last segment without a record: a crash while creating it, unless
    // the metadata names it (it does once the header is durable).
    const bool empty_last = !out_.segments.empty() && segment_records_end_ == 0 && !replay_damaged;
    if (empty_last && out_.meta && out_.segments.back().seq <= out_.meta->last_segment) {
      Add(WalFindingKind::kDamage, out_.segments.back().name, std::nullopt,
          "empty, but the metadata records it as created (its header was synced and lost)");
    }
    CheckMeta();
    if (out_.Count(WalFindingKind::kDamage) > 0) return;
    if (!empty_last) return;
    const WalSegmentInfo& seg = out_.segments.back();
    const std::string recorded;
    auto torn = std::find_if(out_.findings.begin(), out_.findings.end(), [&](const WalFinding& f) {
      return f.kind == WalFindingKind::kTornTail && f.file == seg.name;
    });
    if (torn != out_.findings.end()) {
      torn->reason += "; that leaves no record: recovery removes the segment" + recorded;
      return;
    }
    Add(WalFindingKind::kTornTail, seg.name, std::nullopt,
        "holds no record (a crash while creating it): recovery removes the segment" +
            (seg.size_bytes > 0 ? " (" + U64(seg.size_bytes) + " zero bytes)" : std::string()) +
            recorded);
  }

 private:
  void Damage(const std::string& bytes, size_t offset, const DecodeResult& r, bool last,
              const WalSegmentInfo& seg) {
    std::string what = DecodeErrorName(r.error);
    if (r.error == DecodeError::kChecksumMismatch) {
      what += " (stored crc " + Hex32(r.crc_expected) + ", computed " + Hex32(r.crc_found) + ")";
    }
    // As recovery: the length field is not checksummed, so the damaged
    // record's extent is untrusted; the damage is a torn tail only if no
    // valid record starts anywhere after its first byte, and a torn write
    // never shortens a preallocated file.
    const bool cut_short = seg.allocated_bytes > 0 && bytes.size() < seg.allocated_bytes;
    if (last && !cut_short && !ValidRecordFrom(bytes, offset + 1)) {
      // A preallocated segment keeps its length: recovery zeroes the torn
      // bytes, up to the last non-zero one.
      const bool zeroes = seg.allocated_bytes > 0;
      const uint64_t torn = (zeroes ? bytes.find_last_not_of('\0') + 1 : bytes.size()) - offset;
      Add(WalFindingKind::kTornTail, seg.name, offset,
          "torn tail of " + U64(torn) + " bytes (" + what + "): recovery " +
              (zeroes ? "zeroes it" : "cuts it"),
          torn);
      return;
    }
    Add(WalFindingKind::kDamage, seg.name, offset,
        "corrupt record: " + what +
            (!last       ? ", in a segment that is not the last"
             : cut_short ? ", in a preallocated segment cut to " + U64(bytes.size()) + " of " +
                               U64(seg.allocated_bytes) + " bytes"
                         : ", followed by valid records"));
  }

  void Count(const DecodeResult& r, size_t offset, WalSegmentInfo& seg) {
    const WalRecord& rec = r.record;
    seg.record_count++;
    out_.record_count++;
    switch (rec.type) {
      case WalRecordType::kSegmentHeader:
        if (offset == 0) {
          seg.version = rec.header.version;
          seg.allocated_bytes = rec.header.allocated_bytes;
          seg.prev_crc = rec.header.prev_crc;
        }
        break;
      case WalRecordType::kEntry:
        if (seg.entry_count == 0) seg.first_entry = rec.entry.index;
        seg.last_entry = rec.entry.index;
        seg.entry_count++;
        break;
      case WalRecordType::kHardState:
        seg.hard_state_count++;
        break;
      case WalRecordType::kSnapshot:
        seg.snapshot_marker_count++;
        break;
    }
    if (!options_.records) return;
    WalRecordInfo info{offset, r.size, rec, rec.entry.data.size()};
    info.record.entry.data.clear();  // keep the listing small
    seg.records.push_back(std::move(info));
  }

  // Mirrors Wal::ReplaySegment's checks and its rebuilding of the log.
  void Apply(const DecodeResult& r, size_t offset, WalSegmentInfo& seg) {
    const WalRecord& rec = r.record;
    auto damaged = [&](const std::string& what) {
      Add(WalFindingKind::kDamage, seg.name, offset, what);
    };
    if (offset == 0) {
      const SegmentHeader& h = rec.header;
      if (rec.type != WalRecordType::kSegmentHeader) return damaged("expected a segment header");
      if (h.magic != kWalMagic) return damaged("bad magic: not a WAL segment");
      if (h.version < kWalVersionOldest || h.version > kWalVersion) {
        return Add(WalFindingKind::kRefusal, seg.name, offset,
                   "unsupported WAL version " + U64(h.version) + " (expected " +
                       U64(kWalVersionOldest) + " to " + U64(kWalVersion) + ")");
      }
      if (h.seq != seg.seq || h.first_index != seg.first_index) {
        return damaged("segment header does not match the file name");
      }
      if (h.version >= 2) {
        chained_ = true;
        if (prev_crc_ && h.prev_crc != *prev_crc_) {
          return damaged("chain broken between " + prev_name_ + " and " + seg.name +
                         ": the header names a previous record with crc " + Hex32(h.prev_crc) +
                         ", " + prev_name_ + " ends with " + Hex32(*prev_crc_));
        }
      }
    } else {
      switch (rec.type) {
        case WalRecordType::kSegmentHeader:
          return damaged("unexpected segment header");
        case WalRecordType::kEntry: {
          // Replayed as the cache took it when saved: ignored if a snapshot
          // already covered it, else it truncated every entry after it,
          // including any past a snapshot taken since.
          const Entry& e = rec.entry;
          if (e.index <= marker_) break;
          if (e.index <= base_) {
            log_terms_.clear();
            break;
          }
          const Index next = base_ + (log_terms_.size() + 1);
          if (e.index > next) {
            return damaged("gap in the log: expected index <= " + U64(next.value) + ", found " +
                           U64(e.index.value));
          }
          log_terms_.resize(Distance(base_, e.index) - 1);  // an overwrite truncates
          log_terms_.push_back(e.term);
          break;
        }
        case WalRecordType::kHardState:
          out_.hard_state = rec.hard_state;
          break;
        case WalRecordType::kSnapshot:
          if (rec.snapshot_index > marker_) {
            marker_ = rec.snapshot_index;
            marker_file_ = seg.name;
            marker_offset_ = offset;
          }
          if (rec.snapshot_replaces_log) log_terms_.clear();
          break;
      }
    }
    out_.replayed_records++;
    out_.last_index = base_ + log_terms_.size();
    last_crc_ = r.crc_expected;
  }

  // Mirrors Wal::CheckRecovered: a log a correct node cannot have written.
  bool CheckRecovered() {
    const std::optional<HardState>& hs = out_.hard_state;
    if (hs && (hs->term.value > kWireNumberMax || hs->commit.value > kWireNumberMax)) {
      Add(WalFindingKind::kRefusal, "", std::nullopt,
          "hard state term " + U64(hs->term.value) + " or commit " + U64(hs->commit.value) +
              " is out of range");
      return false;
    }
    Term previous;
    for (size_t i = 0; i < log_terms_.size(); i++) {
      const Term term = log_terms_[i];
      const Index index = base_ + (i + 1);
      if (term.value > kWireNumberMax || index.value > kWireNumberMax || term < previous) {
        Add(WalFindingKind::kRefusal, "", std::nullopt,
            "entry " + U64(index.value) + " has term " + U64(term.value) + " after term " +
                U64(previous.value) + " (terms never decrease)");
        return false;
      }
      previous = term;
    }
    return true;
  }

  // What the metadata promises the log must hold, as Wal::Recover checks it.
  void CheckMeta() {
    const bool meta_lost = out_.meta_present && !out_.meta;
    const bool legacy = !out_.meta_present && !chained_;
    if (out_.Initialized() && !out_.meta_present && !legacy) {
      Add(WalFindingKind::kDamage, kWalMetaFileName, std::nullopt,
          "metadata missing in an initialized WAL (its segments are version 2)");
    }
    if (out_.meta) {
      const WalMeta& m = *out_.meta;
      const uint64_t newest = out_.segments.empty() ? 0 : out_.segments.back().seq;
      if (newest < m.last_segment) {
        Add(WalFindingKind::kDamage, "", std::nullopt,
            "missing segment: the newest segment is " +
                (out_.segments.empty() ? std::string("none") : out_.segments.back().name) +
                " but the metadata records segment " + U64(m.last_segment));
      }
      // (Below it is expected while a repair is under way.)
      if (out_.last_index < m.acked_index && !m.repair_target) {
        Add(WalFindingKind::kDamage, "", std::nullopt,
            "the log ends at index " + U64(out_.last_index.value) + ", below index " +
                U64(m.acked_index.value) + " this node acknowledged");
      }
    }
    const bool damaged = out_.Count(WalFindingKind::kDamage) > 0;
    const std::optional<Index> target = out_.meta ? out_.meta->repair_target : std::nullopt;
    if (target) {
      Add(WalFindingKind::kRepair, kWalMetaFileName, std::nullopt,
          "unfinished repair: the node repairs up to index " + U64(target->value) +
              " from its peers before it votes or acknowledges");
    }
    out_.repair_target = target;
    if (damaged) {
      const Index acked = out_.meta ? out_.meta->acked_index : Index{};
      out_.repair_target = std::max({acked, out_.last_index, target.value_or(Index{})});
      out_.findings.push_back(WalFinding{
          WalFindingKind::kNote, "", std::nullopt, 0,
          "recovery keeps the log up to index " + U64(out_.last_index.value) +
              ", renames every segment aside (.damaged-<seq>) and the node repairs up to index " +
              U64(out_.repair_target->value) + " from its peers"});
    }
    if (!damaged && legacy && out_.Initialized() && !meta_lost) {
      out_.findings.push_back(
          WalFinding{WalFindingKind::kNote, kWalMetaFileName, std::nullopt, 0,
                     "none: a WAL from before the metadata file; recovery creates it"});
    }
  }

  WalInspection& out_;
  const WalInspectOptions& options_;
  bool log_stopped_ = false;  // damage found: recovery replays no further
  bool refused_ = false;
  Index base_;                   // the newest snapshot's index
  std::vector<Term> log_terms_;  // the kept log after base_, by index
  Index marker_;                 // the newest snapshot the log mentions, and where
  std::string marker_file_;
  uint64_t marker_offset_ = 0;
  bool chained_ = false;              // a segment of version 2 or later was replayed
  uint32_t last_crc_ = 0;             // stored crc of the last record replayed
  std::optional<uint32_t> prev_crc_;  // the previous segment's last record
  std::string prev_name_;
  uint64_t segment_records_end_ = 0;  // where the last replayed segment's records end
};

// Snapshot files first, as SnapshotStore::Open runs before the log replays.
Status InspectSnapshots(FileSystem& fs, const std::string& dir,
                        const std::vector<std::string>& names, WalInspection& out, Replay& replay) {
  for (const std::string& name : names) {
    Result<WalSnapshotInfo> info = InspectSnapshot(fs, dir, name);
    if (!info.ok()) return info.status();
    out.snapshots.push_back(std::move(info).value());
  }
  if (out.snapshots.empty()) return Status::Ok();
  WalSnapshotInfo& newest = out.snapshots.back();
  newest.newest = true;
  if (!newest.ok) {
    replay.Add(WalFindingKind::kRefusal, newest.name, std::nullopt,
               "newest snapshot: " + newest.error);
    return Status::Ok();
  }
  replay.SetBase(newest.meta.index);
  return Status::Ok();
}

// The metadata file, as Wal::Recover reads it first.
Status InspectMeta(FileSystem& fs, const std::string& dir, WalInspection& out) {
  if (!out.meta_present) return Status::Ok();
  Result<std::string> bytes = fs.ReadFile(JoinPath(dir, kWalMetaFileName));
  if (!bytes.ok()) return bytes.status();
  Result<WalMeta> meta = DecodeWalMeta(bytes.value());
  if (!meta.ok()) {
    // Damage, but not to the log: recovery replays it all the same.
    out.meta_error = meta.status().message();
    out.findings.push_back(WalFinding{WalFindingKind::kDamage, kWalMetaFileName, std::nullopt, 0,
                                      "metadata unreadable: " + out.meta_error});
    return Status::Ok();
  }
  out.meta = std::move(meta).value();
  return Status::Ok();
}

std::string MetaLine(const WalInspection& in) {
  if (!in.meta_present) return "meta: missing";
  if (!in.meta) return "meta: unreadable: " + in.meta_error;
  const WalMeta& m = *in.meta;
  return "meta: node=" + U64(m.node.value) +
         " cluster=" + (m.cluster_id.empty() ? std::string("-") : m.cluster_id) +
         " term=" + U64(m.term.value) + " vote=" + U64(m.vote.value) +
         " acked_index=" + U64(m.acked_index.value) + " last_segment=" + U64(m.last_segment) +
         " repair_target=" + (m.repair_target ? U64(m.repair_target->value) : std::string("none"));
}

std::string SegmentLine(const WalSegmentInfo& seg) {
  std::ostringstream os;
  os << "segment " << seg.name << ": version=" << seg.version << " seq=" << seg.seq
     << " first_index=" << seg.first_index.value << " size=" << seg.size_bytes
     << " allocated=" << seg.allocated_bytes << " records=" << seg.record_count
     << " entries=" << seg.entry_count;
  if (seg.entry_count > 0)
    os << " (" << seg.first_entry.value << ".." << seg.last_entry.value << ")";
  os << " hard_states=" << seg.hard_state_count << " snapshot_markers=" << seg.snapshot_marker_count
     << " unused=" << seg.unused_bytes;
  if (seg.damaged_offset) os << " unreadable_from=" << *seg.damaged_offset;
  return os.str();
}

std::string SnapshotLine(const WalSnapshotInfo& s) {
  std::ostringstream os;
  os << "snapshot " << s.name << ": size=" << s.size_bytes;
  if (s.decoded) {
    os << " index=" << s.meta.index.value << " term=" << s.meta.term.value << " voters=[";
    for (size_t i = 0; i < s.meta.voters.size(); i++) {
      os << (i > 0 ? "," : "") << s.meta.voters[i].value;
    }
    os << "] data=" << s.data_bytes << "B";
  }
  os << (s.ok ? " checksum=ok" : " BAD: " + s.error);
  if (s.newest) os << " (newest: recovery loads it)";
  return os.str();
}

void RenderRecords(const WalSegmentInfo& seg, std::ostringstream& os) {
  for (const WalRecordInfo& r : seg.records) {
    const WalRecord& rec = r.record;
    os << "    @" << r.offset << " " << WalRecordTypeName(rec.type);
    switch (rec.type) {
      case WalRecordType::kSegmentHeader:
        os << " version=" << rec.header.version << " seq=" << rec.header.seq
           << " first_index=" << rec.header.first_index.value;
        if (rec.header.version >= 2) {
          os << " prev_crc=" << Hex32(rec.header.prev_crc)
             << " allocated=" << rec.header.allocated_bytes;
        }
        break;
      case WalRecordType::kEntry:
        os << " term=" << rec.entry.term.value << " index=" << rec.entry.index.value
           << " type=" << (rec.entry.type == EntryType::kNoop ? "noop" : "normal")
           << " data=" << r.entry_data_bytes << "B";
        break;
      case WalRecordType::kHardState:
        os << " term=" << rec.hard_state.term.value << " vote=" << rec.hard_state.vote.value
           << " commit=" << rec.hard_state.commit.value;
        break;
      case WalRecordType::kSnapshot:
        os << " index=" << rec.snapshot_index.value << " term=" << rec.snapshot_term.value
           << (rec.snapshot_replaces_log ? " replaces-log" : "");
        break;
    }
    os << "\n";
  }
  if (seg.damaged_offset) {
    os << "    @" << *seg.damaged_offset << " unreadable record; "
       << seg.size_bytes - *seg.damaged_offset << " bytes not read\n";
  }
}

void RenderNames(const char* title, const std::vector<std::string>& names, std::ostringstream& os) {
  if (names.empty()) return;
  os << title << " (" << names.size() << "):\n";
  for (const std::string& n : names) os << "  " << n << "\n";
}

// What recovery rebuilds, next to what the segments hold (which includes
// entries the snapshot already covers and overwritten ones).
void RenderLogRanges(const WalInspection& in, std::ostringstream& os) {
  os << "log as recovered: snapshot index " << in.snapshot_index.value << ", ";
  if (in.HasEntries()) {
    os << "entries " << in.snapshot_index.Next().value << ".." << in.last_index.value;
  } else {
    os << "no entries";
  }
  Index lo, hi;
  for (const WalSegmentInfo& seg : in.segments) {
    if (seg.entry_count == 0) continue;
    if (lo == Index{} || seg.first_entry < lo) lo = seg.first_entry;
    hi = std::max(hi, seg.last_entry);
  }
  if (lo == Index{}) {
    os << " (no entry records on disk)\n";
  } else {
    os << " (entry records on disk: " << lo.value << ".." << hi.value << ")\n";
  }
}

}  // namespace

const char* WalFindingKindName(WalFindingKind kind) {
  switch (kind) {
    case WalFindingKind::kNote:
      return "note";
    case WalFindingKind::kTornTail:
      return "torn-tail";
    case WalFindingKind::kRepair:
      return "repairing";
    case WalFindingKind::kDamage:
      return "damage";
    case WalFindingKind::kRefusal:
      return "refused";
  }
  return "unknown";
}

std::string WalFinding::Line() const {
  std::string out = std::string(WalFindingKindName(kind)) + ": ";
  if (!file.empty()) out += file + (offset ? ":" + U64(*offset) : std::string()) + ": ";
  return out + reason;
}

const char* WalStatusName(WalStatus status) {
  switch (status) {
    case WalStatus::kOk:
      return "ok";
    case WalStatus::kTornTail:
      return "torn-tail";
    case WalStatus::kRepairing:
      return "repairing";
    case WalStatus::kDamaged:
      return "damaged";
    case WalStatus::kRefused:
      return "refused";
    case WalStatus::kEmpty:
      return "empty";
    case WalStatus::kNotAWal:
      return "not-a-wal";
    case WalStatus::kMissing:
      return "missing";
    case WalStatus::kUnreadable:
      return "unreadable";
  }
  return "unknown";
}

size_t WalInspection::Count(WalFindingKind kind) const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [&](const WalFinding& f) { return f.kind == kind; }));
}

uint64_t WalInspection::TornBytes() const {
  uint64_t bytes = 0;
  for (const WalFinding& f : findings) bytes += f.truncated_bytes;
  return bytes;
}

WalStatus WalInspection::status() const {
  if (Count(WalFindingKind::kRefusal) > 0) return WalStatus::kRefused;
  if (Count(WalFindingKind::kDamage) > 0) return WalStatus::kDamaged;
  if (Count(WalFindingKind::kRepair) > 0) return WalStatus::kRepairing;
  if (!Initialized()) return other_files.empty() ? WalStatus::kEmpty : WalStatus::kNotAWal;
  if (Count(WalFindingKind::kTornTail) > 0) return WalStatus::kTornTail;
  return WalStatus::kOk;
}

Result<WalInspection> InspectWal(FileSystem& fs, const std::string& dir,
                                 const WalInspectOptions& options) {
  Result<std::vector<std::string>> names = fs.List(dir);
  if (!names.ok()) return names.status();
  WalInspection out;
  out.dir = dir;
  std::vector<std::string> snapshot_names;
  for (const std::string& n : names.value()) {
    WalSegmentInfo seg;
    if (ParseSegmentFileName(n, seg.seq, seg.first_index)) {
      seg.name = n;
      out.segments.push_back(std::move(seg));
    } else if (IsSnapshotFileName(n)) {
      snapshot_names.push_back(n);  // hex names sort by index, oldest first
    } else if (n == kWalMetaFileName) {
      out.meta_present = true;
    } else if (n.find(".damaged-") != std::string::npos) {
      out.quarantined.push_back(n);
    } else if (n.ends_with(".tmp")) {
      out.tmp_files.push_back(n);
    } else {
      out.other_files.push_back(n);
    }
  }
  std::sort(snapshot_names.begin(), snapshot_names.end());
  std::stable_sort(out.segments.begin(), out.segments.end(),
                   [](const WalSegmentInfo& a, const WalSegmentInfo& b) { return a.seq < b.seq; });

  Replay replay(out, options);
  Status s = InspectMeta(fs, dir, out);
  if (s.ok()) s = InspectSnapshots(fs, dir, snapshot_names, out, replay);
  if (!s.ok()) return s;
  for (size_t i = 0; i < out.segments.size(); i++) {
    WalSegmentInfo& seg = out.segments[i];
    replay.CheckSequence(i);
    Result<std::string> bytes = fs.ReadFile(JoinPath(dir, seg.name));
    if (!bytes.ok()) return bytes.status();
    seg.size_bytes = bytes.value().size();
    replay.Segment(bytes.value(), i + 1 == out.segments.size(), seg);
    replay.EndSegment(seg);
  }
  replay.Finish();
  for (const std::string& q : out.quarantined) {
    out.findings.push_back(WalFinding{WalFindingKind::kNote, q, std::nullopt, 0,
                                      "quarantined by an earlier recovery that found damage"});
  }
  RAFT_ASSERT(out.last_index >= out.snapshot_index);
  return out;
}

std::vector<std::string> WalFileLines(const WalInspection& in) {
  std::vector<std::string> lines{MetaLine(in)};
  for (const WalSegmentInfo& seg : in.segments) lines.push_back(SegmentLine(seg));
  for (const WalSnapshotInfo& s : in.snapshots) lines.push_back(SnapshotLine(s));
  for (const std::string& n : in.tmp_files) {
    // A snapshot or metadata file being written, or a server's spare segment.
    lines.push_back("temporary " + n + ": " +
                    (n.starts_with("snap-") ? "recovery removes it" : "ignored by recovery"));
  }
  for (const std::string& n : in.other_files) lines.push_back("other " + n + ": ignored");
  return lines;
}

std::string RenderWalInspection(const WalInspection& in) {
  std::ostringstream os;
  os << "WAL directory: " << in.dir << "\n";
  os << MetaLine(in) << "\n";
  os << "snapshots (" << in.snapshots.size() << "):" << (in.snapshots.empty() ? " none" : "")
     << "\n";
  for (const WalSnapshotInfo& s : in.snapshots) os << "  " << SnapshotLine(s) << "\n";
  RenderNames("quarantined segments", in.quarantined, os);
  RenderNames("temporary files", in.tmp_files, os);
  RenderNames("other files (ignored by recovery)", in.other_files, os);
  os << "segments (" << in.segments.size() << "):" << (in.segments.empty() ? " none" : "") << "\n";
  for (const WalSegmentInfo& seg : in.segments) {
    os << "  " << SegmentLine(seg) << "\n";
    RenderRecords(seg, os);
  }
  if (in.hard_state) {
    os << "hard state: term=" << in.hard_state->term.value << " vote=" << in.hard_state->vote.value
       << " commit=" << in.hard_state->commit.value << "\n";
  } else {
    os << "hard state: none\n";
  }
  RenderLogRanges(in, os);
  os << "findings:" << (in.findings.empty() ? " none" : "") << "\n";
  for (const WalFinding& f : in.findings) os << "  " << f.Line() << "\n";
  return os.str();
}

std::string WalSummaryLine(const WalInspection& in) {
  std::ostringstream os;
  os << "status=" << WalStatusName(in.status()) << " segments=" << in.segments.size()
     << " records=" << in.record_count << " snapshot_index=" << in.snapshot_index.value
     << " last_index=" << in.last_index.value
     << " acked_index=" << (in.meta ? U64(in.meta->acked_index.value) : std::string("none"))
     << " torn_bytes=" << in.TornBytes() << " damage=" << in.Count(WalFindingKind::kDamage)
     << " quarantined=" << in.quarantined.size() << " repair_target="
     << (in.repair_target ? U64(in.repair_target->value) : std::string("none"));
  return os.str();
}

}  // namespace raft
