#include "core/storage/wal_inspector.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/storage/snapshot_file.h"
#include "core/storage/wal.h"

namespace raft {
namespace {

std::string U64(uint64_t v) { return std::to_string(v); }

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

// Replays segments the way Wal::Recover does, recording what recovery would
// make of them, while counting everything readable for the listing.
class Replay {
 public:
  explicit Replay(WalInspection& out, const WalInspectOptions& options)
      : out_(out), options_(options) {}

  // Recovery stops at the first corruption; later damage is not reported.
  bool stopped() const { return stopped_; }

  void AddProblem(WalProblemKind kind, const std::string& file, uint64_t offset,
                  const std::string& reason, uint64_t truncated_bytes = 0) {
    RAFT_ASSERT(!stopped_);
    RAFT_ASSERT(kind == WalProblemKind::kTornTail || truncated_bytes == 0);
    out_.problems.push_back(WalProblem{kind, file, offset, truncated_bytes, reason});
    if (kind == WalProblemKind::kCorruption) stopped_ = true;
  }

  void SetBase(Index base) {
    base_ = base;
    out_.snapshot_index = base;
    out_.last_index = base;
  }

  void Segment(const std::string& bytes, bool last, WalSegmentInfo& seg) {
    size_t offset = 0;
    while (offset < bytes.size()) {
      const DecodeResult r = DecodeRecord(bytes, offset);
      if (r.error != DecodeError::kNone && last && ZeroFrom(bytes, offset)) {
        seg.unused_bytes = bytes.size() - offset;  // preallocated, not yet written
        break;
      }
      if (r.error != DecodeError::kNone) {
        seg.damaged_offset = offset;
        Damage(bytes, offset, r, last, seg.name);
        return;
      }
      RAFT_ASSERT(r.size >= kWalRecordHeaderBytes && offset + r.size <= bytes.size());
      Count(r, offset, seg);
      if (!stopped_) Apply(r.record, offset, seg);
      offset += r.size;
    }
    if (offset == 0 && last && !stopped_) {
      AddProblem(WalProblemKind::kTornTail, seg.name, 0,
                 "empty segment (a crash while creating it); recovery removes it");
    }
  }

  // After the last segment: every snapshot the log mentions must exist.
  void Finish() {
    if (stopped_ || marker_ <= base_) return;
    AddProblem(WalProblemKind::kCorruption, marker_file_, marker_offset_,
               "the log records a snapshot at index " + U64(marker_.value) +
                   " but the newest snapshot file covers only " + U64(base_.value));
  }

