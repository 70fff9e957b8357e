// RejectedInputs counts every refusal by reason and logs each reason at a
// limited rate, saying how many it held back.
#include "net/rejected_inputs.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <thread>

namespace raft::net {
namespace {

class RejectedInputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink_));
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }
  std::vector<std::string> Lines() { return sink_->last_formatted(); }

  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(RejectedInputsTest, CountsEveryRefusalButLogsEachReasonOncePerInterval) {
  RejectedInputs rejected(std::chrono::hours(1));
  for (int i = 0; i < 500; i++) rejected.Count("wrong_cluster", "a stream from elsewhere");
  rejected.Count("bad_term", "a term of 0");
  EXPECT_EQ(rejected.Counts(),
            (std::map<std::string, uint64_t>{{"bad_term", 1}, {"wrong_cluster", 500}}));
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 2u) << "one line per reason, not per refusal";
  EXPECT_NE(lines[0].find("refused (wrong_cluster): a stream from elsewhere"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find("refused (bad_term): a term of 0"), std::string::npos) << lines[1];
}

TEST_F(RejectedInputsTest, NextLineAfterTheIntervalSaysHowManyWereHeldBack) {
  RejectedInputs rejected(std::chrono::milliseconds(0));
  rejected.Count("bad_index", "first");
  rejected.Count("bad_index", "second");
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].find("more since the last report"), std::string::npos)
      << "nothing was held back: " << lines[1];

  RejectedInputs slow(std::chrono::milliseconds(300));
  slow.Count("bad_term", "a");
  for (int i = 0; i < 7; i++) slow.Count("bad_term", "b");
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  slow.Count("bad_term", "c");
  const std::vector<std::string> after = Lines();
  ASSERT_EQ(after.size(), 4u);
  EXPECT_NE(after[3].find("refused (bad_term): c (and 7 more since the last report)"),
            std::string::npos)
      << after[3];
}

}  // namespace
}  // namespace raft::net
