// The linearizability checker, tested two ways:
//
//   1. Hand-written histories with exact verdicts: the classic anomalies a
//      broken store produces (stale read, lost write, new-old inversion, a
//      CAS or delete that reports an impossible result) must be rejected with
//      the offending key and operation named; the legal behaviours that make
//      checking hard (concurrency, unknown outcomes that land late or never)
//      must be accepted.
//   2. A cross-check against BruteForceLinearizable below, an independent and
//      obviously-correct search that tries every subset of the uncertain
//      operations and every real-time-respecting order of what it includes.
//      It is exponential, so it only runs on histories of a few operations.
#include "sim/linearizability.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/assert.h"
#include "core/rng.h"

namespace raft::sim {
namespace {

using kv::Op;
using Value = std::optional<std::string>;  // nullopt: the key is absent

// ---------------------------------------------------------------------------
// Building histories by hand

// Appends operations in the order written; each call returns the new id.
class HistoryBuilder {
 public:
  uint64_t Put(const std::string& key, const std::string& value, SimTime invoke_us,
               SimTime complete_us, Outcome outcome = Outcome::kOk) {
    Operation op = Base(Op::kPut, key, invoke_us, complete_us, outcome);
    op.value = value;
    return Add(std::move(op));
  }
  uint64_t Get(const std::string& key, SimTime invoke_us, SimTime complete_us, const Value& result,
               Outcome outcome = Outcome::kOk) {
    Operation op = Base(Op::kGet, key, invoke_us, complete_us, outcome);
    op.result_found = result.has_value();
    op.result_value = result.value_or("");
    return Add(std::move(op));
  }
  uint64_t Delete(const std::string& key, SimTime invoke_us, SimTime complete_us, bool existed,
                  Outcome outcome = Outcome::kOk) {
    Operation op = Base(Op::kDelete, key, invoke_us, complete_us, outcome);
    op.result_ok = existed;
    return Add(std::move(op));
  }
  // expected nullopt means "expect absent".
  uint64_t Cas(const std::string& key, const Value& expected, const std::string& value,
               SimTime invoke_us, SimTime complete_us, bool swapped,
               Outcome outcome = Outcome::kOk) {
    Operation op = Base(Op::kCompareAndSwap, key, invoke_us, complete_us, outcome);
    op.expect_absent = !expected.has_value();
    op.expected = expected.value_or("");
    op.value = value;
    op.result_ok = swapped;
    return Add(std::move(op));
  }

  const std::vector<Operation>& ops() const { return ops_; }

 private:
  static Operation Base(Op kind, const std::string& key, SimTime invoke_us, SimTime complete_us,
                        Outcome outcome) {
    Operation op;
    op.op = kind;
    op.key = key;
    op.invoke_us = invoke_us;
    op.complete_us = complete_us;
    op.outcome = outcome;
    return op;
  }
  uint64_t Add(Operation op) {
    op.id = ops_.size();
    op.client = op.id;
    ops_.push_back(std::move(op));
    return ops_.back().id;
  }

