// WalMeta: the WAL's metadata file, <wal dir>/meta: what this node must
// never forget, kept apart from the log so that a log that lost its end
// can be told from one that never had it.
//
// Format, version 1 (little-endian):
//
//   magic u64 ("RAFTMETA") | version u32 | node u64 | cluster id (u32
//   length + bytes) | term u64 | vote u64 | acked index u64 | last segment
//   u64 | repairing u8 | repair target u64 | crc32c u32
//
// crc32c covers every byte before it. The file is replaced atomically
// (WriteFileAtomically: temp file, fsync, rename, directory fsync), so a
// crash leaves the old file or the new one.
//
// What the fields promise (the Wal keeps these true):
//   - term/vote: the newest term and vote. Written before any message of
//     that term leaves, so a node whose log lost its hard state records
//     still never votes twice in a term or goes back to an older one.
//   - acked index: a lower bound of the highest index this node has
//     acknowledged: the durable end of the log when the file was written
//     (at each segment roll, term or vote change, clean sync, and every
//     WalOptions::meta_every_entries entries). Lowered first, before the
//     log itself shrinks below it (a leader overwriting an uncommitted
//     suffix, a received snapshot). A log that ends below it lost entries.
//   - last segment: the newest segment created (written once that segment
//     is durable), so a missing last segment is seen.
//   - repair target: set while the node repairs a damaged log, so a restart
//     mid-repair goes on repairing.
//
// Threading: pure functions over a FileSystem; the Wal's thread.
#pragma once

#include <optional>
#include <string>

#include "core/message.h"
#include "core/storage/file_system.h"

namespace raft {

inline constexpr char kWalMetaFileName[] = "meta";

struct WalMeta {
  NodeId node;             // the node this log belongs to (0: not recorded)
  std::string cluster_id;  // empty when the host has none (the simulator)
  Term term;
  NodeId vote;
  Index acked_index;
  uint64_t last_segment = 0;
  std::optional<Index> repair_target;
  friend bool operator==(const WalMeta&, const WalMeta&) = default;
};

std::string EncodeWalMeta(const WalMeta& meta);
// Fails with kCorruption naming what is wrong.
Result<WalMeta> DecodeWalMeta(std::string_view bytes);

// nullopt when the file does not exist; kCorruption when it does not decode.
Result<std::optional<WalMeta>> ReadWalMeta(FileSystem& fs, const std::string& dir);
Status WriteWalMeta(FileSystem& fs, const std::string& dir, const WalMeta& meta);

}  // namespace raft
