// A LogLimiter lets one line through per interval and counts the rest.
#include "net/log_limiter.h"

#include <gtest/gtest.h>

namespace raft::net {
namespace {

using std::chrono::milliseconds;

TEST(LogLimiterTest, OneLinePerIntervalReportingThoseHeldBack) {
  LogLimiter limiter(milliseconds(1000));
  const LogLimiter::Clock::time_point t0{};
  uint64_t held_back = 99;
  EXPECT_TRUE(limiter.Allow(t0, &held_back)) << "the first line always goes out";
  EXPECT_EQ(held_back, 0u);
  for (int i = 0; i < 5; i++) EXPECT_FALSE(limiter.Allow(t0 + milliseconds(100 * i), &held_back));
  EXPECT_FALSE(limiter.Allow(t0 + milliseconds(999), &held_back));
  EXPECT_TRUE(limiter.Allow(t0 + milliseconds(1000), &held_back));
  EXPECT_EQ(held_back, 6u);
  EXPECT_FALSE(limiter.Allow(t0 + milliseconds(1500), &held_back));
  EXPECT_TRUE(limiter.Allow(t0 + milliseconds(5000), &held_back));
  EXPECT_EQ(held_back, 1u);
}

}  // namespace
}  // namespace raft::net
