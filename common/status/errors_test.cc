#include "common/status/errors.h"

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
  auto d = ErrorDetailsOf(s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->reason, "MISSING_BLOBS");
  EXPECT_EQ(d->metadata.at("missing_count"), "2");
  ASSERT_EQ(d->fields.size(), 1u);
  EXPECT_EQ(d->fields[0], (FieldViolation{"digest", "bad"}));
  ASSERT_EQ(d->preconditions.size(), 1u);
  EXPECT_EQ(d->preconditions[0].subject, "blobs/x/1");
  EXPECT_EQ(d->resource_type, "tree");
  EXPECT_EQ(d->resource_name, "trees/x/1");
}

TEST(ErrorBuilder, NoDetailsWhenNoneSet) {
  EXPECT_FALSE(ErrorDetailsOf(absl::InternalError("x")).has_value());
  EXPECT_FALSE(ErrorDetailsOf(ErrorBuilder(absl::StatusCode::kInternal, "x").Build()).has_value());
}

TEST(ErrorBuilder, StringsWithSeparatorsAndInvalidUtf8RoundTrip) {
  absl::Status s = ErrorBuilder(absl::StatusCode::kInvalidArgument, "m")
                       .Field("a:1:b", std::string("x\xff\n5:y", 6))
                       .Meta("", "R3:abc");
  auto d = ErrorDetailsOf(s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->fields[0].field, "a:1:b");
  EXPECT_EQ(d->fields[0].description, "x\\xff\\x0a5:y");  // made valid UTF-8, controls escaped
  EXPECT_EQ(d->metadata.at(""), "R3:abc");
}

TEST(ErrorDetailsOf, ForeignOrCorruptPayloadIsNone) {
  absl::Status s = absl::InvalidArgumentError("x");
  s.SetPayload(kErrorDetailsPayloadKey, absl::Cord("F99:short"));
  EXPECT_FALSE(ErrorDetailsOf(s).has_value());
  s.SetPayload(kErrorDetailsPayloadKey, absl::Cord("Z1:a"));
  EXPECT_FALSE(ErrorDetailsOf(s).has_value());
}

TEST(WithMessage, KeepsPayloads) {
  absl::Status s = WithMessage(InvalidField("f", "bad"), "new message");
  EXPECT_EQ(s.message(), "new message");
  auto d = ErrorDetailsOf(s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->reason, "INVALID_FIELD");
  EXPECT_EQ(d->fields.size(), 1u);
}

}  // namespace
}  // namespace fairtrace