  std::vector<Operation> ops_;
};

bool HasCulprit(const LinearizabilityReport& report, uint64_t id) {
  return std::any_of(report.culprits.begin(), report.culprits.end(),
                     [id](const Operation& op) { return op.id == id; });
}

::testing::AssertionResult Accepted(const std::vector<Operation>& history) {
  const LinearizabilityReport report = CheckLinearizable(history);
  if (report.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << report.Describe();
}

// Rejected, with `key` named and operation `culprit` among the culprits.
::testing::AssertionResult RejectedAt(const std::vector<Operation>& history, const std::string& key,
                                      uint64_t culprit) {
  const LinearizabilityReport report = CheckLinearizable(history);
  if (report.ok) return ::testing::AssertionFailure() << "accepted as linearizable";
  if (report.key != key) {
    return ::testing::AssertionFailure() << "blamed key " << report.key << ", want " << key;
  }
  if (!HasCulprit(report, culprit)) {
    return ::testing::AssertionFailure()
           << "culprits lack #" << culprit << ": " << report.Describe();
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------
// Histories that must be rejected

TEST(LinearizabilityRejects, StaleReadAfterTwoCompletedWrites) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  h.Put("a", "2", 20, 30);
  const uint64_t read = h.Get("a", 40, 50, "1");
  EXPECT_TRUE(RejectedAt(h.ops(), "a", read));
}

TEST(LinearizabilityRejects, LostWriteReadAsAbsent) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  const uint64_t read = h.Get("a", 20, 30, std::nullopt);
  EXPECT_TRUE(RejectedAt(h.ops(), "a", read));
}

TEST(LinearizabilityRejects, ReadOfAValueNeverWritten) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  const uint64_t read = h.Get("a", 5, 15, "9");  // concurrent with the put, still impossible
  EXPECT_TRUE(RejectedAt(h.ops(), "a", read));

  HistoryBuilder empty_key;
  const uint64_t ghost = empty_key.Get("a", 0, 10, "1");
  EXPECT_TRUE(RejectedAt(empty_key.ops(), "a", ghost));
}

TEST(LinearizabilityRejects, ReadCannotSeeAWriteInvokedAfterItCompleted) {
  HistoryBuilder h;
  const uint64_t read = h.Get("a", 0, 10, "1");
  h.Put("a", "1", 11, 20);
  EXPECT_TRUE(RejectedAt(h.ops(), "a", read));
}

TEST(LinearizabilityRejects, NewOldInversionAcrossTwoSequentialReads) {
  HistoryBuilder h;
  h.Put("a", "old", 0, 5);
  h.Put("a", "new", 10, 100);  // concurrent with both reads
  const uint64_t first = h.Get("a", 20, 30, "new");
  const uint64_t second = h.Get("a", 40, 50, "old");
  const LinearizabilityReport report = CheckLinearizable(h.ops());
  EXPECT_TRUE(RejectedAt(h.ops(), "a", second));
  EXPECT_TRUE(HasCulprit(report, first)) << report.Describe();

  // Either read alone is fine: the inversion is what is illegal.
  HistoryBuilder only_new;
  only_new.Put("a", "old", 0, 5);
  only_new.Put("a", "new", 10, 100);
  only_new.Get("a", 20, 30, "new");
  only_new.Get("a", 40, 50, "new");
  EXPECT_TRUE(Accepted(only_new.ops()));
}

TEST(LinearizabilityRejects, CasSwappedAgainstAValueThatCouldNotBeCurrent) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  const uint64_t cas = h.Cas("a", "2", "3", 20, 30, /*swapped=*/true);
  EXPECT_TRUE(RejectedAt(h.ops(), "a", cas));
}

TEST(LinearizabilityRejects, CasExpectingAbsentSwappedWhileTheKeyExisted) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  const uint64_t cas = h.Cas("a", std::nullopt, "3", 20, 30, /*swapped=*/true);
  EXPECT_TRUE(RejectedAt(h.ops(), "a", cas));
}

TEST(LinearizabilityRejects, CasRefusedAlthoughItsExpectationHeld) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  const uint64_t cas = h.Cas("a", "1", "2", 20, 30, /*swapped=*/false);
  EXPECT_TRUE(RejectedAt(h.ops(), "a", cas));
}

TEST(LinearizabilityRejects, ReadMissesTheValueASuccessfulCasWrote) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  h.Cas("a", "1", "2", 20, 30, /*swapped=*/true);
  const uint64_t read = h.Get("a", 40, 50, "1");
  EXPECT_TRUE(RejectedAt(h.ops(), "a", read));
}

TEST(LinearizabilityRejects, DeleteReportsTheKeyExistedWhenItCouldNot) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  h.Delete("a", 20, 30, /*existed=*/true);
  const uint64_t second = h.Delete("a", 40, 50, /*existed=*/true);
  EXPECT_TRUE(RejectedAt(h.ops(), "a", second));

  HistoryBuilder never_written;
  const uint64_t del = never_written.Delete("a", 0, 10, /*existed=*/true);
  EXPECT_TRUE(RejectedAt(never_written.ops(), "a", del));
}

