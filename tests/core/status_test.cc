// Tests for Status and Result<T>, the operating-error types of the core.
#include "core/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

namespace raft {
namespace {

TEST(Status, DefaultIsOk) {
  const Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, ErrorCarriesCodeAndMessage) {
  const Status s = Status::Error(StatusCode::kCompacted, "index 3 compacted");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCompacted);
  EXPECT_EQ(s.message(), "index 3 compacted");
  EXPECT_EQ(s.ToString(), "COMPACTED: index 3 compacted");
}

TEST(StatusDeathTest, ErrorWithOkCodeAborts) {
  EXPECT_DEATH((void)Status::Error(StatusCode::kOk, "no"), "assertion failed");
}

TEST(Status, StatusCodeNameTable) {
  const struct {
    StatusCode code;
    const char* want;
  } cases[] = {
      // clang-format off
      {StatusCode::kOk, "OK"},
      {StatusCode::kNotLeader, "NOT_LEADER"},
      {StatusCode::kDropped, "DROPPED"},
      {StatusCode::kCompacted, "COMPACTED"},
      {StatusCode::kUnavailable, "UNAVAILABLE"},
      {StatusCode::kInvalidArgument, "INVALID_ARGUMENT"},
      {StatusCode::kCorruption, "CORRUPTION"},
      {StatusCode::kIoError, "IO_ERROR"},
      // clang-format on
  };
  for (const auto& c : cases) EXPECT_STREQ(StatusCodeName(c.code), c.want);
}

TEST(Result, HoldsAValue) {
  Result<int> r = 7;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.value(), 7);
  r.value() = 8;
  EXPECT_EQ(r.value(), 8);
  const Result<int>& cr = r;
  EXPECT_EQ(cr.value(), 8);
}

TEST(Result, HoldsAnError) {
  const Result<std::string> r = Status::Error(StatusCode::kUnavailable, "later");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "later");
}

TEST(Result, MovesTheValueOut) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);
}

TEST(ResultDeathTest, ValueOfAnErrorAborts) {
  const Result<int> r = Status::Error(StatusCode::kIoError, "disk");
  EXPECT_DEATH((void)r.value(), "assertion failed");
}

TEST(ResultDeathTest, ResultFromOkStatusAborts) {
  EXPECT_DEATH((void)Result<int>(Status::Ok()), "assertion failed");
}

}  // namespace
}  // namespace raft
