// MLflow's alias rule, both halves: what names an alias, what may be set.
#include "registry/models/alias_name.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/status_matchers.h"

namespace fairtrace {
namespace {

using ::fairtrace::testing::StatusIs;
using ::testing::HasSubstr;

TEST(AliasName, AcceptsWhatMlflowAccepts) {
  for (const std::string& a : {std::string("champion"), std::string("Champion"), std::string("best_2024"),
                               std::string("2024-best"), std::string("_x"), std::string("-"),
                               std::string("\xC3\xA9t\xC3\xA9"),         // "été"
                               std::string("\xE7\x8E\x89\xE7\xB1\xB3"),  // "玉米"
                               std::string(255, 'a'), std::string("v1x"), std::string("latest2"), std::string("12"),
                               std::string("0")}) {  // digits only: MLflow's "@12"
    EXPECT_TRUE(IsAliasName(a)) << a;
    EXPECT_TRUE(CheckNewAlias(a, "alias").ok()) << a;
  }
  std::string long_cjk;
  for (int i = 0; i < 255; ++i) long_cjk += "\xE7\x8E\x89";  // 255 code points, 765 bytes
  EXPECT_TRUE(IsAliasName(long_cjk));
}

TEST(AliasName, RefusesWhatMlflowRefuses) {
  for (const std::string& a :
       {std::string(""), std::string("a b"), std::string("a.b"), std::string("a/b"), std::string("a\nb"),
        std::string(256, 'a'), std::string("e\xCC\x81"),  // a combining mark is not a letter
        std::string("\xFF"), std::string("a\0b", 3)}) {
    EXPECT_FALSE(IsAliasName(a)) << a;
    EXPECT_THAT(CheckNewAlias(a, "alias"), StatusIs(absl::StatusCode::kInvalidArgument)) << a;
  }
  std::string long_cjk;
  for (int i = 0; i < 256; ++i) long_cjk += "\xE7\x8E\x89";
  EXPECT_FALSE(IsAliasName(long_cjk));
}

TEST(AliasName, DigitsOnlyAreAnAliasOutsideVersionNames) {
  for (const char* a : {"12", "012", "99999999999999999999"}) {
    EXPECT_TRUE(IsAliasName(a)) << a;
    EXPECT_FALSE(IsAliasInVersionName(a)) << a;
  }
  EXPECT_TRUE(IsAliasInVersionName("champion"));
  EXPECT_TRUE(IsAliasInVersionName("v12"));
  EXPECT_FALSE(IsAliasInVersionName("a b"));
}

TEST(AliasName, ReservedNamesStillNameOldAliasesButCannotBeSet) {
  for (const char* a : {"latest", "LATEST", "Latest", "v1", "V12", "v007"}) {
    EXPECT_TRUE(IsAliasName(a)) << a;  // one set before the rule can still be read or deleted
    EXPECT_THAT(CheckNewAlias(a, "alias"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reserved"))) << a;
  }
}

}  // namespace
}  // namespace fairtrace
