#include "common/wire/rpc_status.h"

#include <gtest/gtest.h>

#include "google/rpc/error_details.pb.h"

namespace fairtrace::wire {
namespace {

TEST(RpcStatus, EveryDetailKindRoundTripsInStableOrder) {
  absl::Status s = ErrorBuilder(absl::StatusCode::kFailedPrecondition, "blobs missing")
                       .Reason("MISSING_BLOBS")
                       .Meta("missing_count", "2")
                       .Field("digest", "bad")
                       .Precondition("MISSING_BLOB", "blobs/x/1", "a.txt")
                       .Resource("tree", "trees/x/1");
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(s.code()));
  rpc.set_message(std::string(s.message()));
  AppendRpcDetails(*ErrorDetailsOf(s), &rpc);
  ASSERT_EQ(rpc.details_size(), 4);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&info));
  EXPECT_EQ(info.domain(), "fairtrace.dev");
  EXPECT_EQ(info.reason(), "MISSING_BLOBS");
  google::rpc::PreconditionFailure pf;
  ASSERT_TRUE(rpc.details(2).UnpackTo(&pf));
  EXPECT_EQ(pf.violations(0).subject(), "blobs/x/1");

  absl::Status back = FromRpcStatus(rpc);
  EXPECT_EQ(back.code(), s.code());
  EXPECT_EQ(back.message(), s.message());
  EXPECT_EQ(ErrorDetailsOf(back), ErrorDetailsOf(s));
}

TEST(RpcStatus, NoDetailsGiveNoAnys) {
  google::rpc::Status rpc;
  AppendRpcDetails(ErrorDetails{}, &rpc);
  EXPECT_EQ(rpc.details_size(), 0);
  EXPECT_TRUE(FromRpcStatus(rpc).ok());
}

TEST(RpcStatus, UnknownDetailTypesAreIgnored) {
  google::rpc::Status rpc;
  rpc.set_code(3);
  google::rpc::RetryInfo retry;
  rpc.add_details()->PackFrom(retry);
  absl::Status s = FromRpcStatus(rpc);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ErrorDetailsOf(s).has_value());
}

}  // namespace
}  // namespace fairtrace::wire
