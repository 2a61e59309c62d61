#include "common/audit/state_digest.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace fairtrace {
namespace {

using nlohmann::json;

// The expected bytes and digests were computed with Python's
// json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
// and hashlib, as docs/audit-log.md tells an outside verifier to do.
TEST(StateDigest, CanonicalJsonMatchesPythonsSortedCompactForm) {
  json doc = {{"name", "models/m/versions/1"},
              {"kind", "modelVersion"},
              {"n", -3},
              {"x", 0.1},
              {"big", 1e21},
              {"tiny", 5e-324},
              {"nan", StateDouble(std::nan(""))},
              {"s", "Z\xc3\xbcrich \x01\n\"\\/"},
              {"nested", {{"b", {1, 2.5, nullptr, true}}, {"a", "\xc3\xa9"}}},
              {"\xc3\xa9", 1},
              {"z", 2}};
  EXPECT_EQ(*CanonicalStateJson(doc),
            "{\"big\":1e+21,\"kind\":\"modelVersion\",\"n\":-3,\"name\":\"models/m/versions/1\",\"nan\":\"NaN\","
            "\"nested\":{\"a\":\"\xc3\xa9\",\"b\":[1,2.5,null,true]},\"s\":\"Z\xc3\xbcrich \\u0001\\n\\\"\\\\/\","
            "\"tiny\":5e-324,\"x\":0.1,\"z\":2,\"\xc3\xa9\":1}");
  EXPECT_EQ(*StateDigestOf(doc), "sha256:1a6091155cd5915dfbbbfd3f6f534ab43788d756a3f56aa428dacc66ef009922");
}

TEST(StateDigest, DoublesWithoutAJsonNumberBecomeStrings) {
  EXPECT_EQ(StateDouble(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(StateDouble(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(StateDouble(std::nan("")), "NaN");
  EXPECT_EQ(StateDouble(-0.5), json(-0.5));
}

TEST(StateDigest, ChainLinksEachRowToTheOnesBefore) {
  auto first = StateChainNext("", json{{"key", "loss"}, {"step", 1}, {"timestamp", 2}, {"value", 0.25}});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "06872a2c2ac8f9614a6debb43baf6a92fe4c538acff21b2949c29f824817e1f3");
  auto second = StateChainNext(
      *first, json{{"key", "loss"}, {"step", 2}, {"timestamp", 3}, {"value", StateDouble(std::nan(""))}});
  EXPECT_EQ(*second, "ebc932d16efddadc186ef0f4597a3676ca4b8d881dd491bce12aa56c46b97720");
  // Order matters: the same rows the other way round give another chain.
  auto swapped = StateChainNext("", json{{"key", "loss"}, {"step", 2}, {"timestamp", 3}, {"value", "NaN"}});
  EXPECT_NE(*StateChainNext(*swapped, json{{"key", "loss"}, {"step", 1}, {"timestamp", 2}, {"value", 0.25}}), *second);
}

TEST(StateDigest, DeletedResourcesHaveATombstoneDigest) {
  EXPECT_EQ(DeletedStateDocDigest("grants/a/b/c"),
            "sha256:9f2d0efb6d9470570fcdcf6f52d46cf3c4a8424ed8784e227502cb1bd470f3db");
  EXPECT_NE(DeletedStateDocDigest("grants/a/b/c"), DeletedStateDocDigest("grants/a/b/d"));
}

TEST(StateDigest, InvalidUtf8IsAnErrorNotACrash) {
  json doc = {{"name", std::string("bad \xff")}};
  EXPECT_EQ(CanonicalStateJson(doc).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(StateDigestOf(doc).ok());
  EXPECT_FALSE(StateChainNext("", doc).ok());
}

}  // namespace
}  // namespace fairtrace
