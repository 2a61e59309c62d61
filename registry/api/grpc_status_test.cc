#include "registry/api/grpc_status.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/text/utf8.h"
#include "google/rpc/error_details.pb.h"

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

google::rpc::Status Parsed(const grpc::Status& s) {
  google::rpc::Status rpc;
  EXPECT_TRUE(rpc.ParseFromString(s.error_details()));
  return rpc;
}

TEST(ToGrpcStatus, BoundsViolationsAndSaysHowManyThereWere) {
  ErrorBuilder b(absl::StatusCode::kInvalidArgument, "1000 problems");
  b.Reason("MIAPPE_INVALID");
  for (int i = 0; i < 1000; ++i) b.Field(absl::StrCat("studies[", i, "].title"), std::string(250, 'x'));
  grpc::Status s = ToGrpcStatus(b);
  EXPECT_LE(s.error_details().size(), kMaxDetailsBytes + 256);
  google::rpc::Status rpc = Parsed(s);
  google::rpc::BadRequest br;
  google::rpc::ErrorInfo info;
  for (const auto& any : rpc.details()) {
    any.UnpackTo(&br);
    any.UnpackTo(&info);
  }
  EXPECT_GE(br.field_violations_size(), 1);
  EXPECT_LE(br.field_violations_size(), kMaxViolations);
  EXPECT_EQ(br.field_violations(0).field(), "studies[0].title");  // the first ones are kept
  EXPECT_EQ(info.reason(), "MIAPPE_INVALID");
  EXPECT_EQ(info.metadata().at("violations_total"), "1000");
  EXPECT_EQ(info.metadata().at("violations_shown"), absl::StrCat(br.field_violations_size()));
}

TEST(ToGrpcStatus, FewViolationsAreAllKeptWithoutCounts) {
  ErrorBuilder b(absl::StatusCode::kInvalidArgument, "two");
  b.Field("a", "bad").Field("b", "bad");
  google::rpc::Status rpc = Parsed(ToGrpcStatus(b));
  google::rpc::BadRequest br;
  google::rpc::ErrorInfo info;
  for (const auto& any : rpc.details()) {
    any.UnpackTo(&br);
    any.UnpackTo(&info);
  }
  EXPECT_EQ(br.field_violations_size(), 2);
  EXPECT_FALSE(info.metadata().contains("violations_total"));
}

TEST(ToGrpcStatus, NeverEchoesInvalidUtf8OrHugeStrings) {
  std::string bad = "path/\xff\xfe/" + std::string(100000, 'a');
  bad[5] = '\xff';
  grpc::Status s = ToGrpcStatus(InvalidField(absl::StrCat("entries[", bad, "]"), absl::StrCat("bad \"", bad, "\"")));
  EXPECT_TRUE(text::IsValidUtf8(s.error_message()));
  EXPECT_LE(s.error_message().size(), kMaxErrorMessageBytes);
  google::rpc::Status rpc = Parsed(s);
  google::rpc::BadRequest br;
  for (const auto& any : rpc.details()) any.UnpackTo(&br);
  ASSERT_EQ(br.field_violations_size(), 1);
  EXPECT_TRUE(text::IsValidUtf8(br.field_violations(0).field()));
  EXPECT_TRUE(text::IsValidUtf8(br.field_violations(0).description()));
  EXPECT_NE(br.field_violations(0).description().find("\\xff"), std::string::npos)
      << br.field_violations(0).description().size() << " " << br.field_violations(0).field().size() << " "
      << rpc.details_size() << s.error_message().substr(0, 30);
  EXPECT_LE(s.error_details().size(), kMaxDetailsBytes + 256);
}

}  // namespace
}  // namespace fairtrace::api