TEST(LinearizabilityRejects, DeleteReportsTheKeyMissingWhenItMustExist) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  const uint64_t del = h.Delete("a", 20, 30, /*existed=*/false);
  EXPECT_TRUE(RejectedAt(h.ops(), "a", del));
}

TEST(LinearizabilityRejects, UnknownPutTakesEffectAtMostOnce) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10, Outcome::kUnknown);
  h.Get("a", 20, 30, "1");
  h.Put("a", "2", 40, 50);
  const uint64_t reread = h.Get("a", 60, 70, "1");
  EXPECT_TRUE(RejectedAt(h.ops(), "a", reread));
}

TEST(LinearizabilityRejects, FailedPutIsNeverSeen) {
  HistoryBuilder h;
  const uint64_t put = h.Put("a", "1", 0, 10, Outcome::kFail);
  const uint64_t read = h.Get("a", 20, 30, "1");
  EXPECT_TRUE(RejectedAt(h.ops(), "a", read));
  // A failed operation had no effect, so it is not evidence either way.
  EXPECT_FALSE(HasCulprit(CheckLinearizable(h.ops()), put));
}

TEST(LinearizabilityRejects, ReportNamesTheBrokenKeyAmongHealthyOnes) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  h.Put("b", "1", 0, 10);
  h.Put("c", "1", 0, 10);
  h.Get("a", 20, 30, "1");
  h.Put("b", "2", 20, 30);
  h.Get("c", 20, 30, "1");
  const uint64_t stale = h.Get("b", 40, 50, "1");
  h.Get("a", 40, 50, "1");
  h.Get("c", 40, 50, "1");
  const LinearizabilityReport report = CheckLinearizable(h.ops());
  EXPECT_TRUE(RejectedAt(h.ops(), "b", stale));
  for (const Operation& op : report.culprits) EXPECT_EQ(op.key, "b") << Describe(op);
  EXPECT_NE(report.Describe().find("key b"), std::string::npos) << report.Describe();
}

// ---------------------------------------------------------------------------
// Histories that must be accepted

TEST(LinearizabilityAccepts, EmptyHistory) {
  const LinearizabilityReport report = CheckLinearizable({});
  EXPECT_TRUE(report.ok);
  EXPECT_TRUE(report.culprits.empty());
  EXPECT_EQ(report.Describe(), "linearizable");
}

TEST(LinearizabilityAccepts, HistoryOfOnlyFailedAndUnknownOperations) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10, Outcome::kFail);
  h.Get("a", 0, 10, "never", Outcome::kFail);
  h.Delete("a", 5, 15, /*existed=*/true, Outcome::kUnknown);
  h.Cas("a", "x", "y", 5, 15, /*swapped=*/true, Outcome::kUnknown);
  EXPECT_TRUE(Accepted(h.ops()));
}

TEST(LinearizabilityAccepts, ConcurrentWritesReadInEitherOrder) {
  for (const char* winner : {"1", "2"}) {
    HistoryBuilder h;
    h.Put("a", "1", 0, 10);
    h.Put("a", "2", 5, 15);
    h.Get("a", 20, 30, winner);
    h.Get("a", 40, 50, winner);
    EXPECT_TRUE(Accepted(h.ops())) << "winner " << winner;
  }
}

TEST(LinearizabilityAccepts, ReadConcurrentWithWriteSeesOldOrNew) {
  for (const char* seen : {"old", "new"}) {
    HistoryBuilder h;
    h.Put("a", "old", 0, 10);
    h.Put("a", "new", 20, 40);
    h.Get("a", 25, 30, seen);
    EXPECT_TRUE(Accepted(h.ops())) << "saw " << seen;
  }
  // Before the first write completes, absent is also a legal answer.
  HistoryBuilder first;
  first.Put("a", "1", 0, 40);
  first.Get("a", 10, 20, std::nullopt);
  first.Get("a", 25, 30, "1");
  EXPECT_TRUE(Accepted(first.ops()));
}

