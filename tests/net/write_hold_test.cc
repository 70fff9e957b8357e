// WriteHold: a leader's queued client writes wait while a batch is in flight,
// until it commits, the queue holds a full batch, or the oldest has waited
// max_wait.
#include "net/write_hold.h"

#include <gtest/gtest.h>

namespace raft::net {
namespace {

using std::chrono::milliseconds;
using Clock = WriteHold::Clock;

constexpr WriteHold kHold{.batch_max = 4, .max_wait = milliseconds(5)};
const Clock::time_point kT0 = Clock::now();

TEST(WriteHold, NothingInFlightWritesGoAtOnce) {
  EXPECT_TRUE(kHold.Release(/*batch_in_flight=*/false, 1, kT0, kT0));
  EXPECT_FALSE(kHold.Release(false, 0, kT0, kT0)) << "nothing queued, nothing to release";
}

TEST(WriteHold, ABatchInFlightHoldsWritesUntilItCommits) {
  EXPECT_FALSE(kHold.Release(/*batch_in_flight=*/true, 1, kT0, kT0));
  EXPECT_FALSE(kHold.Release(true, 3, kT0, kT0 + milliseconds(4)));
  // The batch committed: everything queued goes, as one batch.
  EXPECT_TRUE(kHold.Release(false, 3, kT0, kT0 + milliseconds(4)));
}

TEST(WriteHold, AFullBatchGoesWithoutWaiting) {
  EXPECT_FALSE(kHold.Release(true, 3, kT0, kT0));
  EXPECT_TRUE(kHold.Release(true, 4, kT0, kT0));
  EXPECT_TRUE(kHold.Release(true, 100, kT0, kT0));
}

TEST(WriteHold, NoWriteWaitsLongerThanMaxWait) {
  // A batch that never commits (no quorum) holds the next one max_wait at most.
  EXPECT_FALSE(kHold.Release(true, 1, kT0, kT0 + milliseconds(5) - std::chrono::nanoseconds(1)));
  EXPECT_TRUE(kHold.Release(true, 1, kT0, kT0 + milliseconds(5)));
  EXPECT_EQ(kHold.Deadline(kT0), kT0 + milliseconds(5));
}

}  // namespace
}  // namespace raft::net
