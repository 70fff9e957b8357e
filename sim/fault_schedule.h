// FaultSchedule: an explicit, replayable list of timed fault actions. The
// seeded runs draw faults at random; RapidCheck properties generate
// schedules instead, so a failure shrinks to a minimal list that prints as
// text and replays with `raft-sim --seed S --schedule "..."`.
//
// Text form: actions separated by ';', each "<ms>:<kind>[:<a>[:<b>]]":
//   crash:N          crash node N now
//   crash-mid:N:K    crash N during its next Ready, after K sends
//   restart:N        restart N from its durable state
//   isolate:N        cut N from everyone (both directions)
//   split:MASK       cut the nodes in bit mask MASK from the rest
//   oneway:A:B       drop messages from A to B
//   partial:A:B      A and B cannot talk; both still reach everyone else
//   heal             restore every link
//   disk-error:N:W   N's next sync (W=0) or append (W=1) fails with EIO
//   damage:N:K       crash N if it is up, then damage its synced WAL with
//                    kind K (DamageKind: 0 flip a bit in a segment's
//                    records, 1 drop a segment, 2 truncate a segment inside
//                    its records, 3 remove the metadata file, 4 a latent
//                    read error on a segment); N stays down until a restart
// Node 0 means the current leader (or node 1 when there is none), and
// restart:0 restarts every crashed node.
// A partition action (isolate, split, oneway, partial) replaces the previous
// partition. Crashing a dead node or restarting a live one does nothing.
//
// Threading: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "sim/event_queue.h"

namespace raft::sim {

enum class FaultKind : uint8_t {
  kCrash,
  kCrashMid,
  kRestart,
  kIsolate,
  kSplit,
  kOneWay,
  kPartial,
  kHeal,
  kDiskError,
  kDamage,
};

// What a damage action does to a down node's synced WAL (issue 15). The
// numbers are the K of "damage:N:K".
enum class DamageKind : uint8_t {
  kFlip,      // flip one bit inside a segment's records (not its zero tail)
  kDrop,      // remove a whole segment file
  kTruncate,  // cut a segment at an offset inside its records
  kMeta,      // remove the WAL's metadata file
  kLatent,    // reads of a segment fail (a bad sector)
};
inline constexpr size_t kDamageKinds = 5;
const char* DamageKindName(DamageKind kind);

struct FaultAction {
  SimTime at_us = 0;
  FaultKind kind = FaultKind::kHeal;
  uint64_t a = 0;
  uint64_t b = 0;
  friend bool operator==(const FaultAction&, const FaultAction&) = default;
};

using FaultSchedule = std::vector<FaultAction>;

std::string FormatSchedule(const FaultSchedule& schedule);
Result<FaultSchedule> ParseSchedule(const std::string& text, size_t nodes);

}  // namespace raft::sim