TEST(LinearizabilityAccepts, TouchingIntervalsAreConcurrent) {
  HistoryBuilder touching;
  touching.Put("a", "1", 0, 10);
  touching.Get("a", 10, 20, std::nullopt);  // invoked at the instant the put completed
  EXPECT_TRUE(Accepted(touching.ops()));

  HistoryBuilder apart;
  apart.Put("a", "1", 0, 10);
  const uint64_t read = apart.Get("a", 11, 20, std::nullopt);
  EXPECT_TRUE(RejectedAt(apart.ops(), "a", read));
}

TEST(LinearizabilityAccepts, UnknownPutReadMuchLaterTookEffectLate) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10, Outcome::kUnknown);
  h.Get("a", 100, 110, std::nullopt);  // not yet
  h.Get("a", 5'000, 5'010, std::nullopt);
  h.Get("a", 1'000'000, 1'000'010, "1");  // now
  h.Get("a", 1'000'020, 1'000'030, "1");
  EXPECT_TRUE(Accepted(h.ops()));
}

TEST(LinearizabilityAccepts, UnknownPutNeverReadNeverTookEffect) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10, Outcome::kUnknown);
  h.Get("a", 20, 30, std::nullopt);
  h.Put("a", "2", 40, 50);
  h.Get("a", 60, 70, "2");
  EXPECT_TRUE(Accepted(h.ops()));
}

TEST(LinearizabilityAccepts, UnknownPutReadOnceThenOverwritten) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10, Outcome::kUnknown);
  h.Get("a", 20, 30, "1");
  h.Put("a", "2", 40, 50);
  h.Get("a", 60, 70, "2");
  EXPECT_TRUE(Accepted(h.ops()));
}

TEST(LinearizabilityAccepts, PendingOperationBehavesLikeUnknown) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 0, Outcome::kPending);
  h.Get("a", 20, 30, std::nullopt);
  h.Get("a", 40, 50, "1");
  EXPECT_TRUE(Accepted(h.ops()));
}

TEST(LinearizabilityAccepts, FailedPutWhoseValueIsNeverSeen) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10, Outcome::kFail);
  h.Get("a", 20, 30, std::nullopt);
  h.Put("a", "2", 40, 50);
  h.Get("a", 60, 70, "2");
  EXPECT_TRUE(Accepted(h.ops()));
}

TEST(LinearizabilityAccepts, UnknownCasAndDeleteMayLandLateWithAnyResult) {
  HistoryBuilder h;
  h.Put("a", "1", 0, 10);
  h.Cas("a", "1", "2", 20, 30, /*swapped=*/false, Outcome::kUnknown);  // result ignored
  h.Get("a", 40, 50, "1");
  h.Get("a", 60, 70, "2");  // the CAS landed between the reads
  h.Delete("a", 80, 90, /*existed=*/false, Outcome::kUnknown);
  h.Get("a", 100, 110, std::nullopt);
  h.Get("a", 120, 130, "ignored", Outcome::kUnknown);
  EXPECT_TRUE(Accepted(h.ops()));
}

TEST(LinearizabilityAccepts, ManyKeysInterleavedEachLinearizable) {
  constexpr int kKeys = 12;
  constexpr int kRounds = 8;
  HistoryBuilder h;
  for (int round = 0; round < kRounds; round++) {
    for (int k = 0; k < kKeys; k++) {
      const std::string key = "k" + std::to_string(k);
      const SimTime t = static_cast<SimTime>(round * 100 + k);
      // All keys overlap in time; per key, a write concurrent with a read
      // that sees the new value, then a CAS from it.
      const std::string v = std::to_string(round);
      h.Put(key, v, t, t + 40);
      h.Get(key, t + 10, t + 50, v);
      h.Cas(key, v, v + "'", t + 60, t + 70, /*swapped=*/true);
    }
  }
  EXPECT_TRUE(Accepted(h.ops()));
}

// ---------------------------------------------------------------------------
// Past the first 64-bit word of the checker's "linearized" bitset

