#include "registry/api/grpc_status.h"

#include <gtest/gtest.h>

#include "google/rpc/error_details.pb.h"
#include "registry/core/errors.h"

namespace fairtrace::api {
namespace {

TEST(ToGrpcStatus, OkHasNoDetails) {
  grpc::Status s = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(s.error_details().empty());
}

TEST(ToGrpcStatus, CarriesCodeMessageAndDetails) {
  grpc::Status s = ToGrpcStatus(InvalidField("digest.sha256", "not hex"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(s.error_details()));
  EXPECT_EQ(rpc.code(), 3);
  EXPECT_EQ(rpc.message(), s.error_message());
  google::rpc::BadRequest br;
  bool found = false;
  for (const auto& any : rpc.details()) found |= any.UnpackTo(&br);
  ASSERT_TRUE(found);
  EXPECT_EQ(br.field_violations(0).field(), "digest.sha256");
}

}  // namespace
}  // namespace fairtrace::api