 private:
  void Damage(const std::string& bytes, size_t offset, const DecodeResult& r, bool last,
              const std::string& file) {
    if (stopped_) return;
    std::string what = DecodeErrorName(r.error);
    if (r.error == DecodeError::kChecksumMismatch) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), " (stored crc %08x, computed %08x)", r.crc_expected,
                    r.crc_found);
      what += buf;
    }
    // As recovery: the length field is not checksummed, so the damaged
    // record's extent is untrusted; the damage is a torn tail only if no
    // valid record starts anywhere after its first byte.
    if (last && !ValidRecordFrom(bytes, offset + 1)) {
      if (offset == 0) what += "; the segment would be left empty and removed";
      AddProblem(WalProblemKind::kTornTail, file, offset, what, bytes.size() - offset);
      return;
    }
    AddProblem(
        WalProblemKind::kCorruption, file, offset,
        what + (last ? ", followed by valid records" : ", in a segment that is not the last"));
  }

  void Count(const DecodeResult& r, size_t offset, WalSegmentInfo& seg) {
    const WalRecord& rec = r.record;
    seg.record_count++;
    out_.record_count++;
    switch (rec.type) {
      case WalRecordType::kSegmentHeader:
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
  void Apply(const WalRecord& rec, size_t offset, const WalSegmentInfo& seg) {
    auto corrupt = [&](const std::string& what) {
      AddProblem(WalProblemKind::kCorruption, seg.name, offset, what);
    };
    if (offset == 0) {
      const SegmentHeader& h = rec.header;
      if (rec.type != WalRecordType::kSegmentHeader) return corrupt("expected a segment header");
      if (h.magic != kWalMagic) return corrupt("bad magic: not a WAL segment");
      if (h.version != kWalVersion) {
        return corrupt("unsupported WAL version " + U64(h.version) + " (expected " +
                       U64(kWalVersion) + ")");
      }
      if (h.seq != seg.seq || h.first_index != seg.first_index) {
        return corrupt("segment header does not match the file name");
      }
      return;
    }
    switch (rec.type) {
      case WalRecordType::kSegmentHeader:
        return corrupt("unexpected segment header");
      case WalRecordType::kEntry: {
        // Ignored if a snapshot already covered it when it was saved; else
        // it truncated every entry after it, even past the newest snapshot.
        const Index index = rec.entry.index;
        if (index <= marker_) return;
        if (index <= base_) {
          out_.last_index = base_;
          return;
        }
        const Index next = out_.last_index.Next();
        if (index > next) {
          return corrupt("gap in the log: expected index <= " + U64(next.value) + ", found " +
                         U64(index.value));
        }
        out_.last_index = index;  // an overwrite truncates the suffix
        return;
      }
      case WalRecordType::kHardState:
        out_.hard_state = rec.hard_state;
        return;
      case WalRecordType::kSnapshot:
        if (rec.snapshot_index > marker_) {
          marker_ = rec.snapshot_index;
          marker_file_ = seg.name;
          marker_offset_ = offset;
        }
        if (rec.snapshot_replaces_log) out_.last_index = base_;
        return;
    }
  }

  WalInspection& out_;
  const WalInspectOptions& options_;
  bool stopped_ = false;
  Index base_;    // the newest snapshot's index
  Index marker_;  // the newest snapshot the log mentions, and where
  std::string marker_file_;
  uint64_t marker_offset_ = 0;
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
    replay.AddProblem(WalProblemKind::kCorruption, newest.name, 0,
                      "newest snapshot: " + newest.error);
    return Status::Ok();
  }
  replay.SetBase(newest.meta.index);
  return Status::Ok();
}

void CheckSequence(const std::vector<WalSegmentInfo>& segments, Replay& replay) {
  for (size_t i = 1; i < segments.size() && !replay.stopped(); i++) {
    // Two names with one sequence number: recovery reports it as a gap too.
    if (segments[i].seq == segments[i - 1].seq) {
      replay.AddProblem(WalProblemKind::kCorruption, segments[i].name, 0,
                        "duplicate WAL segment sequence " + U64(segments[i].seq) + " (also " +
                            segments[i - 1].name + ")");
    } else if (segments[i].seq != segments[i - 1].seq + 1) {
      replay.AddProblem(WalProblemKind::kCorruption, segments[i].name, 0,
                        "missing WAL segment: expected sequence " + U64(segments[i - 1].seq + 1) +
                            " after " + segments[i - 1].name);
    }
  }
}

