#include "sim/fault_schedule.h"

#include <sstream>

namespace raft::sim {
namespace {

const char* KindName(FaultKind k) {
  switch (k) {
    case FaultKind::kCrash:
      return "crash";
    case FaultKind::kCrashMid:
      return "crash-mid";
    case FaultKind::kRestart:
      return "restart";
    case FaultKind::kIsolate:
      return "isolate";
    case FaultKind::kSplit:
      return "split";
    case FaultKind::kOneWay:
      return "oneway";
    case FaultKind::kPartial:
      return "partial";
    case FaultKind::kHeal:
      return "heal";
    case FaultKind::kDiskError:
      return "disk-error";
    case FaultKind::kDamage:
      return "damage";
  }
  return "?";
}

// Number of numeric arguments each kind takes.
int Arity(FaultKind k) {
  switch (k) {
    case FaultKind::kHeal:
      return 0;
    case FaultKind::kCrashMid:
    case FaultKind::kOneWay:
    case FaultKind::kPartial:
    case FaultKind::kDiskError:
    case FaultKind::kDamage:
      return 2;
    default:
      return 1;
  }
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

bool ParseUint(const std::string& s, uint64_t& v) {
  if (s.empty() || s.size() > 18) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

Status Bad(const std::string& action, const std::string& why) {
  return Status::Error(StatusCode::kInvalidArgument,
                       "bad schedule action '" + action + "': " + why);
}

}  // namespace

const char* DamageKindName(DamageKind kind) {
  switch (kind) {
    case DamageKind::kFlip:
      return "flip";
    case DamageKind::kDrop:
      return "drop";
    case DamageKind::kTruncate:
      return "truncate";
    case DamageKind::kMeta:
      return "meta";
    case DamageKind::kLatent:
      return "latent";
  }
  return "?";
}

std::string FormatSchedule(const FaultSchedule& schedule) {
  std::ostringstream os;
  for (size_t i = 0; i < schedule.size(); i++) {
    const FaultAction& f = schedule[i];
    if (i > 0) os << ";";
    os << f.at_us / 1000 << ":" << KindName(f.kind);
    if (Arity(f.kind) >= 1) os << ":" << f.a;
    if (Arity(f.kind) >= 2) os << ":" << f.b;
  }
  return os.str();
}

Result<FaultSchedule> ParseSchedule(const std::string& text, size_t nodes) {
  FaultSchedule out;
  if (text.empty()) return out;
  for (const std::string& action : Split(text, ';')) {
    std::vector<std::string> parts = Split(action, ':');
    if (parts.size() < 2) return Bad(action, "expected <ms>:<kind>");
    FaultAction f;
    uint64_t ms = 0;
    if (!ParseUint(parts[0], ms)) return Bad(action, "time must be whole milliseconds");
    f.at_us = ms * 1000;
    bool known = false;
    for (FaultKind k :
         {FaultKind::kCrash, FaultKind::kCrashMid, FaultKind::kRestart, FaultKind::kIsolate,
          FaultKind::kSplit, FaultKind::kOneWay, FaultKind::kPartial, FaultKind::kHeal,
          FaultKind::kDiskError, FaultKind::kDamage}) {
      if (parts[1] == KindName(k)) {
        f.kind = k;
        known = true;
      }
    }
    if (!known) return Bad(action, "unknown kind");
    if (static_cast<int>(parts.size()) != 2 + Arity(f.kind)) {
      return Bad(action, "wrong number of arguments");
    }
    if (Arity(f.kind) >= 1 && !ParseUint(parts[2], f.a)) return Bad(action, "bad argument");
    if (Arity(f.kind) >= 2 && !ParseUint(parts[3], f.b)) return Bad(action, "bad argument");
    const bool names_node = f.kind != FaultKind::kSplit && f.kind != FaultKind::kHeal;
    if (names_node && f.a > nodes) return Bad(action, "no such node");
    const bool two_nodes = f.kind == FaultKind::kOneWay || f.kind == FaultKind::kPartial;
    if (two_nodes && (f.b < 1 || f.b > nodes || f.b == f.a)) {
      return Bad(action, "needs two different nodes");
    }
    if (f.kind == FaultKind::kSplit && (f.a == 0 || f.a >= (1ULL << nodes) - 1)) {
      return Bad(action, "mask must name a proper, non-empty subset of nodes");
    }
    if (f.kind == FaultKind::kDiskError && f.b > 1) return Bad(action, "W must be 0 or 1");
    if (f.kind == FaultKind::kDamage && f.b >= kDamageKinds) {
      return Bad(action, "K must be a damage kind, 0 to " + std::to_string(kDamageKinds - 1));
    }
    if (!out.empty() && f.at_us < out.back().at_us) return Bad(action, "times must not decrease");
    out.push_back(f);
  }
  return out;
}

}  // namespace raft::sim
