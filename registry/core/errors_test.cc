#include "registry/core/errors.h"

#include <gtest/gtest.h>

namespace fairtrace {
namespace {

TEST(ErrorBuilder, CarriesEveryDetailKind) {
  absl::Status s = ErrorBuilder(absl::StatusCode::kFailedPrecondition, "blobs missing")
                       .Reason("MISSING_BLOBS")
                       .Meta("missing_count", "2")
                       .Field("digest", "bad")
                       .Precondition("MISSING_BLOB", "blobs/x/1", "a.txt")
                       .Resource("tree", "trees/x/1");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "blobs missing");
  auto details = StatusDetails(s);
  ASSERT_EQ(details.size(), 4u);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details[0].UnpackTo(&info));
  EXPECT_EQ(info.reason(), "MISSING_BLOBS");
  EXPECT_EQ(info.domain(), "fairtrace.dev");
  EXPECT_EQ(info.metadata().at("missing_count"), "2");
  google::rpc::PreconditionFailure pf;
  ASSERT_TRUE(details[2].UnpackTo(&pf));
  EXPECT_EQ(pf.violations(0).subject(), "blobs/x/1");
}

TEST(ErrorBuilder, NoDetailsWhenNoneSet) {
  EXPECT_TRUE(StatusDetails(absl::InternalError("x")).empty());
}

TEST(WithMessage, KeepsPayloads) {
  absl::Status s = WithMessage(InvalidField("f", "bad"), "new message");
  EXPECT_EQ(s.message(), "new message");
  EXPECT_EQ(StatusDetails(s).size(), 2u);
}

}  // namespace
}  // namespace fairtrace
