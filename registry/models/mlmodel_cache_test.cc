#include "registry/models/mlmodel_cache.h"

#include <gtest/gtest.h>

namespace fairtrace {
namespace {

TEST(MlmodelCache, KeyCoversTheMlmodelAndEveryPath) {
  const Digest m{std::string(64, 'a'), 10};
  const std::string key = MlmodelCache::KeyOf(m, {"MLmodel", "model.pkl"});
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key, MlmodelCache::KeyOf(m, {"MLmodel", "model.pkl"}));
  EXPECT_NE(key, MlmodelCache::KeyOf(Digest{std::string(64, 'b'), 10}, {"MLmodel", "model.pkl"}));
  EXPECT_NE(key, MlmodelCache::KeyOf(Digest{std::string(64, 'a'), 11}, {"MLmodel", "model.pkl"}));
  EXPECT_NE(key, MlmodelCache::KeyOf(m, {"MLmodel"}));
  EXPECT_NE(key, MlmodelCache::KeyOf(m, {"MLmodel", "model.pk", "l"}));
  EXPECT_NE(MlmodelCache::KeyOf(m, {"ab", "c"}), MlmodelCache::KeyOf(m, {"a", "bc"}));
}

TEST(MlmodelCache, FindsWhatWasPutAndStaysBounded) {
  MlmodelCache cache(3);
  EXPECT_FALSE(cache.Find("k0").has_value());
  for (int i = 0; i < 3; ++i) cache.Put("k" + std::to_string(i), "json" + std::to_string(i));
  EXPECT_EQ(cache.Find("k1"), "json1");
  EXPECT_EQ(cache.size(), 3u);
  cache.Put("k3", "json3");  // full: everything else goes
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.Find("k0").has_value());
  EXPECT_EQ(cache.Find("k3"), "json3");
}

}  // namespace
}  // namespace fairtrace
