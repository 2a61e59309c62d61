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

TEST(StateComparison, NamesWhatDiffersFromTheLatestRecords) {
  StateComparison c;
  c.AddRecord(1, "models/a", "sha256:old");
  c.AddRecord(2, "models/a", "sha256:new");  // the latest wins
  c.AddRecord(3, "models/b", "sha256:b");
  c.AddRecord(4, "models/gone", "sha256:g");
  c.AddRecord(5, "grants/x/viewer/default", DeletedStateDocDigest("grants/x/viewer/default"));
  c.AddRecord(6, "tokens/0123456789abcdef for user:a", "sha256:t");  // the token's name
  c.AddRecord(7, "blobs/abc/3", "");                                 // no state: ignored
  c.AddRecord(8, "models/bad", "sha256:x");
  EXPECT_EQ(c.CheckStored("models/a", "sha256:new"), std::nullopt);
  auto mismatch = c.CheckStored("models/b", "sha256:edited");
  ASSERT_TRUE(mismatch.has_value());
  EXPECT_EQ(mismatch->kind, "STATE_MISMATCH");
  EXPECT_NE(mismatch->detail.find("audit record 3"), std::string::npos);
  EXPECT_EQ(c.CheckStored("tokens/0123456789abcdef", "sha256:t"), std::nullopt);
  EXPECT_EQ(c.CheckStored("grants/mallory/admin/default", "sha256:m")->kind, "STATE_UNRECORDED");
  EXPECT_EQ(c.Unusable("STATE_UNREADABLE", "models/bad", "why").kind, "STATE_UNREADABLE");
  // A revoked grant's tombstone is not a vanished resource; "models/bad"
  // was compared (unusable), not vanished.
  std::vector<StateFinding> vanished = c.Vanished();
  ASSERT_EQ(vanished.size(), 1u);
  EXPECT_EQ(vanished[0].kind, "STATE_VANISHED");
  EXPECT_EQ(vanished[0].resource, "models/gone");
}

}  // namespace
}  // namespace fairtrace