// 60 sequential put/get pairs' worth of ops (ids 0..59), then eight mutually
// concurrent puts with ids 60..67 straddling the word boundary, then a read
// that forces put #63 to be linearized last among them, then more traffic.
struct LongHistory {
  HistoryBuilder h;
  uint64_t group_last_read = 0;
  SimTime end_us = 0;
};

LongHistory BuildLongHistory() {
  LongHistory l;
  SimTime t = 0;
  for (int i = 0; i < 30; i++, t += 20) {
    l.h.Put("k", "v" + std::to_string(i), t, t + 5);
    l.h.Get("k", t + 10, t + 15, "v" + std::to_string(i));
  }
  for (int i = 60; i < 68; i++) l.h.Put("k", "g" + std::to_string(i), t, t + 50);
  EXPECT_EQ(l.h.ops().size(), 68u);
  t += 60;
  l.group_last_read = l.h.Get("k", t, t + 5, "g63");
  t += 10;
  for (int i = 0; i < 40; i++, t += 20) {
    l.h.Put("k", "w" + std::to_string(i), t, t + 12);
    l.h.Get("k", t + 5, t + 15, "w" + std::to_string(i));  // overlaps the put: sees new
  }
  l.h.Put("k", "last", t, t + 5);
  l.end_us = t + 10;
  return l;
}

TEST(LinearizabilityAccepts, LongHistoryAcrossBitsetWordBoundary) {
  LongHistory l = BuildLongHistory();
  l.h.Get("k", l.end_us, l.end_us + 5, "last");
  ASSERT_GT(l.h.ops().size(), 128u);
  EXPECT_TRUE(Accepted(l.h.ops()));
}

TEST(LinearizabilityRejects, StaleReadDeepInALongHistory) {
  LongHistory l = BuildLongHistory();
  const uint64_t stale = l.h.Get("k", l.end_us, l.end_us + 5, "w39");
  ASSERT_GT(stale, 128u);
  EXPECT_TRUE(RejectedAt(l.h.ops(), "k", stale));
}

// Histories whose size sits on either side of a word boundary: a chain of
// puts where each overlaps the next, and a final read as the last op. The
// read may see either of the last two puts (they overlap), never an older one.
TEST(LinearizabilityRejects, OverlappingPutChainAtEachWordBoundarySize) {
  for (size_t ops : {63u, 64u, 65u, 127u, 128u, 129u}) {
    const size_t puts = ops - 1;
    auto chain = [puts](const std::string& read_value) {
      HistoryBuilder h;
      for (size_t i = 0; i < puts; i++) {
        h.Put("k", "v" + std::to_string(i), 10 * i, 10 * i + 15);
      }
      const SimTime t = 10 * puts + 30;
      h.Get("k", t, t + 5, read_value);
      return h;
    };
    EXPECT_TRUE(Accepted(chain("v" + std::to_string(puts - 1)).ops())) << ops << " ops";
    EXPECT_TRUE(Accepted(chain("v" + std::to_string(puts - 2)).ops())) << ops << " ops";
    const HistoryBuilder stale = chain("v" + std::to_string(puts - 3));
    ASSERT_EQ(stale.ops().size(), ops);
    EXPECT_TRUE(RejectedAt(stale.ops(), "k", ops - 1)) << ops << " ops";
  }
}

TEST(LinearizabilityRejects, InversionInsideAGroupStraddlingTheBitsetWordBoundary) {
  HistoryBuilder h;
  SimTime t = 0;
  for (int i = 0; i < 62; i++, t += 10) h.Put("k", "v" + std::to_string(i), t, t + 5);
  // ids 62..65 concurrent; sequential reads inside the group's window force
  // 64 before 63 before 65.
  for (int i = 62; i < 66; i++) h.Put("k", "g" + std::to_string(i), t, t + 100);
  h.Get("k", t + 10, t + 20, "g64");
  h.Get("k", t + 30, t + 40, "g63");
  h.Get("k", t + 50, t + 60, "g65");
  // 64 -> 63 -> 65 is one legal order.
  EXPECT_TRUE(Accepted(h.ops()));
  const uint64_t back = h.Get("k", t + 70, t + 80, "g64");  // 64 already overwritten
  EXPECT_TRUE(RejectedAt(h.ops(), "k", back));
}

