#include "registry/core/page_token.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;

TEST(PageToken, RoundTrips) {
  std::string t = EncodePageToken("key", "models:live", "leaf-segmenter");
  ASSERT_OK_AND_ASSIGN(std::string p, DecodePageToken("key", "models:live", t));
  EXPECT_EQ(p, "leaf-segmenter");
  ASSERT_OK_AND_ASSIGN(std::string first, DecodePageToken("key", "models:live", ""));
  EXPECT_EQ(first, "");
}

TEST(PageToken, RejectsTamperingOtherListsAndOtherKeys) {
  std::string t = EncodePageToken("key", "versions:a", "10");
  std::string tampered = t;
  tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
  EXPECT_THAT(DecodePageToken("key", "versions:a", tampered), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodePageToken("key", "versions:b", t), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodePageToken("other", "versions:a", t), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodePageToken("key", "versions:a", "!!!"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace fairtrace
