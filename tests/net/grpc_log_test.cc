// gRPC's lines can be captured around one operation, and a failed bind's
// error tree reduces to the operating system's cause.
#include "net/grpc_log.h"

#include <grpc/support/log.h>
#include <gtest/gtest.h>

namespace raft::net {
namespace {

TEST(GrpcLogTest, CapturesGrpcLinesWhileACaptureExists) {
  gpr_log_verbosity_init();
  {
    GrpcLogCapture capture;
    gpr_log(GPR_ERROR, "first %d", 1);
    gpr_log(GPR_ERROR, "second");
    EXPECT_EQ(capture.Take(), (std::vector<std::string>{"first 1", "second"}));
    EXPECT_TRUE(capture.Take().empty()) << "taken lines are gone";
    gpr_log(GPR_ERROR, "routed when the capture ends");
  }
  GrpcLogCapture next;  // the previous one is gone: a new capture starts empty
  EXPECT_TRUE(next.Take().empty());
}

TEST(GrpcLogTest, BindFailureCauseIsTheOsError) {
  // As gRPC 1.51 logs a port in use (shortened).
  const std::string line =
      "UNKNOWN:No address added out of total 1 resolved for '0.0.0.0:50051' {children:[UNKNOWN:"
      "Failed to add any wildcard listeners {children:[UNKNOWN:Unable to configure socket "
      "{fd:10, children:[UNKNOWN:Address already in use {errno:98, os_error:\"Address already "
      "in use\", syscall:\"bind\"}]}]}]}";
  EXPECT_EQ(BindFailureCause({"unrelated", line}), "address already in use");
  EXPECT_EQ(BindFailureCause({"os_error:\"Cannot assign requested address\""}),
            "cannot assign requested address");
  EXPECT_EQ(BindFailureCause({}), "port in use or address not available");
  EXPECT_EQ(BindFailureCause({"os_error:\"\""}), "port in use or address not available");
}

}  // namespace
}  // namespace raft::net