// ---------------------------------------------------------------------------
// Brute force: the definition of linearizability, executed literally

bool PrecedesInRealTime(const Operation& a, const Operation& b) {
  return a.outcome == Outcome::kOk && a.complete_us < b.invoke_us;
}

// Replays ops in `order` on an initially absent register; true if every
// completed operation's recorded result is what the register gives.
bool ReplayMatches(const std::vector<Operation>& ops, const std::vector<size_t>& order) {
  Value reg;
  for (size_t i : order) {
    const Operation& op = ops[i];
    const bool check = op.outcome == Outcome::kOk;
    switch (op.op) {
      case Op::kGet:
        if (check && op.result_found != reg.has_value()) return false;
        if (check && reg.has_value() && op.result_value != *reg) return false;
        break;
      case Op::kPut:
        reg = op.value;
        break;
      case Op::kDelete:
        if (check && op.result_ok != reg.has_value()) return false;
        reg.reset();
        break;
      case Op::kCompareAndSwap: {
        const bool holds = op.expect_absent ? !reg.has_value() : reg == Value(op.expected);
        if (check && op.result_ok != holds) return false;
        if (holds) reg = op.value;
        break;
      }
    }
  }
  return true;
}

bool RespectsRealTime(const std::vector<Operation>& ops, const std::vector<size_t>& order) {
  for (size_t i = 0; i < order.size(); i++) {
    for (size_t j = i + 1; j < order.size(); j++) {
      if (PrecedesInRealTime(ops[order[j]], ops[order[i]])) return false;
    }
  }
  return true;
}

// ops must all be on one key. kOk ops are always included, kFail never,
// kUnknown/kPending in every combination.
bool BruteForceLinearizable(const std::vector<Operation>& ops) {
  constexpr size_t kOpsMax = 8;
  RAFT_ASSERT_MSG(ops.size() <= kOpsMax, "brute force is for tiny histories");
  std::vector<size_t> certain, optional;
  for (size_t i = 0; i < ops.size(); i++) {
    if (ops[i].outcome == Outcome::kOk) certain.push_back(i);
    if (ops[i].outcome == Outcome::kUnknown || ops[i].outcome == Outcome::kPending) {
      optional.push_back(i);
    }
  }
  for (uint64_t mask = 0; mask < (uint64_t{1} << optional.size()); mask++) {
    std::vector<size_t> order = certain;
    for (size_t b = 0; b < optional.size(); b++) {
      if (mask & (uint64_t{1} << b)) order.push_back(optional[b]);
    }
    std::sort(order.begin(), order.end());
    do {
      if (RespectsRealTime(ops, order) && ReplayMatches(ops, order)) return true;
    } while (std::next_permutation(order.begin(), order.end()));
  }
  return false;
}

TEST(LinearizabilityBruteForce, AgreesOnHandWrittenVerdicts) {
  HistoryBuilder stale;
  stale.Put("k", "1", 0, 10);
  stale.Put("k", "2", 20, 30);
  stale.Get("k", 40, 50, "1");
  EXPECT_FALSE(BruteForceLinearizable(stale.ops()));

  HistoryBuilder late;
  late.Put("k", "1", 0, 10, Outcome::kUnknown);
  late.Get("k", 20, 30, std::nullopt);
  late.Get("k", 40, 50, "1");
  EXPECT_TRUE(BruteForceLinearizable(late.ops()));

  HistoryBuilder failed;
  failed.Put("k", "1", 0, 10, Outcome::kFail);
  failed.Get("k", 20, 30, "1");
  EXPECT_FALSE(BruteForceLinearizable(failed.ops()));

  EXPECT_TRUE(BruteForceLinearizable({}));
}

// ---------------------------------------------------------------------------
// Random tiny histories

constexpr std::array<const char*, 3> kValues = {"a", "b", "c"};
constexpr int kInvokeMax = 8;  // time grid: invocations in [0, kInvokeMax]
constexpr int kLengthMax = 4;  // an operation spans at most this many ticks
constexpr int kEffectMax = kInvokeMax + kLengthMax + 1;  // latest unknown effect