void RenderSegment(const WalSegmentInfo& seg, std::ostringstream& os) {
  os << "  " << seg.name << "  seq=" << seg.seq << " first_index=" << seg.first_index.value
     << " size=" << seg.size_bytes << " records=" << seg.record_count
     << " entries=" << seg.entry_count;
  if (seg.entry_count > 0) {
    os << " (" << seg.first_entry.value << ".." << seg.last_entry.value << ")";
  }
  os << " hard-states=" << seg.hard_state_count
     << " snapshot-markers=" << seg.snapshot_marker_count;
  if (seg.unused_bytes > 0) os << " unused=" << seg.unused_bytes;
  os << "\n";
  for (const WalRecordInfo& r : seg.records) {
    const WalRecord& rec = r.record;
    os << "    @" << r.offset << " " << WalRecordTypeName(rec.type);
    switch (rec.type) {
      case WalRecordType::kSegmentHeader:
        os << " seq=" << rec.header.seq << " first_index=" << rec.header.first_index.value;
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

void RenderSnapshot(const WalSnapshotInfo& s, std::ostringstream& os) {
  os << "  " << s.name << "  size=" << s.size_bytes;
  if (s.decoded) {
    os << " index=" << s.meta.index.value << " term=" << s.meta.term.value << " voters=[";
    for (size_t i = 0; i < s.meta.voters.size(); i++) {
      os << (i > 0 ? "," : "") << s.meta.voters[i].value;
    }
    os << "] data=" << s.data_bytes << "B";
  }
  os << (s.ok ? " checksum=ok" : " BAD: " + s.error);
  if (s.newest) os << " (newest: recovery loads it)";
  os << "\n";
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

std::string WalProblem::Classification() const {
  if (kind == WalProblemKind::kCorruption) return "corruption (recovery refuses to start)";
  if (truncated_bytes == 0) return "torn tail (recovery would remove the empty segment)";
  return "torn tail (recovery would truncate " + U64(truncated_bytes) + " bytes)";
}

const char* WalHealthName(WalHealth health) {
  switch (health) {
    case WalHealth::kOk:
      return "ok";
    case WalHealth::kTornTail:
      return "torn-tail";
    case WalHealth::kCorrupt:
      return "corrupt";
  }
  return "unknown";
}

WalHealth WalInspection::health() const {
  WalHealth h = WalHealth::kOk;
  for (const WalProblem& p : problems) {
    if (p.kind == WalProblemKind::kCorruption) return WalHealth::kCorrupt;
    h = WalHealth::kTornTail;
  }
  return h;
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
  Status s = InspectSnapshots(fs, dir, snapshot_names, out, replay);
  if (!s.ok()) return s;
  CheckSequence(out.segments, replay);
  for (size_t i = 0; i < out.segments.size(); i++) {
    WalSegmentInfo& seg = out.segments[i];
    Result<std::string> bytes = fs.ReadFile(JoinPath(dir, seg.name));
    if (!bytes.ok()) return bytes.status();
    seg.size_bytes = bytes.value().size();
    replay.Segment(bytes.value(), i + 1 == out.segments.size(), seg);
  }
  replay.Finish();
  RAFT_ASSERT(out.last_index >= out.snapshot_index);
  return out;
}

std::string RenderWalInspection(const WalInspection& in) {
  std::ostringstream os;
  os << "data directory: " << in.dir << "\n";
  os << "snapshots (" << in.snapshots.size() << "):" << (in.snapshots.empty() ? " none" : "")
     << "\n";
  for (const WalSnapshotInfo& s : in.snapshots) RenderSnapshot(s, os);
  RenderNames("leftover temporary files", in.tmp_files, os);
  RenderNames("other files (ignored by recovery)", in.other_files, os);
  os << "segments (" << in.segments.size() << "):" << (in.segments.empty() ? " none" : "") << "\n";
  for (const WalSegmentInfo& seg : in.segments) RenderSegment(seg, os);
  if (in.hard_state) {
    os << "hard state: term=" << in.hard_state->term.value << " vote=" << in.hard_state->vote.value
       << " commit=" << in.hard_state->commit.value << "\n";
  } else {
    os << "hard state: none\n";
  }
  RenderLogRanges(in, os);
  os << "problems:" << (in.problems.empty() ? " none" : "") << "\n";
  for (const WalProblem& p : in.problems) {
    os << "  " << (p.file.empty() ? in.dir : p.file) << " at offset " << p.offset << ": "
       << p.Classification() << ": " << p.reason << "\n";
  }
  return os.str();
}

std::string WalSummaryLine(const WalInspection& in) {
  std::ostringstream os;
  os << "segments=" << in.segments.size() << " records=" << in.record_count << " entries=";
  if (in.HasEntries()) {
    os << in.snapshot_index.Next().value << ".." << in.last_index.value;
  } else {
    os << "none";
  }
  os << " snapshots=" << in.snapshots.size() << " status=" << WalHealthName(in.health());
  return os.str();
}

}  // namespace raft
