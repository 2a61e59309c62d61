#include "common/query/filter.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

const std::vector<FilterField> kFields = {
    {"experiment", FilterType::kString},     {"version", FilterType::kInt},
    {"create_time", FilterType::kTimestamp}, {"stage", FilterType::kEnum, {"NONE", "PRODUCTION"}},
    {"tags.", FilterType::kDynamic},
};

absl::StatusOr<ParsedFilter> Parse(absl::string_view text) { return ParseFilter(text, kFields); }

TEST(FilterTest, BlankIsNoFilter) {
  ASSERT_OK_AND_ASSIGN(ParsedFilter f, Parse("   "));
  EXPECT_FALSE(f.has_filter);
}

TEST(FilterTest, ComparisonsAreTyped) {
  ASSERT_OK_AND_ASSIGN(ParsedFilter f, Parse("version >= 3"));
  EXPECT_EQ(f.root.field, "version");
  EXPECT_EQ(f.root.op, ">=");
  EXPECT_EQ(std::get<int64_t>(f.root.value), 3);
  ASSERT_OK_AND_ASSIGN(f, Parse("create_time > \"2026-11-25T10:00:00Z\""));
  EXPECT_EQ(std::get<int64_t>(f.root.value), 1795600800LL * 1000000);
  ASSERT_OK_AND_ASSIGN(f, Parse("stage = PRODUCTION"));
  EXPECT_EQ(std::get<std::string>(f.root.value), "PRODUCTION");
  ASSERT_OK_AND_ASSIGN(f, Parse("experiment = \"leaf \\\"seg\\\"\""));
  EXPECT_EQ(std::get<std::string>(f.root.value), "leaf \"seg\"");
}

TEST(FilterTest, DynamicFieldsKeepTheKeyAndCompareNumbersNumerically) {
  ASSERT_OK_AND_ASSIGN(ParsedFilter f, Parse("tags.lr < 0.01"));
  EXPECT_EQ(f.root.field, "tags.");
  EXPECT_EQ(f.root.key, "lr");
  EXPECT_DOUBLE_EQ(std::get<double>(f.root.value), 0.01);
  ASSERT_OK_AND_ASSIGN(f, Parse("tags.lr = \"0.01\""));
  EXPECT_EQ(std::get<std::string>(f.root.value), "0.01");
}

TEST(FilterTest, OrBindsTighterThanAnd) {
  ASSERT_OK_AND_ASSIGN(ParsedFilter f, Parse("version = 1 AND version = 2 OR version = 3"));
  ASSERT_EQ(f.root.kind, FilterExpr::Kind::kAnd);
  ASSERT_EQ(f.root.children.size(), 2u);
  EXPECT_EQ(f.root.children[1].kind, FilterExpr::Kind::kOr);
  ASSERT_OK_AND_ASSIGN(f, Parse("(version = 1 AND version = 2) OR NOT version = 3"));
  ASSERT_EQ(f.root.kind, FilterExpr::Kind::kOr);
  EXPECT_EQ(f.root.children[0].kind, FilterExpr::Kind::kAnd);
  EXPECT_EQ(f.root.children[1].kind, FilterExpr::Kind::kNot);
  ASSERT_OK_AND_ASSIGN(f, Parse("-stage = NONE"));
  EXPECT_EQ(f.root.kind, FilterExpr::Kind::kNot);
}

TEST(FilterTest, UnknownFieldNamesTheKnownOnes) {
  EXPECT_THAT(Parse("owner = \"x\""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown field \"owner\"")));
  EXPECT_THAT(Parse("owner = \"x\""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tags.<key>")));
  EXPECT_THAT(Parse("tags. = 1"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FilterTest, BadValuesAndSyntaxAreRejectedWithAPosition) {
  for (const char* bad :
       {"version = x", "version = 1.5", "create_time > \"yesterday\"", "stage = LIVE", "stage > NONE",
        "experiment = \"open", "experiment \"x\"", "experiment : \"x\"", "version = 1 version = 2", "(version = 1",
        "version = 1)", "AND", "version =", "version ! 1", "NOT", "version = 1 AND"}) {
    absl::StatusOr<ParsedFilter> f = Parse(bad);
    EXPECT_THAT(f, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(Parse("version = 1 version = 2"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("position 13")));
}

TEST(FilterTest, SizeLimits) {
  std::string many = "version = 1";
  for (int i = 0; i < 20; ++i) many += " OR version = 1";
  EXPECT_THAT(Parse(many), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("comparisons")));
  std::string deep = std::string(12, '(') + "version = 1" + std::string(12, ')');
  EXPECT_THAT(Parse(deep), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deeply")));
  EXPECT_THAT(Parse(std::string(3000, ' ')), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace fairtrace