struct RandomHistory {
  std::vector<Operation> ops;
  bool by_construction = false;  // results come from a legal linearization
};

// Overwrites the results of completed ops with what a random legal
// linearization gives: each effective op is placed at a random point inside
// its interval (unknown ones anywhere after invocation, or not at all).
template <typename Pick>
void ResultsFromARandomLinearization(std::vector<Operation>& ops, Pick& pick) {
  struct Point {
    int at;
    int tiebreak;
    size_t op;
  };
  std::vector<Point> points;
  for (size_t i = 0; i < ops.size(); i++) {
    const Operation& op = ops[i];
    const bool effective =
        op.outcome == Outcome::kOk || (op.outcome != Outcome::kFail && pick(0, 2) == 0);
    if (!effective) continue;
    const int first = static_cast<int>(op.invoke_us);
    const int last = op.outcome == Outcome::kOk ? static_cast<int>(op.complete_us) : kEffectMax;
    points.push_back(Point{pick(first, last + 1), pick(0, 1000), i});
  }
  std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
    return a.at != b.at ? a.at < b.at : a.tiebreak < b.tiebreak;
  });
  Value reg;
  for (const Point& p : points) {
    Operation& op = ops[p.op];
    switch (op.op) {
      case Op::kGet:
        op.result_found = reg.has_value();
        op.result_value = reg.value_or("");
        break;
      case Op::kPut:
        reg = op.value;
        break;
      case Op::kDelete:
        op.result_ok = reg.has_value();
        reg.reset();
        break;
      case Op::kCompareAndSwap:
        op.result_ok = op.expect_absent ? !reg.has_value() : reg == Value(op.expected);
        if (op.result_ok) reg = op.value;
        break;
    }
  }
}

// pick(lo, hi) returns an int uniformly in [lo, hi). The property draws from
// RapidCheck (so failures shrink), the sweep from a seeded SplitMix64.
template <typename Pick>
RandomHistory GenerateHistory(Pick& pick, const std::string& key, int ops_max) {
  constexpr std::array<Op, 4> kKinds = {Op::kGet, Op::kPut, Op::kDelete, Op::kCompareAndSwap};
  RandomHistory h;
  const int n = pick(1, ops_max + 1);  // the empty history has its own test
  for (int i = 0; i < n; i++) {
    Operation op;
    op.id = static_cast<uint64_t>(i);
    op.client = op.id;
    op.key = key;
    op.op = kKinds[static_cast<size_t>(pick(0, 4))];
    op.value = kValues[static_cast<size_t>(pick(0, 3))];
    if (op.op == Op::kCompareAndSwap) {
      op.expect_absent = pick(0, 4) == 0;
      if (!op.expect_absent) op.expected = kValues[static_cast<size_t>(pick(0, 3))];
    }
    op.invoke_us = static_cast<SimTime>(pick(0, kInvokeMax + 1));
    op.complete_us = op.invoke_us + static_cast<SimTime>(pick(0, kLengthMax + 1));
    constexpr std::array<Outcome, 8> kOutcomes = {
        Outcome::kOk, Outcome::kOk,      Outcome::kOk,   Outcome::kOk,
        Outcome::kOk, Outcome::kUnknown, Outcome::kFail, Outcome::kPending};
    op.outcome = kOutcomes[static_cast<size_t>(pick(0, 8))];
    op.result_ok = pick(0, 2) == 1;
    op.result_found = pick(0, 2) == 1;
    if (op.result_found) op.result_value = kValues[static_cast<size_t>(pick(0, 3))];
    h.ops.push_back(std::move(op));
  }
  // A third keep their random results; a third get results from a legal
  // linearization; a third get those with one completed result disturbed.
  const int mode = pick(0, 3);
  if (mode == 0) return h;
  ResultsFromARandomLinearization(h.ops, pick);
  h.by_construction = true;
  if (mode == 1) return h;
  std::vector<size_t> answered;  // completed ops that report a result
  for (size_t i = 0; i < h.ops.size(); i++) {
    if (h.ops[i].outcome == Outcome::kOk && h.ops[i].op != Op::kPut) answered.push_back(i);
  }
  if (answered.empty()) return h;
  Operation& op = h.ops[answered[static_cast<size_t>(pick(0, static_cast<int>(answered.size())))]];
  if (op.op != Op::kGet) {
    op.result_ok = !op.result_ok;
  } else if (!op.result_found || pick(0, 2) == 0) {
    op.result_found = !op.result_found;
    op.result_value = op.result_found ? kValues[static_cast<size_t>(pick(0, 3))] : "";
  } else {  // found, but a different value
    op.result_value = op.result_value == kValues[0] ? kValues[1] : kValues[0];
  }
  h.by_construction = false;
  return h;
}

