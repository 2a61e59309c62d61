#include "common/content/digest.h"

#include <gtest/gtest.h>

#include "common/status/errors.h"
#include "tests/testing/status_matchers.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Digest, TextRoundTrip) {
  ASSERT_OK_AND_ASSIGN(Digest d, ParseDigest(kAbc + "/3"));
  EXPECT_EQ(d, DigestOf("abc"));
  EXPECT_EQ(d.ToString(), kAbc + "/3");
}

TEST(Digest, EmptyBlob) {
  EXPECT_TRUE(EmptyDigest().empty_blob());
  EXPECT_EQ(DigestOf(""), EmptyDigest());
}

TEST(Digest, RejectsMalformedText) {
  for (const std::string& bad : std::vector<std::string>{
           std::string(""), kAbc, kAbc + "/", kAbc + "/-1", kAbc + "/01", kAbc + "/1x", kAbc + "/3/4", "ABC/3",
           std::string(63, 'a') + "/3", std::string(64, 'g') + "/3", kAbc + "/99999999999999999999"}) {
    EXPECT_THAT(ParseDigest(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(Digest, ValidateNamesTheFieldInBadRequest) {
  absl::Status s = ValidateDigest(Digest{"nothex", 1}, "requests[2].digest");
  ASSERT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  auto details = ErrorDetailsOf(s);
  ASSERT_TRUE(details.has_value());
  ASSERT_EQ(details->fields.size(), 1u);
  EXPECT_EQ(details->fields[0].field, "requests[2].digest.sha256");
}

TEST(Digest, ValidateRejectsNegativeOversizeAndFakeEmpty) {
  EXPECT_THAT(ValidateDigest(Digest{kAbc, -1}, "d"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateDigest(Digest{kAbc, 100}, "d", 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("maximum blob size")));
  EXPECT_THAT(ValidateDigest(Digest{kAbc, 0}, "d"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_OK(ValidateDigest(DigestOf("abc"), "d", 10));
}

TEST(ResourceNames, BlobRoundTrip) {
  Digest d = DigestOf("abc");
  EXPECT_EQ(BlobResourceName(d), "blobs/" + kAbc + "/3");
  ASSERT_OK_AND_ASSIGN(Digest back, ParseBlobResourceName(BlobResourceName(d)));
  EXPECT_EQ(back, d);
}

TEST(ResourceNames, UploadRoundTrip) {
  Digest d = DigestOf("abc");
  ASSERT_OK_AND_ASSIGN(UploadResource r, ParseUploadResourceName(UploadResourceName("u-1_A", d)));
  EXPECT_EQ(r.upload_id, "u-1_A");
  EXPECT_EQ(r.digest, d);
}

TEST(ResourceNames, RejectsMalformed) {
  for (const std::string& bad : std::vector<std::string>{"", "blobs", "blobs/" + kAbc, "blob/" + kAbc + "/3",
                                                         "blobs/" + kAbc + "/3/extra", "/blobs/" + kAbc + "/3"}) {
    EXPECT_THAT(ParseBlobResourceName(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  for (const std::string& bad : std::vector<std::string>{
           "uploads/x/blobs/" + kAbc, "uploads//blobs/" + kAbc + "/3", "uploads/../blobs/" + kAbc + "/3",
           "uploads/a.b/blobs/" + kAbc + "/3", "uploads/" + std::string(65, 'a') + "/blobs/" + kAbc + "/3",
           "downloads/x/blobs/" + kAbc + "/3"}) {
    EXPECT_THAT(ParseUploadResourceName(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace fairtrace