std::string Dump(const std::vector<Operation>& ops) {
  std::string s;
  for (const Operation& op : ops) s += "\n  " + Describe(op);
  return s;
}

constexpr int kTinyOpsMax = 6;

RC_GTEST_PROP(LinearizabilityProperty, AgreesWithBruteForceOnTinyHistories, ()) {
  // Full-range draws from the first case on (inRange alone scales with the
  // test size, which would make the early cases trivially empty).
  auto pick = [](int lo, int hi) {
    return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi));
  };
  const RandomHistory h = GenerateHistory(pick, "k", kTinyOpsMax);
  const bool want = BruteForceLinearizable(h.ops);
  RC_TAG(want ? "linearizable" : "not linearizable");
  const LinearizabilityReport report = CheckLinearizable(h.ops);
  RC_LOG() << Dump(h.ops) << "\nchecker: " << report.Describe() << "\n";
  RC_ASSERT(report.ok == want);
  if (h.by_construction) RC_ASSERT(report.ok);
  if (!report.ok) {
    RC_ASSERT(report.key == "k");
    RC_ASSERT(!report.culprits.empty());
  }
}

// The same comparison with a fixed seed and many more cases, so it replays
// exactly and always covers both verdicts; also checks keys are independent.
TEST(LinearizabilityBruteForce, SeededSweepAgreesOnOneAndTwoKeys) {
  constexpr int kHistories = 3000;
  SplitMix64 rng(20240601);
  auto pick = [&rng](int lo, int hi) {
    return lo + static_cast<int>(rng.Uniform(static_cast<uint64_t>(hi - lo)));
  };
  int accepted = 0, rejected = 0;
  for (int i = 0; i < kHistories; i++) {
    const RandomHistory x = GenerateHistory(pick, "x", kTinyOpsMax);
    const RandomHistory y = GenerateHistory(pick, "y", kTinyOpsMax);
    const bool want_x = BruteForceLinearizable(x.ops);
    const bool want_y = BruteForceLinearizable(y.ops);
    ASSERT_EQ(CheckLinearizable(x.ops).ok, want_x) << "history " << i << Dump(x.ops);
    if (x.by_construction) {
      ASSERT_TRUE(want_x) << "history " << i << Dump(x.ops);
    }
    (want_x ? accepted : rejected)++;

    // Interleave the two keys' ops in one history.
    std::vector<Operation> both = x.ops;
    both.insert(both.end(), y.ops.begin(), y.ops.end());
    std::stable_sort(both.begin(), both.end(), [](const Operation& a, const Operation& b) {
      return a.invoke_us < b.invoke_us;
    });
    for (size_t j = 0; j < both.size(); j++) both[j].id = j;
    const LinearizabilityReport report = CheckLinearizable(both);
    ASSERT_EQ(report.ok, want_x && want_y) << "history " << i << Dump(both);
    if (!report.ok) {
      ASSERT_EQ(report.key, want_x ? "y" : "x") << "history " << i;
    }
  }
  // Both verdicts are common, so agreement means something.
  EXPECT_GT(accepted, kHistories / 4);
  EXPECT_GT(rejected, kHistories / 4);
}

}  // namespace
}  // namespace raft::sim
